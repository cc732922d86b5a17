"""The Slack scorecard: its decision and next step agree, and the gaps dialog leads with the scorecard's ranking."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.blocks.scorecard import gaps_modal, scorecard_blocks
from conversations import flow
from conversations.models import Card, Evaluation
from scoring.checklist import Checklist, Registry
from scoring.scorecard import score
from scoring.verdict import verdict_of

FT = Registry().get("fine-tuning-readiness")
EXAMPLES = json.loads((Path(__file__).parent.parent / "data" / "worked_examples.json").read_text())["examples"]
ALL = [f"q{i}" for i in range(1, 21)]


def walked(checklist: Checklist, values: dict[str, float | None]) -> Evaluation:
    """An evaluation with these answers, given through the walk-through (None: left unanswered)."""
    ev = flow.start(team="T1", channel="C1", project="Router", checklist=checklist, user="U1",
                    now=datetime(2026, 11, 2, tzinfo=UTC))
    for ts, q in enumerate(checklist.questions, start=1):
        value = values.get(q.key)
        if value is not None:
            ev.cards[str(ts)] = Card(question=q.id)
            flow.answer(ev, checklist, card_ts=str(ts), user="U1", value=value)
    return ev


def section_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]


def test_a_strong_go_scorecard_gives_its_partly_timeline_a_step_that_fits_a_go() -> None:
    ev = walked(FT, EXAMPLES["example3_code_generation"]["answers"])
    card = score(FT, ev.scored())
    lead, step = section_texts(scorecard_blocks(ev, FT, card))[:2]
    assert lead.startswith(":white_check_mark: *Strong go* — 18.5/20, and the decision tree agrees, though q13")
    assert step.startswith("*Next step for q13 (2–4 week timeline):* Protect the time for dataset prep")
    assert "Defer" not in step and "next quarter" not in step
    modal = " ".join(section_texts(gaps_modal(ev, card)["blocks"]))
    assert "Defer and plan for next quarter" not in modal


def test_a_provisional_scorecard_whose_band_cannot_change_leads_with_the_decision() -> None:
    ev = walked(FT, {**{q: 1.0 for q in ALL}, "q3": None, "q9": None})
    card = score(FT, ev.scored())
    blocks = scorecard_blocks(ev, FT, card)
    assert blocks[0]["text"]["text"] == "Provisional scorecard: Router"
    lead = section_texts(blocks)[0]
    assert lead.startswith(":white_check_mark: *Strong go* — 18/20 so far with 2 unanswered, and the decision tree "
                           "agrees; whatever they say, the band can't change (18–20)")
    assert "Not decided yet" not in json.dumps(blocks)
    assert any("Unanswered: q3, q9." in e["text"] for b in blocks if b["type"] == "context" for e in b["elements"])


def _gap_keys(text: str) -> list[str]:
    return re.findall(r"^\*(?:\d+\. )?(q\d+) \(", text)


def test_the_gaps_dialog_leads_with_the_scorecards_ranking_and_marks_the_blocking_gap() -> None:
    ev = walked(FT, EXAMPLES["example2_medical_diagnosis"]["answers"])
    card = score(FT, ev.scored())
    v = verdict_of(card)
    assert v.next_step is not None and [g.question for g in v.top_gaps] == ["q1", "q12", "q13"]
    scorecard = "\n".join(section_texts(scorecard_blocks(ev, FT, card)))
    assert "*Next step for q1 (500+ labeled examples):*" in scorecard
    assert "*Top gaps*\n• q1 (500+ labeled examples): *No*\n• q12 (ML engineer): *No*\n• q13" in scorecard

    shown = section_texts(gaps_modal(ev, card)["blocks"])
    assert shown[0] == "*Top gaps, as on the scorecard*"
    assert shown[1].startswith("*1. q1 (500+ labeled examples): No* _(next step; blocks the decision tree)_ — ")
    assert shown[2].startswith("*2. q12 (ML engineer): No* — ") and shown[3].startswith("*3. q13 (2–4 week ")
    assert shown[4] == "*The other gaps, weakest section first*"
    order = [k for text in shown for k in _gap_keys(text)]
    assert order[:3] == ["q1", "q12", "q13"]
    every = [g.question for group in card.gaps for g in group.gaps]
    assert sorted(order) == sorted(every) and len(order) == len(set(order)) == v.gap_count == 9
    rest = [k for k in every if k not in ("q1", "q12", "q13")]
    assert order[3:] == rest  # the rest keep the weakest-section order
    assert shown[5] == "*Resources &amp; Timeline* (1/4)"  # its other gaps are above, among the top gaps


def test_a_dialog_with_only_top_gaps_has_no_second_list() -> None:
    ev = walked(FT, EXAMPLES["example3_code_generation"]["answers"])
    card = score(FT, ev.scored())
    shown = section_texts(gaps_modal(ev, card)["blocks"])
    assert shown[0] == "*The gaps, as on the scorecard*"
    assert shown[1].startswith("*1. q13 (2–4 week timeline): Partly* _(next step)_ — ")
    assert len(shown) == 1 + verdict_of(card).gap_count
