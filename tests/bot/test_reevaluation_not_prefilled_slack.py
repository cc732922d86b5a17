"""A re-evaluation started on Slack after the team changed its checklist file says, once, in its thread's first
message, which of last time's answers are not pre-filled and why (review follow-up: only the reminder said so, and a
re-evaluation started from the Home tab or the reminder's button showed questions without last time's answer and no
word why). It says nothing when every answer carries over, and goes once the evaluation is finished.

`/ftcheck start <project>` of a project with a result in the channel is a re-evaluation too and says the same;
with ``--fresh`` nothing is pre-filled, so there is nothing to explain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis.asyncio as aioredis

from bot.blocks.leads import REEVAL_START
from conversations.models import Evaluation
from conversations.store import Store
from tests.bot.harness import Bot, running_bot
from tests.bot.test_checklist_drift_followups_slack import BETA_DROPPED, QUESTIONS, click_through, gate_started
from tests.bot.test_home_tab import click_on_home
from tests.bot.test_leads import open_home, people, texts
from tests.bot.test_reminders_slack import reminders
from tests.conversations.test_checklist_drift import PASS_FAIL, YES_PARTLY_NO, gate_dir
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Message

NOTICE = ("*Not pre-filled from last time* (the checklist has changed since): q1 (alpha), as its answer then (0.5) is "
          "no longer an option; 1 answer, as its question is no longer in the checklist.")


def root(slack: SlackStandIn) -> Message:
    """The newest evaluation's first message (reminders are top-level messages too)."""
    roots = ("Evaluation of", "Re-evaluation of")  # a re-evaluation's says so, as its header does
    return [m for m in slack.messages("C1", top_level=True) if m.text.startswith(roots)][-1]


def notes(msg: Message) -> list[str]:
    """The texts of a message's context blocks."""
    return [el["text"] for b in msg.blocks if b["type"] == "context" for el in b["elements"]]


@asynccontextmanager
async def changed_since(slack: SlackStandIn, redis_url: str, tmp_path: Path) -> AsyncIterator[Bot]:
    """Gate scored Partly / No / Yes on Yes/Partly/No; then its file changed to Pass/Fail with beta dropped: the bot
    on the new file (alpha's Partly is no option now, beta is gone, gamma's Yes carries over as Pass)."""
    people(slack)
    await gate_started(slack, redis_url, gate_dir(tmp_path, "cl1", YES_PARTLY_NO, QUESTIONS), ("partly", "no", "yes"))
    async with running_bot(slack, redis_url,
                           FTCHECK_CHECKLIST_DIR=str(gate_dir(tmp_path, "cl2", PASS_FAIL, BETA_DROPPED))) as bot:
        yield bot


async def newest(redis_client: aioredis.Redis) -> Evaluation:
    return (await Store(redis_client).channel_evaluations("T0001", "C1"))[0]


async def reevaluation_opened(bot: Bot) -> Message:
    """The re-evaluation's first message, once its first card is out and the thread has gone quiet."""
    await bot.slack.wait_for(lambda: "Re-evaluation: Gate" in texts(root(bot.slack).blocks), what="the new thread")
    await bot.slack.wait_for(lambda: bot.open_card() is not None, what="its first card")
    await bot.settle(0.05)
    return root(bot.slack)


async def started_from_home(bot: Bot, redis_client: aioredis.Redis) -> Message:
    await open_home(bot, "U1")
    await click_on_home(bot, "U1", REEVAL_START, (await newest(redis_client)).id)
    return await reevaluation_opened(bot)


async def test_a_reevaluation_started_from_home_says_in_its_first_message_what_is_not_prefilled(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path) -> None:
    async with changed_since(slack, redis_server.url, tmp_path) as bot:
        first = await started_from_home(bot, redis_client)
        assert notes(first) == [NOTICE]
        assert [m.ts for m in slack.thread("C1", first.ts)] == [first.ts, bot.open_card().ts]  # type: ignore[union-attr]
        alpha = bot.open_card()
        assert alpha is not None and "Last time" not in texts(alpha.blocks)  # the card the notice explains
        gamma = await answered(bot, alpha, "pass")
        assert "Last time: *Pass*" in texts(gamma.blocks)
        await slack.wait_for(lambda: "1 of 3 answered" in texts(root(slack).blocks), what="the first message redrawn")
        assert notes(root(slack)) == [NOTICE, "Answered by <@U1> (1)"]  # it stays while the walk goes on
        await click_through(bot, ("pass", "pass"))
        await slack.wait_for(lambda: bot.scorecard() is not None, what="the scorecard")
        await slack.wait_for(lambda: "Go" in texts(root(slack).blocks), what="the first message's verdict")
        assert not [n for n in notes(root(slack)) if "pre-filled" in n]  # finished: no longer news
        assert len(slack.thread("C1", first.ts)) == 5  # root, three cards, scorecard: no message of its own


async def answered(bot: Bot, card: Message, key: str) -> Message:
    await bot.click(card, f"answer_{key}")
    return await bot.next_card(card)


async def test_the_reminders_button_opens_a_thread_that_says_what_the_reminder_said(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path) -> None:
    async with changed_since(slack, redis_server.url, tmp_path) as bot:
        assert await bot.runtime.reminders.tick(datetime.now(UTC) + timedelta(days=100)) == 1
        (reminder,) = reminders(slack)
        assert notes(reminder)[-1].endswith(f" {NOTICE}")  # one wording: the reminder's and the thread's
        await bot.click(reminder, REEVAL_START)
        assert notes(await reevaluation_opened(bot)) == [NOTICE]


async def test_nothing_carried_over_says_nothing_is_prefilled(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path) -> None:
    people(slack)
    await gate_started(slack, redis_server.url, gate_dir(tmp_path, "cl1", YES_PARTLY_NO, QUESTIONS),
                       ("partly", "partly", "partly"))
    async with running_bot(slack, redis_server.url,
                           FTCHECK_CHECKLIST_DIR=str(gate_dir(tmp_path, "cl4", PASS_FAIL, QUESTIONS))) as bot:
        assert notes(await started_from_home(bot, redis_client)) == [
            "*Nothing pre-filled from last time* (the checklist has changed since): q1 (alpha), q2 (beta) and q3 "
            "(gamma), as their answer then (0.5) is no longer an option."]


async def test_every_answer_carried_over_says_nothing(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path) -> None:
    people(slack)
    same = gate_dir(tmp_path, "cl1", YES_PARTLY_NO, QUESTIONS)
    await gate_started(slack, redis_server.url, same, ("partly", "no", "yes"))
    async with running_bot(slack, redis_server.url, FTCHECK_CHECKLIST_DIR=str(same)) as bot:
        first = await started_from_home(bot, redis_client)
        assert notes(first) == []
        assert "Last time: *Partly*" in texts(bot.open_card().blocks)  # type: ignore[union-attr]


async def test_a_change_during_the_reevaluation_is_named_in_its_first_message(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path) -> None:
    """Everything carried over at the start; then Yes/Partly/No became Pass/Fail: beta's Partly is no default any
    more, and the first message says so when the walk moves on."""
    people(slack)
    before = gate_dir(tmp_path, "cl1", YES_PARTLY_NO, QUESTIONS)
    await gate_started(slack, redis_server.url, before, ("yes", "partly", "yes"))
    async with running_bot(slack, redis_server.url, FTCHECK_CHECKLIST_DIR=str(before)) as bot:
        assert notes(await started_from_home(bot, redis_client)) == []
    async with running_bot(slack, redis_server.url,
                           FTCHECK_CHECKLIST_DIR=str(gate_dir(tmp_path, "cl4", PASS_FAIL, QUESTIONS))) as bot:
        alpha = bot.open_card()
        assert alpha is not None
        await bot.click(alpha, "answer_yes")  # drawn with Yes/Partly/No: refused, and the card redrawn
        await slack.wait_for(lambda: "answer_pass" in str(bot.open_card().blocks),  # type: ignore[union-attr]
                             what="alpha redrawn with Pass / Fail")
        redrawn = bot.open_card()
        assert redrawn is not None and redrawn.ts == alpha.ts
        beta = await answered(bot, redrawn, "pass")
        assert "Last time" not in texts(beta.blocks)
        await slack.wait_for(lambda: "1 of 3 answered" in texts(root(slack).blocks), what="the first message redrawn")
        assert notes(root(slack))[0] == (
            "*Not pre-filled from last time* (the checklist has changed since): q2 (beta), as its answer then (0.5) "
            "is no longer an option.")
        assert (await newest(redis_client)).not_prefilled == {"beta": 0.5}


async def test_slash_start_of_a_project_with_a_result_is_a_reevaluation_that_says_the_same(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path) -> None:
    async with changed_since(slack, redis_server.url, tmp_path) as bot:
        await bot.command("start Gate --checklist team-gate")
        assert notes(await reevaluation_opened(bot)) == [NOTICE]
        ev = await newest(redis_client)
        assert ev.previous_id is not None and ev.prefill == {"gamma": 1.0}


async def test_slash_start_fresh_of_a_project_with_a_result_has_no_notice(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path) -> None:
    async with changed_since(slack, redis_server.url, tmp_path) as bot:
        await bot.command("start Gate --checklist team-gate --fresh")
        await slack.wait_for(lambda: "Evaluation: Gate" in texts(root(slack).blocks), what="the new thread")
        await slack.wait_for(lambda: bot.open_card() is not None, what="its first card")
        await bot.settle(0.05)
        assert notes(root(slack)) == []
        ev = await newest(redis_client)
        assert ev.previous_id is None and ev.prefill == {} and ev.not_prefilled == {}
