"""A description deleted while Slack fails chat.update (a few seconds of 5xx): its report line, which quotes it, is
redrawn as the line that says it was deleted once Slack answers again; an outage longer than the retries ends in one
warning (the real bot, the Slack stand-in)."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis.asyncio as aioredis
import structlog

from bot import suggestions
from tests.bot.harness import Bot, running_bot
from tests.bot.test_slack_surface import started
from tests.bot.test_suggestion_report_fixes import DELETED, answer_open
from tests.bot.test_suggestions_slack import BRIEF, _listeners, _revision, card_text, paste, report
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

pytestmark = pytest.mark.timeout(120)
QUOTED = "We have 2,000 historical tickets"


async def _quoting_report(bot: Bot) -> str:
    """q1 and q2 answered against the description, which is then pasted: its report quotes it. Returns its ts."""
    await started(bot)
    await answer_open(bot, "no")
    await answer_open(bot, "partly")
    ts = await paste(bot, BRIEF)
    await bot.slack.wait_for(lambda: QUOTED in report(bot), timeout=15, what="a report quoting the description")
    await bot.settle()
    return ts


async def _delete_during_outage(bot: Bot, slack: SlackStandIn, ts: str) -> None:
    """Delete the description while every chat.update answers 500; returns once the deletion's handler is done."""
    root = slack.messages("C1", top_level=True)[-1]
    slack.fail_next("chat.update", status=500, times=10_000)
    before = _listeners()
    status, _ = await bot.event(_revision(root.ts, ts, BRIEF, subtype="message_deleted"))
    assert status == 200
    await asyncio.sleep(0.2)
    _, pending = await asyncio.wait(_listeners() - before, timeout=60)
    assert not pending
    assert any(c.status == 500 for c in slack.calls_to("chat.update"))


async def test_the_report_is_redrawn_once_slack_answers_again(slack: SlackStandIn, redis_server: RedisServer,
                                                              redis_client: aioredis.Redis,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(suggestions, "REDRAW_RETRY_S", (0.5,) * 60, raising=False)
    async with running_bot(slack, redis_server.url) as bot:
        ts = await _quoting_report(bot)
        await _delete_during_outage(bot, slack, ts)
        assert QUOTED in report(bot)  # Slack has not taken the redraw yet
        slack.fail_next("chat.update", times=0)  # Slack is back
        await slack.wait_for(lambda: any(m.text == DELETED for m in bot.thread()), timeout=30,
                             what="the report says the description was deleted")
        for _ in range(10):  # the cards are the outbox's to repair
            if "Helper" not in card_text(bot):
                break
            await asyncio.sleep(2)
            await bot.runtime.deliver_owed()
        await bot.settle()
        assert QUOTED not in report(bot)
        assert "Helper" not in card_text(bot)


async def test_an_outage_longer_than_the_retries_ends_in_one_warning(slack: SlackStandIn, redis_server: RedisServer,
                                                                     redis_client: aioredis.Redis,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(suggestions, "REDRAW_RETRY_S", (0.1, 0.1), raising=False)
    async with running_bot(slack, redis_server.url) as bot:
        ts = await _quoting_report(bot)
        with structlog.testing.capture_logs() as logs:
            await _delete_during_outage(bot, slack, ts)
            tried = len(slack.calls_to("chat.update"))
            deadline = time.monotonic() + 60
            while not any(e["event"] == "suggestions_report_not_redrawn" for e in logs):
                assert time.monotonic() < deadline, "no warning after the retries"
                await asyncio.sleep(0.2)
            await asyncio.sleep(1)
        assert len(slack.calls_to("chat.update")) > tried  # tried again after the deletion's handler ended
        given_up = [e for e in logs if e["event"] == "suggestions_report_not_redrawn"]
        assert len(given_up) == 1 and given_up[0]["log_level"] == "warning", given_up
        assert given_up[0]["tries"] == 3
