"""The scorecard in Slack, verdict first: the one decision, the next step, the top gaps, then the detail.

The full gap list sits behind a button (:data:`GAPS_ACTION`) that opens :func:`gaps_modal`.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.blocks.common import (
    NO_GAPS,
    Block,
    actions,
    button,
    clip,
    context,
    divider,
    esc,
    header,
    limit_blocks,
    section,
    slack_bar,
    user,
)
from conversations.effects import Headline, PostDecisionChange
from conversations.flow import last_answers, left_open_by
from conversations.models import AnswerEntry, Evaluation
from scoring.agreement import Agreement, outcome_text, spread_text
from scoring.checklist import Checklist
from scoring.render import SITUATIONS_TITLE, gaps_title, signed, situation_line
from scoring.scorecard import CHANGED_SINCE_LAST, Decided, Scorecard, fmt_score, with_totals
from scoring.verdict import Tone, Verdict, situation_advice, situation_lead, verdict_of

GAPS_ACTION = "scorecard_gaps"  # button value: the evaluation id; opens gaps_modal
EMOJI: dict[Tone, str] = {"go": ":white_check_mark:", "stop": ":no_entry:", "warn": ":warning:",
                          "pending": ":hourglass_flowing_sand:"}
MAX_FIELDS = 10
# said instead of a difference of totals scored with different versions of a checklist (Scorecard.comparable)


def verdict_mrkdwn(v: Verdict) -> str:
    """``:warning: *Not yet* — q1 (…) blocks it; the score alone, 12/20, would be Conditional go``."""
    text = f"{EMOJI[v.tone]} *{esc(v.decision)}* — {esc(v.reason)}"
    return f"{text}; {esc(v.band_alone)}" if v.band_alone else text


def verdict_line(card: Scorecard) -> str:
    """One line for the root message, lists and rows: the decision with the tree-vs-band warning."""
    return verdict_mrkdwn(verdict_of(card))


def scorecard_blocks(ev: Evaluation, checklist: Checklist, card: Scorecard, *, title: str | None = None,
                     thread_link: str | None = None, previous: Scorecard | Decided | None = None,
                     agreement: Agreement | None = None) -> list[Block]:
    v = verdict_of(card)
    if isinstance(previous, Decided):  # the result it re-evaluates: whether its total compares, by its answers
        previous = with_totals(previous, checklist, last_answers(ev))
    head = title or (f"Scorecard: {ev.project}" if not card.provisional else f"Provisional scorecard: {ev.project}")
    # Slack parses <…> in plain_text too, so the project name is escaped in the header as well
    blocks: list[Block] = [header(esc(head)), section(_decision(v, card, previous))]
    if (updated := updated_words(ev, checklist)) is not None:
        blocks.append(context(updated))
    blocks += _next_and_top(v)
    if card.provisional:
        blocks.append(context(unanswered_words(ev, checklist, card.unanswered)))
    blocks.append(_section_fields(card))
    if v.tree:
        blocks.append(context(f"*Decision tree:* {esc(v.tree)}"))
    if agreement is not None:
        blocks.append(section(agreement_mrkdwn(agreement)))
    blocks.append(divider())
    if v.gap_count or situation_advice(card):  # the situation rows hold even when every check passed
        title = gaps_title(v.gap_count) if v.gap_count else SITUATIONS_TITLE
        blocks.append(actions(f"scorecard:{ev.id}", button(title, GAPS_ACTION, ev.id)))
    if agreement is not None and agreement.voters:  # a team vote: every answer is the team's
        blocks.append(context("Voted: " + ", ".join(user(uid) for uid in agreement.voters)))
    else:
        blocks.append(context(_who_answered(ev, checklist)))
    if thread_link:
        blocks.append(context(f"<{thread_link}|Open the evaluation thread>"))
    return limit_blocks(blocks)


def answerers(ev: Evaluation) -> str:
    """Who gives a team's answer over the votes (``conversations.flow.team_answer``): ``the starter (@maya), a lead
    or a workspace admin``."""
    return f"the starter ({user(ev.started_by)}), a lead or a workspace admin"


def _its(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _open_clauses(ev: Evaluation, checklist: Checklist, keys: list[str]) -> list[str]:
    """One clause per group of questions left without an answer: those a split left open (by whom), and those
    anyone may answer (skipped twice). A lone group is "it"/"they"; several name their questions."""
    groups: dict[str | None, list[str]] = {}
    for key in keys:
        groups.setdefault(left_open_by(ev, checklist.question(key).id), []).append(key)
    clauses = []
    for by, group in groups.items():
        n = len(group)
        subject = _its(n, "it", "they") if len(groups) == 1 else _listed(group)
        where = f"from the ⋯ menu on {_its(n, 'its card', 'their cards')}"
        if by is None:
            clauses.append(f"{subject} {_its(n, 'was', 'were')} skipped twice, so anyone may answer "
                           f"{_its(n, 'it', 'them')} {where}")
        else:
            clauses.append(f"{subject} split and {_its(n, 'was', 'were')} left open by {user(by)}, so "
                           f"{answerers(ev)} picks {_its(n, 'its answer', 'their answers')} {where}")
    return clauses


def _listed(keys: list[str]) -> str:
    return keys[0] if len(keys) == 1 else f"{', '.join(keys[:-1])} and {keys[-1]}"


def left_words(ev: Evaluation, checklist: Checklist, keys: list[str], links: Mapping[str, str] | None = None,
               scorecard_link: str | None = None) -> str:
    """The root message's line once only questions without an answer are left (``keys``): which (named, and linked
    to their newest cards: ``links``, by question id), how they get an answer, and the provisional scorecard, once
    posted (``scorecard_link``: its permalink)."""
    n, links = len(keys), links or {}
    names = [_linked(checklist, key, links) for key in keys]
    text = f"Only {_listed(names)} {_its(n, 'is', 'are')} left: {'; '.join(_open_clauses(ev, checklist, keys))}."
    if ev.scorecard_ts is None:
        return text
    provisional = f"<{scorecard_link}|provisional scorecard>" if scorecard_link else "provisional scorecard"
    return f"{text} The {provisional} has the result so far."


def _linked(checklist: Checklist, key: str, links: Mapping[str, str]) -> str:
    """``q12 (ML engineer)``, linked to the question's newest card when its permalink is known."""
    q = checklist.question(key)
    link = links.get(q.id)
    return f"<{link}|{esc(q.name)}>" if link else esc(q.name)


def unanswered_words(ev: Evaluation, checklist: Checklist, keys: list[str]) -> str:
    """The provisional scorecard's line: which questions are unanswered (``keys``) and how they get an answer."""
    n, listed = len(keys), ", ".join(keys)
    if not any(left_open_by(ev, checklist.question(k).id) for k in keys):
        return (f"Unanswered: {listed}. Answer {_its(n, 'it', 'them')} from the ⋯ menu on "
                f"{_its(n, 'its card', 'their cards')} to finish; an unanswered question is never counted as 0.")
    how = "; ".join(_open_clauses(ev, checklist, keys))
    return f"Unanswered: {listed}. {how[0].upper()}{how[1:]}. An unanswered question is never counted as 0."


MAX_UPDATED = 5  # answers listed as changed after the scorecard was posted; the rest are counted


def updated_words(ev: Evaluation, checklist: Checklist) -> str | None:
    """``Updated after it was posted: q1 Yes (@dev) → No (@sam); q3 Yes (@dev) → Partly (@sam)``: every answer changed
    since the evaluation was completed, each once with its latest change, in the checklist's order (the latest
    :data:`MAX_UPDATED`, then how many more), so that the scorecard does not pass for the one first posted; None when
    none was."""
    if ev.status != "completed" or ev.completed_at is None:
        return None
    done = ev.completed_at
    changed = [a for a in ev.answers.values() if a.previous is not None and a.value is not None and a.at > done]
    if not changed:
        return None
    shown = sorted(changed, key=lambda a: a.at, reverse=True)[:MAX_UPDATED]
    order = {q.id: n for n, q in enumerate(checklist.questions)}
    shown.sort(key=lambda a: (order.get(a.question, len(order)), a.question))
    listed = "; ".join(f"{_key(checklist, a.question)} {_was(checklist, a)} → {_label(checklist, a.value)} "
                       f"({user(a.by)})" for a in shown)
    more = f"; and {len(changed) - len(shown)} more" if len(changed) > len(shown) else ""
    return f"Updated after it was posted: {listed}{more}"


def _key(checklist: Checklist, question: str) -> str:
    return checklist.question(question).key if checklist.asks(question) else question


def _label(checklist: Checklist, value: float | None) -> str:
    return "Not sure" if value is None else checklist.option(value).label


def _was(checklist: Checklist, entry: AnswerEntry) -> str:
    """The answer a change replaced, and who gave it when someone else did: ``Yes (@dev)``."""
    by = f" ({user(entry.previous_by)})" if entry.previous_by else ""
    return f"{_label(checklist, entry.previous)}{by}"


def decision_change_text(checklist: Checklist, change: PostDecisionChange, scorecard_link: str | None, *,
                         project: str | None = None) -> str:
    """The thread's reply when a change after the scorecard changed the decision (or the band). It has no blocks, so
    Slack's notifications show this text, cut at about 80 characters: the news comes first. ``Router is now
    :warning: *Not yet* (was :white_check_mark: *Strong go*), 19/20 (was 20/20): @sam changed q1 (500+ labeled
    examples) from *Yes* (@dev) to *No*. Details in the scorecard.`` (``The decision is now …`` without
    ``project``). When the result was decided with a checklist that has changed since and today's rules alone move
    it (``change.rules``), it says so."""
    name = esc(checklist.question(change.question).name) if checklist.asks(change.question) else change.question
    was_by = f" ({user(change.was_by)})" if change.was_by else ""
    what = (f"{user(change.by)} changed {name} from *{_label(checklist, change.was)}*{was_by} to "
            f"*{_label(checklist, change.now)}*.")
    before, after = change.before, change.after
    lead = f"{esc(project)} is" if project else "The decision is"
    if (before.decision, before.tone) != (after.decision, after.tone):
        news = f"{lead} now {_headline(after)} (was {_headline(before)}), {_total(after)} (was {_total(before)})"
    else:  # the band moved under a decision the decision tree holds
        news = (f"{lead.removesuffix(' is')} stays {_headline(after)}; the score alone, {_total(after)}, is now "
                f"*{esc(after.band)}* (was *{esc(before.band)}*, {_total(before)})")
    why = f" {_rules_words(change.rules, change)}" if change.rules is not None else ""
    where = f"<{scorecard_link}|the scorecard>" if scorecard_link else "the scorecard"
    return f"{news}: {what}{why} Details in {where}."


def _rules_words(rules: Headline, change: PostDecisionChange) -> str:
    """Why a change moved a result decided with an older checklist: today's rules (``rules``: the answers before the
    change, scored with them) moved it, and the change too unless it leaves today's result as it is (``after``)."""
    before, after = change.before, change.after
    then = f"{_headline(rules)}, {_total(rules)}"
    if (before.decision, before.tone) == (after.decision, after.tone):  # the news is the band's: name today's
        then += f", the score alone *{esc(rules.band)}*"
    rescored = (f"the checklist's rules changed since this evaluation was decided (with the answers before this "
                f"change, today's rules give {then})")
    if not rules.differs(after):
        return f"Not because of this change: {rescored}, and the scorecard now follows today's rules."
    return f"Both moved it: {rescored}, and this change moved it from there; the scorecard now follows today's rules."


def _headline(h: Headline) -> str:
    return f"{EMOJI[h.tone]} *{esc(h.decision)}*"


def _total(h: Headline) -> str:
    return f"{fmt_score(h.total)}/{fmt_score(h.max)}"


def since_last_time(card: Scorecard, then: Scorecard | Decided) -> str:
    """``+2.5 since last time (12.5/20).``, or that the totals do not compare (the checklist's questions or options
    changed in between, ``Scorecard.comparable``); plain text, for both front ends. ``then``: the last result, scored
    (a lead's summary) or as decided (a thread; with its totals fingerprint, ``scoring.scorecard.with_totals``)."""
    was = f"{fmt_score(then.total)}/{fmt_score(then.max)}"
    if not card.comparable(then):
        return f"Last time: {was}; {CHANGED_SINCE_LAST}."
    return f"{signed(card.total - then.total)} since last time ({was})."


def _decision(v: Verdict, card: Scorecard, previous: Scorecard | Decided | None) -> str:
    lines = [verdict_mrkdwn(v)]
    if previous is not None:
        lines.append(since_last_time(card, previous))
    if v.advice:
        lines.append(f"_{esc(v.advice)}_")
    if v.revisit:
        lines.append(f"_{esc(v.revisit)}_")
    if v.sooner:
        lines.append(f"_{esc(v.sooner)}_")
    return "\n".join(lines)


def _next_and_top(v: Verdict) -> list[Block]:
    if v.next_step is None:
        return [] if v.provisional else [context(f"No gaps: {NO_GAPS}.")]
    out = [section(f"*Next step for {esc(v.next_step.name)}:* {esc(v.next_step.next_step)}")]
    out.append(section(top_gaps_mrkdwn(v)))
    return out


def _situations(card: Scorecard) -> list[Block]:
    """The checklist's "your situation → what to do" rows under the gaps (dataset readiness has them), a few bullets
    to a section so each stays within Slack's 3,000 characters."""
    rows = [f"• {esc(situation_line(row))}" for row in situation_advice(card)]
    if not rows:
        return []
    chunks = [rows[i:i + 4] for i in range(0, len(rows), 4)]
    return [divider(), section(f"*{SITUATIONS_TITLE}*\n{esc(situation_lead(card))}"),
            *(section(clip("\n".join(c), 3000)) for c in chunks)]


def top_gaps_mrkdwn(v: Verdict) -> str:
    """``*Top gaps*`` and one bullet per gap: ``• q12 (ML engineer): No``."""
    more = v.gap_count - len(v.top_gaps)
    tail = f"\n_…and {more} more below the button._" if more > 0 else ""
    return "*Top gaps*\n" + "\n".join(f"• {esc(g.name)}: *{g.answer}*" for g in v.top_gaps) + tail


def _section_fields(card: Scorecard) -> Block:
    fields = [{"type": "mrkdwn", "text": f"*{esc(s.title)}*\n{slack_bar(s.score, s.max)}  "
               f"{fmt_score(s.score)}/{fmt_score(s.max)}" + (f" · {s.unanswered} open" if s.unanswered else "")}
              for s in card.sections[:MAX_FIELDS]]
    return {"type": "section", "fields": fields}


def agreement_mrkdwn(agreement: Agreement, since: str = "") -> str:
    """``*Team agreement:* 17 of 20 questions unanimous (85%)``, the splits (with their earlier rounds, and a
    unanimous answer changed afterwards: who changed it) and the warning under 75%;
    ``since`` follows the figure, e.g. `` (was 70% on 2026-08-03)``."""
    lines = [f"*Team agreement:* {agreement.summary}{since}"]
    if agreement.warning:
        lines.append(f":warning: {agreement.warning}")
    for split in agreement.splits:  # ``Yes 2 · No 1, asked again by @a: Yes 3 — agreed on *Yes* when asked again``
        lines.append(f"• {esc(split.name)}: {spread_text(split, user)} — {outcome_text(split, user, '*')}")
    return clip("\n".join(lines))


def _who_answered(ev: Evaluation, checklist: Checklist) -> str:
    people: dict[str, list[str]] = {}
    for q in checklist.questions:
        entry = ev.answers.get(q.id)
        if entry is not None and entry.value is not None:
            people.setdefault(entry.by, []).append(q.key)
    if not people:
        return "No answers yet."
    return "Who answered what — " + "; ".join(f"{user(uid)}: {', '.join(keys)}" for uid, keys in people.items())


def scorecard_text(ev: Evaluation, card: Scorecard) -> str:
    """The notification text: the decision in plain words (escaped: Slack parses <…> here too)."""
    return esc(f"Scorecard for {ev.project}: {verdict_of(card).line()}")


def gaps_modal(ev: Evaluation, card: Scorecard) -> Block:
    """Every gap and its next step in a modal (opened by :data:`GAPS_ACTION`): first the scorecard's top gaps in
    its order (the next step first, the questions that stop the decision tree marked), then the other gaps,
    weakest section first."""
    v = verdict_of(card)
    blocks: list[Block] = [context(f"*{esc(ev.project)}* · {esc(card.title)} · {card.total_text}")]
    top = {g.question for g in v.top_gaps}
    rest = [(group, [g for g in group.gaps if g.question not in top]) for group in card.gaps]
    rest = [(group, gaps) for group, gaps in rest if gaps]
    if v.top_gaps:
        blocks.append(section("*Top gaps, as on the scorecard*" if rest else "*The gaps, as on the scorecard*"))
    for n, g in enumerate(v.top_gaps, start=1):
        marks = [m for m, on in (("next step", n == 1), ("blocks the decision tree", g.question in v.blocking)) if on]
        mark = f" _({'; '.join(marks)})_" if marks else ""
        blocks.append(section(f"*{n}. {esc(g.name)}: {g.answer}*{mark} — {esc(g.text)}\n→ {esc(g.next_step)}"))
    if rest:
        blocks += [divider(), section("*The other gaps, weakest section first*")]
    for group, gaps in rest:
        blocks.append(section(f"*{esc(group.title)}* ({fmt_score(group.score)}/{fmt_score(group.max)})"))
        blocks += [section(f"*{esc(g.name)}: {g.answer}* — {esc(g.text)}\n→ {esc(g.next_step)}") for g in gaps]
    if not card.gaps:
        blocks.append(section(f"No gaps: {NO_GAPS}."))
    blocks += _situations(card)
    return {"type": "modal", "title": {"type": "plain_text", "text": "Gaps and next steps"},
            "close": {"type": "plain_text", "text": "Close"}, "blocks": blocks[:100]}
