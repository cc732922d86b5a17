"""`/ftcheck start <project>` of a project with a result in the channel starts a re-evaluation pre-filled with that
result's answers, as the terminal, the Home tab and the reminder's button do (before, the command alone opened an
empty evaluation while the reminder said "To start another now: `/ftcheck start …`"). ``--fresh`` starts without
them. The starter is told, privately, which result the defaults come from and how to start without them."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bot import commands as cmd
from conversations.models import Evaluation
from conversations.queries import prefill_base
from conversations.reminders import ReminderQueue
from conversations.store import Store
from tests.bot.harness import Bot, running_bot
from tests.bot.test_leads import people, texts
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Message

EXAMPLES = json.loads((Path(__file__).parent.parent / "data" / "worked_examples.json").read_text())["examples"]
ANSWERS = EXAMPLES["example2_medical_diagnosis"]["answers"]  # 12/20
LABEL = {1: "Yes", 0.5: "Partly", 0: "No"}


def roots(slack: SlackStandIn) -> list[Message]:
    return [m for m in slack.messages("C1", top_level=True) if "valuation of" in m.text]


async def evaluations(redis_client: aioredis.Redis) -> list[Evaluation]:
    """The channel's evaluations, newest first."""
    return await Store(redis_client).channel_evaluations("T0001", "C1")


async def finished(bot: Bot, name: str) -> None:
    await bot.command(f"start {name}")
    await bot.answer_all(ANSWERS)
    await bot.slack.wait_for(lambda: bot.scorecard() is not None, what="the scorecard")
    await bot.settle(0.05)


async def second_thread(bot: Bot) -> Message:
    await bot.slack.wait_for(lambda: len(roots(bot.slack)) == 2 and bot.open_card() is not None,
                             what="a second thread with its first card")
    await bot.settle(0.05)
    return roots(bot.slack)[-1]


async def test_start_after_a_result_prefills_it_and_tells_the_starter(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url) as bot:
        await finished(bot, "Triage")
        reply = await bot.reply_to("start triage", user="U2")  # another spelling of the same project
        root = await second_thread(bot)
        first, new = (await evaluations(redis_client))[::-1]
        assert first.completed_at is not None
        first_done = first.completed_at
        assert "Re-evaluation: Triage" in texts(root.blocks)
        card = bot.open_card()
        assert card is not None and "Question 1 of 20" in texts(card.blocks)
        # whose last time's answer was (U1 answered every card) and the day its evaluation ended, as Slack shows it
        day = f"<!date^{int(first_done.timestamp())}^{{date_short_pretty}}|{first_done:%Y-%m-%d}>"
        assert (f"Last time: *{LABEL[ANSWERS['q1']]}* (<@U1>, {day}) — confirm it or change it."
                in texts(card.blocks))
        assert new.previous_id == first.id and new.started_by == "U2"
        assert new.prefill == first.scored() and len(new.prefill) == 20
        assert new.answers == {} or all(a.value is None for a in new.answers.values())  # defaults, not answers
        assert reply.startswith("Re-evaluation of *Triage* started: <https://")
        assert "Each card shows last time's answer (the result of " in reply
        assert ": 12/20) as a default to confirm or change." in reply
        assert "`/ftcheck start Triage --fresh`" in reply


async def test_fresh_starts_without_last_times_answers(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url) as bot:
        await finished(bot, "Triage")
        await bot.command("start Triage --fresh")
        root = await second_thread(bot)
        assert "Evaluation: Triage" in texts(root.blocks) and "Re-evaluation" not in texts(root.blocks)
        assert "Last time" not in texts(bot.open_card().blocks)  # type: ignore[union-attr]
        new = (await evaluations(redis_client))[0]
        assert new.previous_id is None and new.prefill == {}
        assert slack.response_posts == [] or all("Re-evaluation" not in (p.text or "") for p in slack.response_posts)


async def test_the_command_decides_how_the_team_scores_and_the_cadence_carries_over(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url) as bot:
        await finished(bot, "Triage")
        first = (await evaluations(redis_client))[0]
        assert "monthly" in (await bot.reply_to("remind Triage monthly")).lower()
        await bot.command("start Triage --vote --quorum 2")
        root = await second_thread(bot)
        assert "team vote, reveal at 2 votes" in texts(root.blocks)
        new = (await evaluations(redis_client))[0]
        assert new.previous_id == first.id and new.mode == "vote" and new.quorum == 2
        every = await ReminderQueue(Store(redis_client)).every(new.id)
        assert every is not None and timedelta(days=28) <= every <= timedelta(days=31)


async def test_a_result_of_another_checklist_is_not_prefilled_when_a_checklist_is_named(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url) as bot:
        await finished(bot, "Triage")
        await bot.command("start Triage --checklist dataset-readiness")
        await second_thread(bot)
        new = (await evaluations(redis_client))[0]
        assert new.checklist == "dataset-readiness" and new.previous_id is None and new.prefill == {}


def test_prefill_base_takes_the_newest_result_of_a_loaded_checklist() -> None:
    def ev(n: int, checklist: str, status: str = "completed") -> Evaluation:
        return Evaluation.model_validate({"id": f"e{n}", "team": "T", "channel": "C", "project": "P",
                                          "project_key": "p", "checklist": checklist, "status": status,
                                          "started_by": "U1", "started_at": "2026-01-01T00:00:00Z"})

    history = [ev(1, "a"), ev(2, "b"), ev(3, "a", "in_progress"), ev(4, "gone")]
    assert prefill_base(history, None, {"a", "b"}) is None  # the newest result's checklist is not loaded
    assert prefill_base(history[:3], None, {"a", "b"}) == history[1]
    assert prefill_base(history, "a", {"a", "b"}) == history[0]
    assert prefill_base(history, "c", {"a", "b", "c"}) is None
    assert prefill_base([], None, {"a"}) is None


@pytest.mark.parametrize(("text", "fresh", "project"), [
    ("start Triage --fresh", True, "Triage"),
    ("start --fresh Triage bot", True, "Triage bot"),
    ("start Triage", False, "Triage"),
])
def test_fresh_is_an_option_not_part_of_the_name(text: str, fresh: bool, project: str) -> None:
    command = cmd.parse(text)
    assert (command.fresh, command.project) == (fresh, project)


def test_an_unknown_option_is_named_instead_of_becoming_part_of_the_name() -> None:
    with pytest.raises(cmd.CommandError) as refused:
        cmd.parse("start Triage --fersh")
    assert str(refused.value).startswith("`--fersh` is not an option of `/ftcheck start`; it takes `--checklist ID`")
    assert "`--fresh`" in str(refused.value)


async def test_a_reevaluations_scorecard_in_the_thread_says_the_change_since_last_time(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """Before, only a lead's summary said it: the thread's own scorecard of a re-evaluation did not."""
    people(slack)
    async with running_bot(slack, redis_server.url) as bot:
        await finished(bot, "Triage")
        first = bot.scorecard()
        assert first is not None and "since last time" not in texts(first.blocks)
        await bot.command("start Triage")
        await second_thread(bot)
        await bot.answer_all({**ANSWERS, "q1": 1.0})  # q1 now Yes: one better than last time's 12/20
        await bot.slack.wait_for(lambda: bot.scorecard() is not None, what="the re-evaluation's scorecard")
        card = bot.scorecard()
        assert card is not None
        assert "+1 since last time (12/20)." in texts(card.blocks), texts(card.blocks)


async def test_a_fresh_start_still_says_the_change_since_the_last_result(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """--fresh drops last time's answers as defaults, not the comparison with last time."""
    people(slack)
    async with running_bot(slack, redis_server.url) as bot:
        await finished(bot, "Triage")
        await bot.command("start Triage --fresh")
        await second_thread(bot)
        await bot.answer_all({**ANSWERS, "q1": 1.0})
        await bot.slack.wait_for(lambda: bot.scorecard() is not None, what="the fresh evaluation's scorecard")
        card = bot.scorecard()
        assert card is not None
        assert "+1 since last time (12/20)." in texts(card.blocks), texts(card.blocks)
        new = (await evaluations(redis_client))[0]
        assert new.previous_id is None and not new.prefill  # nothing pre-filled
