"""Paste a description in the thread: suggestions appear, and only a person's click scores them."""

from __future__ import annotations

from pathlib import Path

import redis.asyncio as aioredis

from tests.bot.harness import Bot, running_bot
from tests.bot.test_slack_surface import started, texts
from tests.scoring.test_suggest_llm import GOOD
from tests.standins.openai_api import OpenAIStandin
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

BRIEF = (Path(__file__).parent.parent / "data" / "briefs" / "example1_support_intent.md").read_text()


async def paste(bot: Bot, text: str, user: str = "U2") -> None:
    root = bot.slack.messages("C1", top_level=True)[-1]
    msg = bot.slack.add_message("C1", text=text, user=user, thread_ts=root.ts)
    status, _ = await bot.event({"type": "message", "channel": "C1", "user": user, "text": text, "ts": msg.ts,
                                 "thread_ts": root.ts, "channel_type": "channel"})
    assert status == 200


def report(bot: Bot) -> str:
    for m in bot.thread():
        if "from the pasted description" in m.text:
            return texts(m.blocks)
    return ""


async def test_paste_suggests_and_a_click_confirms(slack: SlackStandIn, redis_server: RedisServer,
                                                   redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        await paste(bot, BRIEF)
        await slack.wait_for(lambda: report(bot) != "", timeout=15, what="suggestion report")
        assert any(c.params.get("text") == "Reading the description…" for c in slack.calls_to("chat.postMessage"))
        text = report(bot)
        assert "suggestions from the pasted description, shown on each card" in text and "\n" not in text
        assert "engine" not in text
        await slack.wait_for(
            lambda: "Helper suggests: Yes" in texts((bot.open_card() or slack.messages("C1")[0]).blocks),
            what="card shows the suggestion")
        card = bot.open_card()
        assert card is not None
        yes = bot.element(card, "answer_yes")
        assert yes["text"]["text"] == "Yes (suggested)" and yes.get("style") is None  # marked 💡, not styled
        root = slack.messages("C1", top_level=True)[-1]
        assert "0 of 20 answered" in texts(root.blocks)  # the suggestion alone answers nothing
        await bot.click(card, "answer_yes", user="U3")
        await slack.wait_for(lambda: "1 of 20 answered" in texts(slack.messages("C1", top_level=True)[-1].blocks),
                             what="progress after the click")
        answered = texts(next(m for m in bot.thread() if m.ts == card.ts).blocks)
        assert "✓ *q1* Yes — <@U3>" in answered and "as the helper suggested" in answered


async def test_repasting_refreshes_only_unanswered(slack: SlackStandIn, redis_server: RedisServer,
                                                   redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        card = bot.open_card()
        assert card is not None
        await bot.click(card, "answer_no")
        await slack.wait_for(lambda: bot._closed(card, "C1"))
        await paste(bot, BRIEF)
        await slack.wait_for(lambda: report(bot) != "", timeout=15, what="suggestion report")
        assert "1 already answered, so the team's answer stays" in report(bot)


async def test_oversized_paste_is_refused_with_the_limit(slack: SlackStandIn, redis_server: RedisServer,
                                                         redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        await paste(bot, "We have 2,000 labeled tickets. " * 800)
        await slack.wait_for(lambda: bool(slack.ephemerals("C1")), timeout=15, what="refusal")
        note = slack.ephemerals("C1")[0]
        assert "the limit is 20,000" in note.text and note.user == "U2"
        assert report(bot) == ""


async def test_suggest_command_uses_the_llm_through_an_openai_compatible_server(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    with OpenAIStandin() as api:
        api.respond_json(GOOD, usage=(1200, 300))
        async with running_bot(slack, redis_server.url, OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=api.base_url,
                               FTCHECK_LLM_TIMEOUT=3) as bot:
            await started(bot)
            status, _ = await bot.command(f"suggest {BRIEF}", user="U4")
            assert status == 200
            await slack.wait_for(lambda: report(bot) != "", timeout=10, what="LLM suggestion report")
            assert len(api.requests) == 1
            assert "suggestions from the pasted description" in report(bot)
            assert "engine" not in report(bot) and "tokens" not in report(bot)  # developer words stay out
