"""A team checklist that turns bad (or goes away) after evaluations were started with it.

The server is restarted with the broken file (the registry is built at start-up): people who click, ask for the
status, a summary or an export are told which checklist cannot be loaded and why, and that nothing was lost; the
background ticks postpone that evaluation with one warning instead of failing on every tick, closing it as
abandoned or dropping what it owes. Nothing stored changes.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
import structlog
import yaml

from bot.replies import checklist_unavailable_text
from conversations import flow
from conversations.due_queues import IDLE_DUE, OUTBOX_DUE
from conversations.effects import UpdateRoot
from conversations.models import Evaluation, utcnow
from conversations.reminders import DUE
from conversations.store import Store
from scoring.checklist import BUILTIN_DIR, Registry, UnknownChecklist
from tests.bot.harness import Bot, running_bot
from tests.bot.test_leads import open_home
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

TEAM_ID, TITLE = "team-gate", "Team gate"
BROKEN = ("This evaluation uses the checklist “Team gate”, which can't be loaded right now (its file team-gate.yaml "
          "failed validation), so nothing from this {what} was recorded. Your answers so far are safe. Ask whoever "
          "runs ftcheck to fix that file; `ftcheck checklists` lists its problems.")
GONE = ("This evaluation uses the checklist “team-gate”, which can't be loaded right now (no checklist file with "
        "that id was found in FTCHECK_CHECKLIST_DIR: it may have been removed, renamed or given another id), so "
        "nothing from this {what} was recorded. Your answers so far are safe. Ask whoever runs ftcheck to put the "
        "checklist file back; `ftcheck checklists` lists what loads and what was skipped.")


def team_file(directory: Path) -> Path:
    """The built-in dataset readiness gate (3 questions, Pass / Fail) as a team's own checklist."""
    data: dict[str, Any] = yaml.safe_load((BUILTIN_DIR / "dataset-readiness.yaml").read_text(encoding="utf-8"))
    data["id"], data["title"] = TEAM_ID, TITLE
    path = directory / "team-gate.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def break_file(path: Path) -> None:
    """A later edit leaves question 2 without its "why": the file fails validation at the next start."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["questions"][1]["why"]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


async def start_team_walk(bot: Bot, project: str, answers: int) -> Evaluation:
    """Start ``project`` on the team checklist and click Pass on its first ``answers`` cards."""
    status, _ = await bot.command(f"start {project} --checklist {TEAM_ID}")
    assert status == 200
    await bot.slack.wait_for(lambda: bot.open_card() is not None, what="the first card")
    for _ in range(answers):
        card = bot.open_card()
        assert card is not None
        status, _ = await bot.click(card, "answer_pass")
        assert status == 200
        await bot.slack.wait_for(lambda c=card: bot._closed(c, "C1"), what="the card answered")  # type: ignore[misc]
    await bot.settle()
    evs = await bot.runtime.services.store.channel_evaluations("T0001", "C1")
    return next(ev for ev in evs if ev.project == project)


async def ephemeral_after(bot: Bot, before: int) -> str:
    await bot.slack.wait_for(lambda: len(bot.slack.ephemerals("C1")) > before, what="an ephemeral reply")
    return bot.slack.ephemerals("C1")[-1].text


async def test_a_walk_whose_team_checklist_broke_says_which_and_why_and_keeps_its_answers(
        tmp_path: Path, slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    path = team_file(tmp_path)
    async with running_bot(slack, redis_server.url, FTCHECK_CHECKLIST_DIR=str(tmp_path)) as bot:
        status, _ = await bot.command("start Ranker")  # a built-in checklist: it keeps working throughout
        assert status == 200
        await slack.wait_for(lambda: bot.open_card() is not None, what="Ranker's first card")
        ev = await start_team_walk(bot, "Router", answers=1)
    break_file(path)
    store = Store(redis_client)
    before = await store.get(ev.id)
    assert before is not None and before.value("production_data") == 1.0
    async with running_bot(slack, redis_server.url, FTCHECK_CHECKLIST_DIR=str(tmp_path)) as bot:
        assert [p.path for p in bot.runtime.services.registry.problems] == [path]
        card = bot.open_card()
        assert card is not None  # question 2's card, posted before the restart
        seen = len(slack.ephemerals("C1"))
        status, _ = await bot.click(card, "answer_pass", user="U2")
        assert status == 200
        assert await ephemeral_after(bot, seen) == BROKEN.format(what="click")

        problem = ("*Router*: uses the checklist “Team gate”, which can't be loaded right now (its file team-gate.yaml "
                   "failed validation). Its answers so far are safe. Ask whoever runs ftcheck to fix that file; "
                   "`ftcheck checklists` lists its problems.")
        status_lines = (await bot.reply_to("status")).splitlines()
        assert status_lines[0] == "*2 evaluations in progress in this channel:*"
        assert status_lines[1].startswith(f"• {problem} <https://"), status_lines
        assert status_lines[2].startswith("• *Ranker*: 0 of 20 answered. Waiting for q1."), status_lines
        listed = await bot.reply_to("list")
        assert f"• {problem} In <#C1>." in listed and "• *Ranker* in <#C1> — in progress" in listed, listed
        assert "*Ranker*" in await bot.reply_to("summary")
        assert "uses the checklist “Team gate”" in await bot.reply_to("history Router")
        assert await bot.reply_to("summary Router") == BROKEN.format(what="command")
        assert await bot.reply_to("export Router") == BROKEN.format(what="command")
        assert "but it uses the checklist “Team gate”" in await bot.reply_to("start Router")
        home = await open_home(bot, "U1")  # the other projects' rows are still drawn
        assert ("*Router* in <#C1>\n:warning: Uses the checklist “Team gate”, which can't be loaded right now (its "
                "file team-gate.yaml failed validation). Its answers so far are safe.") in home, home
        assert "*Ranker* in <#C1>" in home, home
        after = await store.get(ev.id)
        assert after is not None and after.version == before.version and after.answers == before.answers


async def test_the_ticks_postpone_an_evaluation_whose_checklist_broke_with_one_warning(
        tmp_path: Path, slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    path = team_file(tmp_path)
    async with running_bot(slack, redis_server.url, FTCHECK_CHECKLIST_DIR=str(tmp_path)) as bot:
        ev = await start_team_walk(bot, "Router", answers=1)
    path.unlink()  # removed: the id is no longer in any file
    store = Store(redis_client)

    def owes_and_nudged(e: Evaluation) -> None:  # a root redraw still owed; nudged long ago, so due for closing
        flow.owe(e, [UpdateRoot()])
        e.idle_nudged, e.idle_check_at = True, utcnow() - timedelta(days=60)

    await store.update(ev.id, owes_and_nudged, by="test")
    before = await store.get(ev.id)
    assert before is not None and before.pending
    async with running_bot(slack, redis_server.url, FTCHECK_CHECKLIST_DIR=str(tmp_path)) as bot:
        seen = len(slack.ephemerals("C1"))
        card = bot.open_card()
        assert card is not None
        await bot.click(card, "answer_fail", user="U2")
        assert await ephemeral_after(bot, seen) == GONE.format(what="click")
        runtime = bot.runtime
        with structlog.testing.capture_logs() as logs:
            now = time.time() + 10
            assert await runtime.outbox.tick(now) == 1
            assert await runtime.outbox.tick(now + 10) == 0  # postponed: not claimed on every tick
            later = utcnow() + timedelta(days=90)
            await runtime.reminders.tick(later)
            await runtime.reminders.tick(later + timedelta(seconds=5))
        problems = [e for e in logs if e["log_level"] in ("warning", "error", "critical")]
        assert [(e["event"], e.get("evaluation")) for e in problems] == [
            ("outbox_checklist_unavailable", ev.id), ("idle_checklist_unavailable", ev.id)], problems
        assert all("exc_info" not in e for e in problems)
        assert problems[0]["checklist"] == TEAM_ID and "no checklist file with that id" in problems[0]["reason"]
        after = await store.get(ev.id)
        assert after is not None
        assert after.status == "in_progress" and after.version == before.version  # not closed as abandoned
        assert after.answers == before.answers and after.pending == before.pending  # nothing given up
        assert await redis_client.zscore(OUTBOX_DUE, ev.id) is not None  # still owed, held for later
        assert await redis_client.zscore(IDLE_DUE, ev.id) is not None  # looked at again later
        assert not [m for m in bot.thread() if "closed" in m.text.lower()]


async def test_a_reminder_for_an_evaluation_whose_checklist_broke_waits_instead_of_failing_every_minute(
        tmp_path: Path, slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    path = team_file(tmp_path)
    async with running_bot(slack, redis_server.url, FTCHECK_CHECKLIST_DIR=str(tmp_path)) as bot:
        ev = await start_team_walk(bot, "Router", answers=3)
        assert (await bot.runtime.services.store.get(ev.id)).status == "completed"  # type: ignore[union-attr]
        assert await redis_client.zscore(DUE, ev.id) is not None
    break_file(path)
    async with running_bot(slack, redis_server.url, FTCHECK_CHECKLIST_DIR=str(tmp_path)) as bot:
        posts = len(slack.calls_to("chat.postMessage"))
        later = utcnow() + timedelta(days=400)
        with structlog.testing.capture_logs() as logs:
            assert await bot.runtime.reminders.tick(later) == 0
            assert await bot.runtime.reminders.tick(later + timedelta(minutes=2)) == 0
        problems = [e for e in logs if e["log_level"] in ("warning", "error", "critical")]
        assert [(e["event"], e.get("evaluation")) for e in problems] == [("reminder_checklist_unavailable", ev.id)]
        due = await redis_client.zscore(DUE, ev.id)
        assert due is not None and due > (later + timedelta(minutes=30)).timestamp()  # kept, for later
        assert len(slack.calls_to("chat.postMessage")) == posts
        assert await bot.reply_to("summary Router") == BROKEN.format(what="command")


def test_the_registry_says_why_a_checklist_id_is_not_loaded(tmp_path: Path) -> None:
    path = team_file(tmp_path)
    assert Registry(tmp_path).get(TEAM_ID).title == TITLE
    break_file(path)
    with pytest.raises(UnknownChecklist) as info:
        Registry(tmp_path).get(TEAM_ID)
    exc = info.value
    assert isinstance(exc, KeyError) and exc.problem is not None and exc.problem.path == path
    assert (exc.name, exc.reason) == (TITLE, "its file team-gate.yaml failed validation")
    assert exc.args[0].startswith("unknown checklist 'team-gate' (its file team-gate.yaml was skipped: it failed "
                                  "validation); available: dataset-readiness")  # `--checklist team-gate` typed
    assert checklist_unavailable_text(exc, "click") == BROKEN.format(what="click")

    path.write_text("id: [unclosed\n", encoding="utf-8")  # no id can be read from it any more
    with pytest.raises(UnknownChecklist) as info:
        Registry(tmp_path).get(TEAM_ID)
    assert (info.value.name, info.value.problem) == (TEAM_ID, None)
    assert info.value.reason.endswith("or be the file there that was skipped before its id could be read")
    path.unlink()
    with pytest.raises(UnknownChecklist) as info:
        Registry(tmp_path).get(TEAM_ID)
    assert checklist_unavailable_text(info.value, "click") == GONE.format(what="click")
    with pytest.raises(UnknownChecklist) as info:
        Registry().get(TEAM_ID)
    assert "no team checklist directory is set (FTCHECK_CHECKLIST_DIR)" in checklist_unavailable_text(info.value)
    assert "set FTCHECK_CHECKLIST_DIR again" in checklist_unavailable_text(info.value)


async def test_deleting_an_evaluation_whose_checklist_broke_says_it_was_deleted(
        tmp_path: Path, slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    path = team_file(tmp_path)
    async with running_bot(slack, redis_server.url, FTCHECK_CHECKLIST_DIR=str(tmp_path)) as bot:
        ev = await start_team_walk(bot, "Router", answers=1)
    break_file(path)
    async with running_bot(slack, redis_server.url, FTCHECK_CHECKLIST_DIR=str(tmp_path)) as bot:
        assert "/ftcheck delete Router" in await bot.reply_to("start Router")  # the advice the bot gives
        reply = await bot.reply_to("delete Router")
        stored = await Store(redis_client).get(ev.id)
        assert stored is not None and stored.status == "deleted"
        assert "Deleted" in reply and "1 answer recorded, unfinished" in reply, reply
        assert "nothing from this command was recorded" not in reply, reply


async def test_a_re_evaluation_whose_checklist_broke_leaves_the_completed_result_shown(
        tmp_path: Path, slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    path = team_file(tmp_path)
    async with running_bot(slack, redis_server.url, FTCHECK_CHECKLIST_DIR=str(tmp_path)) as bot:
        status, _ = await bot.command("start Router --checklist dataset-readiness")  # built in: it keeps loading
        assert status == 200
        await slack.wait_for(lambda: bot.open_card() is not None, what="the first card")
        for _ in range(3):
            card = bot.open_card()
            assert card is not None
            await bot.click(card, "answer_pass")
            await slack.wait_for(lambda c=card: bot._closed(c, "C1"), what="answered")  # type: ignore[misc]
        await bot.settle()
        await start_team_walk(bot, "Router", answers=1)  # a re-evaluation on the team checklist, in progress
    break_file(path)
    problem = ("A re-evaluation in progress uses the checklist “Team gate”, which can't be loaded right now (its "
               "file team-gate.yaml failed validation); its answers so far are safe.")
    async with running_bot(slack, redis_server.url, FTCHECK_CHECKLIST_DIR=str(tmp_path)) as bot:
        home = await open_home(bot, "U1")
        assert "3/3" in home and f":warning: {problem}" in home, home
        assert "Start re-evaluation" not in home, home  # one is in progress already
        summary = await bot.reply_to("summary Router")
        assert "3/3" in summary and f":warning: {problem} <https://" in summary, summary
        listed = await bot.reply_to("list")
        assert "3/3" in listed and f" · {problem}" in listed, listed
