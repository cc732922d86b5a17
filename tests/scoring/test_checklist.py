"""Checklist files: the built-ins are complete, and a bad file names the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scoring.checklist import BUILTIN_DIR, ChecklistError, Registry, load_checklist


def test_fine_tuning_checklist_is_the_sources() -> None:
    ft = Registry().get("fine-tuning-readiness")
    assert [q.key for q in ft.questions] == [f"q{i}" for i in range(1, 21)]
    by_section = {s.id: [q.number for q in ft.questions if q.section == s.id] for s in ft.sections}
    assert by_section == {"data": [1, 2, 3, 4, 5, 6], "accuracy": [7, 8, 9, 10, 11], "resources": [12, 13, 14, 15],
                          "organizational": [16, 17, 18, 19, 20]}
    assert [(o.key, o.value) for o in ft.options] == [("yes", 1), ("partly", 0.5), ("no", 0)]
    assert [(b.id, b.min_score) for b in ft.bands] == [("strong", 16), ("conditional", 12), ("weak", 8), ("dont", 0)]
    assert ft.question("q1").text.startswith("Do you have 500+ labeled examples")
    assert all(q.why and q.if_not for q in ft.questions)


def test_registry_lists_three_builtins() -> None:
    assert set(Registry().ids()) == {"fine-tuning-readiness", "dataset-readiness", "deployment-quality"}


def _write(tmp: Path, data: dict, name: str = "custom.yaml") -> Path:
    path = tmp / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _base() -> dict:
    return yaml.safe_load((BUILTIN_DIR / "dataset-readiness.yaml").read_text(encoding="utf-8"))


def test_team_checklist_directory(tmp_path: Path) -> None:
    data = _base()
    data["id"] = "our-gate"
    _write(tmp_path, data)
    registry = Registry(tmp_path)
    assert "our-gate" in registry.ids() and registry.get("our-gate").title


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda d: d["questions"][0].pop("text"), 'question 1 (production_data): missing "text"; add a line like: text: '),
    (lambda d: d["questions"][0].update(section="nowhere"),
     "question 1 (production_data): section 'nowhere' is not defined; use one of readiness"),
    (lambda d: d["bands"].reverse(), "bands: list them from the highest min_score down"),
    (lambda d: d["options"][0].update(value=3), "option 1 (pass): value must be at most 1, not 3"),
])
def test_invalid_file_names_file_and_field(tmp_path: Path, mutate, field: str) -> None:
    data = _base()
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(ChecklistError) as info:
        load_checklist(path)
    assert str(path) in str(info.value) and field in str(info.value)


def test_not_yaml_and_duplicate_ids(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(ChecklistError, match=r"broken\.yaml: not valid YAML"):
        load_checklist(bad)
    bad.unlink()
    copy = _write(tmp_path, _base(), "copy.yaml")
    registry = Registry(tmp_path)  # the copy is skipped; the built-in it repeats stays
    assert registry.get("dataset-readiness").title == "Dataset readiness"
    assert [p.path for p in registry.problems] == [copy]
    assert "checklist id 'dataset-readiness' is already used by" in str(registry.problems[0])
    assert "give this checklist another id" in str(registry.problems[0])
