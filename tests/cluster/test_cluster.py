"""The engine, reminders and a slot migration on a real 3-primary Redis Cluster, through the bot's client factory."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster as ClusterClient

from bot.services import make_redis
from conversations.engine import Engine
from conversations.models import Evaluation
from conversations.store import Store, StoreUnavailable, eval_key
from scoring.checklist import Registry
from tests.conversations.recording import RecordingPresenter
from tests.conversations.test_migrations import names_decoded
from tests.conversations.test_reminders import Sink, completed, reminders
from tests.standins.redis_cluster import RedisCluster

REGISTRY = Registry()
pytestmark = pytest.mark.timeout(60)


def open_card(ev: Evaluation) -> tuple[str, str]:
    (ts, card), = ev.open_cards().items()
    return ts, card.question


async def start(engine: Engine, project: str = "Ticket router") -> Evaluation:
    return await engine.start(team="T1", channel="C1", project=project, checklist_id=None, user="U1")


def engine_on(client: aioredis.Redis) -> Engine:
    return Engine(Store(client), REGISTRY, RecordingPresenter())


def test_cluster_starts_quickly_with_every_slot_served(redis_cluster: RedisCluster) -> None:
    assert redis_cluster.start_seconds < 15, f"cluster took {redis_cluster.start_seconds:.1f}s to start"
    owners = {redis_cluster.owner(slot) for slot in (0, 6000, 16383)}
    assert owners == {0, 1, 2}
    assert redis_cluster.url.startswith("redis+cluster://127.0.0.1:")


async def test_whole_evaluation_on_the_cluster(redis_cluster: RedisCluster, cluster_client: aioredis.Redis) -> None:
    assert isinstance(cluster_client, ClusterClient)  # make_redis understood the redis+cluster:// URL
    presenter = RecordingPresenter()
    engine = Engine(Store(cluster_client), REGISTRY, presenter)
    others = [await start(engine, f"Side project {i}") for i in range(8)]
    ev = await start(engine)
    while ev.open_cards():
        ts, _ = open_card(ev)
        ev, outcome = await engine.answer(ev.id, card_ts=ts, user="U1", value=1.0, seen=f"{ts}:U1")
        assert outcome is not None and outcome.applied
    assert ev.status == "completed"
    assert presenter.kinds("scorecard") == ["20/20"]
    # the evaluations really are spread over the primaries, and every index still finds them
    nodes = {redis_cluster.owner(redis_cluster.slot_of(eval_key(e.id))) for e in [*others, ev]}
    assert len(nodes) >= 2, "all nine evaluations landed on one node: the test would not exercise the cluster"
    store = engine.store
    assert ev.thread_ts is not None and await store.by_thread("C1", ev.thread_ts) == ev
    assert {e.id for e in await store.channel_evaluations("T1", "C1")} == {e.id for e in [*others, ev]}
    assert [e.id for e in await store.project_history("T1", ev.project_key)] == [ev.id]


async def test_reminders_post_once_across_replicas_on_the_cluster(redis_cluster: RedisCluster,
                                                                  cluster_client: aioredis.Redis) -> None:
    store = Store(cluster_client)
    evs = await completed(store, 6)
    now = datetime.now(UTC)
    for ev in evs:
        await reminders(store, Sink()).on_completed(ev, now.replace(year=now.year - 1))
    clients = [make_redis(redis_cluster.url) for _ in range(3)]
    sinks = [Sink() for _ in clients]
    replicas = [reminders(Store(c), s) for c, s in zip(clients, sinks, strict=True)]
    try:
        for _ in range(3):
            await asyncio.gather(*[r.tick(now) for r in replicas])
    finally:
        for c in clients:
            await c.aclose()
    posted = [eid for s in sinks for eid in s.posted]
    assert sorted(posted) == sorted(ev.id for ev in evs)  # every reminder, none twice


async def test_slot_migration_while_people_answer(redis_cluster: RedisCluster,
                                                  cluster_client: aioredis.Redis) -> None:
    """Clicks arrive while the evaluation's slot moves to another node: every click is answered, none lost."""
    engine = engine_on(cluster_client)
    ev = await start(engine)
    slot = redis_cluster.slot_of(eval_key(ev.id))
    source = redis_cluster.owner(slot)
    target = (source + 1) % 3
    redis_cluster.reset_stats()
    migration = asyncio.create_task(asyncio.to_thread(
        redis_cluster.migrate_slot, slot, target, hold_s=0.3, pause_s=0.3))  # 3 keys: document, audit, seen hash;
    # the keys stand split between the nodes for ~0.6 s, long enough for several clicks to meet it on a busy machine
    answered: list[str] = []
    started = time.monotonic()
    while not migration.done() or len(answered) < 3:
        ts, question = open_card(ev)
        # three people click the same card at once, one of them twice (a Slack retry)
        results = await asyncio.gather(*[
            engine.answer(ev.id, card_ts=ts, user=user, value=1.0, seen=f"{ts}:{user}")
            for user in ("U1", "U2", "U3", "U1")])
        applied = [o for _, o in results if o is not None and o.applied]
        assert len(applied) == 1, f"{question}: {len(applied)} answers recorded for one card"
        ev = max((e for e, _ in results), key=lambda e: e.version)
        answered.append(question)
        assert ev.open_cards(), "the walk ended before the migration did; slow the migration down"
        await asyncio.sleep(0.06)  # people take a moment between questions: 20 questions outlast the migration
    moved = await migration
    elapsed = time.monotonic() - started
    stored = await engine.store.get(ev.id)
    assert stored is not None and set(answered) <= set(stored.answers), "a click during the migration was lost"
    assert all(stored.answers[q].value == 1.0 for q in answered)
    assert redis_cluster.owner(slot) == target and moved >= 2  # the document and its audit list moved
    tryagain = redis_cluster.error_count(source, "TRYAGAIN") + redis_cluster.error_count(target, "TRYAGAIN")
    assert tryagain > 0, "no click met the half-moved slot, so the test proved nothing"
    audit = await engine.store.audit(ev.id)
    assert len([a for a in audit if a.action.startswith("answer")]) == len(answered)
    assert elapsed < 10


async def test_a_migration_stuck_half_way_is_reported_busy_within_the_budget(
        redis_cluster: RedisCluster, cluster_client: aioredis.Redis) -> None:
    engine = engine_on(cluster_client)
    ev = await start(engine)
    ts, _ = open_card(ev)
    slot = redis_cluster.slot_of(eval_key(ev.id))
    target = (redis_cluster.owner(slot) + 1) % 3
    source = redis_cluster.begin_migration(slot, target)
    try:
        began = time.monotonic()
        with pytest.raises(StoreUnavailable) as refused:
            await engine.answer(ev.id, card_ts=ts, user="U1", value=1.0, seen=f"{ts}:U1")
        waited = time.monotonic() - began
    finally:
        redis_cluster.cancel_migration(slot, source, target)
    assert refused.value.reason == "busy" and refused.value.recorded == "no"
    assert 1.5 <= waited < 4, f"gave up after {waited:.2f}s; the budget is 2 s"
    stored = await engine.store.get(ev.id)
    assert stored is not None and stored.answers == {} and stored.version == ev.version
    ev, outcome = await engine.answer(ev.id, card_ts=ts, user="U1", value=1.0, seen=f"{ts}:U1")
    assert outcome is not None and outcome.applied  # the same click, once the cluster settles


async def test_encoded_project_names_are_decoded_on_a_cluster(cluster_client: aioredis.Redis) -> None:
    await names_decoded(cluster_client)
