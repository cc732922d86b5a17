"""Evaluation records: what Redis holds for one team's walk through a checklist."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Status = Literal["in_progress", "completed", "deleted"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return secrets.token_hex(6)


def project_key(name: str) -> str:
    """The key two spellings of one project share: NFKC-normalised, case-folded, words joined by '-'.

    Letters, digits, marks and symbols (emoji) of every script are kept, so "Проект Б" and "🚀🔥" get keys of
    their own; whitespace and punctuation separate words. In ASCII only a-z and 0-9 are kept, as they always
    were, so names stored before keep their keys.
    """
    import unicodedata  # local: this function is the module's only user

    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    kept = "".join(
        ch if (ch.isascii() and ch in "abcdefghijklmnopqrstuvwxyz0123456789")
        or (not ch.isascii() and (unicodedata.category(ch)[0] in "LNMS" or ch == "\u200d")) else "-"
        for ch in folded
    )
    return re.sub(r"-+", "-", kept).strip("-") or "project"


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SuggestionRef(_Record):
    """A machine suggestion as shown to people; it never counts until a person confirms it."""

    value: float | None  # None: no answer suggested, only a caution or a conflict to check
    reason: str
    evidence: str
    engine: str = "offline"
    caution: str | None = None  # ambiguous evidence: shown as "check", never as an answer
    conflict: list[str] = Field(default_factory=list)  # quotes that contradict each other


class AnswerEntry(_Record):
    question: str  # stable id
    value: float | None  # None = "Not sure" (skipped)
    by: str  # Slack user id, or a terminal user name
    at: AwareDatetime
    note: str | None = None
    note_by: str | None = None
    suggestion: SuggestionRef | None = None  # the suggestion shown when the person answered
    previous: float | None = None  # set when the answer was changed
    skips: int = 0  # how often "Not sure" was chosen for this question


class Card(_Record):
    """A question card posted in the thread (``ts`` is its message ts; terminal cards use a counter)."""

    question: str
    open: bool = True


class Evaluation(_Record):
    id: str = Field(default_factory=new_id)
    version: int = 0
    team: str
    channel: str
    thread_ts: str | None = None  # the root message; the thread hangs under it
    project: str
    project_key: str
    checklist: str
    started_by: str
    started_at: AwareDatetime = Field(default_factory=utcnow)
    status: Status = "in_progress"
    completed_at: AwareDatetime | None = None
    last_activity: AwareDatetime = Field(default_factory=utcnow)
    answers: dict[str, AnswerEntry] = Field(default_factory=dict)
    cards: dict[str, Card] = Field(default_factory=dict)
    suggestions: dict[str, SuggestionRef] = Field(default_factory=dict)
    prefill: dict[str, float] = Field(default_factory=dict)  # last evaluation's answers (re-evaluation)
    previous_id: str | None = None
    scorecard_ts: str | None = None
    pending: list[str] = Field(default_factory=list)  # Slack posts owed; replayed after a crash
    origin: Literal["slack", "terminal"] = "slack"
    idle_nudged: bool = False

    def value(self, question_id: str) -> float | None:
        entry = self.answers.get(question_id)
        return entry.value if entry else None

    def scored(self) -> dict[str, float]:
        """Answers that count: every entry with a value (skips excluded)."""
        return {q: a.value for q, a in self.answers.items() if a.value is not None}

    def open_cards(self) -> dict[str, Card]:
        return {ts: c for ts, c in self.cards.items() if c.open}

    def card_for(self, question_id: str) -> str | None:
        """The ts of the newest card for a question."""
        found = [ts for ts, c in self.cards.items() if c.question == question_id]
        return max(found, key=_ts_key) if found else None


def _ts_key(ts: str) -> tuple[int, str]:
    return (len(ts), ts)
