"""People's text reaches Slack escaped: a project named `<!channel> launch` pings nobody, `<b>` stays text.

The Slack stand-in records every broadcast mention and every unescaped ``<`` in any text the bot posts
(tests/standins/mentions.py); the ``slack`` fixture fails the test on any such record.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis

from scoring.checklist import Registry
from tests.bot.harness import running_bot
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Message

ALL_YES = {q.key: 1.0 for q in Registry().get().questions}


def all_text(msg: Message) -> str:
    return msg.text + "\n" + json.dumps(msg.blocks, ensure_ascii=False)


async def test_a_project_called_channel_broadcast_is_walked_without_pinging_anyone(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        status, _ = await bot.command("start &lt;!channel&gt; launch")  # as Slack sends the typed characters
        assert status == 200
        await slack.wait_for(lambda: bot.open_card() is not None, what="first card")
        await bot.settle()
        await bot.answer_all(ALL_YES)
        await slack.wait_for(lambda: bot.scorecard() is not None, what="scorecard")
        await bot.settle()
        assert await bot.runtime.reminders.tick(datetime.now(UTC) + timedelta(days=800)) == 1  # the reminder too
        await bot.settle()
        posted = [all_text(m) for m in slack.messages("C1")] + [e.text for e in slack.ephemerals()]
        assert any("&lt;!channel&gt; launch" in t for t in posted), "the project's name is not shown at all"
        assert not any("<!channel>" in t for t in posted)
        assert slack.violations == []


async def test_a_note_with_ampersand_and_markup_is_shown_as_typed(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        status, _ = await bot.command("start R&D <b>router</b>")
        assert status == 200
        await slack.wait_for(lambda: bot.open_card() is not None, what="first card")
        await bot.settle()
        card = bot.open_card()
        assert card is not None
        await bot.click(card, "answer_yes", user="U2")
        await slack.wait_for(lambda: bot._closed(card, "C1"), what="card answered")
        answered = next(m for m in bot.thread() if m.ts == card.ts)
        await bot.select(answered, "note", user="U4")
        await slack.wait_for(lambda: bool(slack.calls_to("views.open")), what="note modal")
        view = slack.calls_to("views.open")[-1].params["view"]
        view = json.loads(view) if isinstance(view, str) else view
        note = "Q&A set: <b>1,200</b> labeled & checked"
        await bot.submit_view("note_modal", {"note": {"note_text": {"type": "plain_text_input", "value": note}}},
                              private_metadata=view["private_metadata"], user="U4")
        await slack.wait_for(lambda: "labeled &amp; checked" in all_text(
            next(m for m in bot.thread() if m.ts == card.ts)), what="note on the card")
        await bot.settle()
        shown = all_text(next(m for m in bot.thread() if m.ts == card.ts))
        assert "Q&amp;A set: &lt;b&gt;1,200&lt;/b&gt; labeled &amp; checked" in shown
        root = all_text(slack.messages("C1", top_level=True)[-1])
        assert "R&amp;D &lt;b&gt;router&lt;/b&gt;" in root and "<b>" not in root
        assert slack.violations == []
