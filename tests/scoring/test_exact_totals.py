"""Totals are summed exactly: options worth 0.7 + 0.2 + 0.1 make 1, so the band, the range and the text agree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from scoring.checklist import BUILTIN_DIR, Checklist, load_checklist
from scoring.render import render
from scoring.scorecard import normalize_answers, score
from scoring.verdict import verdict_of


def _fractional(tmp_path: Path) -> Checklist:
    data: dict[str, Any] = yaml.safe_load((BUILTIN_DIR / "dataset-readiness.yaml").read_text(encoding="utf-8"))
    data["id"] = "graded"
    data["options"] = [{"key": "full", "label": "Full", "value": 1}, {"key": "most", "label": "Mostly", "value": 0.7},
                       {"key": "some", "label": "Some", "value": 0.2}, {"key": "bit", "label": "A bit", "value": 0.1},
                       {"key": "none", "label": "None", "value": 0}]
    data["bands"][0]["min_score"] = 1
    path = tmp_path / "graded.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_checklist(path)


def test_a_total_of_point_seven_point_two_point_one_is_one_and_in_the_band_of_one(tmp_path: Path) -> None:
    checklist = _fractional(tmp_path)
    card = score(checklist, normalize_answers(checklist, {"q1": 0.7, "q2": 0.2, "q3": 0.1}))
    assert card.total == 1.0 and card.sections[0].score == 1.0
    assert card.band.id == "ready"
    verdict = verdict_of(card)
    assert verdict.decision == "Ready to train" and verdict.line().startswith("✅ Ready to train — 1/3")
    assert "Ready to train" in render(card, checklist, "text")


def test_a_provisional_range_is_summed_exactly_too(tmp_path: Path) -> None:
    checklist = _fractional(tmp_path)
    card = score(checklist, normalize_answers(checklist, {"q1": 0.7, "q2": 0.2, "q3": None}))
    assert card.range == (0.9, 1.9)
    assert card.band_range == ("not_ready", "ready")


def test_band_for_forgives_binary_rounding_noise(tmp_path: Path) -> None:
    checklist = _fractional(tmp_path)
    assert checklist.band_for(0.7 + 0.2 + 0.1).id == "ready"
    assert checklist.band_for(0.999).id == "not_ready"
