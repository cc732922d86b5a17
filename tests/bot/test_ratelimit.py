"""Posting respects Slack's ~1 message per second per channel; 429s and 5xx are retried, never duplicated."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

import redis.asyncio as aioredis

from bot.app import make_client
from bot.ratelimit import ChannelRateLimiter, json_body
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


async def test_a_429_is_retried_and_5xx_on_an_update_too_each_message_once(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """slack_sdk retries a 429 (nothing was applied) on any call, and a 5xx on an update (doing it again is
    harmless). A 5xx on a post is left to the outbox, which looks for the post first: tests/faults."""
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        card = bot.open_card()
        assert card is not None
        slack.fail_next("chat.postMessage", status=429, retry_after=1)  # card 2
        await bot.click(card, "answer_yes")
        first, card = card, await bot.next_card(card)
        await slack.wait_for(lambda: bot._closed(first, "C1"), what="card 1 drawn answered")
        await bot.settle()  # nothing of the first click is still on its way: the 500s below meet card 2 only
        slack.fail_next("chat.update", status=500, times=2)  # card 2 drawn answered
        await bot.click(card, "answer_yes")
        answered = card
        card = await bot.next_card(card)
        await slack.wait_for(lambda: bot._closed(answered, "C1"), what="card 2 drawn answered after the retries")
        await bot.settle()
        cards = [m for m in bot.thread() if ":card:" in str(m.metadata)]  # answered cards read "Q1: Yes"
        assert [m.text.split(":")[0] for m in cards] == ["q1", "q2", "Question 3 of 20"]
        assert [c.status for c in slack.calls_to("chat.postMessage")].count(429) == 1
        assert [c.status for c in slack.calls_to("chat.update")].count(500) == 2
        async with bot.session.get(f"{bot.url}/metrics") as resp:
            metrics = await resp.text()
        assert 'ftcheck_slack_api_retries_total{reason="ratelimited"}' in metrics
        assert 'ftcheck_slack_api_retries_total{reason="server_error"}' in metrics


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
