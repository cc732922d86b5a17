"""The walk-through as pure transitions over an :class:`Evaluation`.

Each transition mutates the evaluation it is given and returns an :class:`Outcome`: whether it applied,
a message for the person when it did not, and the *effects* the front end owes (post the next card,
update the root message, post the scorecard). Effects are also kept in ``evaluation.pending`` until the
front end has carried them out, so a crash between saving and posting is repaired on restart.

Effects are strings: ``card:<ts>`` (update that card), ``ask:<question id>`` (post a card),
``root`` (update the root message), ``scorecard`` (post or update the scorecard), ``provisional``
(post a provisional scorecard: only questions skipped twice remain).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from conversations.models import AnswerEntry, Card, Evaluation, SuggestionRef, project_key, utcnow
from scoring.checklist import Checklist

SKIP = "skip"  # the option key of "Not sure"

OutcomeStatus = Literal["ok", "taken", "closed", "unknown_card", "unchanged", "invalid"]


class Outcome(BaseModel):
    status: OutcomeStatus
    message: str | None = None  # for the person who acted, when status is not ok
    effects: list[str] = Field(default_factory=list)
    completed: bool = False

    @property
    def applied(self) -> bool:
        return self.status == "ok"


def start(*, team: str, channel: str, project: str, checklist: Checklist, user: str,
          origin: Literal["slack", "terminal"] = "slack", previous: Evaluation | None = None,
          now: datetime | None = None) -> Evaluation:
    """A new evaluation; with ``previous`` it is a re-evaluation pre-filled with last time's answers."""
    now = now or utcnow()
    ev = Evaluation(team=team, channel=channel, project=project.strip(), project_key=project_key(project),
                    checklist=checklist.id, started_by=user, started_at=now, last_activity=now, origin=origin)
    if previous is not None:
        ev.previous_id = previous.id
        ev.prefill = {q: v for q, v in previous.scored().items() if _known(checklist, q)}
    return ev


def _known(checklist: Checklist, question_id: str) -> bool:
    try:
        checklist.question(question_id)
    except KeyError:
        return False
    return True


def next_question(ev: Evaluation, checklist: Checklist) -> str | None:
    """First question never asked; else the first skipped once (asked again before the scorecard)."""
    open_questions = {c.question for c in ev.open_cards().values()}
    for q in checklist.questions:
        if q.id not in ev.answers and q.id not in open_questions:
            return q.id
    for q in checklist.questions:
        entry = ev.answers.get(q.id)
        if entry is not None and entry.value is None and entry.skips == 1 and q.id not in open_questions:
            return q.id
    return None


def is_complete(ev: Evaluation, checklist: Checklist) -> bool:
    return all(ev.value(q.id) is not None for q in checklist.questions)


def begin(ev: Evaluation, checklist: Checklist) -> Outcome:
    """Effects owed right after creation: the root message, then the first card."""
    first = next_question(ev, checklist)
    effects = ["root"] + ([f"ask:{first}"] if first else [])
    ev.pending = list(effects)
    return Outcome(status="ok", effects=effects)


def discard(ev: Evaluation) -> None:
    """Mark an evaluation deleted (kept for the audit trail, hidden everywhere)."""
    ev.status = "deleted"
    ev.pending = []


def card_posted(ev: Evaluation, question_id: str, ts: str) -> None:
    ev.cards.setdefault(ts, Card(question=question_id))  # a fast click may have adopted it already
    _done(ev, f"ask:{question_id}")


def root_posted(ev: Evaluation, ts: str) -> None:
    ev.thread_ts = ts


def scorecard_posted(ev: Evaluation, ts: str) -> None:
    ev.scorecard_ts = ts


def effect_done(ev: Evaluation, effect: str) -> None:
    _done(ev, effect)


def _done(ev: Evaluation, effect: str) -> None:
    if effect in ev.pending:
        ev.pending.remove(effect)


def answer(ev: Evaluation, checklist: Checklist, *, card_ts: str, user: str, value: float | None,
           question: str | None = None, now: datetime | None = None) -> Outcome:
    """Answer the question on an open card; ``value`` None means "Not sure" (skip for now).

    ``question`` (carried by the click) lets a click on a card that Slack has shown but whose ts is not
    recorded yet (the post is still owed) be accepted instead of refused.
    """
    now = now or utcnow()
    if card_ts not in ev.cards and question and f"ask:{question}" in ev.pending:
        ev.cards[card_ts] = Card(question=question)
        _done(ev, f"ask:{question}")  # the card exists: someone just clicked it; repair must not post it again
    card = ev.cards.get(card_ts)
    if card is None:
        return Outcome(status="unknown_card",
                       message="That card is not part of this evaluation any more. Use the newest card in the thread.")
    prior = ev.answers.get(card.question)
    if not card.open and prior is not None and prior.by == user and prior.value == value:
        return Outcome(status="unchanged")  # the same click again (double click or a redelivery): nothing to say
    if ev.status != "in_progress" and not card.open:
        return Outcome(status="closed", message=_taken_message(ev, checklist, card.question, user))
    if not card.open:
        return Outcome(status="taken", message=_taken_message(ev, checklist, card.question, user))
    if value is not None:
        checklist.option(value)  # raises KeyError on a value the checklist does not allow
    question = card.question
    skips = (prior.skips if prior else 0) + (1 if value is None else 0)
    ev.answers[question] = AnswerEntry(
        question=question, value=value, by=user, at=now, skips=skips,
        suggestion=ev.suggestions.get(question),
        note=prior.note if prior else None, note_by=prior.note_by if prior else None,
    )
    card.open = False
    return _after_change(ev, checklist, [f"card:{card_ts}"], now)


def change(ev: Evaluation, checklist: Checklist, *, question: str, user: str, value: float,
           now: datetime | None = None) -> Outcome:
    """Change (or give, after a skip) the answer to a question that already has a card."""
    now = now or utcnow()
    q = checklist.question(question)
    checklist.option(value)
    prior = ev.answers.get(q.id)
    if prior is None:
        return Outcome(status="invalid", message=f"{q.key} has not been asked yet; answer it on its card.")
    if prior.value == value:
        return Outcome(status="unchanged", message=f"{q.key} is already {checklist.option(value).label}.")
    ev.answers[q.id] = prior.model_copy(update={
        "value": value, "by": user, "at": now, "previous": prior.value,
        "suggestion": ev.suggestions.get(q.id, prior.suggestion)})
    effects = []
    for card in ev.cards.values():
        if card.question == q.id:
            card.open = False
    ts = ev.card_for(q.id)
    if ts:
        effects.append(f"card:{ts}")
    return _after_change(ev, checklist, effects, now)


def add_note(ev: Evaluation, checklist: Checklist, *, question: str, user: str, note: str,
             now: datetime | None = None) -> Outcome:
    q = checklist.question(question)
    entry = ev.answers.get(q.id)
    text = note.strip()
    if not text:
        return Outcome(status="invalid", message="The note is empty; write something or cancel.")
    if len(text) > 1000:
        return Outcome(status="invalid", message=f"Notes are limited to 1,000 characters (this one has {len(text)}).")
    if entry is None:
        return Outcome(status="invalid", message=f"Answer {q.key} first, then add a note to it.")
    entry.note, entry.note_by = text, user
    ev.last_activity = now or utcnow()
    effects = [f"card:{ts}" for ts in [ev.card_for(q.id)] if ts]
    if ev.status == "completed":
        effects.append("scorecard")
    ev.pending += [e for e in effects if e not in ev.pending]
    return Outcome(status="ok", effects=effects)


def apply_suggestions(ev: Evaluation, suggestions: Mapping[str, SuggestionRef]) -> list[str]:
    """Store suggestions for questions nobody has answered yet; returns the question ids refreshed.

    Answered questions keep their answers and the suggestion that was shown when they were answered.
    """
    refreshed = []
    for qid, ref in suggestions.items():
        entry = ev.answers.get(qid)
        if entry is None or entry.value is None:
            ev.suggestions[qid] = ref
            refreshed.append(qid)
    effects = [f"card:{ts}" for ts, c in ev.open_cards().items() if c.question in refreshed]
    ev.pending += [e for e in effects if e not in ev.pending]
    return refreshed


def _after_change(ev: Evaluation, checklist: Checklist, effects: list[str], now: datetime) -> Outcome:
    ev.last_activity = now
    ev.idle_nudged = False
    completed = False
    if ev.status == "in_progress":
        nxt = next_question(ev, checklist)
        if nxt:
            effects.append(f"ask:{nxt}")
        elif is_complete(ev, checklist):
            ev.status, ev.completed_at, completed = "completed", now, True
            effects.append("scorecard")
        elif not ev.open_cards():
            effects.append("provisional")
    else:
        effects.append("scorecard")
    effects.append("root")
    ev.pending += [e for e in effects if e not in ev.pending]
    return Outcome(status="ok", effects=effects, completed=completed)


def _taken_message(ev: Evaluation, checklist: Checklist, question: str, user: str) -> str:
    entry = ev.answers.get(question)
    q = checklist.question(question)
    if entry is None:
        return f"{q.key} is no longer open."
    label = "Not sure" if entry.value is None else checklist.option(entry.value).label
    who = "You" if entry.by == user else f"<@{entry.by}>"
    when = entry.at.strftime("%H:%M UTC")
    return (f"{who} already answered {q.key} ({label}) at {when}. "
            "To change it, use “Change answer” on the card.")
