"""Operators can see the LLM fail: /metrics counts the requests sent to the model (retries included) and the
suggestion runs whose model answer was not used, by why. Before, three failed 500s counted only as one run of the
built-in reader (``ftcheck_llm_calls_total{engine="offline"}``), with no LLM request or failure counted anywhere."""

from __future__ import annotations

import re

import redis.asyncio as aioredis

from tests.bot.harness import Bot, running_bot
from tests.bot.test_slack_surface import started
from tests.bot.test_suggestions_slack import BRIEF
from tests.standins.openai_api import OpenAIStandin
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn


async def sample(bot: Bot, name: str) -> float:
    async with bot.session.get(f"{bot.url}/metrics") as resp:
        text = await resp.text()
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_failed_llm_requests_and_the_reason_are_counted(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    with OpenAIStandin() as api:
        for _ in range(3):
            api.respond_status(500)
        async with running_bot(slack, redis_server.url, OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=api.base_url,
                               FTCHECK_LLM_TIMEOUT=3, FTCHECK_LLM_RETRIES=2) as bot:
            await started(bot)
            failures = 'ftcheck_llm_failures_total{failure="server_error"}'
            requests, failed = await sample(bot, "ftcheck_llm_requests_total"), await sample(bot, failures)
            await bot.reply_to(f"suggest {BRIEF}", user="U4")
            assert len(api.requests) == 3
            assert await sample(bot, "ftcheck_llm_requests_total") - requests == 3
            assert await sample(bot, failures) - failed == 1
