"""A team changes its checklist file (review follow-ups), over a real Redis: the decision record keeps answers to
questions dropped since, the thread's scorecard does not subtract totals of two checklist versions, and a reminder
whose answers none fit any more does not promise a pre-filled thread."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC

import redis.asyncio as aioredis

from bot.blocks.leads import reminder_blocks
from bot.blocks.scorecard import scorecard_blocks
from conversations.engine import scorecard_of
from conversations.export import decision_record
from scoring.checklist import Registry
from scoring.scorecard import CHANGED_SINCE_LAST
from tests.bot.test_leads import texts
from tests.conversations.test_checklist_drift import engine_with, registries, walk

__all__ = ["registries"]  # the fixture, used by name


async def test_the_decision_record_keeps_answers_to_questions_dropped_since(
        redis_client: aioredis.Redis, registries: dict[str, Registry]) -> None:
    """Review finding: beta's No vanished from the answers table of the md, csv and json records once cl2 dropped
    beta (the scorecard kept counting it: 1.5/3 as decided)."""
    done = await walk(engine_with(redis_client, registries["cl1"]), [0.5, 0.0, 1.0])  # Partly, No, Yes
    cl2 = registries["cl2"].get("team-gate")  # Pass/Fail; beta dropped, delta added
    md = decision_record(done, cl2, "md")
    table = md[md.index("## Answers"):].split("\n\n")[1].splitlines()
    assert table[2].startswith("| q1 | Alpha ready? | 0.5 (no longer an option) | ana |")
    assert table[-1].startswith("| beta | _no longer in the checklist_ | Fail | ana |"), table
    text = decision_record(done, cl2, "csv").removeprefix("\ufeff")  # Excel's UTF-8 mark
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(text)) if r["id"]}
    assert rows["beta"]["answer"] == "0.0" and rows["beta"]["in_checklist"] == "False"
    assert rows["beta"]["question"] == "beta" and rows["beta"]["text"] == ""
    assert rows["alpha"]["in_checklist"] == "True"
    answers = {a["id"]: a for a in json.loads(decision_record(done, cl2, "json"))["answers"]}
    assert list(answers) == ["alpha", "gamma", "delta", "beta"]
    assert answers["beta"]["in_checklist"] is False and answers["beta"]["answer"] == 0.0
    assert answers["beta"]["by"] == "ana" and answers["delta"]["answer"] is None
    unchanged = decision_record(done, registries["cl1"].get("team-gate"), "md")
    assert "no longer in the checklist" not in unchanged  # the checklist it was answered with: no extra row


async def test_the_threads_scorecard_says_the_checklist_changed_instead_of_a_difference(
        redis_client: aioredis.Redis, registries: dict[str, Registry]) -> None:
    done = await walk(engine_with(redis_client, registries["cl1"]), [0.5, 0.0, 1.0])
    again = await walk(engine_with(redis_client, registries["cl3"]), [1.0, 1.0, 1.0], previous=done)
    cl3 = registries["cl3"].get("team-gate")
    then, now = scorecard_of(done, cl3), scorecard_of(again, cl3)
    assert not now.comparable(then)
    text = texts(scorecard_blocks(again, cl3, now, previous=then))
    assert f"Last time: 1.5/3; {CHANGED_SINCE_LAST}." in text and "+1.5" not in text
    same = texts(scorecard_blocks(again, cl3, now, previous=scorecard_of(again, cl3)))
    assert "+0 since last time (3/3)." in same


async def test_a_reminder_whose_answers_the_checklist_takes_none_of_promises_no_prefill(
        redis_client: aioredis.Redis, registries: dict[str, Registry]) -> None:
    done = await walk(engine_with(redis_client, registries["cl1"]), [0.5, 0.5, 0.5])
    cl4 = registries["cl4"].get("team-gate")  # Pass/Fail, the same questions: no Partly carries over
    text = texts(reminder_blocks(done, scorecard_of(done, cl4), tz=UTC, checklist=cl4))
    assert text.endswith("Re-evaluation opens a new thread; people answer each question. *Nothing pre-filled from "
                         "last time* (the checklist has changed since): q1 (alpha), q2 (beta) and q3 (gamma), as "
                         "their answer then (0.5) is no longer an option."), text
    cl1 = registries["cl1"].get("team-gate")
    same = texts(reminder_blocks(done, scorecard_of(done, cl1), tz=UTC, checklist=cl1))
    assert same.endswith("Re-evaluation opens a new thread pre-filled with last time's answers; people confirm or "
                         "change each one.")
