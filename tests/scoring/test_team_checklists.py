"""A team's own checklist files (FTCHECK_CHECKLIST_DIR): a bad file is skipped, not fatal, and every problem
in it is named in the file's own terms with its fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import structlog
import yaml
from typer.testing import CliRunner

from bot.cli import app
from bot.services import build_registry
from bot.settings import Settings
from scoring.checklist import BUILTIN_DIR, ChecklistError, Registry, load_checklist
from scoring.checklist_errors import MAX_SHOWN

BUILTINS = {"fine-tuning-readiness", "dataset-readiness", "deployment-quality"}
runner = CliRunner()


def _base(cid: str = "team-check") -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((BUILTIN_DIR / "dataset-readiness.yaml").read_text(encoding="utf-8"))
    data["id"] = cid
    return data


def _write(directory: Path, name: str, data: dict[str, Any]) -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _error(path: Path) -> str:
    with pytest.raises(ChecklistError) as info:
        load_checklist(path)
    return str(info.value)


def _team_dir(tmp_path: Path) -> tuple[Path, Path]:
    """a-good.yaml (team-good) and b-bad.yaml (question 2 has no "why")."""
    _write(tmp_path, "a-good.yaml", _base("team-good"))
    bad = _base("team-bad")
    del bad["questions"][1]["why"]
    return tmp_path, _write(tmp_path, "b-bad.yaml", bad)


# --- 1. one bad file no longer takes every checklist down ------------------------------------------------------


def test_a_bad_team_file_is_skipped_and_everything_else_stays(tmp_path: Path) -> None:
    directory, bad = _team_dir(tmp_path)
    duplicate = _write(directory, "c-copy.yaml", _base("fine-tuning-readiness"))
    registry = Registry(directory)
    assert set(registry.ids()) == BUILTINS | {"team-good"}
    assert registry.get("fine-tuning-readiness").questions[0].key == "q1"
    assert [p.path for p in registry.problems] == [bad, duplicate]
    assert registry.problems[0].problems == [
        'question 2 (locked_test_set): missing "why"; add a line like: why: "Why the answer matters."']


def test_a_missing_team_directory_still_stops_with_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(ChecklistError, match="checklist directory does not exist; create it or point to"):
        Registry(tmp_path / "nope")
    result = runner.invoke(app, ["checklists"], env={"FTCHECK_CHECKLIST_DIR": str(tmp_path / "nope")})
    assert result.exit_code == 2
    assert f"ftcheck: FTCHECK_CHECKLIST_DIR: {tmp_path / 'nope'}: checklist directory does not exist" in result.output


def test_checklists_command_lists_the_skipped_files_with_their_errors(tmp_path: Path) -> None:
    directory, bad = _team_dir(tmp_path)
    result = runner.invoke(app, ["checklists"], env={"FTCHECK_CHECKLIST_DIR": str(directory)})
    assert result.exit_code == 1, result.output
    listed, _, skipped = result.output.partition("Skipped 1 checklist file; fix it and run `ftcheck checklists` again:")
    assert {line.split()[0] for line in listed.strip().splitlines()} == BUILTINS | {"team-good"}
    assert skipped.strip() == f'{bad}: question 2 (locked_test_set): missing "why"; add a line like: why: "Why the ' \
                              'answer matters."'


def test_other_commands_warn_about_a_skipped_file_and_work(tmp_path: Path) -> None:
    directory, bad = _team_dir(tmp_path)
    answers = tmp_path / "answers.json"
    answers.write_text('{"q1": 1, "q2": 1, "q3": 1}', encoding="utf-8")
    result = runner.invoke(app, ["score", "--answers", str(answers), "--checklist", "team-good", "--format", "json"],
                           env={"FTCHECK_CHECKLIST_DIR": str(directory)})
    assert result.exit_code == 0, result.output
    assert f"ftcheck: skipped {bad}: question 2 (locked_test_set): missing \"why\"" in result.stderr
    assert '"total": 3.0' in result.stdout


def test_the_server_logs_each_skipped_file_and_runs_on(tmp_path: Path) -> None:
    directory, bad = _team_dir(tmp_path)
    settings = Settings.model_validate({"FTCHECK_CHECKLIST_DIR": str(directory)})
    with structlog.testing.capture_logs() as logs:
        registry = build_registry(settings)
    assert set(registry.ids()) == BUILTINS | {"team-good"}
    assert logs == [{"event": "checklist_file_skipped", "log_level": "warning", "file": str(bad),
                     "problems": registry.problems[0].problems}]


def test_the_server_stops_on_a_missing_team_directory_with_one_line(tmp_path: Path) -> None:
    settings = Settings.model_validate({"FTCHECK_CHECKLIST_DIR": str(tmp_path / "nope")})
    with pytest.raises(SystemExit) as info:
        build_registry(settings)
    assert str(info.value.code).startswith(f"ftcheck: FTCHECK_CHECKLIST_DIR: {tmp_path / 'nope'}: checklist "
                                           "directory does not exist")


# --- 2. a looping decision tree is refused when the file loads ------------------------------------------------

LEAF = {"verdict": "stop", "text": "Stop.", "go": False}
GO = {"verdict": "go", "text": "Go.", "go": True}


def _tree(nodes: dict[str, tuple[str, Any, Any]], start: str = "a") -> dict[str, Any]:
    return {"start": start, "nodes": {name: {"label": f"{name}?", "questions": [q], "yes": yes, "no": no}
                                      for name, (q, yes, no) in nodes.items()}}


def test_a_looping_decision_tree_is_refused_at_load_naming_the_node_and_the_fix(tmp_path: Path) -> None:
    data = _base()
    data["decision_tree"] = _tree({"a": ("q1", "b", LEAF), "b": ("q2", "c", LEAF), "c": ("q3", GO, "b")})
    message = _error(_write(tmp_path, "team.yaml", data))
    assert message.endswith('team.yaml: decision_tree node c, "no" branch: goes back to b (a → b → c → b), so that '
                            "path never ends; every path must end in a verdict: point it to a later node or a verdict "
                            'such as {verdict: stop, text: "Stop here.", go: false}')


def test_a_tree_whose_paths_meet_again_without_a_loop_is_accepted(tmp_path: Path) -> None:
    data = _base()
    data["decision_tree"] = _tree({"a": ("q1", "b", "c"), "b": ("q2", "d", LEAF), "c": ("q2", "d", LEAF),
                                   "d": ("q3", GO, LEAF)})
    checklist = load_checklist(_write(tmp_path, "team.yaml", data))
    assert checklist.decision_tree is not None and len(checklist.decision_tree.nodes) == 4


# --- 4. problems are named the way the file numbers them, all of them, with the fix ---------------------------


def test_every_problem_is_listed_in_the_files_terms_without_pydantic_wording(tmp_path: Path) -> None:
    data = _base()
    del data["questions"][1]["why"]
    del data["title"]
    data["options"][1]["value"] = -1
    message = _error(_write(tmp_path, "team.yaml", data))
    assert message.splitlines() == [
        f"{tmp_path / 'team.yaml'}: 3 problems:",
        '  - top level: missing "title"; add a line like: title: "Our fine-tuning gate"',
        "  - option 2 (fail): value must be at least 0, not -1",
        '  - question 2 (locked_test_set): missing "why"; add a line like: why: "Why the answer matters."',
    ]


def test_consistency_problems_come_all_together_without_the_value_error_prefix(tmp_path: Path) -> None:
    data = _base()
    data["questions"][2]["section"] = "nowhere"
    data["bands"][0]["min_score"] = 5
    message = _error(_write(tmp_path, "team.yaml", data))
    assert "Value error" not in message and "questions.2" not in message
    assert message.splitlines()[1:] == [
        "  - question 3 (expert_review): section 'nowhere' is not defined; use one of readiness or add it under "
        "sections:",
        "  - band ready: min_score 5 is above the highest possible score, 3 (1 point per question); lower it",
    ]


def test_a_long_list_of_problems_is_capped(tmp_path: Path) -> None:
    data = _base()
    data["questions"] = [dict(data["questions"][0], id=f"q_{n}", number=n, why=None) for n in range(1, 16)]
    lines = _error(_write(tmp_path, "team.yaml", data)).splitlines()
    assert lines[0].endswith("team.yaml: 15 problems:")
    assert len(lines) == 1 + MAX_SHOWN + 1 and lines[-1] == f"  - … and {15 - MAX_SHOWN} more"


def test_bare_yes_and_no_keys_say_to_quote_them(tmp_path: Path) -> None:
    text = (BUILTIN_DIR / "dataset-readiness.yaml").read_text(encoding="utf-8").replace(
        "id: dataset-readiness", "id: team-check")
    text += ("decision_tree:\n  start: n1\n  nodes:\n    n1:\n      label: \"Real data?\"\n      questions: [q1]\n"
             '      yes: {verdict: ok, text: "Go.", go: true}\n'
             '      no: {verdict: stop, text: "Stop.", go: false}\n')
    text = text.replace('{key: pass, label: "Pass", value: 1}', '{key: yes, label: "Yes", value: 1}')
    path = tmp_path / "team.yaml"
    path.write_text(text, encoding="utf-8")
    assert _error(path).splitlines()[1:] == [
        '  - decision_tree node n1: the key yes was read as true (YAML reads a bare yes/no as true/false); quote '
        'it: "yes":',
        '  - decision_tree node n1: the key no was read as false (YAML reads a bare yes/no as true/false); quote '
        'it: "no":',
        '  - option 1: key was read as true (YAML reads a bare yes/no as true/false); quote it: key: "yes"',
    ]


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda d: d.update(decision_tree=_tree({"a": ("q1", {"verdict": "go", "text": "Go.", "goo": True}, LEAF)})),
     'decision_tree node a, "yes" branch: unknown field "goo"; did you mean "go"?'),
    (lambda d: d["questions"][0].update(id="Real Data"),
     "question 1 (Real Data): id must be lowercase letters, digits, - or _ (e.g. team-check), not 'Real Data'"),
    (lambda d: d.update(colour="red"), 'top level: unknown field "colour"; remove it or check the spelling'),
])
def test_a_single_problem_names_the_place_and_the_fix(tmp_path: Path, mutate, expected: str) -> None:
    data = _base()
    mutate(data)
    path = _write(tmp_path, "team.yaml", data)
    message = _error(path)
    assert message.startswith(f"{path}: ") and expected in message


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text("id: team-check\ntitle: [unclosed\n  questions: -\n", encoding="utf-8")
    assert _error(path) == (f"{path}: not valid YAML at line 3, column 12: expected ',' or ']', but got ':' (check "
                            "the quotes, brackets and indentation there)")


# --- 5. two options worth the same are refused ---------------------------------------------------------------


def test_two_options_with_the_same_value_are_refused(tmp_path: Path) -> None:
    data = _base()
    data["options"].append({"key": "maybe", "label": "Maybe", "value": 1})
    assert _error(_write(tmp_path, "team.yaml", data)).endswith(
        "team.yaml: options: 'Pass' and 'Maybe' are both worth 1; give each option its own value (an answer is "
        "stored as its value, so one would show as the other)")
