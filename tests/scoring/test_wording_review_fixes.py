"""Wording a brand-new team reads: no text leans on a source article the reader has never seen, a scorecard with
several Partly answers gives each its own next step instead of one stock sentence again and again, and a Strong
go reached through a Partly on the decision tree's path says what to confirm instead of "go ahead with confidence"
next to an unexplained "uncertain".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from scoring.checklist import BUILTIN_DIR, PARTLY_LEAD, Registry, load_checklist
from scoring.render import render_markdown, render_text
from scoring.scorecard import normalize_answers, score
from scoring.verdict import verdict_of

REGISTRY = Registry()
FT = REGISTRY.get("fine-tuning-readiness")
ALL = [f"q{i}" for i in range(1, 21)]
# "the fine-tuning decision checklist's ticket router", "the article's examples", "the guide's table" …
ARTICLE_POSSESSIVE = re.compile(r"\b(?:checklist|article|guide|post)'s\b", re.IGNORECASE)
# the five Partly answers a reviewer's scorecard showed, each with the same stock opener before
FIVE_PARTLY = ("q2", "q5", "q16", "q17", "q20")


def _reader_texts(checklist_id: str) -> Iterator[tuple[str, str]]:
    """Everything a team reads of a checklist, as (where, text); ``source`` is a citation by title, left out."""
    c = REGISTRY.get(checklist_id)
    yield "description", c.description
    for q in c.questions:
        for field in ("text", "why", "if_not", "if_partly", "criteria"):
            value = getattr(q, field)
            if value:
                yield f"{q.key}.{field}", value
    for b in c.bands:
        yield f"band {b.id}", b.recommendation
    for a in c.advice:
        for value in a.model_dump().values():
            if isinstance(value, str):
                yield "advice", value
    if c.decision_tree:
        for name, node in c.decision_tree.nodes.items():
            yield f"tree {name}", node.label
            for leaf in (node.yes, node.no):
                if not isinstance(leaf, str):
                    yield f"tree {name} leaf", leaf.text


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if len(s.strip()) > 20]


@pytest.mark.parametrize("checklist_id", sorted(REGISTRY.ids()))
def test_no_text_speaks_of_a_source_article_as_if_the_reader_had_read_it(checklist_id: str) -> None:
    bad = [(where, text) for where, text in _reader_texts(checklist_id)
           if ARTICLE_POSSESSIVE.search(text) or ("decision checklist" in text.lower() and where != "description")]
    assert bad == []


def test_the_examples_the_texts_cite_are_told_plainly() -> None:
    texts = dict(_reader_texts("fine-tuning-readiness"))
    assert "A support-ticket router saving 10 hours of manual routing a week projected $25K a year" in texts["q11.why"]
    assert "healthcare startup with 300 examples" in texts["q1.if_not"]
    assert "1,000+" in texts["q1.if_not"]
    assert "what makes a subject line good" in texts["q3.why"]
    assert "consultant" in texts["q12.if_not"] and "$500 budget" in texts["q14.if_not"]
    assert "monthly" in texts["q20.if_not"] and "quarterly" in texts["q20.if_not"]
    # q19: why it matters comes first, then how to answer it, without pointing at examples the reader hasn't seen
    why = texts["q19.why"]
    assert why.startswith("Fine-tuning teaches behavior, not facts")
    assert "Answer Yes when you have weighed fine-tuning against RAG + prompting" in why
    assert "worked examples" not in why


def test_every_readiness_question_has_its_own_step_for_a_partly() -> None:
    assert [q.key for q in FT.questions if q.if_partly is None] == []


def test_a_scorecard_with_five_partly_gaps_does_not_repeat_a_sentence() -> None:
    card = score(FT, normalize_answers(FT, {q: 0.5 if q in FIVE_PARTLY else 1.0 for q in ALL}))
    steps = [g.next_step for group in card.gaps for g in group.gaps]
    assert len(steps) == 5
    repeated = [s for s, n in Counter(s for step in steps for s in _sentences(step)).items() if n > 1]
    assert repeated == []
    top = verdict_of(card).next_step
    assert top is not None
    for out in (render_text(card), render_markdown(card, FT, normalize_answers(FT, {}), {})):
        assert "Find and close" not in out and "turns out to be a No" not in out
        # the export prints the first next step at the top and again in its place in the list: that one may repeat
        repeated = [s for s, n in Counter(_sentences(out)).items() if n > 1 and s not in top.next_step]
        assert repeated == [], repeated


def test_all_twenty_partly_read_twenty_different_steps() -> None:
    card = score(FT, normalize_answers(FT, {q: 0.5 for q in ALL}))
    steps = [g.next_step for group in card.gaps for g in group.gaps]
    assert len(set(steps)) == 20
    repeated = [s for s, n in Counter(s for step in steps for s in _sentences(step)).items() if n > 1]
    assert repeated == []


def test_a_team_checklist_without_if_partly_gets_one_short_lead_then_the_step_for_a_no(tmp_path: Path) -> None:
    data: dict[str, Any] = yaml.safe_load((BUILTIN_DIR / "fine-tuning-readiness.yaml").read_text(encoding="utf-8"))
    data["id"] = "our-readiness"
    for q in data["questions"]:
        q.pop("if_partly", None)
    path = tmp_path / "ours.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    ours = load_checklist(path)
    step = ours.question("q16").next_step(0.5)
    assert step == f"{PARTLY_LEAD} {ours.question('q16').if_not}"
    assert len(_sentences(PARTLY_LEAD)) <= 1 and len(PARTLY_LEAD.split()) <= 15
    assert "full Yes" in PARTLY_LEAD and "for a No" in PARTLY_LEAD
    assert "Find and close" not in step and "turns out" not in step


# --- a go reached through a Partly on the decision tree's path ----------------------------------------------


def test_a_strong_go_through_a_partly_on_the_tree_says_what_to_confirm_first() -> None:
    answers = {**{q: 1.0 for q in ALL}, "q13": 0.5, "q4": 0.5, "q5": 0.5}  # worked example 3's answers
    card = score(FT, normalize_answers(FT, answers))
    v = verdict_of(card)
    assert (v.tone, v.decision, card.total_text) == ("go", "Strong go", "18.5/20")
    assert v.advice == ("Confirm q13 (2–4 week timeline) first: the decision tree goes ahead only by counting its "
                        "Partly as a Yes. Once confirmed, the score's advice holds: Strong candidate for "
                        "fine-tuning. Go ahead with confidence.")
    tree = card.decision_tree
    assert tree is not None and tree.uncertain and tree.go
    assert tree.verdict_text == ("FINE-TUNE. Go ahead with checklist score >= 12. This path counts the Partly answer "
                                 "to q13 as a Yes; confirm it first.")
    for out in (render_text(card), render_markdown(card, FT, normalize_answers(FT, {}), {})):
        assert "(uncertain:" not in out
        flat = " ".join(out.split())
        assert flat.index("Confirm q13 (2–4 week timeline) first") < flat.index("Go ahead with confidence")


def _lenient(tmp_path: Path) -> Any:
    """The shipped checklist with every Partly on the tree counted as a Yes, as a team's tree without
    ``partly_fails`` reads (the shipped one stops on a Partly short of a threshold: q1, q7, q8, q9, q14)."""
    data: dict[str, Any] = yaml.safe_load((BUILTIN_DIR / "fine-tuning-readiness.yaml").read_text(encoding="utf-8"))
    data["id"] = "lenient"
    for node in data["decision_tree"]["nodes"].values():
        node.pop("partly_fails", None)
    path = tmp_path / "lenient.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_checklist(path)


def test_two_partly_answers_on_the_tree_under_a_conditional_go(tmp_path: Path) -> None:
    lenient = _lenient(tmp_path)
    answers = {**{q: 1.0 for q in ALL}, "q13": 0.5, "q14": 0.5, **{f"q{i}": 0.0 for i in (2, 3, 4, 5, 6)}}
    card = score(lenient, normalize_answers(lenient, answers))
    v = verdict_of(card)
    assert (v.tone, v.decision) == ("go", "Conditional go")
    assert v.advice is not None and v.advice.startswith(
        "Confirm q13 (2–4 week timeline) and q14 (budget) first: the decision tree goes ahead only by counting "
        "their Partly answers as Yes. Once confirmed, the score's advice holds: Prioritize addressing gaps")
    assert card.decision_tree is not None and card.decision_tree.verdict_text.endswith(
        "This path counts the Partly answers to q13 and q14 as Yes; confirm them first.")


def test_a_no_go_through_a_partly_says_which_answer_it_counted_without_asking_to_confirm(tmp_path: Path) -> None:
    lenient = _lenient(tmp_path)
    card = score(lenient, normalize_answers(lenient, {**{q: 1.0 for q in ALL}, "q1": 0.5, "q7": 0.0}))
    tree = card.decision_tree
    assert tree is not None and tree.go is False and tree.uncertain
    assert tree.verdict_text == ("Don't fine-tune yet; optimize prompting further. This path counts the Partly "
                                 "answer to q1 as a Yes.")


def test_a_go_without_a_partly_on_the_path_keeps_the_bands_words() -> None:
    v = verdict_of(score(FT, normalize_answers(FT, {**{q: 1.0 for q in ALL}, "q2": 0.5})))
    assert v.advice == "Strong candidate for fine-tuning. Go ahead with confidence."
    assert v.tree is not None and v.tree.endswith("FINE-TUNE. Go ahead with checklist score >= 12.")
