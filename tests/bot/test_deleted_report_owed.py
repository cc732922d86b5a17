"""A description deleted while Slack fails chat.update (5xx): the redraw of its report line, which quotes it, is owed
in the evaluation's outbox with the deletion, so a bot started after this one stopped redraws it to the line that
says the description was deleted, and no message of the thread quotes it any more (the real bot over signed
requests, the Slack stand-in, one Redis for both bots)."""

from __future__ import annotations

import json
import time

import pytest
import redis.asyncio as aioredis

from bot.blocks.common import esc
from conversations.models import Evaluation
from conversations.store import eval_key
from tests.bot.harness import Bot, message_texts, retry_at_once, running_bot
from tests.bot.test_slack_surface import started
from tests.bot.test_suggestion_report_fixes import DELETED, answer_open
from tests.bot.test_suggestions_slack import BRIEF, _revision, card_text, handled, paste, report
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

pytestmark = pytest.mark.timeout(120)
QUOTED = "We have 2,000 historical tickets"


async def the_evaluation(redis_client: aioredis.Redis, bot: Bot) -> Evaluation:
    root = bot.slack.messages("C1", top_level=True)[-1]
    ev = await bot.runtime.services.store.by_thread("C1", root.ts)
    assert ev is not None
    raw = await redis_client.get(eval_key(ev.id))  # as stored, not as this process folded it
    assert raw is not None
    return Evaluation.model_validate_json(raw)


def quotes_of(ev: Evaluation, source: str) -> set[str]:
    """The description's words the evaluation showed: its suggestions' evidence and reasons."""
    refs = [*ev.suggestions.values(), *(a.suggestion for a in ev.answers.values() if a.suggestion is not None)]
    return {w for r in refs if r.source == source for w in (r.evidence, *r.conflict) if len(w) >= 12}


def thread_text(bot: Bot, deleted: str) -> str:
    """What the thread's messages say (texts and blocks), but the description's own message (deleted in Slack; the
    stand-in keeps it, for its deletion came as an event)."""
    return "\n".join(message_texts(m) + json.dumps(m.blocks) for m in bot.thread() if m.ts != deleted)


async def _quoting_report(bot: Bot) -> str:
    """q1 and q2 answered, then the description pasted: its report line quotes it. Returns the description's ts."""
    await started(bot)
    await answer_open(bot, "no")
    await answer_open(bot, "partly")
    ts = await paste(bot, BRIEF)
    await bot.slack.wait_for(lambda: QUOTED in report(bot), timeout=15, what="a report quoting the description")
    await bot.settle()
    return ts


async def _delete_while_updates_fail(bot: Bot, slack: SlackStandIn, ts: str, *, fail: bool = True) -> None:
    """Delete the description while every chat.update answers 500 (``fail``; else as the test told the stand-in);
    returns once the deletion's handler is done. The client still retries each 5xx as it does (3 times), without
    its backoff's seconds of waiting."""
    root = slack.messages("C1", top_level=True)[-1]
    retry_at_once(bot)
    if fail:
        slack.fail_next("chat.update", status=500, times=10_000)
    await handled(bot, _revision(root.ts, ts, BRIEF, subtype="message_deleted"))
    assert not fail or any(c.status == 500 for c in slack.calls_to("chat.update"))


async def test_a_restarted_bot_redraws_the_report_of_a_description_deleted_while_slack_failed(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        ts = await _quoting_report(bot)
        quotes = quotes_of(await the_evaluation(redis_client, bot), ts)
        shown = thread_text(bot, ts)
        assert quotes and any(q in shown or esc(q) in shown for q in quotes)
        await _delete_while_updates_fail(bot, slack, ts)
        assert QUOTED in report(bot)  # Slack has not taken the redraw
        owed = await the_evaluation(redis_client, bot)
        assert owed.deleted_sources == [ts] and f"redraw_deleted_report:{ts}" in [o.key for o in owed.pending]
    slack.fail_next("chat.update", times=0)  # Slack answers again, once this bot has stopped
    async with running_bot(slack, redis_server.url) as bot:
        for _ in range(20):  # the new bot's outbox: each tick as if the entries' backoff had passed
            if not report(bot) and "Helper" not in card_text(bot):
                break
            await bot.runtime.outbox.tick(now=time.time() + 120)
            await bot.settle()
        assert any(m.text == DELETED for m in bot.thread()), [m.text for m in bot.thread()]
        assert report(bot) == "" and "Helper" not in card_text(bot)
        text = thread_text(bot, ts)
        assert [q for q in quotes if q in text or esc(q) in text] == []
        assert QUOTED not in text


async def test_the_report_is_redrawn_when_the_evaluation_is_deleted_before_slack_answers_again(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """Deleting the evaluation gives up what its thread is owed, but not the redraw that stops a message quoting a
    deleted description: it is delivered once Slack answers again, and nothing else is posted in the thread."""
    async with running_bot(slack, redis_server.url) as bot:
        ts = await _quoting_report(bot)
        await _delete_while_updates_fail(bot, slack, ts)
        reply = await bot.reply_to("delete Ticket router")
        assert "Deleted" in reply, reply
        deleted = await the_evaluation(redis_client, bot)
        assert deleted.status == "deleted"
        assert [o.key for o in deleted.pending] == [f"redraw_deleted_report:{ts}"]
        assert QUOTED in report(bot)
        slack.fail_next("chat.update", times=0)
        posts_before = len(slack.calls_to("chat.postMessage"))
        for _ in range(20):
            if not report(bot):
                break
            await bot.runtime.outbox.tick(now=time.time() + 120)
            await bot.settle()
        assert any(m.text == DELETED for m in bot.thread()), [m.text for m in bot.thread()]
        assert QUOTED not in thread_text(bot, ts)
        assert len(slack.calls_to("chat.postMessage")) == posts_before
        assert (await the_evaluation(redis_client, bot)).pending == []
