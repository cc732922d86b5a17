"""Blocks of an evaluation thread: the root message (the dashboard) and the question cards.

A quiet thread: an open card carries the question, why it matters and the buttons; once answered it
shrinks to one line ("✓ Q3 Yes — @ana") with a ⋯ menu: Change to …, Add a note. In vote mode the open card
shows who has voted (never what) until the reveal, then each person's vote; a split card offers the team
answer. A question asked again keeps, on the card above, what happened there ("… Q5 Not sure · asked again
below"); its answer and the ⋯ menu are on the newest card. The scorecard lives in ``bot/blocks/scorecard.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.blocks.common import Block, actions, button, context, esc, header, one_line, plural, section, slack_bar, user
from bot.blocks.scorecard import answerers, left_words, verdict_mrkdwn
from bot.blocks.suggestions import suggestion_hint_blocks
from conversations.effects import SplitCounts, UpdateSplit
from conversations.engine import scorecard_of
from conversations.flow import (
    SKIP,
    LastTime,
    asked_again,
    asked_again_words,
    card_state,
    last_time_of,
    left_open_by,
    next_question,
    not_carried,
    note_carried,
    whose_words,
)
from conversations.models import AnswerEntry, Ballot, EarlierRound, Evaluation
from conversations.voting import EARLY_REVEAL_VOTES, hidden_tally, not_sure_votes_again
from scoring.checklist import Checklist, Question
from scoring.scorecard import fmt_score
from scoring.verdict import Verdict, verdict_of

ANSWER_ACTION = "answer"  # action ids: answer_yes, answer_partly, answer_no, answer_skip
CHANGE_ACTION = "change_answer"
NOTE_ACTION = "add_note"
NOTE_OPTION = "note"  # the "Add a note…" entry of a record's select
REVEAL_ACTION = "reveal_votes"
SETTLE_ACTION = "settle_answer"  # settle_answer_<option key>: action ids are unique within a block
LAST_NOTE_MAX = 200  # last time's note on an open card: a reminder of why, not the whole note (the export has it)


def action_value(ev: Evaluation, question_id: str) -> str:
    return f"{ev.id}|{question_id}"


def progress(ev: Evaluation, checklist: Checklist) -> tuple[int, int]:
    answers = ev.answers  # every render asks this (root text and blocks): no method call per question
    answered = sum(1 for q in checklist.questions
                   if (entry := answers.get(q.id)) is not None and entry.value is not None)
    return answered, len(checklist.questions)


# -- the root message: a dashboard ----------------------------------------------------------------------------

def root_verdict(ev: Evaluation, checklist: Checklist) -> Verdict | None:
    """The decision a completed evaluation's root shows, in its blocks and its text (worked out once per draw and
    handed to both); None before the end: mid-walk the root shows no score."""
    return verdict_of(scorecard_of(ev, checklist)) if ev.status == "completed" else None


def root_blocks(ev: Evaluation, checklist: Checklist, card_link: str | None = None,
                left_links: Mapping[str, str] | None = None, verdict: Verdict | None = None) -> list[Block]:
    """``card_link``: the permalink of the open card, or of the scorecard once posted; ``left_links``: of the newest
    card of each question :func:`left_cards` names, by question id; ``verdict``: :func:`root_verdict`, when the
    caller has it."""
    kind = _kind(ev)
    mode = f"team vote, reveal at {plural(ev.quorum, 'vote')}" if ev.mode == "vote" else "first answer counts"
    blocks = [header(f"{kind}: {esc(ev.project)}"),
              section(f"*{esc(checklist.title)}* · {mode} · started by {user(ev.started_by)}\n"
                      f"{_status(ev, checklist, card_link, left_links, verdict)}")]
    notice = not_prefilled_notice(ev, checklist) if ev.status == "in_progress" else None
    if notice:
        blocks.append(context(notice))
    who = _who(ev, checklist)
    if who:
        blocks.append(context(who))
    return blocks


def not_prefilled_notice(ev: Evaluation, checklist: Checklist, *, mrkdwn: bool = True) -> str | None:
    """What a re-evaluation does not pre-fill of last time's answers, and why (:func:`not_prefilled_text`); None
    for a first evaluation and when every answer carried over."""
    if ev.previous_id is None or not ev.not_prefilled:
        return None
    return not_prefilled_text({**ev.prefill, **ev.not_prefilled}, checklist, mrkdwn=mrkdwn)


def not_prefilled_text(then: Mapping[str, float], checklist: Checklist, *, mrkdwn: bool = True) -> str | None:
    """``*Not pre-filled from last time* (the checklist has changed since): q1 (alpha), as its answer then (0.5) is
    no longer an option; 1 answer, as its question is no longer in the checklist.``

    ``then``: last time's answers (question id -> value); those ``checklist`` no longer takes are named. The one
    wording of it, for the reminder, the thread's first message and the terminal (``mrkdwn=False``: plain text,
    nothing escaped). None when every answer still fits."""
    retired, gone = _not_fitting(then, checklist)
    if not (retired or gone):
        return None
    parts = [_retired_part(qs, value, mrkdwn) for value, qs in retired.items()]
    if gone:
        parts.append(f"{plural(gone, 'answer')}, as {'its question is' if gone == 1 else 'their questions are'} "
                     "no longer in the checklist")
    head = "Not pre-filled from last time" if prefills_any(then, checklist) else "Nothing pre-filled from last time"
    return f"{f'*{head}*' if mrkdwn else head} (the checklist has changed since): {'; '.join(parts)}."


def prefills_any(then: Mapping[str, float], checklist: Checklist) -> bool:
    """Whether a re-evaluation pre-fills any of last time's answers ``then`` (the checklist still takes one)."""
    retired, gone = _not_fitting(then, checklist)
    return sum(len(qs) for qs in retired.values()) + gone < len(then)


def _not_fitting(then: Mapping[str, float], checklist: Checklist) -> tuple[dict[float, list[Question]], int]:
    """:func:`conversations.flow.not_carried`, the questions grouped by their answer then."""
    ids, gone = not_carried(then, checklist)
    retired: dict[float, list[Question]] = {}
    for qid in ids:
        retired.setdefault(then[qid], []).append(checklist.question(qid))
    return retired, gone


def _retired_part(questions: list[Question], value: float, mrkdwn: bool) -> str:
    """``q1 (alpha) and q3 (gamma), as their answer then (0.5) is no longer an option``."""
    names = [esc(q.name) if mrkdwn else q.name for q in questions]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    whose = "its" if len(names) == 1 else "their"
    return f"{listed}, as {whose} answer then ({fmt_score(value)}) is no longer an option"


def _kind(ev: Evaluation) -> str:
    return "Re-evaluation" if ev.previous_id else "Evaluation"


def _status(ev: Evaluation, checklist: Checklist, card_link: str | None,
            left_links: Mapping[str, str] | None = None, verdict: Verdict | None = None) -> str:
    answered, total = progress(ev, checklist)
    bar = f"{slack_bar(answered, total)}  {answered} of {total} answered"
    if ev.status == "completed":
        where = f"<{card_link}|the scorecard>" if card_link else "the scorecard"
        v = verdict or verdict_of(scorecard_of(ev, checklist))  # scored only here: mid-walk the root shows no score
        return f"{bar}\n{verdict_mrkdwn(v)} · details in {where}."
    if ev.status == "abandoned":
        return (f"{bar}\nClosed: nobody answered for a long time. `/ftcheck start {esc(ev.project)}` begins a new "
                "evaluation.")
    waiting = _waiting(ev, checklist)
    if waiting is None:
        left = [q.key for q in checklist.questions if ev.value(q.id) is None]
        return f"{bar}\n{left_words(ev, checklist, left, left_links, card_link if ev.scorecard_ts else None)}"
    label = f"Question {waiting.number} — {short(waiting)}"
    now = f"*Now:* {f'<{card_link}|{label}>' if card_link else label}"
    if card_state(ev, waiting.id) == "split":
        now += f" · split: {split_wait(ev)}"
    return f"{bar}\n{now}"


def split_wait(ev: Evaluation) -> str:
    """Who a split card waits for, said alike by the root, `/ftcheck status` and the idle nudge."""
    return f"waiting for the starter ({user(ev.started_by)}), a lead or an admin to choose the team answer"


def left_cards(ev: Evaluation, checklist: Checklist) -> dict[str, str]:
    """Once only questions without an answer are left (skipped twice, or a split left open): the newest card of
    each (question id -> its ts), which the root links; else nothing."""
    if ev.status != "in_progress" or _waiting(ev, checklist) is not None:
        return {}
    newest = {q.id: ev.card_for(q.id) for q in checklist.questions if ev.value(q.id) is None}
    return {qid: ts for qid, ts in newest.items() if ts is not None}


def _waiting(ev: Evaluation, checklist: Checklist) -> Question | None:
    for card in ev.open_cards().values():
        return checklist.question(card.question)
    nxt = next_question(ev, checklist)
    return checklist.question(nxt) if nxt else None


def _who(ev: Evaluation, checklist: Checklist) -> str:
    if ev.mode == "vote":
        for card in ev.open_cards().values():
            voters = hidden_tally(ev.ballots.get(card.question))
            if voters:
                return f"Voted on {checklist.question(card.question).key}: " + ", ".join(map(user, voters))
        return ""
    people: dict[str, int] = {}
    for entry in ev.answers.values():
        if entry.value is not None:
            people[entry.by] = people.get(entry.by, 0) + 1
    return ("Answered by " + ", ".join(f"{user(u)} ({n})" for u, n in people.items())) if people else ""


def root_text(ev: Evaluation, checklist: Checklist, verdict: Verdict | None = None) -> str:
    """The root's notification text (what push notifications, the Activity list and screen readers read): what its
    blocks say, shortest first. ``verdict``: :func:`root_verdict`, when the caller has it."""
    answered, total = progress(ev, checklist)
    name = f"{_kind(ev)} of {esc(ev.project)}"
    if ev.status == "completed":
        v = verdict or verdict_of(scorecard_of(ev, checklist))
        return f"{name}: {v.symbol} {esc(v.decision)} — {v.total_text} (scorecard in the thread)"
    if ev.status == "abandoned":
        return f"{name}: closed after {answered} of {total} answered"
    waiting = _waiting(ev, checklist) if ev.status == "in_progress" else None
    if waiting is not None and card_state(ev, waiting.id) == "split":
        return f"{name}: {waiting.key} split, waiting for {user(ev.started_by)} · {answered} of {total} answered"
    return f"{name}: {answered} of {total} answered"


# -- question cards ---------------------------------------------------------------------------------------------

# with the checklist it was built from: the same id loaded again from a changed team file (another registry) is
# another object, whose numbers and words may differ
_HEADS: dict[tuple[str, str], tuple[Checklist, Block, Block]] = {}


def _question_head(checklist: Checklist, question_id: str) -> tuple[Block, Block]:
    """The static top of an open card, built once per question (shared, never mutated)."""
    cached = _HEADS.get((checklist.id, question_id))
    if cached is None or cached[0] is not checklist:
        q = checklist.question(question_id)
        title = checklist.section(q.section).title
        criteria = f"\n*Passes if:* {esc(q.criteria)}" if q.criteria else ""  # a gate's bar, as the terminal shows it
        cached = (checklist,
                  section(f"*Question {q.number} of {len(checklist.questions)}* · {esc(title)}\n*{esc(q.text)}*"
                          f"{criteria}"),
                  context(f"_Why it matters:_ {esc(q.why)}"))
        _HEADS[(checklist.id, question_id)] = cached
    return cached[1], cached[2]


def short(q: Question) -> str:
    return esc(q.short or q.text)


def card_blocks(ev: Evaluation, checklist: Checklist, card_ts: str, later_link: str | None = None) -> list[Block]:
    """A card as it is now. Only a question's newest card holds its answer (and the ⋯ menu); a card before it (the
    question was asked again) keeps what happened there (:func:`earlier_card_blocks`; ``later_link``: the newest
    card's permalink, for "asked again below")."""
    card = ev.cards[card_ts]
    if ev.card_for(card.question) != card_ts:
        return earlier_card_blocks(ev, checklist, card_ts, later_link)
    state = card_state(ev, card.question)
    if state == "split":
        return split_card_blocks(ev, checklist, card.question)
    if card.open:
        return open_card_blocks(ev, checklist, card.question)
    return record_blocks(ev, checklist, card.question)


def open_card_blocks(ev: Evaluation, checklist: Checklist, question_id: str) -> list[Block]:
    q = checklist.question(question_id)
    blocks: list[Block] = [*_question_head(checklist, q.id), *suggestion_hint_blocks(ev, checklist, q.id)]
    if q.id in ev.prefill:
        blocks.append(context(_last_time(ev, checklist, q.id)))
    entry = ev.answers.get(q.id)
    if entry is not None and entry.value is None:
        blocks.append(context(asked_again_words("the team was")))
    value = action_value(ev, q.id)
    suggested = ev.suggestions[q.id].value if q.id in ev.suggestions else None
    last_time = ev.prefill.get(q.id)  # last quarter's answer is the one to confirm: its button is primary
    buttons = [button(o.label + (" (suggested)" if suggested == o.value else ""), f"{ANSWER_ACTION}_{o.key}", value,
                      "primary" if last_time == o.value else None)
               for o in checklist.options]
    buttons.append(button("Not sure", f"{ANSWER_ACTION}_{SKIP}", value))
    if ev.mode == "vote":
        blocks.append(context(_tally(ev, q.id)))
        buttons.append(button("Reveal votes", REVEAL_ACTION, value))
    blocks.append(actions(f"answer:{q.id}", *buttons))
    return blocks


def _last_time(ev: Evaluation, checklist: Checklist, question_id: str) -> str:
    """``Last time: *Yes* (@ana, Sep 5; note by @cy: “…”) — confirm it or change it.``: last time's answer, whose
    it was and when (:func:`whose_then`), and its note, if it had one (with who wrote it, when someone else did)."""
    then = last_time_of(ev, question_id)
    if then is None:  # not pre-filled: the card shows no "Last time"
        return ""
    said = [whose_then(then)] if then.by or then.team or then.at else []
    if then.note:
        by = f" by {user(then.note_by)}" if then.note_by and then.note_by != then.by else ""
        said.append(f"note{by}: “{esc(one_line(then.note, LAST_NOTE_MAX, at_word=True))}”")
    aside = f" ({'; '.join(said)})" if said else ""
    return f"Last time: *{checklist.option(then.value).label}*{aside} — confirm it or change it."


def whose_then(then: LastTime) -> str:
    """``@ana, Sep 5``, ``team vote, Sep 5``, ``split, settled by @maya, Sep 5``, ``changed by @maya after the vote,
    Sep 5``: whose last time's answer was and the day of that evaluation (in each reader's time zone)."""
    parts = [whose_words(then.team, user(then.by) if then.by else None), day_of(then.at) if then.at else ""]
    return ", ".join(p for p in parts if p)


def day_of(at: datetime) -> str:
    """``Sep 5`` (``yesterday``, ``today``): a day as Slack shows it to each reader, in their own time zone, as
    ``common.when`` shows a time; the fallback (for clients that cannot) is the UTC date."""
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}}|{at:%Y-%m-%d}>"


def _tally(ev: Evaluation, question_id: str) -> str:
    """Who has voted (never what), and what reveals the votes: the quorum, or Reveal votes, which takes
    :data:`EARLY_REVEAL_VOTES` votes unless the starter, a lead or an admin clicks it (``voting.early_reveal_short``).
    No mention of the starter: the card is posted with this line, and a mention there would notify them."""
    voters = hidden_tally(ev.ballots.get(question_id))
    voted = len(voters)
    head = (f"Team vote: {voted} of {ev.quorum} have voted ({', '.join(map(user, voters))})." if voters
            else "Team vote: nobody has voted yet.")
    if ev.quorum == 1:
        return f"{head} The first vote reveals the card."
    more = ev.quorum - voted
    until = (f"{ev.quorum} people have voted" if not voters else "one more person votes" if more == 1
             else f"{more} more people vote")
    if voted >= EARLY_REVEAL_VOTES:
        return f"{head} Votes stay hidden until {until} or someone clicks Reveal votes."
    if ev.quorum <= EARLY_REVEAL_VOTES:  # the votes a Reveal needs reveal the card anyway
        return f"{head} Votes stay hidden until {until} or the starter, a lead or an admin clicks Reveal votes."
    enough = f"{EARLY_REVEAL_VOTES} have" if not voters else (
        "one more has" if EARLY_REVEAL_VOTES - voted == 1 else f"{EARLY_REVEAL_VOTES - voted} more have")
    return (f"{head} Votes stay hidden until {until}, or until {enough} and someone clicks Reveal votes (the "
            f"starter, a lead or an admin may reveal {'sooner' if not voters else 'them now'}).")


def early_reveal_refused(ev: Evaluation, question_key: str, votes: int, *, voted: bool) -> str:
    """Why a Reveal votes click revealed nothing (``voting.early_reveal_short``): the votes so far, what a Reveal
    needs, and who may reveal sooner (``voted``: the person who clicked has voted on the card)."""
    so_far = "only your vote" if voted and votes == 1 else plural(votes, "vote") + (" (yours too)" if voted else "")
    if ev.quorum <= EARLY_REVEAL_VOTES:  # the votes a Reveal needs reveal the card by themselves
        more = ev.quorum - votes
        then = "One more vote reveals it" if more == 1 else f"{more} more votes reveal it"
    else:
        second = not voted and EARLY_REVEAL_VOTES - votes == 1
        then = (f"Reveal votes works once {EARLY_REVEAL_VOTES} people have voted"
                f"{': yours would be the second' if second else ''} ({ev.quorum} votes reveal the card by themselves)")
    return (f"Nothing was revealed: {question_key} has {so_far} so far, and one person's vote alone does not become "
            f"the team's answer. {then}; only the evaluation's starter ({user(ev.started_by)}), a lead or a "
            "workspace admin can reveal it sooner.")


def split_card_blocks(ev: Evaluation, checklist: Checklist, question_id: str) -> list[Block]:
    q = checklist.question(question_id)
    value = action_value(ev, q.id)
    settle = [button(f"{o.label} — team answer", f"{SETTLE_ACTION}_{o.key}", f"{value}|{o.key}")
              for o in checklist.options]
    again = not_sure_votes_again(ev, q.id)
    settle.append(button("Not sure — ask again later" if again else "Not sure — leave it open",
                         f"{SETTLE_ACTION}_{SKIP}", f"{value}|{SKIP}"))
    return [
        section(f"*Question {q.number} of {len(checklist.questions)}* · *Split* — the team disagrees\n*{esc(q.text)}*"),
        section(_spread_revealed(ev, checklist, ev.ballots[q.id])),
        context(f"The starter ({user(ev.started_by)}), a lead or an admin chooses the team answer, or Not sure "
                f"{_not_sure_then(again, 'one of them picks it')}; the spread stays on the record."),
        actions(f"settle:{q.id}", *settle),
    ]


def _not_sure_then(again: bool, who: str) -> str:
    """What Not sure on a split card does (``voting.not_sure_votes_again``), said alike by the card and the ping:
    ``who`` may answer a question it leaves open (``flow.left_open_by``)."""
    if again:
        return "to vote on it again before the end"
    return f"to leave it without an answer (it was voted on twice) until {who} from the ⋯ menu"


def _spread(ev: Evaluation, checklist: Checklist, ballot: Ballot) -> str:
    return _spread_of(checklist, ballot.spread())


def _spread_revealed(ev: Evaluation, checklist: Checklist, ballot: Ballot) -> str:
    """The spread, and who revealed it before the quorum had voted (:func:`early_reveal`)."""
    early = early_reveal(ev, ballot)
    return _spread(ev, checklist, ballot) + (f" · _{early}_" if early else "")


def early_reveal(ev: Evaluation, ballot: Ballot) -> str | None:
    """``revealed by @sam with 2 of 3 votes``: someone clicked Reveal votes before the quorum had voted; None when
    the quorum revealed it."""
    if not ballot.revealed or ballot.revealed_by is None:
        return None
    return f"revealed by {user(ballot.revealed_by)} with {len(ballot.votes)} of {ev.quorum} votes"


def _spread_of(checklist: Checklist, spread: Mapping[float | None, list[str]], bold: bool = True) -> str:
    parts = []
    for value, uids in spread.items():
        label = "Not sure" if value is None else checklist.option(value).label
        parts.append((f"*{label}:* " if bold else f"{label}: ") + ", ".join(map(user, uids)))
    return " · ".join(parts)


def _earlier_split(entry: AnswerEntry) -> tuple[dict[float | None, list[str]], str | None] | None:
    """The newest earlier round that split (its spread, and who asked again), kept on the record once the question
    was voted on again (``AnswerEntry.earlier``); None when none split."""
    past = next((p for p in reversed(entry.earlier) if p.split), None)
    return None if past is None else (past.spread(), past.settled_by)


def _first_split(checklist: Checklist, entry: AnswerEntry) -> str | None:
    """``split first (Yes: @a, @b · No: @c), asked again by @s``."""
    if (earlier := _earlier_split(entry)) is None:
        return None
    spread, by = earlier
    return f"split first ({_spread_of(checklist, spread, bold=False)})" + (f", asked again by {user(by)}" if by else "")


def record_blocks(ev: Evaluation, checklist: Checklist, question_id: str) -> list[Block]:
    """An answered (or skipped) card, shrunk to one line with its ⋯ menu (Change to …, Add a note…); a deleted
    evaluation's card keeps its line, without the menu: it takes no more changes."""
    q = checklist.question(question_id)
    entry = ev.answers.get(q.id)
    if entry is None:
        return [context(f"{q.key} closed before anyone answered it.")]
    lines = [_record_line(ev, checklist, q, entry)]
    if entry.note:
        lines.append(_note_line(ev, checklist, q.id, entry, entry.note))
    if ev.status == "deleted":
        return [section("\n".join(lines))]
    return [section("\n".join(lines), accessory=record_menu(ev, checklist, q.id))]


def _note_line(ev: Evaluation, checklist: Checklist, question_id: str, entry: AnswerEntry, note: str) -> str:
    """``:memo: text — @cy``, or for last time's note carried onto a confirmed answer ``:memo: from Sep 5, @cy:
    text``: not written in this evaluation."""
    on = f"_(on the earlier {checklist.option(entry.note_on).label})_ " if entry.note_on is not None else ""
    by = user(entry.note_by or entry.by)
    if note_carried(ev, question_id):
        return f":memo: {on}from {_then_day(ev)}, {by}: {esc(note)}"
    return f":memo: {on}{esc(note)} — {by}"


def _then_day(ev: Evaluation) -> str:
    """The day of the evaluation a re-evaluation's pre-filled answers come from; ``last time`` when not kept (a
    re-evaluation started before it was)."""
    return day_of(ev.prefill_at) if ev.prefill_at is not None else "last time"


def record_menu(ev: Evaluation, checklist: Checklist, question_id: str) -> Block:
    """The ⋯ menu beside a record: change the answer (to one it is not), or add a note (``NOTE_OPTION`` opens the
    note dialog)."""
    value, current = action_value(ev, question_id), ev.value(question_id)
    options = [{"text": {"type": "plain_text", "text": f"Change to {o.label}"}, "value": f"{value}|{o.key}"}
               for o in checklist.options if o.value != current]
    options.append({"text": {"type": "plain_text", "text": "Add a note…"}, "value": f"{value}|{NOTE_OPTION}"})
    return {"type": "overflow", "action_id": CHANGE_ACTION, "options": options}


def _record_line(ev: Evaluation, checklist: Checklist, q: Question, entry: AnswerEntry) -> str:
    ballot = ev.ballots.get(q.id)
    revealed = ballot if ballot is not None and ballot.revealed else None
    if entry.value is None:
        again = _what_next(ev, q, entry)
        line = f"… *{q.key}* Not sure — {_not_sure_by(ev, checklist, entry, revealed)}"
        return f"{line} · {again}" if again else line
    head = f"✓ *{q.key}* {checklist.option(entry.value).label}"
    if revealed is not None and entry.settled_by:  # chosen over the votes: on a split, or a unanimous answer changed
        how = "settled" if len(revealed.decided()) > 1 else "changed"
        tail = f"{how} by {user(entry.settled_by)} · {_spread(ev, checklist, revealed)}"
    elif revealed is not None and entry.previous is None and revealed.decided() == {entry.value}:
        tail = _agreed(revealed.spread(), entry.value)
    else:
        tail = user(entry.by)
    extras = _extras(ev, checklist, q, entry, revealed)
    return f"{head} — {tail}" + (f" · _{'; '.join(extras)}_" if extras else "") + f" · {short(q)}"


def _what_next(ev: Evaluation, q: Question, entry: AnswerEntry) -> str | None:
    """What becomes of a question left Not sure: asked again, or who answers it from the ⋯ menu; None once the
    evaluation was deleted (nothing more happens in its thread)."""
    if ev.status == "deleted":
        return None
    if asked_again(entry.skips):
        return "asked again before the end"
    if left_open_by(ev, q.id):
        return f"{answerers(ev)} picks its answer from the ⋯ menu"
    return "left for the team: pick an answer when you know"


def _extras(ev: Evaluation, checklist: Checklist, q: Question, entry: AnswerEntry,
            revealed: Ballot | None) -> list[str]:
    """What an answered record adds in italics: changed, last time's other answer, revealed early, asked again, the
    helper's part."""
    extras = []
    if entry.previous is not None:
        by = f" ({user(entry.previous_by)})" if entry.previous_by else ""
        extras.append(f"changed from {checklist.option(entry.previous).label}{by}")
    if (was := _last_time_other(ev, checklist, q.id, entry)) is not None:
        extras.append(was)
    elif entry.value is not None and ev.prefill.get(q.id) == entry.value:  # last time's, confirmed (or changed back)
        extras.append(f"{'kept from' if entry.previous is None else 'same as'} {_then_day(ev)}")
    if revealed is not None and (early := early_reveal(ev, revealed)) is not None:
        extras.append(early)
    if len(ev.cards_of(q.id)) > 1:  # the card above keeps the first time (earlier_card_blocks)
        extras.append(f"asked again after {'a split' if _earlier_split(entry) else 'Not sure'} (above)")
    elif (first := _first_split(checklist, entry)) is not None:  # no card above shows it
        extras.append(first)
    if entry.suggestion is not None and entry.suggestion.value is not None:  # a caution alone suggested nothing
        extras.append("as the helper suggested" if entry.suggestion.value == entry.value else "helper differed")
    return extras


def _last_time_other(ev: Evaluation, checklist: Checklist, question_id: str, entry: AnswerEntry) -> str | None:
    """A re-evaluation: ``was *No* last time`` when this answer differs from last time's; None when it is the same
    (or last time's is no longer an option)."""
    then = ev.prefill.get(question_id)
    if then is None or then == entry.value or not checklist.allows(then):
        return None
    return f"was *{checklist.option(then).label}* last time"


def _agreed(spread: dict[float | None, list[str]], value: float) -> str:
    """Who gave the revealed answer: ``agreed: @a, @b`` takes two; a lone answer says so (``only @a voted``)."""
    answered, unsure = spread[value], spread.get(None, [])
    if len(answered) >= 2:
        tail = "agreed: " + ", ".join(map(user, answered))
    else:
        tail = f"only {user(answered[0])} " + ("answered" if unsure else "voted")
    return tail + (" · Not sure: " + ", ".join(map(user, unsure)) if unsure else "")


def _not_sure_by(ev: Evaluation, checklist: Checklist, entry: AnswerEntry, ballot: Ballot | None) -> str:
    """Who left a question open: the starter or lead who chose Not sure on a split, the voters of a revealed vote, or
    (quick mode) the clicker.

    In vote mode only the team leaves a question open; once it is asked again a fresh round starts, and a split's
    first round is read from the answer's record (``AnswerEntry.earlier``); a round where nobody was sure names
    nobody rather than one voter for them all."""
    if entry.settled_by:  # a split the starter or a lead could not settle
        chose = (f"{_splits(entry, ballot)} and left open by {user(entry.settled_by)}"
                 if left_open_by(ev, entry.question) else f"{user(entry.settled_by)} chose Not sure on a split")
        if ballot is not None:
            return f"{chose} · {_spread(ev, checklist, ballot)}"
        earlier = _earlier_split(entry)  # asked again: the round it chose on is kept on the answer
        return f"{chose} · {_spread_of(checklist, earlier[0])}" if earlier else chose
    if ballot is None:
        return "nobody on the team was sure" if ev.mode == "vote" else user(entry.by)
    voters = hidden_tally(ballot)  # everyone voted Not sure (or a Reveal came after Not sure votes only)
    if len(voters) == 1:
        return f"only {user(voters[0])} voted"
    return "nobody was sure: " + ", ".join(map(user, voters))


def _splits(entry: AnswerEntry, ballot: Ballot | None) -> str:
    """``split``, or ``split twice`` when an earlier round split too."""
    times = sum(past.split for past in entry.earlier)
    times += ballot is not None and ballot.revealed and len(ballot.decided()) > 1
    return "split twice" if times == 2 else f"split {times} times" if times > 2 else "split"


# -- a card the saved evaluation does not hold ------------------------------------------------------------------

def stale_card(checklist: Checklist, question_id: str, words: str) -> tuple[str, list[Block]]:
    """A card Slack shows that the saved evaluation does not hold (``flow.not_saved``: its data was set back to an
    earlier point, or the card was posted twice), drawn without buttons: its question, and ``words``
    (``notices.stale_card_words``) say why it takes no answers and where the evaluation went on. Text and blocks."""
    head = "A question card"
    if checklist.asks(question_id):
        q = checklist.question(question_id)
        head = f"{q.key} ({short(q)})"
    return f"{head}: not in ftcheck's saved evaluation", [section(f"~{head}~ — not in the saved evaluation"),
                                                          context(words)]


# -- a card before its question was asked again -----------------------------------------------------------------

def earlier_card_blocks(ev: Evaluation, checklist: Checklist, card_ts: str,
                        later_link: str | None = None) -> list[Block]:
    """A card whose question was asked again on a card below it: one line of what happened on it (Not sure, or the
    split sent back to the team), and no ⋯ menu: the answer, and changing it, are on the newest card."""
    q = checklist.question(ev.cards[card_ts].question)
    entry = ev.answers.get(q.id)
    if entry is None:
        return [context(f"{q.key} closed before anyone answered it.")]
    below = f"<{later_link}|below>" if later_link else "below"
    if ev.mode == "vote" and (past := _round_on(ev, entry, card_ts)) is not None:
        what = _round_line(checklist, past, below)
    else:
        who = entry.skipped_on.get(card_ts)  # quick mode: who chose Not sure there (None on an older record)
        what = f"Not sure{f' — {user(who)}' if who else ''} · asked again {below}"
    return [section(f"… *{q.key}* {what} · {short(q)}")]


def _round_on(ev: Evaluation, entry: AnswerEntry, card_ts: str) -> EarlierRound | None:
    """Vote mode: the round of votes on an earlier card (``AnswerEntry.earlier`` holds one per card asked again,
    oldest first, so the card just above the newest has the last one); None when the record does not have it."""
    cards = ev.cards_of(ev.cards[card_ts].question)
    back = len(cards) - 1 - cards.index(card_ts)
    return entry.earlier[-back] if 0 < back <= len(entry.earlier) else None


def _round_line(checklist: Checklist, past: EarlierRound, below: str) -> str:
    """``Split (Yes: @a · No: @b) — asked again by @s below``, or ``Not sure — nobody was sure: @a, @b · …``."""
    if past.split:
        by = f" by {user(past.settled_by)}" if past.settled_by else ""
        return f"Split ({_spread_of(checklist, past.spread(), bold=False)}) — asked again{by} {below}"
    voters = list(past.votes)
    who = f"only {user(voters[0])} voted" if len(voters) == 1 else "nobody was sure: " + ", ".join(map(user, voters))
    return f"Not sure — {who} · asked again {below}"


def card_text(ev: Evaluation, checklist: Checklist, question_id: str, card_ts: str | None = None) -> str:
    """The notification text (what push notifications, the Activity list and screen readers read): the full question
    while the card takes answers, what its blocks say once it no longer does, what changed first. ``card_ts``: of
    that card (None: the card being posted), whose question may have been asked again below it."""
    q = checklist.question(question_id)
    asking = f"Question {q.number} of {len(checklist.questions)}"
    if card_ts is None or (card := ev.cards.get(card_ts)) is None:
        return f"{asking}: {esc(q.text)}"
    head = f"{q.key} ({short(q)})"
    if ev.card_for(q.id) != card_ts:
        past = _round_on(ev, ev.answers[q.id], card_ts) if ev.mode == "vote" and q.id in ev.answers else None
        return f"{head}: {'split' if past is not None and past.split else 'Not sure'} — asked again below"
    if card_state(ev, q.id) == "split":
        return f"{asking}: split, waiting for {user(ev.started_by)} to choose the team answer · {short(q)}"
    if card.open:
        return f"{asking}: {esc(q.text)}"
    entry = ev.answers.get(q.id)
    if entry is None:
        return f"{head}: closed before anyone answered"
    if entry.value is None:
        again = _left_text(ev, q, entry)
        return f"{head}: Not sure" + (f" — {again}" if again else "")
    return f"{head}: {checklist.option(entry.value).label} — {_answered_by(ev, q, entry)}"


def _left_text(ev: Evaluation, q: Question, entry: AnswerEntry) -> str | None:
    """:func:`_what_next`, short: ``asked again before the end``, ``left for the team``."""
    if ev.status == "deleted":
        return None
    if asked_again(entry.skips):
        return "asked again before the end"
    return "left for the starter, a lead or an admin to answer" if left_open_by(ev, q.id) else "left for the team"


def _answered_by(ev: Evaluation, q: Question, entry: AnswerEntry) -> str:
    """Who gave an answer, as its record line says (:func:`_record_line`) without the spread: ``@dev``, ``team
    answer settled by @maya``, ``agreed: @a, @b``."""
    ballot = ev.ballots.get(q.id)
    revealed = ballot if ballot is not None and ballot.revealed else None
    if revealed is not None and entry.settled_by:
        how = "team answer settled" if len(revealed.decided()) > 1 else "changed"
        return f"{how} by {user(entry.settled_by)}"
    if revealed is not None and entry.previous is None and revealed.decided() == {entry.value}:
        answered = revealed.spread()[entry.value]
        return "agreed: " + ", ".join(map(user, answered)) if len(answered) >= 2 else f"only {user(answered[0])} voted"
    return user(entry.by)


def _split_head(checklist: Checklist, q: Question, counts: SplitCounts) -> str:
    """``q1 (500+ labeled examples) split — Yes 1 · No 1``: the start of the split reply, before and after."""
    spread = " · ".join(f"{'Not sure' if v is None else checklist.option(v).label} {n}" for v, n in counts)
    return f"{q.key} ({short(q)}) split — {spread}"


def split_ping_text(ev: Evaluation, checklist: Checklist, question_id: str, card_link: str | None) -> str:
    """The one reply that tells the starter a split card waits for them (a card's redraw notifies nobody):
    ``@maya: q1 (500+ labeled examples) split — Yes 1 · No 1. The team answer is yours to choose on the card …``."""
    q = checklist.question(question_id)
    counts = ev.ballots[q.id].counts()
    card = f"<{card_link}|the card>" if card_link else "the card"
    return (f"{user(ev.started_by)}: {_split_head(checklist, q, counts)}. The team answer is yours to choose on "
            f"{card} (a lead or a workspace admin may too), or Not sure "
            f"{_not_sure_then(not_sure_votes_again(ev, q.id), 'you, a lead or an admin pick it')}.")


def split_settled_text(checklist: Checklist, split: UpdateSplit) -> str:
    """What that reply says once the split no longer waits (:class:`UpdateSplit`): how it ended, and no call to act.
    ``q1 (500+ labeled examples) split — Yes 1 · No 1. Settled by @maya: Yes.``"""
    head = _split_head(checklist, checklist.question(split.question), split.counts)
    if split.value is not None:
        return f"{head}. Settled by {user(split.by)}: {checklist.option(split.value).label}."
    if split.again:
        return f"{head}. Asked again by {user(split.by)}: the team votes on it again before the end."
    return f"{head}. Left open by {user(split.by)}: it was voted on twice, so it stays without an answer."
