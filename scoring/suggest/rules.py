"""The source's thresholds, applied in code: facts in, answers out. The model never does arithmetic.

Thresholds (the fine-tuning decision checklist unless noted):

* q1  500+ labeled examples, or a plan/budget that brings the total to 500+.
* q4  labelers agree 75%+ of the time.
* q5  synthetic share: none → Yes; up to 40% → Partly; above 40% → No (the dataset-readiness guide: at least 60% real).
* q7  a ceiling is < 2 points gained over the last four prompting results (the first of a longer history is
      usually the untuned prompt); three or more results are needed for Yes, two give Partly, one gives No:
      the question asks for a ceiling shown over iterations, and one try has not shown one (the decision
      tree's advice for a No, optimise prompting further, is what one try needs). When the team says it hit a
      ceiling but its numbers gained more, Yes with a caution that shows the numbers: the decision checklist's
      worked example 1 calls 72% → 76% "ceiling detected", scores 1.
* q8  target at least 5 points above the best prompting result (points, not relative percent).
* q10 held-out test set of 10%+ of the data (its size against the total, or the share the team states); below
      10% → Partly; size without a total or a share → Yes with a caveat.
* q13 2–4 weeks for the full cycle. A firm figure of 2+ weeks → Yes; a range (e.g. 2–3 weeks) is not a
      firm allocation → Partly; under 2 weeks → No; needing more than 4 weeks → No, unless the needed time
      is also available → Partly.
* q14 $2,000–$10,000. Below → No. Above → Yes (the decision tree only asks for $2K+), with a note to keep
      spend proportionate.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from scoring.suggest.facts import LEVEL_VALUE, NumberFact, ProjectFacts, RangeFact, StatusFact
from scoring.suggest.models import Origin
from scoring.suggest.numbers import money, show_money
from scoring.suggest.reading import hedged

MIN_EXAMPLES = 500
MIN_AGREEMENT = 75.0
MAX_SYNTHETIC = 40.0
CEILING_GAIN = 2.0
CEILING_WINDOW = 5
MIN_GAP = 5.0
MIN_TEST_SHARE = 0.10
MIN_WEEKS, MAX_WEEKS = 2.0, 4.0
MIN_BUDGET, MAX_BUDGET = 2_000.0, 10_000.0

YES, PARTLY, NO = 1.0, 0.5, 0.0
# a count the team is not sure of ("600 or 700, but nobody has counted properly"): the low end, to confirm
ESTIMATE = "the team gives an estimate, not a count (the lower figure is used) — confirm"


@dataclass(frozen=True)
class Verdict:
    question: str  # stable question id
    answer: float | None  # None: the evidence is not enough to pick one; its caution is shown, no answer picked
    reason: str
    evidence: str
    origin: Origin
    caution: str | None = None


def count(v: float) -> str:
    return f"{v:,.0f}"


def pct(v: float) -> str:
    return f"{v:.3g}%"


def usd(v: float) -> str:
    return f"${v:,.0f}"


def points(v: float) -> str:
    """ "1 point", "2.5 points", "-8 points" (a gain or a gap, 3 significant digits)."""
    shown = f"{v:.3g}"
    return f"{shown} point" if shown in ("1", "-1") else f"{shown} points"


def weeks(f: RangeFact) -> str:
    if f.upper is not None and f.upper != f.value:
        return f"{f.value:g}–{f.upper:g} weeks"
    return f"{f.value:g} week{'s' if f.value != 1 else ''}"


def _status(question: str, fact: StatusFact | None, origin: Origin, said: dict[str, str]) -> Verdict | None:
    """An answer straight from a yes/partly/no statement; ``said`` gives the reason per level."""
    if fact is None:
        return None
    note = fact.note.strip().rstrip(".")
    reason = f"{note[0].upper()}{note[1:]}." if note else said[fact.value]
    return Verdict(question, LEVEL_VALUE[fact.value], reason, fact.evidence, origin)


def labeled_examples(f: ProjectFacts, origin: Origin) -> Verdict | None:
    n, plan = f.labeled_examples, f.planned_examples
    if n is not None and n.value >= MIN_EXAMPLES:
        return Verdict(
            "labeled_examples",
            YES,
            f"{count(n.value)} labeled examples — at least the {MIN_EXAMPLES} the checklist asks for.",
            n.evidence,
            "rule",
            caution=ESTIMATE if hedged(n.evidence) else None,
        )
    have = n.value if n is not None else 0.0
    if plan is not None and have + plan.value >= MIN_EXAMPLES:
        return Verdict(
            "labeled_examples",
            YES,
            f"{count(have)} labeled now plus {count(plan.value)} planned "
            f"or budgeted: {MIN_EXAMPLES}+ within reach.",
            plan.evidence,
            "rule",
        )
    if n is not None:
        return Verdict(
            "labeled_examples",
            NO,
            f"Only {count(n.value)} labeled examples, below the {MIN_EXAMPLES} threshold.",
            n.evidence,
            "rule",
            caution=ESTIMATE if hedged(n.evidence) else None,
        )
    return None


def labeler_agreement(f: ProjectFacts, origin: Origin) -> Verdict | None:
    a = f.agreement_pct
    if a is not None:
        if a.value >= MIN_AGREEMENT:
            return Verdict(
                "labeler_agreement",
                YES,
                f"Labelers agreed {pct(a.value)} of the time (threshold {MIN_AGREEMENT:g}%).",
                a.evidence,
                "rule",
            )
        return Verdict(
            "labeler_agreement",
            NO,
            f"Labelers agreed only {pct(a.value)} of the time, below {MIN_AGREEMENT:g}%.",
            a.evidence,
            "rule",
        )
    return _status(
        "labeler_agreement",
        f.agreement_tested,
        origin,
        {
            "yes": "Two people labeled the same examples and agreed (no percentage: confirm it is 75%+).",
            "partly": "Labels are only informally consistent; no agreement test.",
            "no": "No agreement test between two labelers.",
        },
    )


def representative_data(f: ProjectFacts, origin: Origin) -> Verdict | None:
    options: list[Verdict] = []
    share = f.synthetic_share
    if share is not None:
        if share.value <= 0:
            options.append(
                Verdict("representative_data", YES, "No synthetic examples.", share.evidence, "rule")
            )
        elif share.value <= MAX_SYNTHETIC:
            options.append(
                Verdict(
                    "representative_data",
                    PARTLY,
                    f"About {pct(share.value)} synthetic: mostly real, but not fully representative.",
                    share.evidence,
                    "rule",
                )
            )
        else:
            options.append(
                Verdict(
                    "representative_data",
                    NO,
                    f"About {pct(share.value)} synthetic — the source "
                    f"wants at least {100 - MAX_SYNTHETIC:g}% real data.",
                    share.evidence,
                    "rule",
                )
            )
    status = _status(
        "representative_data",
        f.real_data,
        origin,
        {
            "yes": "Real-world data.",
            "partly": "Real data only in part, or possibly outdated/skewed.",
            "no": "Synthetic or unrepresentative data.",
        },
    )
    if status is not None:
        options.append(status)
    return min(options, key=lambda v: YES if v.answer is None else v.answer) if options else None


CEILING_RECENT = 4
# a plateau told over several tries: "the last five prompt changes", "8 prompt versions"
_SEVERAL_TRIES = (
    r"\b(five|six|seven|eight|nine|ten|[5-9]|\d{2}) (\w+ )?(changes|versions|variants|iterations|tweaks|rewrites|"
    r"attempts|tries|rounds|revisions)\b"
)


def _steps(history: list[NumberFact]) -> str:
    return " → ".join(pct(h.value) for h in history)


def prompting_ceiling(f: ProjectFacts, origin: Origin) -> Verdict | None:
    history = f.prompting_accuracy[-(CEILING_WINDOW + 1) :]
    plateau = f.prompting_plateau
    if not history:
        if plateau is None:
            return None
        said = {
            "yes": "The team reports prompting has plateaued.",
            "partly": "Prompting gains are slowing.",
            "no": "Prompting has not hit a ceiling yet.",
        }
        return _status("prompting_ceiling", plateau, origin, said)
    claimed = plateau if plateau is not None and plateau.value == "yes" else None
    if len(history) == 1:
        return _ceiling_from_one(history[0], claimed, _join(history))
    return _ceiling_from_history(history, claimed, _join(history))


def _ceiling_from_one(result: NumberFact, claimed: StatusFact | None, quote: str) -> Verdict:
    """One prompting result: a ceiling the team reports (with a caution), else No — not shown yet: one try is not
    5 iterations gaining < 2 points (the source's worked examples score such a team 0)."""
    if claimed is not None:
        several = re.search(_SEVERAL_TRIES, claimed.evidence, re.IGNORECASE) is not None
        return Verdict(
            "prompting_ceiling",
            YES,
            f"The team reports a plateau at about {pct(result.value)}.",
            f"{quote} … {claimed.evidence}" if claimed.evidence != quote else quote,
            "rule",
            # "the last five prompt changes moved it less than one point" tells the iterations, without numbers
            caution=None if several else "only one result is reported; the checklist asks for 5 iterations gaining "
            "< 2 points",
        )
    return Verdict(
        "prompting_ceiling",
        NO,
        f"Not shown yet: one prompting result ({pct(result.value)}); a ceiling needs {CEILING_WINDOW} iterations "
        f"gaining < {CEILING_GAIN:g} points.",
        quote,
        "rule",
    )


def _ceiling_from_history(history: list[NumberFact], claimed: StatusFact | None, quote: str) -> Verdict:
    """Several results: judged on the gain of the most recent ones (the plateau kept, repeats included)."""
    recent = history[-CEILING_RECENT:]
    gain = max(h.value for h in recent[1:]) - recent[0].value
    steps = _steps(history)
    span = f"the last {len(recent)} results" if len(recent) < len(history) else f"{len(recent)} results"
    if gain >= CEILING_GAIN:
        if claimed is not None:
            evidence = quote if claimed.evidence in quote else f"{quote} … {claimed.evidence}"
            return Verdict(
                "prompting_ceiling",
                YES,
                f"The team reports a ceiling; prompting went {steps}.",
                evidence,
                "rule",
                caution=f"{span} still gained {points(gain)}; the checklist's ceiling is < {CEILING_GAIN:g} "
                "points over 5 iterations — check",
            )
        return Verdict(
            "prompting_ceiling",
            NO,
            f"Prompting still improving: {steps} (+{points(gain)} over {span}; a ceiling is < {CEILING_GAIN:g}).",
            quote,
            "rule",
        )
    if len(recent) >= 3 or claimed is not None:
        caveat = "" if len(history) >= CEILING_WINDOW else f" ({len(history)} results; the source asks for 5)"
        return Verdict(
            "prompting_ceiling",
            YES,
            f"Ceiling: {steps}; {span} gained {points(max(gain, 0))} (< {CEILING_GAIN:g}){caveat}.",
            quote,
            "rule",
        )
    return Verdict(
        "prompting_ceiling",
        PARTLY,
        f"Little gain ({steps}) but only two results; run more iterations to confirm a ceiling.",
        quote,
        "rule",
    )


def _join(items: list[NumberFact]) -> str:
    quotes = list(dict.fromkeys(i.evidence for i in items))
    return " … ".join(quotes)


def accuracy_gap(f: ProjectFacts, origin: Origin) -> Verdict | None:
    target, history = f.target_accuracy, f.prompting_accuracy
    if target is not None and history:
        best = max(history, key=lambda h: h.value)
        gap = target.value - best.value
        quote = (
            target.evidence if target.evidence == best.evidence else f"{best.evidence} … {target.evidence}"
        )
        if gap >= MIN_GAP:
            return Verdict(
                "accuracy_gap",
                YES,
                f"Target {pct(target.value)} vs {pct(best.value)} from prompting: "
                f"{points(gap)} (≥ {MIN_GAP:g}).",
                quote,
                "rule",
            )
        return Verdict(
            "accuracy_gap",
            NO,
            f"Target {pct(target.value)} is only {points(gap)} above prompting "
            f"({pct(best.value)}); the checklist asks for {MIN_GAP:g}+.",
            quote,
            "rule",
        )
    measurable = f.accuracy_measurable
    if measurable is not None and measurable.value == "no":
        return Verdict(
            "accuracy_gap",
            NO,
            "Accuracy is hard to measure, so no gap over prompting can be shown.",
            measurable.evidence,
            origin,
        )
    return None


def held_out_test_set(f: ProjectFacts, origin: Origin) -> Verdict | None:
    if f.held_out_test_set is not None and f.held_out_test_set.value == "partly":
        # whatever its size, a test set that may overlap the training data (or was tuned against) is only partly one
        said = {"partly": "The test set may not be held out."}
        return _status("held_out_test_set", f.held_out_test_set, origin, said)
    test = f.test_set_size
    total = f.dataset_size or f.labeled_examples
    if total is not None and test is not None and f.dataset_size is None and test.value > total.value:
        total = None  # a test set larger than the labelled set is kept apart from it: no share of it to compute
    if test is not None and total is not None and total.value > 0:
        share = test.value / total.value
        quote = test.evidence if test.evidence == total.evidence else f"{total.evidence} … {test.evidence}"
        if share >= MIN_TEST_SHARE - 1e-9:
            return Verdict(
                "held_out_test_set",
                YES,
                f"Held-out test set of {count(test.value)} = {share:.0%} of "
                f"{count(total.value)} examples (10%+).",
                quote,
                "rule",
            )
        return Verdict(
            "held_out_test_set",
            PARTLY,
            f"Held-out test set of {count(test.value)} is only "
            f"{share:.0%} of {count(total.value)} examples (the checklist asks for 10%+).",
            quote,
            "rule",
        )
    if f.test_share is not None:
        return _test_share(f.test_share, test)
    if test is not None:
        return Verdict(
            "held_out_test_set",
            YES,
            f"Held-out test set of {count(test.value)} examples; the total "
            "dataset size is not stated, so the 10% share could not be checked.",
            test.evidence,
            "rule",
        )
    return _status(
        "held_out_test_set",
        f.held_out_test_set,
        origin,
        {
            "yes": "A held-out test set exists (size not stated — confirm it is 10%+ of the data).",
            "partly": "A test set exists only in part.",
            "no": "No held-out test set.",
        },
    )


def _test_share(share: NumberFact, test: NumberFact | None) -> Verdict:
    """The held-out share as the team states it ("300 examples (15%)", "15% of the data")."""
    size = f"{count(test.value)} examples, " if test is not None else ""
    quote = share.evidence if test is None or test.evidence == share.evidence else f"{test.evidence} … {share.evidence}"
    if share.value >= MIN_TEST_SHARE * 100 - 1e-9:
        reason = f"Held-out test set of {size}{pct(share.value)} of the data (10%+)."
        return Verdict("held_out_test_set", YES, reason, quote, "rule")
    return Verdict(
        "held_out_test_set",
        PARTLY,
        f"Held-out test set of {size}only {pct(share.value)} of the data (the checklist asks for 10%+).",
        quote,
        "rule",
    )


def timeline(f: ProjectFacts, origin: Origin) -> Verdict | None:
    have, need = f.weeks_available, f.weeks_needed
    if need is not None and max(need.value, need.upper or 0) > MAX_WEEKS:
        return _too_long(have, need)
    if have is not None:
        return _weeks_available(have, need)
    pressure = f.timeline_pressure
    if pressure is not None and pressure.value == "yes":
        note = f" ({pressure.note})" if pressure.note else ""
        return Verdict(
            "timeline", NO, f"Timeline is too tight for a 2–4-week cycle{note}.", pressure.evidence, origin
        )
    return None


def _too_long(have: RangeFact | None, need: RangeFact) -> Verdict:
    """The work needs more than the checklist's 2–4-week cycle."""
    if have is not None and have.value >= need.value:
        return Verdict(
            "timeline",
            PARTLY,
            f"Needs {weeks(need)}, longer than the 2–4-week cycle, though {weeks(have)} are available.",
            f"{need.evidence} … {have.evidence}" if need.evidence != have.evidence else need.evidence,
            "rule",
        )
    return Verdict(
        "timeline", NO, f"Needs {weeks(need)}, more than the 2–4 weeks the checklist plans for.", need.evidence,
        "rule",
    )


def _weeks_available(have: RangeFact, need: RangeFact | None) -> Verdict:
    """Weeks the team has, against what the work needs and the 2-week minimum; a range is not a commitment."""
    if need is not None and have.value < need.value:
        evidence = f"{have.evidence} … {need.evidence}" if need.evidence != have.evidence else have.evidence
        return Verdict("timeline", NO, f"{weeks(have)} available but {weeks(need)} needed.", evidence, "rule")
    top = have.upper if have.upper is not None else have.value
    if top < MIN_WEEKS:
        return Verdict("timeline", NO, f"Only {weeks(have)} available; the full cycle takes 2–4 weeks.",
                       have.evidence, "rule")
    if have.value < MIN_WEEKS:
        return Verdict("timeline", PARTLY, f"{weeks(have)} available: the low end is under the 2-week minimum.",
                       have.evidence, "rule")
    if have.upper is not None and have.upper != have.value:
        return Verdict("timeline", PARTLY, f"{weeks(have)} is a range, not a firm allocation of the 2–4-week "
                       "cycle — confirm the time is committed.", have.evidence, "rule")
    return Verdict("timeline", YES, f"{weeks(have)} available for the 2–4-week cycle.", have.evidence, "rule")


def _money_shown(b: NumberFact) -> tuple[str, str | None]:
    """How the budget reads in its quote (e.g. "£3,900 (about $4,953)") and a caution when converting
    at an approximate rate decides the answer."""
    for m in money(b.evidence):
        if m.currency != "USD" and abs(m.usd - b.value) <= max(1.0, b.value * 0.01):
            at_face = (m.value >= MIN_BUDGET) == (b.value >= MIN_BUDGET)
            caution = None if at_face else f"converted from {m.currency} at an approximate rate — check"
            return show_money(m), caution
    return usd(b.value), None


def budget(f: ProjectFacts, origin: Origin) -> Verdict | None:
    b = f.budget_usd
    if b is None:
        return None
    shown, caution = _money_shown(b)
    if b.value == 0:
        return Verdict("budget", NO, f"No budget; the checklist asks for {usd(MIN_BUDGET)}–{usd(MAX_BUDGET)}.",
                       b.evidence, "rule")
    if b.value < MIN_BUDGET:
        return Verdict(
            "budget",
            NO,
            f"Budget {shown} is below the {usd(MIN_BUDGET)} minimum.",
            b.evidence,
            "rule",
            caution,
        )
    if b.value <= MAX_BUDGET:
        return Verdict(
            "budget",
            YES,
            f"Budget {shown} is within {usd(MIN_BUDGET)}–{usd(MAX_BUDGET)}.",
            b.evidence,
            "rule",
            caution,
        )
    return Verdict(
        "budget",
        YES,
        f"Budget {shown} is above the {usd(MIN_BUDGET)}–{usd(MAX_BUDGET)} range: "
        "enough for the cycle; keep spend proportionate to the benefit.",
        b.evidence,
        "rule",
        caution,
    )


def _simple(
    question: str, attr: str, said: dict[str, str]
) -> Callable[[ProjectFacts, Origin], Verdict | None]:
    def rule(f: ProjectFacts, origin: Origin) -> Verdict | None:
        fact = getattr(f, attr)
        assert fact is None or isinstance(fact, StatusFact)
        return _status(question, fact, origin, said)

    return rule


FINE_TUNING_RULES: tuple[Callable[[ProjectFacts, Origin], Verdict | None], ...] = (
    labeled_examples,
    labeler_agreement,
    representative_data,
    prompting_ceiling,
    accuracy_gap,
    held_out_test_set,
    timeline,
    budget,
    _simple(
        "ml_engineer",
        "ml_engineer",
        {
            "yes": "Someone on the team can run fine-tuning.",
            "partly": "Only outside or partial ML help.",
            "no": "No ML engineer or anyone trained to run fine-tuning.",
        },
    ),
    _simple(
        "monitoring",
        "monitoring",
        {
            "yes": "Monitoring exists or is planned.",
            "partly": "Only partial monitoring.",
            "no": "No monitoring to catch drift.",
        },
    ),
    _simple(
        "stakeholders_briefed",
        "stakeholders_briefed",
        {
            "yes": "Stakeholders know it is an experiment.",
            "partly": "Stakeholders are aware, but expectations may be unrealistic.",
            "no": "Stakeholders not briefed or expectations unrealistic.",
        },
    ),
    _simple(
        "rollback_plan",
        "rollback_plan",
        {
            "yes": "There is a rollback/fallback plan.",
            "partly": "Rollback is only partly planned.",
            "no": "No rollback plan.",
        },
    ),
    _simple(
        "maintenance_plan",
        "retraining_plan",
        {
            "yes": "There is a plan to retrain and maintain the model.",
            "partly": "Maintenance is only partly planned.",
            "no": "No plan to maintain or retrain the model.",
        },
    ),
)


def fine_tuning(f: ProjectFacts, origin: Origin) -> list[Verdict]:
    return [v for rule in FINE_TUNING_RULES if (v := rule(f, origin)) is not None]


def dataset_readiness(f: ProjectFacts, origin: Origin) -> list[Verdict]:
    """The dataset-readiness guide's three checks (pass = 1, fail = 0; there is no partial credit)."""
    out: list[Verdict] = []
    data = representative_data(f, origin)
    if data is not None:
        # mostly real data with caveats (some synthetic, possibly outdated) still passes: 60%+ real
        answer = NO if data.answer == NO else YES
        reason = data.reason if data.answer != PARTLY else f"Mostly real data; confirm: {data.reason}"
        out.append(Verdict("production_data", answer, reason, data.evidence, data.origin))
    test = held_out_test_set(f, origin)
    leaky = f.held_out_test_set is not None and f.held_out_test_set.value == "partly"  # no pass, no sure fail
    if test is not None and not leaky:
        answer = NO if test.answer == NO else YES
        out.append(Verdict("locked_test_set", answer, test.reason, test.evidence, test.origin))
    review = _status(
        "expert_review",
        f.expert_review,
        origin,
        {
            "yes": "Domain experts reviewed the data before training.",
            "partly": "Only part of the review is done.",
            "no": "Expert review deferred or missing.",
        },
    )
    if review is None and f.agreement_pct is not None:
        review = Verdict(
            "expert_review",
            YES,
            f"Labels double-checked in an agreement test ({pct(f.agreement_pct.value)})"
            " — confirm the reviewers were domain experts.",
            f.agreement_pct.evidence,
            "rule",
        )
    if review is not None and review.answer != PARTLY:
        out.append(review)
    return out
