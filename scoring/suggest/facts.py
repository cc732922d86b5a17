"""Project facts: what a description states, each value with the verbatim quote it rests on.

Both engines report *mentions* (one per statement found). :func:`merge` folds them into
:class:`ProjectFacts`; two mentions of the same fact with different values are a conflict and
leave the fact unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from pydantic import BaseModel, Field

from scoring.suggest.numbers import close, money, numbers

Level = Literal["yes", "partly", "no"]
LEVEL_VALUE: dict[str, float] = {"yes": 1.0, "partly": 0.5, "no": 0.0}

NumberFactName = Literal[
    "labeled_examples",
    "planned_examples",
    "dataset_size",
    "agreement_pct",
    "prompting_accuracy",
    "target_accuracy",
    "test_set_size",
    "test_share",
    "budget_usd",
    "weeks_available",
    "weeks_needed",
    "synthetic_share",
]
StatusFactName = Literal[
    "agreement_tested",
    "prompting_plateau",
    "accuracy_measurable",
    "held_out_test_set",
    "real_data",
    "expert_review",
    "timeline_pressure",
    "ml_engineer",
    "monitoring",
    "rollback_plan",
    "stakeholders_briefed",
    "retraining_plan",
]
QualitativeId = Literal[
    "diverse_examples",
    "task_definition",
    "relabel_commitment",
    "justified_effort",
    "business_impact",
    "iterate_quickly",
    "finetuning_necessary",
]

# Questions the LLM answers directly (each with a quote, or "not_mentioned"): the qualitative ones plus
# four that the offline suggester reads from statements.
DirectId = Literal[
    "diverse_examples",
    "task_definition",
    "relabel_commitment",
    "justified_effort",
    "business_impact",
    "iterate_quickly",
    "finetuning_necessary",
    "representative_data",
    "stakeholders_briefed",
    "rollback_plan",
    "maintenance_plan",
]
DIRECT: tuple[str, ...] = get_args(DirectId)

NUMBER_FACTS: tuple[str, ...] = get_args(NumberFactName)
STATUS_FACTS: tuple[str, ...] = get_args(StatusFactName)
QUALITATIVE: tuple[str, ...] = get_args(QualitativeId)

# How each number is stated in text (used to check that a quote really states the value).
NUMBER_KIND: dict[str, str] = {
    "labeled_examples": "count",
    "planned_examples": "count",
    "dataset_size": "count",
    "agreement_pct": "percent",
    "prompting_accuracy": "percent",
    "target_accuracy": "percent",
    "test_set_size": "count",
    "test_share": "percent",
    "budget_usd": "money",
    "weeks_available": "weeks",
    "weeks_needed": "weeks",
    "synthetic_share": "percent",
}
SERIES: frozenset[str] = frozenset({"prompting_accuracy"})

# What each fact means; shown to the model and documented here once.
NUMBER_MEANING: dict[str, str] = {
    "labeled_examples": "labeled examples the team has now (count)",
    "planned_examples": "additional examples the team has a plan or budget to label (count)",
    "dataset_size": "total size of the dataset including any test split, if stated separately (count)",
    "agreement_pct": "measured agreement between two or more labelers on the same examples (percent)",
    "prompting_accuracy": "one accuracy result of prompting (zero/few-shot, each prompt iteration); "
    "report every result in the order the iterations happened (percent)",
    "target_accuracy": "the accuracy the project needs or aims for (percent)",
    "test_set_size": "size of the held-out test set (count)",
    "test_share": "the held-out test set as a share of the data, when stated as a percentage (percent)",
    "budget_usd": "total budget for the fine-tuning project in US dollars; add up parts stated together",
    "weeks_available": "time the team can allocate for the full cycle, in weeks "
    "(value = low end, upper = high end of a range such as 2-3 weeks)",
    "weeks_needed": "time the team estimates the full cycle needs, in weeks",
    "synthetic_share": "share of the examples that are synthetic / AI-generated (percent)",
}
STATUS_MEANING: dict[str, str] = {
    "agreement_tested": "yes = two people labeled the same examples and compared; partly = only informal "
    "consistency (e.g. no ground truth, but clear patterns); no = one labeler or never tested",
    "prompting_plateau": "yes = prompting results stopped improving (plateau/ceiling); no = still improving "
    "or prompting not tried",
    "accuracy_measurable": "no = the team says accuracy is hard or impossible to measure",
    "held_out_test_set": "yes = a held-out test set exists; no = there is none",
    "real_data": "yes = real production data; partly = real but outdated/skewed, or some synthetic mixed in; "
    "no = synthetic only or mostly synthetic",
    "expert_review": "yes = domain experts reviewed (a sample of) the data before training; "
    "no = review deferred or nobody reviewed it",
    "timeline_pressure": "yes = the team reports an 'ASAP' or too-tight deadline",
    "ml_engineer": "yes = an ML engineer or someone able to run fine-tuning (also part-time); "
    "partly = only an outside consultant; no = nobody",
    "monitoring": "yes = monitoring exists or will be set up; partly = only partial/manual checks; no = none",
    "rollback_plan": "yes = a rollback/fallback plan exists; no = none",
    "stakeholders_briefed": "yes = stakeholders told it is an experiment and expectations are realistic; "
    "partly = told but expectations may be unrealistic; no = not told or unrealistic",
    "retraining_plan": "yes = a plan to retrain/maintain the model; no = no plan",
}


class NumberMention(BaseModel):
    """One number the description states."""

    fact: NumberFactName
    value: float = Field(description="As stated; percent 0-100, weeks for durations.")
    upper: float | None = Field(description="High end of a range, else null.")
    evidence: str = Field(description="Verbatim quote.")


class StatusMention(BaseModel):
    """One yes/partly/no statement the description makes."""

    fact: StatusFactName
    value: Level
    note: str = Field(description="A few words.")
    evidence: str = Field(description="Verbatim quote.")


class AnswerMention(BaseModel):
    """A direct answer to a qualitative question."""

    question: DirectId
    answer: Level
    reason: str = Field(description="One short sentence.")
    evidence: str = Field(description="Verbatim quote from the description that supports the answer.")


class CautionMention(BaseModel):
    """Evidence too ambiguous to pick an answer from (e.g. a key phrase inside a negated clause)."""

    question: str = Field(description="A fact name or a qualitative question id.")
    note: str
    evidence: str


class NumberFact(BaseModel):
    value: float
    evidence: str


class RangeFact(NumberFact):
    upper: float | None = None


class StatusFact(BaseModel):
    value: Level
    evidence: str
    note: str = ""


class ProjectFacts(BaseModel):
    labeled_examples: NumberFact | None = None
    planned_examples: NumberFact | None = None
    dataset_size: NumberFact | None = None
    agreement_pct: NumberFact | None = None
    prompting_accuracy: list[NumberFact] = Field(default_factory=list, description="In iteration order.")
    target_accuracy: NumberFact | None = None
    test_set_size: NumberFact | None = None
    test_share: NumberFact | None = None
    budget_usd: NumberFact | None = None
    weeks_available: RangeFact | None = None
    weeks_needed: RangeFact | None = None
    synthetic_share: NumberFact | None = None
    agreement_tested: StatusFact | None = None
    prompting_plateau: StatusFact | None = None
    accuracy_measurable: StatusFact | None = None
    held_out_test_set: StatusFact | None = None
    real_data: StatusFact | None = None
    expert_review: StatusFact | None = None
    timeline_pressure: StatusFact | None = None
    ml_engineer: StatusFact | None = None
    monitoring: StatusFact | None = None
    rollback_plan: StatusFact | None = None
    stakeholders_briefed: StatusFact | None = None
    retraining_plan: StatusFact | None = None

    def dump(self) -> dict[str, object]:
        """JSON-able facts with their quotes; unknown facts left out."""
        data = self.model_dump(mode="json", exclude_none=True)
        return {k: v for k, v in data.items() if v != []}


@dataclass(frozen=True)
class FactConflict:
    fact: str
    values: list[str]
    quotes: list[str]


def normalise_number(mention: NumberMention) -> NumberMention:
    """Percentages given as fractions (0.82) become 82; money stated in another currency ("£3,900",
    reported as 3900) becomes US dollars at the rates in :mod:`scoring.suggest.numbers`."""
    if NUMBER_KIND[mention.fact] == "money":
        for m in money(mention.evidence):
            if m.currency != "USD" and close(m.value, mention.value) and not close(m.usd, mention.value):
                return mention.model_copy(update={"value": m.usd})
        return mention
    if NUMBER_KIND[mention.fact] == "percent" and 0 < mention.value <= 1 and (mention.upper or 0) <= 1:
        upper = mention.upper * 100 if mention.upper is not None else None
        return mention.model_copy(update={"value": round(mention.value * 100, 2), "upper": upper})
    return mention


def _same(a: NumberMention, b: NumberMention) -> bool:
    if not close(a.value, b.value):
        return False
    if a.upper is None or b.upper is None:
        return a.upper is None and b.upper is None
    return close(a.upper, b.upper)


def _times_stated(m: NumberMention) -> int:
    """How often the quote states the mention's value (as a number, with or without %)."""
    return sum(1 for f in numbers(m.evidence) if close(f.value, m.value))


def _fmt(m: NumberMention) -> str:
    if m.fact == "budget_usd" and m.value == 0:
        return "none"  # "we have no budget"
    text = f"{m.value:,.10g}"
    return f"{text}–{m.upper:,.10g}" if m.upper is not None else text


def merge(
    numbers: Iterable[NumberMention], statuses: Iterable[StatusMention]
) -> tuple[ProjectFacts, list[FactConflict]]:
    """Fold mentions (already verified, in description order) into facts and conflicts."""
    updates: dict[str, object] = {}
    conflicts: list[FactConflict] = []
    by_fact: dict[str, list[NumberMention]] = {}
    for m in numbers:
        by_fact.setdefault(m.fact, []).append(normalise_number(m))
    for fact, mentions in by_fact.items():
        if fact in SERIES:
            # a repeated value is a result in its own right (81 → 83 → 83 is a plateau), so a value is
            # dropped only when it is reported more often than its quote states it
            series: list[NumberMention] = []
            for m in mentions:
                kept = sum(1 for x in series if _same(m, x) and x.evidence == m.evidence)
                if kept < max(1, _times_stated(m)):
                    series.append(m)
            updates[fact] = [NumberFact(value=m.value, evidence=m.evidence) for m in series]
            continue
        distinct: list[NumberMention] = []
        for m in mentions:
            if not any(_same(m, d) for d in distinct):
                distinct.append(m)
        if len(distinct) > 1:
            conflicts.append(FactConflict(fact, [_fmt(d) for d in distinct], [d.evidence for d in distinct]))
            continue
        first = distinct[0]
        if fact in ("weeks_available", "weeks_needed"):
            updates[fact] = RangeFact(value=first.value, upper=first.upper, evidence=first.evidence)
        else:
            updates[fact] = NumberFact(value=first.value, evidence=first.evidence)
    by_status: dict[str, list[StatusMention]] = {}
    for s in statuses:
        by_status.setdefault(s.fact, []).append(s)
    for fact, said in by_status.items():
        values: list[str] = list(dict.fromkeys(s.value for s in said))
        if len(values) > 1:
            quotes = [next(s.evidence for s in said if s.value == v) for v in values]
            conflicts.append(FactConflict(fact, values, quotes))
            continue
        updates[fact] = StatusFact(value=said[0].value, evidence=said[0].evidence, note=said[0].note)
    _no_test_set_but_a_size(updates, conflicts)
    return ProjectFacts.model_validate(updates), conflicts


def _no_test_set_but_a_size(updates: dict[str, object], conflicts: list[FactConflict]) -> None:
    """ "There is no test set" beside a test set's size or share (often another project's): a conflict to confirm,
    not an answer from either."""
    said = updates.get("held_out_test_set")
    sized = [f for f in ("test_set_size", "test_share") if isinstance(updates.get(f), NumberFact)]
    if not isinstance(said, StatusFact) or said.value != "no" or not sized:
        return
    size = updates[sized[0]]
    assert isinstance(size, NumberFact)
    shown = f"{size.value:g}%" if sized[0] == "test_share" else f"{size.value:,.10g}"
    conflicts.append(FactConflict("held_out_test_set", ["none", shown], [said.evidence, size.evidence]))
    for fact in ("held_out_test_set", *sized):
        del updates[fact]
