"""Reminders per channel, deferred while the project is being evaluated, paused where they cannot be posted, handed
back when a result is deleted; and the migration of the previous version's ``latest`` fields. Real Redis."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis

from conversations.engine import Engine
from conversations.models import Evaluation
from conversations.read_models import text_of
from conversations.reminders import (
    DEFER,
    DUE,
    LATEST,
    LATEST_SPLIT,
    LEASE,
    ReminderQueue,
    Reminders,
    ReminderUndeliverable,
    WorkingHours,
    split_latest_by_channel,
)
from conversations.store import Store
from scoring.checklist import Registry
from scoring.scorecard import Scorecard
from tests.conversations.recording import RecordingPresenter
from tests.conversations.test_reminders import walk
from tests.standins.redis_server import RedisServer

REGISTRY = Registry()
ALWAYS = WorkingHours.parse("always")


class Sink:
    """Posts, except in the channels it cannot post in (it says so once, as the Slack sink DMs the starter)."""

    def __init__(self, gone: set[str] | None = None) -> None:
        self.gone = gone or set()
        self.posted: list[str] = []
        self.told: list[str] = []

    async def post_reminder(self, ev: Evaluation, card: Scorecard) -> None:
        await asyncio.sleep(0.001)
        if ev.channel in self.gone:
            self.told.append(ev.id)
            raise ReminderUndeliverable("is_archived")
        self.posted.append(ev.id)

    async def post_idle_nudge(self, ev: Evaluation, question_id: str) -> None:
        pass


def reminders(store: Store, sink: Sink) -> Reminders:
    return Reminders(store, REGISTRY, sink, after=timedelta(seconds=30), idle_after=timedelta(days=2), hours=ALWAYS)


async def begin(engine: Engine, project: str, channel: str = "C1", previous: Evaluation | None = None) -> Evaluation:
    return await engine.start(team="T1", channel=channel, project=project, checklist_id="dataset-readiness",
                              user="U1", previous=previous)


async def evaluated(engine: Engine, project: str, channel: str = "C1",
                    previous: Evaluation | None = None) -> Evaluation:
    return await walk(engine, await begin(engine, project, channel, previous))


async def test_replicas_post_defer_and_pause_each_reminder_exactly_once(redis_server: RedisServer,
                                                                        redis_client: aioredis.Redis) -> None:
    store = Store(redis_client)
    engine = Engine(store, REGISTRY, RecordingPresenter())
    now = datetime.now(UTC)
    posted = [await evaluated(engine, f"posted {i}") for i in range(10)]
    running = [await evaluated(engine, f"running {i}") for i in range(10)]
    for ev in running:
        await begin(engine, ev.project)  # a new evaluation of the project is open
    paused = [await evaluated(engine, f"paused {i}", channel="CGONE") for i in range(10)]
    for ev in posted + running + paused:
        await reminders(store, Sink()).on_completed(ev, now - timedelta(minutes=1))

    clients = [aioredis.Redis.from_url(redis_server.url) for _ in range(4)]
    sinks = [Sink(gone={"CGONE"}) for _ in clients]
    replicas = [reminders(Store(c), s) for c, s in zip(clients, sinks, strict=True)]
    for _ in range(3):
        await asyncio.gather(*[r.tick(now) for r in replicas])

    assert sorted(eid for s in sinks for eid in s.posted) == sorted(ev.id for ev in posted)
    assert sorted(eid for s in sinks for eid in s.told) == sorted(ev.id for ev in paused)  # told once each
    queue = ReminderQueue(store)
    dues = await queue.due_many([ev.id for ev in posted + running + paused])
    assert not any(ev.id in dues for ev in paused)
    assert all(abs(dues[ev.id] - (now + DEFER)) < timedelta(seconds=1) for ev in running)
    assert all(dues[ev.id] > now for ev in posted)
    assert await redis_client.zcard(LEASE) == 0
    for c in clients:
        await c.aclose()


async def test_a_result_in_another_channel_does_not_stop_this_channels_reminder(redis_client: aioredis.Redis) -> None:
    store = Store(redis_client)
    engine = Engine(store, REGISTRY, RecordingPresenter())
    r = reminders(store, Sink())
    here = await evaluated(engine, "Chatbot", "C1")
    await r.on_completed(here)
    there = await evaluated(engine, "Chatbot", "CPRIVATE")
    await r.on_completed(there)
    assert await r.queue.due_at(here.id) is not None and await r.queue.due_at(there.id) is not None
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert await r.tick(later) == 2  # neither supersedes the other when it falls due


async def test_a_hand_back_leaves_a_newer_result_alone(redis_client: aioredis.Redis) -> None:
    """Deleting a result while a newer one completes: the newer one keeps the project's reminder."""
    store = Store(redis_client)
    engine = Engine(store, REGISTRY, RecordingPresenter())
    r = reminders(store, Sink())
    first = await evaluated(engine, "Router")
    await r.on_completed(first)
    second = await evaluated(engine, "Router", previous=first)
    await r.on_completed(second)
    third = await evaluated(engine, "Router", previous=second)
    await r.on_completed(third)
    assert await r.queue.hand_back(second, first, datetime.now(UTC), None) == -1
    assert await r.queue.due_at(first.id) is None and await r.queue.due_at(third.id) is not None
    # deleting the latest hands its reminder (and the cadence a lead chose) to the one before
    await r.queue.set_every(third.id, timedelta(days=30))
    due = datetime.now(UTC) + timedelta(days=3)
    assert await r.queue.hand_back(third, first, due, timedelta(days=30)) == 1
    assert await r.queue.due_at(third.id) is None and await r.queue.every(third.id) is None
    assert abs((await r.queue.due_at(first.id) or due) - due) < timedelta(milliseconds=1)
    assert await r.queue.every(first.id) == timedelta(days=30)
    assert text_of(await redis_client.hget(LATEST, f"T1:C1:{first.project_key}") or b"").endswith(f"|{first.id}")


async def test_the_previous_versions_latest_fields_move_to_their_channel(redis_client: aioredis.Redis) -> None:
    store = Store(redis_client)
    engine = Engine(store, REGISTRY, RecordingPresenter())
    old = await evaluated(engine, "Router", "C7")
    newer = await evaluated(engine, "Router", "C7")
    await reminders(store, Sink()).on_completed(newer)  # a new replica wrote the channel's field already
    mine = f"T1:C7:{old.project_key}"
    await redis_client.hset(LATEST, mapping={f"T1:{old.project_key}": f"{old.started_at.timestamp()!r}|{old.id}",
                                             "T1:gone": "1.0|nosuchid"})
    assert await split_latest_by_channel(store) == 1
    assert await redis_client.hkeys(LATEST) == [mine.encode()]
    assert text_of(await redis_client.hget(LATEST, mine) or b"").endswith(f"|{newer.id}")  # the later one is kept
    assert await redis_client.exists(LATEST_SPLIT)
    await redis_client.hset(LATEST, f"T1:{old.project_key}", f"{old.started_at.timestamp()!r}|{old.id}")
    assert await split_latest_by_channel(store) == 0  # done once; a later start skips it

    await redis_client.delete(LATEST_SPLIT, LATEST)
    await redis_client.hset(LATEST, f"T1:{old.project_key}", f"{old.started_at.timestamp()!r}|{old.id}")
    assert await split_latest_by_channel(store) == 1
    assert text_of(await redis_client.hget(LATEST, mine) or b"").endswith(f"|{old.id}")
    assert await redis_client.zscore(DUE, newer.id) is not None  # the migration moves bookkeeping, not reminders
