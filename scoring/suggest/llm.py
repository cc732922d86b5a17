"""The LLM suggester: one structured-output call per description, the offline suggester as fallback.

The model only extracts facts and answers the qualitative questions, each with a quote; the
quotes are verified and the thresholds applied in code (:mod:`scoring.suggest.pipeline`).
Retries with backoff on 429/5xx/timeouts are done here (:func:`call_within`), not by the openai client: the
whole call, retries and ``Retry-After`` waits included, must end within one deadline (:data:`DEADLINE_S`), after
which the offline suggester answers. A model quote must be in the description and, for a number or a statement,
sit among the words the offline reader looks for with that fact (:func:`off_topic`); when none of the model's
quotes holds up, the offline suggester answers instead.

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
import email.utils
import json
import random
import re
import time
from typing import Any

import httpx
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
from scoring.suggest import offline as off
from scoring.suggest.evidence import check_description, locate_parts
from scoring.suggest.facts import AnswerMention, CautionMention, StatusMention
from scoring.suggest.models import Dropped, SuggestConfig, SuggestionReport, Usage
from scoring.suggest.offline import OfflineSuggester
from scoring.suggest.phrases import QUESTION_REASON, STATUS_CUES
from scoring.suggest.pipeline import Extraction, Profile, assemble, profile_for
from scoring.suggest.prompt import ModelOutput, build_messages
from scoring.suggest.render import TIMED_OUT, quotes_reason, slow_reason

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


# The longest the whole suggestion call may take, retries and their waits included, while Slack shows "Reading the
# description…"; a longer per-request timeout (FTCHECK_LLM_TIMEOUT, e.g. for a slow local model) raises it to that.
DEADLINE_S = 30.0
_RETRY_STATUSES = frozenset({408, 409, 429})
_FIRST_BACKOFF_S, _MAX_BACKOFF_S = 0.5, 8.0


class TooSlow(Exception):
    """The model did not answer within the deadline (retries included)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(slow_reason(seconds))
        self.seconds = seconds


def retry_after_s(headers: httpx.Headers) -> float | None:
    """The wait a 429/503 asks for (``retry-after-ms``, ``retry-after`` in seconds or as a date), or None."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            return float(headers.get(name, "")) / scale
        except ValueError:
            continue
    parsed = email.utils.parsedate_tz(headers.get("retry-after", ""))
    return None if parsed is None else float(email.utils.mktime_tz(parsed) - time.time())


def retry_wait(exc: BaseException, attempt: int) -> float | None:
    """How long to wait before trying again after ``exc`` (as the openai client would), None when not worth it."""
    if isinstance(exc, openai.APIStatusError):
        flag = exc.response.headers.get("x-should-retry")
        if flag == "false" or (flag != "true" and exc.status_code not in _RETRY_STATUSES and exc.status_code < 500):
            return None
        asked = retry_after_s(exc.response.headers)
        if asked is not None and asked >= 0:
            return asked
    elif not isinstance(exc, openai.APIConnectionError):  # a timeout is a connection error too
        return None
    backoff: float = min(_FIRST_BACKOFF_S * 2.0**attempt, _MAX_BACKOFF_S)
    return backoff * (1 - 0.25 * random.random())


async def call_within(
    chat: Runnable[LanguageModelInput, BaseMessage], messages: list[BaseMessage], *, deadline_s: float, retries: int
) -> BaseMessage:
    """One logical call: retried on 429/5xx/timeouts, but never past ``deadline_s`` from now (:class:`TooSlow`);
    a wait asked for (``Retry-After``) that would end after the deadline is not waited: the error is raised."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_s
    attempt = 0
    while True:
        limit = asyncio.timeout_at(deadline)
        try:
            async with limit:
                return await chat.ainvoke(messages)
        except TimeoutError as exc:
            if limit.expired():
                raise TooSlow(deadline_s) from exc
            raise
        except Exception as exc:
            wait = retry_wait(exc, attempt)
            if wait is None or attempt >= retries:
                raise
            if loop.time() + wait >= deadline:  # no time left to try again: a model that timed out is too slow
                if isinstance(exc, openai.APITimeoutError):
                    raise TooSlow(deadline_s) from exc
                raise
            log.info("suggest.llm.retry", attempt=attempt + 1, wait_s=round(wait, 2), error_type=type(exc).__name__)
            await asyncio.sleep(wait)
            attempt += 1


def fallback_notice(reason: str) -> str:
    return f"The LLM answer could not be used ({reason}); suggestions come from the offline suggester."


def failure_reason(exc: BaseException) -> str:
    """A short, human reason for a failed call (no secrets, no description text)."""
    if isinstance(exc, TooSlow):
        return str(exc)
    if isinstance(exc, OpenAIRefusalError):
        return "refused"
    if isinstance(exc, openai.ContentFilterFinishReasonError):
        return "refused by the content filter"
    if isinstance(exc, openai.LengthFinishReasonError):
        return "the answer was cut off"
    if isinstance(exc, openai.APITimeoutError):
        return TIMED_OUT
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


def off_point(subject: str) -> str:
    return f"the quote does not speak of {subject}"


class _Context:
    """The offline reader's context checks applied to the model's quotes: a number needs the words the offline
    reader looks for around it (budget words for a budget…), a statement one of the offline reader's phrases for
    its fact (at any level: the model may read the level better), in the sentence quoted or under its heading."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.units = off.read_units(description)

    def around(self, evidence: str) -> str | None:
        """The quoted sentences with their headings, as the offline reader reads them; None if not quoted."""
        spans = locate_parts(evidence, self.description)
        if not spans:
            return None  # not in the description: the pipeline drops it and says so
        hit = [u for u in self.units if any(u.unit.start < p.end and p.start < u.unit.end for p in spans)]
        return " ".join(f"{u.label} {u.norm}" for u in hit)

    def number_problem(self, fact: str, evidence: str) -> str | None:
        text = self.around(evidence)
        if text is None or fact not in off.FACT_CONTEXT:
            return None
        pattern, subject = off.FACT_CONTEXT[fact]
        return None if re.search(pattern, text) else off_point(subject)

    def statement_problem(self, fact: str, evidence: str) -> str | None:
        text = self.around(evidence)
        cues = STATUS_CUES.get(fact, [])
        if text is None or not cues or any(c.pattern.search(text) for c in cues):
            return None
        return off_point(fact.replace("_", " ").replace("ml engineer", "an ML engineer"))


def off_topic(
    extraction: Extraction, description: str, checklist: Checklist, profile: Profile
) -> tuple[Extraction, list[Dropped]]:
    """``extraction`` without the numbers and statements whose quote lacks the offline reader's context, and
    the drops (question, quote, why) for the report."""
    ctx = _Context(description)
    dropped: list[Dropped] = []

    def keeps(fact: str, evidence: str, why: str | None) -> bool:
        questions = profile.fact_questions.get(fact)
        if why is None or not questions:
            return True
        dropped.append(Dropped(question=checklist.question(questions[0]).key, evidence=evidence, why=why))
        return False

    numbers = [m for m in extraction.numbers if keeps(m.fact, m.evidence, ctx.number_problem(m.fact, m.evidence))]
    statuses = [
        m for m in extraction.statuses if keeps(m.fact, m.evidence, ctx.statement_problem(m.fact, m.evidence))
    ]
    kept = Extraction(numbers=numbers, statuses=statuses, answers=extraction.answers, cautions=extraction.cautions)
    return kept, dropped


def nothing_held(report: SuggestionReport) -> bool:
    """The model claimed something and not one claim survived the checks: its reading is of no use."""
    return bool(report.dropped) and not (report.suggestions or report.conflicts or report.cautions)


def read_checked(
    text: str, checklist: Checklist, profile: Profile, extraction: Extraction, usage: Usage
) -> SuggestionReport:
    """The report from the model's extraction: context checks first, then the pipeline's (quotes, numbers)."""
    kept, off_point_drops = off_topic(extraction, text, checklist, profile)
    report = assemble(text, checklist, kept, engine="llm", origin="model", notice=None, usage=usage)
    return report.model_copy(update={"dropped": [*report.dropped, *off_point_drops]})


class LLMSuggester:
    """``deadline_s``: the longest a suggestion may wait for the model, retries included (default
    :data:`DEADLINE_S`, or the per-request timeout when that is longer); then the offline suggester answers."""

    def __init__(
        self, config: SuggestConfig, fallback: OfflineSuggester | None = None, *, deadline_s: float | None = None
    ) -> None:
        if not config.api_key:
            raise ValueError("LLMSuggester needs an API key; use the offline suggester without one.")
        self.config = config
        self.fallback = fallback or OfflineSuggester()
        self.deadline_s = deadline_s if deadline_s is not None else max(DEADLINE_S, config.timeout_s)
        chat = ChatOpenAI(
            model=config.model,
            api_key=SecretStr(config.api_key),
            base_url=config.base_url,
            timeout=config.timeout_s,
            max_retries=0,  # retried by call_within, within the deadline
            temperature=0,
            use_responses_api=False,
        )
        self._chat: Runnable[LanguageModelInput, BaseMessage] = chat.bind(response_format=RESPONSE_FORMAT)

    async def suggest(self, description: str, checklist: Checklist) -> SuggestionReport:
        text = check_description(description)
        profile = profile_for(checklist)
        if profile is None:
            return await self.fallback.suggest(text, checklist)
        log.debug("suggest.llm.request", model=self.config.model, description_chars=len(text))
        try:
            raw = await call_within(self._chat, build_messages(text, checklist), deadline_s=self.deadline_s,
                                    retries=self.config.max_retries)
        except Exception as exc:  # any failure of the call falls back; the reason goes in the notice
            usage = error_usage(exc, self.config)
            return await self._fall_back(text, checklist, failure_reason(exc), usage, exc)
        usage = usage_of(raw, self.config)  # the model answered: its tokens are paid whatever the answer says
        parsed, problem = read_output(raw)
        if parsed is None:
            return await self._fall_back(text, checklist, problem or "malformed output", usage, None)
        report = await asyncio.to_thread(read_checked, text, checklist, profile, to_extraction(parsed), usage)
        if nothing_held(report):  # every quote made up or off the point: the offline reader may still find some
            reason = quotes_reason(len(report.dropped))
            return await self._fall_back(text, checklist, reason, usage, None, dropped=report.dropped)
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
        self,
        text: str,
        checklist: Checklist,
        reason: str,
        usage: Usage,
        error: object,
        dropped: list[Dropped] | None = None,
    ) -> SuggestionReport:
        """The offline suggester's report, with why the model's was not used; ``dropped``: the model's quotes
        that did not hold up, kept in the report so they are counted and shown."""
        log.warning(
            "suggest.llm.fallback",
            model=self.config.model,
            reason=reason,
            error_type=type(error).__name__ if error is not None else None,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cost_usd=usage.estimated_cost_usd,
        )
        report = await asyncio.to_thread(
            self.fallback.suggest_now, text, checklist, notice=fallback_notice(reason), usage=usage
        )
        return report.model_copy(update={"dropped": [*(dropped or []), *report.dropped]}) if dropped else report
