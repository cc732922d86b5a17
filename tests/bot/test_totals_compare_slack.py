"""In Slack: the first re-evaluation after an upgrade that changed a checklist's decision tree or bands (not its
questions or options) says "+1 since last time" in its thread scorecard and in leads' summary, history and Home,
also when the earlier result was stored before results kept a totals fingerprint. A checklist that dropped a question
in between still says the totals do not compare."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from conversations.store import Store, eval_key
from scoring.scorecard import CHANGED_SINCE_LAST
from tests.bot.harness import Bot, running_bot
from tests.bot.test_checklist_drift_followups_slack import BETA_DROPPED, QUESTIONS, click_through, gate_started
from tests.bot.test_leads import ask, open_home, people, texts
from tests.bot.test_start_prefill import ANSWERS, finished, second_thread
from tests.conversations.test_checklist_drift import YES_PARTLY_NO, gate_dir
from tests.scoring.test_totals_compare import FORMER
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn


async def as_before_the_upgrade(redis_client: aioredis.Redis, fingerprint: str | None = None) -> None:
    """Rewrite the channel's completed evaluation as a release before totals fingerprints stored it: no totals
    fingerprint, and ``fingerprint`` (the checklist's then) when given."""
    (done,) = await Store(redis_client).channel_evaluations("T0001", "C1")
    key = eval_key(done.id)
    raw = await redis_client.get(key)
    assert raw is not None
    data = json.loads(raw)
    data["decided"].pop("totals", None)
    data["decided"]["fingerprint"] = fingerprint or data["decided"]["fingerprint"]
    await redis_client.set(key, json.dumps(data))


async def leads_views(bot: Bot, project: str) -> tuple[str, str, str]:
    return await ask(bot, f"summary {project}"), await ask(bot, f"history {project}"), await open_home(bot, "U1")


async def test_the_readiness_checklists_first_reevaluation_after_its_tree_changed_says_the_change(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url) as bot:
        await finished(bot, "Triage")  # 12/20
    await as_before_the_upgrade(redis_client, FORMER[0])
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Triage")
        await second_thread(bot)
        await bot.answer_all({**ANSWERS, "q1": 1.0})  # q1 now Yes: one better than last time's 12/20
        await bot.slack.wait_for(lambda: bot.scorecard() is not None, what="the re-evaluation's scorecard")
        await bot.settle(0.05)
        card = bot.scorecard()
        assert card is not None
        assert "+1 since last time (12/20)." in texts(card.blocks), texts(card.blocks)
        summary, history, home = await leads_views(bot, "Triage")
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    assert f" · +1 since {day} (12/20)\n" in summary, summary
    assert "\n    Δ total +1 · Data &amp; Labeling +1," in history, history
    assert f"trend ▲ +1 since {day}" in home, home
    assert CHANGED_SINCE_LAST not in summary + history + home + texts(card.blocks)


async def test_a_fresh_start_after_a_result_stored_before_the_tree_changed_says_the_change(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """--fresh keeps none of last time's answers on the new evaluation: the earlier result's totals fingerprint is
    told from its own answers when the fresh one starts."""
    people(slack)
    async with running_bot(slack, redis_server.url) as bot:
        await finished(bot, "Triage")  # 12/20
    await as_before_the_upgrade(redis_client, FORMER[0])
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Triage --fresh")
        await second_thread(bot)
        await bot.answer_all({**ANSWERS, "q1": 1.0})
        await bot.slack.wait_for(lambda: bot.scorecard() is not None, what="the fresh evaluation's scorecard")
        await bot.settle(0.05)
        card = bot.scorecard()
        assert card is not None
        assert "+1 since last time (12/20)." in texts(card.blocks), texts(card.blocks)
        assert CHANGED_SINCE_LAST not in texts(card.blocks)


@pytest.mark.parametrize("stored_before", [False, True], ids=["new", "stored-before-the-upgrade"])
async def test_a_team_checklists_new_bands_leave_its_totals_comparable(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path,
        stored_before: bool) -> None:
    people(slack)
    await gate_started(slack, redis_server.url, gate_dir(tmp_path, "cl1", YES_PARTLY_NO, QUESTIONS),
                       ("partly", "no", "yes"))  # 1.5/3
    if stored_before:
        await as_before_the_upgrade(redis_client)
    stricter = gate_dir(tmp_path, "stricter", YES_PARTLY_NO, QUESTIONS)
    team = stricter / "team.yaml"
    team.write_text(team.read_text().replace("min_score: 2}", "min_score: 2.5}"))  # Go from 2.5 points, not 2
    text, summary, history = await reevaluated(slack, redis_server.url, stricter)
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    assert "+1.5 since last time (1.5/3)." in text, text
    assert f"3/3 · +1.5 since {day} (1.5/3)\n" in summary, summary
    assert "\n    Δ total +1.5 · Stuff +1.5" in history, history


async def test_a_question_dropped_since_a_result_stored_before_the_upgrade_still_does_not_compare(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path) -> None:
    people(slack)
    await gate_started(slack, redis_server.url, gate_dir(tmp_path, "cl1", YES_PARTLY_NO, QUESTIONS),
                       ("partly", "no", "yes"))  # 1.5/3
    await as_before_the_upgrade(redis_client)
    text, summary, history = await reevaluated(slack, redis_server.url,
                                               gate_dir(tmp_path, "cl3", YES_PARTLY_NO, BETA_DROPPED))
    assert f"Last time: 1.5/3; {CHANGED_SINCE_LAST}." in text and "+1.5" not in text, text
    assert CHANGED_SINCE_LAST in summary and "+1.5" not in summary, summary
    assert history.endswith("\n    No Δ total: the checklist changed in between, so the totals do not compare")


async def reevaluated(slack: SlackStandIn, redis_url: str, folder: Path) -> tuple[str, str, str]:
    """Re-evaluate Gate on the team gate of ``folder`` with every answer Yes: the thread's scorecard, then leads'
    summary and history of Gate."""
    async with running_bot(slack, redis_url, FTCHECK_CHECKLIST_DIR=str(folder)) as bot:
        await bot.command("start Gate --checklist team-gate")
        await click_through(bot, ("yes", "yes", "yes"))
        await slack.wait_for(lambda: bot.scorecard() is not None, what="the re-evaluation's scorecard")
        await bot.settle(0.05)
        card = bot.scorecard()
        assert card is not None
        return texts(card.blocks), await ask(bot, "summary Gate"), await ask(bot, "history Gate")
