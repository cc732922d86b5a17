"""The LLM suggester: one structured-output call per description, the offline suggester as fallback.

The model only extracts facts and answers the qualitative questions, each with a quote; the
quotes are verified and the thresholds applied in code (:mod:`scoring.suggest.pipeline`).
Retries with backoff on 429/5xx/timeouts are the openai client's own (``max_retries``; it honours
``Retry-After``), so one logical call may be several HTTP requests.

How failures surface (langchain-openai 1.8, openai 2.x), and why the schema is sent as a dict: given a pydantic
class, ``with_structured_output`` hands it to ``chat.completions.parse``, which validates the JSON inside the
call, so malformed or off-schema output raised a ``ValidationError`` from ``ainvoke`` before the message (and
its token usage) existed — ``include_raw=True`` only catches errors of the parser that runs after the call.
With the same strict schema as a dict (:data:`RESPONSE_FORMAT`) the SDK parses nothing: the call returns the
message with its usage, a refusal is in ``additional_kwargs["refusal"]``, and the JSON is validated here. An
answer cut off at the length limit still raises in the SDK (``LengthFinishReasonError``), carrying the
completion and its usage; a content-filter stop raises without them (``ContentFilterFinishReasonError``).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import openai
import structlog
from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
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


# The strict JSON schema ``chat.completions.parse`` sends for ModelOutput, built by the SDK's public helper: the
# request is unchanged, but the SDK no longer validates the answer (see the module docstring).
RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": ModelOutput.__name__,
        "schema": openai.pydantic_function_tool(ModelOutput)["function"]["parameters"],
        "strict": True,
    },
}


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


def read_output(raw: BaseMessage) -> tuple[ModelOutput | None, str | None]:
    """The model's answer validated against the schema, or None and why it cannot be used."""
    if raw.additional_kwargs.get("refusal"):
        return None, "refused"
    if not isinstance(raw.content, str):
        return None, "malformed output"
    try:
        return ModelOutput.model_validate_json(raw.content), None
    except ValidationError:
        return None, "malformed output"


def error_usage(exc: BaseException, config: SuggestConfig) -> Usage:
    """What a failed call cost: an answer cut off at the length limit still carries its completion's usage."""
    completion = exc.completion if isinstance(exc, openai.LengthFinishReasonError) else None
    if completion is None or completion.usage is None:
        return Usage(calls=1)
    u = completion.usage
    return priced(u.prompt_tokens, u.completion_tokens, u.total_tokens, config)


def priced(prompt: int, completion: int, total: int, config: SuggestConfig) -> Usage:
    cost = prompt / 1e6 * config.price_input_per_1m + completion / 1e6 * config.price_output_per_1m
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=total or prompt + completion,
        estimated_cost_usd=round(cost, 6),
        calls=1,
    )


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
    return priced(prompt, completion, total, config)


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
        self._chat: Runnable[LanguageModelInput, BaseMessage] = chat.bind(response_format=RESPONSE_FORMAT)

    async def suggest(self, description: str, checklist: Checklist) -> SuggestionReport:
        text = check_description(description)
        if profile_for(checklist) is None:
            return await self.fallback.suggest(text, checklist)
        log.debug("suggest.llm.request", model=self.config.model, description_chars=len(text))
        try:
            raw = await self._chat.ainvoke(build_messages(text, checklist))
        except Exception as exc:  # any failure of the call falls back; the reason goes in the notice
            usage = error_usage(exc, self.config)
            return await self._fall_back(text, checklist, failure_reason(exc), usage, exc)
        usage = usage_of(raw, self.config)  # the model answered: its tokens are paid whatever the answer says
        parsed, problem = read_output(raw)
        if parsed is None:
            return await self._fall_back(text, checklist, problem or "malformed output", usage, None)
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
