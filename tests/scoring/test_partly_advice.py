"""A Partly gets a next step that fits a Partly, and a scorecard's decision and its next step never disagree.

An ``if_not`` step is written for a No and often says stop or defer; a Partly gets the question's ``if_partly``
(what is still missing for a full Yes) or, when the checklist gives none, the ``if_not`` step behind a short lead
framing it as the step for a No. A provisional scorecard whose band cannot change any more says so.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from scoring.checklist import BUILTIN_DIR, PARTLY_LEAD, ChecklistError, Registry, load_checklist
from scoring.render import render_markdown, render_text
from scoring.scorecard import normalize_answers, score
from scoring.verdict import verdict_of

REGISTRY = Registry()
FT = REGISTRY.get("fine-tuning-readiness")
EXAMPLES = json.loads((Path(__file__).parent.parent / "data" / "worked_examples.json").read_text())["examples"]
ALL = [f"q{i}" for i in range(1, 21)]
# advice to stop, wait or defer: right for a No, wrong as the step for a Partly under a go decision
STOP = re.compile(r"don't fine-tune|\bdefer|\bstop\b|skip fine-tuning|before fine-tuning|\bstay with|\bmeanwhile\b"
                  r"|next quarter", re.IGNORECASE)


def _fits_a_go(step: str) -> bool:
    """A step shown under a go decision: no stop advice, unless framed as what to do if it turns out a No."""
    return step.startswith(PARTLY_LEAD) or not STOP.search(step)


def _team_file(tmp_path: Path, mutate: Any) -> Path:
    data: dict[str, Any] = yaml.safe_load((BUILTIN_DIR / "fine-tuning-readiness.yaml").read_text(encoding="utf-8"))
    data["id"] = "our-readiness"
    mutate(data)
    path = tmp_path / "ours.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_example_3_strong_go_is_not_told_to_defer_for_its_partly_timeline() -> None:
    card = score(FT, normalize_answers(FT, EXAMPLES["example3_code_generation"]["answers"]))
    v = verdict_of(card)
    assert (v.tone, v.decision, card.total_text) == ("go", "Strong go", "18.5/20")
    assert "q13 (2–4 week timeline) was answered Partly" in v.reason
    assert v.next_step is not None and v.next_step.question == "q13" and v.next_step.answer == "Partly"
    assert v.next_step.next_step == FT.question("q13").if_partly
    assert not STOP.search(v.next_step.next_step), v.next_step.next_step
    for out in (render_text(card), render_markdown(card, FT, normalize_answers(FT, {}), {})):
        assert "Defer and plan for next quarter" not in out


def test_a_no_still_gets_the_if_not_step() -> None:
    answers = {**{q: 1.0 for q in ALL}, "q13": 0.0}
    v = verdict_of(score(FT, normalize_answers(FT, answers)))
    assert v.decision == "Not yet" and v.blocking == ["q13"]
    assert v.next_step is not None and v.next_step.next_step == FT.question("q13").if_not


# the decision tree's thresholds a Partly falls short of (partly_fails); q8's gate lets a high-stakes case on
SHORT_OF_THE_TREE = {"q1", "q7", "q14"}


@pytest.mark.parametrize("key", ALL)
def test_one_partly_under_a_strong_go_gets_a_step_that_fits_it(key: str) -> None:
    v = verdict_of(score(FT, normalize_answers(FT, {**{q: 1.0 for q in ALL}, key: 0.5})))
    assert v.next_step is not None and v.next_step.question == key
    if key in SHORT_OF_THE_TREE:  # not a go, so its Partly step is the step to take: what is still missing
        assert (v.tone, v.decision, v.blocking) == ("warn", "Not yet", [key])
        assert v.next_step.next_step == FT.question(key).if_partly
        return
    assert v.tone == "go"
    assert _fits_a_go(v.next_step.next_step), v.next_step.next_step


def test_every_gap_of_a_go_decision_fits_it_whatever_is_answered_partly() -> None:
    """Every Yes/Partly mix with up to four Partly answers that the checklist calls a go."""
    from itertools import combinations

    seen = 0
    for n in range(1, 5):
        for partly in combinations(ALL, n):
            card = score(FT, normalize_answers(FT, {q: 0.5 if q in partly else 1.0 for q in ALL}))
            if verdict_of(card).tone != "go":
                continue
            seen += 1
            bad = [g.question for group in card.gaps for g in group.gaps if not _fits_a_go(g.next_step)]
            assert bad == [], (partly, bad)
    assert seen > 3000  # up to four Partly answers, none on a threshold of the decision tree


@pytest.mark.parametrize("checklist_id", sorted(REGISTRY.ids()))
def test_shipped_steps_that_say_stop_have_a_partly_step_that_does_not(checklist_id: str) -> None:
    checklist = REGISTRY.get(checklist_id)
    has_partly = any(0 < o.value < 1 for o in checklist.options)
    for q in checklist.questions:
        if not has_partly:
            assert q.if_partly is None, q.key  # it could never be shown
            continue
        if STOP.search(q.if_not):
            assert q.if_partly, f"{q.key}: its if_not says stop or defer; a Partly needs its own step"
        if q.if_partly:
            assert not STOP.search(q.if_partly), (q.key, STOP.search(q.if_partly))
            assert not re.search(r"\b(that|this|the same|the above) example\b", q.if_partly, re.IGNORECASE), q.key


def test_a_checklist_without_if_partly_frames_the_if_not_step_as_what_to_do_for_a_no(tmp_path: Path) -> None:
    def drop(data: dict[str, Any]) -> None:
        for q in data["questions"]:
            q.pop("if_partly", None)

    ours = load_checklist(_team_file(tmp_path, drop))
    card = score(ours, normalize_answers(ours, {**{q: 1.0 for q in ALL}, "q13": 0.5, "q14": 0.0}))
    steps = {g.question: g.next_step for group in card.gaps for g in group.gaps}
    assert steps["q13"] == f"{PARTLY_LEAD} {ours.question('q13').if_not}"
    assert steps["q13"].startswith("For a full Yes, finish what's still missing from the step for a No: ")
    assert steps["q14"] == ours.question("q14").if_not  # a No: the step as written


def test_if_partly_is_checked_like_if_not(tmp_path: Path) -> None:
    def empty(data: dict[str, Any]) -> None:
        data["questions"][12]["if_partly"] = ""

    with pytest.raises(ChecklistError) as info:
        load_checklist(_team_file(tmp_path, empty))
    assert "question 13 (timeline): if_partly must not be empty" in str(info.value)

    def too_long(data: dict[str, Any]) -> None:
        data["questions"][12]["if_partly"] = "x" * 1501

    with pytest.raises(ChecklistError) as info:
        load_checklist(_team_file(tmp_path, too_long))
    assert "if_partly is 1501 characters long; keep it to 1500" in str(info.value)

    def misspelt(data: dict[str, Any]) -> None:
        data["questions"][12]["if_partial"] = data["questions"][12].pop("if_partly")

    with pytest.raises(ChecklistError) as info:
        load_checklist(_team_file(tmp_path, misspelt))
    assert 'question 13 (timeline): unknown field "if_partial"; did you mean "if_partly"?' in str(info.value)


# --- a provisional scorecard whose band cannot change -------------------------------------------------------


def test_a_provisional_strong_go_that_cannot_change_says_so() -> None:
    card = score(FT, normalize_answers(FT, {**{q: 1.0 for q in ALL}, "q3": None, "q9": None}))
    v = verdict_of(card)
    assert card.provisional and card.band_range_names == ("Strong go", "Strong go")
    assert v.line() == ("✅ Strong go — 18/20 so far with 2 unanswered, and the decision tree agrees; whatever they "
                        "say, the band can't change (18–20)")
    assert "Not decided yet" not in render_text(card)


def test_a_fixed_band_with_the_tree_still_waiting_stays_undecided_and_says_why() -> None:
    v = verdict_of(score(FT, normalize_answers(FT, {**{q: 1.0 for q in ALL}, "q13": None, "q9": None})))
    assert v.line() == ("⏳ Not decided yet — 18/20 so far with 2 unanswered; whatever they say, the score stays "
                        "Strong go (18–20), but the decision tree waits for q13")
    assert v.advice is None


def test_a_fixed_band_keeps_the_partly_caveat_and_the_tree_disagreement() -> None:
    caveat = verdict_of(score(FT, normalize_answers(FT, {**{q: 1.0 for q in ALL}, "q13": 0.5, "q9": None})))
    assert caveat.line() == ("✅ Strong go — 18.5/20 so far with 1 unanswered, and the decision tree agrees, though "
                             "q13 (2–4 week timeline) was answered Partly; whatever it says, the band can't change "
                             "(18.5–19.5)")
    tree_go = {**{q: 0.0 for q in ALL}, **{f"q{i}": 1.0 for i in (1, 7, 8, 13, 14)}, "q2": None}
    assert verdict_of(score(FT, normalize_answers(FT, tree_go))).line() == (
        "⛔ Don't fine-tune yet — 5/20 so far; the 1 unanswered question can raise it to 6 at most, and the decision "
        "tree agrees: every step passes, but it goes ahead only at a score of 12 or more")


def test_a_fixed_band_without_a_tree_is_the_decision(tmp_path: Path) -> None:
    ours = load_checklist(_team_file(tmp_path, lambda data: data.pop("decision_tree")))
    v = verdict_of(score(ours, normalize_answers(ours, {**{q: 1.0 for q in ALL}, "q3": None, "q9": None})))
    assert v.line() == ("✅ Strong go — 18/20 so far with 2 unanswered; whatever they say, the band can't change "
                        "(18–20)")


def test_bands_that_can_still_change_stay_not_decided_and_a_fixed_stop_band_stays_a_stop() -> None:
    pending = verdict_of(score(FT, normalize_answers(FT, {"q1": 1, "q2": 0.5})))
    assert pending.line() == ("⏳ Not decided yet — 1.5/20 so far with 18 unanswered; it can end at 1.5–19.5 "
                              "(Don't fine-tune yet to Strong go)")
    stop = verdict_of(score(FT, normalize_answers(FT, {**{q: 0.0 for q in ALL}, "q1": None, "q2": None})))
    assert stop.line() == "⛔ Don't fine-tune yet — 0/20 so far; the 2 unanswered questions can raise it to 2 at most"
