"""In Slack: a change after the scorecard keeps who gave the answer it replaced and says which answer a kept note was
written about; when it changes the decision the thread gets one short reply linking the scorecard, and the scorecard
says it was updated; a change that leaves the decision as it was posts nothing. And the root, once only a question
skipped twice is left, names it and links its card and the provisional scorecard."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import redis.asyncio as aioredis

from bot.blocks.views import NOTE_ACTION_ID, NOTE_BLOCK, NOTE_CALLBACK
from scoring.checklist import Registry
from tests.bot.harness import Bot, message_texts, ref_of, running_bot
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Message

FT = Registry().get()
NOTE = "We have 2,000 labeled tickets, well over 500."
YES = {q.key: 1.0 for q in FT.questions}


def _link(bot: Bot, ts: str) -> str:
    """The permalink the bot builds for a reply in the thread (``bot.links.message_url``)."""
    thread = bot.thread()[0].ts
    return f"https://ftcheck-test.slack.com/archives/C1/p{ts.replace('.', '')}?thread_ts={thread}&cid=C1"


def _now(bot: Bot, ts: str) -> str:
    return message_texts(next(m for m in bot.thread() if m.ts == ts))


def _replies(bot: Bot) -> list[Message]:
    return [m for m in bot.thread() if ":post_decision_change:" in ref_of(m)]


async def _note(bot: Bot, slack: SlackStandIn, card: Message, text: str, user: str) -> None:
    before = len(slack.calls_to("views.open"))
    await bot.select(card, "note", user=user)
    await slack.wait_for(lambda: len(slack.calls_to("views.open")) > before, what="note dialog")
    raw = slack.calls_to("views.open")[-1].params["view"]
    view: dict[str, Any] = json.loads(raw) if isinstance(raw, str) else raw
    values = {NOTE_BLOCK: {NOTE_ACTION_ID: {"type": "plain_text_input", "value": text}}}
    await bot.submit_view(NOTE_CALLBACK, values, private_metadata=view["private_metadata"], user=user,
                          blocks=view["blocks"])
    await slack.wait_for(lambda: text in _now(bot, card.ts), what="the note on the card")


async def _change(bot: Bot, key: str, option: str, user: str) -> None:
    card = bot.cards(FT.question(key).id)[-1]
    await bot.select(next(m for m in bot.thread() if m.ts == card.ts), option, user=user)
    label = FT.option(option).label
    await bot.slack.wait_for(lambda: f"✓ *{key}* {label} — <@{user}>" in _now(bot, card.ts), what=f"{key} {label}")
    await bot.settle()
    await asyncio.sleep(0.3)  # a reply owed would be posted by now
    await bot.settle()


async def test_a_change_by_another_member_after_the_scorecard_is_told_once_when_it_changes_the_decision(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Ticket router", user="U1")
        await slack.wait_for(lambda: bot.open_card() is not None, what="first card")
        await bot.answer_all(YES, users=["U2"], limit=1)
        q1 = bot.cards(FT.question("q1").id)[-1]
        await _note(bot, slack, q1, NOTE, "U2")
        await bot.answer_all(YES, users=["U1"])
        await slack.wait_for(lambda: bot.scorecard() is not None, what="scorecard")
        await bot.settle()
        scorecard = bot.scorecard()
        assert scorecard is not None and "Strong go" in message_texts(scorecard)
        assert "Updated after it was posted" not in message_texts(scorecard)

        await _change(bot, "q1", "no", "U3")
        card = _now(bot, q1.ts)
        assert "✓ *q1* No — <@U3> · _changed from Yes (<@U2>)_ · 500+ labeled examples" in card, card
        assert f":memo: _(on the earlier Yes)_ {NOTE} — <@U2>" in card, card
        [told] = _replies(bot)
        assert told.thread_ts == bot.thread()[0].ts
        assert told.text == (
            "Ticket router is now :warning: *Not yet* (was :white_check_mark: *Strong go*), 19/20 (was 20/20): "
            "<@U3> changed q1 (500+ labeled examples) from *Yes* (<@U2>) to *No*. Details in "
            f"<{_link(bot, scorecard.ts)}|the scorecard>."), told.text
        now = _now(bot, scorecard.ts)
        assert "Not yet" in now and "Updated after it was posted: q1 Yes (<@U2>) → No (<@U3>)" in now, now

        await _change(bot, "q3", "partly", "U3")  # still Not yet, the band as it was: redrawn, nothing posted
        assert len(_replies(bot)) == 1
        now = _now(bot, scorecard.ts)  # the change that moved the decision stays listed (review R3)
        assert "Updated after it was posted: q1 Yes (<@U2>) → No (<@U3>); q3 Yes (<@U1>) → Partly (<@U3>)" in now, now

        await _change(bot, "q1", "yes", "U2")  # back to a go: its own reply
        replies = _replies(bot)
        assert len(replies) == 2 and replies[1].text.startswith(
            "Ticket router is now :white_check_mark: *Strong go* (was :warning: *Not yet*), 19.5/20 (was 18.5/20): "
            "<@U2> changed q1 (500+ labeled examples) from *No* (<@U3>) to *Yes*."), replies[1].text
        card = _now(bot, q1.ts)
        assert f":memo: {NOTE} — <@U2>" in card and "on the earlier" not in card, card  # beside its answer again
        assert bot.thread()[-1].ts == replies[1].ts and slack.ephemerals("C1") == []


async def test_the_root_names_and_links_the_question_skipped_twice_and_the_provisional_scorecard(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Ticket router", user="U1")
        await slack.wait_for(lambda: bot.open_card() is not None, what="first card")
        await bot.answer_all({**YES, "q12": None}, users=["U2"])
        await slack.wait_for(lambda: bot.scorecard() is not None, what="provisional scorecard")
        scorecard = bot.scorecard()
        q12 = bot.cards(FT.question("q12").id)
        assert scorecard is not None and len(q12) == 2
        expected = (f"Only <{_link(bot, q12[-1].ts)}|q12 (ML engineer)> is left: it was skipped twice, so "
                    "anyone may answer it from the ⋯ menu on its card. The "
                    f"<{_link(bot, scorecard.ts)}|provisional scorecard> has the result so far.")
        await slack.wait_for(lambda: expected in message_texts(bot.thread()[0]), what="the root names q12")
