"""Reminders a lead turned off stay off through the project's next re-evaluation in that channel (two-year review):
`remind off`, then a re-evaluation started by hand, and quarterly reminders came back, three more in a year. A
cadence a lead chose was kept; "off" was the one choice lost. A cadence, a date or a snooze turns them on again."""

from __future__ import annotations

import redis.asyncio as aioredis

from conversations.reminders import ReminderQueue
from conversations.store import Store
from tests.bot.harness import Bot, running_bot
from tests.bot.test_leads import EXAMPLES, ask, evaluate, people
from tests.bot.test_reminders_slack import evaluations
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

EX2 = EXAMPLES["example2_medical_diagnosis"]["answers"]


async def reevaluate_by_hand(bot: Bot, project: str) -> None:
    """`/ftcheck start` again: a re-evaluation pre-filled with last time's answers, each confirmed."""
    await evaluate(bot, project, EX2)


async def test_off_lasts_through_a_reevaluation_until_a_lead_turns_it_on(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    queue = ReminderQueue(Store(redis_client))
    async with running_bot(slack, redis_server.url) as bot:
        await evaluate(bot, "OffProj", EX2)
        (first,) = await evaluations(redis_client)
        assert await queue.due_at(first.id) is not None
        assert "are off" in await ask(bot, "remind OffProj off")

        await reevaluate_by_hand(bot, "OffProj")
        second = next(ev for ev in await evaluations(redis_client) if ev.id != first.id)
        assert second.status == "completed" and second.previous_id == first.id
        assert await queue.due_at(second.id) is None  # still off

        assert "quarterly" in await ask(bot, "remind OffProj quarterly")
        assert await queue.due_at(second.id) is not None
        await reevaluate_by_hand(bot, "OffProj")
        third = next(ev for ev in await evaluations(redis_client) if ev.id not in (first.id, second.id))
        assert await queue.due_at(third.id) is not None  # on again: the next result is reminded


async def test_deleting_every_result_forgets_off(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """With no result of the project left in the channel, it starts over: a new evaluation is reminded (review of
    this change: "off" outlived deleting the only evaluation, and `list` said "no reminder scheduled")."""
    people(slack)
    queue = ReminderQueue(Store(redis_client))
    async with running_bot(slack, redis_server.url) as bot:
        await evaluate(bot, "OffProj", EX2)
        assert "are off" in await ask(bot, "remind OffProj off")
        assert "Deleted" in await ask(bot, "delete OffProj")
        await evaluate(bot, "OffProj", EX2)
        fresh = next(ev for ev in await evaluations(redis_client) if ev.status == "completed")
        assert await queue.due_at(fresh.id) is not None
