"""A team changes its checklist file while the bot runs on it (review follow-ups), in Slack: a card whose question
was dropped, a card whose buttons are options no longer offered, what a re-evaluation's reminder says it carries over,
and leads' views that compare totals scored with different versions of the checklist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis.asyncio as aioredis

from conversations.store import Store
from scoring.scorecard import CHANGED_SINCE_LAST
from tests.bot.harness import Bot, running_bot
from tests.bot.test_leads import ask, open_home, people, texts
from tests.bot.test_reminders_slack import reminders
from tests.conversations.test_checklist_drift import PASS_FAIL, YES_PARTLY_NO, gate_dir
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

QUESTIONS = ("alpha", "beta", "gamma")
BETA_DROPPED = ("alpha", "gamma", "delta")


async def click_through(bot: Bot, keys: tuple[str, ...]) -> None:
    """Answer the open cards in turn with these option keys."""
    for key in keys:
        await bot.slack.wait_for(lambda: bot.open_card() is not None, what="a card")
        card = bot.open_card()
        assert card is not None
        await bot.click(card, f"answer_{key}")
        await bot.slack.wait_for(lambda c=card: bot._closed(c, "C1"), what=f"{key} taken")  # type: ignore[misc]


async def gate_started(slack: SlackStandIn, redis_url: str, folder: Path, keys: tuple[str, ...]) -> None:
    """`/ftcheck start Gate` on the team gate of ``folder``, answered with ``keys`` (all of them: the scorecard)."""
    async with running_bot(slack, redis_url, FTCHECK_CHECKLIST_DIR=str(folder)) as bot:
        await bot.command("start Gate --checklist team-gate")
        await click_through(bot, keys)
        if len(keys) == len(QUESTIONS):
            await slack.wait_for(lambda: bot.scorecard() is not None, what="the scorecard")
        else:
            await slack.wait_for(lambda: bot.open_card() is not None, what="the next card")
        await bot.settle(0.05)


async def test_a_card_whose_question_was_dropped_says_so_and_the_walk_goes_on(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path) -> None:
    """Review finding: beta's card was out when the team dropped beta. `/ftcheck status` failed with KeyError, and a
    click on the card recorded an answer to a question no longer asked (its redraw then failed in the outbox)."""
    people(slack)
    await gate_started(slack, redis_server.url, gate_dir(tmp_path, "cl1", YES_PARTLY_NO, QUESTIONS), ("yes",))
    async with running_bot(slack, redis_server.url,
                           FTCHECK_CHECKLIST_DIR=str(gate_dir(tmp_path, "cl3", YES_PARTLY_NO, BETA_DROPPED))) as bot:
        status = await ask(bot, "status")
        assert "Its open card asks a question that is no longer in the checklist" in status, status
        beta = bot.open_card()
        assert beta is not None and "Beta ready?" in texts(beta.blocks)
        await bot.click(beta, "answer_partly")
        gamma = await bot.next_card(beta)
        assert "*Question 2 of 3* · Stuff\n*Gamma ready?*" in texts(gamma.blocks)
        await slack.wait_for(lambda: any("no longer in the checklist" in e.text for e in slack.ephemerals("C1")),
                             what="the notice")  # it follows the delivery, which may still be drawing
        (notice,) = [e.text for e in slack.ephemerals("C1") if "no longer in the checklist" in e.text]
        assert notice == ("This card's question is no longer in the checklist (the team changed its checklist after "
                          "the card was posted), so nothing was recorded; the evaluation goes on without it.")
        (ev,) = await Store(redis_client).channel_evaluations("T0001", "C1")
        assert "beta" not in ev.answers and ev.status == "in_progress"
        assert "Waiting for q2." in await ask(bot, "status")
        await bot.click(beta, "answer_yes")  # the old card again: told once more, nothing recorded
        await slack.wait_for(lambda: len([e for e in slack.ephemerals("C1") if "no longer in the checklist" in e.text])
                             == 2, what="the second notice")
        await click_through(bot, ("yes", "yes"))
        await slack.wait_for(lambda: bot.scorecard() is not None, what="the scorecard")
        assert not [e for e in slack.ephemerals("C1") if "could not handle" in e.text]


async def test_an_answer_button_of_options_changed_since_is_refused_and_the_card_redrawn(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path) -> None:
    """Review finding: "Partly" on a card posted before Yes/Partly/No became Pass/Fail gave "Sorry — ftcheck could not
    handle that click" (KeyError inside the transition, read as "no such evaluation"), and every button of the card
    did the same, so the question could not be answered at all."""
    people(slack)
    await gate_started(slack, redis_server.url, gate_dir(tmp_path, "cl1", YES_PARTLY_NO, QUESTIONS), ())
    async with running_bot(slack, redis_server.url,
                           FTCHECK_CHECKLIST_DIR=str(gate_dir(tmp_path, "cl4", PASS_FAIL, QUESTIONS))) as bot:
        alpha = bot.open_card()
        assert alpha is not None
        await bot.click(alpha, "answer_partly")
        await slack.wait_for(lambda: bool(slack.ephemerals("C1")), what="the refusal")
        (notice,) = [e.text for e in slack.ephemerals("C1")]
        assert notice == ("That button is no longer an answer to q1: the team changed its checklist's answers to Pass "
                          "/ Fail, so nothing was recorded. The card now shows today's buttons: answer there.")
        await slack.wait_for(lambda: "answer_pass" in str(bot.open_card().blocks),  # type: ignore[union-attr]
                             what="the card redrawn with today's buttons")
        redrawn = bot.open_card()
        assert redrawn is not None and redrawn.ts == alpha.ts
        assert [el["text"]["text"] for el in bot.element_list(redrawn)] == ["Pass", "Fail", "Not sure"]
        (ev,) = await Store(redis_client).channel_evaluations("T0001", "C1")
        assert ev.answers == {}
        await bot.click(redrawn, "answer_pass")
        await bot.next_card(redrawn)
        (ev,) = await Store(redis_client).channel_evaluations("T0001", "C1")
        assert ev.value("alpha") == 1.0


async def test_the_reminder_says_which_answers_a_reevaluation_cannot_prefill(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path) -> None:
    """Review finding: after Yes/Partly/No became Pass/Fail and beta was dropped, the reminder still promised a thread
    "pre-filled with last time's answers" (q1's Partly and beta's No are not), and its gaps then left out beta."""
    people(slack)
    await gate_started(slack, redis_server.url, gate_dir(tmp_path, "cl1", YES_PARTLY_NO, QUESTIONS),
                       ("partly", "no", "yes"))
    async with running_bot(slack, redis_server.url,
                           FTCHECK_CHECKLIST_DIR=str(gate_dir(tmp_path, "cl2", PASS_FAIL, BETA_DROPPED))) as bot:
        assert await bot.runtime.reminders.tick(datetime.now(UTC) + timedelta(days=100)) == 1
        (reminder,) = reminders(slack)
        text = texts(reminder.blocks)
        assert ("*Gaps then:*\n• *q1 (alpha): 0.5 (no longer an option)* — Alpha ready?\n"
                "• *beta: Fail* — no longer in the checklist") in text, text
        assert text.endswith("Re-evaluation opens a new thread pre-filled with last time's answers; people confirm or "
                             "change each one. *Not pre-filled from last time* (the checklist has changed since): "
                             "q1 (alpha), as its answer then (0.5) is no longer an option; 1 answer, as its question "
                             "is no longer in the checklist."), text
        await bot.click(reminder, "reeval_start")
        await slack.wait_for(lambda: "Re-evaluation started by" in texts(reminders(slack)[0].blocks),
                             what="the reminder's outcome")
        assert "*beta: Fail* — no longer in the checklist" in texts(reminders(slack)[0].blocks)
        newest = (await Store(redis_client).channel_evaluations("T0001", "C1"))[0]
        assert newest.prefill == {"gamma": 1.0}  # what the reminder said: all but q1 and beta


async def test_leads_views_do_not_subtract_totals_scored_with_another_version_of_the_checklist(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path) -> None:
    """Review finding: summary, history and the Home tab said "+1.5 since" between 1.5/3 (alpha, beta, gamma) and
    3/3 (alpha, gamma, delta)."""
    people(slack)
    await gate_started(slack, redis_server.url, gate_dir(tmp_path, "cl1", YES_PARTLY_NO, QUESTIONS),
                       ("partly", "no", "yes"))
    async with running_bot(slack, redis_server.url,
                           FTCHECK_CHECKLIST_DIR=str(gate_dir(tmp_path, "cl3", YES_PARTLY_NO, BETA_DROPPED))) as bot:
        await bot.command("start Gate --checklist team-gate")
        await click_through(bot, ("yes", "yes", "yes"))
        await slack.wait_for(lambda: bot.scorecard() is not None, what="the re-evaluation's scorecard")
        await bot.settle(0.05)
        summary = await ask(bot, "summary Gate")
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        assert summary.startswith(f"*Gate* — :white_check_mark: *Go* — 3/3 · {day} (1.5/3): {CHANGED_SINCE_LAST}\n")
        assert "▰▰▰▰▰▰▰▰▰▰  3/3 Stuff\n" in summary  # no section difference either ("(+1.5)")
        assert CHANGED_SINCE_LAST in await ask(bot, "summary")
        history = await ask(bot, "history Gate")
        assert history.endswith("\n    No Δ total: the checklist changed in between, so the totals do not compare")
        assert "+1.5" not in summary + history
        home = await open_home(bot, "U1")
        assert f"*Go* — 3/3 · {day} (1.5/3): {CHANGED_SINCE_LAST}" in home and "trend" not in home, home


async def test_a_change_menu_drawn_before_the_options_changed_refuses_by_name(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path) -> None:
    """Review follow-up: "Change to Partly" on an answered card, after Yes/Partly/No became Pass/Fail, gave the
    generic "could not handle" error (KeyError on the option key) and left the person guessing."""
    people(slack)
    await gate_started(slack, redis_server.url, gate_dir(tmp_path, "cl1", YES_PARTLY_NO, QUESTIONS), ("yes",))
    async with running_bot(slack, redis_server.url,
                           FTCHECK_CHECKLIST_DIR=str(gate_dir(tmp_path, "cl4", PASS_FAIL, QUESTIONS))) as bot:
        answered = next(m for m in slack.messages("C1") if "change_answer" in str(m.blocks))
        await bot.select(answered, "partly")
        await slack.wait_for(lambda: bool(slack.ephemerals("C1")), what="the refusal")
        (notice,) = [e.text for e in slack.ephemerals("C1")]
        assert notice == ("That choice is no longer an answer to q1: the team changed its checklist's answers to "
                          "Pass / Fail, so nothing was changed.")
        (ev,) = await Store(redis_client).channel_evaluations("T0001", "C1")
        assert ev.value("alpha") == 1.0
