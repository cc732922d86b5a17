"""`ftcheck score` and `ftcheck checklists` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

EXAMPLES = json.loads((Path(__file__).parent.parent / "data" / "worked_examples.json").read_text())["examples"]
runner = CliRunner()


def test_score_json(tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(EXAMPLES["example2_medical_diagnosis"]["answers"]))
    result = runner.invoke(app, ["score", "--answers", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["total"], data["max"], data["band"]) == (12, 20, "conditional")
    assert data["checklist"] == "fine-tuning-readiness"
    assert [s["id"] for s in data["sections"]] == ["data", "accuracy", "resources", "organizational"]
    assert data["decision_tree"]["verdict"] == "collect_data" and data["decision_tree"]["agrees_with_band"] is False
    assert data["unanswered"] == [] and data["gaps"]


@pytest.mark.parametrize("fmt", ["text", "md"])
def test_score_text_and_markdown(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"q1": 1, "q2": 0.5, "q3": None}))
    result = runner.invoke(app, ["score", "--answers", str(path), "--format", fmt])
    assert result.exit_code == 0, result.output
    assert "Not decided yet" in result.output
    assert "1.5/20 so far with 18 unanswered; it can end at 1.5–19.5" in result.output


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not JSON"),
    ('{"q99": 1}', "unknown question 'q99'"),
    ('{"q1": 2}', "q1: 2 is not an allowed answer"),
    ("[1, 2]", "expected an object"),
])
def test_bad_files_exit_nonzero_with_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "answers.json"
    path.write_text(content)
    proc = subprocess.run([sys.executable, "-m", "bot", "score", "--answers", str(path)], capture_output=True,
                          text=True, check=False)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr


def test_checklists_lists_all() -> None:
    result = runner.invoke(app, ["checklists"])
    assert result.exit_code == 0
    for cid in ("fine-tuning-readiness", "dataset-readiness", "deployment-quality"):
        assert cid in result.output


def test_suggest_json_offline() -> None:
    brief = Path(__file__).parent.parent / "data" / "briefs" / "example4_marketing_subject_lines.md"
    result = runner.invoke(app, ["suggest", str(brief), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"suggestions", "no_evidence", "dropped", "facts", "usage"} <= set(data)
    first = data["suggestions"][0]
    assert set(first) >= {"question", "answer", "reason", "evidence"} and first["question"].startswith("q")
    assert data["usage"]["total_tokens"] == 0 and data["usage"]["estimated_cost_usd"] == 0
    text = brief.read_text(encoding="utf-8").lower()
    assert all(" ".join(s["evidence"].lower().split())[:40] in " ".join(text.split()) for s in data["suggestions"])


def test_suggest_refuses_oversized_input(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    path.write_text("word " * 5000)
    proc = subprocess.run([sys.executable, "-m", "bot", "suggest", str(path)], capture_output=True, text=True,
                          check=False)
    assert proc.returncode != 0
    assert "has 24,999 characters; the limit is 20,000" in proc.stderr
