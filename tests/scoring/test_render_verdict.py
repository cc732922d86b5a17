"""The scorecard leads with one decision, in every renderer, and reads well to a newcomer."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.blocks.leads import Scored, history_line, list_line, reminder_blocks, reminder_text, summary_text
from bot.blocks.scorecard import GAPS_ACTION, gaps_modal, scorecard_blocks, scorecard_text, verdict_line
from conversations import flow
from conversations.export import decision_record
from conversations.models import Card, Evaluation
from scoring.agreement import Agreement, agreement_of
from scoring.checklist import Checklist, Registry
from scoring.render import render_markdown, render_text
from scoring.scorecard import Scorecard, normalize_answers, score
from scoring.verdict import band_advice, verdict_of

REGISTRY = Registry()
FT = REGISTRY.get("fine-tuning-readiness")
EXAMPLES = json.loads((Path(__file__).parent.parent / "data" / "worked_examples.json").read_text())["examples"]
SOURCE_ID = re.compile(r"(?<![\d,.])\b00[0-4]\b|[Ss]eed \d|Work 00")
EXPECTED = {"example1_support_intent": 20, "example2_medical_diagnosis": 12, "example3_code_generation": 18.5,
            "example4_marketing_subject_lines": 5.5, "example5_financial_docs": 20}


def card_of(name: str) -> Scorecard:
    return score(FT, normalize_answers(FT, EXAMPLES[name]["answers"]))


def walked(checklist: Checklist, values: dict[str, float]) -> Evaluation:
    ev = flow.start(team="T1", channel="C1", project="Router", checklist=checklist, user="U1",
                    now=datetime(2026, 11, 2, tzinfo=UTC))
    for ts, q in enumerate(checklist.questions, start=1):
        if q.key in values:
            ev.cards[str(ts)] = Card(question=q.id)
            flow.answer(ev, checklist, card_ts=str(ts), user=f"U{ts % 3 + 1}", value=values[q.key])
    return ev


def texts(blocks: list[dict[str, Any]]) -> str:
    """Every piece of text a person sees in the blocks, in order."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                if isinstance(value, dict | list):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(blocks)
    return "\n".join(out)


@pytest.mark.parametrize(("name", "total"), list(EXPECTED.items()))
def test_worked_examples_keep_their_totals_and_lead_with_one_decision(name: str, total: float) -> None:
    card = card_of(name)
    assert card.total == total and f"{total:g}/20" in verdict_of(card).line()
    text = render_text(card)
    assert text.splitlines()[1].startswith(verdict_of(card).symbol)
    assert f"{total:g}/20" in "\n".join(text.splitlines()[:3])
    assert all(len(line) <= 80 for line in text.splitlines()), [line for line in text.splitlines() if len(line) > 80]


def test_example_2_warns_in_the_first_lines_of_text_and_blocks() -> None:
    card = card_of("example2_medical_diagnosis")
    v = verdict_of(card)
    assert v.line() == ("⚠ Not yet — q1 (500+ labeled examples) blocks it; the score alone, 12/20, "
                        "would be Conditional go")
    assert render_text(card, project="Diagnosis").startswith("Scorecard: Diagnosis · Fine-tuning readiness\n⚠ Not yet")
    first = " ".join(" ".join(render_text(card).splitlines()[:3]).split())
    assert "Not yet" in first and "q1 (500+ labeled examples) blocks it" in first and "12/20" in first
    assert "would be Conditional go" in first
    ev = walked(FT, EXAMPLES["example2_medical_diagnosis"]["answers"])
    blocks = scorecard_blocks(ev, FT, card)
    assert blocks[0]["type"] == "header"
    lead = blocks[1]["text"]["text"]
    assert lead.startswith(":warning: *Not yet*") and "blocks it" in lead and "would be Conditional go" in lead
    assert blocks[2]["text"]["text"].startswith("*Next step for q1 (500+ labeled examples):*")
    assert blocks[3]["text"]["text"] == ("*Top gaps*\n• q1 (500+ labeled examples): *No*\n• q12 (ML engineer): *No*"
                                         "\n• q13 (2–4 week timeline): *No*\n_…and 6 more below the button._")
    assert "Not yet" in scorecard_text(ev, card) and "blocks it" in verdict_line(card)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_band_text_never_twice_and_tree_verdict_once(name: str) -> None:
    card = card_of(name)
    ev = walked(FT, EXAMPLES[name]["answers"])
    tree_text = card.decision_tree.verdict_text if card.decision_tree else ""
    for out in (render_text(card), texts(scorecard_blocks(ev, FT, card)),
                render_markdown(card, FT, ev.scored(), {}, "Router")):
        rendered = " ".join(out.split())
        for q in FT.questions:  # a next step may say "don't fine-tune yet" in its own words
            for step in (q.if_not, q.if_partly or ""):
                rendered = rendered.replace(" ".join(step.split()), "") if step else rendered
        assert rendered.count(card.band.name) <= 1, rendered
        assert card.band.name + ":" not in rendered
        first_sentence = tree_text.split(".")[0]
        assert rendered.count(first_sentence) == 1, (first_sentence, rendered)


def test_band_advice_drops_a_sentence_that_only_repeats_the_name() -> None:
    assert band_advice("Conditional go", "Conditional go. Prioritize gaps.") == "Prioritize gaps."
    assert band_advice("Strong go", "Strong candidate. Go ahead.") == "Strong candidate. Go ahead."


def test_agreeing_tree_and_provisional_verdicts() -> None:
    assert verdict_of(card_of("example4_marketing_subject_lines")).line() == (
        "⛔ Don't fine-tune yet — 5.5/20, and the decision tree agrees: q1 (500+ labeled examples) blocks it")
    example3 = verdict_of(card_of("example3_code_generation")).line()
    assert "though q13 (2–4 week timeline) was answered Partly" in example3
    pending = verdict_of(score(FT, normalize_answers(FT, {"q1": 1, "q2": 0.5})))
    assert pending.line() == ("⏳ Not decided yet — 1.5/20 so far with 18 unanswered; it can end at 1.5–19.5 "
                              "(Don't fine-tune yet to Strong go)")
    blocked = verdict_of(score(FT, normalize_answers(FT, {"q1": 1, "q7": 0})))
    assert blocked.line().startswith("⚠ Not yet — q7 (prompting ceiling) blocks it, whatever the 18 unanswered")
    tree_go = {f"q{i}": 1 for i in (1, 7, 8, 13, 14)}  # every tree step passes, the score is 5/20
    done = {**{f"q{i}": 0 for i in range(1, 21)}, **tree_go}
    assert verdict_of(score(FT, normalize_answers(FT, done))).line() == (
        "⛔ Don't fine-tune yet — 5/20, and the decision tree agrees: every step passes, but it goes ahead only at a "
        "score of 12 or more")


def test_a_partial_walk_that_cannot_reach_a_go_band_says_so() -> None:
    deploy = REGISTRY.get("deployment-quality")
    partial = score(deploy, {q.id: 0.0 if q.number == 4 else 1.0 for q in deploy.questions[:7]})
    v = verdict_of(partial)
    assert v.line() == "⛔ Do not ship — 6/10 so far; the 3 unanswered questions can raise it to 9 at most"
    assert "The gap and its next step" in render_text(partial)
    one_left = verdict_of(score(FT, normalize_answers(FT, {**{f"q{i}": 1 for i in range(1, 20)}, "q7": 0})))
    assert "whatever the 1 unanswered question says; 18/20 so far" in one_left.line()
    pending = verdict_of(score(FT, normalize_answers(FT, {"q1": 1})))
    assert pending.tone == "pending" and pending.advice is None  # no band advice before the band is known


def test_checklist_without_a_tree_names_its_band() -> None:
    deploy = REGISTRY.get("deployment-quality")
    card = score(deploy, {**{q.id: 1.0 for q in deploy.questions}, deploy.questions[9].id: 0.0})
    v = verdict_of(card)
    assert v.line() == "⛔ Do not ship — 9/10"
    assert v.next_step is not None and v.next_step.name == "q10 (client acceptance)"


def _agreement(split_count: int) -> Agreement:
    votes = {f"q{i}": {"U1": 1.0, "U2": 1.0, "U3": None} for i in range(1, 21)}
    for i in range(1, split_count + 1):
        votes[f"q{i}"] = {"U1": 1.0, "U2": 0.5, "U3": 0.0}
    return agreement_of(FT, votes, {"q1": (0.5, "U1")})


def test_agreement_is_counted_and_warned_under_75_percent() -> None:
    ok = _agreement(3)
    assert (ok.questions, ok.unanimous, ok.summary) == (20, 17, "17 of 20 questions unanimous (85%)")
    assert ok.warning is None and ok.splits[0].spread == {"Yes": 1, "Partly": 1, "No": 1, "Not sure": 0}
    assert (ok.splits[0].settled, ok.splits[0].settled_by, ok.splits[1].settled) == ("Partly", "U1", None)
    low = _agreement(6)
    assert low.summary == "14 of 20 questions unanimous (70%)" and low.below_bar and low.warning
    card = card_of("example1_support_intent")
    ev = walked(FT, EXAMPLES["example1_support_intent"]["answers"])
    slack = texts(scorecard_blocks(ev, FT, card, agreement=low))
    assert "*Team agreement:* 14 of 20 questions unanimous (70%)" in slack and ":warning: Under 75%" in slack
    assert "• q1 (500+ labeled examples): Yes 1 · Partly 1 · No 1 — settled *Partly* by <@U1>" in slack
    assert "q2 (diverse examples): Yes 1 · Partly 1 · No 1 — not settled yet" in slack
    assert "Voted: <@U1>, <@U2>, <@U3>" in slack and "Who answered what" not in slack
    text = render_text(card, low)
    assert "Team agreement: 14 of 20 questions unanimous (70%)" in text and "⚠ Under 75%" in text
    md = decision_record(ev, FT, "md", {"U1": "ana"}, agreement=low)
    assert "## Team agreement" in md
    assert "| q1 (500+ labeled examples) | Yes 1 · Partly 1 · No 1 | settled **Partly** by ana |" in md
    csv_text = decision_record(ev, FT, "csv", agreement=low)
    assert "14 of 20 questions unanimous (70%) — under 75%" in csv_text
    assert json.loads(decision_record(ev, FT, "json", agreement=ok))["scorecard"]["agreement"]["unanimous"] == 17


def _scored(ev: Evaluation, checklist: Checklist, agreement: Agreement | None = None) -> Scored:
    card = score(checklist, ev.scored())
    return Scored(ev=ev, card=card, answered=len(checklist.questions) - len(card.unanswered),
                  questions=len(checklist.questions), agreement=agreement)


def test_every_row_carries_the_tree_warning_and_the_agreement() -> None:
    ev = walked(FT, EXAMPLES["example2_medical_diagnosis"]["answers"])
    ev.status, ev.completed_at = "completed", datetime(2026, 11, 3, tzinfo=UTC)
    before = walked(FT, EXAMPLES["example4_marketing_subject_lines"]["answers"])
    before.status, before.completed_at = "completed", datetime(2026, 8, 3, tzinfo=UTC)
    now, then = _scored(ev, FT, _agreement(3)), _scored(before, FT, _agreement(6))
    warning = "q1 (500+ labeled examples) blocks it; the score alone, 12/20, would be Conditional go"
    summary = summary_text(now, then, None, link="<x|open the thread>", tz=UTC)
    assert summary.startswith("*Router* — :warning: *Not yet* — " + warning)
    assert "*Team agreement:* 17 of 20 questions unanimous (85%) (was 70% on 2026-08-03)" in summary
    assert warning in list_line(now, None, 1, None, UTC) and "· 1 evaluation" in list_line(now, None, 1, None, UTC)
    history = history_line(now, then, "<x|thread>", UTC)
    assert warning in history and "team agreement 85%" in history and "agreement +15 points" in history
    assert warning in texts(reminder_blocks(ev, now.card, tz=UTC)) and "blocks it" in reminder_text(ev, now.card)


def test_who_answered_counts_are_grammatical() -> None:
    ev = walked(FT, {"q1": 1, "q2": 1, "q3": 1, "q4": 1})
    s = _scored(ev, FT)
    summary = summary_text(s, None, None, link="", tz=UTC)
    assert "(1 answer)" in summary and "(1 answers)" not in summary and "(2 answers)" in summary


@pytest.mark.parametrize("checklist_id", REGISTRY.ids())
def test_no_source_id_in_anything_a_user_reads(checklist_id: str) -> None:
    checklist = REGISTRY.get(checklist_id)
    user_text = [checklist.title, checklist.description, checklist.rule, *(b.recommendation for b in checklist.bands)]
    user_text += [t for q in checklist.questions for t in (q.text, q.why, q.if_not, q.criteria or "")]
    leaks = [t for t in user_text if SOURCE_ID.search(t)]
    assert not leaks
    for values in ({q.key: 0.0 for q in checklist.questions}, {q.key: 1.0 for q in checklist.questions[:2]}):
        ev = walked(checklist, values)
        card = score(checklist, ev.scored())
        s = _scored(ev, checklist)
        rendered = [render_text(card), texts(scorecard_blocks(ev, checklist, card)), texts([gaps_modal(ev, card)]),
                    decision_record(ev, checklist, "md"), decision_record(ev, checklist, "csv"),
                    summary_text(s, None, None, link="", tz=UTC), texts(reminder_blocks(ev, card, tz=UTC))]
        assert all(len(line) <= 80 for line in rendered[0].splitlines())  # the terminal's text reads in 80 columns
        for out in rendered:
            assert not SOURCE_ID.search(out), SOURCE_ID.search(out)
            assert not re.search(r"\bengine\b", out, re.IGNORECASE)


def test_full_gap_list_sits_behind_a_button_and_opens_in_a_modal() -> None:
    ev = walked(FT, EXAMPLES["example4_marketing_subject_lines"]["answers"])
    card = score(FT, ev.scored())
    blocks = scorecard_blocks(ev, FT, card)
    buttons = [el for b in blocks if b["type"] == "actions" for el in b["elements"]]
    assert [(b["action_id"], b["value"], b["text"]["text"]) for b in buttons] == [
        (GAPS_ACTION, ev.id, "All 15 gaps and next steps")]
    modal = gaps_modal(ev, card)
    assert modal["type"] == "modal" and len(modal["title"]["text"]) <= 24
    body = texts(modal["blocks"])
    assert all(g.next_step in body for group in card.gaps for g in group.gaps)
    assert not [b for b in scorecard_blocks(ev, FT, card_of("example1_support_intent")) if b["type"] == "actions"]


@pytest.mark.parametrize("checklist_id", REGISTRY.ids())
def test_scorecard_blocks_stay_within_slack_limits(checklist_id: str) -> None:
    checklist = REGISTRY.get(checklist_id)
    ev = walked(checklist, {q.key: 0.0 for q in checklist.questions})
    everyone_split = agreement_of(checklist, {q.id: {"U1": 1.0, "U2": 0.0} for q in checklist.questions})
    card = score(checklist, ev.scored())
    blocks = scorecard_blocks(ev, checklist, card, agreement=everyone_split, thread_link="https://x/t")
    modal = gaps_modal(ev, card)
    assert len(blocks) <= 50 and len(modal["blocks"]) <= 100
    for block in [*blocks, *modal["blocks"]]:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
        fields = block.get("fields", [])
        assert len(fields) <= 10 and all(len(f["text"]) <= 2000 for f in fields)
    assert everyone_split.summary == f"0 of {len(checklist.questions)} questions unanimous (0%)"


def test_a_project_name_with_markup_is_escaped_everywhere_slack_parses_it() -> None:
    from tests.standins.mentions import message_problems, payload_problems

    ev = walked(FT, EXAMPLES["example2_medical_diagnosis"]["answers"])
    ev.project = "<!channel> Contract <clauses> & co"
    ev.status, ev.completed_at = "completed", datetime(2026, 11, 3, tzinfo=UTC)
    card = score(FT, ev.scored())
    s = _scored(ev, FT, _agreement(3))
    messages: dict[str, dict[str, Any]] = {
        "scorecard": {"text": scorecard_text(ev, card),
                      "blocks": scorecard_blocks(ev, FT, card, agreement=s.agreement)},
        "reminder": {"text": reminder_text(ev, card), "blocks": reminder_blocks(ev, card, tz=UTC)},
        "summary": {"text": summary_text(s, None, None, link="", tz=UTC)},
        "rows": {"text": "\n".join([list_line(s, None, 1, None, UTC), history_line(s, None, "", UTC)])},
    }
    for where, params in messages.items():
        assert message_problems(params, where) == []
    assert payload_problems(gaps_modal(ev, card), "modal") == []
    head = scorecard_blocks(ev, FT, card)[0]["text"]["text"]
    assert head == "Scorecard: &lt;!channel&gt; Contract &lt;clauses&gt; &amp; co"


def test_the_text_scorecard_says_how_a_split_asked_again_ended() -> None:
    """A split settled as Not sure and agreed when asked again has nobody who settled it: not "by None"."""
    votes: dict[str, dict[str, float | None]] = {f"q{i}": {"U1": 1.0, "U2": 1.0} for i in range(1, 21)}
    agreed = agreement_of(FT, votes, earlier={"q1": [({"U1": 1.0, "U2": 0.0}, "U3")]})
    text = render_text(card_of("example1_support_intent"), agreed)
    assert "q1 (500+ labeled examples): Yes 1 · No 1, asked again by U3: Yes 2 — agreed on Yes when asked again" in (
        " ".join(text.split()))
    assert "None" not in text
