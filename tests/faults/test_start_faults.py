"""/ftcheck start under faults: a root Slack applied but did not confirm (a 500, a dropped connection, a reply after
the client gave up), and a start whose record write failed. One start posts one root, the evaluation stands while
its root is in the channel, and nobody is told "nothing was started" while something was."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from conversations.store import StoreUnavailable
from tests.bot.harness import Bot, running_bot
from tests.faults.apply_then_fail import ApplyThenFail, real_clock
from tests.faults.test_outbox_faults import ticking
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

pytestmark = pytest.mark.timeout(30)


@contextlib.asynccontextmanager
async def proxied_bot(slack: SlackStandIn, redis_server: RedisServer) -> AsyncIterator[tuple[ApplyThenFail, Bot]]:
    """A bot whose Slack calls pass the apply-then-fail proxy; message ts as Slack's (the root is found by time)."""
    real_clock(slack)
    async with ApplyThenFail(slack.base_url, hang_s=3.0) as proxy, \
            running_bot(slack, redis_server.url, SLACK_API_URL=proxy.base_url) as bot:
        yield proxy, bot


def roots(slack: SlackStandIn) -> list[str]:
    return [m.text for m in slack.messages("C1", top_level=True) if "Ticket router" in m.text]


async def first_card_answers(bot: Bot, slack: SlackStandIn) -> None:
    """The walk goes on: card 1 takes an answer and card 2 follows (no "deleted" refusal)."""
    await slack.wait_for(lambda: bot.open_card() is not None, timeout=10, what="first card")
    card = bot.open_card()
    assert card is not None and "Question 1 of 20" in card.text
    told = len(slack.ephemerals("C1", "U2"))
    assert (await bot.click(card, "answer_yes", user="U2"))[0] == 200
    await slack.wait_for(lambda: (c := bot.open_card()) is not None and "Question 2 of 20" in c.text, timeout=10,
                         what="second card")
    assert len(slack.ephemerals("C1", "U2")) == told  # no refusal


@pytest.mark.parametrize("mode", ["500", "drop", "hang"])
async def test_root_applied_but_not_confirmed_starts_one_thread(slack: SlackStandIn, redis_server: RedisServer,
                                                                redis_client: object, mode: str) -> None:
    async with proxied_bot(slack, redis_server) as (proxy, bot):
        bot.runtime.services.client.timeout = 1  # "hang": the reply comes after the client gave up
        proxy.arm("chat.postMessage", mode)
        await bot.command("start Ticket router")
        await first_card_answers(bot, slack)
        await bot.settle()
        assert proxy.failed == ["chat.postMessage"]
        assert len(roots(slack)) == 1, roots(slack)
        assert slack.response_posts == []  # nothing to tell: the thread is the answer


async def test_root_still_under_way_when_looked_for_is_not_posted_twice(slack: SlackStandIn,
                                                                        redis_server: RedisServer,
                                                                        redis_client: object) -> None:
    """The client gave up (timeout) and the look finds nothing, because Slack applies the post a moment later: the
    start stands unconfirmed and the outbox adopts the root, instead of posting a second one now."""
    async with proxied_bot(slack, redis_server) as (proxy, bot):
        bot.runtime.services.client.timeout = 1
        proxy.hang_s = 2.5
        proxy.arm("chat.postMessage", "late")
        told = await bot.reply_to("start Ticket router")
        assert "nothing was started" not in told, told
        async with ticking(bot):
            await first_card_answers(bot, slack)
        assert len(roots(slack)) == 1, roots(slack)


async def test_root_not_applied_is_posted_again_once(slack: SlackStandIn, redis_server: RedisServer,
                                                     redis_client: object) -> None:
    async with proxied_bot(slack, redis_server) as (proxy, bot):
        proxy.arm("chat.postMessage", "refuse")  # a 500 before Slack did anything: looked for, then posted again
        await bot.command("start Ticket router")
        await first_card_answers(bot, slack)
        assert len(roots(slack)) == 1, roots(slack)


async def test_root_not_taken_twice_says_nothing_was_started(slack: SlackStandIn, redis_server: RedisServer,
                                                             redis_client: object) -> None:
    async with proxied_bot(slack, redis_server) as (proxy, bot):
        proxy.arm("chat.postMessage", "refuse", times=2)
        told = await bot.reply_to("start Ticket router")
        assert "nothing was started" in told and roots(slack) == []
        assert await bot.runtime.services.store.channel_evaluations("T0001", "C1") == []


async def test_root_unconfirmed_and_not_looked_up_is_finished_by_the_outbox(slack: SlackStandIn,
                                                                             redis_server: RedisServer,
                                                                             redis_client: object) -> None:
    async with proxied_bot(slack, redis_server) as (proxy, bot):
        proxy.arm("chat.postMessage", "500")
        proxy.arm("conversations.history", "refuse", times=4)  # the look fails too (with its retries)
        told = await bot.reply_to("start Ticket router")
        assert "nothing was started" not in told and "could not check" in told, told
        async with ticking(bot):
            await first_card_answers(bot, slack)
        assert len(roots(slack)) == 1, roots(slack)


@pytest.mark.parametrize("recorded", ["unknown", "no"])
async def test_start_whose_record_failed_stands(slack: SlackStandIn, redis_server: RedisServer,
                                                redis_client: object, recorded: str) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        store = bot.runtime.services.store
        real_update = store.update
        failed: list[str] = []

        async def update(*args, **kwargs):
            if kwargs.get("action") == "delivered" and not failed:
                failed.append("once")
                raise StoreUnavailable("Timeout reading from socket", recorded=recorded)  # type: ignore[arg-type]
            return await real_update(*args, **kwargs)

        store.update = update  # type: ignore[method-assign]
        real_clock(slack)
        await bot.command("start Ticket router")
        await slack.wait_for(lambda: bot.open_card() is not None, timeout=10, what="first card")
        await bot.settle()
        assert failed and slack.response_posts == []  # not told "nothing was started"
        evs = await store.channel_evaluations("T0001", "C1")
        assert [e.status for e in evs] == ["in_progress"]  # kept: its root and card 1 are in the channel
        async with ticking(bot):  # the outbox adopts the root and the card it finds by their metadata
            for _ in range(50):
                if (ev := await store.get(evs[0].id)) is not None and ev.thread_ts and not ev.pending:
                    break
                await asyncio.sleep(0.2)
            await first_card_answers(bot, slack)
        assert len(roots(slack)) == 1
