"""Reminders: exactly once across replicas sharing one real Redis; working hours; downtime; leases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from conversations.engine import Engine
from conversations.models import Evaluation
from conversations.reminders import LEASE_S, ReminderQueue, Reminders, WorkingHours
from conversations.store import Store
from scoring.checklist import Registry
from scoring.scorecard import Scorecard
from tests.conversations.recording import RecordingPresenter
from tests.standins.redis_server import RedisServer

REGISTRY = Registry()
ALWAYS = WorkingHours.parse("always")


class Sink:
    def __init__(self, fail: int = 0) -> None:
        self.posted: list[str] = []
        self.nudged: list[tuple[str, str]] = []
        self.fail = fail

    async def post_reminder(self, ev: Evaluation, card: Scorecard) -> None:
        if self.fail:
            self.fail -= 1
            raise RuntimeError("slack down")
        await asyncio.sleep(0.001)
        self.posted.append(ev.id)

    async def post_idle_nudge(self, ev: Evaluation, question_id: str) -> None:
        self.nudged.append((ev.id, question_id))


async def completed(store: Store, n: int) -> list[Evaluation]:
    engine = Engine(store, REGISTRY, RecordingPresenter())
    out = []
    for i in range(n):
        ev = await engine.start(team="T1", channel="C1", project=f"p{i}", checklist_id="dataset-readiness", user="U1")
        while ev.open_cards():
            (ts, _), = ev.open_cards().items()
            ev, _ = await engine.answer(ev.id, card_ts=ts, user="U1", value=1.0)
        out.append(ev)
    return out


def reminders(store: Store, sink: Sink, hours: WorkingHours = ALWAYS) -> Reminders:
    return Reminders(store, REGISTRY, sink, after=timedelta(seconds=30), idle_after=timedelta(days=2), hours=hours)


async def test_three_replicas_post_each_reminder_exactly_once(redis_server: RedisServer,
                                                              redis_client: aioredis.Redis) -> None:
    store = Store(redis_client)
    evs = await completed(store, 40)
    now = datetime.now(UTC)
    for ev in evs:
        await reminders(store, Sink()).on_completed(ev, now - timedelta(minutes=1))
    clients = [aioredis.Redis.from_url(redis_server.url) for _ in range(3)]
    sinks = [Sink() for _ in clients]
    replicas = [reminders(Store(c), s) for c, s in zip(clients, sinks, strict=True)]
    for _ in range(3):
        await asyncio.gather(*[r.tick(now) for r in replicas])
    posted = [eid for s in sinks for eid in s.posted]
    assert sorted(posted) == sorted(ev.id for ev in evs)  # all of them, none twice
    # each is rescheduled once for the next interval
    assert await redis_client.zcard("ftc:{rem}:due") == 40
    for c in clients:
        await c.aclose()


async def test_completion_schedules_one_reminder_after_the_interval(redis_client: aioredis.Redis) -> None:
    store = Store(redis_client)
    sink = Sink()
    r = reminders(store, sink)
    (ev,) = await completed(store, 1)
    start = datetime.now(UTC)
    await r.on_completed(ev, start)
    assert await r.tick(start + timedelta(seconds=29)) == 0
    assert await r.tick(start + timedelta(seconds=31)) == 1
    assert await r.tick(start + timedelta(seconds=32)) == 0
    assert sink.posted == [ev.id]


async def test_due_during_downtime_is_posted_once_after_restart(redis_client: aioredis.Redis) -> None:
    store = Store(redis_client)
    (ev,) = await completed(store, 1)
    await ReminderQueue(store).schedule(ev.id, datetime.now(UTC) - timedelta(days=3))  # fell due while down
    sink = Sink()
    restarted = reminders(store, sink)
    assert await restarted.tick() == 1
    assert await restarted.tick() == 0
    assert sink.posted == [ev.id]


async def test_failed_post_goes_back_and_a_dead_replicas_lease_expires(redis_client: aioredis.Redis) -> None:
    store = Store(redis_client)
    a, b = await completed(store, 2)
    now = datetime.now(UTC)
    queue = ReminderQueue(store)
    await queue.schedule(a.id, now)
    failing = Sink(fail=1)
    assert await reminders(store, failing).tick(now) == 0
    assert await reminders(store, failing).tick(now + timedelta(seconds=61)) == 1
    assert failing.posted == [a.id]
    await queue.schedule(b.id, now)
    assert await queue.claim(now) == [b.id]  # a replica claims it, then dies without posting
    sink = Sink()
    assert await reminders(store, sink).tick(now + timedelta(seconds=1)) == 0
    await reminders(store, sink).tick(now + timedelta(seconds=LEASE_S + 1))
    assert sink.posted.count(b.id) == 1


async def test_reminders_wait_for_working_hours(redis_client: aioredis.Redis) -> None:
    hours = WorkingHours.parse("Mon-Fri 09:00-17:00", "Europe/Berlin")
    saturday = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert not hours.contains(saturday)
    assert hours.next_open(saturday) == datetime(2026, 11, 23, 9, 0, tzinfo=hours.tz)
    store = Store(redis_client)
    (ev,) = await completed(store, 1)
    await ReminderQueue(store).schedule(ev.id, saturday - timedelta(hours=1))
    sink = Sink()
    r = reminders(store, sink, hours)
    assert await r.tick(saturday) == 0
    assert await r.tick(datetime(2026, 11, 23, 8, 30, tzinfo=UTC)) == 1  # 09:30 in Berlin
    assert sink.posted == [ev.id]


@pytest.mark.parametrize("spec", ["Mon-Fri", "Mon-Xyz 09:00-17:00", "Mon-Fri 17:00-09:00"])
def test_bad_working_hours_are_explained(spec: str) -> None:
    with pytest.raises(ValueError, match="Mon"):
        WorkingHours.parse(spec)


async def test_idle_evaluation_gets_one_nudge_across_replicas(redis_server: RedisServer,
                                                              redis_client: aioredis.Redis) -> None:
    store = Store(redis_client)
    engine = Engine(store, REGISTRY, RecordingPresenter())
    ev = await engine.start(team="T1", channel="C1", project="quiet", checklist_id=None, user="U1")
    later = datetime.now(UTC) + timedelta(days=3)
    clients = [aioredis.Redis.from_url(redis_server.url) for _ in range(3)]
    sinks = [Sink() for _ in clients]
    await asyncio.gather(*[reminders(Store(c), s).tick(later) for c, s in zip(clients, sinks, strict=True)])
    await asyncio.gather(*[reminders(Store(c), s).tick(later) for c, s in zip(clients, sinks, strict=True)])
    assert [n for s in sinks for n in s.nudged] == [(ev.id, "labeled_examples")]
    for c in clients:
        await c.aclose()
