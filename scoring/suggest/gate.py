"""Whether a message pasted in an evaluation's thread reads as a project description, decided before anything is
posted about it: a long discussion reply ("@maya I'm not sure about the labeler agreement one…") is no description,
and the helper stays silent on it.

The offline reader (no network, a few milliseconds) reads the text against the built-in fine-tuning checklist,
whichever checklist the evaluation uses: its twenty questions are the widest net for "is this about a project",
and the question is about the text, not about one checklist. A description answers at least
:data:`MIN_QUESTIONS` questions (a suggested answer, or two statements that contradict each other); a caution does
not count, because it is the reader being unsure ("not sure about the agreement one…" is what a discussion says).
Every description of the corpus (``corpus/``) and of ``tests/data/briefs`` answers two or more; the LLM, when one is
configured, reads a message only after it passed here.
"""

from __future__ import annotations

from functools import lru_cache

from scoring.checklist import BUILTIN_DIR, Checklist, load_checklist
from scoring.suggest.evidence import clean_description
from scoring.suggest.models import MAX_DESCRIPTION_CHARS, SuggestionReport
from scoring.suggest.offline import OfflineSuggester

MIN_QUESTIONS = 2


@lru_cache(maxsize=1)
def _reference() -> Checklist:
    return load_checklist(BUILTIN_DIR / "fine-tuning-readiness.yaml")


def answered(report: SuggestionReport) -> set[str]:
    """The questions a report answers: a suggested answer, or a conflict (the text answers it twice, differently)."""
    return {s.question for s in report.suggestions} | {c.question for c in report.conflicts}


def reads_as_description(text: str) -> bool:
    """True when ``text`` (as the person typed it) answers at least :data:`MIN_QUESTIONS` checklist questions.

    A text over the length limit passes: the person is told it is too long (one pasted that much meant it as a
    description); an empty one does not."""
    cleaned = clean_description(text)
    if len(cleaned) > MAX_DESCRIPTION_CHARS:
        return True
    if not cleaned:
        return False
    return len(answered(OfflineSuggester().suggest_now(cleaned, _reference()))) >= MIN_QUESTIONS
