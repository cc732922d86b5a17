"""A rollout (SIGTERM) right after a burst of acknowledged clicks: every click Slack was told was taken is
written and answered before the process exits."""

from __future__ import annotations

import asyncio
import os
import signal

import aiohttp
import pytest
import redis.asyncio as aioredis

from conversations.store import Store
from tests.bot.harness import Bot
from tests.faults.test_faults import bot_process, wait_healthy
from tests.standins.redis_server import RedisServer, free_port
from tests.standins.slack_api import SlackStandIn

pytestmark = pytest.mark.timeout(90)
VOTERS = [f"U{i}" for i in range(15)]


async def test_sigterm_right_after_a_burst_of_votes_loses_none(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """Review finding: 15 votes answered 200, then SIGTERM: all were stored only by luck of timing, and 3–4 voters
    never got their "You voted …" reply (the server closed with listener work still running after its ack)."""
    slack.set_channel("C1", name="ml-team", members=["UBOT", *VOTERS])
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        bot = Bot(None, url, slack, session)  # a separate process: no runtime here
        with bot_process(slack, redis_server.url, port) as proc:
            await wait_healthy(url, session)
            await bot.command("start Rollout --vote --quorum 20", user="U0")
            await slack.wait_for(lambda: bot.open_card() is not None, what="card 1")
            await asyncio.sleep(0.3)
            card = bot.open_card()
            assert card is not None
            answers = await asyncio.gather(*[bot.click(card, "answer_yes", user=u) for u in VOTERS])
            assert [status for status, _ in answers] == [200] * len(VOTERS)
            os.kill(proc.pid, signal.SIGTERM)
            assert await asyncio.to_thread(proc.wait, 30) == 0
    (ev,) = await Store(redis_client).channel_evaluations("T0001", "C1")
    (ballot,) = ev.ballots.values()
    assert sorted(ballot.votes) == sorted(VOTERS)
    told = [e.user or "" for e in slack.ephemerals("C1") if e.text.startswith("You voted")]
    assert sorted(told) == sorted(VOTERS)
