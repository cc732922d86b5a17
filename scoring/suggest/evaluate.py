"""Measure a suggester on a labelled corpus: precision, recall, unsupported suggestions, unverified quotes.

A corpus is a directory of YAML files, one description each (see ``corpus/README.md``): ``text`` and
``labels`` (q1–q20 → ``[answer, why]``, answer null when the text does not address the question).
A suggestion is *correct* when it equals the label, *wrong* when the label differs, *unsupported* when
the label is null (the text says nothing on that question). Precision counts unsupported suggestions
as not right; recall is correct suggestions over the questions the text does answer.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from enum import StrEnum
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError

from scoring.checklist import Checklist
from scoring.suggest.evidence import quote_in_description
from scoring.suggest.models import SuggestConfig, Suggester, SuggestionReport
from scoring.suggest.offline import OfflineSuggester

Label = tuple[float | None, str]


class CorpusError(ValueError):
    """A corpus directory or file that cannot be read; the message names the file and the fix."""


class CorpusItem(BaseModel):
    name: str
    style: str = "unspecified"
    split: str = "dev"
    text: str
    labels: dict[str, Label]


class ItemScore(BaseModel):
    name: str
    style: str
    split: str
    labelled: int = 0
    suggested: int = 0
    correct: int = 0
    wrong: int = 0
    unsupported: int = 0
    unverified: int = 0
    dropped: int = 0
    cautions: int = 0
    checks: int = 0  # cautions shown with no answer picked
    conflicts: int = 0
    fallback: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    mistakes: list[str] = Field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.correct / self.suggested if self.suggested else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.labelled if self.labelled else None

    @property
    def unsupported_rate(self) -> float | None:
        return self.unsupported / self.suggested if self.suggested else None


class EvalResult(BaseModel):
    engine: str
    items: list[ItemScore]
    pooled: ItemScore

    def as_json(self) -> dict[str, object]:
        def one(s: ItemScore) -> dict[str, object]:
            data = s.model_dump()
            data |= {"precision": s.precision, "recall": s.recall, "unsupported_rate": s.unsupported_rate}
            return data

        return {"engine": self.engine, "items": [one(i) for i in self.items], "pooled": one(self.pooled)}


def default_corpus() -> Path:
    return Path(str(resources.files("scoring.suggest") / "corpus"))


def _item(path: Path) -> CorpusItem:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise CorpusError(f"{path}: expected a mapping with 'text' and 'labels'.")
        return CorpusItem.model_validate({"name": path.stem, **data})
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise CorpusError(
            f"{path}: {first}. Each file needs 'text' and 'labels' (q1: [1, \"why\"], null = not addressed)."
        ) from None


def load_corpus(directory: Path | None = None) -> list[CorpusItem]:
    """Every ``*.yaml`` item in ``directory`` (default: the corpus shipped with ftcheck), by name."""
    folder = directory or default_corpus()
    if not folder.is_dir():
        raise CorpusError(f"{folder}: not a directory. Pass --corpus DIR holding one YAML file per description.")
    items = [_item(p) for p in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))]
    if not items:
        raise CorpusError(f"{folder}: no *.yaml descriptions found.")
    return items


def score_item(item: CorpusItem, report: SuggestionReport, latency_s: float) -> ItemScore:
    """Compare one report with the item's labels."""
    s = ItemScore(
        name=item.name,
        style=item.style,
        split=item.split,
        labelled=sum(1 for value, _ in item.labels.values() if value is not None),
        conflicts=len(report.conflicts),
        checks=len(report.cautions),
        dropped=len(report.dropped),
        fallback=report.notice is not None and report.usage.calls > 0 and report.engine == "offline",
        prompt_tokens=report.usage.prompt_tokens,
        completion_tokens=report.usage.completion_tokens,
        latency_s=latency_s,
    )
    quotes = [q for c in report.conflicts for q in c.quotes] + [c.quote for c in report.cautions]
    for sug in report.suggestions:
        s.suggested += 1
        s.cautions += sug.caution is not None
        quotes.append(sug.evidence)
        want, why = item.labels.get(sug.question, (None, "no label"))
        if want is None:
            s.unsupported += 1
            s.mistakes.append(
                f"{sug.question}: suggested {sug.answer:g}, text does not address it ({why}) «{sug.evidence}»"
            )
        elif want == sug.answer:
            s.correct += 1
        else:
            s.wrong += 1
            s.mistakes.append(f"{sug.question}: suggested {sug.answer:g}, label {want:g} ({why}) «{sug.evidence}»")
    s.unverified = sum(1 for q in quotes if not quote_in_description(q, item.text))
    return s


def pool(items: Iterable[ItemScore], name: str = "pooled") -> ItemScore:
    total = ItemScore(name=name, style="", split="")
    for i in items:
        for field in ("labelled", "suggested", "correct", "wrong", "unsupported", "unverified", "dropped",
                      "cautions", "checks", "conflicts", "prompt_tokens", "completion_tokens"):
            setattr(total, field, getattr(total, field) + getattr(i, field))
        total.fallback = total.fallback or i.fallback
        total.latency_s += i.latency_s
    return total


async def evaluate(
    suggester: Suggester, checklist: Checklist, items: list[CorpusItem], engine: str
) -> EvalResult:
    """Run ``suggester`` on every item, one after the other (latency is per description)."""
    scores = []
    for item in items:
        started = time.perf_counter()
        report = await suggester.suggest(item.text, checklist)
        scores.append(score_item(item, report, time.perf_counter() - started))
    return EvalResult(engine=engine, items=scores, pooled=pool(scores))


def evaluate_now(suggester: Suggester, checklist: Checklist, items: list[CorpusItem], engine: str) -> EvalResult:
    return asyncio.run(evaluate(suggester, checklist, items, engine))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _row(s: ItemScore) -> str:
    return (
        f"{s.name[:34]:<34} {s.split[:7]:<7} {s.labelled:>4} {s.suggested:>4} {s.correct:>4} {s.wrong:>4} "
        f"{s.unsupported:>4} {_pct(s.precision):>5} {_pct(s.recall):>5} {_pct(s.unsupported_rate):>5} "
        f"{s.unverified:>4} {s.dropped:>4} {s.cautions + s.checks:>4} {s.conflicts:>4} {s.prompt_tokens:>6} "
        f"{s.latency_s:>6.2f}"
    )


def make_suggester(config: SuggestConfig) -> Suggester:
    from scoring.suggest import make_suggester as make

    return make(config)


def render_table(result: EvalResult, *, mistakes: bool = False) -> str:
    head = (
        f"{'item':<34} {'split':<7} {'lab':>4} {'sugg':>4} {'ok':>4} {'wrng':>4} {'unsp':>4} {'prec':>5} "
        f"{'rec':>5} {'unsp%':>5} {'unvq':>4} {'drop':>4} {'chk':>4} {'conf':>4} {'tokens':>6} {'sec':>6}"
    )
    lines = [f"engine: {result.engine}", head, "-" * len(head)]
    lines += [_row(i) for i in result.items]
    lines.append("-" * len(head))
    for split in sorted({i.split for i in result.items}):
        lines.append(_row(pool((i for i in result.items if i.split == split), f"pooled {split}")))
    lines.append(_row(result.pooled))
    lines.append(
        "lab = questions the text answers (labelled), sugg = suggestions, ok/wrng = agree/disagree with the "
        "label, unsp = suggested where the text says nothing, unvq = shown quotes not found in the text, "
        "drop = quotes the verifier rejected (never shown), chk = cautions shown (with or without an answer), "
        "conf = conflicts shown instead of a suggestion, tokens = prompt tokens, sec = seconds."
    )
    if mistakes:
        for i in result.items:
            lines += [f"{i.name}: {m}" for m in i.mistakes]
    return "\n".join(lines)


class EvalFormat(StrEnum):
    table = "table"
    json = "json"


class EvalEngine(StrEnum):
    auto = "auto"
    offline = "offline"
    llm = "llm"


def run_evaluation(
    config: SuggestConfig, checklist: Checklist, corpus: Path | None, engine: EvalEngine, fmt: EvalFormat
) -> str:
    """What ``ftcheck eval-suggestions`` prints. ``auto`` uses the LLM when an API key is configured."""
    items = load_corpus(corpus)
    use_llm = engine is EvalEngine.llm or (engine is EvalEngine.auto and bool(config.api_key))
    if use_llm and not config.api_key:
        raise CorpusError("--engine llm needs OPENAI_API_KEY (and OPENAI_BASE_URL for a local server).")
    suggester: Suggester = make_suggester(config) if use_llm else OfflineSuggester()
    name = f"llm ({config.model} at {config.base_url or 'OpenAI'})" if use_llm else "offline"
    result = evaluate_now(suggester, checklist, items, name)
    if fmt is EvalFormat.json:
        return json.dumps(result.as_json(), indent=2)
    return render_table(result, mistakes=True)
