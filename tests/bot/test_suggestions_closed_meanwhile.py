"""An evaluation deleted, or closed for inactivity, while the helper reads a description pasted in its thread:
nothing from the reading is stored, and the thread's line says why. Before, a deleted evaluation took all 20
suggestions and the line said "20 suggestions from the pasted description, shown on each card" under closed cards."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from tests.bot.harness import Bot, running_bot
from tests.bot.test_slack_surface import started
from tests.bot.test_suggestions_slack import BRIEF, _held_reading, paste, reading_lines
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn


async def _closed_while_read(bot: Bot, close: str) -> list[str]:
    await started(bot)
    gate = _held_reading(bot, "2,000 historical tickets")
    await paste(bot, BRIEF)
    await asyncio.wait_for(gate.reading.wait(), timeout=10)
    root = bot.slack.messages("C1", top_level=True)[-1]
    ev = await bot.runtime.services.store.by_thread("C1", root.ts)
    assert ev is not None
    if close == "delete":
        assert "Deleted" in await bot.reply_to("delete Ticket router")
    else:
        await bot.runtime.services.engine.abandon(ev)
    gate.go.set()
    await bot.slack.wait_for(lambda: "Reading the description…" not in reading_lines(bot), what="the reading ends")
    await bot.settle()
    stored = await bot.runtime.services.store.get(ev.id)
    assert stored is not None and stored.suggestions == {}
    return reading_lines(bot)


@pytest.mark.parametrize(("close", "line"), [
    ("delete", "The evaluation of *Ticket router* was deleted while the helper read the description, so nothing "
               "from it was kept."),
    ("abandon", "The evaluation of *Ticket router* was closed for inactivity while the helper read the description, "
                "so nothing from it was kept. `/ftcheck start Ticket router` starts a new one that can use it."),
])
async def test_nothing_is_kept_and_the_line_says_why(slack: SlackStandIn, redis_server: RedisServer,
                                                     redis_client: aioredis.Redis, close: str, line: str) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        assert await _closed_while_read(bot, close) == [line]
