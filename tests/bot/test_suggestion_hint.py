"""The helper's hint on an open card: marked as the helper's, escaped, a caution or a conflict, or nothing."""

from __future__ import annotations

from typing import Any

import pytest

from bot.blocks.suggestions import report_text, suggestion_hint_blocks
from conversations.models import Evaluation, SuggestionRef
from scoring.checklist import BUILTIN_DIR, Checklist, load_checklist
from scoring.suggest import OfflineSuggester, SuggestionReport


@pytest.fixture(scope="module")
def checklist() -> Checklist:
    return load_checklist(BUILTIN_DIR / "fine-tuning-readiness.yaml")


def evaluation(**refs: SuggestionRef) -> Evaluation:
    return Evaluation(team="T1", channel="C1", project="Router", project_key="router",
                      checklist="fine-tuning-readiness", started_by="U1", suggestions=refs)


def flat(blocks: list[dict[str, Any]]) -> str:
    """The mrkdwn of every section and context, one per line."""
    out = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    out += [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    return "\n".join(out)


def test_no_suggestion_no_hint(checklist: Checklist) -> None:
    assert suggestion_hint_blocks(evaluation(), checklist, "labeled_examples") == []


def test_suggestion_is_marked_as_the_helpers_and_escaped(checklist: Checklist) -> None:
    ref = SuggestionRef(value=0.5, reason="Range <2–3 weeks>", evidence="<!channel> 2-3 weeks & counting")
    text = flat(suggestion_hint_blocks(evaluation(timeline=ref), checklist, "timeline"))
    assert ":bulb:" in text and "Helper suggests: Partly" in text
    assert "&lt;!channel&gt; 2-3 weeks &amp; counting" in text and "<!channel>" not in text
    assert "Range &lt;2–3 weeks&gt;" in text


def test_caution_with_an_answer(checklist: Checklist) -> None:
    ref = SuggestionRef(value=1, reason="The team reports a ceiling; prompting went 71% → 74%.",
                        evidence="it never got past 74%", caution="2 results still gained 3 points — check")
    text = flat(suggestion_hint_blocks(evaluation(prompting_ceiling=ref), checklist, "prompting_ceiling"))
    assert "Helper suggests: Yes" in text and ":warning: 2 results still gained 3 points — check" in text


def test_ambiguous_evidence_picks_no_side(checklist: Checklist) -> None:
    note = "mentions 'edge cases' but in a negative sentence — check"
    ref = SuggestionRef(value=None, reason=note, evidence="cases the data never covered", caution=note)
    text = flat(suggestion_hint_blocks(evaluation(diverse_examples=ref), checklist, "diverse_examples"))
    assert "suggests" not in text and note in text and "\n> cases the data never covered" in text


def test_conflict_shows_both_quotes(checklist: Checklist) -> None:
    quotes = ["We have 2,000 labeled tickets.", "Our dataset has 1,500 labeled tickets."]
    ref = SuggestionRef(value=None, reason="The description gives 2,000 vs 1,500; confirm which is right.",
                        evidence=quotes[0], conflict=quotes)
    text = flat(suggestion_hint_blocks(evaluation(labeled_examples=ref), checklist, "labeled_examples"))
    assert "the evidence points both ways — check." in text and all(f"\n> {q}" in text for q in quotes)


def test_stored_suggestions_without_the_new_fields_still_load() -> None:
    ref = SuggestionRef.model_validate({"value": 1.0, "reason": "r", "evidence": "e", "engine": "llm"})
    assert ref.caution is None and ref.conflict == []


def test_report_is_one_line_without_developer_words(checklist: Checklist) -> None:
    text = "We have 2,000 labeled tickets.\n\nLater: our dataset has 1,500 labeled tickets. Budget: $3K."
    report: SuggestionReport = OfflineSuggester().suggest_now(text, checklist)
    line = report_text(report)
    assert line == "1 suggestion from the pasted description, shown on each card; 1 question marked to check."
    assert "\n" not in line and "engine" not in line and "offline" not in line
