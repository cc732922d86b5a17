"""Two ways of starting one project in one channel at the same moment, on two replicas: one thread opens."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis

from bot.blocks.leads import REEVAL_START
from conversations.store import Store
from tests.bot.harness import running_bot
from tests.bot.test_reminders_slack import reminders
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

ALL_YES = {f"q{n}": 1.0 for n in range(1, 21)}


async def test_a_reminders_start_button_and_a_start_command_at_once_open_one_thread(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """Review finding: the button took a lock of its own (``reeval:<id>``), the command ``start:<channel>:<project>``;
    clicked and typed at the same moment on two replicas, two empty threads of the project opened, both running."""
    async with running_bot(slack, redis_server.url) as a, running_bot(slack, redis_server.url) as b:
        await a.command("start Ticket router", user="U1")
        await slack.wait_for(lambda: a.open_card() is not None, what="card 1")
        await a.answer_all(ALL_YES)
        await slack.wait_for(lambda: a.scorecard() is not None, what="the scorecard")
        await a.settle()
        assert await a.runtime.reminders.tick(datetime.now(UTC) + timedelta(days=200)) == 1
        (reminder,) = reminders(slack)
        await asyncio.gather(a.click(reminder, REEVAL_START, user="U1"), b.command("start Ticket router", user="U2"))
        await a.settle(0.3)
        await b.settle(0.3)
        running = [ev for ev in await Store(redis_client).channel_evaluations("T0001", "C1")
                   if ev.status == "in_progress"]
        assert len(running) == 1, [(ev.id, ev.started_by) for ev in running]
        told = " ".join(p.text or "" for p in slack.response_posts) + " ".join(e.text for e in slack.ephemerals("C1"))
        assert "already under way" in told or "already in progress here" in told or "being started" in told, told


async def test_a_click_on_an_evaluation_redis_no_longer_holds_does_not_say_it_was_deleted(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """Review finding: after Redis restarted without persistence, clicks said "That evaluation no longer exists (it
    was deleted)", though nobody deleted it (a deleted evaluation is kept, marked deleted)."""
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Ticket router", user="U1")
        await slack.wait_for(lambda: bot.open_card() is not None, what="card 1")
        await bot.settle()
        await redis_client.flushall()  # what a restart without persistence leaves
        card = bot.open_card()
        assert card is not None
        await bot.click(card, "answer_yes", user="U2")
        await slack.wait_for(lambda: bool(slack.ephemerals("C1")), what="the refusal")
        (told,) = [e.text for e in slack.ephemerals("C1")]
        assert told.startswith("ftcheck has no record of this evaluation any more, so nothing was recorded"), told
        assert "deleted" not in told
