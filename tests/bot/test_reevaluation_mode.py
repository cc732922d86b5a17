"""A re-evaluation started by `/ftcheck start <project>` scores the way the last evaluation did (review finding: after
a team vote, the command alone started a "first answer counts" re-evaluation, silently, while the reminder's Start
button kept the vote); `--quick` or `--vote` says otherwise, and the starter is told the change. And a stale
reminder's Start button, clicked while a re-evaluation is under way, takes its buttons off and links it (review
finding: only a private "already under way" came, and the message kept offering to start one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from bot import commands as cmd
from bot.blocks.leads import REEVAL_START
from bot.leads.reminders import scoring
from conversations.models import Evaluation
from tests.bot.harness import Bot, running_bot
from tests.bot.test_leads import people, texts
from tests.bot.test_reminders_slack import quarter_after, reminders
from tests.bot.test_start_prefill import ANSWERS, evaluations, second_thread
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn


@pytest.mark.parametrize(("text", "mode", "quorum"), [
    ("start Router", None, None),  # not said: a first evaluation is quick, a re-evaluation scores as last time
    ("start Router --quick", "quick", None),
    ("start Router —quick", "quick", None),  # smart punctuation
    ("start Router --vote", "vote", None),
    ("start Router --vote --quorum 2", "vote", 2),
    ("start Router --quorum 2", "vote", 2),  # a quorum alone asks for a vote (it was refused with another example)
])
def test_start_says_how_to_score_only_when_typed(text: str, mode: str | None, quorum: int | None) -> None:
    command = cmd.parse(text)
    assert (command.project, command.mode, command.quorum) == ("Router", mode, quorum)


@pytest.mark.parametrize(("text", "refusal"), [
    ("start Router --vote --quick", "Pick one: `--vote`"),
    ("start Router --quick --quorum 2", "`--quorum` goes with `--vote`"),
])
def test_contradictory_start_options_are_refused(text: str, refusal: str) -> None:
    with pytest.raises(cmd.CommandError, match=refusal.replace("`", ".")):
        cmd.parse(text)


def previous(mode: str, quorum: int) -> Evaluation:
    return Evaluation.model_validate({"id": "e1", "team": "T", "channel": "C", "project": "P", "project_key": "p",
                                      "checklist": "fine-tuning-readiness", "started_by": "U1",
                                      "started_at": datetime.now(UTC), "mode": mode, "quorum": quorum})


@pytest.mark.parametrize(("last", "asked", "scored"), [
    (("vote", 2), (None, None), ("vote", 2)),  # the defect: the command alone started a quick one
    (("vote", 2), ("vote", None), ("vote", 2)),
    (("vote", 2), ("vote", 4), ("vote", 4)),
    (("vote", 2), ("quick", None), ("quick", 3)),
    (("quick", 3), (None, None), ("quick", 3)),
    (("quick", 3), ("vote", None), ("vote", 3)),
])
def test_a_reevaluation_scores_as_last_time_unless_asked_otherwise(
        last: tuple[str, int], asked: tuple[str | None, int | None], scored: tuple[str, int]) -> None:
    assert scoring(previous(*last), asked[0], asked[1]) == scored  # type: ignore[arg-type]


async def voted(bot: Bot, name: str, quorum: int) -> None:
    """A finished team vote (each card revealed by its one vote when the quorum is 1)."""
    await bot.command(f"start {name} --vote --quorum {quorum}")
    await bot.answer_all(ANSWERS)
    await bot.slack.wait_for(lambda: bot.scorecard() is not None, what="the scorecard")
    await bot.settle(0.05)


async def test_start_after_a_team_vote_is_a_team_vote_again_with_its_quorum(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url) as bot:
        await voted(bot, "Triage", quorum=1)
        reply = await bot.reply_to("start Triage", user="U2")
        root = await second_thread(bot)
        new, first = await evaluations(redis_client)
        assert new.previous_id == first.id and (new.mode, new.quorum) == ("vote", 1)
        assert "team vote, reveal at 1" in texts(root.blocks) and "first answer counts" not in texts(root.blocks)
        assert reply.startswith("Re-evaluation of *Triage* started") and "Last time" not in reply.split(". Each")[0]


async def test_quick_after_a_team_vote_is_asked_for_and_the_starter_is_told(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url) as bot:
        await voted(bot, "Triage", quorum=1)
        reply = await bot.reply_to("start Triage --quick", user="U2")
        root = await second_thread(bot)
        new, first = await evaluations(redis_client)
        assert new.previous_id == first.id and new.mode == "quick"
        assert "first answer counts" in texts(root.blocks)
        assert ("Last time the team voted (reveal at 1 vote); this time the first answer counts, as you asked. "
                "Each card shows last time's answer") in reply, reply


async def test_a_vote_after_a_quick_result_is_asked_for_and_the_starter_is_told(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Triage")
        await bot.answer_all(ANSWERS)
        await slack.wait_for(lambda: bot.scorecard() is not None, what="the scorecard")
        await bot.settle(0.05)
        reply = await bot.reply_to("start Triage --vote", user="U2")
        await second_thread(bot)
        new, _ = await evaluations(redis_client)
        assert (new.mode, new.quorum) == ("vote", 3)
        assert "Last time the first answer counted; this time the team votes (reveal at 3 votes), as you asked." \
            in reply, reply


async def test_a_stale_reminder_clicked_while_a_reevaluation_is_under_way_links_it_and_loses_its_buttons(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Triage")
        await bot.answer_all(ANSWERS)
        await slack.wait_for(lambda: bot.scorecard() is not None, what="the scorecard")
        await bot.settle(0.05)
        assert await bot.runtime.reminders.tick(quarter_after(datetime.now(UTC)) + timedelta(minutes=1)) == 1
        (reminder,) = reminders(slack)
        await bot.reply_to("start Triage", user="U3")  # the team typed the command instead of clicking
        await second_thread(bot)
        await bot.click(reminder, REEVAL_START, user="U2")
        await slack.wait_for(lambda: bool(slack.ephemerals("C1", user="U2")), what="the reply to U2")
        await bot.settle(0.1)
        assert "already under way" in slack.ephemerals("C1", user="U2")[0].text
        (now,) = reminders(slack)
        assert not [b for b in now.blocks if b["type"] == "actions"], texts(now.blocks)  # the buttons are gone
        assert "Re-evaluation started by <@U3>: <https://" in texts(now.blocks), texts(now.blocks)
        assert len([ev for ev in await evaluations(redis_client) if ev.status == "in_progress"]) == 1
