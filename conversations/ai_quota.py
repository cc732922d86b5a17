"""What bounds the AI helper's readings of descriptions (each one an LLM call, paid for). No Slack here.

Two records, both in Redis:

==============================================  ===========================================================
``ftc:{ai}:readings:<user>``                    how many AI helper readings a member started in the current
                                                hour; created with a one-hour TTL by the first of them, so the
                                                count starts again an hour after it (:func:`take_reading`)
``ftc:{e:<id>}:readings``                       hash: a description's digest -> digests of the suggestions its
                                                reading stored on the evaluation (:func:`remember_reading`);
                                                in the evaluation's hash tag; expires 30 days after its last write
==============================================  ===========================================================

Neither holds what anyone wrote: a description and its suggestions are kept only as digests, so deleting a
description (perhaps confidential) leaves no words of it here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from conversations.models import Evaluation, SuggestionRef
from conversations.store import Store, part_key

READINGS_WINDOW_S = 3600  # the member's count covers one hour from their first AI reading in it
# as long as an evaluation waits unanswered before it is closed (FTCHECK_ABANDON_AFTER's default); a record gone
# costs only a reading: the same description is then read again
READ_RECORD_TTL_S = 30 * 24 * 3600

# Take one reading from a member's count unless it reached the limit, in one step (two replicas never both take the
# last one). KEYS: the member's count. ARGV: the limit, the window in ms. Returns {taken 0/1, count, ms left}.
_TAKE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local taken = 0
if used < tonumber(ARGV[1]) then
  used = redis.call('INCR', KEYS[1])
  taken = 1
end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  left = tonumber(ARGV[2])
end
return {taken, used, left}
"""


def readings_key(user: str) -> str:
    """The Redis key counting ``user``'s AI helper readings this hour."""
    return f"ftc:{{ai}}:readings:{user}"


@dataclass(frozen=True)
class Taken:
    """The answer of :func:`take_reading`: ``allowed`` (a reading was counted) or not (the member's ``limit`` was
    reached); either way ``used`` readings this hour and when the count starts again (``resets_at``)."""

    allowed: bool
    used: int
    limit: int
    resets_at: datetime


async def take_reading(store: Store, user: str, limit: int, *, now: datetime | None = None) -> Taken:
    """Count one AI helper reading for ``user`` if they have not used ``limit`` this hour (``limit`` > 0)."""
    if limit <= 0:
        raise ValueError(f"take_reading needs a limit of 1 or more, not {limit}: 0 means no limit, so count nothing")
    script = store.redis.register_script(_TAKE)
    key = readings_key(user)
    allowed, used, left_ms = await store._call(
        lambda: script(keys=[key], args=[str(limit), str(READINGS_WINDOW_S * 1000)]))
    at = (now or datetime.now(UTC)) + timedelta(milliseconds=int(left_ms))
    return Taken(allowed=bool(int(allowed)), used=int(used), limit=limit, resets_at=at)


def description_digest(text: str) -> str:
    """Names a description by its words, whatever whitespace separates them (a re-paste often differs in it)."""
    return hashlib.blake2b(" ".join(text.split()).encode(), digest_size=16).hexdigest()


def _ref_digest(ref: SuggestionRef) -> str:
    dumped: dict[str, Any] = ref.model_dump(mode="json")
    return hashlib.blake2b(json.dumps(dumped, sort_keys=True).encode(), digest_size=16).hexdigest()


async def remember_reading(store: Store, ev: Evaluation, digest: str, stored: list[str]) -> None:
    """Record that the description ``digest`` was read for ``ev`` (as just written) and stored the suggestions of
    ``stored`` (question ids), so an identical description is not read again while they stand."""
    refs = {q: _ref_digest(ev.suggestions[q]) for q in stored if q in ev.suggestions}
    if not refs:
        return
    key = part_key(ev.id, "readings")

    async def write() -> Any:
        async with store.redis.pipeline(transaction=False) as pipe:
            pipe.hset(key, digest, json.dumps(refs, sort_keys=True))
            pipe.expire(key, READ_RECORD_TTL_S)
            return await pipe.execute()

    await store._call(write)


async def already_read(store: Store, ev: Evaluation, digest: str) -> bool:
    """Whether the description ``digest`` was read for ``ev`` and every suggestion that reading stored is still on
    it unchanged: not replaced by another description's, nor taken back (its message deleted or edited)."""
    raw = await store._call(lambda: store.redis.hget(part_key(ev.id, "readings"), digest))
    if raw is None:
        return False
    refs: dict[str, str] = json.loads(raw)
    return bool(refs) and all(
        (ref := ev.suggestions.get(q)) is not None and _ref_digest(ref) == d for q, d in refs.items())
