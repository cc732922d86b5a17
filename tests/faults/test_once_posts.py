"""Posts the outbox does not own — the re-evaluation reminder, the idle nudge, the give-up notice and "Reading the
description…" — when Slack applies a post and still fails it (a 500, a dropped connection, an answer after the client
gave up): each appears once. Such a post names itself in its metadata; the client does not repeat it blindly, and a
retry looks for it first (``SlackPresenter.post_once``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis

from conversations.reminders import ReminderQueue
from conversations.store import Store
from tests.bot.harness import Bot, running_bot
from tests.bot.test_suggestions_slack import BRIEF
from tests.faults.apply_then_fail import ApplyThenFail, real_clock
from tests.faults.test_outbox_faults import ticking
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Message

pytestmark = pytest.mark.timeout(60)
ALL_YES = {f"q{n}": 1.0 for n in range(1, 21)}
POSTING = "ftc:{rem}:posting"  # a reminder's first try, while it is not posted
LOOK_FAILS = 4  # a conversations.replies refused this often fails the look (slack_sdk retries it 3 times)


@contextlib.asynccontextmanager
async def proxied(slack: SlackStandIn, redis_server: RedisServer, **settings: Any) -> AsyncIterator[
        tuple[ApplyThenFail, Bot]]:
    """A bot whose Slack calls pass the apply-then-fail proxy; a client that gives up after 1 s ("hang")."""
    real_clock(slack)
    async with ApplyThenFail(slack.base_url, hang_s=3.0) as proxy, \
            running_bot(slack, redis_server.url, SLACK_API_URL=proxy.base_url, **settings) as bot:
        bot.runtime.services.client.timeout = 1
        yield proxy, bot


def reminders(slack: SlackStandIn) -> list[Message]:
    return [m for m in slack.messages("C1") if m.text.startswith("Time to re-evaluate")]


def nudges(bot: Bot) -> list[Message]:
    return [m for m in bot.thread() if " is waiting for q" in m.text]


async def completed(bot: Bot, slack: SlackStandIn) -> datetime:
    """A completed evaluation; returns a time its reminder is due at."""
    await bot.command("start Ticket router", user="U1")
    await slack.wait_for(lambda: bot.open_card() is not None, what="card")
    await bot.answer_all(ALL_YES)
    await slack.wait_for(lambda: bot.scorecard() is not None, what="scorecard")
    await bot.settle()
    return datetime.now(UTC) + timedelta(days=200)


@pytest.mark.parametrize("mode", ["500", "drop", "hang"])
async def test_a_reminder_slack_applied_but_failed_is_posted_once(slack: SlackStandIn, redis_server: RedisServer,
                                                                   redis_client: aioredis.Redis, mode: str) -> None:
    async with proxied(slack, redis_server) as (proxy, bot):
        due = await completed(bot, slack)
        proxy.arm("chat.postMessage", mode)
        posted = await bot.runtime.reminders.tick(due)
        await asyncio.sleep(3.5 if mode == "hang" else 0)  # past the proxy's hang
        posted += await bot.runtime.reminders.tick(due + timedelta(minutes=2))  # a retry would come by now
        await bot.settle()
        assert len(reminders(slack)) == 1, [m.text[:60] for m in reminders(slack)]
        assert posted == 1 and proxy.failed == ["chat.postMessage"]
        assert await redis_client.hlen(POSTING) == 0


async def test_a_reminder_retried_after_slack_applied_it_late_looks_first(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """Applied only after the client gave up and looked: the tick fails, and its retry a minute later finds it."""
    async with proxied(slack, redis_server) as (proxy, bot):
        due = await completed(bot, slack)
        proxy.arm("chat.postMessage", "late")
        assert await bot.runtime.reminders.tick(due) == 0
        await slack.wait_for(lambda: len(reminders(slack)) == 1, timeout=10, what="the late reminder")
        assert await redis_client.hlen(POSTING) == 1  # its first try: the retry looks for it
        assert await bot.runtime.reminders.tick(due + timedelta(minutes=2)) == 1
        await bot.settle()
        assert len(reminders(slack)) == 1
        assert await redis_client.hlen(POSTING) == 0
        assert await redis_client.zcard("ftc:{rem}:due") == 1  # the next one is set


async def test_a_reminder_slack_refused_with_a_500_is_still_posted(slack: SlackStandIn, redis_server: RedisServer,
                                                                     redis_client: aioredis.Redis) -> None:
    """Not applied: looked for, not there, posted again at once (what the blind retry did, once)."""
    async with running_bot(slack, redis_server.url) as bot:
        due = await completed(bot, slack)
        slack.fail_next("chat.postMessage", status=500, times=1)
        assert await bot.runtime.reminders.tick(due) == 1
        assert len(reminders(slack)) == 1


async def test_a_reminder_answered_429_is_waited_out_by_the_client(slack: SlackStandIn, redis_server: RedisServer,
                                                                     redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        due = await completed(bot, slack)
        slack.fail_next("chat.postMessage", status=429, retry_after=1, times=1)
        assert await bot.runtime.reminders.tick(due) == 1
        assert len(reminders(slack)) == 1


async def test_a_snooze_after_a_failed_try_makes_a_new_reminder(redis_client: aioredis.Redis) -> None:
    """The first try names the reminder until it is posted, paused or rescheduled; then the next one is new."""
    queue, now = ReminderQueue(Store(redis_client)), datetime.now(UTC)
    first = await queue.attempt("e1", now)
    again = await queue.attempt("e1", now + timedelta(minutes=1))
    assert not first.again and again.again and again.since == first.since
    await queue.schedule("e1", now + timedelta(days=14))
    assert not (await queue.attempt("e1", now + timedelta(days=14))).again
    await queue.finish("e1", now + timedelta(days=90))
    assert await redis_client.hlen(POSTING) == 0


@pytest.mark.parametrize("mode", ["500", "drop"])
async def test_an_idle_nudge_slack_applied_but_failed_is_posted_once(slack: SlackStandIn, redis_server: RedisServer,
                                                                      redis_client: aioredis.Redis, mode: str) -> None:
    async with proxied(slack, redis_server, FTCHECK_IDLE_NUDGE_AFTER="1h") as (proxy, bot):
        await bot.command("start Ticket router", user="U1")
        await slack.wait_for(lambda: bot.open_card() is not None, what="card")
        await bot.answer_all(ALL_YES, limit=3)
        await bot.settle()
        proxy.arm("chat.postMessage", mode)
        await bot.runtime.reminders.tick(datetime.now(UTC) + timedelta(minutes=61))
        await bot.settle()
        await bot.runtime.reminders.tick(datetime.now(UTC) + timedelta(minutes=63))
        await bot.settle()
        assert proxy.failed == ["chat.postMessage"]
        assert len(nudges(bot)) == 1, [m.text[:60] for m in nudges(bot)]


async def give_up_on_card_3(bot: Bot, slack: SlackStandIn, proxy: ApplyThenFail, look_fails: int = 0) -> None:
    """Card 3 is refused for good (msg_too_long); the notice about it is applied by Slack, then answered 500; the
    look for it after that fails ``look_fails`` times."""
    await bot.command("start Ticket router", user="U1")
    await slack.wait_for(lambda: bot.open_card() is not None, what="card")
    await bot.answer_all(ALL_YES, limit=2)
    await bot.settle()
    slack.fail_next("chat.postMessage", error="msg_too_long", times=1)
    # None: card 3 passes the proxy (refused upstream); the notice: applied, then 500
    proxy.plans["chat.postMessage"] = [None, "500"]  # type: ignore[list-item]
    proxy.arm("conversations.replies", "refuse", times=look_fails)
    card = bot.open_card()
    assert card is not None
    await bot.click(card, "answer_yes", user="U1")


def notices(bot: Bot) -> list[Message]:
    return [m for m in bot.thread() if m.text.startswith("I could not post")]


async def test_a_give_up_notice_slack_applied_but_failed_is_posted_once(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with proxied(slack, redis_server) as (proxy, bot), ticking(bot, 0.3):
        await give_up_on_card_3(bot, slack, proxy)
        await slack.wait_for(lambda: len(notices(bot)) == 1, timeout=10, what="the notice")
        await asyncio.sleep(3)  # outbox ticks: nothing more owed
        await bot.settle()
        assert len(notices(bot)) == 1, [m.text[:60] for m in notices(bot)]


async def test_a_give_up_notice_not_found_at_once_is_looked_for_by_the_outbox(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """The look after the 500 fails too: the outbox's next try looks first and finds the notice."""
    async with proxied(slack, redis_server) as (proxy, bot), ticking(bot, 0.3):
        await give_up_on_card_3(bot, slack, proxy, look_fails=LOOK_FAILS)
        await slack.wait_for(lambda: len(notices(bot)) == 1, timeout=10, what="the notice")
        await slack.wait_for(lambda: not proxy.plans["conversations.replies"], timeout=10, what="the failed look")
        await asyncio.sleep(5)  # past the entry's backoff: the outbox tried again
        await bot.settle()
        assert proxy.failed.count("conversations.replies") == LOOK_FAILS
        assert len(notices(bot)) == 1, [m.text[:60] for m in notices(bot)]
        stored = await Store(redis_client).channel_evaluations("T0001", "C1")
        assert not stored[0].pending  # the notice counts as delivered: found, not posted again


def readings(bot: Bot) -> list[Message]:
    return [m for m in bot.thread() if "Reading the description" in m.text or "pasted description" in m.text]


async def paste(bot: Bot, slack: SlackStandIn, proxy: ApplyThenFail, mode: str, look_fails: int = 0) -> None:
    await bot.command("start Ticket router", user="U1")
    await slack.wait_for(lambda: bot.open_card() is not None, what="card")
    await bot.settle()
    root = slack.messages("C1", top_level=True)[-1]
    msg = slack.add_message("C1", text=BRIEF, user="U2", thread_ts=root.ts)
    proxy.arm("chat.postMessage", mode)
    proxy.arm("conversations.replies", "refuse", times=look_fails)
    await bot.event({"type": "message", "channel": "C1", "user": "U2", "text": BRIEF, "ts": msg.ts,
                     "thread_ts": root.ts, "channel_type": "channel"}, event_id="EvPaste1")
    await slack.wait_for(lambda: any("pasted description" in m.text for m in bot.thread()), timeout=15,
                         what="the report")
    await asyncio.sleep(3.5)  # past the proxy's hang
    await bot.settle()


@pytest.mark.parametrize("mode", ["500", "drop", "hang"])
async def test_reading_the_description_slack_applied_but_failed_is_posted_once(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, mode: str) -> None:
    async with proxied(slack, redis_server) as (proxy, bot):
        await paste(bot, slack, proxy, mode)
        assert [m.text[:30] for m in readings(bot)] == ["20 suggestions from the pasted"]


async def test_reading_the_description_not_found_at_once_is_replaced_by_the_report(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """The look after the 500 fails too: the reading goes on, and the report replaces the placeholder Slack
    applied (looked for again) instead of leaving it stuck beside a second message."""
    async with proxied(slack, redis_server) as (proxy, bot):
        await paste(bot, slack, proxy, "500", look_fails=LOOK_FAILS)
        assert proxy.failed.count("conversations.replies") == LOOK_FAILS
        assert [m.text[:30] for m in readings(bot)] == ["20 suggestions from the pasted"]
