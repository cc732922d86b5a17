"""A dataset-readiness pass in Slack: the band says the checks are not sufficient and points at the "your situation"
rows, but the scorecard had no button without gaps, so the rows were nowhere in the thread (review of the session).
The button now opens them whenever the checklist has such rows."""

from __future__ import annotations

from bot.blocks.scorecard import GAPS_ACTION
from scoring.render import SITUATIONS_TITLE
from tests.bot.harness import running_bot
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn


async def test_a_dataset_pass_opens_the_situation_rows(slack: SlackStandIn, redis_server: RedisServer) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        assert (await bot.command("start Data --checklist dataset-readiness"))[0] == 200
        for n in range(1, 4):  # Pass on each check
            await slack.wait_for(lambda: bot.open_card() is not None, what="a check's card")
            open_card = bot.open_card()
            assert open_card is not None
            await bot.click(open_card, "answer_pass")
            await slack.wait_for(lambda: str(bot.thread()).count("✓") >= n, what="the check answered")  # noqa: B023
        await slack.wait_for(lambda: bot.scorecard() is not None, what="scorecard")
        card = bot.scorecard()
        assert card is not None and "Ready to train" in str(card.blocks)
        button = bot.element(card, GAPS_ACTION)
        assert button["text"]["text"] == SITUATIONS_TITLE
        await bot.click(card, GAPS_ACTION, user="U2")
        await slack.wait_for(lambda: bool(slack.calls_to("views.open")), what="the situations dialog")
        view = str(slack.calls_to("views.open")[-1].params["view"])
        assert "No gaps" in view and "Under 500 high-quality examples available" in view
        assert "The checks passed, but they do not tell your dataset" in view
