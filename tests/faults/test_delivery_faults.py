"""Faults around a delivery: a click's write applied before its connection dropped, a delete while a card is in
flight (here and on another replica), deleting a finished evaluation, a root message someone deleted, and an
archived channel unarchived. People hear the truth and the thread ends up as the evaluation is."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from tests.bot.harness import Bot, running_bot
from tests.faults.test_outbox_faults import ALL_YES, card_count, click_open, start_and_answer, ticking
from tests.standins.lossy_proxy import LossyProxy
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Message

pytestmark = pytest.mark.timeout(30)


def _shows(slack: SlackStandIn, channel: str, thread_ts: str, text: str) -> Callable[[], bool]:
    return lambda: any(text in m.text for m in slack.thread(channel, thread_ts))


def open_buttons(msg: Message) -> bool:
    return any(b.get("type") == "actions" and str(b.get("block_id", "")).startswith("answer:") for b in msg.blocks)


async def test_click_applied_then_connection_lost_says_could_not_confirm(slack: SlackStandIn,
                                                                         redis_server: RedisServer,
                                                                         redis_client: Any) -> None:
    """Redis applies the click's write, the reply is lost and reconnecting is refused: redis-py's retry ends with
    the refusal, but the write had been sent, so the person hears "could not confirm", not "nothing recorded"."""
    async with LossyProxy(redis_server.port) as proxy, running_bot(slack, proxy.url) as bot:
        await bot.command("start Ticket router")
        await slack.wait_for(lambda: bot.open_card() is not None, what="first card")
        await asyncio.sleep(3.5)  # no folded record, no trailing root draw left to write
        await bot.settle()
        card = bot.open_card()
        assert card is not None

        async def partitioned() -> None:
            assert proxy._server is not None
            proxy._server.close()  # from now on, connections to Redis are refused

        proxy.on_lost = partitioned
        proxy.armed = b"EVALSHA"
        assert (await bot.click(card, "answer_yes", user="U1"))[0] == 200
        await slack.wait_for(lambda: slack.ephemerals("C1", "U1") != [], timeout=15, what="told")
        told = slack.ephemerals("C1", "U1")[-1].text
        stored = (await redis_client.get((await redis_client.keys("ftc:{e:*}:eval"))[0])).decode()
        assert proxy.lost == 1 and '"value":1.0' in stored  # the click IS recorded
        assert "could not confirm" in told and "nothing from this click was recorded" not in told, told


async def _delete_while_card_in_flight(slack: SlackStandIn, writer: Bot, deleter: Bot) -> None:
    await start_and_answer(writer, slack, 2)
    await asyncio.sleep(3.2)  # past the root's pace
    slack.fail_next("chat.postMessage", status=429, retry_after=2, times=1)
    await click_open(writer)  # card 3 answered; card 4's post waits 2 s for Slack
    await asyncio.sleep(0.5)
    told = await deleter.reply_to("delete Ticket router")
    assert "Deleted" in told, told
    await asyncio.sleep(4.5)  # card 4's post lands (or not), the writer's record (folded) and what it draws again
    await writer.settle()
    thread = writer.thread()
    assert "deleted" in thread[0].text.lower(), f"root of the deleted evaluation reads {thread[0].text!r}"
    assert [m.text[:50] for m in thread if open_buttons(m)] == []
    struck = [str(m.blocks) for m in thread if m.text.startswith("Deleted evaluation of")]
    assert struck and all("This evaluation was deleted by <@U1>." in b for b in struck), struck  # who, always


@pytest.mark.parametrize("root_every", [3.0, 0.0])
async def test_delete_while_a_card_is_in_flight_leaves_no_live_card(slack: SlackStandIn, redis_server: RedisServer,
                                                                    redis_client: Any, root_every: float) -> None:
    async with running_bot(slack, redis_server.url, FTCHECK_ROOT_REDRAW_SECONDS=root_every) as bot, ticking(bot):
        await _delete_while_card_in_flight(slack, bot, bot)


async def test_delete_on_another_replica_while_a_card_is_in_flight(slack: SlackStandIn, redis_server: RedisServer,
                                                                  redis_client: Any) -> None:
    async with running_bot(slack, redis_server.url) as a, running_bot(slack, redis_server.url) as b:
        await _delete_while_card_in_flight(slack, a, b)


async def test_deleting_a_finished_evaluation_replaces_its_scorecard(slack: SlackStandIn, redis_server: RedisServer,
                                                                    redis_client: Any) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Ticket router")
        await slack.wait_for(lambda: bot.open_card() is not None, what="first card")
        await bot.answer_all(ALL_YES)
        await slack.wait_for(lambda: bot.scorecard() is not None, what="scorecard")
        await bot.settle()
        told = await bot.reply_to("delete Ticket router")
        await bot.settle()
        assert bot.scorecard() is None
        assert not any("All 15 gaps" in str(m.blocks) or m.text.startswith("Scorecard for") for m in bot.thread())
        assert "hidden everywhere" not in told
        assert "its cards still show what was given there: 20 answers." in told, told
        assert sum("deleted" in m.text.lower() for m in bot.thread()) == 2  # the root and the scorecard


async def test_root_deleted_by_a_person_is_given_up_once(slack: SlackStandIn, redis_server: RedisServer,
                                                          redis_client: Any) -> None:
    async with running_bot(slack, redis_server.url, FTCHECK_ROOT_REDRAW_SECONDS=0.0) as bot, ticking(bot):
        await start_and_answer(bot, slack, 1)
        root = slack.messages("C1", top_level=True)[-1]
        with slack._lock:  # a person deleted the root message: Slack keeps its replies
            del slack._ws.messages[("C1", root.ts)]
        for n in range(3, 7):
            card = next(m for m in reversed(slack.thread("C1", root.ts)) if open_buttons(m))
            assert (await bot.click(card, "answer_yes", user="U1"))[0] == 200
            await slack.wait_for(_shows(slack, "C1", root.ts, f"Question {n} of 20"), timeout=10, what=f"card {n}")
        await asyncio.sleep(0.5)
        await bot.settle()
        notices = [m.text for m in slack.thread("C1", root.ts) if "could not post" in m.text]
        assert len(notices) == 1, notices


async def test_card_answered_while_archived_is_redrawn_after_resume(slack: SlackStandIn, redis_server: RedisServer,
                                                                     redis_client: Any) -> None:
    members = ["UBOT", "U1", "U2"]
    async with running_bot(slack, redis_server.url) as bot, ticking(bot):
        await start_and_answer(bot, slack, 2)
        card3 = bot.open_card()
        assert card3 is not None and "Question 3 of 20" in card3.text
        slack.set_channel("C1", name="ml-team", members=members, is_archived=True)
        await click_open(bot)  # card 3's update, card 4's post and the root's update are all refused
        await slack.wait_for(lambda: any("could not post" in m.text for m in slack.messages("U1")), timeout=10,
                             what="the starter told by DM")
        slack.set_channel("C1", name="ml-team", members=members, is_archived=False)
        await bot.reply_to("start Ticket router")
        await slack.wait_for(lambda: card_count(bot, 4) == 1, timeout=10, what="card 4 posted again")
        await slack.wait_for(lambda: not open_buttons(next(m for m in bot.thread() if m.ts == card3.ts)), timeout=5,
                             what="card 3 shows its answer")
        await bot.settle()
        assert [m.text[:40] for m in bot.thread() if open_buttons(m)] == [bot.thread()[-1].text[:40]]
