"""Totals compare when what adds them up is unchanged (the questions and what each option is worth): a checklist whose
bands or decision tree changed since still says "+1 since last time"; one that dropped or added a question, or
changed what an option is worth, does not. A result kept before results recorded their totals fingerprint is told
by its answers, re-scored with today's checklist."""

from __future__ import annotations

from typing import Any

from bot.blocks.scorecard import since_last_time
from scoring.checklist import Checklist, Registry
from scoring.scorecard import CHANGED_SINCE_LAST, Decided, as_decided, score
from scoring.verdict import decided_of

FT = Registry().get("fine-tuning-readiness")
# Checklist.fingerprint of the built-in readiness checklist before the last release changed its decision tree
# (git history of scoring/checklists/fine-tuning-readiness.yaml: before 95fae01, and at 95fae01 before d3cb7fb)
FORMER = ("8b442e4ac1", "332ce23772")
TWELVE = {q.id: (1.0 if q.number <= 12 else 0.0) for q in FT.questions}  # 12/20
THIRTEEN = {**TWELVE, FT.question("q13").id: 1.0}


def kept_before_upgrade(fingerprint: str, answers: dict[str, float], checklist: Checklist = FT) -> Decided:
    """A result as a release before totals fingerprints stored it: the full fingerprint only."""
    kept = decided_of(score(checklist, answers), fingerprint).model_dump()
    kept.pop("totals", None)
    return Decided.model_validate({**kept, "fingerprint": fingerprint})


def variant(**changes: Any) -> Checklist:
    data = FT.model_dump(mode="json", exclude_defaults=True)
    data.update(changes)
    return Checklist.model_validate(data)


def test_a_result_decided_before_the_trees_change_compares_with_todays_total() -> None:
    now = score(FT, THIRTEEN)
    for former in FORMER:
        assert former != FT.fingerprint
        then = kept_before_upgrade(former, TWELVE)
        kept = as_decided(score(FT, TWELVE), then, FT)  # how every front end scores the earlier evaluation
        assert now.comparable(kept) and kept.comparable(now)
        assert since_last_time(now, kept) == "+1 since last time (12/20)."


def test_a_new_result_keeps_its_totals_fingerprint_and_bands_or_tree_leave_it_alone() -> None:
    stricter = variant(bands=[{**b.model_dump(mode="json"), "min_score": min(b.min_score + 1, 19)}
                              if b.min_score else b.model_dump(mode="json") for b in FT.bands])
    no_tree = variant(decision_tree=None)
    for changed in (stricter, no_tree):
        assert changed.fingerprint != FT.fingerprint and changed.totals_fingerprint == FT.totals_fingerprint
        then = decided_of(score(changed, TWELVE), changed.fingerprint)
        assert then.totals == FT.totals_fingerprint
        assert since_last_time(score(FT, THIRTEEN), then) == "+1 since last time (12/20)."


def test_a_question_dropped_or_added_or_an_option_revalued_still_does_not_compare() -> None:
    questions = [q.model_dump(mode="json", exclude_defaults=True) for q in FT.questions]
    dropped = variant(questions=questions[:-1])
    added = variant(questions=[*questions, {**questions[-1], "id": "extra_question", "number": 21}])
    options = [o.model_dump(mode="json") for o in FT.options]
    revalued = variant(options=[{**o, "value": 0.4} if o["key"] == "partly" else o for o in options])
    for changed in (dropped, added, revalued):
        assert changed.totals_fingerprint != FT.totals_fingerprint
    for old, today in ((FT, dropped), (FT, added), (added, FT)):
        answers = {q.id: 1.0 for q in old.questions}
        then = decided_of(score(old, answers), old.fingerprint)
        now = score(today, {q.id: 1.0 for q in today.questions})
        assert not now.comparable(then)
        assert since_last_time(now, then) == f"Last time: {then.total:g}/{then.max:g}; {CHANGED_SINCE_LAST}."
        legacy = kept_before_upgrade(old.fingerprint, answers, old)  # the same, kept before the upgrade
        assert not now.comparable(as_decided(score(today, answers), legacy, today))
    partly = {**TWELVE, FT.question("q20").id: 0.5}  # a Partly worth 0.5 then, 0.4 today
    legacy = kept_before_upgrade(FORMER[0], partly)
    assert not score(revalued, THIRTEEN).comparable(as_decided(score(revalued, partly), legacy, revalued))


def test_two_results_kept_before_the_upgrade_with_the_same_checklist_still_compare() -> None:
    """Neither has a totals fingerprint its answers can tell (a question added since): the same checklist then."""
    first, second = kept_before_upgrade(FORMER[0], TWELVE), kept_before_upgrade(FORMER[0], THIRTEEN)
    added = variant(questions=[*(q.model_dump(mode="json", exclude_defaults=True) for q in FT.questions),
                               {**FT.questions[-1].model_dump(mode="json", exclude_defaults=True),
                                "id": "extra_question", "number": 21}])  # since both were decided
    one, two = (as_decided(score(added, a), d, added) for a, d in ((TWELVE, first), (THIRTEEN, second)))
    assert one.totals == two.totals == "" and two.comparable(one)
    assert not score(added, THIRTEEN).comparable(one)
