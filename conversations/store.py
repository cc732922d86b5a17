"""The Redis store: key schema, atomic compare-and-set of an evaluation, indexes and delivery dedupe.

Key schema (``ftc`` prefix; every key of one evaluation shares the hash tag ``{e:<id>}``, so the
multi-key script runs unchanged on Redis Cluster):

==========================================  ==========================================================
``ftc:{e:<id>}:eval``                       the evaluation, one JSON document (pydantic ``Evaluation``)
``ftc:{e:<id>}:audit``                      list of JSON audit entries, one per applied change
``ftc:{e:<id>}:seen``                       hash: digests of deliveries already applied (Slack retry, double
                                            click); expires 24 h after its last write
``ftc:{e:<id>}:readings``                   hash: digests of the descriptions the AI helper read for it and of
                                            what each stored; expires 30 days after its last write (ai_quota.py)
``ftc:thread:<channel>:<thread_ts>``        thread root -> evaluation id
``ftc:chan:<team>:<channel>``               sorted set of evaluation ids by start time
``ftc:proj:<team>:<project_key>``           sorted set: the project's evaluations (its history)
``ftc:team:<team>``                         sorted set: every evaluation of the team
``ftc:active``                              sorted set: in-progress evaluation ids by start time
``ftc:once:<token>``                        a delivery seen before we know its evaluation; TTL
``ftc:migrated:<name>``                     a one-off data migration that has finished (migrations.py)
``ftc:{rem}:due`` / ``:lease`` / ``:every``   reminders; also ``:latest``, ``:gone``, ``:chosen`` (reminders.py)
``ftc:{ob}:due``                            outbox: evaluations owing messages, by hold time (due_queues.py)
``ftc:{idle}:due``                          idle evaluations, by the start of their quiet spell (due_queues.py)
``ftc:{ai}:readings:<user>``                a member's AI helper readings this hour; TTL one hour (ai_quota.py)
==========================================  ==========================================================

The read models (per-project summaries, team/channel project indexes) are listed in ``read_models.py``.
Index keys are written in the same round trip as the evaluation (right after it) and can be rebuilt from the documents
(:meth:`Store.rebuild_indexes`). No key expires except the dedupe markers and the AI helper's records: completed
evaluations are the project's history and in-progress ones wait for their team.

Documents are stored without default values (an unanswered note is simply absent), and the store keeps the JSON
it last read or wrote of each recent evaluation (:data:`DOC_CACHE_SIZE`): a click starts from that copy instead of
reading it again, and the compare-and-set tells a stale copy apart (it then works on what Redis holds).
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from typing import Any, Literal, TypeVar

import redis.asyncio as aioredis
import structlog
from pydantic import BaseModel, ConfigDict, ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import (
    InvalidResponse,
    NoScriptError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisClusterUnreachableError,
    RedisError,
    ResponseError,
)
from redis.exceptions import TimeoutError as RedisTimeoutError

from conversations.due_queues import OUTBOX_DUE, RELEASE, hold_score, idle_mark
from conversations.effects import LEASE_S
from conversations.models import Evaluation
from conversations.read_models import index_commands, text_of
from conversations.redis_retry import ClusterBusy, retry_refused

log = structlog.get_logger(__name__)

T = TypeVar("T")
# what a delivery posted, applied to the document (``Store.fold``); idempotent, as a retried write applies it again
Bookkeeping = Callable[[Evaluation], object]
SEEN_TTL_S = 24 * 3600
MAX_ATTEMPTS = 20
DOC_CACHE_SIZE = 1024  # evaluations whose last JSON this process keeps (a few KiB each)

# An outbox hold renewed (raised as ``Store.hold`` does), returning the hold it found, in one step: nobody claims the
# evaluation in between. KEYS: the outbox queue. ARGV: member, the new hold.
_RENEW = """
local before = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
return before
"""

# KEYS: eval doc, audit list, seen hash (all in the evaluation's slot)
# ARGV: expected version, new document, audit entry ("" for none), seen ttl, use_seen ("1"/"0"), seen digest
_CAS = """
if ARGV[5] == '1' and redis.call('HEXISTS', KEYS[3], ARGV[6]) == 1 then
  return {'dup', redis.call('GET', KEYS[1]) or ''}
end
local current = redis.call('GET', KEYS[1])
local version = 0
if current then version = tonumber(string.match(current, '^{"id":"[^"]*","version":(%d+)')) end
if version ~= tonumber(ARGV[1]) then
  return {'conflict', current or ''}
end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[3]) end
if ARGV[5] == '1' then
  redis.call('HSET', KEYS[3], ARGV[6], '')
  redis.call('EXPIRE', KEYS[3], tonumber(ARGV[4]))
end
return {'ok', ''}
"""


# The store's calls in flight in this task: each holds a list that a connection appends to when it starts sending
# the call's bytes (after connecting). A lost connection then tells "never sent" from "may have been applied".
_SENDS: ContextVar[list[int] | None] = ContextVar("ftcheck_redis_sends", default=None)


def _tracked(cls: type[Any]) -> type[Any]:
    """A redis-py connection class that notes, in :data:`_SENDS`, each command it starts to send.

    redis-py retries a call after a lost connection and then raises the *last* error: a refused reconnect hides that
    the first attempt had sent the write (and Redis may have applied it before the connection dropped)."""
    if getattr(cls, "_ftc_tracks_sends", False):
        return cls
    send = cls.send_packed_command

    async def send_packed_command(self: Any, command: Any, check_health: bool = True) -> None:
        if not self.is_connected:
            await self.connect_check_health(check_health=False)  # a refused connection has sent nothing
        if check_health:
            await self.check_health()
        sends = _SENDS.get()
        if sends is not None:
            sends.append(1)  # from here on the command may reach Redis
        await send(self, command, check_health=False)

    def untracked(method: Any) -> Any:
        """The connection's own set-up and health checks (HELLO, AUTH, PING) are not the call's command."""

        async def run(self: Any, *args: Any, **kwargs: Any) -> Any:
            token = _SENDS.set(None)
            try:
                return await method(self, *args, **kwargs)
            finally:
                _SENDS.reset(token)

        return run

    return type(cls.__name__, (cls,), {
        "send_packed_command": send_packed_command, "_ftc_tracks_sends": True,
        "on_connect_check_health": untracked(cls.on_connect_check_health),
        "check_health": untracked(cls.check_health)})


def track_sends(redis: Any) -> bool:
    """Make the connections of ``redis`` (a pooled client, or a cluster's nodes) note what they send; False when
    that cannot be done (then a lost connection is worded as "could not confirm")."""
    pool = getattr(redis, "connection_pool", None)
    if pool is not None and isinstance(getattr(pool, "connection_class", None), type):
        base = pool.connection_class
        pool.connection_class = _tracked(base)
        for conn in [*getattr(pool, "_available_connections", []), *getattr(pool, "_in_use_connections", [])]:
            if type(conn) is base:
                conn.__class__ = pool.connection_class  # made before the store: the same class, noting its sends
        return True
    nodes = getattr(redis, "nodes_manager", None)
    kwargs = getattr(nodes, "connection_kwargs", None)
    if isinstance(kwargs, dict):
        kwargs["connection_class"] = _tracked(kwargs.get("connection_class") or _default_connection())
        for node in list(getattr(nodes, "nodes_cache", {}).values()):
            base, node.connection_class = node.connection_class, _tracked(node.connection_class)
            for conn in getattr(node, "_connections", []):
                if type(conn) is base:
                    conn.__class__ = node.connection_class
        return True
    return False


def _default_connection() -> type[Any]:
    from redis.asyncio.connection import Connection

    return Connection


OutageReason = Literal["down", "full", "busy", "refused", "not_redis"]
# Replies that refuse a write before anything runs: a demoted primary (READONLY, redis-py's ReadOnlyError), a failed
# snapshot (MISCONF), too few replicas (NOREPLICAS), a long script (BUSY). Nothing was written.
_REFUSALS = re.compile(r"(MISCONF|NOREPLICAS|BUSY)\b")


class StoreUnavailable(RuntimeError):
    """Redis could not take the call.

    ``recorded`` says what the person may be told: ``"no"`` when the call certainly changed nothing (refused
    connection, out of memory, a script that never ran), ``"unknown"`` when the request may have reached Redis
    before it stopped answering (a timeout). ``reason``: ``down`` (no answer), ``full`` (maxmemory reached,
    writes refused), ``busy`` (too many concurrent writers, or a cluster slot migrating), ``refused`` (Redis turned
    the write down: a failover, a disk it cannot save to), ``not_redis`` (what answers at REDIS_URL's host and port
    does not speak Redis's protocol: an HTTP server, another service).
    """

    def __init__(self, message: str, *, recorded: Literal["no", "unknown"] = "no",
                 reason: OutageReason = "down") -> None:
        super().__init__(message)
        self.recorded = recorded
        self.reason = reason


class CorruptRecord(RuntimeError):
    """A stored record failed validation; reported, never silently dropped."""


class AuditEntry(BaseModel):
    model_config = ConfigDict(ser_json_temporal="milliseconds")  # as the documents' dates

    at: datetime
    by: str
    action: str
    detail: dict[str, Any] = {}


def part_key(eid: str, part: str) -> str:
    """One of an evaluation's keys: all of them share its hash tag (one Cluster slot)."""
    return f"ftc:{{e:{eid}}}:{part}"


def eval_key(eid: str) -> str:
    return part_key(eid, "eval")


def dump(ev: Evaluation) -> str:
    """The stored JSON of an evaluation: defaults left out (the id and version stay first, as the script reads them)."""
    text = ev.model_dump_json(exclude_defaults=True)
    if '"started_at"' not in text or '"last_activity"' not in text:  # equal to their factories' "now" (a frozen
        text = ev.model_dump_json()  # clock): pydantic counts that as a default, and a reload would move them
    return text


def _digest(token: str) -> str:
    """A delivery token in 16 characters: the seen hash stays in Redis's compact encoding."""
    return hashlib.blake2b(token.encode(), digest_size=8).hexdigest()


class Store:
    """Async store over one Redis connection pool; every method raises :class:`StoreUnavailable` on outage."""

    def __init__(self, redis: aioredis.Redis, *, fold_s: float = 0.0) -> None:
        self.redis = redis
        self.fold_s = fold_s  # how long bookkeeping may wait for the evaluation's next write (0: never)
        self._folded: dict[str, tuple[list[Bookkeeping], asyncio.TimerHandle]] = {}
        self._flushes: set[asyncio.Task[None]] = set()
        self._cas_sha: str | None = None
        self._release_sha = ""
        self._renew: Any = None  # the registered _RENEW script, on first use
        # evaluation id -> (the version whose write set it, the outbox hold) of this process's latest mark
        self._marks: OrderedDict[str, tuple[int, int]] = OrderedDict()
        self.round_trips = 0  # counted for the benchmark; cheap
        self.on_unavailable: Callable[[], object] | None = None  # e.g. a metrics counter
        self._docs: OrderedDict[str, str] = OrderedDict()  # evaluation id -> JSON last read or written here
        # told the id of an evaluation Redis holds at an earlier version than one it held before (restored from a
        # snapshot, a failover that lost the last writes): what this process ordered by version no longer holds
        self.on_set_back: Callable[[str], object] | None = None
        self._tracks_sends = track_sends(redis)  # a lost connection: was anything of the call sent?

    # -- the JSON of recent evaluations -------------------------------------------------------------------
    def _remember(self, eid: str, raw: bytes | str | None) -> None:
        if not raw:
            self._docs.pop(eid, None)
            return
        self._docs[eid] = text_of(raw)
        self._docs.move_to_end(eid)
        if len(self._docs) > DOC_CACHE_SIZE:
            self._docs.popitem(last=False)

    def _recent(self, eid: str, version: int | None = None) -> str | None:
        """The JSON last seen of ``eid`` (at ``version``, when given); it may be stale: only a write proves it."""
        raw = self._docs.get(eid)
        if raw is None or (version is not None and not raw.startswith(f'{{"id":"{eid}","version":{version},')):
            return None
        self._docs.move_to_end(eid)
        return raw

    # -- bookkeeping folded into the next write ------------------------------------------------------------
    def fold(self, eid: str, bookkeeping: Bookkeeping) -> bool:
        """Write ``bookkeeping`` with this process's next write of ``eid``, or on its own after ``fold_s``.

        For what a delivery posted and cleared (idempotent; it owes nothing more): when people click in quick
        succession (a team voting, a fast walk) it rides on the next click's write instead of costing a write of
        its own. Until then this store's reads apply it, so this process reads what it wrote; other replicas see
        the messages as still owed, held by the writer's outbox mark (it outlasts ``fold_s``), and a crash
        leaves them to the outbox, which finds posted messages by their metadata. False when this store does not
        fold (the caller writes now).
        """
        if self.fold_s <= 0:
            return False
        waiting = self._folded.get(eid)
        if waiting is not None:
            waiting[0].append(bookkeeping)
            return True
        timer = asyncio.get_running_loop().call_later(self.fold_s, self._flush_soon, eid)
        self._folded[eid] = ([bookkeeping], timer)
        return True

    @property
    def folding(self) -> int:
        """Evaluations whose bookkeeping is not written yet (waiting, or being written on its own)."""
        return len(self._folded) + len(self._flushes)

    def _folded_for(self, eid: str) -> list[Bookkeeping]:
        waiting = self._folded.get(eid)
        return list(waiting[0]) if waiting else []

    def _apply_folded(self, ev: Evaluation | None) -> Evaluation | None:
        if ev is not None:
            for bookkeeping in self._folded_for(ev.id):
                bookkeeping(ev)
        return ev

    def _written(self, eid: str, applied: list[Bookkeeping]) -> None:
        """``applied`` is in Redis now: forget it (bookkeeping folded in meanwhile waits for its own turn)."""
        waiting = self._folded.get(eid)
        if not applied or waiting is None:
            return
        rest = [b for b in waiting[0] if all(b is not done for done in applied)]
        waiting[1].cancel()
        if not rest:
            del self._folded[eid]
            return
        # folded in while that write was in flight: it gets a wait of its own (the old timer may have fired)
        timer = asyncio.get_running_loop().call_later(self.fold_s, self._flush_soon, eid)
        self._folded[eid] = (rest, timer)

    def _flush_soon(self, eid: str) -> None:
        task = asyncio.get_running_loop().create_task(self._flush(eid))
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _flush(self, eid: str) -> None:
        applied = self._folded_for(eid)
        try:
            await self.update(eid, _nothing, by="ftcheck", action="delivered", quiet=True)
        except Exception as exc:  # a background task: whatever fails, the fold must not stay stuck in memory
            # the messages went out; the outbox finds them by their metadata when Redis answers again
            known = isinstance(exc, StoreUnavailable | CorruptRecord | KeyError)
            log.warning("delivery_not_recorded", evaluation=eid, error=str(exc), exc_info=None if known else exc)
            self._written(eid, applied)

    async def flush(self) -> None:
        """Write every folded bookkeeping now (shutdown)."""
        for eid in list(self._folded):
            await self._flush(eid)
        if self._flushes:
            await asyncio.gather(*self._flushes, return_exceptions=True)

    # -- plumbing -------------------------------------------------------------------------------------
    async def _call(self, fn: Callable[[], Any]) -> Any:
        """One Redis round trip; redis-py's async stubs type results as ``Awaitable[T] | T``."""
        self.round_trips += 1

        async def once() -> Any:
            result = fn()
            return await result if inspect.isawaitable(result) else result

        sends: list[int] = []
        token = _SENDS.set(sends)
        try:
            return await retry_refused(once)  # a Redis Cluster slot migrating: retried within the budget
        except ClusterBusy as exc:
            self._outage(exc)
            raise StoreUnavailable(str(exc), reason="down" if exc.down else "busy") from exc
        except RedisTimeoutError as exc:
            self._outage(exc)
            raise StoreUnavailable(str(exc), recorded="unknown") from exc
        except (RedisConnectionError, OSError, RedisClusterUnreachableError) as exc:  # the last: no cluster node
            self._outage(exc)  # answered a topology refresh (a plain Exception in redis-py, not a RedisError)
            # "no" only when nothing of the call was sent (every attempt failed to connect); a connection lost after
            # sending may have been applied, whatever error the last retry ended with
            sent = bool(sends) or not self._tracks_sends
            raise StoreUnavailable(str(exc), recorded="unknown" if sent else "no") from exc
        except OutOfMemoryError as exc:
            self._outage(exc)
            raise StoreUnavailable(str(exc), reason="full") from exc
        except InvalidResponse as exc:  # a reply that is not RESP ("got 'H'": an HTTP server): nothing ran a command
            self._outage(exc)
            raise StoreUnavailable(f"{exc} (not a Redis reply)", reason="not_redis") from exc
        except ResponseError as exc:
            if not (isinstance(exc, ReadOnlyError) or _REFUSALS.match(str(exc))):
                raise
            self._outage(exc)
            raise StoreUnavailable(str(exc), reason="refused") from exc
        finally:
            _SENDS.reset(token)

    def _outage(self, exc: Exception) -> None:
        # a debug line: whoever catches StoreUnavailable reports it (a server logs an outage once when it starts and
        # once when it ends, bot.app.RedisOutage; replies and the terminal tell the person)
        log.debug("redis_unavailable", error=str(exc))
        if self.on_unavailable is not None:
            self.on_unavailable()

    async def writable(self) -> bool:
        """True while Redis answers *and* accepts writes (``/healthz``: a full Redis is not healthy)."""
        try:
            return bool(await self._call(lambda: self.redis.set("ftc:health", "1", ex=60)))
        except (StoreUnavailable, RedisError):
            return False

    async def ping(self) -> bool:
        try:
            return bool(await self._call(self.redis.ping))
        except (StoreUnavailable, RedisError):
            return False

    @staticmethod
    def _parse(raw: bytes | str | None, where: str) -> Evaluation | None:
        if raw is None or raw in (b"", ""):
            return None
        try:
            return Evaluation.model_validate_json(raw)
        except ValidationError as exc:
            log.error("corrupt_record", key=where, error=str(exc))
            raise CorruptRecord(f"{where}: stored evaluation failed validation: {exc.errors()[0]['msg']}") from exc

    async def _cas(self, ev: Evaluation, expected: int, audit: AuditEntry | None, seen: str | None,
                   doc: str | None = None, index: bool = False, idle: bool = True) -> list[Any]:
        """Write ``ev`` if the stored version is ``expected``; one round trip.

        When the evaluation owes messages, the same round trip marks it in the outbox's due queue (held for
        the writer's lease), so a crash right after the write still leaves the owed messages findable. With
        ``index`` the index keys follow in the same pipeline, right after the script (other slots on a cluster,
        so not inside it); a caller whose write then did not land indexes what is stored (``_reindex_if``).
        """
        keys = [eval_key(ev.id), part_key(ev.id, "audit"), part_key(ev.id, "seen")]
        entry = audit.model_dump_json(exclude_defaults=True) if audit else ""  # an empty detail is left out
        args: list[Any] = [expected, doc or dump(ev), entry, SEEN_TTL_S, "1" if seen else "0",
                           _digest(seen) if seen else ""]
        if self._cas_sha is None:
            self._cas_sha = await self._call(lambda: self.redis.script_load(_CAS))
            self._release_sha = await self._call(lambda: self.redis.script_load(RELEASE))

        async def write() -> list[Any] | None:
            pipe = self.redis.pipeline(transaction=False)
            # raw EVALSHA: redis-py's cluster pipeline refuses .evalsha() but routes the command by its keys
            pipe.execute_command("EVALSHA", self._cas_sha or "", 3, *keys, *args)
            self._outbox_mark(pipe, ev, expected)
            if idle:
                idle_mark(pipe, ev)
            if index:
                _index_into(pipe, ev)
            replies = list(await pipe.execute(raise_on_error=False))
            if isinstance(replies[0], NoScriptError):
                return None
            if isinstance(replies[0], Exception):
                raise replies[0]  # inside _call: an outage or a full Redis becomes StoreUnavailable
            for reply in replies[1:]:  # the write landed: a mark or an index that failed must not say otherwise
                if isinstance(reply, Exception):
                    log.warning("write_side_effect_failed", evaluation=ev.id, error=str(reply))
            return replies

        try:
            results = await self._call(write)
        except StoreUnavailable:
            self._docs.pop(ev.id, None)  # the write may have landed: this copy may be stale now
            raise
        if results is None:  # Redis restarted without persistence: load the script again
            self._cas_sha = None
            return await self._cas(ev, expected, audit, seen, doc, index, idle)
        return list(results[0])

    def _outbox_mark(self, pipe: Any, ev: Evaluation, expected: int) -> None:
        """Queue the outbox mark of ``ev`` on the write's pipeline: held for this writer while it owes messages;
        released by the write that records them, when it owes nothing more and builds on the very version that
        set the mark (``expected``): after any other write of this process the tick drops the mark instead.
        The release keeps a later hold (another replica's writer, a renewal, the tick: holds only grow, as the
        tick's own release assumes) and a full Redis refuses it like the write (``due_queues.RELEASE``); it is
        in another slot than the write, so a write that loses its compare-and-set may still release a mark its
        own move set (its messages were delivered; the next write marks again). A terminal run delivers what it
        owes when it resumes."""
        if ev.origin != "slack":
            return
        mark = self._marks.pop(ev.id, None)
        if ev.pending:
            score = hold_score(time.time())
            pipe.zadd(OUTBOX_DUE, {ev.id: score}, gt=True)
            self._marks[ev.id] = (ev.version, score)
            if len(self._marks) > DOC_CACHE_SIZE:
                self._marks.popitem(last=False)  # forgotten: the outbox tick drops that mark instead
        elif mark is not None and mark[0] == expected:
            pipe.execute_command("EVALSHA", self._release_sha, 1, OUTBOX_DUE, ev.id, mark[1])

    def held_until(self, eid: str) -> int | None:
        """The outbox hold (epoch ms) set by this process's latest write of ``eid`` that owed messages, or raised
        since by its holds; None when this process knows of none."""
        mark = self._marks.get(eid)
        return mark[1] if mark is not None else None

    async def renew_hold(self, eid: str, now: float, seconds: float = LEASE_S) -> tuple[int, int | None]:
        """:meth:`hold`, and what the hold was just before, read in the same step (:data:`_RENEW`): whoever renews
        a hold tells from it whether its hold ran out meanwhile (``engine.DeliveryHold``). Returns (the hold set,
        the one before; None when ``eid`` was not in the queue)."""
        score = hold_score(now, seconds)
        if self._renew is None:
            self._renew = self.redis.register_script(_RENEW)
        renew = self._renew
        before = await self._call(lambda: renew(keys=[OUTBOX_DUE], args=[eid, score]))
        mark = self._marks.get(eid)  # raised once it landed: a later delivery starts from it (held_until)
        if mark is not None and score > mark[1]:
            self._marks[eid] = (mark[0], score)
        return score, None if before is None else int(float(text_of(before)))

    async def hold(self, eid: str, now: float, seconds: float = LEASE_S) -> None:
        """Mark ``eid`` in the outbox's due queue: nobody else delivers before ``now + seconds`` (only ever later).

        A hold of this process raises its own mark: the write that records the last delivery then releases the
        raised mark (it would keep a hold it does not know of, and the tick would read the evaluation for nothing).
        """
        score = hold_score(now, seconds)
        mark = self._marks.get(eid)
        if mark is not None and score > mark[1]:
            self._marks[eid] = (mark[0], score)
        await self._call(lambda: self.redis.zadd(OUTBOX_DUE, {eid: score}, gt=True))

    # -- evaluations ----------------------------------------------------------------------------------
    async def get(self, eid: str) -> Evaluation | None:
        raw = await self._call(lambda: self.redis.get(eval_key(eid)))
        ev = self._parse(raw, eval_key(eid))
        self._remember(eid, raw)
        return self._apply_folded(ev)

    async def create(self, ev: Evaluation, by: str) -> Evaluation:
        ev.version = 1
        audit = AuditEntry(at=ev.started_at, by=by, action="start",
                           detail={"project": ev.project, "checklist": ev.checklist})
        doc = dump(ev)
        result = await self._cas(ev, 0, audit, None, doc)
        if text_of(result[0]) != "ok" and not _is_own_write(result[1], doc):
            raise RuntimeError(f"evaluation id collision for {ev.id}")
        self._remember(ev.id, doc)
        await self._index(ev)
        return ev

    async def update(self, eid: str, fn: Callable[[Evaluation], T], *, by: str = "", action: str = "",
                     seen: str | None = None, known: Evaluation | None = None, quiet: bool = False
                     ) -> tuple[Evaluation, T | None, bool]:
        """Read, apply ``fn`` (a pure transition), write back if the version is unchanged; retry on conflict.

        ``fn`` returns a result; the change is written only when ``fn`` mutated the evaluation (its JSON
        differs). ``seen`` names a delivery: if it was applied before, nothing is applied and ``dup`` is True.
        Returns ``(evaluation, fn's result or None for a duplicate, dup)``. ``known`` is the evaluation as
        this store returned it moments ago, handed over unchanged: when it is still the copy the store last
        saw, ``fn`` runs on it without parsing it again (the caller must not use it afterwards). Without a read
        of its own, an attempt starts from the JSON this store last saw of the evaluation: a stale copy costs
        the write's round trip, which then returns what Redis holds, and a no-op decided on such a copy is
        checked against Redis before it is believed. ``quiet`` bookkeeping (what was delivered) leaves no audit
        entry unless its result says something. Each attempt parses at most once and serialises once.
        """
        raw: bytes | str | None = self._recent(eid, known.version if known is not None else None)
        handed = known if raw is not None else None  # what the kept JSON says, already parsed
        if raw is None and known is not None:
            raw = dump(known)
        unproven = raw is not None  # not read from Redis by this call
        if raw is None:
            raw = await self._call(lambda: self.redis.get(eval_key(eid)))
        indexed: tuple[str, str | None] | None = None  # what an attempt indexed (its write may not have landed)
        folded = self._folded_for(eid)  # bookkeeping waiting for this evaluation's next write: this one
        for _ in range(MAX_ATTEMPTS):
            work = handed or self._parse(raw, eval_key(eid))
            handed = None
            if work is None:
                self._remember(eid, None)
                raise KeyError(f"That evaluation ({eid}) no longer exists.")
            version, status_before, thread_before = work.version, work.status, work.thread_ts
            idle_before = _idle_facts(work)
            for bookkeeping in folded:
                bookkeeping(work)
            result = fn(work)
            dumped = dump(work)
            if _unchanged(dumped, stored := text_of(raw or "")):
                if unproven or seen:
                    verdict, fresh = await self._confirm_no_op(eid, stored, seen)
                    unproven = False
                    if verdict == "dup":
                        return await self._duplicate(eid, fresh, indexed)
                    if verdict == "stale":
                        self._set_back_if(eid, version, fresh)
                        raw = fresh
                        continue
                self._written(eid, folded)
                await self._reindex_if(indexed, work)
                return work, result, False
            work.version = version + 1
            detail = _audit_detail(result)
            audit = None if quiet and not detail else AuditEntry(at=work.last_activity, by=by,
                                                                 action=action or "update", detail=detail)
            index = work.status != status_before or work.thread_ts != thread_before  # same round trip as the write
            doc = _bump(dumped, work.id, version) or dump(work)
            # the idle mark only moves with activity: a write that records deliveries leaves it as it is
            status, raw = await self._cas(work, version, audit, seen, doc, index, _idle_facts(work) != idle_before)
            unproven = False
            indexed = (work.status, work.thread_ts) if index else indexed
            status = "ok" if _is_own_write(raw, doc) else text_of(status)
            if status == "ok":
                self._remember(eid, doc)
                self._written(eid, folded)
                await self._reindex_if(indexed, work)
                return work, result, False
            self._remember(eid, raw)
            if status == "conflict":
                self._set_back_if(eid, version, raw)
            if status == "dup":
                return await self._duplicate(eid, raw, indexed)
        raise StoreUnavailable(f"evaluation {eid}: too many concurrent writers, try again", reason="busy")

    def _set_back_if(self, eid: str, version: int, stored: bytes | str | None) -> None:
        """Redis holds ``stored`` where this store last saw the evaluation at ``version`` (read from Redis, or written
        there): versions only grow, so an earlier one means Redis went back to an earlier state (``on_set_back``)."""
        if stored and self.on_set_back is not None and _version_of(text_of(stored)) < version:
            log.warning("evaluation_set_back", evaluation=eid, saw=version, stored=_version_of(text_of(stored)))
            self.on_set_back(eid)

    async def _confirm_no_op(self, eid: str, decided_on: str, seen: str | None
                             ) -> tuple[Literal["same", "stale", "dup"], bytes | str | None]:
        """A transition changed nothing: was that decided on what Redis holds, and is it a repeated delivery?

        One round trip (the document, and the delivery's marker when it has one). ``dup``: this delivery was
        applied before (a Slack retry after the first one finished); ``stale``: the copy was out of date.
        """
        async def read() -> list[Any]:
            pipe = self.redis.pipeline(transaction=False)
            pipe.get(eval_key(eid))
            if seen:
                pipe.hexists(part_key(eid, "seen"), _digest(seen))
            return list(await pipe.execute())

        replies = await self._call(read)
        fresh = replies[0]
        self._remember(eid, fresh)
        if seen and replies[1]:
            return "dup", fresh
        return ("same" if fresh is not None and text_of(fresh) == decided_on else "stale"), fresh

    async def _duplicate(self, eid: str, raw: bytes | str | None, indexed: tuple[str, str | None] | None
                         ) -> tuple[Evaluation, None, bool]:
        current = self._apply_folded(self._parse(raw, eval_key(eid)))
        if current is None:
            raise KeyError(f"That evaluation ({eid}) no longer exists.")
        await self._reindex_if(indexed, current)
        return current, None, True

    async def by_thread(self, channel: str, thread_ts: str) -> Evaluation | None:
        eid = await self._call(lambda: self.redis.get(f"ftc:thread:{channel}:{thread_ts}"))
        if eid is None:
            return None
        return await self.get(text_of(eid))

    async def link_thread(self, eid: str, channel: str, thread_ts: str) -> None:
        """Make the thread findable as soon as its root message exists (before the rest is recorded)."""
        await self._call(lambda: self.redis.set(f"ftc:thread:{channel}:{thread_ts}", eid))

    async def _index(self, ev: Evaluation) -> None:
        async def write() -> Any:
            pipe = self.redis.pipeline(transaction=False)
            _index_into(pipe, ev)
            return await pipe.execute()

        await self._call(write)

    async def _reindex_if(self, indexed: tuple[str, str | None] | None, stored: Evaluation) -> None:
        """An attempt indexed a state its write did not store (a conflict): index what is stored instead."""
        if indexed is not None and indexed != (stored.status, stored.thread_ts):
            await self._index(stored)

    async def _many(self, ids: list[str]) -> list[Evaluation]:
        if not ids:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for eid in ids:
            pipe.get(eval_key(eid))

        raws = await self._call(pipe.execute)
        out = []
        for eid, raw in zip(ids, raws, strict=True):
            ev = self._apply_folded(self._parse(raw, eval_key(eid)))
            if ev is not None and ev.status != "deleted":
                out.append(ev)
        return out

    async def _ids(self, key: str, limit: int = 500) -> list[str]:
        raw = await self._call(lambda: self.redis.zrevrange(key, 0, limit - 1))
        return [text_of(r) for r in raw]

    async def channel_evaluations(self, team: str, channel: str, limit: int = 500) -> list[Evaluation]:
        """Newest first."""
        return await self._many(await self._ids(f"ftc:chan:{team}:{channel}", limit))

    async def project_history(self, team: str, key: str) -> list[Evaluation]:
        """Oldest first: the project's evaluations over time."""
        return list(reversed(await self._many(await self._ids(f"ftc:proj:{team}:{key}"))))

    async def team_evaluations(self, team: str) -> list[Evaluation]:
        return await self._many(await self._ids(f"ftc:team:{team}", limit=2000))

    async def channel_evaluations_counted(self, team: str, channel: str, limit: int = 500
                                          ) -> tuple[list[Evaluation], int]:
        """The channel's latest ``limit`` evaluations, newest first, and how many its index holds in all (deleted
        ones included): more than ``limit`` means older ones were not read. Ids and count in one round trip."""
        key = f"ftc:chan:{team}:{channel}"

        async def read() -> list[Any]:
            pipe = self.redis.pipeline(transaction=False)
            pipe.zrevrange(key, 0, limit - 1)
            pipe.zcard(key)
            return list(await pipe.execute())

        ids, stored = await self._call(read)
        return await self._many([text_of(r) for r in ids]), int(stored)

    async def all_team_evaluations(self, team: str, batch: int = 1000) -> list[Evaluation]:
        """Every evaluation of ``team``, newest first, read ``batch`` at a time (``team_evaluations`` stops at
        2,000): for the command line's own store, whose size the person does not choose to page through."""
        key, start = f"ftc:team:{team}", 0
        found: dict[str, Evaluation] = {}
        while True:
            ids = [text_of(r) for r in await self._call(
                lambda s=start: self.redis.zrevrange(key, s, s + batch - 1))]  # type: ignore[misc]
            # an evaluation started meanwhile shifts the ranks: one read twice is kept once
            found.update((ev.id, ev) for ev in await self._many([i for i in ids if i not in found]))
            if len(ids) < batch:
                return list(found.values())
            start += batch

    async def active(self, limit: int = 1000) -> list[Evaluation]:
        ids = await self._call(lambda: self.redis.zrange("ftc:active", 0, limit - 1))
        return await self._many([text_of(r) for r in ids])

    async def audit(self, eid: str) -> list[AuditEntry]:
        raw = await self._call(lambda: self.redis.lrange(part_key(eid, "audit"), 0, -1))
        return [AuditEntry.model_validate_json(r) for r in raw]

    async def once(self, token: str, ttl_s: int = SEEN_TTL_S) -> bool:
        """True the first time ``token`` is seen (Slack event ids, slash-command trigger ids)."""
        return bool(await self._call(lambda: self.redis.set(f"ftc:once:{token}", "1", nx=True, ex=ttl_s)))

    async def release(self, token: str) -> None:
        """Forget a ``once`` token before its TTL: a short lock whose work is done."""
        await self._call(lambda: self.redis.delete(f"ftc:once:{token}"))

    async def rebuild_indexes(self) -> int:
        """Re-derive every index key from the evaluation documents (after a partial write or a restore)."""
        count = 0
        async for key in self.redis.scan_iter(match="ftc:{e:*}:eval", count=500):
            raw = await self._call(lambda k=key: self.redis.get(k))  # type: ignore[misc]
            ev = self._parse(raw, str(key))
            if ev is not None:
                await self._index(ev)
                count += 1
        return count


def _nothing(ev: Evaluation) -> None:
    """A change of nothing: writes only the bookkeeping folded in (``Store.fold``)."""


def _index_into(pipe: Any, ev: Evaluation) -> None:
    """Queue the index keys of ``ev`` (all derived from the document) on a pipeline."""
    started = ev.started_at.timestamp()
    if ev.thread_ts:
        pipe.set(f"ftc:thread:{ev.channel}:{ev.thread_ts}", ev.id)
    pipe.zadd(f"ftc:chan:{ev.team}:{ev.channel}", {ev.id: started})
    pipe.zadd(f"ftc:proj:{ev.team}:{ev.project_key}", {ev.id: started})
    pipe.zadd(f"ftc:team:{ev.team}", {ev.id: started})
    if ev.status == "in_progress":
        pipe.zadd("ftc:active", {ev.id: started})
    else:
        pipe.zrem("ftc:active", ev.id)
    index_commands(pipe, ev)  # the read models (conversations/read_models.py)


def _is_own_write(stored: bytes | str | None, doc: str) -> bool:
    """The document Redis holds is, byte for byte, the one this write sent: it landed. redis-py sends a pipeline
    again when its reply is lost (a timeout, a dropped connection), and the second send then finds the first one's
    version (a conflict) or its delivery marker (a duplicate); either way, this write is what is stored."""
    return bool(stored) and text_of(stored or "") == doc


def _idle_facts(ev: Evaluation) -> tuple[object, ...]:
    """What the idle mark of ``ev`` is made of (``due_queues.idle_mark``)."""
    return ev.status, ev.origin, ev.idle_check_at, ev.last_activity


def _unchanged(dumped: str, stored: str) -> bool:
    """``dumped`` says what ``stored`` says. A document written with its defaults (before they were left out)
    says it at more length: it is compared once parsed, so its first no-op is not mistaken for a change."""
    if dumped == stored:
        return True
    return '"started_at":"' in stored and dump(Evaluation.model_validate_json(stored)) == dumped  # ISO dates: old


def _bump(dumped: str, eid: str, version: int) -> str | None:
    """``dumped`` (the document at ``version``) at ``version + 1``, without serialising it again: the version
    is the second field, right after the id (the compare-and-set script reads it from there too)."""
    head = f'{{"id":"{eid}","version":{version},'
    if not dumped.startswith(head):
        return None
    return f'{{"id":"{eid}","version":{version + 1},' + dumped[len(head):]


_VERSION = re.compile(r'^{"id":"[^"]*","version":(\d+)')


def _version_of(doc: str) -> int:
    """The version a stored document starts with (0 when it does not say: nothing to compare)."""
    found = _VERSION.match(doc)
    return int(found.group(1)) if found else 0


def _audit_detail(result: object) -> dict[str, Any]:
    """What the audit keeps of a transition's result, compactly: a refusal's status and completion (what a move
    owes follows from the walk's table, so it is not repeated here), or the notices a delivery owes after giving
    up (``tell_undelivered:<what>``). Empty for a result with nothing to say."""
    if isinstance(result, BaseModel):
        detail: dict[str, Any] = {}
        if getattr(result, "status", "ok") != "ok":
            detail["status"] = result.status  # type: ignore[attr-defined]
        if getattr(result, "completed", False):
            detail["completed"] = True
        return detail
    if isinstance(result, list) and all(hasattr(e, "key") for e in result):
        return {"owes": [e.key for e in result]} if result else {}
    return {} if result is None else {"result": json.loads(json.dumps(result, default=str))}
