"""``DeliveryHold``: how a delivery tells whether its outbox hold ran out while it waited (Slack's Retry-After).

Against a real Redis: the hold is a score in the outbox's due queue, claimed by an outbox tick once it ran out.
"""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from conversations.due_queues import OUTBOX_DUE, hold_score
from conversations.engine import DeliveryHold
from conversations.store import Store

EID = "ev429hold"


async def test_a_hold_untouched_since_it_was_set_is_still_held_even_past_its_time(
        redis_client: aioredis.Redis) -> None:
    """Its renewals did not land for a while and the hold is past its time, but nobody claimed it (the score is
    the one this delivery set): still held, and renewed."""
    mine = hold_score(time.time() - 10)  # ran out 7 s ago
    await redis_client.zadd(OUTBOX_DUE, {EID: mine})
    hold = DeliveryHold(Store(redis_client), EID, mine)
    assert await hold.still_held()
    assert hold.until > hold_score(time.time(), 2) and await redis_client.zscore(OUTBOX_DUE, EID) == hold.until


async def test_a_hold_claimed_after_it_ran_out_is_lost_for_good(redis_client: aioredis.Redis) -> None:
    mine = hold_score(time.time() - 10)
    claimed = hold_score(time.time() - 0.5)  # an outbox tick claimed it half a second ago
    await redis_client.zadd(OUTBOX_DUE, {EID: claimed})
    hold = DeliveryHold(Store(redis_client), EID, mine)
    assert not await hold.still_held()
    assert hold.lost and not await hold.still_held()  # a later renewal (its own score now) does not undo it


async def test_a_hold_raised_by_another_writer_before_it_ran_out_is_still_held(redis_client: aioredis.Redis) -> None:
    """Another replica's write raised the mark while this delivery's hold had not run out: no tick could claim it."""
    mine = hold_score(time.time())
    await redis_client.zadd(OUTBOX_DUE, {EID: mine + 500})
    hold = DeliveryHold(Store(redis_client), EID, mine)
    assert await hold.renew()
    assert await hold.still_held()


async def test_a_hold_gone_or_unknown_is_not_held(redis_client: aioredis.Redis) -> None:
    assert not await DeliveryHold(Store(redis_client), EID, hold_score(time.time())).still_held()  # not queued
    await redis_client.zadd(OUTBOX_DUE, {EID: hold_score(time.time())})
    assert not await DeliveryHold(Store(redis_client), EID, None).still_held()  # this process set none


async def test_a_hold_that_cannot_be_renewed_is_not_confirmed(redis_client: aioredis.Redis) -> None:
    broken: aioredis.Redis = aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    try:
        hold = DeliveryHold(Store(broken), EID, hold_score(time.time()))
        assert not await hold.still_held()
        assert not hold.lost  # not known to be lost: a periodic renewal may still confirm it
    finally:
        await broken.aclose()
