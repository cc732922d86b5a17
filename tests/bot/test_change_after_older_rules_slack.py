"""In Slack, over a real Redis: a team raises its checklist's bar after an evaluation was decided; a change of one
answer afterwards decides the evaluation anew with today's rules, and the thread's reply says the rules moved the
decision, not the change (review R1)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import redis.asyncio as aioredis

from tests.bot.harness import Bot, message_texts, ref_of, running_bot
from tests.bot.test_checklist_drift_followups_slack import QUESTIONS, gate_started
from tests.conversations.test_checklist_drift import YES_PARTLY_NO, gate_dir
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn


def _bar_raised(root: Path) -> Path:
    """The team gate with its Go band moved from 2 to 3 points: the same answers, another decision."""
    folder = gate_dir(root, "raised", YES_PARTLY_NO, QUESTIONS)
    yaml = folder / "team.yaml"
    yaml.write_text(yaml.read_text().replace("go: true, min_score: 2}", "go: true, min_score: 3}"))
    return folder


async def _change(bot: Bot, question: str, option: str, user: str) -> None:
    card = bot.cards(question)[-1]
    await bot.select(card, option, user=user)
    await bot.slack.wait_for(lambda: f"<@{user}>" in message_texts(next(m for m in bot.thread() if m.ts == card.ts)),
                             what=f"{question} changed")
    await bot.settle()
    await asyncio.sleep(0.3)  # a reply owed would be posted by now
    await bot.settle()


async def test_a_change_under_a_raised_bar_says_the_rules_moved_the_decision(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path) -> None:
    await gate_started(slack, redis_server.url, gate_dir(tmp_path, "cl1", YES_PARTLY_NO, QUESTIONS),
                       ("yes", "yes", "no"))  # 2/3: Go
    async with running_bot(slack, redis_server.url, FTCHECK_CHECKLIST_DIR=str(_bar_raised(tmp_path))) as bot:
        await _change(bot, "gamma", "partly", "U3")  # 2.5/3: under the raised bar still No go, as 2/3 would be
        replies = [m for m in bot.thread() if ":post_decision_change:" in ref_of(m)]
        assert len(replies) == 1, [m.text for m in bot.thread()]
        text = replies[0].text
        assert text.startswith(
            "Gate is now :no_entry: *No go* (was :white_check_mark: *Go*), 2.5/3 (was 2/3): <@U3> changed q3 "
            "(gamma) from *No* (<@U1>) to *Partly*. Not because of this change: the checklist's rules changed "
            "since this evaluation was decided (with the answers before this change, today's rules give :no_entry: "
            "*No go*, 2/3), and the scorecard now follows today's rules. Details in <"), text
