"""The source's thresholds, applied in code, at their boundaries."""

from __future__ import annotations

from typing import Any

import pytest

from scoring.suggest import rules
from scoring.suggest.facts import NumberFact, ProjectFacts, RangeFact, StatusFact


def n(value: float, evidence: str = "quoted sentence") -> NumberFact:
    return NumberFact(value=value, evidence=evidence)


def answer(rule: Any, **facts: Any) -> float | None:
    verdict = rule(ProjectFacts(**facts), "phrase")
    return None if verdict is None else verdict.answer


@pytest.mark.parametrize(
    ("labeled", "planned", "expected"),
    [
        (500, None, 1.0),
        (499, None, 0.0),
        (300, 250, 1.0),
        (300, 100, 0.0),
        (None, 600, 1.0),
        (None, None, None),
    ],
)
def test_q1_labeled_examples(labeled: float | None, planned: float | None, expected: float | None) -> None:
    facts = {
        "labeled_examples": n(labeled) if labeled is not None else None,
        "planned_examples": n(planned) if planned is not None else None,
    }
    assert answer(rules.labeled_examples, **facts) == expected


@pytest.mark.parametrize(("pct", "expected"), [(75, 1.0), (74.9, 0.0), (91, 1.0), (65, 0.0)])
def test_q4_agreement(pct: float, expected: float) -> None:
    assert answer(rules.labeler_agreement, agreement_pct=n(pct)) == expected


def test_q4_without_a_number_uses_the_statement() -> None:
    single = StatusFact(value="no", evidence="Only one person labels.")
    assert answer(rules.labeler_agreement, agreement_tested=single) == 0.0
    assert answer(rules.labeler_agreement, agreement_tested=single, agreement_pct=n(80)) == 1.0


@pytest.mark.parametrize(("share", "expected"), [(0, 1.0), (20, 0.5), (40, 0.5), (41, 0.0), (100, 0.0)])
def test_q5_synthetic_share(share: float, expected: float) -> None:
    assert answer(rules.representative_data, synthetic_share=n(share)) == expected


def test_q5_takes_the_more_cautious_signal() -> None:
    outdated = StatusFact(value="partly", evidence="possibly outdated")
    assert answer(rules.representative_data, synthetic_share=n(0), real_data=outdated) == 0.5


@pytest.mark.parametrize(
    ("history", "plateau", "expected"),
    [
        ([72, 76, 75.5, 76.4, 76.1, 76.6], None, 1.0),  # last five within 0.6 points
        ([72, 76], None, 0.0),  # +4: still improving
        ([72, 76], "yes", 1.0),  # the team says ceiling (the decision checklist's example 1): Yes, with a caution
        ([78, 78.5], None, 0.5),  # flat, but only two results
        ([78, 78.5], "yes", 1.0),
        ([70, 71, 71.5], None, 1.0),
        ([61, 70, 79], None, 0.0),
        ([65], None, 0.0),  # one result has not shown a ceiling: No (optimise prompting further)
        ([], "yes", 1.0),
        ([], None, None),
    ],
)
def test_q7_prompting_ceiling(history: list[float], plateau: str | None, expected: float | None) -> None:
    facts: dict[str, Any] = {"prompting_accuracy": [n(v, f"scored {v}%") for v in history]}
    if plateau:
        facts["prompting_plateau"] = StatusFact(value=plateau, evidence="we have plateaued")
    assert answer(rules.prompting_ceiling, **facts) == expected


@pytest.mark.parametrize(
    ("target", "history", "expected"),
    [
        (88, [72, 76], 1.0),
        (81, [76], 1.0),
        (80.9, [76], 0.0),
        (95, [78], 1.0),
        (90, [84.8, 86], 0.0),
    ],
)
def test_q8_accuracy_gap(target: float, history: list[float], expected: float) -> None:
    facts = {"target_accuracy": n(target), "prompting_accuracy": [n(v) for v in history]}
    assert answer(rules.accuracy_gap, **facts) == expected


def test_q8_unmeasurable_accuracy_is_no() -> None:
    hard = StatusFact(value="no", evidence="accuracy is hard to measure")
    assert answer(rules.accuracy_gap, accuracy_measurable=hard) == 0.0
    assert answer(rules.accuracy_gap, target_accuracy=n(90)) is None  # no baseline: ask the team


@pytest.mark.parametrize(
    ("test", "total", "expected"), [(200, 2000, 1.0), (30, 300, 1.0), (199, 2000, 0.5), (100, 1500, 0.5)]
)
def test_q10_test_share(test: float, total: float, expected: float) -> None:
    assert answer(rules.held_out_test_set, test_set_size=n(test), labeled_examples=n(total)) == expected


def test_q10_size_only_says_so() -> None:
    verdict = rules.held_out_test_set(ProjectFacts(test_set_size=n(200)), "phrase")
    assert verdict is not None and verdict.answer == 1.0
    assert "size is not stated" in verdict.reason


@pytest.mark.parametrize(
    ("available", "needed", "expected"),
    [
        ((3, None), None, 1.0),
        ((4, None), None, 1.0),
        ((2, None), None, 1.0),
        ((6, None), None, 1.0),
        ((2, 3), None, 0.5),
        ((1, 2), None, 0.5),
        ((1, None), None, 0.0),
        (None, (8, None), 0.0),
        ((3, None), (8, None), 0.0),
        ((10, None), (8, None), 0.5),
        ((2, None), (3, None), 0.0),
    ],
)
def test_q13_timeline(
    available: tuple[float, float | None] | None, needed: tuple[float, float | None] | None, expected: float
) -> None:
    facts = {
        "weeks_available": RangeFact(value=available[0], upper=available[1], evidence="have")
        if available
        else None,
        "weeks_needed": RangeFact(value=needed[0], upper=needed[1], evidence="need") if needed else None,
    }
    assert answer(rules.timeline, **facts) == expected


@pytest.mark.parametrize(
    ("budget", "expected"), [(1999, 0.0), (2000, 1.0), (10000, 1.0), (10001, 1.0), (500, 0.0)]
)
def test_q14_budget(budget: float, expected: float) -> None:
    assert answer(rules.budget, budget_usd=n(budget)) == expected


def test_q14_above_the_range_says_why() -> None:
    verdict = rules.budget(ProjectFacts(budget_usd=n(25000)), "phrase")
    assert verdict is not None and "above" in verdict.reason


def test_status_facts_map_straight_to_answers() -> None:
    facts = ProjectFacts(
        ml_engineer=StatusFact(value="no", evidence="no ML engineer"),
        stakeholders_briefed=StatusFact(
            value="partly", evidence="aware but", note="board expects perfection"
        ),
    )
    verdicts = {v.question: v for v in rules.fine_tuning(facts, "model")}
    assert verdicts["ml_engineer"].answer == 0.0 and verdicts["ml_engineer"].origin == "model"
    assert verdicts["stakeholders_briefed"].answer == 0.5
    assert verdicts["stakeholders_briefed"].reason == "Board expects perfection."
