"""The scorecard computes exactly as the source's worked examples do (never copying its slip)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.checklist import Registry
from scoring.render import render_json, render_markdown, render_text
from scoring.scorecard import AnswersError, normalize_answers, score

REGISTRY = Registry()
FT = REGISTRY.get("fine-tuning-readiness")
EXAMPLES = json.loads((Path(__file__).parent.parent / "data" / "worked_examples.json").read_text())["examples"]


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_worked_examples_score_as_the_source(name: str) -> None:
    example = EXAMPLES[name]
    card = score(FT, normalize_answers(FT, example["answers"]))
    assert card.total == example["expected"]["total"]
    assert card.band.id == example["expected"]["band"]
    assert card.decision_tree is not None
    assert card.decision_tree.verdict == example["expected"]["tree"]
    assert (card.disagreement is not None) == example["expected"]["disagree"]
    assert not card.provisional


def test_example_2_is_12_not_the_articles_10_5() -> None:
    example = EXAMPLES["example2_medical_diagnosis"]
    card = score(FT, normalize_answers(FT, example["answers"]))
    assert example["printed_total_in_article"] == 10.5
    assert card.total == 12 and card.total_text == "12/20"
    assert card.band.name == "Conditional go"
    assert card.disagreement is not None and "500+ labeled examples" in card.disagreement
    assert card.decision_tree is not None and card.decision_tree.path[0].outcome == "no"
    text = render_text(card)
    assert "12/20" in text and "10.5" not in text


def test_example_3_partly_on_a_tree_question_is_uncertain() -> None:
    card = score(FT, normalize_answers(FT, EXAMPLES["example3_code_generation"]["answers"]))
    assert card.total_text == "18.5/20"
    tree = card.decision_tree
    assert tree is not None and tree.uncertain
    assert tree.path[-1].outcome == "uncertain" and "q13 partly" in tree.path[-1].note
    assert tree.verdict_text.endswith("This path counts the Partly answer to q13 as a Yes; confirm it first.")


def test_sections_and_gaps_weakest_first() -> None:
    card = score(FT, normalize_answers(FT, EXAMPLES["example2_medical_diagnosis"]["answers"]))
    assert [(s.id, s.score, s.max) for s in card.sections] == [
        ("data", 3.5, 6), ("accuracy", 5, 5), ("resources", 1, 4), ("organizational", 2.5, 5)]
    assert [g.section for g in card.gaps] == ["resources", "organizational", "data"]
    gap = card.gaps[0].gaps[0]
    assert gap.question == "q12" and gap.answer == "No" and gap.next_step


def test_partial_evaluation_is_provisional_with_a_range() -> None:
    answers = {"q1": 1, "q2": 0.5, "q3": None, "q4": 0}
    card = score(FT, normalize_answers(FT, answers))
    assert card.provisional
    assert card.unanswered == [f"q{i}" for i in range(3, 21) if i != 4]
    assert card.range == (1.5, 1.5 + 17)
    assert card.headline == "provisional: 1.5/20 with 17 unanswered, range 1.5–18.5"
    assert card.decision_tree is not None and card.decision_tree.verdict is None
    assert "q7" in card.decision_tree.verdict_text


def test_answers_by_stable_id_and_number() -> None:
    assert normalize_answers(FT, {"labeled_examples": 1, "2": 0.5, "Q3": 0}) == {
        "labeled_examples": 1.0, "diverse_examples": 0.5, "task_definition": 0.0}


@pytest.mark.parametrize(("raw", "message"), [
    ({"q21": 1}, "unknown question 'q21'"),
    ({"q1": 0.7}, "q1: 0.7 is not an allowed answer"),
    ({"q1": "yes"}, "q1: 'yes' is not an allowed answer"),
    ({"q1": True}, "not an allowed answer"),
    ({"q1": 1, "labeled_examples": 1}, "answered twice"),
])
def test_bad_answers_say_what_is_wrong(raw: dict, message: str) -> None:
    with pytest.raises(AnswersError, match=message):
        normalize_answers(FT, raw)


def test_renderers() -> None:
    answers = normalize_answers(FT, EXAMPLES["example4_marketing_subject_lines"]["answers"])
    card = score(FT, answers)
    data = json.loads(render_json(card))
    assert data["total"] == 5.5 and data["max"] == 20 and data["band"] == "dont"
    assert {"checklist", "sections", "unanswered", "decision_tree", "gaps"} <= set(data)
    assert data["decision_tree"]["verdict"] == "collect_data" and data["decision_tree"]["path"]
    md = render_markdown(card, FT, answers, {}, "Subject lines")
    assert md.startswith("# Decision log: Subject lines") and "| q1 |" in md and "## All 15 gaps and next steps" in md


def test_other_checklists_use_their_own_rules() -> None:
    dataset = REGISTRY.get("dataset-readiness")
    ok = score(dataset, {q.id: 1.0 for q in dataset.questions})
    one_fail = score(dataset, {**{q.id: 1.0 for q in dataset.questions}, dataset.questions[1].id: 0.0})
    assert ok.band.go and not one_fail.band.go
    deploy = REGISTRY.get("deployment-quality")
    assert len(deploy.questions) == 10
    assert not score(deploy, {**{q.id: 1.0 for q in deploy.questions}, deploy.questions[9].id: 0.0}).band.go
    assert deploy.decision_tree is None and score(deploy, {}).decision_tree is None


values = st.sampled_from([0.0, 0.5, 1.0, None])
answer_sets = st.lists(values, min_size=20, max_size=20)


def _score(raw: list[float | None]) -> float:
    return score(FT, {q.id: v for q, v in zip(FT.questions, raw, strict=True) if v is not None}).total


@given(answer_sets)
def test_total_within_bounds(raw: list[float | None]) -> None:
    card = score(FT, {q.id: v for q, v in zip(FT.questions, raw, strict=True) if v is not None})
    assert 0 <= card.total <= card.max == 20
    assert sum(s.score for s in card.sections) == card.total


@given(answer_sets, st.integers(0, 19))
def test_raising_an_answer_never_lowers_the_total(raw: list[float | None], index: int) -> None:
    current = raw[index] or 0.0
    for higher in (v for v in (0.0, 0.5, 1.0) if v > current):
        raised = list(raw)
        raised[index] = higher
        assert _score(raised) >= _score(raw)


@given(answer_sets, st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=20, max_size=20))
def test_provisional_range_contains_the_final_score(raw: list[float | None], fill: list[float]) -> None:
    card = score(FT, {q.id: v for q, v in zip(FT.questions, raw, strict=True) if v is not None})
    final = _score([v if v is not None else f for v, f in zip(raw, fill, strict=True)])
    low, high = card.range
    assert low <= final <= high
