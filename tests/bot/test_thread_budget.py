"""A quiet, current thread: the whole walk fits the character budget, the root names the waiting question,
no card is posted twice or left open, in quick mode and in vote mode."""

from __future__ import annotations

import json
import time
from pathlib import Path

from scoring.checklist import Registry
from tests.bot.harness import Bot, running_bot
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Message, thread_characters

EXAMPLES = json.loads((Path(__file__).parent.parent / "data" / "worked_examples.json").read_text())["examples"]
FT = Registry().get()
BUDGET = 6000


def _refs(bot: Bot) -> list[str]:
    return [str((m.metadata or {}).get("event_payload", {}).get("ref")) for m in bot.thread()]


def _root(slack: SlackStandIn) -> Message:
    return slack.messages("C1", top_level=True)[-1]


def _assert_current(bot: Bot, slack: SlackStandIn) -> None:
    refs = [r for r in _refs(bot) if ":card:" in r]
    questions = [r.split(":")[2] for r in refs]
    assert len(questions) == len(set(questions)), f"a card was posted twice: {questions}"
    open_cards = [m for m in bot.thread() if any(str(b.get("block_id", "")).startswith(("answer:", "settle:"))
                                                 for b in m.blocks)]
    assert open_cards == [], "a card still offers buttons after the scorecard"


async def _walk_with_root_check(bot: Bot, slack: SlackStandIn, answers: dict[str, float | None]) -> None:
    await bot.answer_all(answers, limit=9, users=["U1", "U2"])
    await slack.wait_for(lambda: "Question 10 —" in str(_root(slack).blocks), what="root names the waiting card")
    root_text = str(_root(slack).blocks)
    assert "9 of 20 answered" in root_text and "/20" not in root_text  # no running total before the end
    await bot.answer_all(answers, users=["U1", "U2"])


async def _walk_whole_thread(bot: Bot, slack: SlackStandIn, command: str, answers: dict[str, float | None]) -> int:
    """Start, walk to the scorecard checking the root mid-way, check the thread is current; its characters."""
    await bot.command(command)
    await slack.wait_for(lambda: bot.open_card() is not None, what="first card")
    await _walk_with_root_check(bot, slack, answers)
    await slack.wait_for(lambda: bot.scorecard() is not None, what="scorecard")
    await bot.settle()
    _assert_current(bot, slack)
    return thread_characters([_root(slack), *bot.thread()])


async def test_quick_mode_thread_fits_the_budget_and_stays_current(slack: SlackStandIn, redis_server: RedisServer,
                                                                   redis_client) -> None:
    example = EXAMPLES["example3_code_generation"]
    async with running_bot(slack, redis_server.url) as bot:
        used = await _walk_whole_thread(bot, slack, f"start {example['title']}", example["answers"])
        assert used <= BUDGET, f"{used} characters"
        assert "18.5/20" in str(_root(slack).blocks)
        scorecard = bot.scorecard()
        assert scorecard is not None
        await bot.click(scorecard, "scorecard_gaps", user="U2")  # the full gap list lives behind this button
        await slack.wait_for(lambda: bool(slack.calls_to("views.open")), what="gaps dialog")
        assert "q13" in str(slack.calls_to("views.open")[-1].params["view"])


async def test_change_during_the_walk_posts_no_second_card(slack: SlackStandIn, redis_server: RedisServer,
                                                           redis_client) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Ticket router")
        await slack.wait_for(lambda: bot.open_card() is not None, what="first card")
        await bot.answer_all({f"q{n}": 1.0 for n in range(1, 21)}, limit=2)
        answered = next(m for m in bot.thread() if "✓ *q1*" in str(m.blocks))
        await bot.select(answered, "no")
        await slack.wait_for(lambda: "✓ *q1* No" in str(next(m for m in bot.thread() if m.ts == answered.ts).blocks),
                             what="Q1 changed")
        await bot.settle()
        refs = [r for r in _refs(bot) if ":card:" in r]
        assert len(refs) == 3 and len({r.split(":")[2] for r in refs}) == 3


async def test_vote_mode_thread_fits_the_budget(slack: SlackStandIn, redis_server: RedisServer, redis_client) -> None:
    example = EXAMPLES["example3_code_generation"]
    async with running_bot(slack, redis_server.url) as bot:
        used = await _walk_whole_thread(bot, slack, f"start {example['title']} --vote --quorum 1", example["answers"])
        assert used <= BUDGET, f"{used} characters"


async def test_a_brisk_walk_redraws_the_root_at_its_pace_and_leaves_it_current(
        slack: SlackStandIn, redis_server: RedisServer, redis_client) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Ticket router")
        await slack.wait_for(lambda: bot.open_card() is not None, what="first card")
        started = time.monotonic()
        await bot.answer_all({f"q{n}": 1.0 for n in range(1, 21)}, limit=9)
        walked = time.monotonic() - started
        await slack.wait_for(lambda: "9 of 20 answered" in str(_root(slack).blocks), timeout=10,
                             what="the root's trailing draw")
        root = _root(slack)
        redraws = [c for c in slack.calls_to("chat.update") if c.params.get("ts") == root.ts]
        # one draw per 3 s interval of the walk at most, plus the trailing one; one per click without the pace
        assert 1 <= len(redraws) <= walked / 3 + 2 and len(redraws) < 9, (len(redraws), walked)
