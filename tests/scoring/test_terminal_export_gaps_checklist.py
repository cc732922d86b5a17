"""A team checklist's unknown field: the hint names the field meant, never the same word back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from scoring.checklist import BUILTIN_DIR, ChecklistError, load_checklist


def _problems(tmp_path: Path, data: dict[str, Any]) -> list[str]:
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ChecklistError) as info:
        load_checklist(path)
    message = str(info.value).removeprefix(f"{path}: ")
    return [line.strip().removeprefix("- ") for line in message.splitlines()[1:]] or [message]


def _base() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((BUILTIN_DIR / "dataset-readiness.yaml").read_text(encoding="utf-8"))
    data["id"] = "team-check"
    return data


def test_a_field_of_another_kind_of_entry_is_pointed_at_this_ones_word(tmp_path: Path) -> None:
    """Review finding: a band with `label:` and `text:` was told `unknown field "label"; did you mean "label"?`."""
    data = _base()
    band = data["bands"][0]
    band["label"], band["text"] = band.pop("name"), "Go ahead."
    data["sections"][0]["name"] = data["sections"][0].pop("title")
    data["options"][0]["name"] = "Pass"
    problems = _problems(tmp_path, data)
    band_place = f"band 1 ({band['id']})"
    assert f'{band_place}: unknown field "label"; did you mean "name"?' in problems
    assert f'{band_place}: unknown field "text"; did you mean "recommendation"?' in problems
    section = data["sections"][0]["id"]
    assert f'section 1 ({section}): unknown field "name"; did you mean "title"?' in problems
    assert f'option 1 ({data["options"][0]["key"]}): unknown field "name"; did you mean "label"?' in problems
    for problem in problems:
        if "did you mean" in problem:
            unknown, meant = problem.split('"')[1], problem.split('"')[3]
            assert unknown != meant, problem


def test_a_misspelling_is_matched_within_its_own_kind_of_entry_or_not_at_all(tmp_path: Path) -> None:
    data = _base()
    data["sections"][0]["titel"] = "x"
    data["questions"][0]["if_partial"] = "x"
    data["bands"][0]["verdict"] = "go"  # a tree leaf's field, nothing like a band's
    problems = _problems(tmp_path, data)
    assert any(p.endswith('unknown field "titel"; did you mean "title"?') for p in problems)
    assert any(p.endswith('unknown field "if_partial"; did you mean "if_partly"?') for p in problems)
    assert any(p.endswith('unknown field "verdict"; remove it or check the spelling') for p in problems)
