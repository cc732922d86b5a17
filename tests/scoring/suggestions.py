"""Test-side lookups of a suggester's report (the product reads reports through conversations.queries)."""

from __future__ import annotations

from scoring.checklist import Checklist
from scoring.suggest import OfflineSuggester
from scoring.suggest.evidence import quote_in_description
from scoring.suggest.models import Suggestion, SuggestionReport

NONE = "no suggestion"
CAUTION = "caution"
Expected = float | str  # an answer's value, NONE or CAUTION


def suggestion_for(report: SuggestionReport, key: str) -> Suggestion | None:
    """The suggestion for ``q7`` (also accepts ``7``); None when there is none."""
    wanted = key.strip().lower()
    if not wanted.startswith("q"):
        wanted = f"q{wanted}"
    return next((s for s in report.suggestions if s.question == wanted), None)


def offline_reading(text: str, question: str, checklist: Checklist) -> tuple[SuggestionReport, Expected]:
    """What the offline reader says of ``question`` in ``text`` (an answer, CAUTION or NONE); every quote verbatim."""
    report = OfflineSuggester().suggest_now(text, checklist)
    for s in report.suggestions:
        assert quote_in_description(s.evidence, text), s
    got = suggestion_for(report, question)
    if got is not None:
        return report, got.answer
    key = question if question.startswith("q") else f"q{question}"
    if any(c.question == key for c in report.cautions):
        return report, CAUTION
    return report, NONE


def assert_reads(text: str, question: str, expected: Expected, checklist: Checklist) -> SuggestionReport:
    """The offline reader says ``expected`` of ``question`` (NONE: no answer; a caution may stand), and no conflict."""
    report, got = offline_reading(text, question, checklist)
    conflict = next((c for c in report.conflicts if c.question == question), None)
    assert conflict is None, conflict
    if expected == NONE:
        assert got in (NONE, CAUTION), (got, report.suggestions)
    else:
        assert got == expected, (got, report.suggestions, report.cautions)
    return report
