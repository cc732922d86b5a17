"""Reminders: exactly once across replicas sharing one real Redis; working hours; downtime; leases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as aioredis

from conversations.engine import Engine
from conversations.models import Evaluation
from conversations.reminders import (
    DUE,
    EVERY,
    LATEST,
    LEASE,
    LEASE_S,
    SCHEDULES,
    SNOOZE,
    Cadence,
    ReminderQueue,
    Reminders,
    WorkingHours,
    default_cadence,
)
from conversations.store import Store
from scoring.checklist import BUILTIN_DIR, Registry, load_checklist
from scoring.render import list_checklists
from scoring.scorecard import Scorecard
from tests.conversations.recording import RecordingPresenter
from tests.standins.redis_server import RedisServer

REGISTRY = Registry()
ALWAYS = WorkingHours.parse("always")
LA = ZoneInfo("America/Los_Angeles")
NY = ZoneInfo("America/New_York")
OFFICE_LA = WorkingHours.parse("Mon-Fri 09:00-17:00", "America/Los_Angeles")


def utc(local: datetime) -> datetime:
    """A moment given on a team's clock, held in UTC as the bot holds "now" (adding days to it is elapsed time)."""
    return local.astimezone(UTC)


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


async def walk(engine: Engine, ev: Evaluation) -> Evaluation:
    """Answer every card: the evaluation completes."""
    while ev.open_cards():
        (ts, _), = ev.open_cards().items()
        ev, _ = await engine.answer(ev.id, card_ts=ts, user="U1", value=1.0)
    assert ev.status == "completed"
    return ev


async def completed(store: Store, n: int) -> list[Evaluation]:
    engine = Engine(store, REGISTRY, RecordingPresenter())
    out = []
    for i in range(n):
        ev = await engine.start(team="T1", channel="C1", project=f"p{i}", checklist_id="dataset-readiness", user="U1")
        out.append(await walk(engine, ev))
    return out


async def start(engine: Engine, previous: Evaluation | None = None) -> Evaluation:
    """An evaluation of the one project ``Ticket router`` (a re-evaluation of ``previous`` if given)."""
    return await engine.start(team="T1", channel="C1", project="Ticket router", checklist_id="dataset-readiness",
                              user="U1", previous=previous)


def close_to(a: datetime | None, b: datetime) -> bool:
    """Due times go through a float score in Redis: equal to within a millisecond."""
    return a is not None and abs(a - b) < timedelta(milliseconds=1)


async def latest(client: aioredis.Redis, ev: Evaluation) -> str | None:
    """The evaluation id ``ftc:{rem}:latest`` names for ``ev``'s project."""
    raw = await client.hget(LATEST, f"{ev.team}:{ev.channel}:{ev.project_key}")
    if raw is None:
        return None
    return (raw.decode() if isinstance(raw, bytes) else raw).split("|", 1)[1]


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


# 2027-01-31 10:00 UTC: a month later is clamped to February's last day; quarterly is 3 calendar months
JAN31 = datetime(2027, 1, 31, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("case", "stored", "expected"),
                         [("first", None, JAN31 + timedelta(seconds=30)),
                          ("re-evaluation", None, JAN31 + timedelta(seconds=30)),
                          ("own cadence", timedelta(days=91), datetime(2027, 4, 30, 10, 0, tzinfo=UTC)),
                          ("previous cadence", timedelta(days=30), datetime(2027, 2, 28, 10, 0, tzinfo=UTC))],
                         ids=["first", "re-evaluation", "own-cadence", "previous-cadence"])
async def test_completion_costs_one_round_trip(redis_client: aioredis.Redis, case: str, stored: timedelta | None,
                                               expected: datetime) -> None:
    store = Store(redis_client)
    engine = Engine(store, REGISTRY, RecordingPresenter())
    r = reminders(store, Sink())
    now = JAN31
    first = await walk(engine, await start(engine))
    ev = first
    if case != "first":
        await r.on_completed(first, now)
        ev = await walk(engine, await start(engine, previous=first))
        assert ev.previous_id == first.id
    if stored is not None:  # what `remind … quarterly|monthly` stores, in this version and the previous one
        await r.queue.set_every(ev.id if case == "own cadence" else first.id, stored)
    before = store.round_trips
    due = await r.on_completed(ev, now)
    assert store.round_trips - before == 1
    assert due == expected
    assert close_to(await r.queue.due_at(ev.id), due)
    assert await latest(redis_client, ev) == ev.id
    if case != "first":
        assert await r.queue.due_at(first.id) is None  # superseded in the same round trip


async def test_reevaluation_cancels_the_earlier_reminder_and_keeps_the_cadence(redis_client: aioredis.Redis) -> None:
    store = Store(redis_client)
    engine = Engine(store, REGISTRY, RecordingPresenter())
    sink = Sink()
    r = reminders(store, sink)
    now = JAN31
    first = await walk(engine, await start(engine))
    await r.on_completed(first, now)
    await r.queue.set_every(first.id, timedelta(days=30))  # a lead chose monthly
    second = await walk(engine, await start(engine, previous=first))
    assert await r.on_completed(second, now) == datetime(2027, 2, 28, 10, 0, tzinfo=UTC)  # a calendar month
    assert await redis_client.zscore(DUE, first.id) is None
    assert await redis_client.hget(EVERY, first.id) is None
    assert await r.queue.every(second.id) == timedelta(days=30)
    assert await latest(redis_client, second) == second.id
    assert await r.tick(datetime(2027, 2, 28, 10, 0, tzinfo=UTC)) == 1
    assert sink.posted == [second.id]


async def test_an_older_evaluation_completing_late_does_not_cancel_the_newer(redis_client: aioredis.Redis) -> None:
    store = Store(redis_client)
    engine = Engine(store, REGISTRY, RecordingPresenter())
    sink = Sink()
    r = reminders(store, sink)
    now = datetime.now(UTC)
    older = await start(engine)
    newer = await walk(engine, await start(engine))
    assert older.started_at < newer.started_at
    await r.on_completed(newer, now)
    older = await walk(engine, older)
    await r.on_completed(older, now)
    assert await r.queue.due_at(newer.id) is not None
    assert await latest(redis_client, newer) == newer.id
    # the late one was scheduled (as before this key existed); the check before posting drops it
    assert await r.queue.due_at(older.id) is not None
    assert await r.tick(now + timedelta(seconds=31)) == 1
    assert sink.posted == [newer.id]
    assert await r.queue.due_at(older.id) is None
    assert await redis_client.zscore(LEASE, older.id) is None
    assert await r.queue.due_at(newer.id) is not None  # rescheduled for the next interval


async def test_a_legacy_superseded_reminder_is_dropped_not_posted(redis_client: aioredis.Redis) -> None:
    store = Store(redis_client)
    engine = Engine(store, REGISTRY, RecordingPresenter())
    old = await walk(engine, await start(engine))
    new = await walk(engine, await start(engine, previous=old))
    queue = ReminderQueue(store)
    past = datetime.now(UTC) - timedelta(hours=1)
    await queue.schedule(old.id, past)  # written before ``latest`` existed: nothing superseded it
    await queue.schedule(new.id, past)
    await queue.set_every(old.id, timedelta(days=30))
    assert await redis_client.hlen(LATEST) == 0
    sink = Sink()
    assert await reminders(store, sink).tick() == 1
    assert sink.posted == [new.id]
    assert await queue.due_at(old.id) is None
    assert await redis_client.zscore(LEASE, old.id) is None
    assert await queue.every(old.id) is None


def test_a_quarter_is_three_calendar_months_at_the_same_hour_on_the_teams_clock() -> None:
    # Friday 16:30 PST; a quarter on is Thursday 16:30 PDT — elapsed time would give 17:30, after closing
    due = OFFICE_LA.after(utc(datetime(2027, 1, 8, 16, 30, tzinfo=LA)), SCHEDULES["quarterly"])
    assert due == datetime(2027, 4, 8, 16, 30, tzinfo=LA) and OFFICE_LA.contains(due)


def test_monthly_comes_once_in_each_calendar_month_with_the_day_clamped() -> None:
    at, days = datetime(2027, 1, 31, 10, 0, tzinfo=UTC), []
    for _ in range(6):
        at = ALWAYS.after(at, SCHEDULES["monthly"])  # each counts from the one before, as when posted
        days.append(f"{at:%Y-%m-%d}")
    assert days == ["2027-02-28", "2027-03-28", "2027-04-28", "2027-05-28", "2027-06-28", "2027-07-28"]
    assert f"{ALWAYS.after(datetime(2028, 1, 31, 10, 0, tzinfo=UTC), SCHEDULES['monthly']):%Y-%m-%d}" == "2028-02-29"


def test_a_due_time_outside_the_window_or_in_its_last_minutes_moves_to_the_next_opening() -> None:
    friday = datetime(2027, 1, 8, 16, 30, tzinfo=LA)
    assert OFFICE_LA.after(utc(friday), SNOOZE) == datetime(2027, 1, 22, 16, 30, tzinfo=LA)
    # 16:57 two weeks on: a tick 30 s later could find the window closed, so it is Monday's opening
    assert OFFICE_LA.after(utc(friday.replace(minute=57)), SNOOZE) == datetime(2027, 1, 25, 9, 0, tzinfo=LA)
    saturday = utc(datetime(2027, 1, 9, 12, 0, tzinfo=LA))
    assert OFFICE_LA.after(saturday, SNOOZE) == datetime(2027, 1, 25, 9, 0, tzinfo=LA)


def test_a_duration_counts_whole_days_on_the_wall_clock_and_the_rest_as_elapsed_time() -> None:
    hours = WorkingHours.parse("always", "America/New_York")
    saturday = utc(datetime(2027, 3, 13, 12, 0, tzinfo=NY))  # clocks spring forward on Sunday 2027-03-14
    assert hours.after(saturday, Cadence(length=timedelta(days=2))) == datetime(2027, 3, 15, 12, 0, tzinfo=NY)
    assert hours.after(saturday, Cadence(length=timedelta(hours=36))) == datetime(2027, 3, 15, 0, 0, tzinfo=NY)
    assert hours.after(saturday, Cadence(length=timedelta(seconds=30))) == saturday + timedelta(seconds=30)


def test_cadences_stored_by_the_previous_version_read_as_calendar_months() -> None:
    assert Cadence.stored_as(timedelta(days=30)) == SCHEDULES["monthly"]
    assert Cadence.stored_as(timedelta(days=91)) == SCHEDULES["quarterly"]
    assert Cadence.stored_as(timedelta(days=45)) == Cadence(length=timedelta(days=45))
    # and what this version stores, the previous one still reads (as 30 and 91 days) during a rolling deploy
    assert [SCHEDULES["monthly"].stored, SCHEDULES["quarterly"].stored] == [timedelta(days=30), timedelta(days=91)]


async def test_completion_and_each_post_schedule_the_day_the_reminder_is_posted(redis_client: aioredis.Redis) -> None:
    store = Store(redis_client)
    (ev,) = await completed(store, 1)
    sink = Sink()
    r = Reminders(store, REGISTRY, sink, after=timedelta(days=91), idle_after=timedelta(days=2), hours=OFFICE_LA)
    due = await r.on_completed(ev, utc(datetime(2027, 1, 8, 16, 30, tzinfo=LA)))
    assert due == datetime(2027, 4, 9, 16, 30, tzinfo=LA)  # 91 days on the wall clock: 16:30 PDT, inside hours
    assert close_to(await r.queue.due_at(ev.id), due)
    await r.queue.set_every(ev.id, timedelta(days=30))  # monthly, as written by either version
    assert await r.tick(due) == 1
    # posted Friday 2027-04-09 16:30; a month on is Sunday 2027-05-09, so Monday's opening is what is stored
    assert close_to(await r.queue.due_at(ev.id), datetime(2027, 5, 10, 9, 0, tzinfo=LA))


def test_next_open_in_the_repeated_fall_back_hour_is_not_in_the_past() -> None:
    hours = WorkingHours.parse("Mon-Sun 01:30-17:00", "America/New_York")
    at = datetime(2026, 11, 1, 6, 15, tzinfo=UTC)  # 01:15 EST, the second 01:15 of that night
    assert not hours.contains(at)
    assert hours.next_open(at) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST, not 01:30 EDT (05:30 UTC)


@pytest.mark.parametrize("spec", ["Mon-Fri 09:00-24:00", "Mon-Fri 09:00-25:00", "Mon-Fri 24:00-25:00"])
def test_an_hour_past_23_names_the_spec_and_the_fix(spec: str) -> None:
    with pytest.raises(ValueError) as bad:
        WorkingHours.parse(spec)
    assert str(bad.value).startswith(repr(spec))
    assert "is not a time of day (00:00 to 23:59); use 23:59 for the end of the day, or 'always'" in str(bad.value)


def idle_reminders(store: Store, sink: Sink) -> Reminders:
    return Reminders(store, REGISTRY, sink, after=timedelta(days=90), idle_after=timedelta(days=2),
                     abandon_after=timedelta(days=30), hours=ALWAYS)


async def test_after_downtime_the_grace_before_closing_runs_from_the_nudge(redis_client: aioredis.Redis) -> None:
    store = Store(redis_client)
    sink = Sink()
    r = idle_reminders(store, sink)
    ev = await Engine(store, REGISTRY, RecordingPresenter()).start(team="T1", channel="C1", project="quiet",
                                                                   checklist_id=None, user="U1")
    back = ev.last_activity + timedelta(days=45)  # every replica was down longer than abandon_after
    await r.tick(back)
    assert sink.nudged == [(ev.id, "labeled_examples")]
    for later in (timedelta(seconds=30), timedelta(days=28) - timedelta(minutes=1)):
        await r.tick(back + later)
        still = await store.get(ev.id)
        assert still is not None and still.status == "in_progress", later
    await r.tick(back + timedelta(days=28, minutes=1))  # the grace (30 d - 2 d) after the nudge
    closed = await store.get(ev.id)
    assert closed is not None and closed.status == "abandoned"
    assert sink.nudged == [(ev.id, "labeled_examples")]


async def test_an_evaluation_nudged_by_the_previous_version_closes_when_it_would_have(
        redis_client: aioredis.Redis) -> None:
    store = Store(redis_client)
    r = idle_reminders(store, Sink())
    ev = await Engine(store, REGISTRY, RecordingPresenter()).start(team="T1", channel="C1", project="quiet",
                                                                   checklist_id=None, user="U1")
    quiet_since = ev.last_activity

    def nudged_by_previous_version(e: Evaluation) -> bool:
        e.idle_nudged, e.idle_check_at = True, quiet_since + timedelta(days=28)  # last activity + the grace
        return True

    await store.update(ev.id, nudged_by_previous_version, by="ftcheck", action="idle nudge")
    await r.tick(quiet_since + timedelta(days=30) - timedelta(minutes=1))
    still = await store.get(ev.id)
    assert still is not None and still.status == "in_progress"
    await r.tick(quiet_since + timedelta(days=30, minutes=1))
    closed = await store.get(ev.id)
    assert closed is not None and closed.status == "abandoned"


async def test_without_a_setting_each_checklist_is_re_evaluated_at_its_own_cadence(
        redis_client: aioredis.Redis) -> None:
    store = Store(redis_client)
    engine = Engine(store, REGISTRY, RecordingPresenter())
    own = Reminders(store, REGISTRY, Sink(), after=None, idle_after=timedelta(days=2), hours=ALWAYS)
    now = datetime(2027, 1, 31, 10, 0, tzinfo=UTC)
    expected = {"deployment-quality": datetime(2027, 2, 28, 10, 0, tzinfo=UTC),  # monthly, clamped to February
                "fine-tuning-readiness": datetime(2027, 4, 30, 10, 0, tzinfo=UTC),  # quarterly
                "dataset-readiness": now + timedelta(days=90)}  # it names none
    for checklist, due in expected.items():
        ev = await engine.start(team="T1", channel="C1", project=checklist, checklist_id=checklist, user="U1")
        assert await own.on_completed(ev, now) == due, checklist
        assert await own.queue.due_at(ev.id) == due
    # FTCHECK_REEVALUATE_AFTER, when set, is every checklist's cadence
    assert default_cadence(timedelta(hours=36), REGISTRY.get("deployment-quality")) == Cadence(
        length=timedelta(hours=36))
    team = REGISTRY.get("dataset-readiness").model_copy(update={"reevaluate": "8w"})
    assert default_cadence(None, team) == Cadence(length=timedelta(weeks=8))


@pytest.mark.parametrize(("spec", "cadence"), [
    ("Quarterly", Cadence(months=3)), (" monthly ", Cadence(months=1)), ("6 months", Cadence(months=6)),
    ("60d", Cadence(length=timedelta(days=60))), ("8 weeks", Cadence(length=timedelta(weeks=8))),
    ("yearly", Cadence(length=timedelta(days=90))),  # not understood: noted, and the 90 days of old
])
def test_a_checklist_cadence_is_read_leniently_and_one_not_understood_still_loads(spec: str, cadence: Cadence,
                                                                                   tmp_path: Path) -> None:
    path = tmp_path / "gate.yaml"
    text = (BUILTIN_DIR / "dataset-readiness.yaml").read_text(encoding="utf-8")
    path.write_text(f"{text}\nreevaluate: {spec!r}\n", encoding="utf-8")
    checklist = load_checklist(path)  # a value the previous version took must not make the file skipped
    assert default_cadence(None, checklist) == cadence
    understood = spec != "yearly"
    assert (checklist.reevaluate_note is None) == understood
    if not understood:
        assert checklist.reevaluate_note == ("reevaluate 'yearly' is not understood, so its reminders come every 90 "
                                             "days; write monthly, quarterly, 60d, 8w or 6 months")
        assert f"note: {checklist.reevaluate_note}" in list_checklists([checklist])  # `ftcheck checklists`
