"""A process killed between the completing click's write and the booking of its re-evaluation reminder: after the
restart the outbox books it (the completion owes it, ``BookReminder``), and posts the scorecard once."""

from __future__ import annotations

import asyncio
import os
import signal

import aiohttp
import pytest
import redis.asyncio as aioredis

from conversations.reminders import ReminderQueue
from conversations.store import Store
from tests.bot.harness import Bot
from tests.faults.test_faults import bot_process, wait_healthy
from tests.faults.test_outbox_faults import ALL_YES
from tests.standins.redis_server import RedisServer, free_port
from tests.standins.slack_api import SlackStandIn

pytestmark = pytest.mark.timeout(90)


async def test_a_process_killed_before_booking_the_reminder_books_it_after_the_restart(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        bot = Bot(None, url, slack, session)
        with bot_process(slack, redis_server.url, port) as proc:
            await wait_healthy(url, session)
            await bot.command("start Ticket router")
            await bot.answer_all(ALL_YES, limit=19)
            await slack.wait_for(lambda: (c := bot.open_card()) is not None and "Question 20 of 20" in c.text,
                                 what="card 20")
            # Slack holds the scorecard back (429, Retry-After 8 s): the completing delivery is still in flight …
            slack.fail_next("chat.postMessage", status=429, retry_after=8, times=1)
            card = bot.open_card()
            assert card is not None and (await bot.click(card, "answer_yes", user="U1"))[0] == 200
            await asyncio.sleep(1.0)
            os.kill(proc.pid, signal.SIGKILL)  # … when the process dies
            await asyncio.to_thread(proc.wait, 30)
        store = Store(redis_client)
        (ev,) = await store.channel_evaluations("T0001", "C1")
        assert ev.status == "completed" and await ReminderQueue(store).due_at(ev.id) is None
        with bot_process(slack, redis_server.url, port):
            await wait_healthy(url, session)
            await slack.wait_for(lambda: bot.scorecard() is not None, timeout=30, what="scorecard after restart")
            for _ in range(100):
                if await ReminderQueue(store).due_at(ev.id) is not None:
                    break
                await asyncio.sleep(0.1)
    assert await ReminderQueue(store).due_at(ev.id) is not None, "the completed evaluation got no reminder"
    assert sum(1 for m in bot.thread() if m.text.startswith("Scorecard for")) == 1
