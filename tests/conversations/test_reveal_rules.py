"""Who may click Reveal votes before the quorum (security review): anyone once the card holds two votes; the starter,
a lead or an admin with any. One member could vote, reveal their own lone vote, and so decide the team's answer
alone (which only the starter, a lead or an admin may then change), card after card.

Pure transitions, no Redis or Slack: ``voting.reveal`` with ``may_manage`` as the listener works it out."""

from __future__ import annotations

import itertools

from conversations import flow, voting
from conversations.effects import PostCard, PostRoot
from conversations.models import Evaluation
from scoring.checklist import Registry

FT = Registry().get()
Q1 = FT.question("q1").id


def _vote(quorum: int = 3) -> Evaluation:
    """A team vote started by U1, its root and first card posted."""
    ev = flow.start(team="T", channel="C1", project="P", checklist=FT, user="U1", mode="vote", quorum=quorum)
    flow.begin(ev, FT)
    ts = (f"100.{n:06d}" for n in itertools.count(1))
    for owed in list(ev.pending):
        if isinstance(owed.effect, PostRoot):
            flow.root_posted(ev, next(ts))
        elif isinstance(owed.effect, PostCard):
            flow.card_posted(ev, owed.effect.question, next(ts))
        flow.delivered(ev, owed.key)
    return ev


def _cast(ev: Evaluation, user: str, option: str = "yes") -> None:
    outcome = voting.vote(ev, FT, card_ts=ev.cards_of(Q1)[-1], user=user, value=FT.option(option).value)
    assert outcome.applied, outcome


def test_a_member_cannot_reveal_their_own_lone_vote() -> None:
    ev = _vote()
    _cast(ev, "U3")
    assert voting.early_reveal_short(ev, FT, Q1) == 1
    outcome = voting.reveal(ev, FT, question=Q1, user="U3", may_manage=False)
    assert outcome.status == "refused" and outcome.notice is not None and outcome.notice.kind == "invalid"
    assert outcome.notice.detail == ("Nothing was revealed: q1 has 1 of the 2 votes a Reveal before the quorum needs. "
                                     "The evaluation's starter, a lead or an admin can reveal it sooner.")
    assert not ev.ballots[Q1].revealed and Q1 not in ev.answers and flow.card_state(ev, Q1) == "asked"
    assert outcome.effects == [] and outcome.moves == []
    _cast(ev, "U2", "no")  # a later voter still counts
    assert list(ev.ballots[Q1].votes) == ["U3", "U2"]


def test_two_votes_let_anyone_reveal() -> None:
    ev = _vote(quorum=4)
    _cast(ev, "U3")
    _cast(ev, "U4")
    assert voting.early_reveal_short(ev, FT, Q1) is None
    outcome = voting.reveal(ev, FT, question=Q1, user="U5", may_manage=False)  # U5 has not even voted
    assert outcome.applied and ev.ballots[Q1].revealed_by == "U5"
    assert ev.answers[Q1].value == 1.0 and flow.card_state(ev, Q1) == "answered"


def test_the_starter_a_lead_or_an_admin_may_reveal_a_lone_vote() -> None:
    """A small team: whoever may manage the evaluation reveals with any number of votes."""
    ev = _vote()
    _cast(ev, "U2", "partly")
    outcome = voting.reveal(ev, FT, question=Q1, user="U9", may_manage=True)  # a lead (the listener asked)
    assert outcome.applied and ev.ballots[Q1].revealed_by == "U9" and ev.answers[Q1].value == 0.5


def test_the_rule_leaves_other_refusals_as_they_were() -> None:
    """Nobody has voted: the usual words, for everyone; a revealed card: nothing to refuse (a double click)."""
    ev = _vote()
    assert voting.early_reveal_short(ev, FT, Q1) is None
    nobody = voting.reveal(ev, FT, question=Q1, user="U3", may_manage=False)
    assert nobody.notice is not None and nobody.notice.detail == "Nobody has voted on q1 yet; vote first, then reveal."
    _cast(ev, "U2")
    assert voting.reveal(ev, FT, question=Q1, user="U1", may_manage=True).applied
    assert voting.early_reveal_short(ev, FT, Q1) is None
    assert voting.reveal(ev, FT, question=Q1, user="U3", may_manage=False).status == "unchanged"


def test_the_quorum_still_reveals_on_its_own() -> None:
    """The rule is about the Reveal button only: with a quorum of 2, the second vote reveals the card."""
    ev = _vote(quorum=2)
    _cast(ev, "U3")
    assert voting.early_reveal_short(ev, FT, Q1) == 1
    _cast(ev, "U4", "no")
    assert ev.ballots[Q1].revealed and flow.card_state(ev, Q1) == "split"
