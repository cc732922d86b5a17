"""(checklist, answers) -> Scorecard: totals, sections, band, provisional range, tree, gaps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from scoring.checklist import Advice, Checklist, Question, exact
from scoring.decision_tree import TreeResult, walk


class BandInfo(BaseModel):
    id: str
    name: str
    recommendation: str
    go: bool


class SectionScore(BaseModel):
    id: str
    title: str
    score: float
    max: float
    unanswered: int


class Gap(BaseModel):
    question: str  # "q4"
    id: str
    name: str  # "q4 (labeler agreement)": the key and the checklist's short name for it
    text: str
    answer: str  # option label, e.g. "Partly" ("0.5 (no longer an option)" after the checklist's options changed)
    value: float
    next_step: str  # the question's if_not for a No; for a partial answer its if_partly (see Question.next_step)
    priority: int | None = None  # the checklist's "fix this first" order (1 first); None = by section weakness


class SectionGaps(BaseModel):
    section: str
    title: str
    score: float
    max: float
    gaps: list[Gap]


Tone = Literal["go", "stop", "warn", "pending"]  # how a decision reads: go ahead, stop, a caveat, not decided


# two totals scored with versions of a checklist that ask other questions or give other options (the totals fingerprint
# differs, Scorecard.comparable): said wherever a change since last time would be
CHANGED_SINCE_LAST = "the checklist has changed since, so the totals do not compare"


class Decided(BaseModel):
    """The result a completed evaluation was decided with, kept with it (``Evaluation.decided``): once its checklist
    changes (``fingerprint`` differs from ``Checklist.fingerprint``), the evaluation keeps this result instead of
    being scored anew against questions and options it was never asked. Small on purpose: one per completed
    evaluation in Redis. The decision words are :class:`scoring.verdict.Verdict`'s (``verdict.decided_of``)."""

    # kept as stored: a newer version's fields survive an older replica's rewrite of the evaluation
    model_config = ConfigDict(extra="allow")

    fingerprint: str  # Checklist.fingerprint of the checklist it was scored with
    # Checklist.totals_fingerprint of it; "" when kept before results recorded one (totals_of tells it then)
    totals: str = ""
    total: float
    max: float
    band: str  # band id
    band_name: str
    go: bool
    tone: Tone
    decision: str  # "Not yet", "Strong go", …
    reason: str
    band_alone: str | None = None


class Scorecard(BaseModel):
    checklist: str
    title: str
    total: float
    max: float
    band: BandInfo
    provisional: bool
    unanswered: list[str]  # "q3", …
    range: tuple[float, float]  # lowest and highest total still reachable
    band_range: tuple[str, str]  # band ids at the ends of the range
    band_range_names: tuple[str, str]  # the same bands by name
    sections: list[SectionScore]
    decision_tree: TreeResult | None
    disagreement: str | None  # set when the tree's verdict and the band point different ways
    gaps: list[SectionGaps]
    rule: str
    # the result recorded when the evaluation was completed, shown because its checklist has changed since (see
    # as_decided): total, max and band are that result's; sections and gaps read the answers with today's checklist
    decided: Decided | None = None
    # Checklist.fingerprint of the checklist the total was scored with (not rendered), and its totals_fingerprint:
    # what comparable compares ("" when not known: a kept result whose answers do not tell it, see totals_of)
    fingerprint: str = Field(default="", exclude=True)
    totals: str = Field(default="", exclude=True)
    # answered questions ("q3") whose answer is worth a value no option of the checklist has any more
    retired: list[str] = Field(default_factory=list, exclude=True)
    # the checklist's own words around a result, for the renderers (scoring.verdict says when each is shown;
    # render_json writes them itself, so they are left out of the dump)
    description: str = Field(default="", exclude=True)
    revisit: str | None = Field(default=None, exclude=True)  # said under a not-yet decision (Verdict.revisit)
    triggers: list[str] = Field(default_factory=list, exclude=True)  # Checklist.triggers (Verdict.sooner)
    advice: list[Advice] = Field(default_factory=list, exclude=True)  # "your situation → what to do" rows

    def comparable(self, other: Scorecard | Decided) -> bool:
        """Whether this total and ``other``'s (a scorecard, or a result as it was decided) add up the same questions
        worth the same options, so their difference means something: not when the checklist changed in between by
        questions added or dropped or other options. New bands or decision rules change what a total means, not
        the total, so the totals still compare. When either side's totals fingerprint is not known (a kept result
        whose answers do not tell it), only the same checklist as it was then compares."""
        if isinstance(other, Scorecard) and other.checklist != self.checklist:
            return False
        if self.totals and other.totals:
            return self.totals == other.totals
        return self.fingerprint == other.fingerprint

    @property
    def total_text(self) -> str:
        return f"{fmt_score(self.total)}/{fmt_score(self.max)}"

    @property
    def headline(self) -> str:
        if not self.provisional:
            return f"{self.total_text} — {self.band.name}"
        low, high = self.range
        return (f"provisional: {self.total_text} with {len(self.unanswered)} unanswered, "
                f"range {fmt_score(low)}–{fmt_score(high)}")


def as_decided(card: Scorecard, decided: Decided, checklist: Checklist) -> Scorecard:
    """``card`` (the answers scored with today's ``checklist``) showing the result it was decided with instead.

    The decision tree is left out (the decision already folds in the tree as it was then); the band's advice is
    today's only when today's checklist still has that band under the same name.
    """
    same = next((b for b in checklist.bands if b.id == decided.band and b.name == decided.band_name), None)
    band = BandInfo(id=decided.band, name=decided.band_name, go=decided.go,
                    recommendation=same.recommendation if same is not None else "")
    return card.model_copy(update={
        "total": decided.total, "max": decided.max, "band": band, "provisional": False, "unanswered": [],
        "range": (decided.total, decided.total), "band_range": (band.id, band.id),
        "band_range_names": (band.name, band.name), "decision_tree": None, "disagreement": None,
        "decided": decided, "fingerprint": decided.fingerprint, "totals": totals_of(decided, card)})


def totals_of(decided: Decided, card: Scorecard) -> str:
    """The totals fingerprint of a kept result (``Decided.totals``); ``card``: the answers it was decided on, scored
    with today's checklist.

    A result kept before results recorded one has only the full fingerprint. Its answers tell: when every question
    of today's checklist has one, each worth one of today's options, and they add up to the total and maximum the
    result was decided with, today's checklist adds its total up as it was added up then (a change of bands or of
    the decision tree changes the fingerprint, not the total), so it has today's totals fingerprint. Else "": its
    total then compares only with one scored with the checklist as it was then (``Scorecard.comparable``).
    """
    if decided.totals:
        return decided.totals
    if decided.fingerprint == card.fingerprint:
        return card.totals
    same = (not card.unanswered and not card.retired and card.total == exact(decided.total)
            and card.max == exact(decided.max))
    return card.totals if same else ""


def with_totals(decided: Decided, checklist: Checklist, answers: Mapping[str, float]) -> Decided:
    """``decided`` with its totals fingerprint, told by ``answers`` (those it was decided on) when it has none
    (:func:`totals_of`)."""
    if decided.totals:
        return decided
    return decided.model_copy(update={"totals": totals_of(decided, score(checklist, answers))})


def not_asked(answers: Mapping[str, float], checklist: Checklist) -> dict[str, float]:
    """The answers to questions ``checklist`` no longer asks (the team dropped them since), by id."""
    asked = {q.id for q in checklist.questions}
    return {qid: value for qid, value in answers.items() if qid not in asked}


class DroppedChange(BaseModel):
    """What part of a total's change between two results lies in questions the checklist no longer asks. Results
    decided before the team dropped a question count it in their totals (``Scorecard.decided``) while their sections
    read today's checklist: ``total`` is the change the sections leave out, ``moves`` the dropped questions' answers
    that make it up (empty when they do not add up to it: an answer kept that its result's total did not count)."""

    total: float
    moves: dict[str, float]


def dropped_change(now: Scorecard, now_gone: Mapping[str, float], then: Scorecard,
                   then_gone: Mapping[str, float]) -> DroppedChange | None:
    """The change between ``then`` and ``now`` (comparable results) the sections do not show, or None: ``*_gone``
    are each result's answers that :func:`not_asked` left out."""
    old = {s.id: s.score for s in then.sections}
    rest = exact(now.total - then.total - sum(s.score - old.get(s.id, 0.0) for s in now.sections))
    if not rest:
        return None
    moves: dict[str, float] = {}
    if now.decided is not None and then.decided is not None:
        ids = dict.fromkeys([*then_gone, *now_gone])
        moves = {q: d for q in ids if (d := exact(now_gone.get(q, 0.0) - then_gone.get(q, 0.0)))}
    return DroppedChange(total=rest, moves=moves if exact(sum(moves.values())) == rest else {})


def fmt_score(value: float) -> str:
    """18.5 -> '18.5', 20.0 -> '20'."""
    return f"{value:g}"


class AnswersError(ValueError):
    """Answers that do not fit the checklist (unknown question, value not allowed)."""


def normalize_answers(checklist: Checklist, raw: Mapping[str, float | None]) -> dict[str, float]:
    """Map ``{"q1": 1, "labeled_examples": 0.5, "q3": None}`` to ``{stable_id: value}``; None = unanswered."""
    allowed = {o.value for o in checklist.options}
    out: dict[str, float] = {}
    for ref, value in raw.items():
        try:
            question = checklist.question(ref)
        except KeyError as exc:
            raise AnswersError(str(exc.args[0])) from None
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or float(value) not in allowed:
            shown = ", ".join(f"{v:g}" for v in sorted(allowed, reverse=True))
            raise AnswersError(f"{question.key}: {value!r} is not an allowed answer (use {shown} or null)")
        if question.id in out:
            raise AnswersError(f"{question.key} is answered twice (by number and by id)")
        out[question.id] = float(value)
    return out


def score(checklist: Checklist, answers: Mapping[str, float]) -> Scorecard:
    """Build the scorecard; ``answers`` maps stable ids to values (see :func:`normalize_answers`).

    Totals are summed exactly (:func:`scoring.checklist.exact`) before bands, ranges and display see them.
    """
    total = points(checklist.questions, answers)
    unanswered = [q for q in checklist.questions if q.id not in answers]
    high = exact(total + len(unanswered))
    sections = [_section_score(checklist, s.id, s.title, answers) for s in checklist.sections]
    band = checklist.band_for(total)
    tree = walk(checklist, answers)
    return Scorecard(
        checklist=checklist.id,
        title=checklist.title,
        total=total,
        max=checklist.max_score,
        band=BandInfo(id=band.id, name=band.name, recommendation=band.recommendation, go=band.go),
        provisional=bool(unanswered),
        unanswered=[q.key for q in unanswered],
        range=(total, high),
        band_range=(band.id, checklist.band_for(high).id),
        band_range_names=(band.name, checklist.band_for(high).name),
        sections=sections,
        decision_tree=tree,
        disagreement=_disagreement(tree, band.go, band.name, bool(unanswered)),
        gaps=_gaps(checklist, answers, sections),
        rule=checklist.rule,
        fingerprint=checklist.fingerprint,
        totals=checklist.totals_fingerprint,
        retired=[q.key for q in checklist.questions if q.id in answers and not checklist.allows(answers[q.id])],
        description=checklist.description,
        revisit=checklist.revisit,
        triggers=list(checklist.triggers),
        advice=list(checklist.advice),
    )


def points(questions: Sequence[Question], answers: Mapping[str, float]) -> float:
    """The points ``questions`` scored, summed exactly: 0.7 + 0.2 + 0.1 is 1, not 0.9999999999999999."""
    return exact(sum(answers.get(q.id, 0.0) for q in questions))


def _section_score(checklist: Checklist, sid: str, title: str, answers: Mapping[str, float]) -> SectionScore:
    questions = checklist.questions_in(sid)
    return SectionScore(
        id=sid,
        title=title,
        score=points(questions, answers),
        max=float(len(questions)),
        unanswered=sum(1 for q in questions if q.id not in answers),
    )


def _disagreement(tree: TreeResult | None, band_go: bool, band_name: str, provisional: bool) -> str | None:
    if tree is None or tree.go is None or tree.go == band_go:
        return None
    step = tree.path[-1]
    prefix = "provisional: " if provisional else ""
    if band_go and tree.short_of is not None:
        return (f"{prefix}Every step of the decision tree passes, but it goes ahead only at a score of "
                f"{fmt_score(tree.short_of)} or more, though the score alone would be {band_name}.")
    if band_go:
        return (f"{prefix}The decision tree stops at \u201c{step.label}\u201d ({step.note}), though the score "
                f"alone would be {band_name}.")
    return f"{prefix}The score is only {band_name}, though every step of the decision tree passes."


def _gaps(checklist: Checklist, answers: Mapping[str, float], sections: list[SectionScore]) -> list[SectionGaps]:
    out: list[SectionGaps] = []
    for section in sections:
        gaps = [
            Gap(question=q.key, id=q.id, name=q.name, text=q.text, answer=checklist.option(answers[q.id]).label,
                value=answers[q.id], next_step=q.next_step(answers[q.id]), priority=q.priority)
            for q in checklist.questions_in(section.id)
            if q.id in answers and answers[q.id] < 1
        ]
        if gaps:
            gaps.sort(key=_priority)  # stable: gaps without a priority keep the checklist's order
            out.append(SectionGaps(section=section.id, title=section.title, score=section.score,
                                   max=section.max, gaps=gaps))
    # the section holding the checklist's first priority first, then the weakest section: lowest share of its
    # answered points; ties keep the checklist's order
    share = {s.id: s.score / (s.max - s.unanswered) if s.max > s.unanswered else 1.0 for s in sections}
    out.sort(key=lambda g: (_priority(g.gaps[0]), share[g.section]))
    return out


def _priority(gap: Gap) -> float:
    return float("inf") if gap.priority is None else gap.priority
