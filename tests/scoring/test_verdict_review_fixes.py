"""The reader review's verdict findings: a kept result keeps the warning it was decided with and its JSON agrees
with its line; the tree's go holds only at its own "checklist score >= 12"; the situation table says it is not
chosen from the answers; the revisit line's quarters do not read as questions; a two-question step says whose
Partly it counted as No."""

from __future__ import annotations

import json

import pytest

from scoring.checklist import Registry
from scoring.render import render_json, render_markdown, render_text
from scoring.scorecard import Decided, Scorecard, as_decided, normalize_answers, score
from scoring.verdict import CHANGED_SINCE, decided_of, verdict_of

REGISTRY = Registry()
FT = REGISTRY.get("fine-tuning-readiness")
DATASET = REGISTRY.get("dataset-readiness")
ALL = [f"q{i}" for i in range(1, 21)]
CONFIRM_Q1 = ("Confirm q1 (500+ labeled examples) first: the decision tree goes ahead only by counting its Partly as "
              "a Yes. Once confirmed, the score's advice holds: Strong candidate for fine-tuning. Go ahead with "
              "confidence.")


def card(**answers: float | None) -> Scorecard:
    return score(FT, normalize_answers(FT, {**{q: 1.0 for q in ALL}, **answers}))


def flat(text: str) -> str:
    return " ".join(text.split())


def outputs(c: Scorecard) -> list[str]:
    answers = normalize_answers(FT, {q: 1.0 for q in ALL})
    return [flat(render_text(c)), flat(render_markdown(c, FT, answers, {})), flat(render_json(c))]


def kept(today: Scorecard, **decided: object) -> Scorecard:
    """``today`` showing a result kept from an older checklist (as the code before this session stored it)."""
    record = Decided.model_validate({"fingerprint": "an-older-one", "max": 20.0, **decided})
    return as_decided(today, record, FT)


# --- K2: a kept result keeps the warning it was decided with ------------------------------------------------


def test_a_kept_strong_go_through_a_partly_keeps_confirm_it_first_everywhere() -> None:
    c = kept(card(q1=0.5), total=19.5, band="strong", band_name="Strong go", go=True, tone="go",
             decision="Strong go", reason="19.5/20, and the decision tree agrees, though q1 (500+ labeled examples) "
                                          "was answered Partly")
    v = verdict_of(c)
    assert v.advice == CONFIRM_Q1 and v.recommendation == CONFIRM_Q1
    for out in outputs(c):
        assert "Confirm q1 (500+ labeled examples) first" in out
        assert out.index("Confirm q1") < out.index("Go ahead with confidence")
    assert json.loads(render_json(c))["recommendation"] == CONFIRM_Q1


def test_a_kept_not_yet_names_what_blocks_it_in_its_json() -> None:
    c = kept(card(q1=0.0), total=19.0, band="strong", band_name="Strong go", go=True, tone="warn",
             decision="Not yet", reason="q1 (500+ labeled examples) blocks it",
             band_alone="the score alone, 19/20, would be Strong go")
    v = verdict_of(c)
    assert v.blocking == ["q1"]
    data = json.loads(render_json(c))
    assert data["verdict"]["blocking"] == ["q1"] and "q1 (500+ labeled examples) blocks it" in data["verdict"]["line"]
    assert data["recommendation"] == ("Resolve q1 (500+ labeled examples) first: the decision tree stops there, "
                                      "whatever the score.")
    assert "Go ahead" not in data["recommendation"]


@pytest.mark.parametrize("answers", [{"q1": 0.0, "q7": 0.0, "q8": 0.0, "q2": 0.0, "q3": 0.0},
                                     {"q13": 0.5, "q4": 0.5, "q5": 0.5}, {"q14": 0.5}, {"q8": 0.0, "q9": 0.0}])
def test_a_result_kept_today_says_what_it_said_when_it_was_decided(answers: dict[str, float]) -> None:
    then = card(**answers)
    before = verdict_of(then)
    after = verdict_of(as_decided(then, decided_of(then, "an-older-one"), FT))
    assert after.line() == before.line().replace(before.reason, f"{before.reason} ({CHANGED_SINCE})")
    assert (after.advice, after.blocking) == (before.advice, before.blocking)
    if before.tone != "warn":
        assert after.recommendation == before.recommendation


# --- K5: the tree goes ahead only with a checklist score of 12 or more --------------------------------------


TREE_GOES = {**{q: 0.0 for q in ALL}, **{f"q{i}": 1.0 for i in (1, 7, 8, 13, 14)}}  # every step Yes, 5/20


def test_under_12_every_step_passing_is_not_a_go_of_the_tree() -> None:
    c = score(FT, normalize_answers(FT, TREE_GOES))
    v = verdict_of(c)
    assert c.decision_tree is not None and c.decision_tree.go is False
    assert v.line() == ("⛔ Don't fine-tune yet — 5/20, and the decision tree agrees: every step passes, but it goes "
                        "ahead only at a score of 12 or more")
    assert v.tree is not None and v.tree.endswith(
        "FINE-TUNE. Go ahead with checklist score >= 12. The score, 5/20, is under 12: the condition is not met, so "
        "the decision tree does not go ahead.")
    assert v.blocking == [] and c.disagreement is None
    for out in outputs(c):
        assert "alone would go ahead" not in out


def test_under_12_with_a_question_left_that_cannot_reach_12() -> None:
    v = verdict_of(score(FT, normalize_answers(FT, {**TREE_GOES, "q2": None})))
    assert v.line() == ("⛔ Don't fine-tune yet — 5/20 so far; the 1 unanswered question can raise it to 6 at most, "
                        "and the decision tree agrees: every step passes, but it goes ahead only at a score of 12 or "
                        "more")


def test_at_12_or_more_the_go_leaf_says_nothing_more() -> None:
    c = score(FT, normalize_answers(FT, {**TREE_GOES, **{f"q{i}": 1.0 for i in range(2, 11)}}))
    assert c.total_text == "12/20" and c.decision_tree is not None and c.decision_tree.go is True
    assert c.decision_tree.verdict_text == "FINE-TUNE. Go ahead with checklist score >= 12."
    assert verdict_of(c).tone == "go"


# --- K6: the situation table says how to read it -------------------------------------------------------------


def test_the_situation_table_is_not_said_to_be_chosen_by_the_gaps() -> None:
    failed = score(DATASET, {q.id: 0.0 if q.number == 2 else 1.0 for q in DATASET.questions})
    answers = {q.id: 1.0 for q in DATASET.questions}
    text, md = flat(render_text(failed)), flat(render_markdown(failed, DATASET, answers, {}))
    for out in (text, md):
        assert "for the gaps above" not in out
        assert ("Find the row that matches your dataset: these are the checklist's rows for common situations, not "
                "chosen from your answers. Whatever a row says to do, the decision comes first: close the gaps "
                "above before any training.") in out
    assert text.index("Your situation → what to do Find the row") < text.index("• Under 500 high-quality examples")


# --- K7 --------------------------------------------------------------------------------------------------------


def test_the_revisit_line_names_quarters_not_questions() -> None:
    revisit = verdict_of(card(q1=0.0)).revisit
    assert revisit is not None and "Q1" not in revisit and "Q3" not in revisit
    assert ('a "don\'t do it now" in the first quarter of the year might become a "strong candidate" by the third'
            in revisit)


def test_a_two_question_step_says_whose_partly_it_counted_as_no() -> None:
    tree = verdict_of(card(q14=0.5)).tree
    assert tree is not None
    assert "Budget ($2K+) and timeline (2–4 weeks)? Partly for q14, counted as No (q13, q14)" in tree
    one = verdict_of(card(q1=0.5)).tree
    assert one is not None and one.startswith("500+ labeled examples (or the budget to create them)? Partly, counted "
                                              "as No (q1)")


def test_a_two_question_step_says_which_was_answered_no() -> None:
    """Only q14 No read "Budget ($2K+) and timeline (2–4 weeks)? No (q13, q14)": both were blamed (review)."""
    tree = verdict_of(card(q14=0.0)).tree
    assert tree is not None and "Budget ($2K+) and timeline (2–4 weeks)? No for q14 (q13, q14) → Defer" in tree
    both = verdict_of(card(q13=0.0, q14=0.0)).tree
    assert both is not None and "Budget ($2K+) and timeline (2–4 weeks)? No (q13, q14) → Defer" in both


def test_a_two_question_step_with_a_no_and_a_partly_says_each() -> None:
    tree = verdict_of(card(q13=0.0, q14=0.5)).tree
    assert tree is not None
    assert "Budget ($2K+) and timeline (2–4 weeks)? No for q13; Partly for q14, counted as No (q13, q14)" in tree
