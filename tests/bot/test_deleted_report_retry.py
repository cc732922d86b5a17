"""A description deleted while Slack fails chat.update (5xx): the redraw of its report line, which quotes it, is owed
in the evaluation's outbox, so the outbox redraws it as the line that says it was deleted once Slack answers again;
an outage longer than the outbox's tries is told once in the thread, and the line is still redrawn after it. A
report Slack refuses for good (deleted, its channel archived) is done with one warning (the real bot, the Slack
stand-in; the outbox ticks are driven here, as if each entry's backoff had passed)."""

from __future__ import annotations

import time

import pytest
import redis.asyncio as aioredis
import structlog

from conversations.effects import MAX_ATTEMPTS
from conversations.engine import REDRAW_LATER_S
from tests.bot.harness import Bot, running_bot
from tests.bot.test_deleted_report_owed import QUOTED, _delete_while_updates_fail, _quoting_report, the_evaluation
from tests.bot.test_suggestion_report_fixes import DELETED
from tests.bot.test_suggestions_slack import card_text, report
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

pytestmark = pytest.mark.timeout(120)


class Clock:
    """The outbox's ticks, each far enough after the last that every entry's backoff (even a redraw's ten minutes
    once its tries ran out) has passed."""

    def __init__(self, bot: Bot) -> None:
        self.bot, self.ticks = bot, 0

    async def tick(self) -> None:
        self.ticks += 1
        await self.bot.runtime.outbox.tick(now=time.time() + 2 * REDRAW_LATER_S * self.ticks)
        await self.bot.settle()


async def test_the_report_is_redrawn_by_the_outbox_once_slack_answers_again(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        ts = await _quoting_report(bot)
        await _delete_while_updates_fail(bot, slack, ts)
        assert QUOTED in report(bot)  # Slack has not taken the redraw yet
        slack.fail_next("chat.update", times=0)  # Slack is back
        clock = Clock(bot)
        while (report(bot) or "Helper" in card_text(bot)) and clock.ticks < 5:
            await clock.tick()
        assert any(m.text == DELETED for m in bot.thread()), [m.text for m in bot.thread()]
        assert QUOTED not in report(bot) and "Helper" not in card_text(bot)
        assert [o.key for o in (await the_evaluation(redis_client, bot)).pending] == []


async def test_an_outage_longer_than_the_tries_is_told_once_and_the_line_redrawn_after_it(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        ts = await _quoting_report(bot)
        await _delete_while_updates_fail(bot, slack, ts)
        clock = Clock(bot)
        for _ in range(MAX_ATTEMPTS + 2):  # the tries run out; the redraw stays owed, tried every ten minutes
            await clock.tick()
        notices = [m.text for m in bot.thread() if "still quotes a description" in m.text]
        assert notices == [
            "A line in this thread still quotes a description of *Ticket router* that was deleted: Slack did not "
            "take its update (`internal_error`). The description's words are out of the evaluation and its "
            "exports, and I'll redraw that line when Slack answers again."], [m.text for m in bot.thread()]
        owed = await the_evaluation(redis_client, bot)
        assert f"redraw_deleted_report:{ts}" in [o.key for o in owed.pending]
        slack.fail_next("chat.update", times=0)  # Slack answers again
        await clock.tick()
        assert any(m.text == DELETED for m in bot.thread()) and QUOTED not in report(bot)
        assert len([m for m in bot.thread() if "still quotes a description" in m.text]) == 1  # told once


async def test_a_report_slack_refuses_for_good_is_done_with_one_warning(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        ts = await _quoting_report(bot)
        slack.fail_next("chat.update", error="message_not_found", times=10_000)  # the report was deleted meanwhile
        with structlog.testing.capture_logs() as logs:
            await _delete_while_updates_fail(bot, slack, ts, fail=False)
            await Clock(bot).tick()
        warned = [e for e in logs if e["event"] == "deleted_report_not_redrawn"]
        assert len(warned) == 1 and warned[0]["log_level"] == "warning", warned
        assert warned[0]["error"] == "message_not_found"
        owed = await the_evaluation(redis_client, bot)
        assert f"redraw_deleted_report:{ts}" not in [o.key for o in owed.pending]
        assert not any("still quotes a description" in m.text for m in bot.thread())
