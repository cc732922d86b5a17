"""Re-evaluation reminders and idle nudges, exactly once across any number of replicas.

APScheduler 3 must not share a job store between schedulers, so APScheduler only runs the clock: every
replica's ``AsyncIOScheduler`` calls :meth:`Reminders.tick` every few seconds. The reminders themselves
live in Redis:

* ``ftc:{rem}:due`` — sorted set, member = evaluation id, score = due time (epoch seconds);
* ``ftc:{rem}:lease`` — sorted set of claimed members, score = lease expiry;
* ``ftc:{rem}:every`` — hash, member -> the cadence a lead chose (``/ftcheck remind <project> monthly``) in
  seconds, as the previous version wrote it: 2592000 (30 days) is monthly and 7862400 (91 days) quarterly, both
  counted in calendar months (:class:`Cadence`); absent = the default interval;
* ``ftc:{rem}:latest`` — hash, ``<team>:<channel>:<project_key>`` -> ``<started_at epoch seconds>|<evaluation
  id>``: the latest-started completed evaluation of each project in each channel, so that completing a newer one
  stops the older one's reminders in the same script (one round trip on the click that completes). Reminders are
  per channel, as starting and re-evaluating are: the same project name in two channels keeps one reminder in
  each, and a private channel's result never moves another channel's reminder. The previous version keyed it
  ``<team>:<project_key>``; :func:`split_latest_by_channel` (a migration) moves those fields;
* ``ftc:{rem}:posting`` — hash, member -> when posting its reminder now due was first tried (epoch seconds): the
  reminder's name in its Slack metadata, so a retry looks for what an earlier try may have posted (Slack can apply a
  post and still fail it) instead of posting it twice. Written before the first try, dropped once it is posted, paused
  or rescheduled.

Whatever happens to a reminder is said once to someone: an evaluation of the project still open in the channel when
it falls due defers it a day at a time (no nudge to start what is under way; completing it moves the reminder to the
new result); a channel the bot cannot post in any more (archived, the bot removed) pauses it and the front end tells
the starter how to turn it back on (:class:`ReminderUndeliverable`); deleting the result that held the project's
reminder hands it back to the channel's result before (:meth:`ReminderQueue.hand_back`).

A tick claims due members with one Lua script (ZREM from ``due`` + ZADD to ``lease``), so exactly one
replica gets each. After posting a second script removes the lease and schedules the next reminder
(unless someone stopped or snoozed the reminders during the post); a post that fails goes back into
``due`` a minute later; a replica that dies holding a lease loses it when the lease expires and another
replica posts instead; either way the retry looks first (``ftc:{rem}:posting``). A reminder that fell due while
every replica was down simply waits in ``due`` and is posted once by the first tick after restart. Every due
time is computed on the team's wall clock and moved into the working-hours window before it is stored
(:meth:`WorkingHours.after`), so the day the bot names is the day it posts. All the keys share the hash
tag ``{rem}``, so the scripts run on Redis Cluster.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

import structlog
from redis.commands.core import AsyncScript

from conversations import flow, queries
from conversations.engine import scorecard_of
from conversations.idle import IdleWatch
from conversations.models import Evaluation, utcnow
from conversations.read_models import text_of
from conversations.store import Store
from scoring.checklist import Checklist, Registry, UnknownChecklist
from scoring.scorecard import Scorecard

log = structlog.get_logger(__name__)

DUE = "ftc:{rem}:due"
LEASE = "ftc:{rem}:lease"
EVERY = "ftc:{rem}:every"
LATEST = "ftc:{rem}:latest"
POSTING = "ftc:{rem}:posting"
GONE = "ftc:{rem}:gone"  # evaluations deleted in the last day (see ``_HAND_BACK``)
CHOSEN = "ftc:{rem}:chosen"  # evaluations whose reminder a lead set (off, a date, a cadence): a late booking keeps it
# projects (``latest``'s fields: team, channel, project) whose reminders a lead turned off: a re-evaluation completed
# there books none, until a lead sets a cadence or a date again (off used to last only until the next completion)
OFF = "ftc:{rem}:off"
LEASE_S = 120
RETRY_S = 60
# While an evaluation of the project is open in the channel, its reminder is looked at again this much later.
DEFER = timedelta(days=1)
# A reminder for an evaluation whose checklist is not loaded (its team file went bad or away) waits this long
# before it is tried again (only a restart with the file fixed loads the checklist); it is never dropped.
CHECKLIST_RETRY_S = 3600

_CLAIM = """
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
for _, m in ipairs(expired) do
  redis.call('ZREM', KEYS[2], m)
  redis.call('ZADD', KEYS[1], ARGV[1], m)
end
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local claimed = {}
for _, m in ipairs(due) do
  if redis.call('ZREM', KEYS[1], m) == 1 then
    redis.call('ZADD', KEYS[2], tonumber(ARGV[1]) + tonumber(ARGV[2]), m)
    table.insert(claimed, m)
  end
end
return claimed
"""

# After a post: drop the lease and schedule the next reminder — unless someone stopped the reminders while
# it was being posted (the lease is gone) or snoozed them (already back in ``due``: NX keeps their time). Either way
# the next reminder is a new one: the first try of this one (``posting``, KEYS[3]) is forgotten.
_FINISH = """
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1])
  return 1
end
return 0
"""

# An evaluation completed: pick its cadence (its own, else the previous evaluation's, else that of the one it
# supersedes, copied; else the default), schedule it, and stop the project's earlier evaluation in this channel
# named in ``latest``. An evaluation that started before the one ``latest`` names (completing late) is still
# scheduled but neither cancels nor replaces it; the check before posting drops its reminder. Returns the cadence in
# seconds, nil = default. The due times are computed by the caller (calendar months, working hours): ARGV[7..] pairs
# a stored cadence with its due time; a cadence not among them (none is written today) falls back to now + seconds.
# A reminder scheduled or dropped here is a new one: the first try of an earlier one (``posting``) is forgotten.
# An evaluation deleted meanwhile (``gone``: the delete's hand-back ran first) is not scheduled: returns 'gone'.
# One whose reminder a lead already set (``chosen``: off, a date, a cadence; a booking retried late) keeps it. One of
# a project whose reminders a lead turned off in this channel (``off``) is not scheduled.
# KEYS: due, lease, every, latest, posting, gone, chosen, off. ARGV: id, previous id or '', now, due at the default,
# project field, started, then cadence, due, cadence, due …
_COMPLETE = """
if redis.call('ZSCORE', KEYS[6], ARGV[1]) then
  return 'gone'
end
local chosen = redis.call('HEXISTS', KEYS[7], ARGV[1]) == 1
local latest = redis.call('HGET', KEYS[4], ARGV[5])
local started, old = nil, nil
if latest then
  local s, o = string.match(latest, '^([^|]+)|(.+)$')
  started, old = tonumber(s), o
end
local newer = started and started > tonumber(ARGV[6])
local every = redis.call('HGET', KEYS[3], ARGV[1])
if not chosen then
  for _, from in ipairs({ARGV[2], (not newer) and old or ''}) do
    if not every and from ~= '' and from ~= ARGV[1] then
      every = redis.call('HGET', KEYS[3], from)
      if every then redis.call('HSET', KEYS[3], ARGV[1], every) end
    end
  end
  local at = ARGV[4]
  if every then
    at = tonumber(ARGV[3]) + tonumber(every)
    for i = 7, #ARGV - 1, 2 do
      if ARGV[i] == every then at = ARGV[i + 1] end
    end
  end
  if redis.call('HEXISTS', KEYS[8], ARGV[5]) == 0 then
    redis.call('ZADD', KEYS[1], at, ARGV[1])
  end
  redis.call('HDEL', KEYS[5], ARGV[1])
end
if newer then
  return every
end
if old and old ~= ARGV[1] then
  redis.call('ZREM', KEYS[1], old)
  redis.call('ZREM', KEYS[2], old)
  redis.call('HDEL', KEYS[3], old)
  redis.call('HDEL', KEYS[5], old)
  redis.call('HDEL', KEYS[7], old)
end
redis.call('HSET', KEYS[4], ARGV[5], ARGV[6] .. '|' .. ARGV[1])
return every
"""

# An evaluation was deleted: drop its reminder and, when it was the project's latest result in the channel (named in
# ``latest``) and reminded, hand its reminder to the channel's result before it (``current``: due at ARGV[5], with
# the cadence ARGV[6] when one was chosen). A newer result completed meanwhile (``latest`` names another) is left
# alone. Returns 1 when the reminder was handed back, 0 when the deleted one had none to hand, -1 when none was
# due to move (not the latest, or no result left). The deleted id is kept in ``gone`` for a day, so a completion
# booking it late (its delivery was in flight during the delete) books nothing (``_COMPLETE``). With no result left
# in the channel, reminders a lead turned off there (``off``) are forgotten too: the project starts over.
# KEYS: due, lease, every, latest, posting, gone, off. ARGV: deleted id, project field, current id or '', current
# started, due, cadence, now.
_HAND_BACK = """
redis.call('ZADD', KEYS[6], ARGV[7], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', tonumber(ARGV[7]) - 86400)
local had = redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZSCORE', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
local latest = redis.call('HGET', KEYS[4], ARGV[2])
if not latest or string.sub(latest, -(#ARGV[1] + 1)) ~= '|' .. ARGV[1] then
  return -1
end
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[4], ARGV[2])
  redis.call('HDEL', KEYS[7], ARGV[2])
  return -1
end
redis.call('HSET', KEYS[4], ARGV[2], ARGV[4] .. '|' .. ARGV[3])
if not had then
  return 0
end
if redis.call('ZADD', KEYS[1], 'NX', ARGV[5], ARGV[3]) == 1 then redis.call('HDEL', KEYS[5], ARGV[3]) end
if ARGV[6] ~= '' then redis.call('HSET', KEYS[3], ARGV[3], ARGV[6]) end
return 1
"""

# A field the previous version wrote (``<team>:<project_key>``) moves to its evaluation's channel; a later one there
# is kept. KEYS: latest. ARGV: old field, new field, value (``<started>|<id>``), started.
_SPLIT = """
local there = redis.call('HGET', KEYS[1], ARGV[2])
local s = there and tonumber(string.match(there, '^([^|]+)|'))
if not s or s < tonumber(ARGV[4]) then redis.call('HSET', KEYS[1], ARGV[2], ARGV[3]) end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
"""

_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_HOURS = re.compile(r"^\s*([A-Za-z]{3})\s*-\s*([A-Za-z]{3})\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
# What ``ftc:{rem}:every`` holds for a cadence in months: the seconds the previous version wrote for monthly and
# quarterly (and still acts on, as 30 and 91 days, during a rolling deploy).
_STORED_MONTHS = {1: timedelta(days=30), 3: timedelta(days=91)}
# A due time is never put in the window's last minutes: ticks come every FTCHECK_TICK_SECONDS (30 s by default),
# and a reminder due at 16:59:50 could find the window closed and come a working day after the day promised.
LAST_CALL = timedelta(minutes=5)


@dataclass(frozen=True)
class Cadence:
    """How far apart reminders come: calendar months (monthly, quarterly) or a duration (``FTCHECK_REEVALUATE_AFTER``,
    the snooze). Months and whole days are counted on the team's wall clock, so a reminder keeps its hour across a
    DST change; the part of a duration under a day (``36h``, ``30s``) is elapsed time."""

    months: int = 0
    length: timedelta = timedelta(0)

    @classmethod
    def stored_as(cls, every: timedelta) -> Cadence:
        """The cadence ``ftc:{rem}:every`` names: exactly 30 days is monthly, 91 days quarterly, else that long."""
        for months, stored in _STORED_MONTHS.items():
            if every == stored:
                return cls(months=months)
        return cls(length=every)

    @property
    def stored(self) -> timedelta:
        """What ``ftc:{rem}:every`` holds for this cadence."""
        return _STORED_MONTHS[self.months] if self.months else self.length

    def after(self, at: datetime, tz: tzinfo) -> datetime:
        """``at`` plus this cadence; a day past the end of a month is clamped (Jan 31 + 1 month = Feb 28/29)."""
        local, days = at.astimezone(tz), timedelta(days=self.length.days)
        wall = _plus_months(local, self.months) if self.months else local + days  # aware + timedelta: wall clock
        return wall.astimezone(UTC) + (self.length - days)


def _plus_months(local: datetime, months: int) -> datetime:
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    return local.replace(year=year, month=month, day=min(local.day, monthrange(year, month)[1]), fold=0)


SCHEDULES = {"quarterly": Cadence(months=3), "monthly": Cadence(months=1)}
SNOOZE = Cadence(length=timedelta(days=14))
UNSAID = Cadence(length=timedelta(days=90))  # a checklist that names no cadence of its own


def default_cadence(after: timedelta | None, checklist: Checklist) -> Cadence:
    """How often an evaluation of ``checklist`` is re-evaluated when no lead chose: ``after``
    (``FTCHECK_REEVALUATE_AFTER``) when it is set, else the checklist's own ``reevaluate`` (the article's advice:
    quarterly for the readiness checklist, monthly for the deployment gate), else 90 days."""
    if after is not None:
        return Cadence(length=after)
    every = checklist.reevaluate_every
    if every is None:
        return UNSAID
    months, days = every
    return Cadence(months=months) if months else Cadence(length=timedelta(days=days))


def _clock(spec: str, hours: str, minutes: str) -> time:
    if int(hours) > 23:
        raise ValueError(f"{spec!r}: {hours}:{minutes} is not a time of day (00:00 to 23:59); use 23:59 for the "
                         "end of the day, or 'always' for no window")
    if int(minutes) > 59:
        raise ValueError(f"{spec!r}: {hours}:{minutes} is not a time of day; minutes go from 00 to 59")
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class WorkingHours:
    """``Mon-Fri 09:00-17:00`` in a time zone; ``always`` means no window."""

    days: frozenset[int] | None
    start: time
    end: time
    tz: ZoneInfo

    @classmethod
    def parse(cls, spec: str, tz: str = "UTC") -> WorkingHours:
        zone = ZoneInfo(tz)
        if spec.strip().lower() == "always":
            return cls(days=None, start=time(0), end=time(23, 59, 59), tz=zone)
        match = _HOURS.match(spec)
        if not match:
            raise ValueError(f"{spec!r} is not a working-hours window; use e.g. 'Mon-Fri 09:00-17:00' or 'always'")
        d1, d2, h1, m1, h2, m2 = match.groups()
        try:
            first, last = _DAYS.index(d1.lower()), _DAYS.index(d2.lower())
        except ValueError:
            raise ValueError(f"{spec!r}: days are Mon, Tue, Wed, Thu, Fri, Sat, Sun") from None
        days = range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)]
        start, end = _clock(spec, h1, m1), _clock(spec, h2, m2)
        if start >= end:
            raise ValueError(f"{spec!r}: the window must end after it starts")
        return cls(days=frozenset(days), start=start, end=end, tz=zone)

    def contains(self, at: datetime) -> bool:
        if self.days is None:
            return True
        local = at.astimezone(self.tz)
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself if inside the window, else the start of the next window (never before ``at``)."""
        if self.contains(at):
            return at
        local = at.astimezone(self.tz)
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            if self.days is not None and day.weekday() not in self.days:
                continue
            # both readings of a wall time repeated when clocks fall back; instants compared (and returned in UTC:
            # an ambiguous local time never equals an instant in another zone), not wall times
            for fold in (0, 1):
                candidate = datetime.combine(day, self.start, tzinfo=self.tz).replace(fold=fold).astimezone(UTC)
                if candidate > at:
                    return candidate
        raise ValueError("working-hours window never opens")

    def due(self, at: datetime) -> datetime:
        """When a reminder meant for ``at`` is posted: ``at`` if inside the window and not in its last minutes
        (:data:`LAST_CALL`), else the next opening."""
        if self.days is None or not self.contains(at):
            return self.next_open(at)
        closing = datetime.combine(at.astimezone(self.tz).date(), self.end, tzinfo=self.tz)
        return at if at.astimezone(UTC) < closing.astimezone(UTC) - LAST_CALL else self.next_open(closing)

    def after(self, at: datetime, cadence: Cadence) -> datetime:
        """The due time of a reminder ``cadence`` after ``at``: what is stored, shown and posted on that day."""
        return self.due(cadence.after(at, self.tz))


def latest_field(team: str, channel: str, key: str) -> str:
    """The ``ftc:{rem}:latest`` field of a project in a channel."""
    return f"{team}:{channel}:{key}"


def _field(ev: Evaluation) -> str:
    return latest_field(ev.team, ev.channel, ev.project_key)


class ReminderUndeliverable(Exception):
    """The front end can never post this reminder where it belongs (an archived channel, the bot removed) and has
    told someone so: the reminder is paused until someone turns it back on (``/ftcheck remind``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReminderQueue:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.redis = store.redis
        # redis-py loads each script once (EVALSHA) and reloads it by itself after a Redis restart
        self._claim = self.redis.register_script(_CLAIM)
        self._finish = self.redis.register_script(_FINISH)
        self._complete = self.redis.register_script(_COMPLETE)
        self._hand_back = self.redis.register_script(_HAND_BACK)

    async def completed(self, ev: Evaluation, now: datetime, default: datetime,
                        dues: dict[timedelta, datetime]) -> timedelta | Literal[False] | None:
        """Schedule ``ev`` and supersede the project's earlier evaluation (``_COMPLETE``), in one round trip.

        ``default`` is the due time without a chosen cadence, ``dues`` the due time for each stored cadence.
        Returns the cadence a lead chose (``ev``'s own or its previous evaluation's), None for the default, False
        when nothing was scheduled: ``ev`` was deleted meanwhile.
        """
        args = [ev.id, ev.previous_id or "", repr(now.timestamp()), repr(default.timestamp()), _field(ev),
                repr(ev.started_at.timestamp())]
        for every, due in dues.items():
            args += [str(int(every.total_seconds())), repr(due.timestamp())]
        raw = await self.store._call(
            lambda: self._complete(keys=[DUE, LEASE, EVERY, LATEST, POSTING, GONE, CHOSEN, OFF], args=args))
        if raw in (b"gone", "gone"):
            return False
        return None if raw is None else timedelta(seconds=int(raw))

    async def hand_back(self, deleted: Evaluation, current: Evaluation | None, due: datetime | None,
                        every: timedelta | None, now: datetime | None = None) -> int:
        """``deleted`` was deleted: drop its reminder and, if it held the project's reminder in its channel, hand
        that to ``current`` (due at ``due``, with the cadence ``every`` when one was chosen), in one script.
        1: handed back; 0: it had no reminder to hand (they were off); -1: nothing to hand (see ``_HAND_BACK``)."""
        args = [deleted.id, _field(deleted), current.id if current else "",
                repr(current.started_at.timestamp()) if current else "", repr(due.timestamp()) if due else "0",
                str(int(every.total_seconds())) if every else "", repr((now or utcnow()).timestamp())]
        raw = await self.store._call(
            lambda: self._hand_back(keys=[DUE, LEASE, EVERY, LATEST, POSTING, GONE, OFF], args=args))
        return int(raw)

    async def schedule(self, eid: str, due: datetime) -> None:
        async def both() -> object:
            pipe = self.redis.pipeline(transaction=False)
            pipe.zadd(DUE, {eid: due.timestamp()})
            pipe.hdel(POSTING, eid)  # a new reminder (a snooze, a date): not a retry of one tried before
            return await pipe.execute()

        await self.store._call(both)

    async def cancel(self, eid: str, *, off: str | None = None) -> None:
        """Drop ``eid``'s reminder and its cadence; ``off``: the project field whose reminders stay off too."""
        async def both() -> object:
            pipe = self.redis.pipeline(transaction=False)
            pipe.zrem(DUE, eid)
            pipe.zrem(LEASE, eid)
            pipe.hdel(EVERY, eid)
            pipe.hdel(POSTING, eid)
            if off is not None:
                pipe.hset(OFF, off, "1")
            return await pipe.execute()

        await self.store._call(both)

    async def turn_off(self, ev: Evaluation) -> None:
        """A lead turned the project's reminders off in its channel: ``ev``'s goes (:meth:`cancel`), and a
        re-evaluation completed there later books none (:data:`OFF`) until :meth:`turn_on`; one round trip."""
        await self.cancel(ev.id, off=_field(ev))

    async def turn_on(self, ev: Evaluation) -> None:
        """A lead set a cadence, a date or a snooze: the project's reminders are on again in its channel."""
        await self.store._call(lambda: self.redis.hdel(OFF, _field(ev)))

    async def lead_chose(self, eid: str) -> None:
        """A lead set ``eid``'s reminder (off, a date, a cadence): a completion booked late keeps it (``_COMPLETE``)."""
        await self.store._call(lambda: self.redis.hset(CHOSEN, eid, "1"))

    async def set_every(self, eid: str, every: timedelta) -> None:
        await self.store._call(lambda: self.redis.hset(EVERY, eid, str(int(every.total_seconds()))))

    async def every(self, eid: str) -> timedelta | None:
        raw = await self.store._call(lambda: self.redis.hget(EVERY, eid))
        return None if raw is None else timedelta(seconds=int(raw))

    async def cadence(self, eid: str) -> Cadence | None:
        every = await self.every(eid)
        return None if every is None else Cadence.stored_as(every)

    async def due_at(self, eid: str) -> datetime | None:
        score = await self.store._call(lambda: self.redis.zscore(DUE, eid))
        return None if score is None else datetime.fromtimestamp(float(score), tz=utcnow().tzinfo)

    async def due_many(self, eids: list[str]) -> dict[str, datetime]:
        """When each of ``eids`` is next due (absent: no reminder), in one round trip."""
        if not eids:
            return {}

        async def scores() -> list[object]:
            pipe = self.redis.pipeline(transaction=False)
            for eid in eids:
                pipe.zscore(DUE, eid)
            return list(await pipe.execute())

        raw = await self.store._call(scores)
        return {eid: datetime.fromtimestamp(float(s), tz=utcnow().tzinfo)
                for eid, s in zip(eids, raw, strict=True) if s is not None}

    async def claim(self, now: datetime, limit: int = 200) -> list[str]:
        raw = await self.store._call(
            lambda: self._claim(keys=[DUE, LEASE], args=[str(now.timestamp()), str(LEASE_S), str(limit)]))
        return [m.decode() if isinstance(m, bytes) else str(m) for m in raw]

    async def finish(self, eid: str, next_due: datetime) -> bool:
        """Posted: release the lease and schedule ``next_due``; False when the reminders were changed meanwhile."""
        raw = await self.store._call(
            lambda: self._finish(keys=[DUE, LEASE, POSTING], args=[eid, str(next_due.timestamp())]))
        return bool(raw)

    async def done(self, eid: str) -> None:
        async def both() -> object:
            pipe = self.redis.pipeline(transaction=False)
            pipe.zrem(LEASE, eid)
            pipe.hdel(POSTING, eid)
            return await pipe.execute()

        await self.store._call(both)

    async def attempt(self, eid: str, now: datetime) -> ReminderAttempt:
        """Before posting ``eid``'s reminder: when it was first tried (now, unless an earlier try failed or its
        replica died), in one round trip."""
        async def mark() -> list[object]:
            pipe = self.redis.pipeline(transaction=False)
            pipe.hsetnx(POSTING, eid, repr(now.timestamp()))
            pipe.hget(POSTING, eid)
            return list(await pipe.execute())

        new, raw = await self.store._call(mark)
        first = float(text_of(raw)) if raw is not None else now.timestamp()
        return ReminderAttempt(since=datetime.fromtimestamp(first, tz=UTC), again=not new)

    async def retry_later(self, eid: str, now: datetime, seconds: float = RETRY_S) -> None:
        async def move() -> object:
            # due first: a crash in between leaves it in both sets, and an expired lease only re-adds it
            pipe = self.redis.pipeline(transaction=False)
            pipe.zadd(DUE, {eid: (now + timedelta(seconds=seconds)).timestamp()})
            pipe.zrem(LEASE, eid)
            return await pipe.execute()

        await self.store._call(move)


LATEST_SPLIT = "ftc:migrated:reminders-per-channel"


async def split_latest_by_channel(store: Store) -> int:
    """Migration: the previous version's ``latest`` fields (``<team>:<project_key>``) move to their evaluation's
    channel (``<team>:<channel>:<project_key>``). Idempotent; sets :data:`LATEST_SPLIT` when done, so later starts
    skip it. Returns how many fields moved (0 once done)."""
    if await store._call(lambda: store.redis.exists(LATEST_SPLIT)):
        return 0
    split, moved = store.redis.register_script(_SPLIT), 0
    async for raw_field, raw_value in store.redis.hscan_iter(LATEST, count=500):
        field, value = text_of(raw_field), text_of(raw_value)
        if field.count(":") == 1:  # the previous version's (team, channel and key hold no ':')
            moved += await _split_one(store, split, field, value)
    await store._call(lambda: store.redis.set(LATEST_SPLIT, "1"))
    log.info("reminders_split_by_channel", moved=moved)
    return moved


async def _split_one(store: Store, split: AsyncScript, field: str, value: str) -> int:
    started, _, eid = value.partition("|")
    ev = await store.get(eid)
    if ev is None:  # gone: nothing to stop when its project completes again
        await store._call(lambda: store.redis.hdel(LATEST, field))
        return 0
    await store._call(lambda: split(keys=[LATEST], args=[field, _field(ev), value, started]))
    return 1


@dataclass(frozen=True)
class ReminderAttempt:
    """A try at posting a reminder: ``since``, when it was first tried, names the message (its Slack metadata);
    ``again``: an earlier try may have posted it (Slack failed it, or its replica died), so the sink looks first."""

    since: datetime
    again: bool


_ATTEMPT: ContextVar[ReminderAttempt | None] = ContextVar("ftcheck_reminder_attempt", default=None)


def reminder_attempt() -> ReminderAttempt | None:
    """The try of the reminder being posted in this task (:meth:`Reminders.tick`), for the sink posting it."""
    return _ATTEMPT.get()


class ReminderSink(Protocol):
    """What a front end does with a reminder (Slack posts it in the evaluation's thread)."""

    async def post_reminder(self, ev: Evaluation, card: Scorecard) -> None:
        """Post it, once: :func:`reminder_attempt` names it and says whether an earlier try may have posted it.
        Raise :class:`ReminderUndeliverable` once someone was told it can never be posted there."""

    async def post_idle_nudge(self, ev: Evaluation, question_id: str) -> None: ...


class Reminders:
    def __init__(self, store: Store, registry: Registry, sink: ReminderSink, *, after: timedelta | None,
                 idle_after: timedelta, hours: WorkingHours, abandon_after: timedelta = timedelta(days=30),
                 close: Callable[[Evaluation], Awaitable[object]] | None = None) -> None:
        self.store, self.registry, self.sink = store, registry, sink
        self.queue = ReminderQueue(store)
        self.after, self.idle_after, self.hours = after, idle_after, hours
        self.idle = IdleWatch(store, registry, sink.post_idle_nudge, idle_after=idle_after,
                              abandon_after=abandon_after, close=close or self._close)
        self._unavailable: set[str] = set()  # evaluations already warned about (their checklist is not loaded)

    async def _close(self, ev: Evaluation) -> object:
        """Without an engine (tests of the queue alone) the closing is recorded; the outbox posts its note."""
        return await self.store.update(ev.id, flow.abandon, by="ftcheck", action="abandon")

    async def on_completed(self, ev: Evaluation, now: datetime | None = None) -> datetime | None:
        """Schedule the next reminder; the project's earlier evaluation in this channel stops reminding (this one
        supersedes it) and hands over the cadence a lead chose for it. None: ``ev`` was deleted meanwhile (its
        delete handed the reminder back), so nothing was scheduled.

        One Redis round trip. An evaluation that started before the project's latest completed one (it
        completed late) is still scheduled, as before, and does not cancel the newer one's reminder;
        :meth:`_due_now` drops it when it falls due.
        """
        now = now or utcnow()
        default = self.hours.after(now, default_cadence(self.after, self.registry.get(ev.checklist)))
        dues = {cadence.stored: self.hours.after(now, cadence) for cadence in SCHEDULES.values()}
        every = await self.queue.completed(ev, now, default, dues)
        if every is False:
            log.info("reminder_not_booked_deleted", evaluation=ev.id)
            return None
        return default if every is None else dues.get(every, now + every)

    async def tick(self, now: datetime | None = None) -> int:
        """Post what is due (inside working hours only); returns how many reminders were posted."""
        now = now or utcnow()
        if not self.hours.contains(now):
            return 0
        posted = 0
        for eid in await self.queue.claim(now):
            if await self._post_one(eid, now):
                posted += 1
        await self.idle.tick(now)
        return posted

    async def _post_one(self, eid: str, now: datetime) -> bool:
        ev = await self.store.get(eid)
        if ev is None or ev.status != "completed":
            await self.queue.done(eid)
            return False
        if not await self._due_now(ev, now):
            return False
        try:
            checklist = self.registry.get(ev.checklist)
        except UnknownChecklist as exc:
            await self._checklist_unavailable(ev, now, exc)
            return False
        token = _ATTEMPT.set(await self.queue.attempt(eid, now))
        try:
            await self.sink.post_reminder(ev, scorecard_of(ev, checklist))
        except ReminderUndeliverable as exc:  # the sink told someone: paused until it is turned back on
            await self.queue.done(eid)
            log.warning("reminder_paused", evaluation=eid, error=exc.reason)
            return False
        except Exception:
            log.exception("reminder_post_failed", evaluation=eid)
            await self.queue.retry_later(eid, now)  # its first try stays in ``posting``: the retry looks first
            return False
        finally:
            _ATTEMPT.reset(token)
        cadence = await self.queue.cadence(eid) or default_cadence(self.after, checklist)
        await self.queue.finish(eid, self.hours.after(now, cadence))
        log.info("reminder_posted", evaluation=eid)
        return True

    async def _due_now(self, ev: Evaluation, now: datetime) -> bool:
        """False when ``ev``'s reminder is not for now: a newer result of the project in its channel superseded it
        (dropped), or an evaluation of the project is open there (looked at again :data:`DEFER` later; completing
        it moves the reminder to the new result, and one deleted or closed for inactivity lets this one come).

        ``on_completed`` cancels the superseded reminder itself, but reminders scheduled before ``latest``
        existed, or by an evaluation that completed late, are only caught here."""
        here = [other for other in await self.store.project_history(ev.team, ev.project_key)
                if other.channel == ev.channel and other.id != ev.id]
        newer = next((o for o in here if o.status == "completed" and o.started_at > ev.started_at), None)
        if newer is not None:
            await self.queue.cancel(ev.id)
            log.info("reminder_superseded", evaluation=ev.id, by=newer.id)
            return False
        running = queries.running(here)
        if running is not None:
            await self.queue.finish(ev.id, self.hours.after(now, Cadence(length=DEFER)))
            log.info("reminder_deferred", evaluation=ev.id, running=running.id)
            return False
        return True

    async def _checklist_unavailable(self, ev: Evaluation, now: datetime, exc: UnknownChecklist) -> None:
        """Keep the reminder for later (:data:`CHECKLIST_RETRY_S`); one warning per evaluation and process."""
        await self.queue.retry_later(ev.id, now, CHECKLIST_RETRY_S)
        if ev.id not in self._unavailable:
            self._unavailable.add(ev.id)
            log.warning("reminder_checklist_unavailable", evaluation=ev.id, checklist=exc.checklist_id,
                        reason=exc.reason)
