"""From extracted mentions to a report: verify every quote, merge facts, apply rules, list gaps.

Both engines end here, so the grounding checks are the same whichever engine extracted the facts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from scoring.checklist import Checklist
from scoring.suggest import rules
from scoring.suggest.evidence import display_quote, instruction_spans, locate, quote_problem
from scoring.suggest.facts import (
    DIRECT,
    LEVEL_VALUE,
    NUMBER_KIND,
    AnswerMention,
    CautionMention,
    FactConflict,
    NumberMention,
    ProjectFacts,
    StatusMention,
    merge,
    normalise_number,
)
from scoring.suggest.models import Caution, Conflict, Dropped, Engine, Origin, Suggestion, SuggestionReport, Usage
from scoring.suggest.numbers import states_value


@dataclass
class Extraction:
    numbers: list[NumberMention] = field(default_factory=list)
    statuses: list[StatusMention] = field(default_factory=list)
    answers: list[AnswerMention] = field(default_factory=list)
    cautions: list[CautionMention] = field(default_factory=list)


@dataclass(frozen=True)
class Profile:
    """How facts become answers for one checklist."""

    name: str
    derive: Callable[[ProjectFacts, Origin], list[rules.Verdict]]
    fact_questions: Mapping[str, tuple[str, ...]]  # fact -> question ids it feeds, the primary one first
    qualitative: frozenset[str]

    @property
    def question_ids(self) -> frozenset[str]:
        ids = {q for qs in self.fact_questions.values() for q in qs}
        return frozenset(ids | self.qualitative)


FINE_TUNING = Profile(
    name="fine-tuning-readiness",
    derive=rules.fine_tuning,
    fact_questions={
        "labeled_examples": ("labeled_examples", "held_out_test_set"),
        "planned_examples": ("labeled_examples",),
        "dataset_size": ("held_out_test_set",),
        "agreement_pct": ("labeler_agreement",),
        "agreement_tested": ("labeler_agreement",),
        "prompting_accuracy": ("prompting_ceiling", "accuracy_gap"),
        "prompting_plateau": ("prompting_ceiling",),
        "target_accuracy": ("accuracy_gap",),
        "accuracy_measurable": ("accuracy_gap",),
        "test_set_size": ("held_out_test_set",),
        "test_share": ("held_out_test_set",),
        "held_out_test_set": ("held_out_test_set",),
        "synthetic_share": ("representative_data",),
        "real_data": ("representative_data",),
        "budget_usd": ("budget",),
        "weeks_available": ("timeline",),
        "weeks_needed": ("timeline",),
        "timeline_pressure": ("timeline",),
        "ml_engineer": ("ml_engineer",),
        "monitoring": ("monitoring",),
        "stakeholders_briefed": ("stakeholders_briefed",),
        "rollback_plan": ("rollback_plan",),
        "retraining_plan": ("maintenance_plan",),
    },
    qualitative=frozenset(DIRECT),
)

DATASET = Profile(
    name="dataset-readiness",
    derive=rules.dataset_readiness,
    fact_questions={
        "synthetic_share": ("production_data",),
        "real_data": ("production_data",),
        "test_set_size": ("locked_test_set",),
        "test_share": ("locked_test_set",),
        "held_out_test_set": ("locked_test_set",),
        "labeled_examples": ("locked_test_set",),
        "dataset_size": ("locked_test_set",),
        "expert_review": ("expert_review",),
        "agreement_pct": ("expert_review",),
    },
    qualitative=frozenset(),
)

PROFILES = (FINE_TUNING, DATASET)


def profile_for(checklist: Checklist) -> Profile | None:
    ids = {q.id for q in checklist.questions}
    for profile in PROFILES:
        if checklist.id == profile.name and profile.question_ids <= ids:
            return profile
    for profile in PROFILES:
        if profile.question_ids <= ids:
            return profile
    return None


def empty_report(checklist: Checklist, engine: Engine, notice: str | None, usage: Usage) -> SuggestionReport:
    return SuggestionReport(
        checklist=checklist.id,
        engine=engine,
        notice=notice,
        no_evidence=[q.number for q in checklist.questions],
        usage=usage,
    )


class _Assembler:
    def __init__(self, description: str, checklist: Checklist, profile: Profile) -> None:
        self.description = description
        self.checklist = checklist
        self.profile = profile
        self.injected = instruction_spans(description)
        self.dropped: list[Dropped] = []

    def key(self, question_id: str) -> str:
        return self.checklist.question(question_id).key

    def primary(self, fact: str) -> str | None:
        questions = self.profile.fact_questions.get(fact)
        return self.key(questions[0]) if questions else None

    def keep(self, question: str | None, evidence: str, extra: str | None = None) -> bool:
        """Whether the evidence holds up; records a drop when it does not."""
        if question is None:
            return False
        why = quote_problem(evidence, self.description, self.injected) or extra
        if why is not None:
            self.dropped.append(Dropped(question=question, evidence=evidence, why=why))
            return False
        return True

    def number_ok(self, m: NumberMention) -> bool:
        m = normalise_number(m)
        kind = NUMBER_KIND[m.fact]
        states = states_value(m.evidence, m.value, kind)
        extra = None if states else f"the quote does not state the {kind} {m.value:g}"
        return self.keep(self.primary(m.fact), m.evidence, extra)

    def conflict(self, c: FactConflict) -> Conflict:
        question = self.primary(c.fact)
        assert question is not None  # only facts that feed a question get past keep()
        label = c.fact.replace("_", " ")
        return Conflict(
            question=question,
            quotes=c.quotes,
            note=f"The description gives different values for {label} ({' vs '.join(c.values)}); "
            "confirm which is right.",
        )

    def direct_answers(
        self, answers: list[AnswerMention], origin: Origin, conflicts: list[Conflict]
    ) -> list[rules.Verdict]:
        """Qualitative answers, one per question; contradicting answers become a conflict instead."""
        by_question: dict[str, list[AnswerMention]] = {}
        for x in answers:
            by_question.setdefault(x.question, []).append(x)
        out: list[rules.Verdict] = []
        for question, said in by_question.items():
            levels = list(dict.fromkeys(x.answer for x in said))
            if len(levels) > 1:
                quotes = [next(x.evidence for x in said if x.answer == lv) for lv in levels]
                note = f"The evidence points both ways ({' vs '.join(levels)}); ask the team."
                conflicts.append(Conflict(question=self.key(question), quotes=quotes, note=note))
                continue
            x = said[0]
            out.append(rules.Verdict(question, LEVEL_VALUE[x.answer], x.reason, x.evidence, origin))
        return out

    def cautions(self, said: list[CautionMention], taken: set[str]) -> list[Caution]:
        """Ambiguous evidence for questions that got neither a suggestion nor a conflict, one per question."""
        out: dict[str, Caution] = {}
        ids = {q.id for q in self.checklist.questions}
        for c in said:
            question = self.primary(c.question) or (
                self.key(c.question) if c.question in self.profile.qualitative or c.question in ids else None
            )
            if question is None or question in taken or question in out or not self.keep(question, c.evidence):
                continue
            out[question] = Caution(question=question, note=c.note, quote=display_quote(c.evidence))
        return list(out.values())

    def undecided(self, verdicts: list[rules.Verdict]) -> list[CautionMention]:
        """Verdicts a rule could not answer (e.g. one prompting result for a ceiling): their caution, to check."""
        return [
            CautionMention(question=v.question, note=v.caution, evidence=v.evidence)
            for v in verdicts
            if v.answer is None and v.caution
        ]

    def position(self, evidence: str) -> int:
        found = locate(evidence, self.description)
        return found.start if found else len(self.description)


def _grounded(a: _Assembler, checklist: Checklist, verdicts: list[rules.Verdict], conflicted: set[str]
              ) -> dict[str, Suggestion]:
    """One suggestion per question: the first verdict whose answer the checklist allows and whose quote holds."""
    allowed = {o.value for o in checklist.options}
    suggestions: dict[str, Suggestion] = {}
    for v in verdicts:
        key = a.key(v.question)
        if key in conflicted or key in suggestions or v.answer not in allowed or not a.keep(key, v.evidence):
            continue
        suggestions[key] = Suggestion(question=key, answer=v.answer, reason=v.reason,
                                      evidence=display_quote(v.evidence), origin=v.origin, caution=v.caution)
    return suggestions


def assemble(
    description: str,
    checklist: Checklist,
    extraction: Extraction,
    *,
    engine: Engine,
    origin: Origin,
    notice: str | None,
    usage: Usage,
) -> SuggestionReport:
    """Verify, merge and score ``extraction`` against ``description`` for ``checklist``."""
    profile = profile_for(checklist)
    if profile is None:
        note = notice or (
            f"No automatic suggestions for the {checklist.id!r} checklist; every question needs "
            "the team's answer."
        )
        return empty_report(checklist, engine, note, usage)
    a = _Assembler(description, checklist, profile)
    numbers = sorted((m for m in extraction.numbers if a.number_ok(m)), key=lambda m: a.position(m.evidence))
    statuses = [s for s in extraction.statuses if a.keep(a.primary(s.fact), s.evidence)]
    answers = [
        x
        for x in extraction.answers
        if x.question in profile.qualitative and a.keep(a.key(x.question), x.evidence)
    ]

    facts, fact_conflicts = merge(numbers, statuses)
    conflicts = [a.conflict(c) for c in fact_conflicts]
    verdicts = profile.derive(facts, origin) + a.direct_answers(answers, origin, conflicts)

    conflicted = {c.question for c in conflicts}
    suggestions = _grounded(a, checklist, verdicts, conflicted)
    cautions = a.cautions(a.undecided(verdicts) + extraction.cautions, set(suggestions) | conflicted)
    ordered = sorted(suggestions.values(), key=lambda s: checklist.question(s.question).number)
    return SuggestionReport(
        checklist=checklist.id,
        engine=engine,
        notice=notice,
        suggestions=ordered,
        no_evidence=[
            q.number
            for q in checklist.questions
            if q.key not in suggestions and q.key not in conflicted and all(c.question != q.key for c in cautions)
        ],
        dropped=a.dropped,
        conflicts=conflicts,
        cautions=cautions,
        facts=facts.dump(),
        usage=usage,
    )
