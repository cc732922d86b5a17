"""The engine: runs walk transitions against the store and delivers what they owe through a front end.

A front end (Slack, terminal) implements the narrow :class:`Presenter` interface; it never touches the
store or decides what comes next. Every owed message is an outbox entry in the evaluation document,
written with the transition that owed it. The writer whose transition landed delivers its own entries at
once; anything left (a crash, a Slack or Redis failure) is delivered by :class:`conversations.outbox.Outbox`
within seconds, after looking up whether a first attempt landed. One table (``HANDLERS``) maps each
effect type to the code that delivers it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Protocol, runtime_checkable

import structlog

from conversations import flow, voting
from conversations.effects import (
    LEASE_S,
    MAX_ATTEMPTS,
    BookReminder,
    DeliveryFailed,
    Effect,
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
    UpdateSplit,
    report_ref,
)
from conversations.models import Card, Evaluation, Mode, SuggestionRef, utcnow
from conversations.redraws import KEPT, Rechecks, Redraws, RootPace
from conversations.store import CorruptRecord, Store, StoreUnavailable
from scoring.checklist import Checklist, Registry, UnknownChecklist
from scoring.scorecard import Scorecard, as_decided, score

log = structlog.get_logger(__name__)

# A redraw (a card, the root, the scorecard) that lands this long after its write began may have overwritten a newer
# state another replica drew meanwhile: chat.update is last-write-wins and nothing orders replicas, and that
# replica's record cleared what it owed. Such a delivery reads the evaluation again and draws what moved. Slack
# answers chat.update within a few hundred ms; a draw this late waited out a 429 (slack_sdk sleeps Retry-After, 1 s
# at least), a slow link, or a slow post before it. Below it a click pays no read: a draw landing sooner is covered
# by the write that raced it (RACING_S).
LATE_DRAW_S = 1.0
# A write that comes this soon after another replica's (its last activity) may race that replica's draws, which land
# within LATE_DRAW_S of that write: it draws again once they have (redraws.Rechecks: a read and the redraws, at most
# one per evaluation and LATE_DRAW_S here). The margin: a delivery that starts a little late, the replicas' clocks.
RACING_S = 2 * LATE_DRAW_S
CATCH_UPS = 2  # late redraws drawn again at most this often in a row; then they are owed, for the outbox
# A post is not begun on a hold with less than this left, before a renewal confirms it (DeliveryHold.may_run_out)
POST_MARGIN_S = LEASE_S / 3


class Presenter(Protocol):
    # the root shows no running score: only a completed evaluation's root has a verdict, which it works out itself
    async def post_root(self, ev: Evaluation, checklist: Checklist) -> str: ...
    async def update_root(self, ev: Evaluation, checklist: Checklist) -> None: ...
    async def post_card(self, ev: Evaluation, checklist: Checklist, question_id: str) -> str: ...
    async def update_card(self, ev: Evaluation, checklist: Checklist, card_ts: str) -> None: ...
    async def post_scorecard(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> str: ...
    async def update_scorecard(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> None: ...


class Recovery(Protocol):
    """What a front end offers the outbox after a fault (Slack: metadata lookups and a thread notice)."""

    async def find_posted(self, ev: Evaluation, ref: str, *, but: str | None = None) -> str | None: ...
    async def delete_posted(self, ev: Evaluation, ts: str) -> None: ...
    async def tell_undelivered(self, ev: Evaluation, checklist: Checklist, what: str, reason: str) -> None: ...
    async def post_note(self, ev: Evaluation, checklist: Checklist, about: str) -> str: ...
    async def post_decision_change(self, ev: Evaluation, checklist: Checklist, change: PostDecisionChange) -> str: ...
    async def post_split(self, ev: Evaluation, checklist: Checklist, split: PostSplit) -> str: ...


@runtime_checkable
class ReportLines(Protocol):
    """What a front end that shows the helper's report lines in the thread offers (Slack), beside its Recovery: the
    line of a description deleted since, redrawn to say so. The terminal shows no such line: none is redrawn there."""

    async def redraw_deleted_report(self, ev: Evaluation, report: RedrawDeletedReport) -> None:
        """Redraw the report line named ``report_ref(ev.id, report.revision)``; one not in the thread is left be.
        Raises :class:`DeliveryFailed` (permanent when Slack refuses it for good)."""


@runtime_checkable
class SplitReplies(Protocol):
    """What a front end that tells the starter of a split in a reply offers (Slack), beside its Recovery: that reply,
    edited once the split is settled or asked again. The terminal has no such reply: nothing is edited there."""

    async def update_split(self, ev: Evaluation, checklist: Checklist, split: UpdateSplit, ts: str) -> None:
        """Edit the reply ``ts`` to say how the split ended. Raises :class:`DeliveryFailed` (permanent when Slack
        refuses it for good: deleted, its channel archived)."""


def scorecard_of(ev: Evaluation, checklist: Checklist) -> Scorecard:
    """The evaluation's scorecard. A completed one keeps the result it was decided with once its checklist has
    changed (``Evaluation.decided``; ``scoring.scorecard.as_decided``), wherever it is shown: the thread's
    scorecard, history, summaries, exports and the re-evaluation reminder's "last time"."""
    card = score(checklist, ev.scored())
    decided = ev.decided
    if ev.status != "completed" or decided is None or decided.fingerprint == checklist.fingerprint:
        return card
    return as_decided(card, decided, checklist)


class DeliveryHold:
    """A delivery's hold on its evaluation in the outbox's due queue, renewed while the delivery is in flight.

    Once the hold may have run out (its renewals did not reach Redis for a lease), another replica's outbox may
    have claimed the evaluation and be delivering what it owes: ``lost`` says so, for good. A front end that waits
    inside a post (Slack's Retry-After) calls :meth:`still_held` before posting again, and leaves the post to that
    outbox when it is lost. Clocks as the holds themselves assume them: the replicas' clocks agree.
    """

    def __init__(self, store: Store, eid: str, until: int | None) -> None:
        self.store, self.eid = store, eid
        self.until = until or 0  # epoch ms: this delivery's hold runs out then, unless raised by someone else
        self.known = until is not None
        self.lost = not self.known  # a hold this delivery does not know of cannot be confirmed

    def may_run_out(self, within_s: float = 0.0) -> bool:
        """Lost, or due to run out within ``within_s``, by the clock alone (no round trip). The renewals keep a held
        delivery's hold at least ``LEASE_S * 2/3`` ahead: less means they did not land (a paused process, a blip)."""
        return self.lost or (time.time() + within_s) * 1000 >= self.until

    async def renew(self) -> bool:
        """Renew the hold (raised, as ``Store.hold``); False once it may have run out. Raises StoreUnavailable."""
        mine = self.until
        score, before = await self.store.renew_hold(self.eid, time.time())
        # Unchanged since this delivery's hold, or not run out yet when the reply came (so neither when Redis
        # renewed it): nobody claimed it. Otherwise an outbox tick may have (it claims a hold that ran out).
        if before is None or (before != mine and time.time() * 1000 >= self.until):
            self.lost = True
        self.until = max(self.until, score)
        return not self.lost

    async def still_held(self) -> bool:
        """Renewed and never lost: this delivery may post again what it posts. False when Redis does not answer."""
        try:
            return await self.renew()
        except StoreUnavailable:
            return False


_HOLD: ContextVar[DeliveryHold | None] = ContextVar("ftcheck_delivery_hold", default=None)


def delivery_hold() -> DeliveryHold | None:
    """The hold of the delivery in flight in this task (:meth:`Engine.deliver`), for a front end waiting in a post."""
    return _HOLD.get()


class Deferred(Exception):
    """An effect that cannot be delivered yet (a card before its thread exists); not a failed attempt."""


@dataclass
class Delivery:
    """One delivery run: the view the front end renders and what it posted, delivered or failed."""

    view: Evaluation
    checklist: Checklist
    look_first: bool  # a repeat: find out whether an earlier attempt landed before posting again
    paced: bool = True  # the root waits for its pace (RootPace); not for a repeat or the trailing draw itself
    cards: list[tuple[str, str]] = field(default_factory=list)
    splits: list[tuple[str, str]] = field(default_factory=list)  # (a card that split, the reply that told of it)
    done: list[str] = field(default_factory=list)
    failed: dict[str, DeliveryFailed] = field(default_factory=dict)
    struck: bool = False  # deleted while this delivery was in flight: what it drew was drawn as deleted again
    began: float = field(default_factory=time.monotonic)
    late: list[Effect] = field(default_factory=list)  # redraws that landed LATE_DRAW_S or more after ``began``
    catch_ups: int = 0  # how many deliveries before this one drew the same redraws late (:meth:`Engine._catch_up`)
    recheck: bool = False  # a second draw (:meth:`Engine._recheck`): recorded only when it clears something owed

    @functools.cached_property
    def card(self) -> Scorecard:
        """The scorecard, worked out only for a delivery that shows it (most clicks only redraw cards)."""
        return scorecard_of(self.view, self.checklist)


Handler = Callable[["Engine", Delivery, Effect], Awaitable[None]]


class Engine:
    def __init__(self, store: Store, registry: Registry, presenter: Presenter,
                 recovery: Recovery | None = None, *, root_every_s: float = 0.0) -> None:
        self.store = store
        self.registry = registry
        self.presenter = presenter
        self.recovery = recovery
        self.on_completed: list[Callable[[Evaluation], Awaitable[object]]] = []
        self.redraws = Redraws()
        store.on_set_back = self.redraws.forget
        self.root_pace = RootPace(root_every_s, self._draw_root_later)
        self._deleted: OrderedDict[str, str | None] = OrderedDict()  # deleted lately, as this process saw: by whom
        self.rechecks = Rechecks(LATE_DRAW_S, self._recheck_later)
        self._acted: OrderedDict[str, datetime] = OrderedDict()  # evaluation id -> last activity written here
        self._drawing: set[asyncio.Task[None]] = set()  # booked draws under way: trailing roots, rechecks

    def _later(self, draw: Coroutine[object, object, None]) -> None:
        """Run a booked draw (its timer fired), kept until it ends so that :meth:`aclose` can wait for it."""
        task = asyncio.get_running_loop().create_task(draw)
        _background(task)
        self._drawing.add(task)
        task.add_done_callback(self._drawing.discard)

    async def aclose(self, grace_s: float = 2.0) -> None:
        """Shutdown: drop the draws booked for later (what they would draw is owed in the documents, or was drawn
        once already), and give those under way ``grace_s`` to finish before they are cancelled."""
        self.root_pace.cancel()
        self.rechecks.cancel()
        running = {t for t in self._drawing if not t.done()}
        if running:
            _, running = await asyncio.wait(running, timeout=grace_s)
        while running:  # one cancellation can be lost inside redis-py (Python 3.11): again until they end
            for task in running:
                task.cancel()
            _, running = await asyncio.wait(running, timeout=0.1)

    def checklist(self, ev: Evaluation) -> Checklist:
        return self.registry.get(ev.checklist)

    # -- transitions --------------------------------------------------------------------------------------
    async def start(self, *, team: str, channel: str, project: str, checklist_id: str | None, user: str,
                    origin: Literal["slack", "terminal"] = "slack", previous: Evaluation | None = None,
                    mode: Mode = "quick", quorum: int = 3, fresh_after: Evaluation | None = None) -> Evaluation:
        """Create the evaluation and post its root and first card; no root means no thread, so no evaluation.
        ``fresh_after``: a fresh start's project evaluation with the result before it (``flow.start``)."""
        checklist = self.registry.get(checklist_id or (previous.checklist if previous else None))
        ev = flow.start(team=team, channel=channel, project=project, checklist=checklist, user=user,
                        origin=origin, previous=previous, mode=mode, quorum=quorum, fresh_after=fresh_after)
        outcome = flow.begin(ev, checklist)
        ev = await self.store.create(ev, by=user)
        self._note_acted(ev.id, ev.last_activity)
        ev, failed = await self.deliver(ev, outcome.effects)
        if ev.thread_ts is None:
            exc = failed.get("post_root") or DeliveryFailed("root message not posted", permanent=False)
            if exc.unconfirmed:
                # Slack may have applied the root, and looking for it failed too: the evaluation stays, and the outbox
                # adopts the root it finds by its metadata, or posts it (never a second one)
                raise exc
            # the root is not in the channel (Slack refused it, or it was looked for and not found): nothing to keep.
            # A root posted whose record failed shows in ``thread_ts`` (``_record``): that evaluation stands, and
            # the outbox (or the first click) records what was posted.
            await self.store.update(ev.id, lambda e: flow.discard(e), by=user, action="discard (root not posted)")
            raise exc
        return ev

    async def answer(self, eid: str, *, card_ts: str, user: str, value: float | None = None,
                     option: str | None = None, question: str | None = None,
                     seen: str | None = None, channel: str | None = None) -> tuple[Evaluation, flow.Outcome | None]:
        """A click on Yes / Partly / No / Not sure: the answer in quick mode, a hidden vote in vote mode.

        An option key is resolved against the evaluation's own checklist inside the transition, so a click
        needs no read of its own; so is ``channel``, where the click came from (a card lives in its evaluation's
        channel: one from elsewhere carries a copied button value, refused as ``other_channel``).
        """
        label = option or ("skip" if value is None else f"{value:g}")

        def transition(ev: Evaluation) -> flow.Outcome:
            if channel is not None and channel != ev.channel:
                return flow.refused("other_channel")
            checklist = self.checklist(ev)
            changed = flow.changed_under(ev, checklist, card_ts=card_ts, question=question, option=option)
            if changed is not None:  # the team changed its checklist under the card: its question or option is gone
                return changed
            chosen = value if option is None else (None if option == flow.SKIP else checklist.option(option).value)
            step = voting.vote if ev.mode == "vote" else flow.answer
            return step(ev, checklist, card_ts=card_ts, user=user, value=chosen, question=question)

        ev, outcome = await self._transition(eid, transition, by=user, action=f"answer card {card_ts} = {label}",
                                             seen=seen)
        if outcome is not None and outcome.notice is not None and outcome.notice.kind in _CLOSED_CARD:
            self._redraw_closed(ev, card_ts)
        return ev, outcome

    def _redraw_closed(self, ev: Evaluation, card_ts: str) -> None:
        """A click on a card the store has closed (answered, revealed): the person saw its buttons, so what Slack
        shows may be a draw of another replica that landed over the newer one within :data:`LATE_DRAW_S`, which no
        one reads again. The card is drawn again from what is stored, a moment later (:class:`Rechecks`): off the
        refusal's path (a 429 on the redraw must not hold the notice back), and once for a burst of late votes."""
        card = ev.cards.get(card_ts)
        if card is not None and not card.open:
            self.rechecks.book(ev.id, [UpdateCard(question=card.question)])

    async def change(self, eid: str, *, question: str, user: str, value: float, seen: str | None = None,
                     may_override: bool = False) -> tuple[Evaluation, flow.Outcome | None]:
        """``may_override``: ``user`` may change a team's answer (``flow.change``)."""
        return await self._transition(
            eid, lambda ev: flow.change(ev, self.checklist(ev), question=question, user=user, value=value,
                                        may_override=may_override),
            by=user, action=f"change {question} = {value:g}", seen=seen)

    async def note(self, eid: str, *, question: str, user: str, text: str,
                   seen: str | None = None) -> tuple[Evaluation, flow.Outcome | None]:
        return await self._transition(
            eid, lambda ev: flow.add_note(ev, self.checklist(ev), question=question, user=user, note=text),
            by=user, action=f"{'note' if text.strip() else 'remove note'} {question}", seen=seen)

    async def reveal(self, eid: str, *, question: str, user: str,
                     seen: str | None = None) -> tuple[Evaluation, flow.Outcome | None]:
        return await self._transition(
            eid, lambda ev: voting.reveal(ev, self.checklist(ev), question=question, user=user),
            by=user, action=f"reveal {question}", seen=seen)

    async def settle(self, eid: str, *, question: str, user: str, value: float | None,
                     seen: str | None = None) -> tuple[Evaluation, flow.Outcome | None]:
        """The team answer of a split card (None: Not sure); the caller checked that ``user`` may settle."""
        return await self._transition(
            eid, lambda ev: voting.settle(ev, self.checklist(ev), question=question, user=user, value=value),
            by=user, action=f"settle {question} = {'not sure' if value is None else f'{value:g}'}", seen=seen)

    async def suggest(self, eid: str, suggestions: dict[str, SuggestionRef], *, user: str,
                      source: str | None = None, revision: str | None = None) -> tuple[Evaluation, list[str]]:
        """Store suggestions (unanswered questions only) and refresh the open cards that show them; what the
        ``source`` message suggested before and not now is dropped (an edit; an edit into a non-description passes
        no suggestions). ``revision``: the ts of the text read (the message's, or its edit's); nothing is stored
        from a message deleted meanwhile or from a text older than one already read (``flow.source_state``).

        Returns the evaluation and the questions whose suggestion was stored; the others were answered already.
        """
        ev, outcome, _ = await self.store.update(
            eid, lambda e: flow.apply_suggestions(e, suggestions, source=source, revision=revision), by=user,
            action="suggestions" if suggestions else "suggestions withdrawn")
        stored: list[str] = []
        if flow.source_state(ev, source, revision) == "current":
            # read from the stored evaluation, not by comparing suggestions: an answered question may hold an equal one
            stored = [q for q in suggestions if flow.takes_suggestion(ev, q)]
        if outcome is not None and outcome.effects:
            ev, _ = await self.deliver(ev, outcome.effects)
        return ev, stored

    async def forget_source(self, eid: str, source: str, *, user: str, via: ReadVia = "paste") -> Evaluation:
        """A pasted description was deleted: its words leave the cards and the answers, and its report line is
        redrawn to say so, owed in the same write (``flow.forget_source``)."""
        ev, outcome, _ = await self.store.update(eid, lambda e: flow.forget_source(e, source, via), by=user,
                                                 action="description deleted")
        if outcome is not None and outcome.effects:
            ev, _ = await self.deliver(ev, outcome.effects)
        return ev

    async def report_drawn(self, eid: str, *, source: str, revision: str, via: ReadVia = "paste") -> Evaluation:
        """The report of a reading of ``source`` was drawn in the thread: if the message was deleted meanwhile, the
        report is redrawn as deleted, owed again (``flow.report_drawn``); else nothing changes (one read)."""
        ev, outcome, _ = await self.store.update(eid, lambda e: flow.report_drawn(e, source, revision, via),
                                                 by="ftcheck", action="report of a deleted description drawn",
                                                 quiet=True)
        if outcome is not None and outcome.effects:
            ev, _ = await self.deliver(ev, outcome.effects)
        return ev

    async def abandon(self, ev: Evaluation) -> Evaluation:
        """Close an evaluation nobody came back to after its nudge (called by the idle watch)."""
        stored, _ = await self._transition(ev.id, flow.abandon, by="ftcheck", action="abandon", seen=None)
        return stored

    async def resume(self, eid: str, *, user: str) -> tuple[Evaluation, str | None]:
        """Ask the waiting question again if its card was given up on (``flow.resume``).

        Returns the evaluation and the question asked again (None when nothing needed asking); whether its card
        is now in the thread shows in ``open_cards()`` of the evaluation returned.
        """
        ev, outcome = await self._transition(eid, lambda e: flow.resume(e, self.checklist(e)), by=user,
                                             action="ask again (card given up)", seen=None)
        if outcome is None or not outcome.applied:
            return ev, None
        return ev, next((e.question for e in outcome.effects if isinstance(e, PostCard)), None)

    async def discard(self, eid: str, *, user: str, now: datetime | None = None) -> Evaluation:
        """Delete an evaluation (``flow.discard``). A delivery of it still in flight here posts nothing more and
        draws what it drew as deleted (:meth:`deleted`); one on another replica learns it from its record write."""
        ev, _, _ = await self.store.update(eid, lambda e: flow.discard(e, user, now), by=user, action="delete")
        self._note_deleted(eid, user)
        return ev

    def deleted(self, eid: str) -> bool:
        """Whether this process saw ``eid`` deleted (no Redis round trip: a delivery checks it before each message)."""
        return eid in self._deleted

    def _note_deleted(self, eid: str, by: str | None) -> None:
        self._deleted[eid] = by
        while len(self._deleted) > 1024:
            self._deleted.popitem(last=False)

    async def _strike(self, run: Delivery) -> None:
        """The evaluation was deleted while ``run`` was in flight: what it posted or drew (a card, the root, the
        scorecard) may show it as running, after the delete marked the thread. Draw those as deleted."""
        if run.struck:
            return
        run.struck = True
        view = run.view
        view.status, view.deleted_by = "deleted", self._deleted.get(view.id)  # drawn as the delete drew it: by whom
        posted = {ts for _, ts in run.cards}
        drawn = [ts for ts, c in view.cards.items() if ts in posted or c.open]
        if not (posted or run.done):
            return
        log.info("delivery_struck", evaluation=view.id, cards=len(drawn))
        calls: list[Awaitable[None]] = [self.presenter.update_card(view, run.checklist, ts) for ts in drawn]
        if view.thread_ts:
            calls.append(self.presenter.update_root(view, run.checklist))
        if view.scorecard_ts:
            calls.append(self.presenter.update_scorecard(view, run.checklist, run.card))
        for call in calls:
            try:
                await call
            except Exception as exc:  # the evaluation is deleted either way; a message gone is fine
                log.warning("delivery_strike_failed", evaluation=view.id, error=str(exc))

    async def _transition(self, eid: str, fn: Callable[[Evaluation], flow.Outcome], *, by: str, action: str,
                          seen: str | None) -> tuple[Evaluation, flow.Outcome | None]:
        began = time.monotonic()
        racing: list[Callable[[Effect], bool] | None] = []

        def watched(ev: Evaluation) -> flow.Outcome:
            prior = ev.last_activity
            racing[:] = [self._racing(ev)]  # of the attempt that is written (the last one)
            outcome = fn(ev)
            if ev.last_activity != prior:
                self._note_acted(eid, ev.last_activity)
            return outcome

        ev, outcome, dup = await self.store.update(eid, watched, by=by, action=action, seen=seen)
        if dup or outcome is None:
            return ev, None
        if outcome.applied:  # recorded: from here on nothing may raise as if it had not been
            ev, _ = await self.deliver(ev, outcome.effects, since=began)
            raced = racing[0] if racing else None
            if raced is not None:
                self.rechecks.book(eid, [e for e in outcome.effects if flow.redraws(ev, e) and raced(e)])
        elif outcome.redraw:  # refused because the thread is ahead of what is stored (``flow.not_saved``)
            self.rechecks.book(eid, outcome.redraw)
        return ev, outcome

    def _racing(self, ev: Evaluation) -> Callable[[Effect], bool] | None:
        """Which of this write's redraws another replica's draws may still land over, or None. Every one when the
        last activity is another replica's and that recent; only the root when it is older but the root is still
        owed: that replica's trailing root draw (:class:`RootPace`, up to its interval later) may be under way."""
        if ev.last_activity == self._acted.get(ev.id):
            return None  # this process's own: its draws are ordered here (:class:`Redraws`)
        if utcnow() - ev.last_activity < timedelta(seconds=RACING_S):
            return _every
        return _root if any(isinstance(o.effect, UpdateRoot) for o in ev.pending) else None

    def _note_acted(self, eid: str, at: datetime) -> None:
        self._acted[eid] = at
        self._acted.move_to_end(eid)
        while len(self._acted) > KEPT:
            self._acted.popitem(last=False)

    def _recheck_later(self, eid: str, effects: list[Effect]) -> None:
        self._later(self._recheck(eid, effects))

    async def _recheck(self, eid: str, effects: list[Effect]) -> None:
        """Draw ``effects`` again from what is stored, over a racing replica's draws (:class:`Rechecks`)."""
        try:
            ev = await self.store.get(eid)
            redraws = [e for e in effects if ev is not None and flow.redraws(ev, e)]
            if ev is not None and redraws:
                view = ev.model_copy(update={"cards": dict(ev.cards)})
                run = Delivery(view=view, checklist=self.checklist(ev), look_first=False, paced=False, recheck=True)
                await self._run(ev, run, redraws, None)
        except Exception as exc:  # each delivery drew what it wrote: this draw only makes sure of the last one
            log.warning("recheck_failed", evaluation=eid, error=str(exc))

    # -- delivery -----------------------------------------------------------------------------------------
    async def deliver(self, ev: Evaluation, effects: list[Effect], *, look_first: bool = False, paced: bool = True,
                      held: int | None = None, since: float | None = None
                      ) -> tuple[Evaluation, dict[str, DeliveryFailed]]:
        """Deliver effects in order, then record what was posted and what failed in one write.

        A failure never reaches the person who clicked: their action is recorded and the entry stays owed. So
        does an evaluation whose checklist is not loaded (its team file went bad or away after it started):
        nothing is delivered, and the outbox postpones it until a restart loads the checklist again. ``held``: the
        outbox hold the caller claimed (epoch ms); by default the one this process's latest write set. ``since``:
        when the write began (``time.monotonic``), for the late redraws; by default now.
        """
        try:
            checklist = self.checklist(ev)
        except UnknownChecklist as exc:
            log.warning("delivery_postponed_checklist_unavailable", evaluation=ev.id, checklist=exc.checklist_id,
                        reason=exc.reason)
            return ev, {}
        view = ev.model_copy(update={"cards": dict(ev.cards)})  # what the front end sees; ``ev`` stays stored
        run = Delivery(view=view, checklist=checklist, look_first=look_first, paced=paced and not look_first)
        if since is not None:
            run.began = since
        return await self._run(ev, run, effects, held)

    async def _run(self, ev: Evaluation, run: Delivery, effects: list[Effect],
                   held: int | None) -> tuple[Evaluation, dict[str, DeliveryFailed]]:
        view = run.view
        starts = any(isinstance(e, PostRoot) for e in effects)
        self.redraws.owed(ev.id, [e.key for e in effects if flow.redraws(ev, e)], ev.version)  # older ones leave them
        fresh: Evaluation | None = None
        async with self._holding(ev.id, held):
            if view.thread_ts is None and not starts:
                view.thread_ts = await self._thread_of(ev.id)
            await self._deliver_each(run, effects)
            if self.deleted(ev.id):  # deleted here while this delivery was in flight
                await self._strike(run)
            if run.late:
                fresh = await self._moved(run)
        # a first delivery of a move that went through may ride on the next write; a start, a repeat (the outbox)
        # or a failure is written now (a start's thread must be findable; failures owe a count or a notice)
        may_fold = not run.look_first and not run.failed and not starts
        if run.recheck and not run.failed and not any(o.key in run.done and o.since < ev.version for o in ev.pending):
            stored = ev  # nothing to write: it posted nothing and what it drew was not owed
        else:
            stored = await self._record(ev, run, may_fold)
        if fresh is not None:
            await self._catch_up(fresh, run)
        return stored, run.failed

    # -- redraws that landed late -------------------------------------------------------------------------
    def _drawn_late(self, run: Delivery, effect: Effect) -> None:
        """Note a redraw that landed :data:`LATE_DRAW_S` or more after its delivery began, unless a later write of
        this process owes it too (its delivery draws it after this one: :class:`Redraws`)."""
        late = time.monotonic() - run.began >= LATE_DRAW_S
        if late and not self.redraws.superseded(run.view.id, effect.key, run.view.version):
            run.late.append(effect)

    async def _moved(self, run: Delivery) -> Evaluation | None:
        """The evaluation as stored now, when it moved past the view ``run`` drew late; else None. One round trip,
        only after a late redraw: another replica may have drawn a newer state meanwhile, which that draw overwrote
        (chat.update is last-write-wins), and that replica's record cleared what it owed, so nobody owes it again."""
        try:
            fresh = await self.store.get(run.view.id)
        except (StoreUnavailable, CorruptRecord) as exc:
            log.warning("late_redraw_not_checked", evaluation=run.view.id, error=str(exc))
            return None
        if fresh is None:
            return None
        _posted(run, fresh)  # what this delivery posted: recorded by it right after, and shown by the redraw
        if _drawn_state(fresh) == _drawn_state(run.view):
            return None
        return fresh

    async def _catch_up(self, fresh: Evaluation, run: Delivery) -> None:
        """Draw again, from ``fresh``, what ``run`` drew late over a newer state; at most :data:`CATCH_UPS` times in
        a row (each may land late again, a 429 storm): then it is owed, and the outbox draws what is stored then."""
        effects = [e for e in run.late if flow.redraws(fresh, e)]
        if not effects:
            return
        log.info("late_redraw_drawn_again", evaluation=fresh.id, effects=[e.key for e in effects],
                 drawn=run.view.version, stored=fresh.version)
        if run.catch_ups >= CATCH_UPS:
            try:
                await self.store.update(fresh.id, lambda e: flow.owe(e, effects), by="ftcheck",
                                        action="owe late redraws", quiet=True)
            except (StoreUnavailable, KeyError) as exc:
                log.warning("late_redraw_not_owed", evaluation=fresh.id, error=str(exc))
            return
        view = fresh.model_copy(update={"cards": dict(fresh.cards)})
        again = Delivery(view=view, checklist=run.checklist, look_first=False, paced=False,
                         catch_ups=run.catch_ups + 1)
        await self._run(fresh, again, effects, None)

    async def _thread_of(self, eid: str, wait_s: float = LEASE_S) -> str | None:
        """The root's ts when a click outran the record of its root message (its poster is writing it now).

        None when it does not come in time or Redis does not answer: the cards wait for the outbox then.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while loop.time() < deadline:
            try:
                stored = await self.store.get(eid)
            except (StoreUnavailable, CorruptRecord):
                return None
            if stored is None or stored.thread_ts is not None:
                return stored.thread_ts if stored else None
            await asyncio.sleep(0.05)
        return None

    @contextlib.asynccontextmanager
    async def _holding(self, eid: str, held: int | None = None) -> AsyncIterator[None]:
        """Keep this evaluation held in the outbox while a slow delivery is in flight (a 30 s Retry-After …).

        A timer, not a task per delivery: most deliveries end before the first renewal, and cancelling a timer
        always works. (Cancelling a task awaiting redis-py can be lost on Python 3.11 — ``asyncio.wait_for``
        swallows it — and awaiting such a task hung the delivery.) A renewal still in flight when the delivery
        ends finishes on its own; it only keeps the mark a few seconds longer. The hold is the delivery's
        :class:`DeliveryHold` meanwhile (:func:`delivery_hold`).
        """
        loop = asyncio.get_running_loop()
        timer: asyncio.TimerHandle | None = None
        lease = DeliveryHold(self.store, eid, held if held is not None else self.store.held_until(eid))
        token = _HOLD.set(lease)

        async def hold() -> None:
            with contextlib.suppress(StoreUnavailable):
                await lease.renew()

        def renew() -> None:
            nonlocal timer
            _background(loop.create_task(hold()))
            timer = loop.call_later(LEASE_S / 3, renew)

        timer = loop.call_later(LEASE_S / 3, renew)
        try:
            yield
        finally:
            timer.cancel()  # the latest one: renew() replaces it before it returns
            _HOLD.reset(token)

    async def _deliver_each(self, run: Delivery, effects: list[Effect]) -> None:
        for effect in effects:
            try:
                if self.deleted(run.view.id):
                    run.view.status = "deleted"  # nothing more is posted; updates draw it as deleted
                if not await self._deliver_one(run, effect):
                    continue  # owed by a later write: its delivery draws it (the document owes it until then)
                run.done.append(effect.key)
            except Deferred:
                continue
            except DeliveryFailed as exc:
                run.failed[effect.key] = exc
            except StoreUnavailable as exc:
                run.failed[effect.key] = DeliveryFailed(f"store: {exc}", permanent=False)
            except Exception as exc:  # a front end's bug must not lose the entry or block the others
                log.exception("delivery_failed", evaluation=run.view.id, effect=effect.key)
                run.failed[effect.key] = DeliveryFailed(type(exc).__name__, permanent=False)

    async def _deliver_one(self, run: Delivery, effect: Effect) -> bool:
        """Deliver one effect; an update takes its turn (:mod:`conversations.redraws`). False: left to a later one."""
        if not flow.redraws(run.view, effect):
            await HANDLERS[type(effect)](self, run, effect)
            return True
        if isinstance(effect, UpdateRoot) and not self._root_now(run):
            return False  # drawn here moments ago: a trailing draw is booked, and the document owes it until then
        async with self.redraws.turn(run.view.id, effect.key, run.view.version) as current:
            if current:
                await HANDLERS[type(effect)](self, run, effect)
                self._drawn_late(run, effect)
            return current

    def _root_now(self, run: Delivery) -> bool:
        """Draw the root now, or leave it to the trailing draw (:class:`RootPace`)? A finished, abandoned or
        deleted evaluation's root is drawn at once, as is a repeat's, and so is the root of a delivery where
        something failed: what Slack refuses is given up on together, with one notice."""
        paced = run.paced and not run.failed and run.view.status == "in_progress"
        return self.root_pace.draw_now(run.view.id, force=not paced)

    def _draw_root_later(self, eid: str) -> None:
        self._later(self._trailing_root(eid))

    async def _trailing_root(self, eid: str) -> None:
        """The root draw a paced click left owed: what is stored now, unless a draw since has cleared it."""
        try:
            ev = await self.store.get(eid)
        except (StoreUnavailable, CorruptRecord) as exc:  # still owed: the outbox draws it
            log.warning("root_redraw_postponed", evaluation=eid, error=str(exc))
            return
        if ev is not None and any(isinstance(o.effect, UpdateRoot) for o in ev.pending):
            await self.deliver(ev, [UpdateRoot()], paced=False)

    async def _record(self, ev: Evaluation, run: Delivery, may_fold: bool = False) -> Evaluation:
        now, rendered = time.time(), ev.version  # ``ev`` is handed to the store below, which may change it

        def record(e: Evaluation) -> list[Effect]:
            if e.status == "deleted" and not run.struck and run.view.status != "deleted":  # deleted (on another
                # replica) while this was in flight; a delivery for a deleted evaluation drew nothing to strike
                self._note_deleted(e.id, e.deleted_by)
                _background(asyncio.get_running_loop().create_task(self._strike(run)))
            _posted(run, e)
            for key in run.done:
                flow.delivered(e, key, rendered=rendered)
                if key in e.undelivered:  # delivered after all: a later failure of it is news again
                    e.undelivered.remove(key)
            return _give_up_or_retry(e, run.failed, now)

        if may_fold and self.store.fold(ev.id, record):
            record(ev)  # the caller sees what the store writes with the evaluation's next write
            return ev
        try:
            stored, tells, _ = await self.store.update(ev.id, record, by="ftcheck", action="delivered", known=ev,
                                                      quiet=True)
        except (StoreUnavailable, KeyError) as exc:
            # the messages went out; the outbox finds them by their metadata when Redis answers again. The caller
            # sees what was posted (a start whose root is in the channel stands), not the unrecorded document.
            log.warning("delivery_not_recorded", evaluation=ev.id, error=str(exc))
            _posted(run, ev)
            return ev
        if tells:
            stored, _ = await self.deliver(stored, tells)
        return stored

    async def find_or_post(self, run: Delivery, ref: str, post: Callable[[], Awaitable[str]]) -> str:
        """Post a message, unless this is a repeat and the first attempt is already in the thread.

        Nor while this delivery's hold on the evaluation may have run out (its process was paused, its renewals did
        not land): the outbox of another replica may have claimed the evaluation and be posting the same message.
        The clock tells, and only then a renewal (a round trip) confirms it. A post that came back once the hold may
        have run out (it waited in the network meanwhile) yields to a copy that outbox posted (:meth:`_yield_post`).
        """
        if run.look_first and self.recovery is not None:
            found = await self.recovery.find_posted(run.view, ref)
            if found is not None:
                log.info("delivery_found", evaluation=run.view.id, ref=ref)
                return found
        hold = delivery_hold()
        if hold is not None and hold.known and hold.may_run_out(POST_MARGIN_S) and not await hold.still_held():
            log.info("post_left_to_outbox", evaluation=run.view.id, ref=ref)
            raise DeliveryFailed("hold_lost", permanent=False, unconfirmed=True)  # that outbox looks first
        ts = await post()
        if hold is not None and hold.known and hold.may_run_out() and not await hold.still_held():
            return await self._yield_post(run, ref, ts)
        return ts

    async def _yield_post(self, run: Delivery, ref: str, ts: str) -> str:
        """A post (``ts``) that landed after this delivery's hold may have run out: the outbox that took over looked
        for it before it landed, found nothing and posted its own, which it records. That copy stands and this
        one is deleted. (An outbox that looked after this one landed adopted it: no copy, nothing deleted.)"""
        if self.recovery is None:
            return ts
        try:
            copy = await self.recovery.find_posted(run.view, ref, but=ts)
        except DeliveryFailed as exc:
            log.warning("post_after_hold_not_checked", evaluation=run.view.id, ref=ref, error=exc.reason)
            return ts
        if copy is None:
            return ts
        try:
            await self.recovery.delete_posted(run.view, ts)
            log.info("post_after_hold_deleted", evaluation=run.view.id, ref=ref)
        except DeliveryFailed as exc:  # shown twice, but recorded once: a click on this one is refused
            log.warning("post_after_hold_not_deleted", evaluation=run.view.id, ref=ref, error=exc.reason)
        return copy


_BACKGROUND: set[asyncio.Task[None]] = set()  # started by timers: hold renewals, trailing root draws


def _background(task: asyncio.Task[None]) -> None:
    """Keep a task started by a timer alive until it ends (the loop keeps only weak references)."""
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)


def _posted(run: Delivery, e: Evaluation) -> None:
    """What ``run`` posted (the root, the scorecard, cards), written into ``e``."""
    if run.view.thread_ts and not e.thread_ts:
        flow.root_posted(e, run.view.thread_ts)
    if run.view.scorecard_ts and not e.scorecard_ts:
        flow.scorecard_posted(e, run.view.scorecard_ts)
    for qid, ts in run.cards:
        flow.card_posted(e, qid, ts)
    for card, ts in run.splits:
        flow.split_reply_posted(e, card, ts)


def _every(effect: Effect) -> bool:
    return True


def _root(effect: Effect) -> bool:
    return isinstance(effect, UpdateRoot)


_CLOSED_CARD = frozenset({"taken", "closed", "revealed"})  # refusals of a click on a card that is no longer open
_BOOKKEEPING = {"version", "pending", "undelivered", "idle_check_at", "idle_nudged"}  # drawn by no message


def _drawn_state(ev: Evaluation) -> dict[str, object]:
    """What the evaluation's messages are drawn from: two views alike here draw alike."""
    return ev.model_dump(exclude=_BOOKKEEPING)


REDRAW_LATER_S = 600.0  # a redraw Slack kept failing is tried again this often (a redraw is idempotent) …
REDRAW_FOR_S = 24 * 3600.0  # … for a day after it was first given up on


def _redraw(e: Evaluation, entry: Owed) -> bool:
    """An update of a message already in the thread (a card, the root, a posted scorecard): safe to try again."""
    return not entry.effect.posts or (isinstance(entry.effect, PostScorecard) and e.scorecard_ts is not None)


def _give_up_or_retry(e: Evaluation, failed: dict[str, DeliveryFailed], now: float) -> list[Effect]:
    """Count failed attempts; owe one notice when entries run out of tries, once per fault.

    A post that runs out is given up. A redraw that runs out on a passing failure (Slack's 5xx for minutes) stays
    owed and is tried every :data:`REDRAW_LATER_S`, so the thread is redrawn once Slack answers again; people are
    told once that it is out of date meanwhile."""
    announced = {o.key for o in e.pending} & set(e.undelivered)  # a fault people were told of is still going on
    given_up: list[tuple[Owed, DeliveryFailed]] = []
    for entry in list(e.pending):
        exc = failed.get(entry.key)
        if exc is None:
            continue
        entry.failed(exc.reason, now)
        if not (exc.permanent or entry.exhausted):
            continue
        if not exc.permanent and _redraw(e, entry) and entry.attempts <= MAX_ATTEMPTS + REDRAW_FOR_S // REDRAW_LATER_S:
            entry.next_at = now + REDRAW_LATER_S
        else:
            log.warning("delivery_given_up", evaluation=e.id, effect=entry.key, reason=exc.reason)
            e.pending.remove(entry)
        if entry.key in e.undelivered:
            continue  # given up before and people were told (a root someone deleted fails every redraw): once
        e.undelivered.append(entry.key)
        given_up.append((entry, exc))
    # a root that never posted means /ftcheck start failed: the person who ran it is told there, not twice
    told = [(o, x) for o, x in given_up if not isinstance(o.effect, TellUndelivered | PostRoot)]
    if not told or announced:
        return []
    entry, exc = min(told, key=lambda t: _TOLD_FIRST.index(_told_kind(e, t[0])))  # what matters most to the team
    return flow.owe(e, [TellUndelivered(what=entry.key, reason=exc.reason)])


# a line still quoting a deleted (perhaps confidential) description comes before a stale scorecard
_TOLD_FIRST = ("lost post", "redraw_deleted_report", "post_scorecard", "update_root", "update_card", "other")


def _told_kind(e: Evaluation, entry: Owed) -> str:
    """A message never posted is named first, then a report line still quoting a deleted description, an out-of-date
    scorecard (the decision), the root, a card."""
    if entry.effect.posts and not _redraw(e, entry):
        return "lost post"
    kind = entry.effect.kind
    return kind if kind in _TOLD_FIRST else "other"


# -- one handler per effect type ---------------------------------------------------------------------------

ROOT_POSTS = 2  # a start posts its root at most this often (Slack applied a post it did not confirm: found first)


async def _post_root(engine: Engine, run: Delivery, effect: Effect) -> None:
    view = run.view
    if view.thread_ts is not None:
        return
    ref = view.post_ref("root")
    ts: str | None = None
    for attempt in range(ROOT_POSTS):
        try:
            ts = await engine.find_or_post(run, ref, lambda: engine.presenter.post_root(view, run.checklist))
            break
        except DeliveryFailed as exc:
            # a 5xx, a dropped connection or a timeout: Slack may have applied it. Look for it by its metadata and
            # adopt it; post once more only when it is certainly not there (a failed look posts nothing again)
            if exc.permanent or exc.unconfirmed or engine.recovery is None or run.look_first:
                # a repeat (the outbox) looked first already: its next try looks again. Unconfirmed: this delivery
                # lost its hold (a long Retry-After): the outbox that took over adopts or posts the root, and card 1
                raise
            try:
                ts = await engine.recovery.find_posted(view, ref)
            except DeliveryFailed:
                raise DeliveryFailed(exc.reason, permanent=False, unconfirmed=True) from exc
            if ts is not None:
                log.info("delivery_found", evaluation=view.id, ref=ref)
                break
            if exc.unanswered:  # still under way at Slack, perhaps: the outbox looks again after its hold
                raise DeliveryFailed(exc.reason, permanent=False, unconfirmed=True) from exc
            if attempt + 1 == ROOT_POSTS:
                raise
    assert ts is not None
    view.thread_ts = ts
    await engine.store.link_thread(view.id, view.channel, ts)  # findable before the record is written


async def _update_root(engine: Engine, run: Delivery, effect: Effect) -> None:
    if run.view.thread_ts is not None:
        await engine.presenter.update_root(run.view, run.checklist)


async def _post_card(engine: Engine, run: Delivery, effect: Effect) -> None:
    assert isinstance(effect, PostCard)
    view = run.view
    if view.status == "deleted":
        return  # deleted meanwhile: no card to answer
    if view.thread_ts is None:
        raise Deferred
    if any(c.open for c in view.cards.values() if c.question == effect.question):
        return  # adopted by a click before this delivery (never post a card twice)
    if flow.card_state(view, effect.question) in ("answered", "split"):
        return  # answered meanwhile (a Change answer): a card asking it again would be stale
    ts = await engine.find_or_post(run, view.post_ref("card", effect.question),
                                   lambda: engine.presenter.post_card(view, run.checklist, effect.question))
    view.cards[ts] = Card(question=effect.question)
    run.cards.append((effect.question, ts))


async def _update_card(engine: Engine, run: Delivery, effect: Effect) -> None:
    assert isinstance(effect, UpdateCard)
    for ts in run.view.cards_of(effect.question):
        await engine.presenter.update_card(run.view, run.checklist, ts)


async def _post_scorecard(engine: Engine, run: Delivery, effect: Effect) -> None:
    view = run.view
    if view.thread_ts is None:
        raise Deferred
    if view.scorecard_ts is not None:
        await engine.presenter.update_scorecard(view, run.checklist, run.card)
        return
    if view.status == "deleted":
        return  # deleted meanwhile: no scorecard to post
    view.scorecard_ts = await engine.find_or_post(
        run, view.post_ref("scorecard"), lambda: engine.presenter.post_scorecard(view, run.checklist, run.card))


async def _post_note(engine: Engine, run: Delivery, effect: Effect) -> None:
    assert isinstance(effect, PostNote)
    recovery = engine.recovery
    if recovery is not None and run.view.thread_ts is not None:
        view = run.view
        await engine.find_or_post(run, view.post_ref("note"), lambda: recovery.post_note(view, run.checklist,
                                                                                          effect.about))


async def _post_decision_change(engine: Engine, run: Delivery, effect: Effect) -> None:
    """The thread is told that a change after the scorecard changed the decision (Slack; the terminal shows the
    scorecard again)."""
    assert isinstance(effect, PostDecisionChange)
    recovery, view = engine.recovery, run.view
    if recovery is not None and view.thread_ts is not None and view.status == "completed":
        await engine.find_or_post(run, view.post_ref(effect.key),
                                  lambda: recovery.post_decision_change(view, run.checklist, effect))


async def _post_split(engine: Engine, run: Delivery, effect: Effect) -> None:
    """A split card waits for the starter: one reply in the thread mentions them (Slack; the terminal has one user,
    who sees the split card). Nothing once it no longer waits: settled, asked again or closed before it went out."""
    assert isinstance(effect, PostSplit)
    recovery, view = engine.recovery, run.view
    if recovery is None or view.status != "in_progress":
        return
    if view.card_for(effect.question) != effect.card or flow.card_state(view, effect.question) != "split":
        return
    if view.thread_ts is None:
        raise Deferred
    ts = await engine.find_or_post(run, view.post_ref(effect.key),
                                   lambda: recovery.post_split(view, run.checklist, effect))
    run.splits.append((effect.card, ts))  # recorded with the delivery: the reply is edited once the split is settled


async def _update_split(engine: Engine, run: Delivery, effect: Effect) -> None:
    """The reply that told the starter of a split says how it ended (Slack; the terminal has no reply), whatever the
    evaluation's state since (the scorecard may be out). A reply Slack refuses for good (deleted, its channel
    archived) is done, with one warning; any other failure is tried again by the outbox."""
    assert isinstance(effect, UpdateSplit)
    replies = engine.recovery
    if not isinstance(replies, SplitReplies) or not run.checklist.asks(effect.question):
        return
    ts = await _split_reply(engine, run, effect)
    if ts is None:
        return
    try:
        await replies.update_split(run.view, run.checklist, effect, ts)
    except DeliveryFailed as exc:
        if not exc.permanent:
            raise
        log.warning("split_reply_not_edited", evaluation=run.view.id, card=effect.card, error=exc.reason)


async def _split_reply(engine: Engine, run: Delivery, effect: UpdateSplit) -> str | None:
    """The ts of the reply :func:`_update_split` edits, or None when there is none to edit. Recorded with the card;
    else its post is owed still, or was not recorded (a crash, a record that failed): the writer leaves the edit to
    the outbox, which looks for the reply by its metadata once the post's hold is over (never drawn before it
    lands)."""
    card = run.view.cards.get(effect.card)
    if card is not None and card.split_reply is not None:
        return card.split_reply
    if not run.look_first:  # still under way, or posted and not recorded: not an attempt that failed
        raise Deferred
    if engine.recovery is None:
        return None
    ts = await engine.recovery.find_posted(run.view, run.view.post_ref(effect.told))
    if ts is not None:
        run.splits.append((effect.card, ts))
    return ts


async def _tell_undelivered(engine: Engine, run: Delivery, effect: Effect) -> None:
    assert isinstance(effect, TellUndelivered)
    if engine.recovery is not None:
        await engine.recovery.tell_undelivered(run.view, run.checklist, effect.what, effect.reason)


async def _book_reminder(engine: Engine, run: Delivery, effect: Effect) -> None:
    """The completion's follow-ups (the re-evaluation reminder): a failure leaves it owed, and the outbox retries."""
    if run.view.status != "completed":
        return  # deleted before it was booked: it reminds of nothing (the delete handed the reminder back)
    for hook in engine.on_completed:
        await hook(run.view)


async def _redraw_deleted_report(engine: Engine, run: Delivery, effect: Effect) -> None:
    """A deleted description's report line says it was deleted (Slack; the terminal shows no report line). Redrawn
    whatever the evaluation's state, for it quotes the description. A line Slack refuses for good (deleted, its
    channel archived) is done, with one warning; any other failure is tried again by the outbox."""
    assert isinstance(effect, RedrawDeletedReport)
    lines = engine.recovery
    if not isinstance(lines, ReportLines):
        return
    try:
        await lines.redraw_deleted_report(run.view, effect)
    except DeliveryFailed as exc:
        if not exc.permanent:
            raise
        log.warning("deleted_report_not_redrawn", evaluation=run.view.id, ref=report_ref(run.view.id, effect.revision),
                    error=exc.reason)


HANDLERS: dict[type, Handler] = {
    PostRoot: _post_root,
    UpdateRoot: _update_root,
    PostCard: _post_card,
    UpdateCard: _update_card,
    PostScorecard: _post_scorecard,
    PostNote: _post_note,
    PostDecisionChange: _post_decision_change,
    PostSplit: _post_split,
    UpdateSplit: _update_split,
    TellUndelivered: _tell_undelivered,
    BookReminder: _book_reminder,
    RedrawDeletedReport: _redraw_deleted_report,
}
