"""The helper's line in the thread tells what it did: nothing at all about a discussion reply, no mention of whoever
pasted, counts of only what the cards show, the answered questions the description reads otherwise named, and a
description deleted since said so (the real bot, the Slack stand-in)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
import redis.asyncio as aioredis

from bot import suggestions
from bot.blocks.suggestions import report_blocks, report_text, tally
from conversations import flow
from conversations.models import AnswerEntry, Evaluation
from conversations.queries import suggestion_refs
from scoring.checklist import Checklist, Registry
from scoring.suggest import Caution, Suggestion, SuggestionReport
from tests.bot.harness import Bot, running_bot
from tests.bot.test_slack_surface import started
from tests.bot.test_suggestions_slack import BRIEF, _revision, card_text, deleted_event, handled, paste, report
from tests.scoring.test_suggest_description_gate import REPLIES
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

DELETED = "The pasted description was deleted, so its suggestions were removed from the cards."


def bot_lines(bot: Bot, after: str) -> list[str]:
    return [m.text for m in bot.thread() if m.user == "UBOT" and float(m.ts) > float(after)]


async def answer_open(bot: Bot, option: str, user: str = "U3") -> None:
    card = bot.open_card()
    assert card is not None
    await bot.click(card, f"answer_{option}", user=user)
    await bot.slack.wait_for(lambda: bot._closed(card, "C1"), what="answered")
    await bot.settle()


# -- D4: a discussion reply is no description -------------------------------------------------------------------

async def test_a_long_discussion_reply_gets_no_bot_message(slack: SlackStandIn, redis_server: RedisServer,
                                                           redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        root = slack.messages("C1", top_level=True)[-1]
        msg = slack.add_message("C1", text=REPLIES[0], user="U3", thread_ts=root.ts)
        await handled(bot, {"type": "message", "channel": "C1", "user": "U3", "text": REPLIES[0], "ts": msg.ts,
                            "thread_ts": root.ts, "channel_type": "channel"})
        await bot.settle()
        assert bot_lines(bot, msg.ts) == []
        assert not any("Reading" in str(c.params) for c in slack.calls_to("chat.postMessage"))
        assert slack.ephemerals() == []
        stored = await bot.runtime.services.store.by_thread("C1", root.ts)
        assert stored is not None and stored.suggestions == {}


async def test_a_discussion_reply_edited_costs_no_write_and_a_description_edited_into_one_is_withdrawn(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        root = slack.messages("C1", top_level=True)[-1]
        store = bot.runtime.services.store
        chat = await paste(bot, REPLIES[1], user="U3")
        await handled(bot, _revision(root.ts, chat, REPLIES[1], subtype="message_changed", now=REPLIES[2]))
        ev = await store.by_thread("C1", root.ts)
        assert ev is not None
        assert [a.action for a in await store.audit(ev.id) if "suggestions" in a.action] == []
        ts = await paste(bot, BRIEF)
        await slack.wait_for(lambda: "Helper suggests" in card_text(bot), what="hint")
        await handled(bot, _revision(root.ts, ts, BRIEF, subtype="message_changed", now=REPLIES[0]))
        await slack.wait_for(lambda: "Helper" not in card_text(bot), what="the hint leaves the card")


async def test_the_reading_line_mentions_nobody(slack: SlackStandIn, redis_server: RedisServer,
                                               redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        await paste(bot, BRIEF, user="U2")
        await slack.wait_for(lambda: report(bot) != "", what="report")
        reading = [c for c in slack.calls_to("chat.postMessage") if c.params.get("text") == "Reading the description…"]
        assert len(reading) == 1
        assert "<@" not in str(reading[0].params.get("blocks")), reading[0].params.get("blocks")
        assert "Reading the pasted description…" in str(reading[0].params.get("blocks"))


@pytest.fixture(scope="module")
def checklist() -> Checklist:
    return Registry().get("fine-tuning-readiness")


def answered(checklist: Checklist, **values: float) -> Evaluation:
    ev = flow.start(team="T1", channel="C1", project="Router", checklist=checklist, user="U1")
    at = datetime(2026, 1, 5, tzinfo=UTC)
    for key, value in values.items():
        qid = checklist.question(key).id
        ev.answers[qid] = AnswerEntry(question=qid, value=value, by="U3", at=at)
    return ev


def test_a_check_on_an_answered_question_is_not_counted(checklist: Checklist) -> None:
    report = SuggestionReport(checklist=checklist.id, engine="offline",
                              cautions=[Caution(question="q3", note="mentions 'routing guide' — check",
                                                quote="the routing guide changed since then")])
    ev = answered(checklist, q1=1, q2=1, q3=1)
    refs = suggestion_refs(report, checklist)
    line = report_text(report, tally(report, checklist, ev, refs, stored=[]))
    assert "to check" not in line, line
    ev = answered(checklist, q1=1)
    line = report_text(report, tally(report, checklist, ev, refs, stored=list(refs)))
    assert "1 question marked to check" in line, line


# -- D6: the answered questions the description reads otherwise are named ---------------------------------------

async def test_the_report_names_answered_questions_the_description_reads_otherwise(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        await answer_open(bot, "no")
        await answer_open(bot, "partly")
        await paste(bot, BRIEF)
        await slack.wait_for(lambda: report(bot) != "", timeout=15, what="report")
        line = report(bot)
        assert "; 2 more for questions already answered, so the team's answers stay. The description reads q1 as " \
               "Yes (“We have 2,000 historical tickets labeled with the correct…”) where the team said No; q2 as " \
               "Yes (“" in line, line
        assert line.endswith("”) where the team said Partly."), line


def test_at_most_three_are_named_with_their_quotes_escaped(checklist: Checklist) -> None:
    said = [Suggestion(question=f"q{n}", answer=1, reason="r", origin="phrase",
                       evidence=f"<!channel> point {n} & *more*, in a sentence long enough to be cut short at a word")
            for n in range(1, 6)]
    report = SuggestionReport(checklist=checklist.id, engine="offline", suggestions=said)
    ev = answered(checklist, q1=0, q2=0.5, q3=0, q4=0, q5=1)
    refs = suggestion_refs(report, checklist)
    line = report_text(report, tally(report, checklist, ev, refs, stored=[]), mrkdwn=True)
    assert line.startswith("No new suggestions from the pasted description for the questions still open; 5 more "
                           "for questions already answered, so the team's answers stay. The description reads q1 "
                           "as Yes (“&lt;!channel&gt; point 1 &amp; "), line
    assert "where the team said Partly; q3 as Yes" in line and line.endswith("; and 1 more."), line
    assert "q5" not in line and "<!channel>" not in line and "*more*" not in line
    assert len(report_blocks(line)) == 1


# -- D3: a deleted description's report says so ------------------------------------------------------------------

def deleted_line(bot: Bot) -> bool:
    return any(m.text == DELETED for m in bot.thread())


async def test_deleting_the_description_redraws_its_report(slack: SlackStandIn, redis_server: RedisServer,
                                                           redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        ts = await paste(bot, BRIEF)
        await slack.wait_for(lambda: report(bot) != "", timeout=15, what="report")
        root = slack.messages("C1", top_level=True)[-1]
        await handled(bot, _revision(root.ts, ts, BRIEF, subtype="message_deleted"))
        await bot.settle()
        assert report(bot) == ""
        assert deleted_line(bot), [m.text for m in bot.thread()]
        assert "Helper" not in card_text(bot)


async def test_an_answer_given_from_the_deleted_description_is_said_to_lose_its_quotes(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        ts = await paste(bot, BRIEF)
        await slack.wait_for(lambda: "Helper suggests" in card_text(bot), what="hint")
        await answer_open(bot, "yes")
        root = slack.messages("C1", top_level=True)[-1]
        await handled(bot, _revision(root.ts, ts, BRIEF, subtype="message_deleted"))
        await bot.settle()
        assert any(m.text == DELETED[:-1] + " and its quotes from the answers already given (they stay as "
                   "answered)." for m in bot.thread()), [m.text for m in bot.thread()]


async def test_a_deletion_between_saving_and_showing_still_ends_as_deleted(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The deletion is recorded after the suggestions were stored and redraws "Reading…" before the report
    replaces it: the report, once shown, is redrawn as deleted."""
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        root = slack.messages("C1", top_level=True)[-1]
        show = suggestions.Placeholder.show
        pasted: list[str] = []

        async def delete_first(self: suggestions.Placeholder, text: str, blocks: list[dict[str, Any]]) -> None:
            if "from the pasted description" in text:
                await handled(bot, _revision(root.ts, pasted[0], BRIEF, subtype="message_deleted"))
                assert deleted_line(bot)  # the deletion's redraw came first
            await show(self, text, blocks)

        monkeypatch.setattr(suggestions.Placeholder, "show", delete_first)
        pasted.append(await paste(bot, BRIEF))
        await slack.wait_for(lambda: deleted_line(bot) and report(bot) == "", timeout=15, what="deleted line")
        await asyncio.sleep(0.2)
        await bot.settle()
        assert report(bot) == "" and deleted_line(bot), [m.text for m in bot.thread()]


async def test_a_deleted_suggest_command_s_report_says_so(slack: SlackStandIn, redis_server: RedisServer,
                                                          redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        root = slack.messages("C1", top_level=True)[-1]
        text = "<@UBOT> suggest " + BRIEF
        msg = slack.add_message("C1", text=text, user="U2", thread_ts=root.ts)
        await bot.event({"type": "app_mention", "channel": "C1", "user": "U2", "text": text, "ts": msg.ts,
                         "thread_ts": root.ts})
        await slack.wait_for(lambda: report(bot) != "", timeout=15, what="report")
        await handled(bot, deleted_event(msg.ts, text, root.ts))
        await bot.settle()
        line = ("The description given to `@ftcheck suggest` was deleted, so its suggestions were removed from the "
                "cards.")
        assert report(bot) == "" and any(m.text == line for m in bot.thread()), [m.text for m in bot.thread()]
        shown = next(m for m in bot.thread() if m.text == line)
        assert "`@ftcheck suggest`" in str(shown.blocks)  # the bot's own code span, not an escaped lookalike
