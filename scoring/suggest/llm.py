"""The LLM suggester: one structured-output call per description, the offline suggester as fallback.

The model only extracts facts and answers the qualitative questions, each with a quote; the
quotes are verified and the thresholds applied in code (:mod:`scoring.suggest.pipeline`).
Retries with backoff on 429/5xx/timeouts are done here (:func:`call_within`), not by the openai client: the
whole call, retries and ``Retry-After`` waits included, must end within one deadline (:data:`DEADLINE_S`), after
which the offline suggester answers. A model quote must be one stretch of the description (excerpts joined with "…"
are not), and sit among the words the offline reader looks for with its fact or question (:func:`off_topic`); a
statement or a direct answer must also read the same to the offline reader in the whole sentence it was cut from (a
"the team has fine-tuned a model" cut from "Nobody on the team has fine-tuned a model" does not). When none of the
model's quotes holds up, the offline suggester answers instead; otherwise the offline reader's answers fill the
questions the model left open, and a question both answer differently is a conflict (:func:`pipeline.combine`).

Every request is counted, with the tokens the server reports for it, by hooks on the HTTP client (:class:`Ledger`):
a request that timed out, a content-filter stop or an answer with no choices cost what the server says they did.

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
import contextvars
import email.utils
import json
import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

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
from scoring.suggest.evidence import check_description, locate_whole, normalise, quote_core, quote_problem
from scoring.suggest.facts import AnswerMention, CautionMention, NumberMention, StatusMention
from scoring.suggest.models import Dropped, FailureKind, SuggestConfig, SuggestionReport, Usage
from scoring.suggest.offline import OfflineSuggester
from scoring.suggest.phrases import ANSWER_CUES, QUESTION_REASON, STATUS_CUES, Cue
from scoring.suggest.pipeline import Extraction, Profile, assemble, combine, profile_for
from scoring.suggest.prompt import ModelOutput, build_messages
from scoring.suggest.reading import clause_at, hedged, negation_words, time_of
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


def out_of_quota(exc: BaseException) -> bool:
    """OpenAI's 429 for an account out of credit (``insufficient_quota``): waiting does not help, billing does."""
    if not isinstance(exc, openai.RateLimitError):
        return False
    body = exc.body if isinstance(exc.body, Mapping) else {}
    return "insufficient_quota" in (exc.code, exc.type, body.get("code"), body.get("type"))


def retry_wait(exc: BaseException, attempt: int) -> float | None:
    """How long to wait before trying again after ``exc`` (as the openai client would), None when not worth it."""
    if out_of_quota(exc):
        return None
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


# -- what the server said, and what it cost ----------------------------------------------------------------------

@dataclass
class Ledger:
    """The requests of one suggestion as the HTTP client saw them: every request sent (retries included) and the
    tokens of every answer, whether the SDK or langchain could then use it or not (a content-filter stop raises
    without its usage; an answer with no choices raises an ``IndexError`` in langchain)."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    no_choices: bool = False  # the last answer held an empty ``choices`` list

    def usage(self, config: SuggestConfig) -> Usage:
        return priced(self.prompt_tokens, self.completion_tokens, self.total_tokens, config, calls=self.requests)


_LEDGER: contextvars.ContextVar[Ledger | None] = contextvars.ContextVar("ftcheck_llm_ledger", default=None)


async def _count_request(request: httpx.Request) -> None:
    ledger = _LEDGER.get()
    if ledger is not None:
        ledger.requests += 1


async def _count_answer(response: httpx.Response) -> None:
    """The tokens a 200 answer reports (its body read here, once; the SDK then reads the same bytes)."""
    ledger = _LEDGER.get()
    if ledger is None or response.status_code != 200:
        return
    try:
        await response.aread()
        body = json.loads(response.content)
    except (httpx.HTTPError, ValueError):
        return
    if not isinstance(body, dict):
        return
    usage = body.get("usage")
    if isinstance(usage, dict):
        prompt, completion = _tokens(usage.get("prompt_tokens")), _tokens(usage.get("completion_tokens"))
        ledger.prompt_tokens += prompt
        ledger.completion_tokens += completion
        ledger.total_tokens += _tokens(usage.get("total_tokens")) or prompt + completion
    ledger.no_choices = body.get("choices") == []


def _tokens(value: object) -> int:
    return value if isinstance(value, int) and value > 0 else 0


def counting_client() -> httpx.AsyncClient:
    """The openai SDK's own async HTTP client (its timeouts, pool and redirects) with :class:`Ledger`'s hooks."""
    return openai.DefaultAsyncHttpxClient(
        event_hooks={"request": [_count_request], "response": [_count_answer]}
    )


_SECRET = re.compile(r"\b(?:sk|pk|rk|sess|org|proj)-[\w*.-]{2,}|\bxox[a-z]-[\w-]+|\bbearer\s+\S+", re.IGNORECASE)
SERVER_MESSAGE_CHARS = 200


def server_message(exc: BaseException) -> str | None:
    """What the server said about a refused request ("The model `gpt-4o-mni` does not exist…"), for the operator's
    log: one line, at most :data:`SERVER_MESSAGE_CHARS` characters, API keys and tokens masked."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    body = exc.body
    said = body.get("message") if isinstance(body, Mapping) else body
    if not isinstance(said, str) or not said.strip():
        return None
    line = _SECRET.sub("[redacted]", " ".join(said.split()))
    return line if len(line) <= SERVER_MESSAGE_CHARS else line[: SERVER_MESSAGE_CHARS - 1] + "…"


def failure(exc: BaseException, ledger: Ledger | None = None) -> tuple[FailureKind, str]:
    """What kind of failure ``exc`` is and a short, human reason (no secrets, no description text)."""
    if isinstance(exc, TooSlow):
        return "slow", str(exc)
    if isinstance(exc, OpenAIRefusalError):
        return "refused", "refused"
    if isinstance(exc, openai.ContentFilterFinishReasonError):
        return "content_filter", "refused by the content filter"
    if isinstance(exc, openai.LengthFinishReasonError):
        return "cut_off", "the answer was cut off"
    if isinstance(exc, openai.APITimeoutError):
        return "timeout", TIMED_OUT
    if out_of_quota(exc):
        return "quota", "the account is out of credit or over its quota (HTTP 429 insufficient_quota): check billing"
    if isinstance(exc, openai.RateLimitError):
        return "rate_limited", "rate-limited (HTTP 429)"
    if isinstance(exc, openai.AuthenticationError):
        return "auth", "the API key was rejected"
    if isinstance(exc, openai.NotFoundError):
        return "not_found", "the model or endpoint was not found (HTTP 404)"
    if isinstance(exc, openai.APIStatusError) and 400 <= exc.status_code < 500:
        return "bad_request", f"the server refused the request (HTTP {exc.status_code})"
    if isinstance(exc, openai.APIStatusError):
        return "server_error", f"server error (HTTP {exc.status_code})"
    if isinstance(exc, openai.APIConnectionError):
        return "connection", "could not reach the server"
    if isinstance(exc, IndexError) and ledger is not None and ledger.no_choices:
        return "no_choices", "the server's answer held no choices"
    if isinstance(
        exc, ValidationError | json.JSONDecodeError | OutputParserException | ValueError | TypeError
    ):
        return "malformed", "malformed output"
    return "unexpected", f"unexpected error: {type(exc).__name__}"


# a JSON answer in a Markdown code fence, as local models often write it
_FENCED = re.compile(r"\A\s*```[ \t]*(?:json|JSON)?[ \t]*\n?(.*?)\n?[ \t]*```\s*\Z", re.DOTALL)


def read_output(raw: BaseMessage) -> tuple[ModelOutput | None, str | None]:
    """The model's answer validated against the schema, or None and why it cannot be used. JSON inside a Markdown
    code fence is read when the rest is valid."""
    if raw.additional_kwargs.get("refusal"):
        return None, "refused"
    if not isinstance(raw.content, str):
        return None, "malformed output"
    fenced = _FENCED.match(raw.content)
    try:
        return ModelOutput.model_validate_json(fenced.group(1) if fenced else raw.content), None
    except ValidationError:
        return None, "malformed output"


def error_usage(exc: BaseException, config: SuggestConfig) -> Usage:
    """What a failed call cost when the HTTP client counted nothing: an answer cut off at the length limit still
    carries its completion's usage."""
    completion = exc.completion if isinstance(exc, openai.LengthFinishReasonError) else None
    if completion is None or completion.usage is None:
        return Usage(calls=1)
    u = completion.usage
    return priced(u.prompt_tokens, u.completion_tokens, u.total_tokens, config)


def priced(prompt: int, completion: int, total: int, config: SuggestConfig, *, calls: int = 1) -> Usage:
    cost = prompt / 1e6 * config.price_input_per_1m + completion / 1e6 * config.price_output_per_1m
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=total or prompt + completion,
        estimated_cost_usd=round(cost, 6),
        calls=calls,
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


def spent(ledger: Ledger, config: SuggestConfig, answered: object) -> Usage:
    """What the suggestion's requests cost, as the HTTP client counted them; ``answered``: the answer (or the error)
    to read the usage from when the client counted no tokens (a stand-in chat model without HTTP)."""
    if ledger.prompt_tokens or ledger.completion_tokens:
        return ledger.usage(config)
    got = error_usage(answered, config) if isinstance(answered, BaseException) else usage_of(answered, config)
    return got.model_copy(update={"calls": max(ledger.requests, 1)})


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


Judgement = Literal["keep", "drop", "check"]


@dataclass(frozen=True)
class Judged:
    """What becomes of one of the model's claims once its quote is read in its sentence: kept (``evidence``: the
    quote to show, the whole sentence when the cut changed its meaning), dropped (``why``), or shown as a check
    (``caution``) with no answer picked."""

    judgement: Judgement
    why: str = ""
    evidence: str = ""
    caution: CautionMention | None = None


def _speaks(cue: Cue, text: str) -> bool:
    return cue.pattern.search(text) is not None and (cue.unless is None or cue.unless.search(text) is None)


class _Context:
    """The offline reader's checks applied to the model's quotes, in the sentences they sit in (with the heading or
    chat question before them): a number needs the words the offline reader looks for around it (budget words for a
    budget…); a statement or a direct answer needs one of the offline reader's phrases for its fact or question (at
    any level: the model may read the level better), and must not read otherwise to the offline reader in its whole
    sentence (a negation, a wish, a hedge the quote cut off)."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.units = off.read_units(description)

    def quoted(self, evidence: str) -> list[off.Sentence] | None:
        """The sentences the quote sits in, as the offline reader reads them; None when it is not one stretch of
        the description (the pipeline drops it and says so)."""
        at = locate_whole(evidence, self.description)
        if at is None:
            return None
        return [u for u in self.units if u.unit.start < at.end and at.start < u.unit.end]

    def around(self, evidence: str) -> str | None:
        """The quoted sentences with their headings, as the offline reader reads them; None if not quoted."""
        hit = self.quoted(evidence)
        return None if hit is None else " ".join(f"{u.label} {u.norm}" for u in hit)

    def number_problem(self, m: NumberMention) -> str | None:
        text = self.around(m.evidence)
        if text is None or m.fact not in off.FACT_CONTEXT:
            return None
        pattern, subject = off.FACT_CONTEXT[m.fact]
        if not re.search(pattern, text):
            return off_point(subject)
        return self.cut_negation(m.evidence)

    def cut_negation(self, evidence: str) -> str | None:
        """A negation in the number's clause that the quote left out ("labeled the 2,000 tickets" from "Nobody has
        labeled the 2,000 tickets"): the number is not what the team has."""
        cut = quote_core(evidence)
        for u in self.quoted(evidence) or []:
            sentence = normalise(u.unit.text)
            at = sentence.find(cut)
            if at < 0 or not cut:
                continue
            said = negation_words(clause_at(sentence, at, at + len(cut)))
            if said is not None and negation_words(cut) is None:
                return f"the sentence says '{said}'"
        return None

    def judge(self, name: str, cues: list[Cue], level: str, evidence: str, subject: str) -> Judged:
        """The model's ``level`` for fact or question ``name`` (the offline reader's ``cues`` for it), read in the
        whole sentence its quote comes from."""
        units = self.quoted(evidence)
        if units is None:
            return Judged("keep", evidence=evidence)  # not one stretch of the text: the pipeline drops it
        if not units:  # only in what the offline reader skips (an instruction): the pipeline says why
            problem = quote_problem(evidence, self.description, whole=True)
            return Judged("keep", evidence=evidence) if problem else Judged("drop", off_point(subject))
        in_sentence = any(_speaks(c, u.norm) for c in cues for u in units)
        if not in_sentence and not any(_speaks(c, u.label) for c in cues for u in units):
            return Judged("drop", off_point(subject))
        hit = off._match(name, cues, units)
        if hit is not None and hit.ambiguous:
            return Judged("check", caution=off._caution(name, hit))
        if hit is not None and hit.cue.level != level:
            return Judged("drop", f"the sentence reads as {hit.cue.level}, not {level}")
        if hit is None:
            why = self.not_read(units, level, in_sentence)
            if why is not None:
                return Judged("drop", why)
        return Judged("keep", evidence=self.shown(evidence, units))

    @staticmethod
    def not_read(units: list[off.Sentence], level: str, in_sentence: bool) -> str | None:
        """Why a sentence the offline reader finds no answer in does not back ``level`` either, or None when nothing
        in it says otherwise (a negative sentence backs a "no"; a plain one under a heading on the topic, a "yes")."""
        for u in units:
            if not u.reading.counts:
                return "the sentence is a question or someone else's advice, not the team's statement"
            if u.reading.time == "wished":
                return "the sentence tells a wish, not what the team has"
            if hedged(u.norm):
                return "the sentence hedges it"
        negated = next((w for u in units if (w := negation_words(u.norm)) is not None), None)
        if level == "no":
            return None if negated is not None else "the sentence does not say no"
        if negated is not None:
            return f"the sentence says '{negated}'"
        return f"the built-in reader does not read the sentence as {level}" if in_sentence else None

    @staticmethod
    def shown(evidence: str, units: list[off.Sentence]) -> str:
        """The model's quote, or its whole sentence when what the quote cut off changes how it reads (a negation, a
        hedge, a plan or a wish)."""
        cut = normalise(evidence)
        whole = " ".join(normalise(u.unit.text) for u in units)

        def reads(text: str) -> tuple[bool, bool, str]:
            return negation_words(text) is not None, hedged(text), time_of(text)

        return evidence if reads(cut) == reads(whole) else " ".join(u.quote for u in units)

    def about(self, cues: list[Cue], evidence: str, subject: str) -> str | None:
        """Why the quote of a model's "unclear" is not about its question (no phrase of it in the sentence or its
        heading), or None."""
        units = self.quoted(evidence)
        if not units or any(_speaks(c, f"{u.label} {u.norm}") for c in cues for u in units):
            return None
        return off_point(subject)



def reader_cues(question: str, profile: Profile) -> tuple[str, list[Cue]] | None:
    """The offline reader's name and phrases for a question the model answers directly: its own (a qualitative
    question) or those of the statement that answers it (``maintenance_plan`` is read from ``retraining_plan``)."""
    if question in ANSWER_CUES:
        return question, ANSWER_CUES[question]
    for fact, questions in profile.fact_questions.items():
        if questions[0] == question and fact in STATUS_CUES:
            return fact, STATUS_CUES[fact]
    return None


def off_topic(
    extraction: Extraction, description: str, checklist: Checklist, profile: Profile
) -> tuple[Extraction, list[Dropped]]:
    """``extraction`` with only the claims whose quote holds up in its sentence (:class:`_Context`): the rest are
    dropped (question, quote, why) for the report, or become cautions when the sentence is ambiguous; a quote cut so
    that it reads otherwise than its sentence is replaced by the sentence."""
    ctx = _Context(description)
    dropped: list[Dropped] = []
    cautions: list[CautionMention] = []

    def question_of(name: str) -> str | None:
        questions = profile.fact_questions.get(name)
        qid = questions[0] if questions else (name if name in profile.qualitative else None)
        return checklist.question(qid).key if qid is not None else None

    def keeps(name: str, evidence: str, why: str | None) -> bool:
        key = question_of(name)
        if why is None or key is None:
            return True
        dropped.append(Dropped(question=key, evidence=evidence, why=why))
        return False

    def judged(claim: str, read_as: str, cues: list[Cue], level: str, evidence: str, subject: str) -> str | None:
        """The quote to keep ``claim`` (a fact or a question) with, or None when it is dropped or becomes a caution;
        ``read_as``: the offline reader's name for it (a direct answer may be read as a statement, with that
        statement's tense rules: "a rollback plan will be written later" is none)."""
        if question_of(claim) is None:
            return evidence
        j = ctx.judge(read_as, cues, level, evidence, subject)
        if j.judgement == "check" and j.caution is not None:
            cautions.append(j.caution)
            return None
        return j.evidence if keeps(claim, evidence, j.why or None) else None

    numbers = [m for m in extraction.numbers if keeps(m.fact, m.evidence, ctx.number_problem(m))]
    statuses: list[StatusMention] = []
    for st in extraction.statuses:
        said = st.fact.replace("_", " ").replace("ml engineer", "an ML engineer")  # "monitoring", "an ML engineer"
        quote = (judged(st.fact, st.fact, STATUS_CUES[st.fact], st.value, st.evidence, said)
                 if st.fact in STATUS_CUES else st.evidence)
        if quote is not None:
            statuses.append(st.model_copy(update={"evidence": quote}))
    answers: list[AnswerMention] = []
    for a in extraction.answers:
        reader = reader_cues(a.question, profile)
        about = _subject(checklist, a.question)
        quote = judged(a.question, *reader, a.answer, a.evidence, about) if reader else a.evidence
        if quote is not None:
            answers.append(a.model_copy(update={"evidence": quote}))
    unclear = [c for c in extraction.cautions
               if (reader := reader_cues(c.question, profile)) is None
               or keeps(c.question, c.evidence, ctx.about(reader[1], c.evidence, _subject(checklist, c.question)))]
    kept = Extraction(numbers=numbers, statuses=statuses, answers=answers, cautions=[*unclear, *cautions])
    return kept, dropped


UNNAMED = "the quoted sentence does not name {subject}: check it backs this answer"


def unnamed_where_open(merged: SuggestionReport, extraction: Extraction, text: str, checklist: Checklist,
                       profile: Profile, usage: Usage) -> SuggestionReport:
    """The model's direct answers whose quote names nothing of their question (none of the offline reader's phrases
    for it), which :func:`off_topic` dropped, back on the questions nothing else answers, with a
    caution to check the quote backs them. The offline reader's phrases miss much a sentence can say ("14 product
    lines and three regions, in English, Spanish and German" for diverse examples; "retraining takes two hours"):
    dropping them lost right answers. Where the offline reader answers the question, or the sentence read otherwise
    (a negation, a hedge), they stay dropped."""
    unnamed = {d.question: d for d in merged.dropped if d.why.startswith(off_point(""))}
    if not unnamed:
        return merged
    shown = ({s.question for s in merged.suggestions} | {c.question for c in merged.conflicts}
             | {w.question for w in merged.cautions})

    ctx = _Context(text)

    def back_on(question: str, level: str, evidence: str) -> bool:
        """Dropped as unnamed, open, and nothing in its sentence reads otherwise (a negation, a hedge, a wish)."""
        key = checklist.question(question).key
        units = ctx.quoted(evidence)
        return (key in unnamed and key not in shown and unnamed[key].evidence == evidence and bool(units)
                and ctx.not_read(units or [], level, in_sentence=False) is None)

    # direct answers only: a statement is a fact (monitoring, an ML engineer), which its sentence must name
    claims = Extraction(answers=[a for a in extraction.answers if back_on(a.question, a.answer, a.evidence)])
    if not claims.answers:
        return merged
    extra = assemble(text, checklist, claims, engine="llm", origin="model", notice=None, usage=usage)
    back = [s.model_copy(update={"caution": UNNAMED.format(subject=_subject(checklist, s.question))})
            for s in extra.suggestions if s.question not in shown]
    kept = {s.question for s in back}
    ordered = sorted([*merged.suggestions, *back], key=lambda s: checklist.question(s.question).number)
    return merged.model_copy(update={
        "suggestions": ordered,
        "dropped": [d for d in merged.dropped if not (d.question in kept and d.why.startswith(off_point("")))],
        "no_evidence": [n for n in merged.no_evidence if checklist.question(f"q{n}").key not in kept],
    })


def _subject(checklist: Checklist, question: str) -> str:
    """What a question is about, in a few words (its ``short``), for the reasons a quote is dropped or checked."""
    asked = next((q for q in checklist.questions if question in (q.id, q.key)), None)
    return (asked.short if asked is not None else None) or question.replace("_", " ")


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
            http_async_client=counting_client(),
        )
        self._chat: Runnable[LanguageModelInput, BaseMessage] = chat.bind(response_format=RESPONSE_FORMAT)

    async def suggest(self, description: str, checklist: Checklist) -> SuggestionReport:
        text = check_description(description)
        profile = profile_for(checklist)
        if profile is None:
            return await self.fallback.suggest(text, checklist)
        log.debug("suggest.llm.request", model=self.config.model, description_chars=len(text))
        ledger = Ledger()
        counting = _LEDGER.set(ledger)
        try:
            raw = await call_within(self._chat, build_messages(text, checklist), deadline_s=self.deadline_s,
                                    retries=self.config.max_retries)
        except Exception as exc:  # any failure of the call falls back; the reason goes in the notice
            kind, reason = failure(exc, ledger)
            return await self._fall_back(text, checklist, kind, reason, spent(ledger, self.config, exc), exc)
        finally:
            _LEDGER.reset(counting)
        usage = spent(ledger, self.config, raw)  # the model answered: its tokens are paid whatever the answer says
        parsed, problem = read_output(raw)
        if parsed is None:
            kind = "refused" if problem == "refused" else "malformed"
            return await self._fall_back(text, checklist, kind, problem or "malformed output", usage, None)
        report = await asyncio.to_thread(read_checked, text, checklist, profile, to_extraction(parsed), usage)
        if nothing_held(report):  # every quote made up or off the point: the offline reader may still find some
            reason = quotes_reason(len(report.dropped))
            return await self._fall_back(text, checklist, "quotes", reason, usage, None, dropped=report.dropped)
        reader = await asyncio.to_thread(self.fallback.suggest_now, text, checklist)
        merged = unnamed_where_open(combine(report, reader, checklist), to_extraction(parsed), text, checklist,
                                    profile, usage)
        log.info(
            "suggest.llm.done",
            model=self.config.model,
            checklist=checklist.id,
            requests=usage.calls,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            total_tokens=usage.total_tokens,
            cost_usd=usage.estimated_cost_usd,
            suggestions=len(merged.suggestions),
            from_model=len(report.suggestions),
            from_reader=sum(1 for s in merged.suggestions if s not in report.suggestions),
            dropped=len(merged.dropped),
            conflicts=len(merged.conflicts),
        )
        return merged

    async def _fall_back(
        self,
        text: str,
        checklist: Checklist,
        kind: FailureKind,
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
            failure=kind,
            reason=reason,
            error_type=type(error).__name__ if error is not None else None,
            http_status=error.status_code if isinstance(error, openai.APIStatusError) else None,
            server_message=server_message(error) if isinstance(error, BaseException) else None,
            requests=usage.calls,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cost_usd=usage.estimated_cost_usd,
        )
        report = await asyncio.to_thread(
            self.fallback.suggest_now, text, checklist, notice=fallback_notice(reason), usage=usage
        )
        update: dict[str, Any] = {"failure": kind}
        if dropped:
            update["dropped"] = [*dropped, *report.dropped]
        return report.model_copy(update=update)
