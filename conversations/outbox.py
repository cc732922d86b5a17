"""The outbox tick: delivers what evaluations still owe after a fault, within seconds, once.

Every replica calls :meth:`Outbox.tick` every second or so. It claims the evaluations whose hold in the
due queue (``due_queues.OUTBOX_DUE``) has run out — the writer that owed a message delivers it itself
and holds the entry meanwhile, so the tick only sees what a crash, a Slack error or a Redis outage left
behind. It reads only what is due: the cost of a tick does not grow with the number of evaluations. Each
evaluation is delivered on its own; one that keeps failing backs off alone and never blocks the others.
Before a message is posted again, the front end looks in the thread for the first attempt (Slack message
metadata), so a post that landed while its record failed is adopted, not repeated.
"""

from __future__ import annotations

import asyncio
import time

import structlog

from conversations import flow
from conversations.due_queues import OUTBOX_DUE, RELEASE, hold_score
from conversations.effects import LEASE_S, Owed
from conversations.engine import Engine
from conversations.models import Evaluation
from conversations.read_models import text_of
from conversations.store import StoreUnavailable
from scoring.checklist import UnknownChecklist

log = structlog.get_logger(__name__)

# Claim up to ARGV[2] members whose hold ran out (score <= ARGV[1]) by holding them until ARGV[3].
_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, m in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[3], m) end
return due
"""

# Bring forward up to ARGV[2] members held for a retry's backoff, not for a delivery in flight: a delivery's lease is
# at most LEASE_S ahead of its holder's clock (renewed every second), so a score past ARGV[1] (now + WAKE_AFTER_S)
# is a backoff. Each is held until ARGV[3] for the caller, as a claim.
_WAKE = """
local held = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'LIMIT', 0, tonumber(ARGV[2]))
for _, m in ipairs(held) do redis.call('ZADD', KEYS[1], ARGV[3], m) end
return held
"""

BATCH = 50
WAKE_MAX = 200  # evaluations one wake retries at once (each delivered at most CONCURRENCY at a time)
# A delivery's lease plus two seconds for the replicas' clocks to disagree.
WAKE_AFTER_S = LEASE_S + 2.0
CONCURRENCY = 8
# An evaluation whose checklist is not loaded (its team file went bad or away after it started) keeps what it
# owes and is looked at again this much later: only a restart with the file fixed loads it again.
CHECKLIST_WAIT_S = 60.0


class Outbox:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = engine.store
        self._claim = self.store.redis.register_script(_CLAIM)
        self._release = self.store.redis.register_script(RELEASE)
        self._wake = self.store.redis.register_script(_WAKE)
        self._unavailable: set[str] = set()  # evaluations already warned about (their checklist is not loaded)
        self._woken = False

    def wake(self) -> None:
        """Slack answers again after an outage: the next tick retries at once what failed meanwhile, instead of
        when each entry's backoff runs out (up to a minute, or 10 minutes for a redraw that ran out of tries), so a
        thread is not left out of date that long. A Retry-After's hold is kept (its entry failed ``ratelimited``)."""
        self._woken = True

    async def tick(self, now: float | None = None) -> int:
        """Deliver what is due now; returns how many evaluations were looked at."""
        now = time.time() if now is None else now
        held = hold_score(now)
        woken = await self._claim_woken(now, held) if self._woken else set()
        raw = await self.store._call(lambda: self._claim(keys=[OUTBOX_DUE], args=[int(now * 1000), BATCH, held]))
        eids = [*woken, *(e for e in map(text_of, raw) if e not in woken)]
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(eid: str) -> None:
            async with gate:
                try:
                    await self.repair(eid, now, held, woken=eid in woken)
                except StoreUnavailable:  # Redis went away mid-tick: the server logs the outage once
                    pass  # the hold runs out and the next tick tries again
                except Exception:  # isolated: the hold runs out and the next tick tries again
                    log.exception("outbox_repair_failed", evaluation=eid)

        await asyncio.gather(*(one(eid) for eid in eids))
        return len(eids)

    async def _claim_woken(self, now: float, held: int) -> set[str]:
        """Claim the evaluations held for a backoff (:meth:`wake`), up to :data:`WAKE_MAX`, once per wake: the
        ones held on for a Retry-After or an unloaded checklist are held again past the threshold, and claiming them
        at every tick would never end."""
        self._woken = False
        raw = await self.store._call(lambda: self._wake(keys=[OUTBOX_DUE],
                                                        args=[hold_score(now, WAKE_AFTER_S), WAKE_MAX, held]))
        if raw:
            log.info("outbox_woken", evaluations=len(raw))
        return {text_of(m) for m in raw}

    async def repair(self, eid: str, now: float, held: int, *, woken: bool = False) -> None:
        """Deliver what ``eid`` owes that is due; ``woken``: also what failed before Slack answered again."""
        ev = await self.store.get(eid)
        owed = [] if ev is None else flow.still_owed_when_deleted(ev) if ev.status == "deleted" else ev.pending
        if ev is None or not owed or ev.origin != "slack":
            await self.store._call(lambda: self._release(keys=[OUTBOX_DUE], args=[eid, held]))
            return
        due = [o.effect for o in owed if _due(o, now, woken)]
        if not due:
            later = min(o.next_at for o in owed)
            await self.store.hold(eid, now, later - now)
            return
        if not await self._checklist_loaded(ev, now):
            return
        log.info("outbox_repair", evaluation=eid, effects=[e.key for e in due])
        await self.engine.deliver(ev, due, look_first=True, held=held)

    async def _checklist_loaded(self, ev: Evaluation, now: float) -> bool:
        """False when the evaluation's checklist is not loaded: what it owes stays owed (no attempt counted, nothing
        given up) and it is held for :data:`CHECKLIST_WAIT_S`; one warning per evaluation and process."""
        try:
            self.engine.checklist(ev)
        except UnknownChecklist as exc:
            await self.store.hold(ev.id, now, CHECKLIST_WAIT_S)
            if ev.id not in self._unavailable:
                self._unavailable.add(ev.id)
                log.warning("outbox_checklist_unavailable", evaluation=ev.id, checklist=exc.checklist_id,
                            reason=exc.reason, owed=[o.key for o in ev.pending])
            return False
        return True


def _due(entry: Owed, now: float, woken: bool) -> bool:
    """Whether the tick delivers ``entry`` now. A woken evaluation (:meth:`Outbox.wake`) gets only what failed
    before Slack answered again: a backoff hold hides a lease under it (holds only go up), so an entry owed since
    may be its writer's, still in flight. A Retry-After's hold is kept (``ratelimited``)."""
    if woken:
        return entry.attempts > 0 and entry.error != "ratelimited"
    return entry.next_at <= now
