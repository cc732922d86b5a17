"""Agreement takes two: a question fewer than two people answered is not unanimous, and the warning says so."""

from __future__ import annotations

from scoring.agreement import agreement_of
from scoring.checklist import Registry

FT = Registry().get()
TEAM = {"U1": 1.0, "U2": 1.0, "U3": 1.0}


def _votes(**odd: dict[str, float | None]) -> dict[str, dict[str, float | None]]:
    votes: dict[str, dict[str, float | None]] = {f"q{i}": dict(TEAM) for i in range(1, 21)}
    votes.update(odd)
    return votes


def test_a_lone_vote_is_not_unanimous_and_is_named() -> None:
    a = agreement_of(FT, _votes(q2={"U2": 0.5}))
    assert (a.questions, a.unanimous, a.splits, a.unmatched) == (20, 19, [], ["q2 (diverse examples)"])
    assert a.summary == "19 of 20 questions unanimous (95%)" and not a.below_bar
    assert a.warning == ("q2 (diverse examples) had fewer than two answers to compare (Not sure votes aside), "
                         "so it counts as not agreed.")


def test_one_answer_among_not_sure_votes_is_unmatched_two_matching_answers_agree() -> None:
    a = agreement_of(FT, _votes(q1={"U1": 1.0, "U2": None, "U3": None}, q3={"U1": None, "U2": None, "U3": None},
                                q4={"U1": 0.0, "U2": 0.0, "U3": None}))
    assert a.unanimous == 18 and a.unmatched == ["q1 (500+ labeled examples)", "q3 (written task definition)"]
    assert a.warning is not None and "and q3 (written task definition) had fewer than two answers" in a.warning
    assert "so they count as not agreed." in a.warning


def test_one_voter_revealing_every_card_is_warned_not_called_unanimous() -> None:
    a = agreement_of(FT, {q.id: {"U1": 1.0} for q in FT.questions})
    assert a.summary == "0 of 20 questions unanimous (0%)" and a.below_bar
    assert a.warning is not None and a.warning.startswith("Under 75%:")
    assert "q1 (500+ labeled examples), q2 (diverse examples), q3 (written task definition), q4" in a.warning
    assert "and 16 more had fewer than two answers to compare" in a.warning


def test_splits_are_unchanged() -> None:
    a = agreement_of(FT, _votes(q5={"U1": 1.0, "U2": 0.0}))
    assert (a.unanimous, [s.question for s in a.splits], a.unmatched, a.warning) == (19, ["q5"], [], None)


def test_the_advice_under_the_bar_names_what_there_is_to_talk_through() -> None:
    lone = agreement_of(FT, {q.id: {"U1": 1.0} for q in FT.questions})
    assert lone.warning is not None and lone.warning.endswith("Talk them through before acting on the score.")
    both = agreement_of(FT, {**{q.key: {"U1": 1.0} for q in FT.questions}, "q5": {"U1": 1.0, "U2": 0.0}})
    assert both.warning is not None
    assert both.warning.endswith("Talk them and the split questions through before acting on the score.")
    split = agreement_of(FT, {q.id: {"U1": 1.0, "U2": 0.0} for q in FT.questions})
    assert split.warning == ("Under 75%: the team agreed less often than the fine-tuning decision checklist asks of "
                             "two labelers. Talk the split questions through before acting on the score.")
