"""The LLM suggester: one structured-output call per description, the offline suggester as fallback.

The model only extracts facts and answers the qualitative questions, each with a quote; the
quotes are verified and the thresholds applied in code (:mod:`scoring.suggest.pipeline`).
Retries with backoff on 429/5xx/timeouts are the openai client's own (``max_retries``; it honours
``Retry-After``), so one logical call may be several HTTP requests.

How failures surface (langchain-openai 1.7, openai 2.x): with a pydantic schema the request goes through
``chat.completions.parse``, so malformed or off-schema JSON raises a pydantic ``ValidationError`` from
``ainvoke`` itself; a refusal comes back as ``parsed=None`` with ``parsing_error=OpenAIRefusalError``
(``include_raw=True``), with the raw message and its token usage still available.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import openai
import structlog
from langchain_core.exceptions import OutputParserException
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable
from langchain_openai import ChatOpenAI
from langchain_openai.chat_models.base import OpenAIRefusalError
from pydantic import SecretStr, ValidationError

from scoring.checklist import Checklist
from scoring.suggest.evidence import check_description
from scoring.suggest.facts import AnswerMention, CautionMention, StatusMention
from scoring.suggest.models import SuggestConfig, SuggestionReport, Usage
from scoring.suggest.offline import OfflineSuggester
from scoring.suggest.phrases import QUESTION_REASON
from scoring.suggest.pipeline import Extraction, assemble, profile_for
from scoring.suggest.prompt import ModelOutput, build_messages

log = structlog.get_logger(__name__)


def fallback_notice(reason: str) -> str:
    return f"The LLM answer could not be used ({reason}); suggestions come from the offline suggester."


def failure_reason(exc: BaseException) -> str:
    """A short, human reason for a failed call (no secrets, no description text)."""
    if isinstance(exc, OpenAIRefusalError):
        return "refused"
    if isinstance(exc, openai.ContentFilterFinishReasonError):
        return "refused by the content filter"
    if isinstance(exc, openai.LengthFinishReasonError):
        return "the answer was cut off"
    if isinstance(exc, openai.APITimeoutError):
        return "timed out"
    if isinstance(exc, openai.RateLimitError):
        return "rate-limited (HTTP 429)"
    if isinstance(exc, openai.AuthenticationError):
        return "the API key was rejected"
    if isinstance(exc, openai.APIStatusError):
        return f"server error (HTTP {exc.status_code})"
    if isinstance(exc, openai.APIConnectionError):
        return "could not reach the server"
    if isinstance(
        exc, ValidationError | json.JSONDecodeError | OutputParserException | ValueError | TypeError
    ):
        return "malformed output"
    return f"unexpected error: {type(exc).__name__}"


def usage_of(raw: object, config: SuggestConfig) -> Usage:
    """Token usage of one call from the raw AIMessage, with its estimated cost."""
    prompt = completion = total = 0
    if isinstance(raw, AIMessage):
        if raw.usage_metadata:
            prompt = raw.usage_metadata.get("input_tokens", 0)
            completion = raw.usage_metadata.get("output_tokens", 0)
            total = raw.usage_metadata.get("total_tokens", 0)
        else:
            token_usage: dict[str, Any] = raw.response_metadata.get("token_usage") or {}
            prompt = int(token_usage.get("prompt_tokens", 0))
            completion = int(token_usage.get("completion_tokens", 0))
            total = int(token_usage.get("total_tokens", 0))
    cost = prompt / 1e6 * config.price_input_per_1m + completion / 1e6 * config.price_output_per_1m
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=total or prompt + completion,
        estimated_cost_usd=round(cost, 6),
        calls=1,
    )


UNCLEAR = "the description touches this ambiguously — check"


def to_extraction(output: ModelOutput) -> Extraction:
    """The model's output as mentions: "not_mentioned" is silence, "unclear" a caution, never an answer.
    Reasons are written in code, so no model text reaches a card except verified quotes."""
    answers: list[AnswerMention] = []
    cautions: list[CautionMention] = []
    for a in output.answers:
        if a.answer == "not_mentioned" or not a.evidence.strip():
            continue
        if a.answer == "unclear":
            cautions.append(CautionMention(question=a.question, note=UNCLEAR, evidence=a.evidence))
            continue
        reason = QUESTION_REASON[a.question][a.answer]
        answers.append(AnswerMention(question=a.question, answer=a.answer, reason=reason, evidence=a.evidence))
    statuses = [StatusMention(fact=x.fact, value=x.value, note="", evidence=x.evidence) for x in output.statements]
    return Extraction(numbers=output.numbers, statuses=statuses, answers=answers, cautions=cautions)


class LLMSuggester:
    def __init__(self, config: SuggestConfig, fallback: OfflineSuggester | None = None) -> None:
        if not config.api_key:
            raise ValueError("LLMSuggester needs an API key; use the offline suggester without one.")
        self.config = config
        self.fallback = fallback or OfflineSuggester()
        chat = ChatOpenAI(
            model=config.model,
            api_key=SecretStr(config.api_key),
            base_url=config.base_url,
            timeout=config.timeout_s,
            max_retries=config.max_retries,
            temperature=0,
            use_responses_api=False,
        )
        self._runnable: Runnable[Any, Any] = chat.with_structured_output(
            ModelOutput, method="json_schema", strict=True, include_raw=True
        )

    async def suggest(self, description: str, checklist: Checklist) -> SuggestionReport:
        text = check_description(description)
        if profile_for(checklist) is None:
            return await self.fallback.suggest(text, checklist)
        log.debug("suggest.llm.request", model=self.config.model, description_chars=len(text))
        try:
            result = await self._runnable.ainvoke(build_messages(text, checklist))
        except Exception as exc:  # any failure of the call falls back; the reason goes in the notice
            return await self._fall_back(text, checklist, failure_reason(exc), Usage(calls=1), exc)
        usage = usage_of(result.get("raw"), self.config)
        parsed = result.get("parsed")
        if not isinstance(parsed, ModelOutput):
            error = result.get("parsing_error")
            reason = failure_reason(error) if isinstance(error, BaseException) else "malformed output"
            return await self._fall_back(text, checklist, reason, usage, error)
        extraction = to_extraction(parsed)
        report = await asyncio.to_thread(
            assemble, text, checklist, extraction, engine="llm", origin="model", notice=None, usage=usage
        )
        log.info(
            "suggest.llm.done",
            model=self.config.model,
            checklist=checklist.id,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            total_tokens=usage.total_tokens,
            cost_usd=usage.estimated_cost_usd,
            suggestions=len(report.suggestions),
            dropped=len(report.dropped),
            conflicts=len(report.conflicts),
        )
        return report

    async def _fall_back(
        self, text: str, checklist: Checklist, reason: str, usage: Usage, error: object
    ) -> SuggestionReport:
        log.warning(
            "suggest.llm.fallback",
            model=self.config.model,
            reason=reason,
            error_type=type(error).__name__ if error is not None else None,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cost_usd=usage.estimated_cost_usd,
        )
        return await asyncio.to_thread(
            self.fallback.suggest_now, text, checklist, notice=fallback_notice(reason), usage=usage
        )
