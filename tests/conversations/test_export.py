"""The decision record is built from the evaluation alone: no Slack, no Redis."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from conversations import flow
from conversations.export import decision_record
from conversations.models import Card, Evaluation, SuggestionRef
from scoring.checklist import Registry

FT = Registry().get()


def evaluation() -> Evaluation:  # q1 answered Yes on a confirmed suggestion, q2 Partly with a note, the rest open
    ev = flow.start(team="T1", channel="C1", project="Router", checklist=FT, user="U1",
                    now=datetime(2026, 11, 2, tzinfo=UTC))
    ev.suggestions["labeled_examples"] = SuggestionRef(value=1, reason="2,000 ≥ 500", evidence="2,000 labeled tickets")
    for ts, (qid, value) in enumerate([("labeled_examples", 1.0), ("diverse_examples", 0.5)], start=1):
        ev.cards[str(ts)] = Card(question=qid)
        flow.answer(ev, FT, card_ts=str(ts), user=f"U{ts}", value=value)
    flow.add_note(ev, FT, question="q2", user="U3", note="Mostly one region")
    return ev


def test_json_and_csv_carry_answers_suggestions_and_scorecard() -> None:
    data = json.loads(decision_record(evaluation(), FT, "json", {"U1": "ana"}, "https://x/thread"))
    assert data["project"] == "Router" and data["thread"] == "https://x/thread"
    q1, q2 = data["answers"][0], data["answers"][1]
    assert (q1["answer"], q1["by"], q1["suggestion_quote"]) == (1.0, "ana", "2,000 labeled tickets")
    assert (q2["answer_label"], q2["note"]) == ("Partly", "Mostly one region")
    assert data["scorecard"]["total"] == 1.5 and data["scorecard"]["provisional"] is True
    rows = list(csv.DictReader(io.StringIO(decision_record(evaluation(), FT, "csv"))))
    assert rows[0]["question"] == "q1" and {"question": "total", "text": "1.5/20"}.items() <= next(
        r for r in rows if r["question"] == "total").items()


def test_markdown_is_a_decision_log_and_bad_formats_are_named() -> None:
    md = decision_record(evaluation(), FT, "md")
    assert md.startswith("# Decision log: Router") and "| q1 |" in md and "2,000 labeled tickets" in md
    with pytest.raises(ValueError, match="`pdf` is not an export format"):
        decision_record(evaluation(), FT, "pdf")
