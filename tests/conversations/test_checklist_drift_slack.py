"""The review's Slack repro: a team checklist's options change (Yes/Partly/No to Pass/Fail, one question swapped)
after an evaluation completed. The re-evaluation reminder, /ftcheck summary and history keep working and keep the
result it was decided with; a re-evaluation pre-fills only what the checklist still offers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis.asyncio as aioredis

from conversations.store import Store
from scoring.verdict import CHANGED_SINCE
from tests.bot.harness import running_bot
from tests.bot.test_leads import ask, people
from tests.bot.test_reminders_slack import reminders
from tests.conversations.test_checklist_drift import PASS_FAIL, YES_PARTLY_NO, gate_dir
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn


async def test_reminder_summary_and_history_survive_new_answer_options(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path) -> None:
    people(slack)
    before = gate_dir(tmp_path, "cl1", YES_PARTLY_NO, ("alpha", "beta", "gamma"))
    after = gate_dir(tmp_path, "cl2", PASS_FAIL, ("alpha", "gamma", "delta"))
    async with running_bot(slack, redis_server.url, FTCHECK_CHECKLIST_DIR=str(before)) as bot:
        await bot.command("start Gate --checklist team-gate")
        for key in ("partly", "no", "yes"):
            await slack.wait_for(lambda: bot.open_card() is not None, what="card")
            card = bot.open_card()
            assert card is not None
            await bot.click(card, f"answer_{key}")
            await slack.wait_for(lambda c=card: bot._closed(c, "C1"), what="answered")  # type: ignore[misc]
        await slack.wait_for(lambda: bot.scorecard() is not None, what="scorecard")
        await bot.settle(0.05)
    async with running_bot(slack, redis_server.url, FTCHECK_CHECKLIST_DIR=str(after)) as bot:
        assert await bot.runtime.reminders.tick(datetime.now(UTC) + timedelta(days=100)) == 1  # 0: KeyError 0.5
        (reminder,) = reminders(slack)
        assert reminder.text == f"Time to re-evaluate Gate: last time ⛔ No go — 1.5/3 ({CHANGED_SINCE})."
        summary = await ask(bot, "summary Gate")
        assert f":no_entry: *No go* — 1.5/3 ({CHANGED_SINCE})" in summary, summary
        assert "q1 (alpha): 0.5 (no longer an option)" in summary
        history = await ask(bot, "history Gate")
        assert f":no_entry: *No go* — 1.5/3 ({CHANGED_SINCE})" in history, history
        await bot.click(reminder, "reeval_start")
        await slack.wait_for(lambda: bot.open_card() is not None, what="the re-evaluation's first card")
        newest = (await Store(redis_client).channel_evaluations("T0001", "C1"))[0]
        assert newest.status == "in_progress" and newest.prefill == {"gamma": 1.0}  # not alpha's 0.5, not beta
