"""The public shapes of the suggestion pipeline: configuration, suggestions and the report."""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from scoring.checklist import Checklist

MAX_DESCRIPTION_CHARS = 20_000

Origin = Literal["rule", "model", "phrase"]
Engine = Literal["llm", "offline"]
# Why the model's answer was not used, for operators and metrics (a small fixed set, fit for a metric label)
FailureKind = Literal[
    "slow", "timeout", "rate_limited", "quota", "auth", "not_found", "bad_request", "server_error", "connection",
    "refused", "content_filter", "cut_off", "no_choices", "malformed", "quotes", "unexpected",
]


class DescriptionTooLong(ValueError):
    """The (cleaned) description is longer than :data:`MAX_DESCRIPTION_CHARS`."""

    def __init__(self, length: int, limit: int = MAX_DESCRIPTION_CHARS) -> None:
        super().__init__(
            f"The project description has {length:,} characters; the limit is {limit:,}. "
            "Shorten it to the parts about data, accuracy, budget, timeline and team."
        )
        self.length = length
        self.limit = limit


class SuggestConfig(BaseModel):
    api_key: str | None = None
    base_url: str | None = None
    model: str = "gpt-4o-mini"
    timeout_s: float = 20.0
    max_retries: int = 2
    price_input_per_1m: float = 0.15
    price_output_per_1m: float = 0.60


class Suggestion(BaseModel):
    question: str = Field(description='The question key, e.g. "q1".')
    answer: float = Field(description="The suggested option value: 1, 0.5 or 0.")
    reason: str
    evidence: str = Field(description="A verbatim quote from the description, verified in code.")
    origin: Origin
    caution: str | None = Field(
        default=None, description="Shown with the suggestion when the evidence is ambiguous: check it."
    )


class Dropped(BaseModel):
    question: str
    evidence: str
    why: str


class Conflict(BaseModel):
    question: str
    note: str
    quotes: list[str]


class Caution(BaseModel):
    """Ambiguous evidence on a question: shown on its card, with no answer picked."""

    question: str
    note: str
    quote: str


class Usage(BaseModel):
    """What the model calls of one suggestion cost: ``calls`` counts every request sent (retries included), the
    tokens every answer the server gave, used or not."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    estimated_cost_usd: float = 0.0
    calls: int = 0


class SuggestionReport(BaseModel):
    checklist: str
    engine: Engine
    notice: str | None = None
    suggestions: list[Suggestion] = Field(default_factory=list)
    no_evidence: list[int] = Field(default_factory=list, description="Question numbers without a suggestion.")
    dropped: list[Dropped] = Field(default_factory=list)
    conflicts: list[Conflict] = Field(default_factory=list)
    cautions: list[Caution] = Field(default_factory=list)
    facts: dict[str, Any] = Field(default_factory=dict)
    usage: Usage = Field(default_factory=Usage)
    failure: FailureKind | None = Field(
        default=None, description="Why the model's answer was not used (the offline suggester's stood in); None when "
        "it was, or when no model was asked.")


class Suggester(Protocol):
    async def suggest(self, description: str, checklist: Checklist) -> SuggestionReport: ...
