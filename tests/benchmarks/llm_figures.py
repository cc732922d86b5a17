"""Prompt tokens for a 1,000-word description and the estimated cost of one suggestion.

One call through the real path (``make_suggester(SuggestConfig(...))`` → ``LLMSuggester`` →
langchain ``ChatOpenAI`` structured output → HTTP) against the OpenAI stand-in; the tokens are counted
from the request the stand-in actually received. tiktoken cannot download its encodings here, so the
counts are estimates, computed two ways and labelled as such:

* ``chars/4``: characters of the message contents plus the JSON of the structured-output schema
  (``response_format``, which OpenAI also bills as prompt tokens), divided by 4, plus 3 tokens per
  message and 3 for the reply priming (OpenAI's documented rule of thumb for English text);
* ``split``: a word/punctuation split (``\\w+|[^\\w\\s]``), which roughly tracks BPE counts on English
  prose and undercounts JSON and rare words — a lower-side cross-check.

The price comes from ``SuggestConfig``'s defaults (the configured model and its per-1M-token prices). The
completion size is not measured (the stand-in answers what it is told): the planned answer is a full
extraction — every fact and qualitative question with a quote from the description — and its tokens are
estimated with chars/4 as well.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scoring.checklist import Registry
from scoring.suggest import SuggestConfig, make_suggester
from scoring.suggest.facts import NUMBER_MEANING, QUALITATIVE, STATUS_MEANING
from tests.standins.openai_api import OpenAIStandin

BRIEFS = Path(__file__).resolve().parents[1] / "data" / "briefs"
WORDS = 1_000
_SPLIT = re.compile(r"\w+|[^\w\s]")


def description(words: int = WORDS) -> str:
    """The project briefs in tests/data/briefs, one after another (lines kept), cut at exactly ``words`` words."""
    lines: list[str] = []
    count = 0
    for path in sorted(BRIEFS.glob("example*.md")) + sorted(BRIEFS.glob("variant*.md")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line_words = line.split()
            if count + len(line_words) >= words:
                lines.append(" ".join(line_words[: words - count]).rstrip(".,;:") + ".")
                return "\n".join(lines)
            lines.append(line)
            count += len(line_words)
    raise RuntimeError(f"the briefs have fewer than {words} words")


def planned_answer(text: str) -> dict[str, Any]:
    """A full extraction: one mention per fact and question, each quoting a sentence of the description."""
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if 20 <= len(s.strip()) <= 300]
    quote = iter(sentences * 4)
    return {
        "numbers": [{"fact": f, "value": 1.0, "upper": None, "evidence": next(quote)} for f in NUMBER_MEANING],
        "statements": [{"fact": f, "value": "yes", "note": "stated in the brief", "evidence": next(quote)}
                       for f in STATUS_MEANING],
        "answers": [{"question": q, "answer": "yes", "reason": "The description says so.", "evidence": next(quote)}
                    for q in QUALITATIVE],
    }


def content_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


@dataclass(frozen=True)
class LLMFigures:
    words: int
    model: str
    price_in: float
    price_out: float
    prompt_chars4: int
    prompt_split: int
    schema_chars: int
    message_chars: int
    completion_chars4: int
    standin_prompt_tokens: int  # what the stand-in reported back (chars/4 of the messages JSON, no schema)
    engine: str
    requests: int

    @property
    def cost(self) -> float:
        return self.prompt_chars4 / 1e6 * self.price_in + self.completion_chars4 / 1e6 * self.price_out


async def measure() -> LLMFigures:
    text = description()
    defaults = SuggestConfig()
    checklist = Registry().get()
    with OpenAIStandin(model=defaults.model) as api:
        answer = planned_answer(text)
        api.respond_json(answer)
        suggester = make_suggester(SuggestConfig(api_key="bench-key", base_url=api.base_url, max_retries=0))
        report = await suggester.suggest(text, checklist)
        bodies = api.requests
    if len(bodies) != 1 or not isinstance(bodies[0], dict):
        raise RuntimeError(f"expected one chat completion request, got {len(bodies)}")
    body = bodies[0]
    messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
    message_text = "".join(content_text(m) for m in messages)
    schema = json.dumps(body.get("response_format", {}), separators=(",", ":"))
    overhead = 3 * len(messages) + 3
    completion = json.dumps(answer)
    return LLMFigures(
        words=len(text.split()), model=str(body.get("model", defaults.model)), price_in=defaults.price_input_per_1m,
        price_out=defaults.price_output_per_1m, prompt_chars4=(len(message_text) + len(schema)) // 4 + overhead,
        prompt_split=len(_SPLIT.findall(message_text)) + len(_SPLIT.findall(schema)) + overhead,
        schema_chars=len(schema), message_chars=len(message_text), completion_chars4=len(completion) // 4,
        standin_prompt_tokens=report.usage.prompt_tokens, engine=report.engine, requests=len(bodies))
