"""A second description pasted in the same thread replaces the first one's suggestions on the cards: its line says
so. Before, both lines said "N suggestions from the pasted description, shown on each card", and the first was no
longer true (LLM review, two descriptions at once)."""

from __future__ import annotations

import redis.asyncio as aioredis

from bot.blocks.suggestions import Tally, report_text
from scoring.suggest import SuggestionReport
from tests.bot.harness import running_bot
from tests.bot.test_slack_surface import started
from tests.bot.test_suggestions_slack import BRIEF, card_text, is_report, paste
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

FEWER = BRIEF.replace("We have 2,000 historical tickets", "We have 200 historical tickets")


async def test_the_second_line_says_it_replaced_the_first_descriptions_suggestions(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        await paste(bot, BRIEF)
        await slack.wait_for(lambda: "Helper suggests" in card_text(bot), what="the first description's hint")
        await bot.settle()
        await paste(bot, FEWER, user="U3")
        await slack.wait_for(lambda: sum(is_report(m.text) for m in bot.thread()) == 2, what="second report")
        await bot.settle()
        first, second = [m.text for m in bot.thread() if is_report(m.text)]
        total = int(first.split()[0])
        assert "earlier" not in first
        assert second.startswith(f"{total} suggestions from the pasted description, shown on each card in place of "
                                 f"{total} from an earlier description"), second
        assert "Helper suggests: No" in card_text(bot)  # the second description's 200 tickets


def test_a_reading_that_only_leaves_a_check_does_not_say_it_replaced_anything() -> None:
    """"No new suggestions … for the questions still open in place of 1 from an earlier description" (review)."""
    report = SuggestionReport(checklist="fine-tuning-readiness", engine="offline")
    line = report_text(report, Tally(shown=0, checks=1, replaced=1))
    assert "in place of" not in line and line.startswith("No new suggestions from the pasted description")
