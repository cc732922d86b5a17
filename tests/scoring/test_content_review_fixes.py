"""The content review: the scorecard decides and words things as the source articles do.

A Partly short of one of the decision tree's thresholds is not a go; a gap under 5% goes on when the use case is
high-stakes; the tree answers its own "Score < 8?"; the budget gate reads $2K+; the checklists' description, their
"re-evaluate" line and the dataset "your situation → what to do" table reach the reader; the criteria and next
steps say what the articles say; the JSON's recommendation follows the decision.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from scoring import verdict
from scoring.checklist import BUILTIN_DIR, Checklist, ChecklistError, Registry, load_checklist
from scoring.render import render_json, render_markdown, render_text
from scoring.scorecard import Scorecard, normalize_answers, score
from scoring.verdict import verdict_of

REGISTRY = Registry()
FT = REGISTRY.get("fine-tuning-readiness")
DATASET = REGISTRY.get("dataset-readiness")
GATE = REGISTRY.get("deployment-quality")
EXAMPLES = json.loads((Path(__file__).parent.parent / "data" / "worked_examples.json").read_text())["examples"]
ALL = [f"q{i}" for i in range(1, 21)]


def card(checklist: Checklist = FT, /, **answers: float) -> Scorecard:
    return score(checklist, normalize_answers(checklist, {**{q.key: 1.0 for q in checklist.questions}, **answers}))


def example(name: str) -> Scorecard:
    return score(FT, normalize_answers(FT, EXAMPLES[name]["answers"]))


def everywhere(c: Scorecard, checklist: Checklist = FT) -> list[str]:
    """The scorecard as text, Markdown and JSON, each flattened to single spaces."""
    answers = {q.id: 1.0 for q in checklist.questions}
    return [" ".join(out.split()) for out in (render_text(c), render_markdown(c, checklist, answers, {}),
                                              render_json(c))]


def _team_file(tmp_path: Path, mutate: Any, source: str = "fine-tuning-readiness.yaml") -> Path:
    data: dict[str, Any] = yaml.safe_load((BUILTIN_DIR / source).read_text(encoding="utf-8"))
    data["id"] = "ours"
    mutate(data)
    path = tmp_path / "ours.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# --- C1: a Partly on a threshold of the decision tree ----------------------------------------------------------


@pytest.mark.parametrize("key", ["q1", "q7", "q14"])
def test_a_partly_short_of_a_tree_threshold_is_not_a_go_and_says_why(key: str) -> None:
    c = card(**{key: 0.5})
    v = verdict_of(c)
    assert (v.tone, v.decision, v.blocking) == ("warn", "Not yet", [key])
    assert "agrees" not in v.line() and not v.line().startswith("✅")
    assert "blocks it (answered Partly, which the decision tree counts as No there)" in v.line()
    assert v.next_step is not None and v.next_step.next_step == FT.question(key).if_partly
    assert v.tree is not None and "counted as No (" in v.tree and f"{key})" in v.tree.split("counted as No")[1]
    text, md, _ = everywhere(c)
    for out in (text, md):
        assert "answered Partly, which the decision tree counts as No there" in out
        assert "Go ahead with confidence" not in out
    data = json.loads(render_json(c))
    assert data["verdict"]["tone"] == "warn" and "counts as No there" in data["verdict"]["line"]
    assert "Go ahead with confidence" not in data["recommendation"]


def test_the_timeline_partly_still_goes_ahead_as_the_articles_code_generation_example_does() -> None:
    v = verdict_of(example("example3_code_generation"))
    assert (v.tone, v.decision) == ("go", "Strong go")
    assert v.line() == ("✅ Strong go — 18.5/20, and the decision tree agrees, though q13 (2–4 week timeline) was "
                        "answered Partly")


@pytest.mark.parametrize(("name", "decision", "tree"), [
    ("example1_support_intent", "Strong go", "fine_tune"), ("example2_medical_diagnosis", "Not yet", "collect_data"),
    ("example3_code_generation", "Strong go", "fine_tune"),
    ("example4_marketing_subject_lines", "Don't fine-tune yet", "collect_data"),
    ("example5_financial_docs", "Strong go", "fine_tune")])
def test_the_five_worked_examples_decide_as_the_article(name: str, decision: str, tree: str) -> None:
    c = example(name)
    assert verdict_of(c).decision == decision
    assert c.decision_tree is not None and c.decision_tree.verdict == tree


def test_a_team_tree_without_partly_fails_keeps_counting_a_partly_as_yes_and_its_fingerprint(tmp_path: Path) -> None:
    def lenient(data: dict[str, Any]) -> None:
        for node in data["decision_tree"]["nodes"].values():
            node.pop("partly_fails", None)

    ours = load_checklist(_team_file(tmp_path, lenient))
    v = verdict_of(score(ours, normalize_answers(ours, {**{q: 1.0 for q in ALL}, "q1": 0.5})))
    assert v.tone == "go" and "though q1 (500+ labeled examples) was answered Partly" in v.line()
    tree = {"start": "a", "nodes": {"a": {"label": "Data?", "questions": ["q1"], "yes": {
        "verdict": "go", "text": "Go.", "go": True}, "no": {"verdict": "stop", "text": "Stop.", "go": False}}}}
    team = load_checklist(_team_file(tmp_path, lambda d: d.update(id="team", decision_tree=tree)))
    assert team.fingerprint == "a9bc56a1c7"  # as before partly_fails and score_check existed


def test_partly_fails_must_name_a_question_of_its_own_node(tmp_path: Path) -> None:
    def wrong(data: dict[str, Any]) -> None:
        data["decision_tree"]["nodes"]["examples"]["partly_fails"] = ["q7"]

    with pytest.raises(ChecklistError) as info:
        load_checklist(_team_file(tmp_path, wrong))
    assert ("decision_tree node examples: partly_fails names 'q7', which is not one of its questions (q1); list only "
            "questions this node asks") in str(info.value)

    def bad_slug(data: dict[str, Any]) -> None:
        data["decision_tree"]["nodes"]["examples"]["partly_fails"] = ["Q 1"]

    with pytest.raises(ChecklistError) as info:
        load_checklist(_team_file(tmp_path, bad_slug))
    assert "decision_tree node examples partly_fails 0 must be lowercase letters" in str(info.value)


@given(st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=20, max_size=20), st.integers(0, 19))
def test_raising_an_answer_never_turns_the_trees_go_into_a_no_go(values: list[float], index: int) -> None:
    before = score(FT, {q.id: v for q, v in zip(FT.questions, values, strict=True)}).decision_tree
    raised = [*values[:index], 1.0, *values[index + 1:]]
    after = score(FT, {q.id: v for q, v in zip(FT.questions, raised, strict=True)}).decision_tree
    assert before is not None and after is not None
    assert not (before.go and not after.go)


# --- C2: a gap under 5% on a high-stakes use case --------------------------------------------------------------


def test_a_gap_under_5_percent_goes_on_when_the_use_case_is_high_stakes() -> None:
    c = card(q8=0)
    v = verdict_of(c)
    assert (v.tone, v.decision) == ("go", "Strong go")
    assert "q8 (5% accuracy gap) was answered No, but it goes on past that at" in v.line()
    assert "high-stakes" in v.line() and "(q9 yes)" in v.line()
    assert v.tree is not None and "Accuracy gap >= 5%? No (q8) → Gap under 5%, but high-stakes" in v.tree
    assert "skip unless high-stakes" not in v.tree


def test_a_gap_under_5_percent_on_a_nice_to_have_stops_on_both_questions() -> None:
    v = verdict_of(card(q8=0, q9=0))
    assert (v.decision, v.blocking) == ("Not yet", ["q8", "q9"])
    assert v.line().startswith("⚠ Not yet — q8 (5% accuracy gap) and q9 (worth the effort) block it")
    assert v.tree is not None and v.tree.endswith("Marginal gain and not high-stakes; skip fine-tuning.")
    assert verdict_of(card(q8=0, q9=0.5)).decision == "Not yet"  # somewhat important is not high-stakes


# --- C3: the tree answers its own "Score < 8?" -----------------------------------------------------------------


def test_the_tree_answers_score_under_8_from_the_score() -> None:
    two, four = example("example2_medical_diagnosis"), example("example4_marketing_subject_lines")
    assert two.decision_tree is not None and four.decision_tree is not None
    assert two.decision_tree.verdict_text == ("Collect data first. The score, 12/20, is 8 or more: revisit "
                                              "fine-tuning once the data is in.")
    assert four.decision_tree.verdict_text == ("Collect data first. The score, 5.5/20, is under 8: skip fine-tuning "
                                               "for now.")
    for out in (*everywhere(two), *everywhere(four)):
        assert "Score < 8?" not in out and "< 8" not in out


def test_a_provisional_score_check_says_what_it_can() -> None:
    unsure = score(FT, normalize_answers(FT, {"q1": 0, "q2": 1, "q3": 1, **{f"q{i}": 0 for i in range(4, 14)}}))
    assert unsure.decision_tree is not None and unsure.decision_tree.verdict_text == (
        "Collect data first. The score, 2/20 so far, can still end under 8 or not (2–9); under 8: skip fine-tuning "
        "for now.")
    low = score(FT, normalize_answers(FT, {q: 0 for q in ALL[:19]}))
    assert low.decision_tree is not None and low.decision_tree.verdict_text.endswith(
        "The score, 0/20 so far, stays under 8 whatever the rest say: skip fine-tuning for now.")


# --- C4: the budget gate and the first gate say what they read --------------------------------------------------


def test_the_budget_question_says_more_than_10k_is_a_yes_and_the_gates_are_labelled_honestly() -> None:
    q14 = FT.question("q14")
    assert q14.text == "Is your budget $2,000–$10,000 (including labeling, training, infrastructure)?"
    assert "a budget above $10,000 is a Yes" in " ".join(q14.why.split())
    assert q14.criteria is not None and "more than $10,000 counts as a Yes" in " ".join(q14.criteria.split())
    assert FT.decision_tree is not None
    nodes = FT.decision_tree.nodes
    assert nodes["examples"].label == "500+ labeled examples (or the budget to create them)?"
    assert "$2K+" in nodes["resources"].label and "q14" in nodes["resources"].questions


# --- C5: the description, the re-evaluate line and the situation table reach the reader ----------------------


def test_a_not_yet_scorecard_says_when_to_re_evaluate_and_a_go_does_not() -> None:
    line = 'a "don\'t do it now" in the first quarter of the year might become a "strong candidate" by the third'
    for not_yet in (example("example2_medical_diagnosis"), example("example4_marketing_subject_lines")):
        v = verdict_of(not_yet)
        assert v.revisit is not None and v.revisit.startswith("Re-evaluate quarterly") and line in v.revisit
        text, md, _ = everywhere(not_yet)
        assert line in text and line in md
        assert json.loads(render_json(not_yet))["verdict"]["revisit"] == v.revisit
    go = example("example1_support_intent")
    assert verdict_of(go).revisit is None and all("Re-evaluate quarterly" not in out for out in everywhere(go))


def test_dataset_gaps_show_the_your_situation_table_in_every_format() -> None:
    failed = card(DATASET, q2=0)
    rows = verdict.situation_advice(failed)
    assert len(rows) == 12 and rows == list(DATASET.advice)
    text, md, _ = everywhere(failed, DATASET)
    assert "Your situation → what to do Find the row that matches your dataset" in text
    assert ("• No evaluation harness yet → Build the eval set first, then the training set. Without evaluation you "
            "can't tell whether fine-tuning helped.") in text
    assert "| Multilingual or multi-domain data | Plan a separate evaluation per language or domain |" in md
    data = json.loads(render_json(failed))
    assert data["situation_advice"][4] == {"situation": "Synthetic (LLM-generated) data only",
                                           "action": "Treat as high risk; require a human validation step",
                                           "why": "Synthetic-only training rarely produces production-quality models"}
    # passing all three checks does not rule out a situation the answers do not tell (review: "Ready to train"
    # for 300 examples): the rows show under a pass too, and the band says the checks are not sufficient
    passed = card(DATASET)
    assert verdict.situation_advice(passed) == list(DATASET.advice) and len(render_json_rows(passed)) == 12
    text, md, as_json = everywhere(passed, DATASET)
    for out in (text, md):
        assert "The checks passed, but they do not tell your dataset's size or origin." in out, out
    for out in (text, md, as_json):
        assert "Under 500 high-quality examples available" in out and "under 500 high-quality examples, don't" in out


def render_json_rows(c: Scorecard) -> list[object]:
    rows: list[object] = json.loads(render_json(c))["situation_advice"]
    return rows


def test_the_decision_log_and_json_carry_the_checklists_description() -> None:
    c = card(GATE, q3=0)
    md = everywhere(c, GATE)[1]
    assert "- **About the checklist:** Ten pass/fail tests" in md
    assert "someone other than the person who trained the model runs it" in md
    assert json.loads(render_json(c))["description"] == GATE.description


# --- C6, C7: the criteria and next steps say what the articles say ---------------------------------------------


def test_expert_review_passes_on_a_reviewed_sample_and_the_stricter_advice_is_the_tables() -> None:
    criteria = DATASET.question("q3").criteria or ""
    assert "have reviewed at least a representative sample" in " ".join(criteria.split())
    assert "whole dataset" not in criteria and "5,000" not in criteria
    assert any(a.situation.startswith("500 to 5,000") and "full dataset" in a.action for a in DATASET.advice)


def test_a_hallucination_failure_says_what_to_do() -> None:
    step = " ".join(GATE.question("q2").if_not.split())
    assert "mitigations" not in step
    assert "training data is too small or the model is overfitting" in step
    assert "add verified examples" in step and "RAG layer" in step


# --- C8: the JSON's recommendation follows the decision --------------------------------------------------------


def test_the_json_recommendation_follows_the_decision_and_the_bands_stays_apart() -> None:
    data = json.loads(render_json(example("example2_medical_diagnosis")))
    assert data["verdict"]["decision"] == "Not yet"
    assert data["recommendation"].startswith("Collect data first.") and "Conditional go" not in data["recommendation"]
    assert data["verdict"]["recommendation"] == data["recommendation"]
    assert data["band_recommendation"].startswith("Conditional go. Prioritize addressing gaps")
    go = json.loads(render_json(example("example1_support_intent")))
    assert go["recommendation"] == "Strong candidate for fine-tuning. Go ahead with confidence."
    weak = json.loads(render_json(card(**{f"q{i}": 0 for i in (2, 3, 4, 5, 6, 9, 10, 11, 12)})))
    # every step of the tree passes at 11/20, but its go needs 12 or more, so the tree agrees with the band
    assert (weak["verdict"]["decision"], weak["verdict"]["tone"]) == ("Weak candidate", "stop")
    assert weak["recommendation"] == "Consider RAG + prompting first; revisit fine-tuning later."
