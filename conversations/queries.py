"""Questions every front end asks of the stored evaluations (Slack, terminal, reminders). No Slack here.

Each answer is written once: which evaluation of a project is the latest completed one, which one is
still running, which question a thread waits for, and how a suggester's report becomes stored
suggestions.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from conversations import flow
from conversations.models import Evaluation, SuggestionRef, project_key
from conversations.store import Store
from scoring.checklist import Checklist
from scoring.suggest import SuggestionReport

START_LOCK_S = 15  # two people starting one project at once (a command, a reminder's button) get one thread


def start_lock(team: str, channel: str, project: str) -> str:
    """The lock every start of a project in a channel takes (``Store.once``), whatever starts it: `/ftcheck start`,
    a reminder's Start re-evaluation button. With a look for an open evaluation after taking it, one thread opens."""
    return f"start:{team}:{channel}:{project_key(project)}"

CHANNEL_PAGE = 500  # evaluations read per round trip while looking for a channel's open one


def latest_completed(history: Sequence[Evaluation], checklist: str | None = None) -> Evaluation | None:
    """The newest completed evaluation of ``history`` (oldest first), of ``checklist`` when given, or None."""
    return next((ev for ev in reversed(history)
                 if ev.status == "completed" and checklist in (None, ev.checklist)), None)


def prefill_base(history: Sequence[Evaluation], checklist: str | None, loaded: Collection[str]) -> Evaluation | None:
    """What a start of a project pre-fills from: its newest completed evaluation in ``history`` (oldest first) of
    ``checklist``, or of any checklist when none is named; None when there is none or its checklist is not among
    ``loaded`` (the start is then a fresh one)."""
    previous = latest_completed(history, checklist)
    return previous if previous is not None and previous.checklist in loaded else None


def running(history: Sequence[Evaluation]) -> Evaluation | None:
    """The newest evaluation of ``history`` (oldest first) still in progress, or None."""
    return next((ev for ev in reversed(history) if ev.status == "in_progress"), None)


def waiting_question(ev: Evaluation, checklist: Checklist) -> str | None:
    """The question the thread waits for: its open card, else the card it will ask next (None when done)."""
    return next((c.question for c in ev.open_cards().values()), None) or flow.next_question(ev, checklist)


async def open_evaluation(store: Store, team: str, channel: str, project: str | None = None) -> Evaluation | None:
    """The evaluation in progress in a channel (of ``project`` when named), newest first; none is missed however
    many evaluations the channel holds: a project is read from its own history, a channel page by page."""
    if project is not None:
        return running(await channel_history(store, team, channel, project_key(project)))
    found = await open_evaluations(store, team, channel, limit=1)
    return found[0] if found else None


async def channel_history(store: Store, team: str, channel: str, key: str) -> list[Evaluation]:
    """A project's evaluations in one channel (``key``: its :func:`project_key`), oldest first."""
    return [ev for ev in await store.project_history(team, key) if ev.channel == channel]


async def deleted_here(store: Store, team: str, channel: str, key: str) -> tuple[Evaluation, datetime] | None:
    """When the project's newest evaluation in a channel (``key``: its :func:`project_key`) is deleted: it, and when
    it was deleted (its audit entry says); None when the newest there is not deleted, or there is none. Deleted
    evaluations are hidden from every other read; this one reads the project's evaluations, newest first, until
    the first one in the channel."""
    for eid in await store._ids(f"ftc:proj:{team}:{key}"):
        ev = await store.get(eid)
        if ev is None or ev.channel != channel:
            continue
        if ev.status != "deleted":
            return None
        entries = await store.audit(ev.id)
        return ev, next((a.at for a in reversed(entries) if a.action == "delete"), ev.last_activity)
    return None


SUGGEST_NAMED = 50  # `suggest <project>: …` looks for the project among this many evaluations in progress here


@dataclass(frozen=True)
class SuggestFor:
    """What ``suggest`` text is read for: ``evaluation``, and ``text`` the description (a leading ``<project>:``
    that named it taken off). ``evaluation`` None: nothing to read it for, nothing is written; ``in_progress`` then
    holds the evaluations in progress in the channel (newest first) when there are several and the text named
    none of them (empty: there is none)."""

    evaluation: Evaluation | None
    text: str
    in_progress: list[Evaluation] = field(default_factory=list)


async def suggest_for(store: Store, team: str, channel: str, thread_ts: str | None, text: str) -> SuggestFor:
    """The evaluation ``suggest`` text is read for: the one whose thread it was written in (a channel may run
    several; it may be finished), else the one in progress in the channel that the text names first
    (``Invoice extraction: We have…``), else the channel's only one in progress. With several in progress and none
    named, none is guessed."""
    if thread_ts:
        ev = await store.by_thread(channel, thread_ts)
        if ev is not None:
            return SuggestFor(ev, text)
    running = await open_evaluations(store, team, channel, limit=2)  # the usual one, read as cheaply as before
    if len(running) > 1:
        running = await open_evaluations(store, team, channel, limit=SUGGEST_NAMED)
    named = _named(running, text)
    if named is not None:
        return named
    if len(running) == 1:
        return SuggestFor(running[0], text)
    return SuggestFor(None, text, running)


def _named(running: Sequence[Evaluation], text: str) -> SuggestFor | None:
    """``text`` opening with the name of one of ``running`` (as its key finds it) and a colon."""
    keys = {project_key(ev.project): ev for ev in reversed(running)}  # the newest of one name wins
    for at, ch in enumerate(text[:NAMED_PREFIX_MAX]):
        if ch == ":" and (ev := keys.get(project_key(text[:at]))) is not None and text[:at].strip():
            return SuggestFor(ev, text[at + 1:].strip())
    return None


NAMED_PREFIX_MAX = 200  # a project's name is at most 80 characters; what people put around it, a few more


async def open_evaluations(store: Store, team: str, channel: str, limit: int) -> list[Evaluation]:
    """Up to ``limit`` evaluations in progress in a channel, newest first, read page by page."""
    found: list[Evaluation] = []
    start = 0
    while True:
        ids = await _channel_ids(store, f"ftc:chan:{team}:{channel}", start)
        found += [ev for ev in await store._many(ids) if ev.status == "in_progress"]
        if len(found) >= limit or len(ids) < CHANNEL_PAGE:
            return found[:limit]
        start += CHANNEL_PAGE


async def _channel_ids(store: Store, key: str, start: int) -> list[str]:
    raw = await store._call(lambda: store.redis.zrevrange(key, start, start + CHANNEL_PAGE - 1))
    return [r.decode() if isinstance(r, bytes) else str(r) for r in raw]


async def reevaluation_base(store: Store, clicked: Evaluation) -> Evaluation:
    """What a re-evaluation starts from: the project's newest completed evaluation in the same channel.

    A reminder of an older evaluation may be clicked after a newer one completed; the newer one wins.
    """
    return latest_completed(await channel_history(store, clicked.team, clicked.channel, clicked.project_key)) or clicked


def suggestion_refs(report: SuggestionReport, checklist: Checklist,
                    source: str | None = None) -> dict[str, SuggestionRef]:
    """A suggester's report as stored suggestions, keyed by stable question id (the report says "q1"…).
    A conflict (both quotes) or a caution is stored with no answer picked (value None). ``source``: the message
    the description came from, so an edit or a deletion of it can take its quotes back."""
    refs = {s.question: SuggestionRef(value=s.answer, reason=s.reason, evidence=s.evidence, engine=report.engine,
                                      caution=s.caution, source=source)
            for s in report.suggestions}
    for c in report.conflicts:
        refs[c.question] = SuggestionRef(value=None, reason=c.note, evidence=c.quotes[0] if c.quotes else "",
                                         engine=report.engine, conflict=c.quotes, source=source)
    for w in report.cautions:
        refs.setdefault(w.question, SuggestionRef(value=None, reason=w.note, evidence=w.quote,
                                                  engine=report.engine, caution=w.note, source=source))
    return {checklist.question(key).id: ref for key, ref in refs.items()}
