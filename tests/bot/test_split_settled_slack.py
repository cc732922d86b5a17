"""Over signed Slack requests: the reply that asked the starter to choose a split's team answer is edited once the
split no longer waits, to say how it ended and ask nothing (review: "✓ q4 Partly — settled by @maya" on the card,
while the reply still asked her to choose, even after the scorecard). Settled by the starter or an admin, or sent back
to the team with Not sure; an edit Slack fails is made by the outbox. The root names who may choose as the card does."""

from __future__ import annotations

import time

import pytest
import redis.asyncio as aioredis

from tests.bot.harness import Bot, message_texts, ref_of, retry_at_once, running_bot
from tests.bot.test_deleted_report_owed import the_evaluation
from tests.bot.test_votes import _card_for, _card_has, _card_posted
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Message

pytestmark = pytest.mark.timeout(120)
HEAD = "q1 (500+ labeled examples) split — Yes 1 · No 1."
WAITS = "split: waiting for the starter (<@U1>), a lead or an admin to choose the team answer"


def replies(bot: Bot) -> list[Message]:
    return [m for m in bot.thread() if ":post_split:" in ref_of(m)]


async def split_q1(bot: Bot) -> Message:
    """q1 split by U2 and U3 on an evaluation U1 started: the card and the reply that asks U1 to choose."""
    assert (await bot.command("start Router --vote --quorum 2", user="U1"))[0] == 200
    await bot.slack.wait_for(lambda: bot.open_card() is not None, what="first card")
    await bot.click(_card_for(bot, "q1"), "answer_yes", user="U2")
    await bot.slack.wait_for(_card_has(bot, "q1", "<@U2>"), what="U2's vote counted")
    await bot.click(_card_for(bot, "q1"), "answer_no", user="U3")
    await bot.slack.wait_for(lambda: len(replies(bot)) == 1, what="the reply")
    assert replies(bot)[0].text.startswith(f"<@U1>: {HEAD} The team answer is yours to choose")
    return _card_for(bot, "q1")


async def test_settled_by_the_starter_the_reply_says_so_and_the_root_named_who_may(
        slack: SlackStandIn, redis_server: RedisServer) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        card = await split_q1(bot)
        await slack.wait_for(lambda: WAITS in message_texts(slack.messages("C1", top_level=True)[-1]), timeout=10,
                             what="the root's words (after its paced redraw)")
        assert (await bot.click(card, "settle_answer_yes", user="U1"))[0] == 200
        await slack.wait_for(lambda: replies(bot)[0].text == f"{HEAD} Settled by <@U1>: Yes.", timeout=10,
                             what=f"the reply edited: {replies(bot)[0].text}")
        await slack.wait_for(_card_posted(bot, "q2"), what="card q2")
        await bot.settle()
        assert [m.text for m in replies(bot)] == [f"{HEAD} Settled by <@U1>: Yes."]
        assert "choose" not in replies(bot)[0].text


async def test_asked_again_by_an_admin_the_reply_says_the_team_votes_again(
        slack: SlackStandIn, redis_server: RedisServer) -> None:
    slack.set_user("U9", is_admin=True)
    async with running_bot(slack, redis_server.url) as bot:
        card = await split_q1(bot)
        assert (await bot.click(card, "settle_answer_skip", user="U9"))[0] == 200
        again = f"{HEAD} Asked again by <@U9>: the team votes on it again before the end."
        await slack.wait_for(lambda: replies(bot)[0].text == again, timeout=10,
                             what=f"the reply edited: {replies(bot)[0].text}")
        await bot.settle()
        assert [m.text for m in replies(bot)] == [again]


async def test_an_edit_slack_failed_is_made_by_the_outbox(slack: SlackStandIn, redis_server: RedisServer,
                                                          redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        card = await split_q1(bot)
        await bot.settle()
        reply = replies(bot)[0]
        retry_at_once(bot)
        slack.fail_next("chat.update", status=500, times=10_000)  # every edit fails, the client's retries too
        assert (await bot.click(card, "settle_answer_no", user="U1"))[0] == 200
        await slack.wait_for(_card_posted(bot, "q2"), what="card q2")
        await bot.settle()
        assert any(c.status == 500 and c.params.get("ts") == reply.ts for c in slack.calls_to("chat.update"))
        assert replies(bot)[0].text == reply.text  # still asks: Slack did not take the edit
        owed = await the_evaluation(redis_client, bot)
        assert f"update_split:{card.ts}" in [o.key for o in owed.pending]
        slack.fail_next("chat.update", times=0)  # Slack answers again
        settled = f"{HEAD} Settled by <@U1>: No."
        for _ in range(20):  # the outbox, each tick as if the entries' backoff had passed
            if replies(bot)[0].text == settled:
                break
            await bot.runtime.outbox.tick(now=time.time() + 120)
            await bot.settle()
        assert [m.text for m in replies(bot)] == [settled]  # edited, never posted again
        assert f"update_split:{card.ts}" not in [o.key for o in (await the_evaluation(redis_client, bot)).pending]
