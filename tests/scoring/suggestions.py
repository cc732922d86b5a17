"""Test-side lookups of a suggester's report (the product reads reports through conversations.queries)."""

from __future__ import annotations

from scoring.suggest.models import Suggestion, SuggestionReport


def suggestion_for(report: SuggestionReport, key: str) -> Suggestion | None:
    """The suggestion for ``q7`` (also accepts ``7``); None when there is none."""
    wanted = key.strip().lower()
    if not wanted.startswith("q"):
        wanted = f"q{wanted}"
    return next((s for s in report.suggestions if s.question == wanted), None)
