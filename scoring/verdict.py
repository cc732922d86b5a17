"""The one decision a scorecard states first: the decision tree and the score band folded together.

Every renderer (Slack blocks, terminal text, the Markdown decision log, summary and list rows) starts
from :func:`verdict_of`, so the decision is worded once and the same way everywhere.
"""

from __future__ import annotations

import re
from itertools import pairwise

from pydantic import BaseModel

from scoring.checklist import Advice
from scoring.decision_tree import TreeStep
from scoring.scorecard import Decided, Gap, Scorecard, fmt_score
from scoring.scorecard import Tone as Tone  # re-exported: renderers take it from here

# said with a result kept from when it was decided, because the checklist it was scored with has changed since
CHANGED_SINCE = "scored with the checklist as it was then; it has changed since"
SYMBOLS: dict[Tone, str] = {"go": "✅", "stop": "⛔", "warn": "⚠", "pending": "⏳"}
TOP_GAPS = 3


class GapRef(BaseModel):
    """A gap named the way people read it: ``q7 (prompting ceiling)``, the answer and what to do."""

    question: str  # "q7"
    name: str  # "q7 (prompting ceiling)"
    answer: str  # "No"
    text: str
    next_step: str


class Verdict(BaseModel):
    tone: Tone
    decision: str  # "Not yet", "Strong go", "Not decided yet", a band name for checklists without a tree
    reason: str  # "q1 (500+ labeled examples) blocks it" / "20/20, and the decision tree agrees"
    band_alone: str | None  # "the score alone, 12/20, would be Conditional go" when the tree overrules the band
    total_text: str  # "12/20"
    band: str
    advice: str | None  # the band's advice without its own name; None when the band is overruled
    blocking: list[str]  # question keys that stop the decision tree
    next_step: GapRef | None
    top_gaps: list[GapRef]
    gap_count: int
    tree: str | None  # the tree's path and its verdict, one line
    provisional: bool
    unanswered: int
    # the checklist's line on when to look again (Checklist.revisit), under a not-yet decision only
    revisit: str | None = None
    # when to come back before the next re-evaluation is due (Checklist.triggers); front ends show it under a result
    sooner: str | None = None
    # what to do, as the decision has it: the band's advice, or the tree's verdict when it overrules the band
    recommendation: str | None = None

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.tone]

    @property
    def disagrees(self) -> bool:
        return self.band_alone is not None

    def line(self, symbol: str | None = None) -> str:
        """``⚠ Not yet — q1 (…) blocks it; the score alone, 12/20, would be Conditional go``."""
        text = f"{self.symbol if symbol is None else symbol} {self.decision} — {self.reason}"
        return f"{text}; {self.band_alone}" if self.band_alone else text


def verdict_of(card: Scorecard) -> Verdict:
    if card.decided is not None:
        return _kept(card, card.decided)
    refs = ranked_gaps(card)
    blocking = _blocking(card)
    tone, decision, reason, band_alone = _decide(card, blocking)
    advice = None if tone in ("warn", "pending") else _advice(card, tone)
    return Verdict(
        tone=tone, decision=decision, reason=reason, band_alone=band_alone, total_text=card.total_text,
        band=card.band.name, advice=advice, blocking=blocking, next_step=refs[0] if refs else None,
        top_gaps=refs[:TOP_GAPS], gap_count=len(refs), tree=tree_line(card),
        provisional=card.provisional, unanswered=len(card.unanswered), revisit=_revisit(card, tone),
        sooner=sooner_line(card),
        recommendation=_recommendation(card, tone, advice),
    )


def _kept(card: Scorecard, decided: Decided) -> Verdict:
    """The decision the evaluation was completed with (its checklist changed since), said as it was then; the
    gaps and next steps are its answers as today's checklist reads them. What it was decided with is read back
    from the kept reason: a go through a Partly keeps "confirm it first", a stop or not-yet the questions that
    blocked it."""
    refs = ranked_gaps(card)
    band = band_advice(card.band.name, card.band.recommendation) if card.band.recommendation else None
    advice = _kept_advice(decided, band) if decided.tone in ("go", "stop") else None
    blocked = _KEPT_BLOCKS.search(decided.reason)
    return Verdict(
        tone=decided.tone, decision=decided.decision, reason=f"{decided.reason} ({CHANGED_SINCE})",
        band_alone=decided.band_alone, total_text=card.total_text, band=card.band.name, advice=advice,
        blocking=re.findall(_KEY_IN_NAMES, blocked["names"]) if blocked else [], next_step=refs[0] if refs else None,
        top_gaps=refs[:TOP_GAPS], gap_count=len(refs), tree=None, provisional=False, unanswered=0,
        revisit=_revisit(card, decided.tone), sooner=sooner_line(card),
        recommendation=_kept_recommendation(decided, advice, band, blocked["names"] if blocked else None),
    )


# a question's key where a list of names has one: "q1" and "q7" in "q1 (500+ labeled examples) and q7 (…)"
_KEY_IN_NAMES = r"(?:^|(?<= and ))(q\d+)(?= \(| and |$)"
# the Partly answers a go counted as Yes, as _tree_caveats words them: ", though q1 (…) was answered Partly"
_KEPT_PARTLY = re.compile(r", though (?P<names>.+?) (?P<verb>was|were) answered Partly")
# the questions that stopped the tree, as _blocks words them: "q1 (…) blocks it" (a stop: "…agrees: q1 (…) …")
_KEPT_BLOCKS = re.compile(r"^(?:.*?, and the decision tree agrees: )?(?P<names>q\d+.*?) blocks? it\b")


def _kept_advice(decided: Decided, band: str | None) -> str | None:
    """A kept go or stop's advice: the band's (while today's checklist has that band), behind "confirm … first"
    for a go the decision tree reached through a Partly, as it was said when it was decided."""
    partly = _KEPT_PARTLY.search(decided.reason) if decided.tone == "go" else None
    if partly is None:
        return band
    return _confirm_first(partly["names"], partly["verb"] == "was", band)


def _kept_recommendation(decided: Decided, advice: str | None, band: str | None, blocked: str | None) -> str | None:
    """What to do, as a kept result says it: its advice; for a not-yet where the tree overruled the band, that the
    blocking questions come first (the tree's own verdict is not kept); where the score overruled it, the band's."""
    if decided.tone != "warn":
        return advice
    if blocked is not None:
        return f"Resolve {blocked} first: the decision tree stops there, whatever the score."
    return band


def decided_of(card: Scorecard, fingerprint: str) -> Decided:
    """What a completed evaluation keeps of its result (``Evaluation.decided``): the headline and the decision, and
    the totals fingerprint ``card`` was scored with (whether a later total compares with it)."""
    v = verdict_of(card)
    return Decided(fingerprint=fingerprint, totals=card.totals, total=card.total, max=card.max, band=card.band.id,
                   band_name=card.band.name, go=card.band.go, tone=v.tone, decision=v.decision, reason=v.reason,
                   band_alone=v.band_alone)


def band_advice(name: str, recommendation: str) -> str:
    """The band's recommendation without a first sentence that only repeats the band's name."""
    first, _, rest = recommendation.partition(". ")
    if rest and _plain(first) == _plain(name):
        return rest.strip()
    return recommendation.strip()


def _advice(card: Scorecard, tone: Tone) -> str:
    """The band's advice; for a go the decision tree reaches only by counting Partly answers as Yes, preceded by
    what to confirm first, so "Go ahead with confidence" never stands unqualified next to a Partly on the path."""
    advice = band_advice(card.band.name, card.band.recommendation)
    partly = _tree_partly(card) if tone == "go" else []
    if not partly:
        return advice
    return _confirm_first(_names(card, partly), len(partly) == 1, advice)


def _confirm_first(names: str, one: bool, advice: str | None) -> str:
    """``Confirm q13 (2–4 week timeline) first: the decision tree goes ahead only by counting its Partly as a Yes.
    Once confirmed, the score's advice holds: …``."""
    counted = "its Partly as a Yes" if one else "their Partly answers as Yes"
    text = f"Confirm {names} first: the decision tree goes ahead only by counting {counted}."
    return f"{text} Once confirmed, the score's advice holds: {advice}" if advice else text


def sooner_line(card: Scorecard) -> str | None:
    """``Re-evaluate early if a, b or c.`` (the checklist's triggers), or None: also under a provisional result,
    whose end comes first."""
    t = card.triggers
    if not t or card.provisional:
        return None
    said = t[0] if len(t) == 1 else f"{', '.join(t[:-1])} or {t[-1]}"
    return f"Re-evaluate early if {said}."


def _revisit(card: Scorecard, tone: Tone) -> str | None:
    """The checklist's line on when to look again, for a decision that says not yet (a stop, or a go band the
    decision tree overrules): ``Re-evaluate quarterly: … a "don't do it now" in Q1 …``."""
    return card.revisit if tone in ("warn", "stop") else None


def _recommendation(card: Scorecard, tone: Tone, advice: str | None) -> str | None:
    """What to do, as the decision says it: the band's advice; where the decision tree overrules a go band, the
    tree's verdict (``Collect data first. …``); where the score overrules the tree, the band's advice anyway."""
    if tone == "pending":
        return None
    tree = card.decision_tree
    if tone == "warn" and tree is not None and tree.go is False:
        return tree.verdict_text
    if tone == "warn":
        return band_advice(card.band.name, card.band.recommendation)
    return advice


def situation_advice(card: Scorecard) -> list[Advice]:
    """The checklist's "your situation → what to do" rows, all of them, gaps or none: the rows name situations
    (dataset size, synthetic data, a vendor's dataset) the answers do not tell, so passing every check does not
    rule one out (under 500 examples the article says not to fine-tune, whatever the checks say)."""
    return list(card.advice)


def situation_lead(card: Scorecard) -> str:
    """The line above the "your situation → what to do" rows: they are not chosen from the answers, and under a
    decision that is not a go, no row's "fine-tune" comes before the gaps."""
    text = ("Find the row that matches your dataset: these are the checklist's rows for common situations, not "
            "chosen from your answers.")
    if verdict_of(card).tone == "go":
        return f"The checks passed, but they do not tell your dataset's size or origin. {text}"
    return f"{text} Whatever a row says to do, the decision comes first: close the gaps above before any training."


def _plain(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _decide(card: Scorecard, blocking: list[str]) -> tuple[Tone, str, str, str | None]:
    tree, total, band = card.decision_tree, card.total_text, card.band
    blocks = _blocks(card, blocking)
    if card.provisional:
        if tree is not None and tree.go is False and (tree.short_of is None or band.go):
            left = len(card.unanswered)
            rest = "unanswered question says" if left == 1 else "unanswered questions say"
            return "warn", "Not yet", f"{blocks}, whatever the {left} {rest}; {total} so far", None
        return _decide_provisional(card)
    if tree is None or tree.go is None:
        return ("go" if band.go else "stop"), band.name, total, None
    if tree.go and band.go:
        return "go", band.name, f"{total}, and the decision tree agrees{_tree_caveats(card)}", None
    if not tree.go and not band.go:
        agrees = _short(tree.short_of, "") if tree.short_of is not None else blocks
        return "stop", band.name, f"{total}, and the decision tree agrees: {agrees}", None
    if not tree.go:
        return "warn", "Not yet", blocks, f"the score alone, {total}, would be {band.name}"
    return ("warn", "Not yet", f"the score, {total}, is only {band.name}",
            "the decision tree alone would go ahead")


def _decide_provisional(card: Scorecard) -> tuple[Tone, str, str, str | None]:
    """Some questions are unanswered and the tree does not stop on a No. When the band cannot change (every
    reachable total is in one band), say so: with a decided tree, or none, the decision itself is known."""
    tree, total, band = card.decision_tree, card.total_text, card.band
    low, high = (fmt_score(v) for v in card.range)
    left = len(card.unanswered)
    questions = f"question{'' if left == 1 else 's'}"
    ends = card.band_range_names
    if ends[0] != ends[1]:
        return ("pending", "Not decided yet",
                f"{total} so far with {left} unanswered; it can end at {low}–{high} ({ends[0]} to {ends[1]})", None)
    so_far = f"{total} so far with {left} unanswered"
    whatever = "whatever it says" if left == 1 else "whatever they say"
    if tree is None or tree.go is None:
        if not band.go:  # no answer left can reach a go band, whatever the tree goes on to say
            return ("stop", band.name, f"{total} so far; the {left} unanswered {questions} can raise it to {high} "
                    "at most", None)
        if tree is None:
            return "go", band.name, f"{so_far}; {whatever}, the band can't change ({low}–{high})", None
        waiting = ", ".join(k for s in tree.path if s.outcome == "unanswered" for k in s.questions
                            if k in card.unanswered)
        return ("pending", "Not decided yet", f"{so_far}; {whatever}, the score stays {band.name} "
                f"({low}–{high}), but the decision tree waits for {waiting}", None)
    if tree.go is False:  # every step passes, but the score stays under the tree's own bar (and the band's)
        return ("stop", band.name, f"{total} so far; the {left} unanswered {questions} can raise it to {high} at "
                f"most, and the decision tree agrees: {_short(tree.short_of, '')}", None)
    # the tree reached its verdict on answered questions only, so the unanswered ones cannot change it either
    if band.go:
        return ("go", band.name, f"{so_far}, and the decision tree agrees{_tree_caveats(card)}; "
                f"{whatever}, the band can't change ({low}–{high})", None)
    return ("warn", "Not yet", f"the score, {so_far}, stays {band.name} (at most {high})",
            "the decision tree alone would go ahead")


def _tree_caveats(card: Scorecard) -> str:
    """What a go of the decision tree rests on besides Yes answers: ``, though q13 (2–4 week timeline) was answered
    Partly`` for Partly answers it counted as Yes, and for a step it passed on another (the source's "skip unless
    high-stakes"): ``; q8 (5% accuracy gap) was answered No, but it goes on past that at “…?” (q9 yes)``."""
    partly = _tree_partly(card)
    text = f", though {_names(card, partly)} {_was(partly)} answered Partly" if partly else ""
    tree = card.decision_tree
    steps = tree.path if tree is not None and tree.go else []
    for step, after in pairwise(steps):
        if step.outcome == "no":
            answer = "Partly" if set(step.failed) <= set(step.partly) else "No"
            text += (f"; {_names(card, step.failed)} {_was(step.failed)} answered {answer}, but it goes on past "
                     f"that at \u201c{after.label}\u201d ({after.note})")
    return text


def _short(below: float | None, whose: str = " of the decision tree") -> str:
    """``every step of the decision tree passes, but it goes ahead only at a score of 12 or more``: a go leaf whose
    own condition the score does not meet (``TreeResult.short_of``)."""
    return f"every step{whose} passes, but it goes ahead only at a score of {fmt_score(below or 0)} or more"


def _was(keys: list[str]) -> str:
    return "was" if len(keys) == 1 else "were"


def _blocks(card: Scorecard, blocking: list[str]) -> str:
    """``q1 (500+ labeled examples) blocks it``; a Partly among them says why a Partly stops the tree:
    ``q1 (500+ labeled examples) blocks it (answered Partly, which the decision tree counts as No there)``."""
    tree = card.decision_tree
    if not blocking and tree is not None and tree.short_of is not None:
        return _short(tree.short_of)
    text = f"{_names(card, blocking)} {_verb(blocking)} it"
    halves = {g.question for group in card.gaps for g in group.gaps if 0 < g.value < 1}
    partly = [k for k in blocking if k in halves]
    if not partly:
        return text
    who = "answered Partly" if partly == blocking else f"{' and '.join(partly)} answered Partly"
    return f"{text} ({who}, which the decision tree counts as No there)"


def _tree_partly(card: Scorecard) -> list[str]:
    """The Partly answers the decision tree followed as yes on its way to a go: ``["q13"]``."""
    tree = card.decision_tree
    if tree is None or not tree.go:
        return []
    halves = {g.question for group in card.gaps for g in group.gaps if 0 < g.value < 1}
    return [k for s in tree.path if s.outcome == "uncertain" for k in s.questions if k in halves]


def _verb(blocking: list[str]) -> str:
    return "block" if len(blocking) > 1 else "blocks"


def _names(card: Scorecard, keys: list[str]) -> str:
    known = {g.question: g.name for group in card.gaps for g in group.gaps}
    named = [known.get(k, k) for k in keys]
    return " and ".join(named) if named else "the decision tree"


def _blocking(card: Scorecard) -> list[str]:
    """The questions that stopped the tree on a no-go: those that failed its last step, and those of the failed
    steps right before it whose no branch led there (a gap under 5% that is not high-stakes: q8 and q9)."""
    tree = card.decision_tree
    if tree is None or tree.go is not False or not tree.path or tree.short_of is not None:
        return []
    zero = {g.question for group in card.gaps for g in group.gaps if g.value == 0}
    out: list[str] = []
    for step in reversed(tree.path):
        if step.outcome != "no":
            break
        out = [*(step.failed or [k for k in step.questions if k in zero] or step.questions), *out]
    return out or list(tree.path[-1].questions)


def ranked_gaps(card: Scorecard) -> list[GapRef]:
    """Blocking questions first, then the checklist's priorities (``priority: 1`` first), then the tree's other
    weak steps, then No before Partly, weakest section first."""
    gaps: list[Gap] = [g for group in card.gaps for g in group.gaps]  # already weakest section first
    blocking = _blocking(card)
    on_path = {k for s in (card.decision_tree.path if card.decision_tree else []) for k in s.questions}

    def rank(g: Gap) -> tuple[int, int]:
        if g.question in blocking:
            return 0, blocking.index(g.question)
        if g.priority is not None:
            return 1, g.priority
        return (2 if g.question in on_path else 3 if g.value == 0 else 4), 0

    ordered = sorted(gaps, key=rank)  # sorted() is stable: ties keep the weakest-section order
    return [GapRef(question=g.question, name=g.name, answer=g.answer, text=g.text,
                   next_step=g.next_step) for g in ordered]


def tree_line(card: Scorecard) -> str | None:
    """``500+ labeled examples? No (q1) → Collect data first. …`` — the path and the tree's verdict, once."""
    tree = card.decision_tree
    if tree is None:
        return None
    steps = [f"{s.label} {step_answer(s)} ({', '.join(s.questions)})" for s in tree.path]
    return " → ".join([*steps, tree.verdict_text])


STEP_WORDS = {"yes": "Yes", "no": "No", "uncertain": "Partly", "unanswered": "not answered yet"}


def step_answer(step: TreeStep) -> str:
    """How a step of the decision tree was answered: ``Yes``, ``No``, ``Partly`` (counted as a Yes), ``not answered
    yet``, or ``Partly, counted as No`` for a step that a Partly short of its threshold stopped (``partly_fails``);
    where the step asks more than one question, which: ``Partly for q14, counted as No``, ``No for q14``,
    ``No for q13; Partly for q14, counted as No``."""
    if step.outcome != "no" or not step.failed:
        return STEP_WORDS[step.outcome]
    partly = [q for q in step.failed if q in step.partly]
    no = [q for q in step.failed if q not in step.partly]
    every = set(step.questions) <= set(step.failed) and not (partly and no)  # one word says it for all
    said = [f"No{'' if every else ' for ' + ' and '.join(no)}"] if no else []
    if partly:
        said.append(f"Partly{'' if every else ' for ' + ' and '.join(partly)}, counted as No")
    return "; ".join(said)  # of a step asking two questions, which was answered how (review: both were blamed)
