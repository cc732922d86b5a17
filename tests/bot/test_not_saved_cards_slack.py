"""The thread ahead of the saved evaluation (fault review): Redis restarted from a snapshot one click old (a normal
RDB or AOF-everysec restart) left the thread showing q4 answered and q5 open while Redis held q4 open. A click on q5
said "That card is not part of this evaluation any more. Use the newest card in the thread" (it was the newest), a
change of q4 said "answer it on its card" (its card showed no buttons), and nothing redrew q4: only `/ftcheck delete`
got the team out. Now the refusal says what happened and links the card that asks, that card gets its buttons back,
and the card clicked stops offering buttons. The same for a card posted twice: a click on the copy ftcheck did not
record. Signed Slack requests, a real Redis; the snapshot is simulated by writing the evaluation's keys back. As in the
review, two replicas: one walks the evaluation up to the snapshot and past it, the other takes the clicks after."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis

from bot.links import message_url
from scoring.checklist import Registry
from tests.bot.harness import Bot, message_texts, ref_of, running_bot
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Message

FT = Registry().get()
Q4, Q5 = FT.question("q4").id, FT.question("q5").id
ALL_YES = {q.key: 1.0 for q in FT.questions}


def has_buttons(msg: Message) -> bool:
    return any(str(b.get("block_id", "")).startswith("answer:") for b in msg.blocks)


def now(bot: Bot, msg: Message) -> Message:
    return next(m for m in bot.thread() if m.ts == msg.ts)


@asynccontextmanager
async def replicas(slack: SlackStandIn, url: str) -> AsyncIterator[tuple[Bot, Bot]]:
    async with running_bot(slack, url) as a, running_bot(slack, url) as b:
        a.runtime.services.store.fold_s = 0  # what a delivery posted is written at once: the snapshot holds it
        yield a, b


async def quiet(bot: Bot) -> None:
    """Post-ack work done and what deliveries recorded written (no folded record rides on the next write)."""
    await bot.settle()
    await bot.slack.wait_for(lambda: bot.runtime.services.store.folding == 0, what="folded records written")
    await bot.settle()


async def saved(redis: aioredis.Redis, eid: str) -> dict[bytes, bytes]:
    """Every key of the evaluation (they share its hash tag), as Redis would write them to a snapshot."""
    dumped = {k: await redis.dump(k) async for k in redis.scan_iter(match=f"ftc:{{e:{eid}}}:*")}
    return {k: v for k, v in dumped.items() if v is not None}


async def restore(redis: aioredis.Redis, eid: str, snapshot: dict[bytes, bytes]) -> None:
    """Redis restarted from ``snapshot``: the evaluation's keys are what they were then."""
    for key in [k async for k in redis.scan_iter(match=f"ftc:{{e:{eid}}}:*")]:
        await redis.delete(key)
    for key, value in snapshot.items():
        await redis.restore(key, 0, value, replace=True)


async def reply_to(bot: Bot, msg: Message, action: str, user: str, *, select: bool = False) -> str:
    before = len(bot.slack.ephemerals("C1", user))
    status, _ = await (bot.select(msg, action, user=user) if select else bot.click(msg, action, user=user))
    assert status == 200
    await bot.slack.wait_for(lambda: len(bot.slack.ephemerals("C1", user)) > before, what="a reply")
    return bot.slack.ephemerals("C1", user)[before].text


async def link_to(bot: Bot, msg: Message) -> str | None:
    return await message_url(bot.runtime.services.client, "C1", msg.ts, msg.thread_ts)


async def one_click_lost(bot: Bot, redis: aioredis.Redis, start: str, answered: int, click: str = "answer_no"
                         ) -> tuple[Message, Message]:
    """``answered`` cards answered, then a snapshot; the next card clicked by U2 (``click``: No) and the one after it
    posted, then Redis is back at the snapshot. Returns the card whose click was lost, as the thread shows it, and
    the next."""
    await bot.command(start)
    await bot.answer_all(ALL_YES, limit=answered)
    lost = await bot.next_card(bot.cards(FT.question(f"q{answered}").id)[0])
    eid = ref_of(lost).split(":")[0]
    await quiet(bot)
    snapshot = await saved(redis, eid)
    await bot.click(lost, click, user="U2")
    after = await bot.next_card(lost)
    await quiet(bot)
    await restore(redis, eid, snapshot)
    return now(bot, lost), after


async def test_a_click_on_the_newest_card_after_a_restore_asks_the_saved_question_again_and_the_walk_goes_on(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with replicas(slack, redis_server.url) as (a, b):
        q4, q5 = await one_click_lost(a, redis_client, "start Router", 3)
        assert not has_buttons(q4) and "No — <@U2>" in q4.text  # what the thread shows: ahead of Redis

        told = await reply_to(b, q5, "answer_yes", "U3")
        link = await link_to(b, q4)
        assert told == ("That card is not in ftcheck's saved evaluation, so your click was not recorded: ftcheck's "
                        "saved data was set back to an earlier point, before that card was posted (the saved "
                        f"evaluation has 3 of 20 answered). q4 is asked again on its card: <{link}|q4>.")

        await slack.wait_for(lambda: has_buttons(now(b, q4)), what="q4's card with its buttons again")
        stale = now(b, q5)
        assert not Bot.element_list(stale)
        assert ("This card is not in ftcheck's saved evaluation, so it takes no answers: ftcheck's saved data was set "
                f"back to an earlier point, before this card was posted. The evaluation went on from <{link}|q4's "
                "card>.") in message_texts(stale)
        assert ":card:" not in ref_of(stale)  # never taken for q5's card by a look in the thread
        await slack.wait_for(lambda: "3 of 20 answered" in b.thread()[0].text, what="the root's count redrawn")
        assert [m.ts for m in b.thread() if has_buttons(m)] == [q4.ts]

        await b.click(now(b, q4), "answer_no", user="U2")  # answered again: the walk goes on
        fresh = await b.next_card(q4)
        assert fresh.ts != q5.ts and "Question 5 of 20" in fresh.text
        await b.answer_all(ALL_YES)
        await slack.wait_for(lambda: b.scorecard() is not None, what="the scorecard")
        await b.settle()
        assert [m.ts for m in b.cards(Q5)] == [fresh.ts]  # the stale card is no card of q5's
        refs = [ref_of(m) for m in b.thread()]
        assert len(refs) == len(set(refs))
        assert not Bot.element_list(now(b, stale)) and b.open_card() is None


async def test_a_change_of_an_answer_the_restore_lost_gives_its_card_its_buttons_back(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with replicas(slack, redis_server.url) as (a, b):
        q4, q5 = await one_click_lost(a, redis_client, "start Router", 3)
        told = await reply_to(b, q4, "yes", "U2", select=True)
        link = await link_to(b, q4)
        assert told == ("q4's card shows a click that is not in ftcheck's saved evaluation, so your change was not "
                        "recorded: ftcheck's saved data was set back to an earlier point, before that click (the "
                        f"saved evaluation has 3 of 20 answered). q4 is asked again on its card: <{link}|q4>.")
        await slack.wait_for(lambda: has_buttons(now(b, q4)), what="q4's card with its buttons again")
        assert has_buttons(now(b, q5))  # not clicked, so not redrawn: a click on it is refused as above
        await b.click(now(b, q4), "answer_partly", user="U2")
        await slack.wait_for(lambda: len(b.cards(Q5)) == 2 and not has_buttons(now(b, q4)),
                             what="q4 answered, q5 asked on a new card")
        assert has_buttons(b.cards(Q5)[-1])

        await b.answer_all(ALL_YES, limit=16)  # q5 to q20, on the cards the saved evaluation posted
        await slack.wait_for(lambda: b.scorecard() is not None, what="the scorecard")
        await b.settle()  # and its post recorded
        told = await reply_to(b, now(b, q5), "answer_no", "U3")  # the card no click redrew: still offers buttons
        assert told == "This evaluation is finished, so q5 can no longer be answered here."
        scorecard = b.scorecard()
        assert scorecard is not None
        await slack.wait_for(lambda: not has_buttons(now(b, q5)), what="the old q5 card without buttons")
        assert ("This card is not in ftcheck's saved evaluation, so it takes no answers. The evaluation is finished: "
                f"<{await link_to(b, scorecard)}|its scorecard>.") in message_texts(now(b, q5))


async def test_a_vote_on_a_card_the_restore_lost_is_refused_in_words_and_the_vote_goes_on_on_the_saved_card(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with replicas(slack, redis_server.url) as (a, b):
        q2, q3 = await one_click_lost(a, redis_client, "start Router --vote --quorum 1", 1)  # each vote reveals
        told = await reply_to(b, q3, "answer_no", "U3")
        link = await link_to(b, q2)
        assert told == ("That card is not in ftcheck's saved evaluation, so your vote was not recorded: ftcheck's "
                        "saved data was set back to an earlier point, before that card was posted (the saved "
                        f"evaluation has 1 of 20 answered). q2 is asked again on its card: <{link}|q2>.")
        await slack.wait_for(lambda: has_buttons(now(b, q2)), what="q2's card with its buttons again")
        assert not has_buttons(now(b, q3))
        await b.click(now(b, q2), "answer_yes", user="U2")
        fresh = await b.next_card(q2)
        assert fresh.ts != q3.ts and "Question 3 of 20" in fresh.text


async def test_a_click_on_the_copy_of_a_card_posted_twice_points_to_the_recorded_one(
        slack: SlackStandIn, redis_server: RedisServer) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        bot.runtime.services.store.fold_s = 0
        await bot.command("start Router")
        await bot.answer_all(ALL_YES, limit=4)
        q5 = await bot.next_card(bot.cards(Q4)[0])
        await quiet(bot)
        services = bot.runtime.services
        ev = await services.store.get(ref_of(q5).split(":")[0])
        assert ev is not None
        await services.engine.presenter.post_card(ev, services.registry.get(ev.checklist), Q5)  # a second copy
        copy = bot.cards(Q5)[-1]
        assert copy.ts != q5.ts and has_buttons(copy)

        told = await reply_to(bot, copy, "answer_no", "U3")
        link = await link_to(bot, q5)
        assert told == ("That card is not the one ftcheck recorded for q5, so your click was not recorded. q5 is "
                        f"asked on its card: <{link}|q5>.")
        await slack.wait_for(lambda: not has_buttons(now(bot, copy)), what="the copy without buttons")
        assert (f"This card is not the one ftcheck recorded for q5, so it takes no answers. The evaluation went on "
                f"from <{link}|q5's card>.") in message_texts(now(bot, copy))
        assert has_buttons(now(bot, q5)) and [m.ts for m in bot.cards(Q5)] == [q5.ts]
        await bot.click(now(bot, q5), "answer_no", user="U3")
        assert "Question 6 of 20" in (await bot.next_card(q5)).text


async def test_a_lost_not_sure_is_not_called_an_answer(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with replicas(slack, redis_server.url) as (a, b):
        q4, _ = await one_click_lost(a, redis_client, "start Router", 3, click="answer_skip")
        assert "Not sure" in q4.text and not has_buttons(q4)  # the thread shows the skip Redis lost
        told = await reply_to(b, q4, "yes", "U3", select=True)
        assert told.startswith("q4's card shows a click that is not in ftcheck's saved evaluation") and (
            "answered" not in told.split("(")[0]), told  # it was never answered
        await slack.wait_for(lambda: has_buttons(now(b, q4)), what="q4's card with its buttons again")
