"""The repeatable-workflow article's iteration triggers (a monitored metric's drop, about 500 new labeled examples, a
materially changed task, a better base model) were only advice text in two next steps (review against the articles):
every result of a checklist that names them now says when to re-evaluate before the next one is due."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.blocks.scorecard import _decision  # the decision block's text, as the thread shows it
from scoring.checklist import ChecklistError, load_checklist
from scoring.render import render_json, render_text
from scoring.verdict import verdict_of
from tests.scoring.test_content_review_fixes import DATASET, FT, GATE, _team_file, card, everywhere, example

EARLY = ("Re-evaluate early if the metric you monitor drops below the threshold you set for it, about 500 new labeled "
         "examples have come in, the task changes materially or a new base model beats the one you use on your eval "
         "set.")


@pytest.mark.parametrize("name", ["example1_support_intent", "example2_medical_diagnosis"])
def test_a_go_and_a_not_yet_both_say_when_to_come_back_early(name: str) -> None:
    result = example(name)
    assert verdict_of(result).sooner == EARLY
    for out in everywhere(result):
        assert EARLY in out
    assert json.loads(render_json(result))["verdict"]["sooner"] == EARLY


def test_the_gate_names_its_own_model_and_a_checklist_without_triggers_says_nothing() -> None:
    sooner = verdict_of(card(GATE)).sooner
    assert sooner is not None and sooner.endswith("or a new base model beats the fine-tuned one on your eval set.")
    assert verdict_of(card(DATASET)).sooner is None and "Re-evaluate early" not in render_text(card(DATASET))


def test_a_provisional_result_leaves_it_for_the_end() -> None:
    partial = card(q5=None)  # type: ignore[arg-type]
    assert partial.provisional and EARLY not in " ".join(render_text(partial).split())


def test_a_team_file_states_its_own_and_a_long_one_is_refused(tmp_path: Path) -> None:
    ours = load_checklist(_team_file(tmp_path, lambda d: d.update(triggers=["the client asks for a new language"])))
    assert verdict_of(card(ours)).sooner == "Re-evaluate early if the client asks for a new language."
    with pytest.raises(ChecklistError, match="triggers"):
        load_checklist(_team_file(tmp_path, lambda d: d.update(triggers=["x" * 201])))


def test_the_slack_scorecard_says_it_too() -> None:
    result = example("example1_support_intent")
    assert f"_{EARLY}_" in _decision(verdict_of(result), result, None)
    assert FT.triggers and len(FT.triggers) == 4


def test_a_provisional_result_says_it_nowhere_json_included() -> None:
    partial = card(q5=None)  # type: ignore[arg-type]
    assert verdict_of(partial).sooner is None and json.loads(render_json(partial))["verdict"]["sooner"] is None
