"""What a revealed vote's card says: agreement takes two matching answers, Not sure credits every voter, a split
card keeps the anchor ("Question N of M", buttons that start with an answer), the scorecard names unmatched
questions, and an "already answered" notice reads as one sentence."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.blocks.evaluation import card_blocks
from bot.blocks.notices import notice_text
from bot.blocks.scorecard import scorecard_blocks
from conversations import flow, voting
from conversations.flow import SKIP, Notice, Outcome
from scoring.checklist import Registry
from scoring.scorecard import score
from tests.bot.delivered import Delivered, block_text

FT = Registry().get()


class Vote(Delivered):
    """A vote-mode evaluation of the fine-tuning checklist whose owed posts are delivered between clicks."""

    def __init__(self, quorum: int = 3) -> None:
        super().__init__(flow.start(team="T", channel="C", project="P", checklist=FT, user="U1", mode="vote",
                                    quorum=quorum), FT)

    def card(self, key: str) -> str:
        return self.ev.cards_of(FT.question(key).id)[0]

    def vote(self, key: str, user: str, option: str) -> None:
        value = None if option == SKIP else FT.option(option).value
        ts = self.ev.cards_of(FT.question(key).id)[-1]
        voting.vote(self.ev, FT, card_ts=ts, user=user, value=value)
        self._deliver()

    def reveal(self, key: str, user: str) -> None:
        voting.reveal(self.ev, FT, question=FT.question(key).id, user=user)
        self._deliver()

    def text(self, key: str, ts: str | None = None) -> str:
        return block_text(card_blocks(self.ev, FT, ts or self.card(key)))




def test_a_lone_vote_revealed_reads_as_one_vote_not_agreement() -> None:
    t = Vote()
    t.vote("q1", "U2", "partly")
    t.reveal("q1", "U3")
    line = t.text("q1")
    assert "✓ *q1* Partly — only <@U2> voted ·" in line and "agreed" not in line


def test_one_answer_among_not_sure_votes_is_only_that_person() -> None:
    t = Vote()
    t.vote("q1", "U1", "yes")
    t.vote("q1", "U2", SKIP)
    t.vote("q1", "U3", SKIP)
    assert "✓ *q1* Yes — only <@U1> answered · Not sure: <@U2>, <@U3> ·" in t.text("q1")


def test_two_matching_answers_agree_and_the_not_sure_voters_are_named() -> None:
    t = Vote()
    t.vote("q1", "U1", "yes")
    t.vote("q1", "U2", SKIP)
    t.vote("q1", "U3", "yes")
    assert "✓ *q1* Yes — agreed: <@U1>, <@U3> · Not sure: <@U2> ·" in t.text("q1")


def test_not_sure_credits_every_voter_and_nobody_alone_once_asked_again() -> None:
    t = Vote()
    for key, option in (("q1", "yes"), ("q2", "yes"), ("q3", SKIP)):
        for voter in ("U1", "U2", "U3"):
            t.vote(key, voter, option)
    assert "… *q3* Not sure — nobody was sure: <@U1>, <@U2>, <@U3> · asked again before the end" in t.text("q3")
    for n in range(4, 21):  # the rest of the walk; q3 is then asked again with a fresh round of votes
        for v in ("U1", "U2", "U3"):
            t.vote(f"q{n}", v, "yes")
    assert len(t.ev.cards_of(FT.question("q3").id)) == 2
    first = t.text("q3")  # the card above the one asking again keeps its round: everyone, not the last voter alone
    assert "… *q3* Not sure — nobody was sure: <@U1>, <@U2>, <@U3> · asked again below" in first


def test_a_lone_not_sure_revealed_names_its_voter() -> None:
    t = Vote()
    t.vote("q1", "U2", SKIP)
    t.reveal("q1", "U1")
    assert "… *q1* Not sure — only <@U2> voted · asked again before the end" in t.text("q1")


def test_the_split_card_keeps_the_anchor_question_n_of_m_and_answer_first_buttons() -> None:
    t = Vote(quorum=2)
    t.vote("q1", "U2", "yes")
    t.vote("q1", "U3", "no")
    blocks = card_blocks(t.ev, FT, t.card("q1"))
    assert block_text(blocks).startswith("*Question 1 of 20* · *Split*")
    labels = [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert labels == [*(f"{o.label} — team answer" for o in FT.options), "Not sure — ask again later"]
    assert [label.split(" — ")[0] for label in labels] == [*(o.label for o in FT.options), "Not sure"]


def test_a_split_settled_as_not_sure_names_who_chose_it_and_keeps_the_spread() -> None:
    t = Vote(quorum=2)
    t.vote("q1", "U2", "yes")
    t.vote("q1", "U3", "no")
    voting.settle(t.ev, FT, question=FT.question("q1").id, user="U1", value=None)
    assert ("… *q1* Not sure — <@U1> chose Not sure on a split · *Yes:* <@U2> · *No:* <@U3> · "
            "asked again before the end") in t.text("q1")


def test_the_scorecard_counts_a_lone_vote_as_not_agreed_and_says_so() -> None:
    t = Vote()
    for n in range(1, 21):
        voters = ("U2",) if n == 2 else ("U1", "U2", "U3")
        for v in voters:
            t.vote(f"q{n}", v, "yes")
        if n == 2:
            t.reveal("q2", "U1")
    assert t.ev.status == "completed"
    agreement = voting.agreement(t.ev, FT)
    assert agreement is not None
    text = block_text(scorecard_blocks(t.ev, FT, score(FT, t.ev.scored()), agreement=agreement))
    assert "*Team agreement:* 19 of 20 questions unanimous (95%)" in text
    assert (":warning: q2 (diverse examples) had fewer than two answers to compare (Not sure votes aside), "
            "so it counts as not agreed.") in text


def test_an_already_answered_notice_reads_as_one_sentence() -> None:
    at = datetime(2030, 1, 7, 21, 6, tzinfo=UTC)
    text = notice_text(Outcome(status="refused", notice=Notice(kind="taken", question="q1", by="U2", label="No",
                                                                at=at, actor="U3")))
    assert text is not None and text.startswith("<@U2> already answered q1: *No* (<!date^")
    assert ") (" not in text
    own = notice_text(Outcome(status="refused", notice=Notice(kind="taken", question="q1", by="U3", label="No",
                                                               actor="U3")))
    assert own == "You already answered q1: *No*. To change it, use the ⋯ menu on its card (“Change to …”)."


def test_a_second_team_answer_from_the_one_who_settled_says_you() -> None:
    t = Vote(quorum=2)
    t.vote("q1", "U2", "yes")
    t.vote("q1", "U3", "no")
    qid = FT.question("q1").id
    voting.settle(t.ev, FT, question=qid, user="U1", value=1.0)
    again = notice_text(voting.settle(t.ev, FT, question=qid, user="U1", value=0.0))
    assert again is not None and again.startswith("You already answered q1: *Yes* (")


def test_a_split_asked_again_keeps_its_first_round_on_the_card_above() -> None:
    """Review: once the split q1 was voted on again, both cards read "agreed" and the first round was gone; then both
    read the same line with the first round in it. The first card keeps the split, the one below it the answer."""
    t = Vote(quorum=2)
    t.vote("q1", "U2", "yes")
    t.vote("q1", "U3", "no")
    voting.settle(t.ev, FT, question=FT.question("q1").id, user="U1", value=None)
    t._deliver()
    for n in range(2, 21):
        for v in ("U2", "U3"):
            t.vote(f"q{n}", v, "yes")
    first, again = t.ev.cards_of(FT.question("q1").id)
    split = "… *q1* Split (Yes: <@U2> · No: <@U3>) — asked again by <@U1> below"
    assert t.text("q1", first).startswith(split)
    t.vote("q1", "U2", "yes")
    t.vote("q1", "U3", "yes")
    assert t.text("q1", first).startswith(split)
    assert t.text("q1", again).startswith("✓ *q1* Yes — agreed: <@U2>, <@U3> · _asked again after a split (above)_")
