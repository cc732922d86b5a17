"""The Markdown decision record carries what the CSV carries: a changed answer, and the helper's notes to check."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from conversations.export import decision_record
from conversations.models import AnswerEntry, Evaluation, SuggestionRef
from scoring.checklist import Registry

FT = Registry().get()
AT = datetime(2030, 1, 7, 9, tzinfo=UTC)
CAUTION = "4 results still gained 3.5 points; the checklist's ceiling is < 2 points over 5 iterations"


def evaluation() -> Evaluation:
    """q1–q19 answered Yes by U1; q4 changed from No by U2 on a conflict; q7 on a suggestion with a caution; q10 on a
    note to check; q20 unanswered, with a suggestion."""
    ev = Evaluation(team="T1", channel="C1", project="Invoices", project_key="invoices", checklist=FT.id,
                    started_by="U1", started_at=AT)
    ev.answers = {q.id: AnswerEntry(question=q.id, value=1.0, by="U1", at=AT + timedelta(minutes=i))
                  for i, q in enumerate(FT.questions[:19])}
    q4, q7, q10 = (FT.question(k).id for k in ("q4", "q7", "q10"))
    conflict = SuggestionRef(value=None, reason="Different values for agreement (82 vs 78); confirm which is right.",
                             evidence="agreement was 82%", conflict=["agreement was 82%", "they agreed 78%",
                                                                     "agreement was 82%"])
    ev.answers[q4] = ev.answers[q4].model_copy(update={"by": "U2", "previous": 0.0, "suggestion": conflict})
    ev.answers[q7] = ev.answers[q7].model_copy(update={"suggestion": SuggestionRef(
        value=1, reason="The team reports a ceiling.", evidence="It has plateaued.", caution=CAUTION)})
    note = "mentions 'held-out test set' but in a negative sentence — check"
    ev.answers[q10] = ev.answers[q10].model_copy(update={"suggestion": SuggestionRef(
        value=None, reason=note, evidence="Held-out test set: 300 invoices.", caution=note)})
    ev.suggestions[FT.question("q20").id] = SuggestionRef(value=0, reason="No maintenance plan.",
                                                          evidence="Nobody owns retraining.")
    return ev


def md_rows(md: str) -> dict[str, str]:
    return {line.split(" | ")[0].removeprefix("| "): line for line in md.splitlines() if line.startswith("| q")}


def cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip("|").split(" | ")]


def test_a_changed_answer_says_what_it_was_as_the_card_and_the_csv_do() -> None:
    """Review finding: the thread card said "✓ q4 Yes — @U2 · changed from No" and the CSV changed_from=0.0; the
    Markdown said only "Yes | Bo"."""
    ev = evaluation()
    names = {"U1": "Ana (U1)", "U2": "Bo (U2)"}
    q4 = cells(md_rows(decision_record(ev, FT, "md", names))["q4"])
    assert (q4[2], q4[3]) == ("Yes (changed from No)", "Bo (U2)")
    assert cells(md_rows(decision_record(ev, FT, "md", names))["q5"])[2] == "Yes"  # unchanged: as before
    text = decision_record(ev, FT, "csv", names).removeprefix("\ufeff")  # Excel's UTF-8 mark
    rows = {r["question"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["q4"]["changed_from"] == "0.0"


def test_the_helpers_notes_to_check_are_in_the_suggestion_column() -> None:
    """Review finding: the conflict and caution the cards showed (q4, q10) were in the CSV but blank in the
    Markdown's Suggestion column, and a caution beside a suggested answer (q7) was in neither."""
    rows = md_rows(decision_record(evaluation(), FT, "md"))
    assert cells(rows["q4"])[6] == ("To check: Different values for agreement (82 vs 78); confirm which is right. — "
                                    "“agreement was 82%” / “they agreed 78%”")  # each quote once
    assert cells(rows["q7"])[6] == f"Yes — “It has plateaued.” (The team reports a ceiling.); ⚠ {CAUTION}"
    assert cells(rows["q10"])[6] == ("To check: mentions 'held-out test set' but in a negative sentence — check — "
                                     "“Held-out test set: 300 invoices.”")
    assert cells(rows["q20"])[2:4] == ["—", ""] and cells(rows["q20"])[6] == (
        "No — “Nobody owns retraining.” (No maintenance plan.)")  # unanswered: the suggestion, as in the CSV
    data = json.loads(decision_record(evaluation(), FT, "json"))
    answers = {a["question"]: a for a in data["answers"]}
    assert answers["q7"]["suggestion_caution"] == CAUTION
    assert answers["q4"]["suggestion_conflict"] == ["agreement was 82%", "they agreed 78%"]
    text = decision_record(evaluation(), FT, "csv").removeprefix("\ufeff")
    csv_rows = {r["question"]: r for r in csv.DictReader(io.StringIO(text))}
    assert csv_rows["q7"]["suggestion_caution"] == CAUTION
    assert csv_rows["q4"]["suggestion_conflict"] == "“agreement was 82%” / “they agreed 78%”"


def test_a_removed_description_leaves_no_note_to_check_behind() -> None:
    ev = evaluation()
    q10 = FT.question("q10").id
    gone = SuggestionRef(value=None, reason="", evidence="", removed="description_deleted")
    ev.answers[q10] = ev.answers[q10].model_copy(update={"suggestion": gone})
    row = cells(md_rows(decision_record(ev, FT, "md"))["q10"])
    assert row[6] == "To check — quote removed: the description it came from was deleted"
    assert json.loads(decision_record(ev, FT, "json"))["answers"][9]["suggestion_caution"] is None
