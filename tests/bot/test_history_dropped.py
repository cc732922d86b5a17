"""Two results scored before the team dropped a question from its checklist: their totals count that question, while
their sections read today's checklist. `/ftcheck history` said "Δ total +0 · Stuff +1" (review): beta went from Yes
to No and alpha from No to Yes, the total did not move, yet the only section said +1. The line (and the summary's
sections) now name what moved in the dropped question, so the parts add up to the total's change."""

from __future__ import annotations

import json
import re
from datetime import UTC
from pathlib import Path

import redis.asyncio as aioredis

from bot.blocks.leads import Scored, dropped_gaps, gone_answers, history_line, summary_modal, summary_text
from conversations.engine import scorecard_of
from conversations.export import decision_record
from conversations.models import AnswerEntry, Evaluation
from conversations.store import Store
from scoring.checklist import Checklist, Registry
from tests.bot.harness import running_bot
from tests.bot.test_checklist_drift_followups_slack import BETA_DROPPED, QUESTIONS, click_through, gate_started
from tests.bot.test_leads import ask, people
from tests.conversations.test_checklist_drift import HEAD, YES_PARTLY_NO, engine_with, gate_dir, walk
from tests.conversations.test_export_review_fixes import csv_rows
from tests.standins.block_kit import MESSAGE_TEXT_MAX, VIEW_MAX_BLOCKS, check_blocks, check_text
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

DELTA = re.compile(r"([+-][0-9.]+)")


async def test_history_names_the_dropped_question_whose_answer_moved(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path) -> None:
    people(slack)
    cl1 = gate_dir(tmp_path, "cl1", YES_PARTLY_NO, QUESTIONS)
    await gate_started(slack, redis_server.url, cl1, ("no", "yes", "yes"))  # alpha No, beta Yes, gamma Yes: 2/3
    async with running_bot(slack, redis_server.url, FTCHECK_CHECKLIST_DIR=str(cl1)) as bot:
        await bot.command("start Gate --checklist team-gate")
        await click_through(bot, ("yes", "no", "yes"))  # alpha Yes, beta No, gamma Yes: 2/3 again
        await slack.wait_for(lambda: bot.scorecard() is not None, what="the re-evaluation's scorecard")
        await bot.settle(0.05)
    cl3 = gate_dir(tmp_path, "cl3", YES_PARTLY_NO, BETA_DROPPED)  # beta dropped (and delta added) since
    async with running_bot(slack, redis_server.url, FTCHECK_CHECKLIST_DIR=str(cl3)) as bot:
        history, summary = await ask(bot, "history Gate"), await ask(bot, "summary Gate")
    assert history.endswith("\n    Δ total +0 · Stuff +1 · no longer in the checklist: beta -1"), history
    assert sum(float(d) for d in DELTA.findall(history.split("· Stuff ")[1])) == 0  # the parts add up to the total
    # the same numbers as the results' own scorecards today: totals as decided, sections read with today's checklist
    today = Registry(cl3).get("team-gate")
    newer, older = (scorecard_of(ev, today) for ev in await Store(redis_client).channel_evaluations("T0001", "C1"))
    assert (older.total, newer.total) == (2, 2) and (older.sections[0].score, newer.sections[0].score) == (1, 2)
    assert "· +0 since " in summary.split("\n")[0], summary
    assert "  2/3 Stuff (+1)\nNo longer in the checklist: beta -1\n" in summary, summary
    assert "*Gaps in questions no longer in the checklist:*\n• *beta: No* — no longer in the checklist" in summary


def team_dir(root: Path, name: str, questions: list[str]) -> Path:
    """``team-gate`` with these question ids (long ones too: a short name is at most 40 characters)."""
    lines = [f'  - {{id: {q}, number: {n}, section: s, text: "Question {n}?", short: "q{n}", why: "because", '
             f'if_not: "fix it"}}' for n, q in enumerate(questions, 1)]
    folder = root / name
    folder.mkdir()
    text = HEAD.format(rule="Yes = 1, Partly = 0.5, No = 0.") + YES_PARTLY_NO + "questions:\n" + "\n".join(lines)
    (folder / "team.yaml").write_text(text + "\n")
    return folder


def scored(ev: Evaluation, checklist: Checklist) -> Scored:
    """As ``bot.leads.projects.scored`` scores a result for leads' views (a quick walk: no agreement)."""
    card = scorecard_of(ev, checklist)
    return Scored(ev=ev, card=card, answered=len(checklist.questions) - len(card.unanswered),
                  questions=len(checklist.questions), dropped=tuple(dropped_gaps(ev, checklist)),
                  gone=gone_answers(ev, checklist))


async def test_many_dropped_questions_are_named_up_to_three_and_the_rest_summed(
        redis_client: aioredis.Redis, tmp_path: Path) -> None:
    """A team dropped ten questions with long ids: the line names three, sums the rest, and stays within Slack's
    limits; the parts still add up to the total's change."""
    kept = ["alpha", "gamma"]
    gone = [f"dropped_question_with_a_rather_long_identifier_number_{n:02d}" for n in range(10)]
    before = team_dir(tmp_path, "before", kept + gone)
    engine = engine_with(redis_client, Registry(before))
    first = await walk(engine, [0.0, 0.0, *[1.0] * 10])  # 10/12
    second = await walk(engine, [1.0, 1.0, *[0.5] * 10], previous=first)  # 7/12
    today = Registry(team_dir(tmp_path, "after", kept)).get("team-gate")
    line = history_line(scored(second, today), scored(first, today), "<https://x|open the thread>", UTC)
    delta = line.split("\n")[1]
    assert delta == (f"    Δ total -3 · Stuff +2 · no longer in the checklist: {gone[0]} -0.5, {gone[1]} -0.5, "
                     f"{gone[2]} -0.5 and 7 more -3.5"), delta
    assert len(delta) < 300
    summary = summary_text(scored(second, today), scored(first, today), None, link="", tz=UTC)
    assert f"\nNo longer in the checklist: {gone[0]} -0.5, " in summary and "and 7 more -3.5\n" in summary, summary
    assert check_text("\n".join([line] * 20), where="history") == []  # a page of 20 such lines
    assert check_blocks(summary_modal("Gate", summary)["blocks"], max_blocks=VIEW_MAX_BLOCKS, where="summary") == []
    assert len("\n".join([line] * 20)) < MESSAGE_TEXT_MAX


async def test_results_scored_with_todays_checklist_name_nothing_it_no_longer_asks(
        redis_client: aioredis.Redis, tmp_path: Path) -> None:
    """Results kept before results kept their decision are scored with today's checklist, totals and sections alike:
    beta is in neither, so its move is not part of the change and is not named."""
    registry = Registry(gate_dir(tmp_path, "cl1", YES_PARTLY_NO, QUESTIONS))
    engine = engine_with(redis_client, registry)
    first = await walk(engine, [0.0, 1.0, 1.0])
    second = await walk(engine, [1.0, 0.0, 1.0], previous=first)
    today = Registry(gate_dir(tmp_path, "cl3", YES_PARTLY_NO, BETA_DROPPED)).get("team-gate")
    old, new = (scored(ev.model_copy(update={"decided": None}), today) for ev in (first, second))
    assert history_line(new, old, "", UTC).endswith("\n    Δ total +1 · Stuff +1")
    assert "No longer in the checklist" not in summary_text(new, old, None, link="", tz=UTC)


async def test_answers_the_totals_do_not_count_are_not_named_as_the_change(
        redis_client: aioredis.Redis, tmp_path: Path) -> None:
    """An answer kept to a question the result's own checklist no longer asked when it was decided (zeta, dropped
    while it was open) is no part of its total: naming "beta -1, zeta -1" would not add up, so the line gives the sum
    of what moved in questions no longer in the checklist instead."""
    registry = Registry(gate_dir(tmp_path, "cl1", YES_PARTLY_NO, QUESTIONS))
    engine = engine_with(redis_client, registry)
    first = await walk(engine, [0.0, 1.0, 1.0])
    second = await walk(engine, [1.0, 0.0, 1.0], previous=first)
    assert first.completed_at is not None
    first.answers["zeta"] = AnswerEntry(question="zeta", value=1.0, by="ana", at=first.completed_at)
    today = Registry(gate_dir(tmp_path, "cl3", YES_PARTLY_NO, BETA_DROPPED)).get("team-gate")
    line = history_line(scored(second, today), scored(first, today), "", UTC)
    assert line.endswith("\n    Δ total +0 · Stuff +1 · no longer in the checklist: -1"), line


async def test_the_exported_record_names_the_dropped_questions_move_too(
        redis_client: aioredis.Redis, tmp_path: Path) -> None:
    """The decision record said "+0 in total; by section in the Sections table" above a Stuff +1 row (review): each
    format now gives the part of the change that lies in questions no longer in the checklist."""
    engine = engine_with(redis_client, Registry(gate_dir(tmp_path, "cl1", YES_PARTLY_NO, QUESTIONS)))
    first = await walk(engine, [0.0, 1.0, 1.0])
    second = await walk(engine, [1.0, 0.0, 1.0], previous=first)
    today = Registry(gate_dir(tmp_path, "cl3", YES_PARTLY_NO, BETA_DROPPED)).get("team-gate")
    previous = json.loads(decision_record(second, today, "json", previous=first))["previous"]
    assert (previous["change"], previous["section_changes"]) == (0.0, {"s": 1.0})
    assert previous["dropped_change"] == {"total": -1.0, "moves": {"beta": -1.0}}
    md = decision_record(second, today, "md", previous=first)
    assert ("- **Change since then:** +0 in total; by section in the Sections table; in questions no longer in the "
            "checklist: beta -1\n") in md, md
    rows = csv_rows(decision_record(second, today, "csv", previous=first))
    assert {k: rows[k]["text"] for k in ("change", "change:s", "change:no_longer_asked", "change:no_longer_asked:beta")
            } == {"change": "no change", "change:s": "up 1", "change:no_longer_asked": "down 1",
                  "change:no_longer_asked:beta": "down 1"}
