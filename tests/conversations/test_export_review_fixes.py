"""Review findings on the decision-record exports: the CSV opens in Excel as UTF-8 and shows scores, not dates; a
re-evaluation's record says what the previous result was and what changed since, in every format."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as aioredis

from bot.terminal.reports import export_text
from bot.terminal.session import TEAM
from conversations.export import decision_record
from conversations.models import AnswerEntry, Evaluation
from conversations.store import Store
from scoring.checklist import Registry
from scoring.scorecard import score
from scoring.verdict import decided_of
from tests.bot.harness import running_bot
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

FT = Registry().get()
AT = datetime(2030, 1, 7, 9, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
THEN = {"q1": 0.5, "q2": 0.5, "q3": 0.5, "q4": 0.5, "q7": 0.0, "q8": 0.0, "q12": 0.0, "q13": 0.0, "q16": 0.0,
        "q17": 0.0}  # 12/20: data 4, accuracy 3, resources 2, organizational 3; every other answer Yes
NOW = {"q4": 0.5, "q13": 0.5}  # 19/20: data 5.5, accuracy 5, resources 3.5, organizational 5


def completed(not_yes: dict[str, float], at: datetime, team: str = "T1", **fields: object) -> Evaluation:
    """A completed evaluation of "Router" in C1 by U1: Yes to every question but ``not_yes`` (by key)."""
    values = {q.id: not_yes.get(q.key, 1.0) for q in FT.questions}
    ev = Evaluation(team=team, channel="C1", project="Router", project_key="router", checklist=FT.id,
                    started_by="U1", started_at=at - timedelta(hours=1), status="completed", completed_at=at,
                    last_activity=at, **fields)
    ev.answers = {qid: AnswerEntry(question=qid, value=v, by="U1", at=at) for qid, v in values.items()}
    ev.decided = decided_of(score(FT, ev.scored()), FT.fingerprint)
    return ev


def pair(team: str = "T1") -> tuple[Evaluation, Evaluation]:
    """A re-evaluation a month after the first one: 19/20 (Strong go), up 7 from 12/20 (Conditional go)."""
    before = completed(THEN, AT, team)
    return completed(NOW, AT + timedelta(days=30), team, previous_id=before.id), before


def csv_rows(text: str) -> dict[str, dict[str, str]]:
    return {row["question"]: row for row in csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))}


# -- 1. the CSV opens in Excel as UTF-8 -------------------------------------------------------------------------

def test_the_csv_starts_with_one_byte_order_mark() -> None:
    text = decision_record(completed(NOW, AT), FT, "csv")
    assert text.startswith("\ufeffquestion,id,section,") and text.count("\ufeff") == 1
    assert "2–4 week" in text.encode("utf-8").decode("utf-8-sig")  # what Excel reads once it sees the mark


async def test_the_uploaded_csv_file_starts_with_the_utf8_mark_once(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    ev = completed(NOW, AT, team="T0001")
    await Store(redis_client).create(ev, ev.started_by)
    async with running_bot(slack, redis_server.url) as bot:
        before = len(slack.files)
        await bot.command("export Router csv", user="U1")
        await slack.wait_for(lambda: len(slack.files) > before, what="csv upload")
    data = slack.files[-1].content or b""
    assert data.startswith(b"\xef\xbb\xbfquestion,") and data.count(b"\xef\xbb\xbf") == 1
    assert "2–4 week" in data.decode("utf-8-sig")


# -- 2. no score cell of the CSV is read as a date --------------------------------------------------------------

def test_csv_scores_are_not_dates_while_markdown_and_json_keep_theirs() -> None:
    ev = completed({"q1": 0.5, "q2": 0.0, "q13": 0.0}, AT)  # 17.5/20: data 4.5/6, resources 3/4, the rest full
    rows = csv_rows(decision_record(ev, FT, "csv"))
    assert rows["total"]["text"] == "17.5 of 20"
    assert [rows[f"section:{s}"]["text"] for s in ("data", "accuracy", "resources", "organizational")] == [
        "4.5 of 6", "5 of 5", "3 of 4", "5 of 5"]
    looks_like_a_date = re.compile(r"\s*\d+(\.\d+)?\s*[/.-]\s*\d+(\.\d+)?\s*")
    assert not [(k, r["text"]) for k, r in rows.items() if looks_like_a_date.fullmatch(r["text"] or "")]
    md = decision_record(ev, FT, "md")
    assert "| Accuracy & Performance | 5 | 5 |" in md and "17.5/20" in md
    card = json.loads(decision_record(ev, FT, "json"))["scorecard"]
    assert (card["total"], card["max"], card["sections"][0]["score"]) == (17.5, 20, 4.5)


# -- 3. a re-evaluation's record says what the previous result was and what changed -----------------------------

def test_markdown_names_the_previous_result_in_the_teams_zone_and_the_change_by_section() -> None:
    ev, before = pair()
    md = decision_record(ev, FT, "md", tz=BERLIN, previous=before)
    # the decision the team was told, not the band (the tree overruled it: test_export_previous_decision.py)
    assert ("- **Previous result:** ⚠ Not yet — q1 (500+ labeled examples) blocks it (answered Partly, which the "
            "decision tree counts as No there); the score alone, 12/20, would be Conditional go. Completed "
            "2030-01-07 10:00 CET (2030-01-07T10:00:00+01:00)") in md
    assert "- **Change since then:** +7 in total; by section in the Sections table" in md
    assert "| Section | Score | Max | Change since previous |" in md
    assert "| Data & Labeling | 5.5 | 6 | +1.5 |" in md and "| Organizational | 5 | 5 | +2 |" in md
    assert before.id not in md  # people are told the result, not an id no command takes


def test_json_and_csv_carry_the_previous_result_and_the_change() -> None:
    ev, before = pair()
    data = json.loads(decision_record(ev, FT, "json", tz=BERLIN, previous=before))
    assert data["previous"] == {
        "evaluation": before.id, "completed_at": "2030-01-07T09:00:00+00:00", "total": 12.0, "max": 20.0,
        "band": "conditional", "band_name": "Conditional go", "change": 7.0,
        "section_changes": {"data": 1.5, "accuracy": 2.0, "resources": 1.5, "organizational": 2.0},
        "dropped_change": None,
        "decision": "Not yet", "decision_line": ("⚠ Not yet — q1 (500+ labeled examples) blocks it (answered Partly, "
                                                 "which the decision tree counts as No there); the score alone, "
                                                 "12/20, would be Conditional go")}
    rows = csv_rows(decision_record(ev, FT, "csv", previous=before))
    facts = {k: rows[k]["text"] for k in ("previous_completed_at", "previous_total", "previous_band", "change",
                                          "change:data", "change:resources")}
    assert facts == {"previous_completed_at": "2030-01-07T09:00:00+00:00", "previous_total": "12 of 20",
                     "previous_band": "Conditional go", "change": "up 7", "change:data": "up 1.5",
                     "change:resources": "up 1.5"}


def test_a_checklist_changed_in_between_shows_the_previous_result_without_a_difference() -> None:
    ev, before = pair()
    # questions or options changed in between (the totals fingerprint differs), not only the bands or the tree
    before.decided = before.decided.model_copy(update={"fingerprint": "an-older-checklist",
                                                       "totals": "older-questions"}) if before.decided else None
    md = decision_record(ev, FT, "md", previous=before)
    assert "- **Previous result:** ⚠ Not yet — q1 (500+ labeled examples) blocks it" in md
    assert "- **Change since then:** not shown: the checklist has changed since, so the totals do not compare" in md
    assert "| Section | Score | Max |" in md and "Change since previous" not in md
    assert json.loads(decision_record(ev, FT, "json", previous=before))["previous"]["section_changes"] is None
    assert "change:data" not in csv_rows(decision_record(ev, FT, "csv", previous=before))


def test_a_first_evaluation_has_no_previous_result_and_another_checklists_is_refused() -> None:
    ev, before = pair()
    assert json.loads(decision_record(ev, FT, "json"))["previous"] is None
    assert "Previous result" not in decision_record(ev, FT, "md")
    with pytest.raises(ValueError, match="previous evaluation uses"):
        decision_record(ev, FT, "md", previous=before.model_copy(update={"checklist": "other"}))


async def test_the_terminals_export_compares_with_the_completed_evaluation_before(
        redis_client: aioredis.Redis) -> None:
    ev, before = pair(TEAM)
    store = Store(redis_client)
    for e in (before, ev):
        await store.create(e, e.started_by)
    md = await export_text(store, Registry(), "Router", "md", BERLIN)
    assert "would be Conditional go. Completed 2030-01-07 10:00 CET" in md
    assert "- **Change since then:** +7 in total" in md
