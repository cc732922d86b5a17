"""Idle evaluations from a due-time queue: one gentle nudge, then closed if nobody comes back.

Every write of an in-progress Slack evaluation sets its mark in ``ftc:{idle}:due`` (``due_queues.idle_mark``,
in the same round trip as the write), so a tick finds the idle ones with one range query over
what is due — it never reads every open evaluation. A claimed evaluation is nudged once (in vote mode the
nudge names who has not voted yet); if it stays quiet for the grace period (``abandon_after`` − ``idle_after``)
after the nudge it is closed with a note in its thread and leaves the active set, so abandoned evaluations stop
costing anything. The grace runs from the nudge really posted: after every replica was down longer than
``abandon_after``, the first tick nudges and the closing still waits the whole grace.

After the nudge the mark's score (``idle_check_at``) is the closing time minus ``idle_after``, so that the claim
below (quiet spells that began ``idle_after`` ago) takes it at the closing time. Documents nudged by the previous
version hold last activity + the grace there: the same closing time as before, read the same way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import structlog

from conversations.due_queues import IDLE_DUE
from conversations.models import Evaluation, utcnow
from conversations.queries import waiting_question
from conversations.store import Store
from scoring.checklist import Checklist, Registry, UnknownChecklist

log = structlog.get_logger(__name__)

# An evaluation whose checklist is not loaded (its team file went bad or away after it started) is neither nudged
# nor closed; it is looked at again this much later (only a restart with the file fixed loads the checklist).
CHECKLIST_WAIT = timedelta(hours=1)

# Take up to ARGV[2] members whose quiet spell began before ARGV[1]; exactly one claimer gets each.
_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, m in ipairs(due) do redis.call('ZREM', KEYS[1], m) end
return due
"""


class IdleWatch:
    def __init__(self, store: Store, registry: Registry, nudge: Callable[[Evaluation, str], Awaitable[None]],
                 *, idle_after: timedelta, abandon_after: timedelta,
                 close: Callable[[Evaluation], Awaitable[object]]) -> None:
        self.store, self.registry, self.nudge, self.close = store, registry, nudge, close
        self.idle_after, self.abandon_after = idle_after, max(abandon_after, idle_after)
        self._claim = store.redis.register_script(_CLAIM)
        self._unavailable: set[str] = set()  # evaluations already warned about (their checklist is not loaded)

    async def tick(self, now: datetime | None = None, limit: int = 200) -> int:
        """Nudge or close what has been quiet long enough; returns how many evaluations were looked at."""
        now = now or utcnow()
        cutoff = (now - self.idle_after).timestamp()
        raw = await self.store._call(lambda: self._claim(keys=[IDLE_DUE], args=[cutoff, limit]))
        for member in raw:
            eid = member.decode() if isinstance(member, bytes) else str(member)
            try:
                await self._one(eid, now)
            except Exception:  # the claim took the mark: put it back so the next tick looks again
                log.exception("idle_check_failed", evaluation=eid)
                with contextlib.suppress(Exception):
                    await self._put_back(eid, cutoff)
        return len(raw)

    async def _put_back(self, eid: str, since: float) -> None:
        await self.store._call(lambda: self.store.redis.zadd(IDLE_DUE, {eid: since}, nx=True))

    async def _one(self, eid: str, now: datetime) -> None:
        ev = await self.store.get(eid)
        if ev is None or ev.status != "in_progress" or ev.origin != "slack":
            return
        if now - ev.last_activity < self.idle_after:
            await self._again(ev, ev.last_activity)  # someone came back since the mark was written
            return
        checklist = await self._checklist(ev, now)
        if checklist is None:
            return
        if not ev.idle_nudged:
            await self._nudge(ev, checklist, now)
        elif now >= self._closing_at(ev):
            await self.close(ev)
        else:
            await self._again(ev, self._closing_at(ev) - self.idle_after)

    def _closing_at(self, ev: Evaluation) -> datetime:
        """When a nudged evaluation that is still quiet is closed."""
        if ev.idle_check_at is None:  # nudged, but the check time was never written: as the grace implies
            return ev.last_activity + self.abandon_after
        return ev.idle_check_at + self.idle_after

    async def _checklist(self, ev: Evaluation, now: datetime) -> Checklist | None:
        """The evaluation's checklist; None when it is not loaded: then the evaluation is neither nudged nor closed
        but looked at again after :data:`CHECKLIST_WAIT`, with one warning per evaluation and process."""
        try:
            return self.registry.get(ev.checklist)
        except UnknownChecklist as exc:
            await self._again(ev, now + CHECKLIST_WAIT - self.idle_after)
            if ev.id not in self._unavailable:
                self._unavailable.add(ev.id)
                log.warning("idle_checklist_unavailable", evaluation=ev.id, checklist=exc.checklist_id,
                            reason=exc.reason)
            return None

    async def _nudge(self, ev: Evaluation, checklist: Checklist, now: datetime) -> None:
        # nothing left to ask: only questions the team skipped twice keep it open (a provisional scorecard is out)
        question = waiting_question(ev, checklist) or next(
            (q.id for q in checklist.questions if ev.value(q.id) is None), None)
        check_at = now + (self.abandon_after - self.idle_after) - self.idle_after  # closing: the grace after now

        def nudged(e: Evaluation) -> bool:
            if e.idle_nudged:
                return False
            e.idle_nudged, e.idle_check_at = True, check_at
            return True

        # the write decides who nudges: only the writer whose compare-and-set landed sees True
        stored, won, _ = await self.store.update(ev.id, nudged, by="ftcheck", action="idle nudge", known=ev)
        if won and question is not None:
            await self.nudge(stored, question)

    async def _again(self, ev: Evaluation, since: datetime) -> None:
        await self.store._call(lambda: self.store.redis.zadd(IDLE_DUE, {ev.id: since.timestamp()}, nx=True))
