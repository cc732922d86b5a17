"""Third review of the decision-record exports: a re-evaluation's record says, question by question, what the team
answered last time, in every format, so a reader sees which answers differ from last time. ``changed_from`` (a
change within this run) is not that: it stays empty for an answer that differs from last time."""

from __future__ import annotations

import json
from datetime import timedelta

from conversations.export import decision_record
from conversations.models import Evaluation
from tests.conversations.test_export_review_fixes import AT, FT, THEN, completed, csv_rows

NOW = {"q4": 0.5, "q13": 0.5}  # q1: Partly then, Yes now; q4: Partly both times; q7: No then, Yes now
OLD_COLUMNS = ["question", "id", "section", "text", "answer", "answer_label", "by", "at", "changed_from", "note",
               "suggested", "suggestion_reason", "suggestion_quote", "suggested_by", "skips", "note_by", "votes",
               "revealed_by", "settled_by", "suggestion_caution", "suggestion_conflict", "in_checklist",
               "earlier_votes"]


def reevaluation() -> tuple[Evaluation, Evaluation]:
    """A re-evaluation pre-filled with last time's answers, but for q20 (not answered last time)."""
    before = completed(THEN, AT)
    last = {qid: v for qid, v in before.scored().items() if qid != "maintenance_plan"}
    return completed(NOW, AT + timedelta(days=30), previous_id=before.id, prefill=last), before


def ids() -> dict[str, str]:
    return {q.key: q.id for q in FT.questions}


def test_the_csv_has_last_times_answer_after_the_columns_it_had() -> None:
    ev, before = reevaluation()
    text = decision_record(ev, FT, "csv", previous=before)
    header = text.removeprefix("\ufeff").splitlines()[0].split(",")
    assert header == [*OLD_COLUMNS, "last_time", "changed_from_by", "note_on", "last_time_by", "last_time_team",
                      "last_time_at", "last_time_note", "last_time_note_by", "note_from"]
    rows = csv_rows(text)
    assert rows["q1"]["answer_label"] == "Yes" and rows["q1"]["changed_from"] == ""
    assert rows["q1"]["last_time"] == "Partly"  # differs from last time, though not changed within this run
    assert rows["q7"]["last_time"] == "No" and rows["q4"]["last_time"] == "Partly"
    assert rows["q20"]["last_time"] == ""  # not answered last time


def test_the_json_has_last_times_answer_per_question() -> None:
    ev, before = reevaluation()
    answers = {a["question"]: a for a in json.loads(decision_record(ev, FT, "json", previous=before))["answers"]}
    assert answers["q1"]["last_time"] == "Partly" and answers["q1"]["changed_from"] is None
    assert answers["q5"]["last_time"] == "Yes" and answers["q20"]["last_time"] is None


def test_the_markdown_answers_table_has_a_last_time_column_beside_the_answer() -> None:
    ev, before = reevaluation()
    md = decision_record(ev, FT, "md", previous=before)
    table = md[md.index("## Answers"):].split("\n\n")[1].splitlines()
    assert table[0] == "| # | Question | Answer | Last time | By | When | Note | Suggestion |"
    assert table[1] == "|---|---|---|---|---|---|---|---|"
    rows = {line.split(" | ")[0].removeprefix("| "): line.split(" | ") for line in table[2:]}
    assert rows["q1"][2:5] == ["Yes", "Partly", "U1"]
    assert rows["q7"][2:4] == ["Yes", "No"] and rows["q4"][2:4] == ["Partly", "Partly"]
    assert rows["q20"][2:4] == ["Yes", ""]
    assert all(len(r) == 8 for r in rows.values())


def test_a_question_pipe_in_a_cell_does_not_shift_the_last_time_column() -> None:
    ev, before = reevaluation()
    q1 = ids()["q1"]
    ev.answers[q1] = ev.answers[q1].model_copy(update={"note": "split | merged queues", "note_by": "U2"})
    md = decision_record(ev, FT, "md", previous=before)
    row = next(line for line in md.splitlines() if line.startswith("| q1 |"))
    assert row.split(" | ")[2:4] == ["Yes", "Partly"] and "split \\| merged queues — U2" in row


def test_a_first_evaluation_has_no_last_time() -> None:
    ev = completed(NOW, AT)
    rows = csv_rows(decision_record(ev, FT, "csv"))
    assert all(rows[q.key]["last_time"] == "" for q in FT.questions)
    assert all(a["last_time"] is None for a in json.loads(decision_record(ev, FT, "json"))["answers"])
    md = decision_record(ev, FT, "md")
    assert "| # | Question | Answer | By | When | Note | Suggestion |" in md and "Last time" not in md


def test_last_times_answer_the_checklist_no_longer_offers_is_still_named() -> None:
    """Dropped from the pre-fill when the checklist changed (``not_prefilled``): still last time's answer."""
    ev, _ = reevaluation()
    q7 = ids()["q7"]
    ev.not_prefilled[q7] = ev.prefill.pop(q7)
    assert {a["question"]: a for a in json.loads(decision_record(ev, FT, "json"))["answers"]}["q7"]["last_time"] == "No"

