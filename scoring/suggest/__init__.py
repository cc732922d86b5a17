"""Suggested checklist answers from a pasted project description, every one backed by a verified quote.

``make_suggester(config)`` gives the LLM suggester when an API key is configured (falling back to
the offline suggester on any failure) and the offline suggester otherwise. People confirm every
suggested answer; nothing here scores an evaluation.
"""

from __future__ import annotations

from scoring.suggest.evidence import clean_description, escape_mrkdwn
from scoring.suggest.facts import ProjectFacts
from scoring.suggest.models import (
    MAX_DESCRIPTION_CHARS,
    Caution,
    Conflict,
    DescriptionTooLong,
    Dropped,
    SuggestConfig,
    Suggester,
    Suggestion,
    SuggestionReport,
    Usage,
)
from scoring.suggest.offline import OfflineSuggester
from scoring.suggest.render import render_report_text


def make_suggester(config: SuggestConfig) -> Suggester:
    """The LLM suggester when ``config.api_key`` is set (offline as its fallback), else the offline one."""
    if config.api_key:
        from scoring.suggest.llm import LLMSuggester

        return LLMSuggester(config, OfflineSuggester())
    return OfflineSuggester()


__all__ = [
    "MAX_DESCRIPTION_CHARS",
    "Caution",
    "Conflict",
    "DescriptionTooLong",
    "Dropped",
    "OfflineSuggester",
    "ProjectFacts",
    "SuggestConfig",
    "Suggester",
    "Suggestion",
    "SuggestionReport",
    "Usage",
    "clean_description",
    "escape_mrkdwn",
    "make_suggester",
    "render_report_text",
]
