"""Writes whose reply is lost, and writes Redis turns down: what the store tells the engine, and the person.

redis-py sends a pipeline again when its reply is lost (``bot.services.make_redis`` retries on a dropped
connection); the second send finds the first one stored. A replica that lost its primary (READONLY) and a Redis
that cannot save (MISCONF) refuse writes before running them: nothing was recorded, and the store says so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis

from bot.services import make_redis
from conversations.engine import Engine
from conversations.models import Evaluation
from conversations.store import Store, StoreUnavailable, eval_key
from scoring.checklist import Registry
from tests.conversations.recording import RecordingPresenter
from tests.standins.lossy_proxy import LossyProxy
from tests.standins.redis_server import RedisServer

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def own_server() -> Iterator[RedisServer]:
    """A server of this test's own: these tests demote it to a replica and back."""
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def lossy(redis_server: RedisServer, redis_client: aioredis.Redis) -> AsyncIterator[LossyProxy]:
    async with LossyProxy(redis_server.port) as proxy:
        yield proxy


def engine_on(url: str, *, fold_s: float = 0.0) -> tuple[Engine, RecordingPresenter, list[str]]:
    presenter = RecordingPresenter()
    engine = Engine(Store(make_redis(url, timeout_s=2.0), fold_s=fold_s), Registry(), presenter)
    completed: list[str] = []

    async def hook(ev: Evaluation) -> None:
        completed.append(ev.id)

    engine.on_completed.append(hook)
    return engine, presenter, completed


async def answer_open(engine: Engine, ev: Evaluation, value: float = 1.0) -> tuple[Evaluation, object]:
    ts = next(iter(ev.open_cards()))
    return await engine.answer(ev.id, card_ts=ts, user="U1", value=value, seen=f"{ts}:{ev.version}:U1")


async def test_a_start_whose_reply_was_lost_is_the_evaluation_it_wrote(lossy: LossyProxy,
                                                                       redis_client: aioredis.Redis) -> None:
    engine, presenter, _ = engine_on(lossy.url)
    lossy.armed = b"EVALSHA"
    ev = await engine.start(team="T1", channel="C1", project="Lost reply", checklist_id=None, user="U1")
    assert lossy.lost == 1  # the reply of the write was lost and redis-py sent it again
    assert presenter.kinds("root") and presenter.kinds("card")  # posted at once, not left to the outbox
    assert len(await redis_client.keys("ftc:{e:*}:eval")) == 1 and await redis_client.get(eval_key(ev.id))
    await engine.store.redis.aclose()


async def test_clicks_whose_replies_were_lost_deliver_at_once_and_the_last_completes(
        lossy: LossyProxy, redis_client: aioredis.Redis) -> None:
    engine, presenter, completed = engine_on(lossy.url, fold_s=0.5)
    ev = await engine.start(team="T1", channel="C1", project="Lost clicks", checklist_id=None, user="U1")
    lossy.armed = b"EVALSHA"
    ev, outcome = await answer_open(engine, ev)
    assert lossy.lost == 1 and outcome is not None  # the click's own write, not a duplicate
    assert len(presenter.kinds("card")) == 2 and len(presenter.kinds("update_card")) == 1  # delivered at once
    while len(ev.answers) < 19:
        ev, _ = await answer_open(engine, ev)
    lossy.armed = b"EVALSHA"
    ev, outcome = await answer_open(engine, ev)
    assert lossy.lost == 2 and outcome is not None and ev.status == "completed"
    assert presenter.kinds("scorecard") == ["20/20"] and completed == [ev.id]  # the completion's follow-ups ran
    audit = await redis_client.lrange(f"ftc:{{e:{ev.id}}}:audit", 0, -1)
    assert sum(b'"answer card' in entry for entry in audit) == 20  # each click recorded once
    await engine.store.flush()
    await engine.store.redis.aclose()


async def test_a_replica_refuses_a_click_and_the_store_says_nothing_was_recorded(own_server: RedisServer) -> None:
    engine, _, _ = engine_on(own_server.url)
    admin = aioredis.Redis.from_url(own_server.url)
    ev = await engine.start(team="T1", channel="C1", project="Failover", checklist_id=None, user="U1")
    await admin.replicaof("127.0.0.1", 1)  # demoted: its primary is unreachable
    try:
        with pytest.raises(StoreUnavailable) as refused:
            await answer_open(engine, ev)
        assert refused.value.reason == "refused" and refused.value.recorded == "no"
    finally:
        await admin.replicaof("NO", "ONE")
    stored = Evaluation.model_validate_json(await admin.get(eval_key(ev.id)) or b"")
    assert stored.answers == {}  # nothing was recorded, as the person is told
    again, outcome = await answer_open(engine, stored)
    assert outcome is not None and len(again.answers) == 1
    await admin.aclose()
    await engine.store.redis.aclose()


async def test_a_refused_record_of_deliveries_does_not_stay_folded(own_server: RedisServer) -> None:
    engine, _, _ = engine_on(own_server.url, fold_s=30)
    admin = aioredis.Redis.from_url(own_server.url)
    ev = await engine.start(team="T1", channel="C1", project="Folded", checklist_id=None, user="U1")
    ev, _ = await answer_open(engine, ev)
    assert engine.store.folding == 1  # what the click delivered waits for the next write
    await admin.replicaof("127.0.0.1", 1)
    try:
        await engine.store.flush()  # its own write now: refused
        assert engine.store.folding == 0  # handed to the outbox, not stuck in this process's memory
        stored = Evaluation.model_validate_json(await admin.get(eval_key(ev.id)) or b"")
        assert [o.key for o in stored.pending if o.key.startswith("post_card")]  # Redis still owes the card
    finally:
        await admin.replicaof("NO", "ONE")
    await admin.aclose()
    await engine.store.redis.aclose()


async def test_a_click_refused_after_its_first_send_landed_is_recorded(own_server: RedisServer) -> None:
    """A failover: the first send lands, its reply is lost, and the node is demoted before redis-py sends the
    write again. The compare-and-set reads before it writes, so the second send answers with the stored
    document (no READONLY), and the store knows it for its own: the click goes on as recorded."""
    admin = aioredis.Redis.from_url(own_server.url)
    async with LossyProxy(own_server.port) as proxy:
        engine, presenter, _ = engine_on(proxy.url)
        ev = await engine.start(team="T1", channel="C1", project="Failover", checklist_id=None, user="U1")
        proxy.armed, proxy.on_lost = b"EVALSHA", lambda: admin.replicaof("127.0.0.1", 1)
        try:
            ev, outcome = await answer_open(engine, ev)
        finally:
            await admin.replicaof("NO", "ONE")
        assert proxy.lost == 1 and outcome is not None and len(ev.answers) == 1
        assert len(presenter.kinds("card")) == 2  # the next card went out with it
        await engine.store.redis.aclose()
    await admin.aclose()


async def test_a_redis_cluster_no_node_answers_is_an_outage_not_a_crash() -> None:
    """redis-py raises RedisClusterUnreachableError (a plain Exception) when no node answers a topology refresh: the
    store turns it into StoreUnavailable like any outage, so replies, /healthz and the outage log handle it."""
    from tests.standins.redis_server import free_port

    redis = make_redis(f"redis+cluster://127.0.0.1:{free_port()}/0", timeout_s=0.5)
    store = Store(redis)
    with pytest.raises(StoreUnavailable) as down:
        await store._call(lambda: store.redis.get("x"))
    assert down.value.recorded == "no"  # no node could be reached: nothing was sent
    assert await store.writable() is False
