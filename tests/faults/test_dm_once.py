"""The two notices that go to a person's DM — the give-up notice when the evaluation's channel is gone, and "reminders
paused" to the starter when a reminder's channel is archived — when Slack applies the post and still fails it (a
500, a dropped connection, an answer after the client gave up): each appears once. The bot opens the DM
(``conversations.open``) and posts in it, so after such a failure it can look for the notice there
(``SlackPresenter.tell_dm``)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import redis.asyncio as aioredis

from conversations.reminders import ReminderQueue
from conversations.store import Store
from tests.bot.harness import Bot
from tests.faults.apply_then_fail import ApplyThenFail
from tests.faults.test_once_posts import ALL_YES, completed, proxied
from tests.faults.test_outbox_faults import ticking
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Message

pytestmark = pytest.mark.timeout(60)
MEMBERS = ["UBOT", *(f"U{i}" for i in range(10))]


def told(slack: SlackStandIn, user: str = "U1") -> list[Message]:
    """The notices in the bot's DM with ``user``: a give-up notice or a reminders-paused notice."""
    return [m for m in slack.messages(user) if m.text.startswith("I could not post")]


def archive_c1(slack: SlackStandIn) -> None:
    slack.set_channel("C1", name="ml-team", members=MEMBERS, is_archived=True)


async def lose_card_3_to_an_archived_channel(bot: Bot, slack: SlackStandIn, proxy: ApplyThenFail, mode: str) -> None:
    """C1 is archived after card 2; card 3 is refused for good (is_archived, from Slack), and the DM that says so to
    the starter is applied by Slack, then failed (``mode``)."""
    await bot.command("start Ticket router", user="U1")
    await slack.wait_for(lambda: bot.open_card() is not None, what="card")
    await bot.answer_all(ALL_YES, limit=2)
    await bot.settle()
    card = bot.open_card()
    assert card is not None
    archive_c1(slack)
    # None: card 3 passes the proxy (refused upstream: is_archived); the DM: applied, then ``mode``
    proxy.plans["chat.postMessage"] = [None, mode]  # type: ignore[list-item]
    await bot.click(card, "answer_yes", user="U1")


@pytest.mark.parametrize("mode", ["500", "drop", "hang"])
async def test_a_give_up_dm_slack_applied_but_failed_is_posted_once(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, mode: str) -> None:
    async with proxied(slack, redis_server) as (proxy, bot), ticking(bot, 0.3):
        await lose_card_3_to_an_archived_channel(bot, slack, proxy, mode)
        await slack.wait_for(lambda: len(told(slack)) == 1, timeout=10, what="the DM")
        await asyncio.sleep(5 if mode == "hang" else 3)  # past the proxy's hang; outbox ticks: nothing more owed
        await bot.settle()
        assert [m.text[:52] for m in told(slack)] == ["I could not post a question card for *Ticket router*"]
        assert proxy.failed == ["chat.postMessage"]
        (dm,) = told(slack)
        assert dm.channel.startswith("D") and dm.channel == slack.dm_channel("U1")  # in the DM, looked for there
        assert any(c.params.get("channel") == dm.channel for c in slack.calls_to("conversations.history"))
        stored = await Store(redis_client).channel_evaluations("T0001", "C1")
        assert not stored[0].pending  # delivered: found, not posted again


@pytest.mark.parametrize("mode", ["500", "drop", "hang"])
async def test_a_reminders_paused_dm_slack_applied_but_failed_is_posted_once(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, mode: str) -> None:
    async with proxied(slack, redis_server) as (proxy, bot):
        due = await completed(bot, slack)
        (ev,) = await Store(redis_client).channel_evaluations("T0001", "C1")
        archive_c1(slack)
        # None: the reminder passes the proxy (refused upstream: is_archived); the DM: applied, then ``mode``
        proxy.plans["chat.postMessage"] = [None, mode]  # type: ignore[list-item]
        assert await bot.runtime.reminders.tick(due) == 0
        await asyncio.sleep(3.5 if mode == "hang" else 0)  # past the proxy's hang
        for months in (3, 6):  # paused: no more attempts, no more DMs
            assert await bot.runtime.reminders.tick(due + timedelta(days=30 * months)) == 0
        await bot.settle()
        assert [m.text[:63] for m in told(slack)] == [
            "I could not post the re-evaluation reminder for *Ticket router*"]
        assert proxy.failed == ["chat.postMessage"]
        (dm,) = told(slack)
        assert dm.channel.startswith("D") and dm.channel == slack.dm_channel("U1")  # in the DM, looked for there
        assert any(c.params.get("channel") == dm.channel for c in slack.calls_to("conversations.history"))
        assert await ReminderQueue(Store(redis_client)).due_at(ev.id) is None  # paused


async def test_a_dm_to_an_app_without_im_write_is_still_sent(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """Installed before the app asked for im:write: the DM cannot be opened, so the notice goes to the user id as it
    did before (not findable after an ambiguous failure, but told)."""
    async with proxied(slack, redis_server) as (_, bot):
        due = await completed(bot, slack)
        archive_c1(slack)
        slack.fail_next("conversations.open", status=200, error="missing_scope")
        assert await bot.runtime.reminders.tick(due) == 0
        await bot.settle()
        assert len(told(slack)) == 1
        assert [c.params["channel"] for c in slack.calls_to("chat.postMessage")][-1] == "U1"
