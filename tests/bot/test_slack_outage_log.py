"""A Slack outage in the log: one ``slack_outage_started`` warning per process when Web API calls keep failing (429,
5xx, connection errors), one ``slack_outage_ended`` line when a call succeeds again, nothing per failed call.

Before: 30 s of 429s and 500s (~25–45 failed chat.update / chat.postMessage / conversations.replies calls, two
replicas) logged no warning at all, only info-level ``outbox_repair`` lines, while a Redis outage logs
``redis_outage_started`` / ``redis_outage_ended``. The watch is the first of the client's retry handlers, which
slack_sdk asks about every answer; the tests move its clock instead of waiting out its 10 s."""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

import pytest
import redis.asyncio as aioredis
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncServerErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from bot.ratelimit import OUTAGE_MEANS, ChannelRateLimiter, PacedWebClient, SlackOutage
from tests.bot.harness import retry_at_once, running_bot
from tests.bot.test_vote_notices import FT, card, started
from tests.standins.redis_server import RedisServer, free_port
from tests.standins.slack_api import SlackStandIn


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def outage_lines(logs: list[MutableMapping[str, Any]]) -> list[MutableMapping[str, Any]]:
    return [e for e in logs if str(e["event"]).startswith("slack_outage")]


async def fails(call: Any) -> None:
    with pytest.raises(SlackApiError):
        await call


async def test_calls_failing_for_a_while_are_one_outage_with_one_start_and_one_end(slack: SlackStandIn) -> None:
    clock = Clock()
    client = PacedWebClient(token="xoxb-test", base_url=slack.base_url, limiter=ChannelRateLimiter(per_second=1000))
    client.retry_handlers = [AsyncServerErrorRetryHandler(
        max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.01))]
    client.outage = SlackOutage("127.0.0.1", clock=clock)  # 10 s and 3 failed requests, on the test's clock
    # a per-request client as Bolt makes one (a copy of the list): a connection refused there counts too
    refused = AsyncWebClient(token="xoxb-test", base_url=f"http://127.0.0.1:{free_port()}/api/",
                             retry_handlers=client.retry_handlers.copy())
    try:
        with structlog.testing.capture_logs() as logs:
            await client.chat_postMessage(channel="C1", text="fine")
            slack.fail_next("chat.postMessage", status=500)  # one odd 500, retried: no outage
            await client.chat_postMessage(channel="C1", text="retried once")  # 500, then 200
            clock.now += 60
            assert client.outage.since is None and not outage_lines(logs), logs

            slack.fail_next("chat.update", status=500, times=1000)
            slack.fail_next("chat.postMessage", status=429, times=1000)
            slack.fail_next("conversations.replies", status=503, times=1000)
            await fails(client.chat_update(channel="C1", ts="1.1", text="x"))  # and its retry: 2 failed requests
            clock.now += 5
            await fails(client.chat_postMessage(channel="C1", text="x"))
            with pytest.raises(OSError):
                await refused.auth_test()
            assert not outage_lines(logs), logs  # 4 failed requests, but for 5 s only
            clock.now += 5
            await fails(client.conversations_replies(channel="C1", ts="1.1"))  # 10 s: the outage starts here
            for _ in range(5):
                clock.now += 2
                await fails(client.chat_postMessage(channel="C1", text="x"))
                await fails(client.chat_update(channel="C1", ts="1.1", text="x"))
            for method in ("chat.update", "chat.postMessage", "conversations.replies"):
                slack.fail_next(method, times=0)
            clock.now += 3
            await client.chat_postMessage(channel="C1", text="back")
            await client.chat_postMessage(channel="C1", text="still back")
    finally:
        await client.aclose()
    started_, ended = outage_lines(logs)
    assert started_ == {"event": "slack_outage_started", "log_level": "warning", "slack": "127.0.0.1",
                        "failed_requests": 5, "errors": {"500": 2, "429": 1, "connection": 1, "503": 1},
                        "failing_s": 10.0, "means": OUTAGE_MEANS}, started_
    assert ended == {"event": "slack_outage_ended", "log_level": "info", "slack": "127.0.0.1", "lasted_s": 23.0,
                     "failed_requests": 21, "errors": {"500": 12, "429": 6, "connection": 1, "503": 2}}, ended
    assert "still saved" in OUTAGE_MEANS and "go out when Slack answers again" in OUTAGE_MEANS


def test_an_answer_from_slack_ends_the_streak_and_a_refusal_is_an_answer() -> None:
    clock = Clock()
    outage = SlackOutage(after_s=10, min_failures=3, clock=clock)
    with structlog.testing.capture_logs() as logs:
        for _ in range(50):  # a refusal now and then (channel_not_found: HTTP 200) between failures
            outage.saw("500")
            clock.now += 1
            outage.saw("500")
            outage.saw(None)
            clock.now += 10
        outage.saw("")  # an error that says nothing about Slack (ours): neither
        assert outage.since is None
        outage.saw("timeout")
        clock.now += 10
        outage.saw("")
        outage.saw("timeout")  # two failed requests over 10 s: fewer than three
        outage.saw(None)
    assert not outage_lines(logs), logs


async def test_a_bot_whose_slack_fails_for_a_while_logs_one_outage(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """The bot's own calls (the click's card and root updates, the next card's post, the outbox's look in the
    thread) go through the watch: one start while Slack fails, one end when the outbox delivers what was owed, and
    the end counts every 500 Slack answered."""
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot, "Router")
        client = retry_at_once(bot)
        client.outage.after_s = 0  # three failed requests in a row make an outage here
        before = len(slack.calls)
        methods = ("chat.update", "chat.postMessage", "conversations.replies", "conversations.history")
        with structlog.testing.capture_logs() as logs:
            for method in methods:
                slack.fail_next(method, status=500, times=1000)
            await bot.click(card(bot, "q1"), "answer_yes", user="U2")
            await bot.settle()
            assert [e["event"] for e in outage_lines(logs)] == ["slack_outage_started"], logs
            for method in methods:
                slack.fail_next(method, times=0)
            await bot.runtime.outbox.tick(time.time() + 120)  # the owed card updates and the next card, delivered
            await bot.settle()
            assert bot.cards(FT.question("q2").id), "the next card, owed during the outage"
    started_, ended = outage_lines(logs)
    assert started_["event"] == "slack_outage_started" and started_["log_level"] == "warning", started_
    assert started_["failed_requests"] == 3 and started_["errors"] == {"500": 3}, started_
    failed = sum(1 for c in slack.calls[before:] if c.status == 500)
    assert ended["event"] == "slack_outage_ended" and ended["errors"] == {"500": failed} and failed >= 3, ended
