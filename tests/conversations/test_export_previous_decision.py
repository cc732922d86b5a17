"""Review finding: a re-evaluation's export named last time's result by its band ("12/20 — Conditional go") when the
team had been told another decision ("⚠ Not yet — q1 blocks it; the score alone, 12/20, would be Conditional go"),
as the thread, the reminder and the history said it. Every format now gives the decision as it was given; the
band's fields stay (scripts read them) beside a new decision field."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from conversations.export import decision_record
from conversations.models import AnswerEntry, Evaluation
from scoring.checklist import Registry
from scoring.scorecard import score
from scoring.verdict import decided_of

FT = Registry().get()
AT = datetime(2030, 1, 7, 9, tzinfo=UTC)
# 12/20, Conditional go by the band alone; the decision tree stops at q1 (Partly counts as No there): Not yet
THEN = {"q1": 0.5, "q2": 0.5, "q3": 0.5, "q4": 0.5, "q7": 0.0, "q8": 0.0, "q12": 0.0, "q13": 0.0, "q16": 0.0,
        "q17": 0.0}
NOW = {"q4": 0.5, "q13": 0.5}  # 19/20: Strong go
NOT_YET = ("⚠ Not yet — q1 (500+ labeled examples) blocks it (answered Partly, which the decision tree counts as No "
           "there); the score alone, 12/20, would be Conditional go")


def completed(not_yes: dict[str, float], at: datetime, **fields: object) -> Evaluation:
    values = {q.id: not_yes.get(q.key, 1.0) for q in FT.questions}
    ev = Evaluation(team="T1", channel="C1", project="Router", project_key="router", checklist=FT.id,
                    started_by="U1", started_at=at - timedelta(hours=1), status="completed", completed_at=at,
                    last_activity=at, **fields)
    ev.answers = {qid: AnswerEntry(question=qid, value=v, by="U1", at=at) for qid, v in values.items()}
    ev.decided = decided_of(score(FT, ev.scored()), FT.fingerprint)
    return ev


def pair() -> tuple[Evaluation, Evaluation]:
    before = completed(THEN, AT)
    return completed(NOW, AT + timedelta(days=30), previous_id=before.id), before


def csv_rows(text: str) -> dict[str, dict[str, str]]:
    return {row["question"]: row for row in csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))}


def previous_line(md: str) -> str:
    return next(line for line in md.splitlines() if line.startswith("- **Previous result:**"))


def test_markdown_gives_the_previous_decision_the_team_was_told_not_its_band() -> None:
    ev, before = pair()
    line = previous_line(decision_record(ev, FT, "md", previous=before))
    assert line == (f"- **Previous result:** {NOT_YET}. Completed 2030-01-07 09:00 UTC "
                    "(2030-01-07T09:00:00+00:00)"), line


def test_csv_and_json_add_the_decision_and_keep_the_band_fields() -> None:
    ev, before = pair()
    rows = csv_rows(decision_record(ev, FT, "csv", previous=before))
    assert rows["previous_decision"]["text"] == NOT_YET
    assert rows["previous_band"]["text"] == "Conditional go"  # unchanged: what its total fell in
    assert rows["previous_total"]["text"] == "12 of 20"
    prev = json.loads(decision_record(ev, FT, "json", previous=before))["previous"]
    assert (prev["decision"], prev["decision_line"]) == ("Not yet", NOT_YET)
    assert (prev["band"], prev["band_name"], prev["total"]) == ("conditional", "Conditional go", 12.0)


def test_a_result_kept_from_an_older_checklist_is_given_as_it_was_decided() -> None:
    ev, before = pair()
    assert before.decided is not None
    before.decided = before.decided.model_copy(update={
        "fingerprint": "an-older-checklist", "totals": "older-questions", "tone": "go", "decision": "Strong go",
        "reason": "12/20, and the decision tree agrees", "band_alone": None})
    md = decision_record(ev, FT, "md", previous=before)
    assert previous_line(md).startswith(
        "- **Previous result:** ✅ Strong go — 12/20, and the decision tree agrees (scored with the checklist as it "
        "was then; it has changed since). Completed 2030-01-07"), previous_line(md)
    assert json.loads(decision_record(ev, FT, "json", previous=before))["previous"]["decision"] == "Strong go"
