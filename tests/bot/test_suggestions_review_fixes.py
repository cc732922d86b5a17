"""Review fixes seen in the thread: made-up quotes from the AI helper give way to the built-in reader, and the
line says so (the real bot, the Slack stand-in, the OpenAI stand-in)."""

from __future__ import annotations

import redis.asyncio as aioredis

from tests.bot.harness import running_bot
from tests.bot.test_slack_surface import started
from tests.bot.test_suggestions_slack import paste, report
from tests.scoring.test_llm_review_fixes import DESCRIPTION, num, out
from tests.standins.openai_api import OpenAIStandin
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn


async def test_made_up_quotes_leave_the_built_in_readers_suggestions_in_the_thread(
    slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis
) -> None:
    with OpenAIStandin() as api:
        api.respond_json(out(numbers=[num("labeled_examples", 6500, "We have 6,500 labelled call notes ready")]))
        async with running_bot(slack, redis_server.url, OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=api.base_url,
                               FTCHECK_LLM_TIMEOUT=3, FTCHECK_LLM_RETRIES=0) as bot:
            await started(bot)
            await paste(bot, DESCRIPTION)
            await slack.wait_for(lambda: report(bot) != "", timeout=15, what="report")
            line = report(bot)
            assert "suggestions from the pasted description, shown on each card" in line
            assert "(the AI helper's quote could not be found in your text, so the built-in reader made them)" in line
            assert "does not answer any question" not in line
            assert len(api.requests) == 1
