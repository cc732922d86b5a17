"""Posting respects Slack's ~1 message per second per channel; 429s and 5xx are retried, never duplicated."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

import pytest
import redis.asyncio as aioredis
from prometheus_client import REGISTRY
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler

import bot.presenter as presenter_module
from bot.app import make_client
from bot.presenter import SlackPresenter, retry_after
from bot.ratelimit import ChannelRateLimiter, findable_post, json_body
from conversations.effects import DeliveryFailed
from conversations.models import Evaluation
from scoring.checklist import Registry
from tests.bot.harness import running_bot, settings_for
from tests.bot.test_slack_surface import started
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn


async def test_limiter_spaces_posts_per_channel_but_not_across_channels() -> None:
    limiter = ChannelRateLimiter(per_second=20, burst=2)  # 50 ms apart after a burst of 2
    start = time.monotonic()
    await asyncio.gather(*[limiter.wait("C1") for _ in range(6)], *[limiter.wait("C2") for _ in range(2)])
    elapsed = time.monotonic() - start
    assert 0.15 <= elapsed < 0.5  # C1: 2 at once, then 4 × 50 ms; C2 does not wait behind C1


async def test_client_paces_chat_post_message(slack: SlackStandIn, redis_server: RedisServer) -> None:
    client = make_client(settings_for(slack, redis_server.url, FTCHECK_POSTS_PER_SECOND=10))
    start = time.monotonic()
    for i in range(6):
        await client.chat_postMessage(channel="C1", text=f"m{i}")
    assert time.monotonic() - start >= 0.25  # burst of 3, then 100 ms apart
    times = [c.time for c in slack.calls_to("chat.postMessage")]
    assert min(b - a for a, b in itertools.pairwise(times[2:])) >= 0.08


def ratelimited_retries() -> float:
    """The process's count of 429 retries so far (other tests of this process count too)."""
    return REGISTRY.get_sample_value("ftcheck_slack_api_retries_total", {"reason": "ratelimited"}) or 0.0


async def test_a_429_is_retried_and_5xx_on_an_update_too_each_message_once(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """slack_sdk retries a 429 (nothing was applied) and a 5xx on an update (doing it again is harmless). A post the
    outbox can find is not retried inside the client: after a 429 the presenter waits Retry-After, confirms the
    delivery still holds its evaluation and looks for the post before posting it again (a hold that ran out
    meanwhile: tests/faults/test_429_hold_lapse.py). A 5xx on a post is left to the outbox, which looks first."""
    ratelimited = ratelimited_retries()
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        card = bot.open_card()
        assert card is not None
        slack.fail_next("chat.postMessage", status=429, retry_after=1)  # card 2
        await bot.click(card, "answer_yes")
        first, card = card, await bot.next_card(card)
        await slack.wait_for(lambda: bot._closed(first, "C1"), what="card 1 drawn answered")
        await bot.settle()  # nothing of the first click is still on its way: the 500s below meet card 2 only
        posts = [c for c in slack.calls if c.method in ("chat.postMessage", "conversations.replies")]
        assert [(c.method, c.status) for c in posts][-3:] == [
            ("chat.postMessage", 429), ("conversations.replies", 200), ("chat.postMessage", 200)]  # looked first
        assert posts[-1].time - posts[-3].time >= 1.0  # after Retry-After
        slack.fail_next("chat.update", status=500, times=2)  # card 2 drawn answered
        await bot.click(card, "answer_yes")
        answered = card
        card = await bot.next_card(card)
        await slack.wait_for(lambda: bot._closed(answered, "C1"), what="card 2 drawn answered after the retries")
        await bot.settle()
        slack.fail_next("chat.update", status=429, retry_after=1)  # card 3 drawn answered: retried by the client
        await bot.click(card, "answer_yes")
        answered = card
        card = await bot.next_card(card)
        await slack.wait_for(lambda: bot._closed(answered, "C1"), what="card 3 drawn answered after Retry-After")
        await bot.settle()
        cards = [m for m in bot.thread() if ":card:" in str(m.metadata)]  # answered cards read "Q1: Yes"
        assert [m.text.split(":")[0].split(" (")[0] for m in cards] == ["q1", "q2", "q3", "Question 4 of 20"]
        assert [c.status for c in slack.calls_to("chat.postMessage")].count(429) == 1
        assert [c.status for c in slack.calls_to("chat.update")].count(500) == 2
        assert [c.status for c in slack.calls_to("chat.update")].count(429) == 1
        assert ratelimited_retries() - ratelimited == 2  # the post's, the update's
        async with bot.session.get(f"{bot.url}/metrics") as resp:
            metrics = await resp.text()
        assert 'ftcheck_slack_api_retries_total{reason="ratelimited"}' in metrics
        assert 'ftcheck_slack_api_retries_total{reason="server_error"}' in metrics


async def test_the_client_leaves_a_findable_posts_429_to_the_caller(slack: SlackStandIn,
                                                                    redis_server: RedisServer) -> None:
    """Inside ``findable_post`` slack_sdk does not sleep Retry-After and send again: the 429 reaches the caller at
    once, with its Retry-After. Every other call (outside) keeps the client's 429 handler."""
    client = make_client(settings_for(slack, redis_server.url))
    try:
        slack.fail_next("chat.postMessage", status=429, retry_after=7)
        with findable_post(), pytest.raises(SlackApiError) as raised:
            await client.chat_postMessage(channel="C1", text="findable")
        assert raised.value.response.status_code == 429 and raised.value.response["error"] == "ratelimited"
        assert retry_after(raised.value.response) == 7.0
        assert len(slack.calls_to("chat.postMessage")) == 1
        assert any(isinstance(h, AsyncRateLimitErrorRetryHandler) for h in client.retry_handlers)
        slack.fail_next("chat.postMessage", status=429, retry_after=1)
        start = time.monotonic()
        await client.chat_postMessage(channel="C1", text="not findable")
        assert time.monotonic() - start >= 1.0
        assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 429, 200]
    finally:
        await client.aclose()


async def test_a_findable_posts_429_beyond_the_bound_is_left_to_the_outbox(
        slack: SlackStandIn, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Retry-After longer than RETRY_AFTER_MAX_S is not waited for inside the delivery: the post stays owed (not
    given up on, nothing unconfirmed) and the outbox posts it after the entry's backoff, looking first."""
    monkeypatch.setattr(presenter_module, "RETRY_AFTER_MAX_S", 5.0)
    client = make_client(settings_for(slack, redis_server.url))
    try:
        presenter = SlackPresenter(client)
        ev = Evaluation(team="T0001", channel="C1", project="P", project_key="p", checklist="ft", started_by="U1",
                        thread_ts="1.000001")
        slack.fail_next("chat.postMessage", status=429, retry_after=30)
        start = time.monotonic()
        with pytest.raises(DeliveryFailed) as raised:
            await presenter.post_note(ev, Registry().get(), "abandoned")
        assert time.monotonic() - start < 2
        assert raised.value.reason == "ratelimited" and not raised.value.permanent and not raised.value.unconfirmed
        assert len(slack.calls_to("chat.postMessage")) == 1
    finally:
        await client.aclose()


def test_retry_after_reads_the_header_or_falls_back_to_one_second() -> None:
    class Response:
        def __init__(self, headers: dict[str, Any]) -> None:
            self.headers = headers

    assert retry_after(Response({"Retry-After": "3"})) == 3.0
    assert retry_after(Response({"retry-after": ["12"]})) == 12.0
    assert retry_after(Response({})) == 1.0
    assert retry_after(Response({"Retry-After": "soon"})) == 1.0


async def test_json_bodies_reach_slack_intact(slack: SlackStandIn, redis_server: RedisServer) -> None:
    """The shared session writes JSON bodies with orjson: non-ASCII text, emoji, quotes and nested Block Kit arrive
    exactly as given (the stand-in parses the body as Slack would)."""
    client = make_client(settings_for(slack, redis_server.url))
    text = 'Проект «Б» 🚀 — "quoted" \\ back\u2028slash'
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}},
                                    {"type": "context", "elements": [{"type": "mrkdwn", "text": "Ωμέγα · 日本語"}]}]
    try:
        await client.chat_postMessage(channel="C1", text=text, blocks=blocks)
    finally:
        await client.aclose()
    (call,) = slack.calls_to("chat.postMessage")
    assert call.params["text"] == text
    assert call.params["blocks"] == blocks
    assert call.ok and not slack.violations


def test_json_bodies_orjson_refuses_are_written_the_old_way() -> None:
    lone = "pasted \ud83d text"  # half of an emoji: orjson refuses it, the standard library escapes it
    assert json_body({"text": lone}) == json.dumps({"text": lone})
    assert json.loads(json_body({"text": "ok", "n": 1})) == {"text": "ok", "n": 1}
