"""/healthz against a Redis that accepts connections but answers nothing (paused) took about 40 s to say 503 (README
review): past the Dockerfile's 8 s probe timeout, so a probe saw a timeout, and an alert with a shorter one nothing
at all. It now answers 503 "not answering" within its deadline, and 200 once Redis answers again."""

from __future__ import annotations

import time

from bot.serve import HEALTH_DEADLINE_S
from tests.bot.harness import running_bot
from tests.faults.test_outbox_faults import healthz
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn


async def test_healthz_says_not_answering_within_its_deadline(slack: SlackStandIn) -> None:
    with RedisServer() as server:
        async with running_bot(slack, server.url) as bot:
            assert await healthz(bot) == 200
            server.pause()
            try:
                began = time.monotonic()
                statuses = [await healthz(bot), await healthz(bot)]  # the second joins the check still under way
                took = time.monotonic() - began
                async with bot.session.get(f"{bot.url}/healthz") as resp:
                    said = await resp.json()
            finally:
                server.resume()
            assert statuses == [503, 503] and said == {"ok": False, "redis": "not answering"}, (statuses, said)
            assert took < 2 * HEALTH_DEADLINE_S + 1, took
            deadline = time.monotonic() + 30
            while await healthz(bot) != 200:
                assert time.monotonic() < deadline, "healthz did not turn 200 after Redis answered again"
