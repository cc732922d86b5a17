"""Review fixes of the LLM suggester, through the real ChatOpenAI client against the OpenAI stand-in server.

Made-up quotes fall back to the built-in reader; a model number or statement needs the offline reader's context
words; the whole call has one deadline; a fallback that finds nothing says so. Each reads the report line Slack
shows (bot.blocks.suggestions.report_text) as well as the report.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from bot.blocks.suggestions import report_text
from scoring.checklist import Checklist
from scoring.suggest import SuggestConfig, llm
from scoring.suggest.llm import LLMSuggester
from tests.scoring.suggestions import suggestion_for
from tests.standins.openai_api import OpenAIStandin

# The reviewer's boilerplate-heavy description: two sentences answer questions (q1, q12), the rest is corporate
# filler with numbers in it.
DESCRIPTION = (
    "Acme Mutual is proud to serve 2 million policyholders. Our 4,200 associates volunteered 38,000 hours in "
    "their communities last year. Customer satisfaction rose 12% after the new claims portal launched, and "
    "claim cycle time fell 18%. Our Net Promoter Score of 71 leads the industry, and we hold SOC 2 Type II "
    "certification.\n\n"
    "We want to fine-tune a model to summarise adjusters' call notes. We have 6,500 call notes paired with "
    "summaries written by senior adjusters. A senior data scientist from the analytics CoE will own the "
    "training runs."
)
NOTHING = "Acme Mutual is proud to serve its policyholders. We were named a Top Workplace again this year."


def out(**parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"numbers": [], "statements": [], "answers": [], **parts}


def num(fact: str, value: float, evidence: str) -> dict[str, Any]:
    return {"fact": fact, "value": value, "upper": None, "evidence": evidence}


def said(fact: str, value: str, evidence: str) -> dict[str, Any]:
    return {"fact": fact, "value": value, "evidence": evidence}


LABELED = num("labeled_examples", 6500, "We have 6,500 call notes paired with summaries written by senior adjusters.")


@pytest.fixture(scope="module")
def api() -> Iterator[OpenAIStandin]:
    with OpenAIStandin() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(api: OpenAIStandin) -> Iterator[None]:
    api.reset()
    saved = structlog.get_config()
    structlog.reset_defaults()
    yield
    structlog.configure(**saved)
    assert api.pending == 0, "a planned response was not used"


def suggester(api: OpenAIStandin, *, timeout_s: float = 3.0, max_retries: int = 1,
              deadline_s: float | None = None) -> LLMSuggester:
    config = SuggestConfig(api_key="test-key", base_url=api.base_url, timeout_s=timeout_s, max_retries=max_retries)
    return LLMSuggester(config, deadline_s=deadline_s) if deadline_s is not None else LLMSuggester(config)


# -- 1. every quote made up: the built-in reader answers, and the line says why ------------------------------------

async def test_made_up_quotes_fall_back_to_the_built_in_reader(api: OpenAIStandin, checklist: Checklist) -> None:
    api.respond_json(out(
        numbers=[num("labeled_examples", 6500, "We have 6,500 labelled call notes ready")],
        answers=[{"question": "rollback_plan", "answer": "yes",
                  "evidence": "If the model underperforms we revert to the adjusters' manual notes."}]))
    report = await suggester(api).suggest(DESCRIPTION, checklist)

    assert report.engine == "offline"
    assert {s.question for s in report.suggestions} >= {"q1", "q12"}  # what the built-in reader finds
    assert [d.question for d in report.dropped] == ["q1", "q17"]  # the model's quotes, still counted
    assert report.notice is not None and "none of its 2 quotes held up" in report.notice
    assert report.usage.calls == 1 and report.usage.prompt_tokens > 0
    line = report_text(report)
    assert line.startswith(f"{len(report.suggestions)} suggestions from the pasted description")
    assert line.endswith("(the AI helper's 2 quotes could not be found in your text, so the built-in reader made "
                         "them).")
    assert "does not answer any question" not in line


async def test_some_quotes_made_up_keeps_the_rest_and_says_how_many_were_left_out(
    api: OpenAIStandin, checklist: Checklist
) -> None:
    api.respond_json(out(numbers=[LABELED, num("budget_usd", 9000, "Our budget is $9,000 for labeling")]))
    report = await suggester(api).suggest(DESCRIPTION, checklist)

    assert report.engine == "llm" and [s.question for s in report.suggestions] == ["q1"]
    assert report_text(report) == ("1 suggestion from the pasted description, shown on each card; 1 of the AI "
                                   "helper's answers left out because their quotes are not in your text.")


# -- 2. a model quote must speak of its fact, as the offline reader requires ---------------------------------------

OFF_POINT = [
    ("q14", num("budget_usd", 4200, "Our 4,200 associates volunteered 38,000 hours in their communities last year."),
     "a budget"),
    ("q4", num("agreement_pct", 71, "our Net Promoter Score of 71 leads the industry"), "labelers agreeing"),
    ("q8", num("target_accuracy", 18, "claim cycle time fell 18%"), "an accuracy target"),
    ("q7", num("prompting_accuracy", 12, "Customer satisfaction rose 12% after the new claims portal launched"),
     "prompting results or accuracy"),
    ("q15", said("monitoring", "yes", "we hold SOC 2 Type II certification"), "monitoring"),
    ("q12", said("ml_engineer", "yes", "Our 4,200 associates volunteered 38,000 hours"), "an ML engineer"),
]


@pytest.mark.parametrize(("question", "claim", "subject"), OFF_POINT, ids=[q for q, _, _ in OFF_POINT])
async def test_a_quote_that_only_contains_the_number_is_dropped(
    api: OpenAIStandin, checklist: Checklist, question: str, claim: dict[str, Any], subject: str
) -> None:
    claims = out(numbers=[LABELED])
    claims["numbers" if "upper" in claim else "statements"].append(claim)
    api.respond_json(claims)
    report = await suggester(api).suggest(DESCRIPTION, checklist)

    assert report.engine == "llm" and suggestion_for(report, question) is None
    assert [(d.question, d.why) for d in report.dropped] == [(question, f"the quote does not speak of {subject}")]
    assert suggestion_for(report, "q1") is not None  # the claim with a quote in context stays
    assert report_text(report).endswith("1 of the AI helper's answers left out because their quotes do not back "
                                        "them.")


async def test_the_same_numbers_in_context_are_kept(api: OpenAIStandin, checklist: Checklist) -> None:
    text = DESCRIPTION + (" Budget: $4,200 for labeling and training. Two adjusters labeled the same 200 notes "
                          "independently and agreed 71% of the time. We need 90% accuracy; our prompt gets 80%. "
                          "Quality monitoring dashboards alert us on drift.")
    api.respond_json(out(
        numbers=[LABELED, num("budget_usd", 4200, "Budget: $4,200 for labeling and training."),
                 num("agreement_pct", 71, "agreed 71% of the time"),
                 num("target_accuracy", 90, "We need 90% accuracy"),
                 num("prompting_accuracy", 80, "our prompt gets 80%")],
        statements=[said("monitoring", "yes", "Quality monitoring dashboards alert us on drift.")]))
    report = await suggester(api).suggest(text, checklist)

    assert report.engine == "llm" and report.dropped == []
    assert {s.question: s.answer for s in report.suggestions if s.question in {"q4", "q8", "q14", "q15"}} == {
        "q4": 0.0, "q8": 1.0, "q14": 1.0, "q15": 1.0}


# -- 3. one deadline for the whole call --------------------------------------------------------------------------

async def test_a_slow_model_gives_way_to_the_built_in_reader_at_the_deadline(
    api: OpenAIStandin, checklist: Checklist
) -> None:
    api.respond_delay(3.0, then=out(numbers=[LABELED]))
    started = time.monotonic()
    # one request may take 5 s, and be retried twice: the deadline cuts the whole call at 1.2 s
    report = await suggester(api, timeout_s=5.0, max_retries=2, deadline_s=1.2).suggest(DESCRIPTION, checklist)
    took = time.monotonic() - started

    assert took < 1.2 + 0.5, took
    assert report.engine == "offline" and suggestion_for(report, "q1") is not None
    assert report.notice is not None and "no answer within 1.2 s" in report.notice
    assert report_text(report).endswith("(the AI helper took too long, so the built-in reader made them).")


async def test_a_retry_after_past_the_deadline_is_not_waited_for(api: OpenAIStandin, checklist: Checklist) -> None:
    api.respond_status(429, retry_after=20)
    started = time.monotonic()
    report = await suggester(api, max_retries=2, deadline_s=3.0).suggest(DESCRIPTION, checklist)

    assert time.monotonic() - started < 1.0
    assert len(api.requests) == 1  # no retry: the wait asked for ends after the deadline
    assert report.engine == "offline" and report.notice is not None and "rate-limited (HTTP 429)" in report.notice
    assert report_text(report).endswith("(the AI helper could not answer, so the built-in reader made them).")


async def test_a_retry_after_within_the_deadline_is_honoured(api: OpenAIStandin, checklist: Checklist) -> None:
    api.respond_status(429, retry_after=0.3)
    api.respond_json(out(numbers=[LABELED]))
    report = await suggester(api, max_retries=1, deadline_s=3.0).suggest(DESCRIPTION, checklist)

    first, second = api.recorded
    assert second.at - first.at >= 0.25
    assert report.engine == "llm" and suggestion_for(report, "q1") is not None


async def test_a_timed_out_request_with_no_time_left_to_retry_is_too_slow(
    api: OpenAIStandin, checklist: Checklist
) -> None:
    api.respond_delay(2.0, then=out(numbers=[LABELED]))
    started = time.monotonic()
    # the first request times out at 0.9 s; the wait before a second one (0.375 s or more) ends after 1.2 s
    report = await suggester(api, timeout_s=0.9, max_retries=2, deadline_s=1.2).suggest(DESCRIPTION, checklist)

    assert time.monotonic() - started < 1.2 + 0.3
    assert len(api.requests) == 1
    assert report.notice is not None and "no answer within 1.2 s" in report.notice
    assert report_text(report).endswith("(the AI helper took too long, so the built-in reader made them).")


def test_the_default_deadline_is_thirty_seconds_unless_a_request_may_take_longer() -> None:
    assert llm.DEADLINE_S == 30.0
    assert LLMSuggester(SuggestConfig(api_key="k", timeout_s=20.0)).deadline_s == 30.0
    assert LLMSuggester(SuggestConfig(api_key="k", timeout_s=120.0)).deadline_s == 120.0  # a slow local model


# -- 4. a fallback that finds nothing says so --------------------------------------------------------------------

async def test_a_fallback_that_finds_nothing_says_so(api: OpenAIStandin, checklist: Checklist) -> None:
    api.respond_text('{"numbers": [')
    report = await suggester(api).suggest(NOTHING, checklist)

    assert report.engine == "offline" and report.suggestions == []
    assert report_text(report) == ("No suggestions from the pasted description: the AI helper could not answer, "
                                   "and the built-in reader found nothing it could quote either.")


async def test_made_up_quotes_and_nothing_found_say_both(api: OpenAIStandin, checklist: Checklist) -> None:
    api.respond_json(out(numbers=[num("budget_usd", 5000, "Our budget is $5,000.")]))
    report = await suggester(api).suggest(NOTHING, checklist)

    assert report_text(report) == (
        "No suggestions from the pasted description: the AI helper's quote could not be found in your text, and "
        "the built-in reader found nothing it could quote either.")
