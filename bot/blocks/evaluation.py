"""Blocks of an evaluation thread: the root message, the question cards and the scorecard."""

from __future__ import annotations

from bot.blocks.common import (
    Block,
    actions,
    button,
    context,
    divider,
    esc,
    header,
    limit_blocks,
    section,
    user,
    when,
)
from conversations.flow import SKIP
from conversations.models import Evaluation
from scoring.checklist import Checklist, Question
from scoring.render import bar, tree_lines
from scoring.scorecard import Scorecard, fmt_score

ANSWER_ACTION = "answer"  # action ids: answer_yes, answer_partly, answer_no, answer_skip
CHANGE_ACTION = "change_answer"
NOTE_ACTION = "add_note"


def action_value(ev: Evaluation, question_id: str) -> str:
    return f"{ev.id}|{question_id}"


def progress(ev: Evaluation, checklist: Checklist) -> tuple[int, int]:
    answered = sum(1 for q in checklist.questions if ev.value(q.id) is not None)
    return answered, len(checklist.questions)


def root_blocks(ev: Evaluation, checklist: Checklist, card: Scorecard) -> list[Block]:
    answered, total = progress(ev, checklist)
    if ev.status == "completed":
        status = f"*Result:* {card.total_text} — *{card.band.name}*"
        if card.disagreement:
            status += "\n:warning: The decision tree disagrees with the band — see the scorecard in the thread."
    else:
        status = (f"*Progress:* {answered}/{total} answered · running score {card.total_text}"
                  + (f" · {len(card.unanswered)} to go" if card.unanswered else ""))
    kind = "Re-evaluation" if ev.previous_id else "Evaluation"
    return [
        header(f"{kind}: {ev.project}"[:150]),
        section(f"*Checklist:* {esc(checklist.title)}\n*Started by* {user(ev.started_by)} {when(ev.started_at)}\n"
                f"{status}"),
        context("Anyone in this channel can answer in the thread. Each answer records who and when."),
    ]


def root_text(ev: Evaluation, card: Scorecard) -> str:
    return f"ftcheck evaluation of {ev.project}: {card.headline}"


def _question_head(ev: Evaluation, checklist: Checklist, q: Question) -> list[Block]:
    section_title = checklist.section(q.section).title
    return [
        section(f"*Question {q.number} of {len(checklist.questions)}* · {esc(section_title)}\n*{esc(q.text)}*"),
        context(f"_Why it matters:_ {esc(q.why)}"),
    ]


def _hint(ev: Evaluation, checklist: Checklist, q: Question) -> list[Block]:
    out: list[Block] = []
    suggestion = ev.suggestions.get(q.id)
    if suggestion is not None:
        label = checklist.option(suggestion.value).label
        out.append(section(f":bulb: *Suggested: {label}* — {esc(suggestion.reason)}\n"
                           f"> {esc(suggestion.evidence)}\n_A suggestion only: click an answer to confirm it "
                           f"or pick another._"))
    if q.id in ev.prefill:
        out.append(context(f"Last time: *{checklist.option(ev.prefill[q.id]).label}* — confirm it or change it."))
    return out


def open_card_blocks(ev: Evaluation, checklist: Checklist, question_id: str) -> list[Block]:
    q = checklist.question(question_id)
    value = action_value(ev, q.id)
    preferred = ev.suggestions[q.id].value if q.id in ev.suggestions else ev.prefill.get(q.id)
    buttons = []
    for option in checklist.options:
        text = option.label + (" (suggested)" if q.id in ev.suggestions and preferred == option.value else "")
        style = "primary" if preferred == option.value else None
        buttons.append(button(text, f"{ANSWER_ACTION}_{option.key}", value, style))
    buttons.append(button("Not sure", f"{ANSWER_ACTION}_{SKIP}", value))
    entry = ev.answers.get(q.id)
    again = [context("Asked again: it was skipped earlier.")] if entry and entry.value is None else []
    return [*_question_head(ev, checklist, q), *_hint(ev, checklist, q), *again,
            actions(f"answer:{q.id}", *buttons)]


def answered_card_blocks(ev: Evaluation, checklist: Checklist, question_id: str) -> list[Block]:
    q = checklist.question(question_id)
    entry = ev.answers.get(q.id)
    if entry is None:
        return open_card_blocks(ev, checklist, question_id)
    label = "Not sure" if entry.value is None else checklist.option(entry.value).label
    lines = [f"*Answer: {label}* — {user(entry.by)} {when(entry.at)}"]
    if entry.value is None:
        lines.append("_Skipped for now — it will be asked again before the scorecard; or pick an answer below._"
                     if entry.skips < 2 else "_Still not sure — pick an answer below when the team knows._")
    if entry.previous is not None:
        lines.append(f"_Changed from {checklist.option(entry.previous).label}._")
    if entry.suggestion is not None:
        confirmed = entry.value == entry.suggestion.value
        lines.append(f"_Suggestion was {checklist.option(entry.suggestion.value).label}"
                     f" ({'confirmed' if confirmed else 'overridden'} by {user(entry.by)})._")
    if entry.note:
        lines.append(f":memo: {esc(entry.note)} — {user(entry.note_by or entry.by)}")
    options = [{"text": {"type": "plain_text", "text": o.label}, "value": f"{action_value(ev, q.id)}|{o.key}"}
               for o in checklist.options]
    change = {"type": "static_select", "action_id": CHANGE_ACTION, "options": options,
              "placeholder": {"type": "plain_text", "text": "Change answer"}}
    return [*_question_head(ev, checklist, q), section("\n".join(lines)),
            actions(f"answered:{q.id}", change, button("Add note", NOTE_ACTION, action_value(ev, q.id)))]


def card_blocks(ev: Evaluation, checklist: Checklist, card_ts: str) -> list[Block]:
    card = ev.cards[card_ts]
    if card.open:
        return open_card_blocks(ev, checklist, card.question)
    return answered_card_blocks(ev, checklist, card.question)


def card_text(checklist: Checklist, question_id: str) -> str:
    q = checklist.question(question_id)
    return f"Question {q.number} of {len(checklist.questions)}: {q.text}"


def scorecard_blocks(ev: Evaluation, checklist: Checklist, card: Scorecard, *, title: str | None = None,
                     thread_link: str | None = None, previous: Scorecard | None = None) -> list[Block]:
    head = title or (f"Scorecard: {ev.project}" if not card.provisional else f"Provisional scorecard: {ev.project}")
    delta = ""
    if previous is not None:
        d = card.total - previous.total
        delta = f" ({'+' if d >= 0 else ''}{fmt_score(d)} since last time: {previous.total_text})"
    blocks: list[Block] = [
        header(head[:150]),
        section(f"*{card.headline}*{delta}\n*{card.band.name}:* {esc(card.band.recommendation)}"),
    ]
    if card.provisional:
        blocks.append(context(f"Unanswered: {', '.join(card.unanswered)} — answer them on their cards "
                              "to finish; an unanswered question is never counted as 0."))
    blocks.append(section("\n".join(
        f"`{bar(s.score, s.max)}` {fmt_score(s.score)}/{fmt_score(s.max)} {esc(s.title)}" for s in card.sections)))
    if card.decision_tree is not None:
        blocks.append(section("*Decision tree*\n" + "\n".join(esc(line) for line in tree_lines(card))))
    if card.disagreement:
        blocks.append(section(f":warning: {esc(card.disagreement)}"))
    if card.gaps:
        blocks.append(divider())
        blocks.append(section("*Gaps and next steps* (weakest section first)"))
        for group in card.gaps:
            lines = [f"*{esc(group.title)}* ({fmt_score(group.score)}/{fmt_score(group.max)})"]
            lines += [f"• *{g.question}* ({g.answer}) {esc(g.text)}\n    → {esc(g.next_step)}" for g in group.gaps]
            blocks.append(section("\n".join(lines)))
    blocks.append(divider())
    blocks.append(context(_who_answered(ev, checklist)))
    if thread_link:
        blocks.append(context(f"<{thread_link}|Open the evaluation thread>"))
    return limit_blocks(blocks)


def _who_answered(ev: Evaluation, checklist: Checklist) -> str:
    people: dict[str, list[str]] = {}
    for q in checklist.questions:
        entry = ev.answers.get(q.id)
        if entry is not None and entry.value is not None:
            people.setdefault(entry.by, []).append(q.key)
    if not people:
        return "No answers yet."
    parts = [f"{user(uid)}: {', '.join(keys)}" for uid, keys in people.items()]
    return "Who answered what — " + "; ".join(parts)


def scorecard_text(ev: Evaluation, card: Scorecard) -> str:
    return f"Scorecard for {ev.project}: {card.headline}"
