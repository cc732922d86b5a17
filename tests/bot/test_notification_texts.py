"""What a message's top-level ``text`` says: push notifications, the Activity list and screen readers read only it
(Slack's chat.postMessage: with blocks, ``text`` is the fallback used for notifications and by screen readers). Each
text says what its blocks say, what changed first: a root closed for inactivity, the decision (and a change of it)
on a finished root, a re-evaluation as such, a card left Not sure, who answered, a settled split, a split waiting for
the starter, a card closed unanswered."""

from __future__ import annotations

import json
from pathlib import Path

from bot.blocks.evaluation import card_text, root_blocks, root_text, root_verdict
from conversations import flow, voting
from conversations.flow import SKIP
from conversations.models import Evaluation, Mode
from scoring.checklist import Registry
from tests.bot.delivered import Delivered, block_text

FT = Registry().get()
EX3 = json.loads((Path(__file__).resolve().parents[1] / "data" / "worked_examples.json").read_text())
ANSWERS: dict[str, float] = EX3["examples"]["example3_code_generation"]["answers"]


class Walk(Delivered):
    def __init__(self, mode: Mode = "quick", quorum: int = 3, previous: Evaluation | None = None,
                 project: str = "Router") -> None:
        super().__init__(flow.start(team="T", channel="C", project=project, checklist=FT, user="U1",
                                    mode=mode, quorum=quorum, previous=previous), FT)

    def cards(self, key: str) -> list[str]:
        return self.ev.cards_of(FT.question(key).id)

    def answer(self, key: str, option: str | None, user: str = "U2") -> None:
        value = None if option in (None, SKIP) else FT.option(option).value
        flow.answer(self.ev, FT, card_ts=self.cards(key)[-1], user=user, value=value)
        self._deliver()

    def vote(self, key: str, user: str, option: str) -> None:
        value = None if option == SKIP else FT.option(option).value
        voting.vote(self.ev, FT, card_ts=self.cards(key)[-1], user=user, value=value)
        self._deliver()

    def text(self, key: str, n: int = -1) -> str:
        return card_text(self.ev, FT, FT.question(key).id, self.cards(key)[n])

    def root(self) -> str:
        return root_text(self.ev, FT)

    def complete(self, user: str = "U1") -> None:
        for key, value in ANSWERS.items():
            if self.cards(key) and self.ev.value(FT.question(key).id) is not None:
                continue
            flow.answer(self.ev, FT, card_ts=self.cards(key)[-1], user=user, value=float(value))
            self._deliver()


def _option(value: float) -> str:
    return FT.option(value).key


def test_an_evaluation_closed_for_inactivity_says_so_on_its_root_and_its_open_card() -> None:
    t = Walk(project="Idle thing")
    t.answer("q1", "yes")
    t.answer("q2", "yes")
    flow.abandon(t.ev)
    t._deliver()
    assert t.root() == "Evaluation of Idle thing: closed after 2 of 20 answered"
    assert t.text("q3") == "q3 (written task definition): closed before anyone answered"


def test_a_finished_root_carries_the_decision_its_blocks_show_and_follows_a_change() -> None:
    t = Walk()
    t.complete()
    assert t.ev.status == "completed"
    v = root_verdict(t.ev, FT)
    assert v is not None and v.decision == "Strong go"
    assert t.root() == f"Evaluation of Router: ✅ Strong go — {v.total_text} (scorecard in the thread)"
    assert "Strong go" in block_text(root_blocks(t.ev, FT))
    flow.change(t.ev, FT, question=FT.question("q1").id, user="U2", value=0.0)
    t._deliver()
    assert t.root() == "Evaluation of Router: ⚠ Not yet — 17.5/20 (scorecard in the thread)"
    assert "*Not yet*" in block_text(root_blocks(t.ev, FT)) and len(t.root()) <= 80


def test_a_re_evaluation_says_so_in_its_root_text_as_its_header_does() -> None:
    first = Walk()
    first.complete()
    again = Walk(previous=first.ev)
    assert block_text(root_blocks(again.ev, FT)).startswith("Re-evaluation: Router")
    assert again.root() == "Re-evaluation of Router: 0 of 20 answered"
    again.complete()
    assert again.root().startswith("Re-evaluation of Router: ✅ Strong go — ")


def test_a_card_left_not_sure_says_so_and_who_answered_a_card_is_named() -> None:
    t = Walk()
    t.answer("q1", "yes", user="U2")
    t.answer("q2", SKIP, user="U3")
    assert t.text("q1") == "q1 (500+ labeled examples): Yes — <@U2>"
    assert t.text("q2") == "q2 (diverse examples): Not sure — asked again before the end"
    assert t.text("q3").startswith("Question 3 of 20: Do you have a clear, written definition")  # the anchor


def test_a_question_asked_again_keeps_its_story_on_the_card_above_and_a_second_not_sure_is_left_for_the_team() -> None:
    t = Walk()
    for key in ANSWERS:
        t.answer(key, SKIP if key == "q20" else _option(ANSWERS[key]), user="U1")
    t.answer("q20", SKIP, user="U1")  # the second time: left for the team, a provisional scorecard
    assert t.text("q20", 0) == "q20 (maintenance plan): Not sure — asked again below"
    assert t.text("q20") == "q20 (maintenance plan): Not sure — left for the team"


def test_a_settled_split_names_who_settled_it_and_a_unanimous_vote_who_agreed() -> None:
    t = Walk(mode="vote", quorum=2)
    t.vote("q1", "U2", "yes")
    t.vote("q1", "U3", "no")
    voting.settle(t.ev, FT, question=FT.question("q1").id, user="U1", value=1.0)
    t._deliver()
    assert t.text("q1") == "q1 (500+ labeled examples): Yes — team answer settled by <@U1>"
    t.vote("q2", "U2", "yes")
    t.vote("q2", "U3", "yes")
    assert t.text("q2") == "q2 (diverse examples): Yes — agreed: <@U2>, <@U3>"


def test_a_split_waiting_for_the_starter_says_so_on_its_card_and_the_root() -> None:
    t = Walk(mode="vote", quorum=2)
    t.vote("q1", "U2", "yes")
    t.vote("q1", "U3", "no")
    assert t.text("q1") == ("Question 1 of 20: split, waiting for <@U1> to choose the team answer · "
                            "500+ labeled examples")
    assert t.root() == "Evaluation of Router: q1 split, waiting for <@U1> · 0 of 20 answered"
    assert "split: waiting for the starter (<@U1>), a lead or an admin" in block_text(root_blocks(t.ev, FT))


def test_an_open_card_keeps_its_question_as_its_text() -> None:
    t = Walk(mode="vote", quorum=3)
    t.vote("q1", "U2", "yes")  # hidden votes: still open
    assert t.text("q1") == ("Question 1 of 20: Do you have 500+ labeled examples or the budget to create them?")
    assert card_text(t.ev, FT, FT.question("q2").id).startswith("Question 2 of 20: ")  # the card being posted
