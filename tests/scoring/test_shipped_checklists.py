"""The checklist files the product ships: what teams read and copy as templates.

They cite the articles they come from by title, never by an internal file id; their advice reads on its own
next to each gap; and the deployment gate puts client acceptance first, as its own advice says.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from scoring.checklist import BUILTIN_DIR, Registry, load_checklist
from scoring.scorecard import normalize_answers, score
from scoring.verdict import ranked_gaps, verdict_of

REGISTRY = Registry()
FILES = sorted(BUILTIN_DIR.glob("*.yaml"))
# An internal file id such as "000" or "003" standing alone; not the zeros of "50,000", "$0.005" or "500-2,000".
FILE_ID = re.compile(r"(?<![\d.,$])\b00\d\b(?![.,]\d)")
ARTICLES = (
    "Fine-Tuning Decision Checklist for Teams",
    "Dataset readiness for fine-tuning (product managers)",
    "When fine-tuning beats prompt engineering (and when it doesn't)",
    "Fine-Tuning Quality Checklist: 10 Tests Before Deploying to Clients",
    "Stop Treating Model Projects as One-Off Experiments",
)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def test_the_file_id_pattern_finds_ids_and_leaves_numbers_alone() -> None:
    assert FILE_ID.findall("000 q1; 001 situation table; drawn from seeds 001 (x) and 004.") == ["000", "001", "001",
                                                                                               "004"]
    assert not FILE_ID.search("50,000 a day, $0.005 a request, 500-2,000 examples, 1.005, 2005, 0.05")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_shipped_checklist_names_an_internal_file_id(path: Path) -> None:
    text = path.read_text(encoding="utf-8")  # comments included: teams copy these files as templates
    assert not FILE_ID.search(text), FILE_ID.findall(text)
    assert not re.search(r"\bseeds?\b", text, re.IGNORECASE)
    checklist = load_checklist(path)
    found = [s for s in _strings(checklist.model_dump()) if FILE_ID.search(s) or re.search(r"\bseeds?\b", s, re.I)]
    assert found == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_question_cites_its_article_by_title(path: Path) -> None:
    checklist = load_checklist(path)
    for q in checklist.questions:
        assert q.source and q.source.startswith(ARTICLES), (q.key, q.source)
    assert checklist.source in ARTICLES


def test_q19_asks_whether_the_alternatives_were_weighed_as_the_articles_examples_score_it() -> None:
    why = REGISTRY.get("fine-tuning-readiness").question("q19").why
    assert "only if" not in why.lower()
    assert why.startswith("Fine-tuning teaches behavior, not facts")  # why it matters first, then how to answer
    assert "Answer Yes when you have weighed fine-tuning against RAG + prompting" in why


@pytest.mark.parametrize("checklist_id", sorted(REGISTRY.ids()))
def test_every_next_step_reads_on_its_own(checklist_id: str) -> None:
    """The scorecard prints a gap's next step without its "why": a step can't lean on an example given there."""
    for q in REGISTRY.get(checklist_id).questions:
        assert not re.search(r"\b(that|this|the same|the above) example\b", q.if_not, re.IGNORECASE), q.key


def test_the_deployment_gate_puts_client_acceptance_first() -> None:
    gate = REGISTRY.get("deployment-quality")
    answers = {f"q{n}": 1.0 for n in range(1, 11)} | {"q1": 0.0, "q2": 0.0, "q10": 0.0}
    card = score(gate, normalize_answers(gate, answers))
    verdict = verdict_of(card)
    assert "client acceptance first" in (verdict.advice or "")
    assert verdict.next_step is not None and verdict.next_step.question == "q10"
    assert [g.question for g in ranked_gaps(card)] == ["q10", "q1", "q2"]
    assert [group.section for group in card.gaps] == ["value", "quality"]  # the scorecard's list agrees


def test_a_team_checklist_orders_next_steps_by_priority(tmp_path: Path) -> None:
    data: dict[str, Any] = yaml.safe_load((BUILTIN_DIR / "deployment-quality.yaml").read_text(encoding="utf-8"))
    data["id"] = "our-gate"
    data["questions"][9].pop("priority")
    data["questions"][3]["priority"] = 2  # latency
    data["questions"][8]["priority"] = 1  # cost per inference
    path = tmp_path / "our-gate.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    gate = load_checklist(path)
    card = score(gate, normalize_answers(gate, {f"q{n}": 0.0 for n in range(1, 11)}))
    assert [g.question for g in ranked_gaps(card)][:3] == ["q9", "q4", "q1"]


def test_blocking_questions_of_a_decision_tree_still_come_before_priorities(tmp_path: Path) -> None:
    data: dict[str, Any] = yaml.safe_load((BUILTIN_DIR / "fine-tuning-readiness.yaml").read_text(encoding="utf-8"))
    data["id"] = "our-readiness"
    data["questions"][19]["priority"] = 1  # q20, maintenance plan
    path = tmp_path / "ours.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    ours = load_checklist(path)
    answers = {f"q{n}": 1.0 for n in range(1, 21)} | {"q1": 0.0, "q20": 0.0, "q3": 0.0}
    assert [g.question for g in ranked_gaps(score(ours, normalize_answers(ours, answers)))] == ["q1", "q20", "q3"]
