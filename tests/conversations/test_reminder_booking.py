"""The re-evaluation reminder is owed by the completing write (``BookReminder``), so a process that dies, or a Redis
that blips, before it is booked leaves it owed and the outbox books it; and a completion booked after its delete
books nothing and leaves the channel's earlier result its reminder. Real Redis."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis

from conversations.effects import BookReminder
from conversations.engine import Engine
from conversations.models import Evaluation
from conversations.outbox import Outbox
from conversations.reminders import GONE, LATEST, ReminderQueue, Reminders
from conversations.store import Store
from tests.conversations.recording import RecordingPresenter
from tests.conversations.test_reminder_gaps import REGISTRY, Sink, begin, evaluated, reminders
from tests.standins.redis_server import RedisServer


class Flaky:
    """The reminders' completion hook, failing its first ``fails`` calls (a Redis blip; a process that died)."""

    def __init__(self, own: Reminders, fails: int) -> None:
        self.own, self.fails, self.calls = own, fails, 0

    async def __call__(self, ev: Evaluation) -> object:
        self.calls += 1
        if self.calls <= self.fails:
            raise ConnectionError("Redis went away before the reminder was booked")
        return await self.own.on_completed(ev)


async def completed_once_failing(redis_client: aioredis.Redis) -> tuple[Store, Engine, Flaky, Evaluation]:
    """An evaluation completed while its reminder's booking failed once."""
    store = Store(redis_client)
    engine = Engine(store, REGISTRY, RecordingPresenter())
    hook = Flaky(reminders(store, Sink()), fails=1)
    engine.on_completed.append(hook)
    return store, engine, hook, await evaluated(engine, "Router")


async def test_a_reminder_not_booked_at_completion_stays_owed_and_the_outbox_books_it(
        redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    store, engine, hook, ev = await completed_once_failing(redis_client)
    stored = await store.get(ev.id)
    assert stored is not None and stored.status == "completed"
    assert [o.effect for o in stored.pending] == [BookReminder()]  # owed, not forgotten
    queue = ReminderQueue(store)
    assert await queue.due_at(ev.id) is None
    assert await Outbox(engine).tick(now=time.time() + 60) == 1
    assert hook.calls == 2 and await queue.due_at(ev.id) is not None  # booked by the repair
    again = await store.get(ev.id)
    assert again is not None and not again.pending


async def test_a_completion_booked_after_its_delete_books_nothing_and_the_earlier_result_keeps_its_reminder(
        redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    store = Store(redis_client)
    engine = Engine(store, REGISTRY, RecordingPresenter())
    own = reminders(store, Sink())
    engine.on_completed.append(own.on_completed)
    first = await evaluated(engine, "Router")
    queue = ReminderQueue(store)
    first_due = await queue.due_at(first.id)
    assert first_due is not None
    engine.on_completed.clear()  # the second completion's booking is still in flight …
    second = await evaluated(engine, "Router", previous=first)
    deleted = await engine.discard(second.id, user="U1")  # … when a lead deletes it, and the delete hands back
    assert await queue.hand_back(deleted, first, first_due, None) == -1  # the second had not taken over yet
    assert await own.on_completed(second) is None  # the late booking books nothing
    assert await queue.due_at(second.id) is None and await queue.due_at(first.id) == first_due
    latest = [v.decode() if isinstance(v, bytes) else v for v in (await redis_client.hgetall(LATEST)).values()]
    assert [v.split("|")[1] for v in latest] == [first.id]


async def test_a_completion_whose_evaluation_was_deleted_before_the_outbox_came_books_nothing(
        redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    store, engine, hook, ev = await completed_once_failing(redis_client)
    await engine.discard(ev.id, user="U1")
    await Outbox(engine).tick(now=time.time() + 60)
    assert hook.calls == 1 and await ReminderQueue(store).due_at(ev.id) is None
    stored = await store.get(ev.id)
    assert stored is not None and stored.status == "deleted"


async def test_deleted_ids_are_kept_a_day_for_late_bookings(redis_server: RedisServer,
                                                            redis_client: aioredis.Redis) -> None:
    store = Store(redis_client)
    engine = Engine(store, REGISTRY, RecordingPresenter())
    queue = ReminderQueue(store)
    old, new = await begin(engine, "Old"), await begin(engine, "New")
    then = datetime.now(UTC) - timedelta(days=2)
    await queue.hand_back(old, None, None, None, now=then)
    await queue.hand_back(new, None, None, None)
    assert await redis_client.zscore(GONE, new.id) is not None
    assert await redis_client.zcard(GONE) == 1  # the day-old one trimmed


async def test_a_lead_s_choice_made_before_a_late_booking_stands(redis_server: RedisServer,
                                                                 redis_client: aioredis.Redis) -> None:
    """Review finding: a booking retried after a lead turned the reminders off (or set a date) booked them again."""
    store, engine, hook, ev = await completed_once_failing(redis_client)
    queue = ReminderQueue(store)
    await queue.lead_chose(ev.id)  # `/ftcheck remind Router off`, as bot/leads/reminders.py does it
    await queue.cancel(ev.id)
    await Outbox(engine).tick(now=time.time() + 60)
    assert hook.calls == 2 and await queue.due_at(ev.id) is None  # booked late, and still off
    stored = await store.get(ev.id)
    assert stored is not None and not stored.pending
