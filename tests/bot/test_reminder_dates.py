"""The day `/ftcheck remind` and the Snooze button promise is the day the reminder is posted: calendar months, the
team's wall clock across DST, working hours, "today", impossible dates, and replies that say what happened.

"Now" for a command or a click is ``bot.leads.reminders.time_now`` (set with the ``clock`` fixture); the reminder
clock is ``Reminders.tick(now)``, ticked every 30 minutes like the scheduler would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as aioredis
from pydantic import ValidationError

import bot.leads.reminders as lead_reminders
from bot.commands import CommandError, parse
from bot.leads.reminders import _spoken, date_of
from bot.settings import Settings
from conversations.models import Evaluation
from conversations.reminders import ReminderQueue
from conversations.store import Store
from tests.bot.harness import Bot, running_bot
from tests.bot.test_leads import EXAMPLES, ask, evaluate, people
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Message

ANSWERS = EXAMPLES["example1_support_intent"]["answers"]
LA, NY, KOLKATA = ZoneInfo("America/Los_Angeles"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")
OFFICE = "Mon-Fri 09:00-17:00"

Clock = Callable[[datetime], None]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    def set_now(at: datetime) -> None:
        monkeypatch.setattr(lead_reminders, "time_now", lambda: at.astimezone(UTC))  # held in UTC, as by the bot
    return set_now


def reminders(slack: SlackStandIn) -> list[Message]:
    return [m for m in slack.messages("C1") if m.text.startswith("Time to re-evaluate")]


async def the_evaluation(redis_client: aioredis.Redis) -> Evaluation:
    (ev,) = await Store(redis_client).channel_evaluations("T0001", "C1")
    return ev


async def posted_at(bot: Bot, start: datetime, zone: ZoneInfo) -> datetime:
    """Tick every 30 minutes from ``start`` until the reminder is posted; when that was, on the team's clock."""
    at = start
    while not await bot.runtime.reminders.tick(at):
        at += timedelta(minutes=30)
        assert at < start + timedelta(days=7), "no reminder posted within a week"
    return at.astimezone(zone)


async def test_remind_quarterly_promises_the_day_it_is_posted(slack: SlackStandIn, redis_server: RedisServer,
                                                               redis_client: aioredis.Redis, clock: Clock) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url, FTCHECK_TIMEZONE="America/Los_Angeles",
                           FTCHECK_WORKING_HOURS=OFFICE) as bot:
        await evaluate(bot, "Router", ANSWERS)
        clock(datetime(2027, 1, 8, 16, 30, tzinfo=LA))  # Friday, inside working hours, before DST
        reply = await ask(bot, "remind Router quarterly")
        # three calendar months at the same hour of the team's clock: Thursday 16:30 PDT (elapsed time: 17:30)
        assert "quarterly. Next one 2027-04-08, posted in its thread within working hours." in reply, reply
        posted = await posted_at(bot, datetime(2027, 4, 8, 0, 0, tzinfo=LA), LA)
        assert f"{posted:%Y-%m-%d %H:%M}" == "2027-04-08 16:30"


async def test_snooze_across_spring_forward_comes_on_the_promised_day(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, clock: Clock) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url, FTCHECK_TIMEZONE="America/New_York",
                           FTCHECK_WORKING_HOURS=OFFICE) as bot:
        await evaluate(bot, "Router", ANSWERS, user="U1")
        ev = await the_evaluation(redis_client)
        await ReminderQueue(Store(redis_client)).schedule(ev.id, datetime(2027, 3, 1, 9, 0, tzinfo=NY))
        assert await bot.runtime.reminders.tick(datetime(2027, 3, 1, 10, 0, tzinfo=NY)) == 1
        clock(datetime(2027, 3, 1, 16, 30, tzinfo=NY))  # Monday 16:30 EST; clocks spring forward on 2027-03-14
        await bot.click(reminders(slack)[-1], "reeval_snooze", user="U1")
        await slack.wait_for(lambda: len(slack.ephemerals("C1", user="U1")) >= 1, what="snooze reply")
        said = slack.ephemerals("C1", user="U1")[-1].text
        assert "comes on 2027-03-15." in said, said
        posted = await posted_at(bot, datetime(2027, 3, 15, 0, 0, tzinfo=NY), NY)
        assert f"{posted:%Y-%m-%d %H:%M}" == "2027-03-15 16:30"  # 16:30 EDT, not 17:30 (closed: Tuesday)


async def test_monthly_from_the_31st_posts_once_in_each_calendar_month(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, clock: Clock) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url) as bot:  # UTC, always
        await evaluate(bot, "Router", ANSWERS)
        clock(datetime(2027, 1, 31, 10, 0, tzinfo=UTC))
        assert "monthly. Next one 2027-02-28," in await ask(bot, "remind Router monthly")
        months = []
        day = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)
        while day < datetime(2027, 8, 1, tzinfo=UTC):
            if await bot.runtime.reminders.tick(day):
                months.append(f"{day:%Y-%m-%d}")
            day += timedelta(days=1)
        assert months == ["2027-02-28", "2027-03-28", "2027-04-28", "2027-05-28", "2027-06-28", "2027-07-28"]
        assert len(reminders(slack)) == 6


async def test_remind_for_today_means_the_next_open_moment_today(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, clock: Clock) -> None:
    people(slack)
    queue = ReminderQueue(Store(redis_client))
    async with running_bot(slack, redis_server.url, FTCHECK_TIMEZONE="Asia/Kolkata", FTCHECK_WORKING_HOURS=OFFICE,
                           FTCHECK_REEVALUATE_AFTER="36h") as bot:
        await evaluate(bot, "Router", ANSWERS)
        ev = await the_evaluation(redis_client)
        # Wednesday 01:30 in Kolkata (still Tuesday in UTC): today is Wednesday, from the opening at 09:00
        clock(datetime(2027, 1, 5, 20, 0, tzinfo=UTC))
        reply = await ask(bot, "remind Router 2027-01-06")
        assert "once on 2027-01-06, then every 36 hours. Next one 2027-01-06" in reply, reply
        assert await queue.due_at(ev.id) == datetime(2027, 1, 6, 9, 0, tzinfo=KOLKATA)

        inside = datetime(2027, 1, 6, 11, 0, tzinfo=KOLKATA)  # inside today's hours: now
        clock(inside)
        assert "once on 2027-01-06" in await ask(bot, "remind Router 2027-01-06")
        assert await queue.due_at(ev.id) == inside
        assert await bot.runtime.reminders.tick(inside + timedelta(seconds=30)) == 1

        clock(datetime(2027, 1, 6, 18, 0, tzinfo=KOLKATA))  # today's hours are over
        reply = await ask(bot, "remind Router 2027-01-06")
        assert ("once, then every 36 hours. Today's working hours (Mon-Fri 09:00-17:00) are over; it comes on "
                "Thursday 2027-01-07, in its thread.") in reply, reply
        assert await queue.due_at(ev.id) == datetime(2027, 1, 7, 9, 0, tzinfo=KOLKATA)

        refused = await ask(bot, "remind Router 2027-01-05")
        assert refused == "2027-01-05 is in the past (today is 2027-01-06 in Asia/Kolkata); pick today or a later date."
        assert await queue.due_at(ev.id) == datetime(2027, 1, 7, 9, 0, tzinfo=KOLKATA)  # unchanged


async def test_a_date_outside_working_hours_says_the_day_it_comes_and_why(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, clock: Clock) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url, FTCHECK_TIMEZONE="America/Los_Angeles",
                           FTCHECK_WORKING_HOURS=OFFICE) as bot:
        await evaluate(bot, "Router", ANSWERS)
        ev = await the_evaluation(redis_client)
        clock(datetime(2027, 1, 8, 12, 0, tzinfo=LA))
        reply = await ask(bot, "remind Router 2031-03-01")
        assert reply == ("Re-evaluation reminders for *Router*: once, then quarterly. 2031-03-01 is a Saturday, "
                         "outside working hours (Mon-Fri 09:00-17:00); it comes on Monday 2031-03-03, in its thread.")
        assert await ReminderQueue(Store(redis_client)).due_at(ev.id) == datetime(2031, 3, 3, 9, 0, tzinfo=LA)
        impossible = await ask(bot, "remind Router 2027-02-30")
        assert impossible == "`2027-02-30` is not a day: February 2027 has 28 days; pick one from 01 to 28."


def test_an_impossible_date_names_what_is_wrong() -> None:
    with pytest.raises(CommandError, match="February 2028 has 29 days; pick one from 01 to 29"):
        date_of("2028-02-30")
    with pytest.raises(CommandError, match="has no month 13: months go from 01 to 12"):
        date_of("2027-13-01")
    assert f"{date_of('2028-02-29')}" == "2028-02-29"


def test_a_remind_that_names_no_project_says_so() -> None:
    with pytest.raises(CommandError) as bad:
        parse("remind monthly")
    assert str(bad.value) == "Name the project before `monthly`: `/ftcheck remind &lt;project&gt; monthly`."


@pytest.mark.parametrize("text", ["remind Ticket router", "remind Router", "remind Router quartely",
                                  "remind Router 1/3/2027"])
def test_a_remind_without_a_schedule_is_worded_after_the_lookup(text: str) -> None:
    """Where a project name ends is known only once the projects are read: the parser hands the whole text on
    (the wordings, with a real project, are in tests/bot/test_lead_words.py)."""
    command = parse(text)
    assert command.schedule is None and command.project == text.removeprefix("remind ")


def test_cadences_are_said_exactly() -> None:
    assert [_spoken(timedelta(hours=36)), _spoken(timedelta(minutes=90)), _spoken(timedelta(seconds=30)),
            _spoken(timedelta(seconds=61)), _spoken(timedelta(days=90)), _spoken(timedelta(weeks=2))] == [
        "36 hours", "90 minutes", "30 seconds", "61 seconds", "90 days", "2 weeks"]


def test_an_hour_past_23_in_working_hours_is_refused_at_startup_with_the_fix() -> None:
    with pytest.raises(ValidationError) as bad:
        Settings(_env_file=None, FTCHECK_WORKING_HOURS="Mon-Fri 09:00-24:00")
    assert ("'Mon-Fri 09:00-24:00': 24:00 is not a time of day (00:00 to 23:59); use 23:59 for the end of the day, "
            "or 'always' for no window") in str(bad.value)
