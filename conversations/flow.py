"""The walk-through as pure transitions over an :class:`Evaluation`; the moves are declared in ``walk.py``.

Each transition mutates the evaluation it is given and returns an :class:`Outcome`: whether it applied,
a :class:`Notice` for the person when it did not, the moves of the walk it made, and the effects those
moves owe (taken from ``walk.owes``). The owed effects are also added to ``evaluation.pending`` (the
outbox) in the same write, so nothing owed is lost to a crash. Vote-mode moves live in ``voting.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, Field

from conversations import walk
from conversations.effects import (
    LEASE_S,
    BookReminder,
    Effect,
    Headline,
    Owed,
    PostCard,
    PostDecisionChange,
    PostNote,
    PostRoot,
    PostScorecard,
    PostSplit,
    ReadVia,
    RedrawDeletedReport,
    TellUndelivered,
    UpdateCard,
    UpdateRoot,
)
from conversations.models import (
    AnswerEntry,
    Card,
    EarlierRound,
    Evaluation,
    Mode,
    SuggestionRef,
    project_key,
    utcnow,
)
from scoring.checklist import Checklist
from scoring.scorecard import Decided, score, with_totals
from scoring.verdict import decided_of

SKIP = "skip"  # the option key of "Not sure"
NOTE_MAX = 1000

# how a team vote gave last time's answer (``Evaluation.prefill_team``): agreed, a split settled, changed after it
TeamHow = Literal["vote", "split", "changed"]
TEAM_HOWS: tuple[TeamHow, ...] = ("vote", "split", "changed")
OutcomeStatus = Literal["ok", "refused", "unchanged"]
NoticeKind = Literal["taken", "closed", "deleted", "unknown_card", "unchanged", "invalid", "not_allowed",
                     "revealed", "not_split", "voted", "team_answer", "other_channel"]


class Notice(BaseModel):
    """Why an action did not apply, as data; the front end words it (``bot/blocks/notices.py``)."""

    kind: NoticeKind
    question: str | None = None  # the question's key ("q3")
    by: str | None = None  # who answered first (a user id)
    label: str | None = None  # what they answered
    at: datetime | None = None
    actor: str | None = None  # who acted (so the front end can say "you")
    detail: str | None = None  # a plain sentence, for ``invalid``; ``closed``: "abandoned" (closed for inactivity)
    project: str | None = None  # ``closed`` for inactivity: the project, so the words can say how to start anew
    round: int | None = None  # ``unknown_card`` on a question asked again: which round of it the card held (1 = first)
    team: bool | None = None  # ``revealed``: the card's answer is the team's (a vote's, or a split's to choose)
    # ``unknown_card`` (:func:`not_saved`): the question the saved evaluation asks now (its key), and how many of the
    # checklist's questions it has answered
    asks: str | None = None
    answered: int | None = None
    total: int | None = None


class Outcome(BaseModel):
    status: OutcomeStatus
    notice: Notice | None = None
    effects: list[Effect] = Field(default_factory=list)
    moves: list[str] = Field(default_factory=list)  # walk rows that fired, "event:source->target"
    completed: bool = False
    # a refusal's redraws of what is stored, booked by the engine for a moment later (``engine.Rechecks``, one
    # read): the thread shows a state the saved evaluation does not hold (:func:`not_saved`); nothing is owed
    redraw: list[Effect] = Field(default_factory=list)

    @property
    def applied(self) -> bool:
        return self.status == "ok"


def refused(kind: NoticeKind, **fields: object) -> Outcome:
    return Outcome(status="refused", notice=Notice.model_validate({"kind": kind, **fields}))


def invalid(text: str) -> Outcome:
    return refused("invalid", detail=text)


def refuse_closed(ev: Evaluation, question_key: str | None, user: str | None = None) -> Outcome:
    """A click on an evaluation that is over: finished, or closed for inactivity (``at``: when it was closed)."""
    if ev.status == "abandoned":
        return refused("closed", question=question_key, actor=user, detail="abandoned", at=ev.completed_at,
                       project=ev.project)
    return refused("closed", question=question_key, actor=user)


# -- states -----------------------------------------------------------------------------------------------

def card_state(ev: Evaluation, question_id: str) -> walk.CardState:
    entry = ev.answers.get(question_id)
    if entry is not None and entry.value is not None:
        return "answered"
    ballot = ev.ballots.get(question_id)
    if ballot is not None and ballot.revealed and len(ballot.decided()) > 1 and (entry is None or not entry.settled_by):
        return "split"  # until the starter or a lead settles it (as Not sure: skipped, below)
    if any(c.open and c.question == question_id for c in ev.cards.values()):
        return "asked"  # a fresh card, or a skipped question asked again
    if entry is not None:
        return "skipped"
    return "asked" if ev.cards_of(question_id) else "unasked"


class Move:
    """Collects the moves of one transition and the effects they owe (deduplicated, in order)."""

    def __init__(self, ev: Evaluation) -> None:
        self.ev = ev
        self.moves: list[str] = []
        self.effects: list[Effect] = []

    def make(self, event: walk.Event, source: str, target: str, question: str | None = None) -> None:
        """Record a move of the walk and owe what its row owes, but :data:`BUILT_BY_CALLER`: the caller owes those."""
        self.moves.append(walk.row_id(event, source, target))
        for kind in walk.owes(event, source, target):
            if kind not in BUILT_BY_CALLER:
                self.owe(_effect(kind, question))

    def owe(self, effect: Effect) -> None:
        if all(e.key != effect.key for e in self.effects):
            self.effects.append(effect)

    def outcome(self, *, completed: bool = False) -> Outcome:
        # posts first, the root last: the root names (and links) the card just posted
        self.effects.sort(key=lambda e: _ORDER.index(e.kind))
        mine = owe(self.ev, self.effects)
        return Outcome(status="ok", effects=mine, moves=list(self.moves), completed=completed)


# effects that carry more than a question (which card split, how it ended): the transition making the move owes them
BUILT_BY_CALLER = frozenset({"post_split", "update_split"})

_ORDER = ("post_root", "post_card", "update_card", "update_split", "post_scorecard", "post_decision_change",
          "post_note", "tell_undelivered", "update_root", "book_reminder")


def _effect(kind: walk.EffectKind, question: str | None) -> Effect:
    if kind in ("post_card", "update_card"):
        if question is None:
            raise ValueError(f"{kind} needs a question")
        return PostCard(question=question) if kind == "post_card" else UpdateCard(question=question)
    return _FIXED[kind]


_FIXED: dict[str, Effect] = {"post_root": PostRoot(), "update_root": UpdateRoot(), "post_scorecard": PostScorecard(),
                             "post_note": PostNote(), "book_reminder": BookReminder()}  # frozen: one of each is shared


def owe(ev: Evaluation, effects: list[Effect], now: datetime | None = None) -> list[Effect]:
    """Add effects to the outbox and return what this writer now owns and should deliver at once.

    A post already owed belongs to whoever owed it first (delivering it again could duplicate it); an update
    already owed is re-owed at this version, so an older delivery cannot clear it.
    """
    at = (now or utcnow()).timestamp()
    owed = {o.key: o for o in ev.pending}
    mine: list[Effect] = []
    for effect in effects:
        if isinstance(effect, UpdateRoot) and "post_root" in owed:
            continue  # the root, once posted, already shows the current state
        entry = owed.get(effect.key)
        if entry is None:
            entry = Owed(effect=effect, next_at=at + LEASE_S, since=ev.version)
            ev.pending.append(entry)
            owed[effect.key] = entry
            mine.append(effect)
            continue
        entry.since = ev.version  # owed again at this version: an older delivery must not clear it
        if redraws(ev, effect):
            mine.append(effect)
    return mine


def redraws(ev: Evaluation, effect: Effect) -> bool:
    """True when delivering ``effect`` redraws a message that exists: every update, and the scorecard once it is
    posted (a change after completion). Any writer that owes a redraw draws it, the newest state last; a new
    message is posted only by the writer that owed it first."""
    return not effect.posts or (isinstance(effect, PostScorecard) and ev.scorecard_ts is not None)


def delivered(ev: Evaluation, key: str, rendered: int | None = None) -> None:
    """Clear an owed effect; with ``rendered`` (the version the delivery showed) only owings older than it."""
    ev.pending = [o for o in ev.pending if o.key != key or (rendered is not None and o.since >= rendered)]


# -- creating ---------------------------------------------------------------------------------------------

def start(*, team: str, channel: str, project: str, checklist: Checklist, user: str,
          origin: Literal["slack", "terminal"] = "slack", previous: Evaluation | None = None,
          mode: Mode = "quick", quorum: int = 3, now: datetime | None = None,
          fresh_after: Evaluation | None = None) -> Evaluation:
    """A new evaluation; with ``previous`` it is a re-evaluation pre-filled with last time's answers. A fresh start
    of a project with a result (``--fresh``) passes that evaluation as ``fresh_after``: nothing is pre-filled, and
    its scorecard still says the change since then."""
    now = now or utcnow()
    ev = Evaluation(team=team, channel=channel, project=project.strip(), project_key=project_key(project),
                    checklist=checklist.id, started_by=user, started_at=now, last_activity=now, origin=origin,
                    mode=mode, quorum=quorum)
    ev.previous_result = _last_result(fresh_after, checklist)
    if previous is not None:
        ev.previous_id = previous.id
        ev.prefill = {q: v for q, v in previous.scored().items() if _fits(checklist, q, v)}
        ev.not_prefilled = {q: v for q, v in previous.scored().items() if q not in ev.prefill}
        noted = {q: a for q, a in previous.answers.items() if a.note and _known(checklist, q)}
        ev.prefill_notes = {q: a.note for q, a in noted.items() if a.note}
        ev.prefill_note_by = {q: by for q, a in noted.items() if (by := a.note_by or a.by)}
        _keep_whose(ev, previous)
        ev.previous_result = _last_result(previous, checklist)
    return ev


def _keep_whose(ev: Evaluation, previous: Evaluation) -> None:
    """Whose last time's answers were, and when (``prefill_by``, ``prefill_team``, ``prefill_at``): user ids and one
    date, grouped so that each id is written once."""
    for q in previous.scored():
        by, team = _whose(previous, q)
        if by is not None:
            ev.prefill_by.setdefault(by, []).append(q)
        if team is not None and team != "vote":  # the votes agreed: the answer that is nobody's (``last_time_of``)
            ev.prefill_team.setdefault(team, []).append(q)
    ev.prefill_at = previous.completed_at or previous.last_activity


def _whose(previous: Evaluation, question_id: str) -> tuple[str | None, TeamHow | None]:
    """Who gave ``previous``'s answer, and how a team vote gave it: the votes agreed (nobody alone: no one named), a
    split settled by the starter or a lead, or their change after the vote."""
    entry = previous.answers[question_id]
    if not team_answer(previous, question_id):
        return entry.by, None
    if entry.settled_by is None:
        return None, "vote"
    ballot = previous.ballots.get(question_id)
    split = ballot is not None and ballot.revealed and len(ballot.decided()) > 1
    return entry.settled_by, "split" if split else "changed"


def _last_result(last: Evaluation | None, checklist: Checklist) -> Decided | None:
    """``last``'s result as it was decided, with the totals fingerprint that says whether a total scored with
    ``checklist`` compares with it (told by its answers when it was kept without one: ``with_totals``)."""
    if last is None or last.decided is None or last.checklist != checklist.id:
        return None if last is None else last.decided
    return with_totals(last.decided, checklist, last.scored())


def previous_result(ev: Evaluation, checklist: Checklist) -> Decided | None:
    """The result a re-evaluation re-evaluates (``previous_result``), with the totals fingerprint that says whether
    today's total compares with it. One kept before results recorded that fingerprint is told by last time's answers,
    which the re-evaluation keeps (``prefill``, and ``not_prefilled`` for those the checklist no longer takes),
    scored with ``checklist`` (``scoring.scorecard.totals_of``). A fresh start keeps none: its result compares only
    with one scored with the checklist as it was then."""
    then = ev.previous_result
    return None if then is None else with_totals(then, checklist, last_answers(ev))


def last_answers(ev: Evaluation) -> dict[str, float]:
    """A re-evaluation's copy of the answers of the result it re-evaluates, pre-filled or not (none for a fresh
    start or a first evaluation)."""
    return {**ev.not_prefilled, **ev.prefill}


class LastTime(NamedTuple):
    """A re-evaluation: last time's answer to a question, whose it was and when (:func:`last_time_of`)."""

    value: float
    by: str | None  # who gave it; of a team's answer, who settled or changed it (None: the votes agreed, or not kept)
    team: TeamHow | None  # a team vote's answer: how the vote gave it
    at: datetime | None  # when the evaluation it comes from was completed (None: a re-evaluation kept before it)
    note: str | None  # its note then, and who wrote it
    note_by: str | None


def whose_words(team: str | None, by: str | None) -> str:
    """``team vote``, ``split, settled by <by>``, ``changed by <by> after the vote``, or ``<by>``: whose last time's
    answer was, in words every front end shares; ``by``: the person as that front end names them (a mention, a
    name), None when not known."""
    if team == "vote":
        return "team vote"
    if team == "split":
        return f"split, settled by {by or 'the starter'}"
    if team == "changed":
        return f"changed by {by or 'the starter'} after the vote"
    return by or ""


def last_time_of(ev: Evaluation, question_id: str) -> LastTime | None:
    """Last time's answer to the question, pre-filled or not (``last_answers``), with whose it was; None when there
    is none (a first evaluation, a fresh start, or the question was not answered then)."""
    value = last_answers(ev).get(question_id)
    if value is None:
        return None
    by = next((uid for uid, questions in ev.prefill_by.items() if question_id in questions), None)
    team = next((how for how, questions in ev.prefill_team.items() if question_id in questions), None)
    if by is None and team is None and ev.prefill_at is not None:  # kept with whose, yet nobody's: the votes agreed
        team = "vote"
    return LastTime(value=value, by=by, team=team if team in TEAM_HOWS else None, at=ev.prefill_at,
                    note=ev.prefill_notes.get(question_id), note_by=ev.prefill_note_by.get(question_id))


def note_carried(ev: Evaluation, question_id: str) -> bool:
    """Whether the answer's note is last time's, carried onto it by :func:`carried_note` (not written in this
    evaluation): the same words by the same person."""
    entry = ev.answers.get(question_id)
    return (entry is not None and entry.note is not None and entry.note == ev.prefill_notes.get(question_id)
            and entry.note_by == ev.prefill_note_by.get(question_id))


def carried_note(ev: Evaluation, question_id: str, value: float | None, prior: AnswerEntry | None) -> dict[str, Any]:
    """The note an answer keeps: one added while the question waited (skipped, split), else, on a re-evaluation,
    last time's note when last time's answer is confirmed (it still explains it; a different answer drops it)."""
    if prior is not None and prior.note:
        return {"note": prior.note, "note_by": prior.note_by}
    if value is not None and ev.prefill.get(question_id) == value and question_id in ev.prefill_notes:
        return {"note": ev.prefill_notes[question_id], "note_by": ev.prefill_note_by.get(question_id)}
    return {}


def _known(checklist: Checklist, question_id: str) -> bool:
    try:
        checklist.question(question_id)
    except KeyError:
        return False
    return True


def _fits(checklist: Checklist, question_id: str, value: float) -> bool:
    """Whether last time's answer can be offered again: its question is still asked and its value is still an
    option (a team may change its checklist's options: Yes/Partly/No to Pass/Fail)."""
    return _known(checklist, question_id) and checklist.allows(value)


def not_carried(then: Mapping[str, float], checklist: Checklist) -> tuple[list[str], int]:
    """Of last time's answers ``then`` (question id -> value), what a re-evaluation does not pre-fill because the
    checklist changed since: the ids of questions whose answer then is no longer an option (in checklist order), and
    how many answers were to questions no longer in it."""
    retired = [q for q, v in then.items() if _known(checklist, q) and not checklist.allows(v)]
    gone = sum(1 for q in then if not _known(checklist, q))
    return sorted(retired, key=lambda q: checklist.question(q).number), gone


def stale_prefill(ev: Evaluation, checklist: Checklist) -> list[str]:
    """The questions whose pre-filled answer (last time's) the checklist no longer offers: it changed during the
    re-evaluation (the question is gone, or its answer is no longer an option)."""
    return [q for q, v in ev.prefill.items() if not _fits(checklist, q, v)]


def drop_stale_prefill(ev: Evaluation, checklist: Checklist) -> bool:
    """Stop offering what :func:`stale_prefill` names (kept in ``not_prefilled``, which the thread names); True when
    something was dropped."""
    stale = stale_prefill(ev, checklist)
    for q in stale:
        ev.not_prefilled[q] = ev.prefill.pop(q)
    return bool(stale)


def seal(ev: Evaluation, checklist: Checklist) -> None:
    """Keep the result of a completed evaluation with it (``Evaluation.decided``), with the fingerprint of the
    checklist it was scored with: a later change of the checklist does not rewrite the decision."""
    ev.decided = decided_of(score(checklist, ev.scored()), checklist.fingerprint)


def begin(ev: Evaluation, checklist: Checklist) -> Outcome:
    """Right after creation: the root message, then the first card."""
    move = Move(ev)
    move.make("start", "new", "in_progress")
    first = next_question(ev, checklist)
    if first:
        move.make("ask", "unasked", "asked", first)
    return move.outcome()


def discard(ev: Evaluation, by: str | None = None, now: datetime | None = None) -> Outcome:
    """Mark an evaluation deleted (kept for the audit trail, hidden everywhere), by ``by``; nothing more is owed but
    the redraw of a report line still quoting a deleted description (:func:`still_owed_when_deleted`).
    The delete is its last activity: its audit entry, and what says when it was deleted, take that time."""
    move = Move(ev)
    if ev.status != "deleted":
        move.make("discard", ev.status, "deleted")
        ev.deleted_by, ev.last_activity = by, now or utcnow()
    ev.status = "deleted"
    ev.pending = still_owed_when_deleted(ev)
    return Outcome(status="ok", moves=move.moves)


def still_owed_when_deleted(ev: Evaluation) -> list[Owed]:
    """What a deleted evaluation still owes: the redraw of a line quoting a description deleted before it (perhaps
    confidential, the thread stays in Slack), and the notice that it could not be redrawn. Nothing else is posted."""
    reports = {o.key for o in ev.pending if isinstance(o.effect, RedrawDeletedReport)}
    return [o for o in ev.pending if o.key in reports
            or (isinstance(o.effect, TellUndelivered) and o.effect.what in reports)]


def abandon(ev: Evaluation, now: datetime | None = None) -> Outcome:
    """Nobody came back after the nudge: close it, note it in the thread; `/ftcheck start` begins afresh."""
    if ev.status != "in_progress":
        return Outcome(status="unchanged")
    ev.status, ev.completed_at = "abandoned", now or utcnow()
    move = Move(ev)
    move.make("abandon", "in_progress", "abandoned")
    close_open_cards(ev, move)
    return move.outcome()


def unasked(ev: Evaluation, checklist: Checklist) -> str | None:
    """The question the walk waits for while nothing in the thread asks it, or None.

    That happens when Slack refused its card for good (the bot was removed from the channel, the channel was
    archived, or 8 attempts failed): the outbox gave the post up, so no card is open and none is owed.
    """
    if ev.status != "in_progress" or ev.thread_ts is None or ev.open_cards():
        return None
    if any(isinstance(o.effect, PostCard) for o in ev.pending):
        return None  # on its way
    return next_question(ev, checklist)


def resume(ev: Evaluation, checklist: Checklist, now: datetime | None = None) -> Outcome:
    """Ask the waiting question again when its card was given up on (:func:`unasked`): the same ``ask`` move
    the walk makes after an answer. Unchanged when a card is out or on its way, or nothing is left to ask. An open
    card whose question the checklist dropped since is closed, and the walk goes on (:func:`move_past_gone`)."""
    if ev.status == "in_progress" and gone_cards(ev, checklist):
        return move_past_gone(ev, checklist, now)
    question = unasked(ev, checklist)
    if question is None:
        return Outcome(status="unchanged")
    ev.last_activity = now or utcnow()  # someone came back for it: the idle watch starts over
    ev.idle_nudged, ev.idle_check_at = False, None
    move = Move(ev)
    move.make("ask", card_state(ev, question), "asked", question)
    # what was given up with the card (the same fault: an archived channel, the bot removed) is redrawn too: a card
    # answered meanwhile would otherwise keep offering its buttons, and the root its old count
    for key in list(ev.undelivered):
        kind, _, qid = key.partition(":")
        if kind == "update_card" and qid:
            move.owe(UpdateCard(question=qid))
        elif kind == "update_root":
            move.owe(UpdateRoot())
        else:
            continue
        ev.undelivered.remove(key)
    return move.outcome()


# -- the checklist changed while a card was out ------------------------------------------------------------

def gone_cards(ev: Evaluation, checklist: Checklist) -> list[str]:
    """The open cards (their ts) whose question the checklist no longer has: a team dropped it from its checklist
    file while the card was out."""
    return [ts for ts, card in ev.open_cards().items() if not checklist.asks(card.question)]


def move_past_gone(ev: Evaluation, checklist: Checklist, now: datetime | None = None) -> Outcome:
    """Close the open cards of :func:`gone_cards` and go on: the next question, or the scorecard (``advance``
    closes them). Nothing is recorded for a question the checklist no longer asks."""
    if ev.status != "in_progress" or not gone_cards(ev, checklist):
        return Outcome(status="unchanged")
    move = Move(ev)
    return move.outcome(completed=advance(ev, checklist, move, now or utcnow()))


def changed_under(ev: Evaluation, checklist: Checklist, *, card_ts: str, question: str | None,
                  option: str | None) -> Outcome | None:
    """A click the checklist changed under, else None (:func:`answer` or ``voting.vote`` takes it): on the card of
    a question the checklist no longer has, or on a button of an option it no longer has (Yes/Partly/No became
    Pass/Fail while the card was out). Nothing is recorded and the person is told why. The walk goes on: a card
    whose question is gone closes (the next question is asked); a card with old buttons is redrawn with today's.
    A click on a deleted evaluation, or on a card the saved evaluation does not hold, is refused here too, alike
    in both modes (:func:`find_card`)."""
    old_button = option is not None and option != SKIP and not any(option == o.key for o in checklist.options)
    found = find_card(ev, card_ts, question, checklist)
    if isinstance(found, Outcome):
        return found  # deleted, or a card the saved evaluation does not know (:func:`not_saved`), in either mode
    if not checklist.asks(found.question):
        return _question_gone(ev, checklist, found)
    return _old_buttons(ev, checklist, found) if old_button else None


def retired_choice(checklist: Checklist, question: str, option: str | None) -> str | None:
    """Why a choice from a menu or button drawn before the team changed its checklist cannot be taken ("Change to
    Partly" on an answered card, a split card's team answer), else None: its question or its option is gone."""
    if not _known(checklist, question):
        return ("This card's question is no longer in the checklist (the team changed its checklist after the card "
                "was posted), so nothing was changed.")
    if option is None or option == SKIP or any(option == o.key for o in checklist.options):
        return None
    options = " / ".join(o.label for o in checklist.options)
    return (f"That choice is no longer an answer to {checklist.question(question).key}: the team changed its "
            f"checklist's answers to {options}, so nothing was changed.")


def _question_gone(ev: Evaluation, checklist: Checklist, card: Card) -> Outcome:
    text = ("This card's question is no longer in the checklist (the team changed its checklist after the card was "
            "posted), so nothing was recorded")
    if not card.open or ev.status != "in_progress":
        return invalid(f"{text}.")
    outcome = move_past_gone(ev, checklist)
    outcome.notice = Notice(kind="invalid", detail=f"{text}; the evaluation goes on without it.")
    return outcome


def _old_buttons(ev: Evaluation, checklist: Checklist, card: Card) -> Outcome:
    options = " / ".join(o.label for o in checklist.options)
    text = (f"That button is no longer an answer to {checklist.question(card.question).key}: the team changed its "
            f"checklist's answers to {options}, so nothing was recorded")
    if not card.open or ev.status != "in_progress":
        return invalid(f"{text}.")
    move = Move(ev)
    move.owe(UpdateCard(question=card.question))  # today's buttons (no move of the walk: nothing is answered)
    outcome = move.outcome()
    outcome.notice = Notice(kind="invalid", detail=f"{text}. The card now shows today's buttons: answer there.")
    return outcome


# -- what comes next --------------------------------------------------------------------------------------

def next_question(ev: Evaluation, checklist: Checklist) -> str | None:
    """First question never asked; else the first skipped once (asked again before the scorecard)."""
    open_questions = {c.question for c in ev.open_cards().values()}
    for q in checklist.questions:
        if q.id not in ev.answers and q.id not in open_questions and not ev.cards_of(q.id):
            return q.id
    for q in checklist.questions:
        entry = ev.answers.get(q.id)
        if entry is not None and entry.value is None and asked_again(entry.skips) and q.id not in open_questions:
            return q.id
    return None


def is_complete(ev: Evaluation, checklist: Checklist) -> bool:
    return all(ev.value(q.id) is not None for q in checklist.questions)


def advance(ev: Evaluation, checklist: Checklist, move: Move, now: datetime) -> bool:
    """After a card changed: ask the next question, or complete, or stall on twice-skipped ones.

    Returns True when this move completed the evaluation.
    """
    ev.last_activity = now
    ev.idle_nudged, ev.idle_check_at = False, None
    if ev.status == "completed":
        move.make("change", "completed", "completed")
        seal(ev, checklist)  # decided anew, with the checklist of today
        return False
    if ev.status != "in_progress":
        return False  # closed for inactivity: nothing moves (the transitions refuse before this)
    drop_stale_prefill(ev, checklist)
    for ts in gone_cards(ev, checklist):  # its question was dropped from the checklist: the walk goes on without it
        ev.cards[ts].open = False
    if ev.open_cards() or any(isinstance(o.effect, PostCard) for o in ev.pending):
        return False  # one question at a time: a card is out (or on its way), e.g. after a Change answer
    nxt = next_question(ev, checklist)
    if nxt:
        move.make("ask", card_state(ev, nxt), "asked", nxt)
        if nxt in ev.ballots and (entry := ev.answers.get(nxt)) is not None:
            ballot = ev.ballots.pop(nxt)  # a re-asked vote starts a fresh round
            if ballot.revealed and ballot.votes:  # the round before stays on the answer's record: a split stays one
                entry.earlier = [*entry.earlier, EarlierRound.of(ballot.votes, entry.settled_by)]
        return False
    if is_complete(ev, checklist):
        ev.status, ev.completed_at = "completed", now
        seal(ev, checklist)
        move.make("complete", "in_progress", "completed")
        close_open_cards(ev, move)
        return True
    if not ev.open_cards():
        move.make("stall", "in_progress", "in_progress")
    return False


def close_cards_of(ev: Evaluation, question_id: str) -> None:
    """Every card of a question stops taking answers (the original and any re-ask)."""
    for card in ev.cards.values():
        if card.question == question_id:
            card.open = False


def close_open_cards(ev: Evaluation, move: Move) -> None:
    """The scorecard is out: no card in the thread keeps offering answer buttons."""
    for card in ev.cards.values():
        if card.open:
            card.open = False
            move.owe(UpdateCard(question=card.question))


# -- the front end reports what it posted -------------------------------------------------------------------

def card_posted(ev: Evaluation, question_id: str, ts: str) -> None:
    ev.cards.setdefault(ts, Card(question=question_id))  # a fast click may have adopted it already


def root_posted(ev: Evaluation, ts: str) -> None:
    ev.thread_ts = ts


def scorecard_posted(ev: Evaluation, ts: str) -> None:
    ev.scorecard_ts = ts


def split_reply_posted(ev: Evaluation, card_ts: str, ts: str) -> None:
    """The reply that told the starter the card ``card_ts`` split is ``ts`` (posted, or found by its metadata)."""
    card = ev.cards.get(card_ts)
    if card is not None:
        card.split_reply = ts


def split_told(ev: Evaluation, card_ts: str) -> bool:
    """Whether a reply told the starter that the card ``card_ts`` split, or may yet: posted, or still owed (perhaps
    under way). Such a reply is edited once the split is settled (``voting.settle``)."""
    card = ev.cards.get(card_ts)
    if card is not None and card.split_reply is not None:
        return True
    return any(isinstance(o.effect, PostSplit) and o.effect.card == card_ts for o in ev.pending)


# -- quick mode: one click answers --------------------------------------------------------------------------

def find_card(ev: Evaluation, card_ts: str, question: str | None,
              checklist: Checklist | None = None) -> Card | Outcome:
    """The card a click was on; a click on a card Slack shows but whose post is not recorded yet is adopted. One the
    saved evaluation does not know is refused (:func:`not_saved`; ``checklist`` lets the refusal name questions and
    ask one no card asks)."""
    if ev.status == "deleted":
        return refused("deleted")
    owed_post = question is not None and any(o.key == f"post_card:{question}" for o in ev.pending)
    if card_ts not in ev.cards and question and owed_post:
        ev.cards[card_ts] = Card(question=question)
        delivered(ev, f"post_card:{question}")  # someone just clicked it: the card exists, never post it again
    card = ev.cards.get(card_ts)
    if card is None:
        return not_saved(ev, checklist, question, _unknown_why(ev, question))
    return card


NotSaved = Literal["lost", "answer_lost", "copy"]


def _unknown_why(ev: Evaluation, question: str | None) -> NotSaved | None:
    """Why the saved evaluation does not know a card of ``question`` that Slack shows: it knows another card of it
    (``copy``: one posted twice, or asked again after the point it was set back to), or none, so the card was posted
    after that point (``lost``); None when that is not known (its post was given up on: Slack may have applied it)."""
    if question is None:
        return None
    if ev.cards_of(question):
        return "copy"
    return None if f"post_card:{question}" in ev.undelivered else "lost"


def not_saved(ev: Evaluation, checklist: Checklist | None, question: str | None, why: NotSaved | None) -> Outcome:
    """A click on a card the saved evaluation does not hold (or a change of an answer it does not hold): the thread
    is ahead of what is stored (Redis restarted from a snapshot, a failover lost the last writes), or shows a card
    twice. Nothing is recorded. A finished or closed evaluation refuses it as closed.

    While it is in progress, what the thread shows is out of date: the refusal redraws what is stored, a moment
    later (``Outcome.redraw``, as a click on a closed card is redrawn): the cards of the question it waits for get
    their buttons back, and the root its count. A waiting question no card asks (its card was given up on, or lost)
    is asked again, as ``/ftcheck status`` asks it (:func:`resume`). ``why``: :data:`NotSaved`, for the words."""
    key = _key(checklist, question)
    if ev.status != "in_progress":
        return refuse_closed(ev, key)
    outcome = resume(ev, checklist) if checklist is not None else Outcome(status="unchanged")
    if not outcome.applied:
        outcome = Outcome(status="refused", redraw=[*(UpdateCard(question=q) for q in waiting(ev)), UpdateRoot()])
    asks = next(iter(waiting(ev)), None)
    answered = None if checklist is None else sum(1 for q in checklist.questions if ev.value(q.id) is not None)
    outcome.notice = Notice(kind="unknown_card", question=key, detail=why, asks=_key(checklist, asks),
                            answered=answered, total=None if checklist is None else len(checklist.questions))
    return outcome


def waiting(ev: Evaluation) -> list[str]:
    """The questions the evaluation asks now: on an open card, or on a card on its way (owed, or being adopted)."""
    open_now = [c.question for c in ev.open_cards().values()]
    on_its_way = [o.effect.question for o in ev.pending if isinstance(o.effect, PostCard)]
    return list(dict.fromkeys(open_now + on_its_way))


def _key(checklist: Checklist | None, question: str | None) -> str | None:
    """The question's key ("q4") for the words; None without a checklist or for a question it no longer has."""
    if checklist is None or question is None or not _known(checklist, question):
        return None
    return checklist.question(question).key


def answer(ev: Evaluation, checklist: Checklist, *, card_ts: str, user: str, value: float | None,
           question: str | None = None, now: datetime | None = None) -> Outcome:
    """Answer the question on an open card; ``value`` None means "Not sure" (skip for now)."""
    now = now or utcnow()
    found = find_card(ev, card_ts, question, checklist)
    if isinstance(found, Outcome):
        return found
    card = found
    prior = ev.answers.get(card.question)
    if not card.open and prior is not None and prior.by == user and prior.value == value:
        return Outcome(status="unchanged")  # the same click again (double click or a redelivery)
    source = card_state(ev, card.question)
    if ev.status == "abandoned":
        return refuse_closed(ev, checklist.question(card.question).key, user)
    if not card.open or source != "asked":  # closed, or its question was answered meanwhile (Change answer)
        return _taken(ev, checklist, card.question, "closed" if ev.status != "in_progress" else "taken", user)
    if value is not None and not checklist.allows(value):  # e.g. last time's answer, no longer an option
        return _not_an_option(checklist, card.question, value)
    skips = (prior.skips if prior else 0) + (1 if value is None else 0)
    ev.answers[card.question] = AnswerEntry(
        question=card.question, value=value, by=user, at=now, skips=skips,
        suggestion=ev.suggestions.get(card.question),
        **carried_note(ev, card.question, value, prior), earlier=prior.earlier if prior else [],
        skipped_on={**(prior.skipped_on if prior else {}), **({card_ts: user} if value is None else {})})
    card.open = False
    move = Move(ev)
    move.make("answer" if value is not None else "skip", source, card_state(ev, card.question), card.question)
    return move.outcome(completed=advance(ev, checklist, move, now))


def change(ev: Evaluation, checklist: Checklist, *, question: str, user: str, value: float,
           now: datetime | None = None, may_override: bool = False) -> Outcome:
    """Change (or give, after a skip) the answer to a question that already has a card.

    ``may_override``: ``user`` may change the team's answer (:func:`team_answer`: the starter, a lead, an admin).
    Checked here, on the document being written, so votes revealed meanwhile cannot slip past a check on a read."""
    now = now or utcnow()
    q = checklist.question(question)
    prior = ev.answers.get(q.id)
    if ev.status == "deleted":
        return refused("deleted")
    if ev.status == "abandoned":
        return refuse_closed(ev, q.key, user)
    if not checklist.allows(value):
        return _not_an_option(checklist, q.id, value)
    if prior is None:
        state = card_state(ev, q.id)
        if ev.status == "in_progress" and (state == "unasked" or (state == "asked" and _asked(ev, q.id))):
            # the ⋯ menu is only on a card drawn answered: the saved evaluation lost that answer, or that card
            return not_saved(ev, checklist, q.id, "answer_lost" if state == "asked" else _unknown_why(ev, q.id))
        return invalid(f"{q.key} has not been answered yet; answer it on its card.")
    if prior.value == value:  # the person's own change clicked again says nothing; anyone else's is told
        notice = None if prior.by == user else Notice(kind="unchanged", question=q.key,
                                                          label=checklist.option(value).label)
        return Outcome(status="unchanged", notice=notice)
    source = card_state(ev, q.id)
    if source == "split":
        return invalid(f"{q.key} is split: the starter, a lead or an admin chooses the team answer on its card.")
    if team_answer(ev, q.id) and not may_override:
        return refused("team_answer", question=q.key, actor=user)
    team = team_answer(ev, q.id)
    before = _headline(ev, checklist) if ev.status == "completed" else None
    rules = _rules_moved(ev, checklist, before)  # before this change: today's rules alone may move the decision
    # the team's answer (a vote's, or settled) changed is the changer's choice over the votes: settled anew, by them
    ev.answers[q.id] = prior.model_copy(update={
        "value": value, "by": user, "at": now, "previous": prior.value,
        "previous_by": prior.by if prior.value is not None and prior.by != user and not team else None,
        "note_on": _note_on(prior, value), "suggestion": ev.suggestions.get(q.id, prior.suggestion),
        "settled_by": user if team else None})
    close_cards_of(ev, q.id)
    delivered(ev, f"post_card:{q.id}")  # a re-ask still on its way is moot now
    move = Move(ev)
    move.make("change" if source == "answered" else "answer", source, "answered", q.id)
    completed = advance(ev, checklist, move, now)
    if before is not None and prior.value is not None and before.differs(after := _headline(ev, checklist)):
        _redecide(move, PostDecisionChange(n=ev.version, question=q.id, by=user, was=prior.value,
                                           was_by=ev.answers[q.id].previous_by, now=value, before=before, after=after,
                                           rules=rules))
    return move.outcome(completed=completed)


def _note_on(prior: AnswerEntry, value: float) -> float | None:
    """The earlier answer a note kept through a change was written about (the first one it stayed through); None
    when it is about the answer now, or there is none. A note added while the question waited (Not sure) is about
    the answer it then got."""
    if not prior.note or prior.value is None:
        return None
    on = prior.value if prior.note_on is None else prior.note_on
    return None if on == value else on


def _headline(ev: Evaluation, checklist: Checklist) -> Headline:
    """The decision a completed evaluation's scorecard shows: the one it was decided with (``seal``)."""
    return Headline.of(ev.decided or decided_of(score(checklist, ev.scored()), checklist.fingerprint))


def _rules_moved(ev: Evaluation, checklist: Checklist, before: Headline | None) -> Headline | None:
    """The answers as they stand scored with today's checklist, when the kept result (``before``) was decided with one
    that has changed since and today's rules alone give another decision (or band); None otherwise. A change re-seals
    the evaluation with today's checklist (:func:`advance`), so the reply must not lay that move on the change."""
    if before is None or ev.decided is None or ev.decided.fingerprint == checklist.fingerprint:
        return None
    today = Headline.of(decided_of(score(checklist, ev.scored()), checklist.fingerprint))
    return today if before.differs(today) else None


def _redecide(move: Move, effect: PostDecisionChange) -> None:
    """The walk's ``redecide`` row; its effect carries what the reply says, so it is made here, not by ``_effect``."""
    move.moves.append(walk.row_id("redecide", "completed", "completed"))
    if walk.owes("redecide", "completed", "completed") != (effect.kind,):
        raise LookupError("the walk's redecide row owes another effect")
    move.owe(effect)


def team_answer(ev: Evaluation, question_id: str) -> bool:
    """Vote mode: whether the question's record is the team's — an answer the revealed votes gave, or one chosen on a
    split (``settled_by``, also Not sure) — so that only the starter, a lead or an admin may change it.

    An answer someone gave from the menu after everyone voted Not sure is not the team's (the votes gave none)."""
    entry = ev.answers.get(question_id)
    if ev.mode != "vote" or entry is None:
        return False
    if entry.settled_by:
        return True
    ballot = ev.ballots.get(question_id)
    return (entry.value is not None and ballot is not None and ballot.revealed
            and entry.value in ballot.decided())


def asked_again_words(who_was: str) -> str:
    """What a card asked again after a first Not sure says, in words every front end shares; ``who_was``: "the team
    was", "you were", "<name> was"."""
    return f"Asked again: {who_was} not sure the first time."


def asked_again(skips: int) -> bool:
    """Whether a question left Not sure ``skips`` times is asked again (with a fresh vote, in vote mode) before the
    end: after its first Not sure; a second one leaves it without an answer (:func:`left_open_by`)."""
    return skips < 2


def left_open_by(ev: Evaluation, question_id: str) -> str | None:
    """Vote mode: who chose "Not sure — ask again later" on a split the last time it could be asked, so that it is
    left without an answer; only those who may change a :func:`team_answer` may give it one. None for any other
    question."""
    entry = ev.answers.get(question_id)
    if ev.mode != "vote" or entry is None or entry.value is not None or asked_again(entry.skips):
        return None
    return entry.settled_by


def add_note(ev: Evaluation, checklist: Checklist, *, question: str, user: str, note: str,
             now: datetime | None = None) -> Outcome:
    """The note on an answer, replacing the one there; an empty note removes it."""
    if ev.status == "deleted":
        return refused("deleted")
    if (gone := retired_choice(checklist, question, None)) is not None:  # dropped from the team's checklist
        return invalid(gone)
    q = checklist.question(question)
    entry = ev.answers.get(q.id)
    text = note.strip()
    if ev.status == "abandoned":
        return refuse_closed(ev, q.key, user)
    if len(text) > NOTE_MAX:
        return invalid(f"Notes are limited to {NOTE_MAX:,} characters (this one has {len(text):,}).")
    if not text and (entry is None or entry.note is None):
        return invalid(f"The note is empty and {q.key} has no note to remove; write something or cancel.")
    if entry is None:
        return invalid(f"Answer {q.key} first, then add a note to it.")
    entry.note, entry.note_by = (text, user) if text else (None, None)  # an empty note removes the one there
    entry.note_on = None  # written (or removed) now: about the answer beside it
    ev.last_activity = now or utcnow()
    move = Move(ev)
    state = card_state(ev, q.id)
    if state == "answered":
        move.make("note", "answered", "answered", q.id)
    else:
        move.owe(UpdateCard(question=q.id))  # a note on a skipped card: just redraw it
    if ev.status == "completed":
        move.make("note", "completed", "completed")
    return move.outcome()


def takes_suggestion(ev: Evaluation, question_id: str) -> bool:
    """Whether a new suggestion for the question is stored: nobody has answered it (a skip is no answer)."""
    entry = ev.answers.get(question_id)
    return entry is None or entry.value is None


SourceState = Literal["current", "deleted", "superseded", "closed"]


def source_state(ev: Evaluation, source: str | None, revision: str | None = None) -> SourceState:
    """Whether a reading of the message ``source`` (at ``revision``: its ts, or its edit's) may still be stored.

    ``deleted``: the message was deleted (perhaps while the helper read it); ``superseded``: a later revision of it
    (an edit) was read first, and the edited text is what counts; ``closed``: the evaluation was deleted or closed
    for inactivity meanwhile. A description typed in a command has no source.
    """
    if ev.status in ("deleted", "abandoned"):
        return "closed"
    if source is None:
        return "current"
    if source in ev.deleted_sources:
        return "deleted"
    latest = ev.read_revisions.get(source)
    if revision is not None and latest is not None and _ts_order(latest) > _ts_order(revision):
        return "superseded"
    return "current"


def _ts_order(ts: str) -> tuple[int, str]:
    return (len(ts), ts)  # Slack ts strings: a later one is longer or sorts after (as ``Evaluation.card_for``)


def apply_suggestions(ev: Evaluation, suggestions: Mapping[str, SuggestionRef], *,
                      source: str | None = None, revision: str | None = None) -> Outcome:
    """Store suggestions for questions nobody has answered yet; answered ones keep what was shown then.

    With ``source`` (the message the description came from, edited or deleted), what that message suggested
    before and does not suggest now is dropped: its quotes leave the cards. ``suggestions`` empty: all of it.
    Nothing is stored (``unchanged``) from a message deleted meanwhile, or from a revision older than one already
    read (:func:`source_state` says which); checked here, in the same write that would store it.
    """
    if source_state(ev, source, revision) != "current":
        return Outcome(status="unchanged")
    if source is not None and revision is not None:
        ev.read_revisions[source] = revision
    move = Move(ev)
    for qid, ref in suggestions.items():
        if takes_suggestion(ev, qid):
            ev.suggestions[qid] = ref
            if _asked(ev, qid):
                move.make("suggest", "asked", "asked", qid)
    _withdraw(ev, move, [q for q, ref in ev.suggestions.items()
                         if source and ref.source == source and q not in suggestions])
    return move.outcome()


def forget_source(ev: Evaluation, source: str, via: ReadVia = "paste") -> Outcome:
    """A pasted description was deleted (perhaps confidential): its suggestions leave the cards, its words leave
    the answers confirmed from it (answer and score stay) and a reading of it still running is never stored.

    A reading of it that was stored has its report line in the thread, quoting it: its redraw as the line that says
    the description was deleted is owed in this same write (:class:`RedrawDeletedReport`). ``via``: how it was
    given (pasted, or to ``@ftcheck suggest``), which that line names."""
    if source not in ev.deleted_sources:
        ev.deleted_sources.append(source)
    read = ev.read_revisions.pop(source, None)  # the text whose report stands in the thread; None: none was stored
    move = Move(ev)
    _withdraw(ev, move, [q for q, ref in ev.suggestions.items() if ref.source == source])
    for entry in ev.answers.values():
        if entry.suggestion is not None and entry.suggestion.source == source:
            entry.suggestion = scrubbed(entry.suggestion)
    outcome = move.outcome()
    if read is not None:  # no move of the walk: owed after the cards' redraws, as ``voting`` owes its split reply
        outcome.effects += owe(ev, [RedrawDeletedReport(source=source, revision=read, via=via)])
    return outcome


def report_drawn(ev: Evaluation, source: str, revision: str, via: ReadVia = "paste") -> Outcome:
    """The report of a reading of ``source`` (its text at ``revision``) was drawn in the thread. When the message was
    deleted meanwhile, the deletion's redraw may have come first and been drawn over: it is owed again (decided in
    this write, so a deletion recorded after it owes its own). Else nothing changes."""
    if source not in ev.deleted_sources:
        return Outcome(status="unchanged")
    return Outcome(status="ok", effects=owe(ev, [RedrawDeletedReport(source=source, revision=revision, via=via)]))


def quotes_from(ev: Evaluation, source: str) -> bool:
    """Whether the evaluation still holds words of the message ``source``: on a card, or in a confirmed answer."""
    refs = [*ev.suggestions.values(), *(a.suggestion for a in ev.answers.values() if a.suggestion is not None)]
    return any(ref.source == source and ref.removed is None for ref in refs)


def scrubbed(ref: SuggestionRef) -> SuggestionRef:
    """A suggestion without the words of its deleted description: what it suggested (and by which engine) stays."""
    return ref.model_copy(update={"reason": "", "evidence": "", "caution": None, "conflict": [],
                                  "removed": "description_deleted"})


def _withdraw(ev: Evaluation, move: Move, questions: list[str]) -> None:
    for qid in questions:
        del ev.suggestions[qid]
        if _asked(ev, qid):
            move.owe(UpdateCard(question=qid))  # the card drops the hint (no move of the walk: nothing is answered)


def _asked(ev: Evaluation, question_id: str) -> bool:
    return any(c.question == question_id for c in ev.open_cards().values())


def refreshed(outcome: Outcome) -> list[str]:
    """The questions whose cards a suggestion outcome redraws."""
    return [e.question for e in outcome.effects if isinstance(e, UpdateCard)]


def _not_an_option(checklist: Checklist, question: str, value: float) -> Outcome:
    options = " / ".join(o.label for o in checklist.options)
    return invalid(f"{value:g} is not an answer to {checklist.question(question).key} any more (the checklist has "
                   f"changed); answer {options}.")


def _taken(ev: Evaluation, checklist: Checklist, question: str, kind: NoticeKind, user: str) -> Outcome:
    entry = ev.answers.get(question)
    q = checklist.question(question)
    if entry is None:
        return refused(kind, question=q.key, actor=user)
    label = "Not sure" if entry.value is None else checklist.option(entry.value).label
    return refused(kind, question=q.key, by=entry.by, label=label, at=entry.at, actor=user)
