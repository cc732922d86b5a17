"""A team changes its checklist after answering it: old answers still score and show, and a result decided with
the checklist as it was is kept (``Decided``) instead of being re-scored against questions it never asked."""

from __future__ import annotations

from typing import Any

import pytest

from scoring.checklist import Checklist
from scoring.render import render_markdown, render_text
from scoring.scorecard import as_decided, score
from scoring.verdict import CHANGED_SINCE, decided_of, verdict_of

YES_PARTLY_NO = [{"key": "yes", "label": "Yes", "value": 1}, {"key": "partly", "label": "Partly", "value": 0.5},
                 {"key": "no", "label": "No", "value": 0}]
PASS_FAIL = [{"key": "pass", "label": "Pass", "value": 1}, {"key": "fail", "label": "Fail", "value": 0}]


def gate(options: list[dict[str, Any]] | None = None, questions: tuple[str, ...] = ("alpha", "beta", "gamma"),
         **changes: Any) -> Checklist:
    """The review's ``team-gate``: three questions, Go from 2 points."""
    data: dict[str, Any] = {
        "id": "team-gate", "title": "Team gate", "description": "A small team gate.", "rule": "Yes = 1, Partly = 0.5",
        "options": options or YES_PARTLY_NO, "sections": [{"id": "s", "title": "Stuff"}],
        "questions": [{"id": q, "number": n, "section": "s", "text": f"{q.title()} ready?", "short": q,
                       "why": "because", "if_not": f"fix {q}"} for n, q in enumerate(questions, 1)],
        "bands": [{"id": "go", "name": "Go", "recommendation": "Go ahead.", "go": True, "min_score": 2},
                  {"id": "nogo", "name": "No go", "recommendation": "Wait.", "go": False, "min_score": 0}],
    }
    data.update(changes)
    return Checklist.model_validate(data)


V1 = gate()
PASSED_FAILED = gate(PASS_FAIL, ("alpha", "gamma", "delta"))  # the review's cl2
NEW_QUESTION = gate(questions=("alpha", "gamma", "delta"))  # the review's cl3
ANSWERS = {"alpha": 0.5, "beta": 0.0, "gamma": 1.0}  # Partly, No, Yes


def test_an_answer_no_longer_an_option_still_scores_and_shows() -> None:
    card = score(PASSED_FAILED, {"alpha": 0.5, "gamma": 1.0, "delta": 0.0})  # raised KeyError before
    assert card.total_text == "1.5/3"
    gaps = {g.question: g.answer for group in card.gaps for g in group.gaps}
    assert gaps == {"q1": "0.5 (no longer an option)", "q3": "Fail"}
    assert "q1 (alpha): 0.5 (no longer an option)" in render_text(card)
    shown = PASSED_FAILED.option(0.5)
    assert (shown.label, shown.value) == ("0.5 (no longer an option)", 0.5)


def test_a_new_answer_must_still_be_an_option() -> None:
    assert not PASSED_FAILED.allows(0.5) and PASSED_FAILED.allows(1)
    with pytest.raises(KeyError, match="use one of: pass"):
        PASSED_FAILED.answer_option(0.5)
    with pytest.raises(KeyError, match="'partly' is not an answer"):
        PASSED_FAILED.option("partly")  # a key people type or click is never stood in for
    assert PASSED_FAILED.answer_option(0).label == "Fail"


def test_the_fingerprint_changes_with_what_decides_a_result_not_with_wording() -> None:
    reworded = gate(description="Reworded.", rule="Yes is 1.", title="The gate",
                    options=[{**o, "label": str(o["label"]).upper()} for o in YES_PARTLY_NO])
    assert reworded.fingerprint == V1.fingerprint
    for changed in (PASSED_FAILED, NEW_QUESTION, gate(bands=[
            {"id": "go", "name": "Go", "recommendation": "Go ahead.", "go": True, "min_score": 2.5},
            {"id": "nogo", "name": "No go", "recommendation": "Wait.", "go": False, "min_score": 0}])):
        assert changed.fingerprint != V1.fingerprint


def test_a_kept_result_reads_as_decided_then_and_says_the_checklist_changed() -> None:
    then = score(V1, ANSWERS)
    decided = decided_of(then, V1.fingerprint)
    assert (decided.total, decided.max, decided.band, decided.tone, decided.decision) == (1.5, 3, "nogo", "stop",
                                                                                          "No go")
    today = score(NEW_QUESTION, ANSWERS)
    assert verdict_of(today).decision == "Not decided yet"  # what re-scoring would claim of the decision
    kept = as_decided(today, decided, NEW_QUESTION)
    v = verdict_of(kept)
    assert v.line() == f"⛔ No go — 1.5/3 ({CHANGED_SINCE})"
    assert (kept.total_text, kept.provisional, kept.unanswered, kept.headline) == ("1.5/3", False, [], "1.5/3 — No go")
    assert v.advice == "Wait."  # today's band of the same id and name
    assert not kept.comparable(today) and kept.comparable(as_decided(today, decided, NEW_QUESTION))
    assert "1.5/3" in render_text(kept) and CHANGED_SINCE in render_markdown(kept, NEW_QUESTION, ANSWERS, {})


def test_a_kept_result_gives_no_advice_of_a_band_renamed_since() -> None:
    decided = decided_of(score(V1, ANSWERS), V1.fingerprint)
    renamed = gate(bands=[{"id": "go", "name": "Go", "recommendation": "Go ahead.", "go": True, "min_score": 2},
                          {"id": "nogo", "name": "Hold", "recommendation": "Hold on.", "go": False, "min_score": 0}])
    kept = as_decided(score(renamed, ANSWERS), decided, renamed)
    assert kept.band.name == "No go" and verdict_of(kept).advice is None
