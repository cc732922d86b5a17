"""A split card waits for the starter (or a lead) to choose the team answer, and everything that says what the
evaluation waits for says so: the root, `/ftcheck status` and the idle nudge (review: the nudge asked "anyone in
the channel" to answer and listed people "still to vote" on a card whose voting had closed, and status said only
"Waiting for q1")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.bot.harness import Bot, message_texts, running_bot
from tests.bot.test_votes import _card_for, _card_has
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

WAITS = "q1 is split: waiting for the starter (<@U1>), a lead or an admin to choose the team answer."


async def split_q1(bot: Bot) -> None:
    await bot.command("start Router --vote --quorum 2", user="U1")
    await bot.slack.wait_for(lambda: bot.open_card() is not None, what="first card")
    await bot.click(_card_for(bot, "q1"), "answer_yes", user="U2")
    await bot.slack.wait_for(_card_has(bot, "q1", "<@U2>"), what="U2's vote counted")
    await bot.click(_card_for(bot, "q1"), "answer_no", user="U3")
    await bot.slack.wait_for(_card_has(bot, "q1", "Split"), what="the split")
    await bot.settle()


async def test_the_idle_nudge_of_a_split_card_asks_for_the_team_answer_not_for_votes(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: object) -> None:
    async with running_bot(slack, redis_server.url, FTCHECK_IDLE_NUDGE_AFTER="1h") as bot:
        await split_q1(bot)
        await bot.runtime.reminders.tick(datetime.now(UTC) + timedelta(minutes=61))
        await slack.wait_for(lambda: any(m.text.startswith("Router is waiting") for m in bot.thread()), what="nudge")
        nudge = next(m.text for m in bot.thread() if m.text.startswith("Router is waiting"))
        assert nudge.startswith("Router is waiting for the starter (<@U1>), a lead or an admin to choose the team "
                                "answer to q1 (500+ labeled examples): the votes split on <"), nudge
        assert "Still to vote" not in nudge and "Anyone in the channel" not in nudge


async def test_status_says_a_split_card_waits_for_the_team_answer(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: object) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await split_q1(bot)
        status = await bot.reply_to("status", user="U4")
        assert WAITS in status and "Waiting for q1" not in status
        words = "split: waiting for the starter (<@U1>), a lead or an admin to choose the team answer"
        await slack.wait_for(lambda: words in message_texts(slack.messages("C1", top_level=True)[-1]),
                             what="the root's same words (after its paced redraw)")
