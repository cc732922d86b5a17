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
from scoring.suggest.numbers import close, foreign_money, money, states_value


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
    """``whole``: every quote an extraction gives must be one stretch of the description (a model's quotes); the
    quotes the rules join with "…" are checked part by part."""

    def __init__(self, description: str, checklist: Checklist, profile: Profile, *, whole: bool = False) -> None:
        self.description = description
        self.checklist = checklist
        self.profile = profile
        self.whole = whole
        self.injected = instruction_spans(description)
        self.dropped: list[Dropped] = []
        self.unconverted: list[CautionMention] = []  # budgets in a currency there is no rate for

    def key(self, question_id: str) -> str:
        return self.checklist.question(question_id).key

    def primary(self, fact: str) -> str | None:
        questions = self.profile.fact_questions.get(fact)
        return self.key(questions[0]) if questions else None

    def keep(self, question: str | None, evidence: str, extra: str | None = None, *, whole: bool = False) -> bool:
        """Whether the evidence holds up; records a drop when it does not. ``whole``: it must be one stretch of the
        description (an extraction's own quote, when :attr:`whole`)."""
        if question is None:
            return False
        why = quote_problem(evidence, self.description, self.injected, whole=whole and self.whole) or extra
        if why is not None:
            self.dropped.append(Dropped(question=question, evidence=evidence, why=why))
            return False
        return True

    def number_ok(self, m: NumberMention) -> bool:
        m = normalise_number(m)
        kind = NUMBER_KIND[m.fact]
        question = self.primary(m.fact)
        if kind == "money" and question is not None and self._unconverted(m, question):
            return False
        states = states_value(m.evidence, m.value, kind)
        extra = None if states else f"the quote does not state the {kind} {m.value:g}"
        return self.keep(question, m.evidence, extra, whole=True)

    def _unconverted(self, m: NumberMention, question: str) -> bool:
        """An amount in a currency ftcheck has no rate for ("¥500,000"): never read as dollars. When the quote holds
        up, its question gets a caution to check the amount against the checklist's range, and no answer."""
        foreign = [f for f in foreign_money(m.evidence) if close(f.value, m.value, 0.01)]
        known = any(close(x.value, m.value, 0.01) or close(x.usd, m.value, 0.01) for x in money(m.evidence))
        if not foreign or known:
            return False
        if quote_problem(m.evidence, self.description, self.injected, whole=self.whole) is None:
            note = (f"mentions {foreign[0].shown}, in a currency ftcheck cannot convert to dollars — check it against "
                    f"the ${rules.MIN_BUDGET:,.0f}–${rules.MAX_BUDGET:,.0f} range")
            self.unconverted.append(CautionMention(question=m.fact, note=note, evidence=m.evidence))
        else:
            self.keep(question, m.evidence, whole=True)  # recorded as dropped, with why
        return True

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

    def cautions(self, ruled: list[CautionMention], said: list[CautionMention], taken: set[str]) -> list[Caution]:
        """Ambiguous evidence for questions that got neither a suggestion nor a conflict, one per question: first what
        the rules could not decide (``ruled``, quotes they may have joined), then what the extraction said."""
        out: dict[str, Caution] = {}
        ids = {q.id for q in self.checklist.questions}
        for c in ruled + said:
            whole = not any(c is r for r in ruled)
            question = self.primary(c.question) or (
                self.key(c.question) if c.question in self.profile.qualitative or c.question in ids else None
            )
            if (question is None or question in taken or question in out
                    or not self.keep(question, c.evidence, whole=whole)):
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
    # a model's quotes must be copied whole; the offline reader's are whole sentences anyway
    a = _Assembler(description, checklist, profile, whole=origin == "model")
    numbers = sorted((m for m in extraction.numbers if a.number_ok(m)), key=lambda m: a.position(m.evidence))
    statuses = [s for s in extraction.statuses if a.keep(a.primary(s.fact), s.evidence, whole=True)]
    answers = [
        x
        for x in extraction.answers
        if x.question in profile.qualitative and a.keep(a.key(x.question), x.evidence, whole=True)
    ]

    facts, fact_conflicts = merge(numbers, statuses)
    conflicts = [a.conflict(c) for c in fact_conflicts]
    verdicts = profile.derive(facts, origin) + a.direct_answers(answers, origin, conflicts)

    conflicted = {c.question for c in conflicts}
    suggestions = _grounded(a, checklist, verdicts, conflicted)
    cautions = a.cautions(a.undecided(verdicts), a.unconverted + extraction.cautions, set(suggestions) | conflicted)
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


def _label(checklist: Checklist, value: float) -> str:
    try:
        return checklist.option(value).label
    except KeyError:
        return f"{value:g}"


def combine(model: SuggestionReport, reader: SuggestionReport, checklist: Checklist) -> SuggestionReport:
    """The model's report with the offline reader's where the model gave no answer: a question the model left
    unanswered ("not_mentioned", "unclear", or an answer the checks dropped) takes the reader's suggestion (or its
    conflict, or its caution when the model has none either); where both answer and disagree, the question gets a
    conflict with both quotes, as two answers of the model that disagree do. Each suggestion keeps the ``origin`` it
    was made with ("model": the model's direct reading; "phrase": the reader's key phrase; "rule": a threshold applied
    to either's numbers); the report stays the model's ("llm"), and the drops counted are the model's."""
    ms, rs = ({s.question: s for s in r.suggestions} for r in (model, reader))
    mc, rc = ({c.question: c for c in r.conflicts} for r in (model, reader))
    mw, rw = ({w.question: w for w in r.cautions} for r in (model, reader))
    suggestions: list[Suggestion] = []
    conflicts: list[Conflict] = []
    cautions: list[Caution] = []
    for q in checklist.questions:
        k = q.key
        mine, theirs = ms.get(k), rs.get(k)
        if k in mc:
            conflicts.append(mc[k])
        elif mine is not None and theirs is not None and mine.answer != theirs.answer:
            note = (f"The AI helper reads {_label(checklist, mine.answer)} and the built-in reader "
                    f"{_label(checklist, theirs.answer)}; ask the team.")
            quotes = list(dict.fromkeys([mine.evidence, theirs.evidence]))
            conflicts.append(Conflict(question=k, note=note, quotes=quotes))
        elif k in rc:
            conflicts.append(rc[k])  # the description disagrees with itself: no answer picked, whatever the model read
        elif mine is not None:
            suggestions.append(mine)
        elif theirs is not None:
            suggestions.append(theirs)
        elif k in mw or k in rw:
            cautions.append(mw.get(k) or rw[k])
    shown = {s.question for s in suggestions} | {c.question for c in conflicts} | {w.question for w in cautions}
    return model.model_copy(update={
        "suggestions": suggestions,
        "conflicts": conflicts,
        "cautions": cautions,
        "no_evidence": [q.number for q in checklist.questions if q.key not in shown],
        "facts": {**reader.facts, **model.facts},
    })
