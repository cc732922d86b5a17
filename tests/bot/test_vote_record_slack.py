"""A team vote's record in Slack, over signed requests: a unanimous answer is the team's (only the starter, a lead or
an admin may change it, and then the agreement stops calling it unanimous), and a split asked again keeps its first
round on the scorecard and in the export."""

from __future__ import annotations

import json

from scoring.checklist import Registry
from tests.bot.harness import Bot, message_texts, running_bot
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Message

DATA = Registry().get("dataset-readiness")  # three questions, Pass / Fail
Q1 = DATA.questions[0].id


def _now(bot: Bot, msg: Message) -> Message:
    return next(m for m in bot.thread() if m.ts == msg.ts)


def _scorecard(bot: Bot) -> str:
    card = bot.scorecard()
    return message_texts(card) if card is not None else ""


async def _start(bot: Bot, quorum: int) -> None:
    assert (await bot.command(f"start Router --checklist dataset-readiness --vote --quorum {quorum}"))[0] == 200
    await bot.slack.wait_for(lambda: bot.open_card() is not None, what="first card")


async def _vote(bot: Bot, votes: dict[str, str]) -> Message:
    card = bot.open_card()
    assert card is not None
    for uid, option in votes.items():
        assert (await bot.click(_now(bot, card), f"answer_{option}", user=uid))[0] == 200
        await bot.settle()
    return card


async def _vote_all(bot: Bot, votes: dict[str, str]) -> None:
    while True:
        await bot.slack.wait_for(lambda: bot.open_card() is not None or bot.scorecard() is not None,
                                 what="a card or the scorecard")
        if bot.open_card() is None:
            return
        card = await _vote(bot, votes)
        await bot.slack.wait_for(lambda c=card: bot._closed(c, "C1"), what="revealed")  # type: ignore[misc]


async def test_a_unanimous_answer_is_changed_only_by_the_starter_and_then_is_not_unanimous(
        slack: SlackStandIn, redis_server: RedisServer, redis_client) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await _start(bot, quorum=2)
        await _vote_all(bot, {"U2": "pass", "U3": "pass"})
        await slack.wait_for(lambda: bot.scorecard() is not None, what="scorecard")
        await bot.settle()
        assert "3 of 3 questions unanimous (100%)" in _scorecard(bot)
        q1 = bot.cards(Q1)[-1]
        before = message_texts(q1)
        assert "agreed: <@U2>, <@U3>" in before
        # U4 never voted: refused, told why and who may, and nothing changes
        assert (await bot.select(q1, "fail", user="U4"))[0] == 200
        await slack.wait_for(lambda: any("changed nothing" in e.text for e in slack.ephemerals("C1", "U4")),
                             what="U4 told")
        told = next(e.text for e in slack.ephemerals("C1", "U4") if "changed nothing" in e.text)
        key = DATA.questions[0].key
        assert f"{key}'s answer, Pass, is the team's vote (<@U2>, <@U3>)" in told
        assert "only the starter (<@U1>), a lead or a workspace admin can change it" in told
        await bot.settle()
        assert message_texts(_now(bot, q1)) == before
        assert "3 of 3 questions unanimous (100%)" in _scorecard(bot)
        # a voter is no starter either
        assert (await bot.select(q1, "fail", user="U2"))[0] == 200
        await slack.wait_for(lambda: any("changed nothing" in e.text for e in slack.ephemerals("C1", "U2")),
                             what="U2 told")
        # the starter may: the card says so, and the agreement no longer counts q1 as unanimous
        assert (await bot.select(q1, "fail", user="U1"))[0] == 200
        await slack.wait_for(lambda: "2 of 3 questions unanimous" in _scorecard(bot),
                             what="scorecard redrawn")
        card = message_texts(_now(bot, q1))
        assert f"✓ *{key}* Fail" in card and "changed from Pass" in card
        scorecard = _scorecard(bot)
        assert "2 of 3 questions unanimous (67%)" in scorecard
        assert "Pass 2 (unanimous) — changed to *Fail* by <@U1>" in scorecard
        # a changed team answer stays the team's: U4 still may not change it back
        assert (await bot.select(_now(bot, q1), "pass", user="U4"))[0] == 200
        await slack.wait_for(lambda: any(f"{key}'s team answer was changed to Fail by <@U1>" in e.text
                                         for e in slack.ephemerals("C1", "U4")), what="U4 told again")
        await bot.command("export Router json", user="U2")
        await slack.wait_for(lambda: len(slack.files) == 1, what="export")
        record = json.loads(slack.files[0].content or b"")
        assert record["answers"][0]["changed_from"] == 1.0 and record["scorecard"]["agreement"]["unanimous"] == 2


async def test_a_split_asked_again_keeps_its_first_round_on_the_scorecard_and_in_the_export(
        slack: SlackStandIn, redis_server: RedisServer, redis_client) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await _start(bot, quorum=3)
        card = await _vote(bot, {"U1": "pass", "U2": "fail", "U3": "pass"})
        await slack.wait_for(lambda: "Split" in message_texts(_now(bot, card)), what="split")
        split = _now(bot, card)
        assert (await bot.click(split, "settle_answer_skip", user="U1",
                                value=Bot.element(split, "settle_answer_skip")["value"]))[0] == 200
        await _vote_all(bot, {"U1": "pass", "U2": "pass", "U3": "pass"})  # q1 comes back last: unanimous this time
        await slack.wait_for(lambda: bot.scorecard() is not None, what="scorecard")
        await bot.settle()
        assert len(bot.cards(Q1)) == 2
        scorecard = _scorecard(bot)
        assert "2 of 3 questions unanimous (67%)" in scorecard
        assert "Pass 2 · Fail 1, asked again by <@U1>: Pass 3 — agreed on *Pass* when asked again" in scorecard
        await bot.command("export Router json", user="U2")
        await slack.wait_for(lambda: len(slack.files) == 1, what="export")
        row = json.loads(slack.files[0].content or b"")["answers"][0]
        # people are named as Slack knows them (other tests may have given U1… names): "Ana (U1)" or "U1"
        assert list(row["votes"].values()) == ["Pass", "Pass", "Pass"]
        [first] = row["earlier_votes"]
        assert list(first["votes"].values()) == ["Pass", "Fail", "Pass"] and "U2" in list(first["votes"])[1]
        assert "U1" in first["asked_again_by"]
