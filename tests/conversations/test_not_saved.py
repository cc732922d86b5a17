"""A click on a card the saved evaluation does not hold (fault review: Redis restarted from a snapshot one click old,
or a card posted twice), as a table: what the refusal says (``Notice``), what it redraws of what is stored a moment
later (``Outcome.redraw``: the cards of the question it waits for, the root), what it owes, and that it records
nothing. Before, every such click was ``unknown_card`` with nothing to say and nothing redrawn; a change of an answer
the snapshot lost was "has not been answered yet". No Redis or Slack."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conversations import flow, voting
from conversations.effects import PostCard
from conversations.models import Evaluation
from tests.conversations.test_walk import DATA, Q1, Q2, Q3, Thread

UNKNOWN = "999.000001"  # a card Slack shows that the saved evaluation does not hold


def at_q2(**start: Any) -> Thread:
    """q1 answered, q2's card open (posted and recorded)."""
    t = Thread(**start)
    t.step("vote" if start.get("mode") == "vote" else "answer", Q1, "pass")
    return t


def q2_on_its_way() -> Thread:
    """q1 answered; q2's card owed, not posted yet."""
    t = Thread()
    flow.answer(t.ev, DATA, card_ts=t.card(Q1), user="U1", value=1.0)
    return t


def q2_given_up() -> Thread:
    """q1 answered; Slack refused q2's card for good (the outbox gave it up): nothing asks q2."""
    t = q2_on_its_way()
    t.ev.pending = [o for o in t.ev.pending if not isinstance(o.effect, PostCard)]
    t.ev.undelivered.append(f"post_card:{Q2}")
    return t


def finished() -> Thread:
    t = at_q2()
    t.step("answer", Q2, "pass")
    t.step("answer", Q3, "pass")
    return t


def abandoned() -> Thread:
    t = at_q2()
    flow.abandon(t.ev)
    return t


def click(question: str | None, ts: str = UNKNOWN) -> Callable[[Evaluation], flow.Outcome]:
    """A click as the engine takes it, in either mode: ``changed_under`` first, then the mode's step."""
    def run(ev: Evaluation) -> flow.Outcome:
        found = flow.changed_under(ev, DATA, card_ts=ts, question=question, option="pass")
        if found is not None:
            return found
        step = voting.vote if ev.mode == "vote" else flow.answer
        return step(ev, DATA, card_ts=ts, user="U3", value=1.0, question=question)
    return run


def change(question: str) -> Callable[[Evaluation], flow.Outcome]:
    return lambda ev: flow.change(ev, DATA, question=question, user="U2", value=0.0)


LOST_Q3 = {"kind": "unknown_card", "question": "q3", "detail": "lost", "asks": "q2", "answered": 1, "total": 3}
REDRAW_Q2 = [f"update_card:{Q2}", "update_root"]

# (what, the evaluation, the action, status, the notice's fields, what is redrawn, what is owed)
ROWS: list[tuple[str, Callable[[], Thread], Callable[[Evaluation], flow.Outcome], str, dict[str, Any], list[str],
                 list[str]]] = [
    ("the next card, lost with the snapshot", at_q2, click(Q3), "refused", LOST_Q3, REDRAW_Q2, []),
    ("a vote on it", lambda: at_q2(mode="vote", quorum=1), click(Q3), "refused", LOST_Q3, REDRAW_Q2, []),
    ("a copy of the open card", at_q2, click(Q2), "refused",
     {**LOST_Q3, "question": "q2", "detail": "copy"}, REDRAW_Q2, []),
    ("a copy of an answered card", at_q2, click(Q1), "refused",
     {**LOST_Q3, "question": "q1", "detail": "copy"}, REDRAW_Q2, []),
    ("a card of a question not named", at_q2, click(None), "refused",
     {**LOST_Q3, "question": None, "detail": None}, REDRAW_Q2, []),
    ("the card asking is on its way", q2_on_its_way, click(Q3), "refused", LOST_Q3, REDRAW_Q2, []),
    ("no card asks: asked again, as /ftcheck status does", q2_given_up, click(Q3), "ok", LOST_Q3, [],
     [f"post_card:{Q2}", "update_root"]),
    ("the card given up on, which Slack posted after all", q2_given_up, click(Q2), "ok",
     {**LOST_Q3, "question": "q2", "detail": None}, [], [f"post_card:{Q2}", "update_root"]),
    ("a finished evaluation", finished, click(Q3), "refused", {"kind": "closed", "question": "q3", "detail": None},
     [], []),
    ("one closed for inactivity", abandoned, click(Q3), "refused",
     {"kind": "closed", "question": "q3", "detail": "abandoned"}, [], []),
    ("a change of the open card's answer, lost", at_q2, change(Q2), "refused",
     {**LOST_Q3, "question": "q2", "detail": "answer_lost"}, REDRAW_Q2, []),
    ("a change from a card lost with the snapshot", at_q2, change(Q3), "refused", LOST_Q3, REDRAW_Q2, []),
]


@pytest.mark.parametrize(("what", "thread", "action", "status", "notice", "redraw", "owes"), ROWS,
                         ids=[r[0] for r in ROWS])
def test_a_click_the_saved_evaluation_cannot_take(
        what: str, thread: Callable[[], Thread], action: Callable[[Evaluation], flow.Outcome], status: str,
        notice: dict[str, Any], redraw: list[str], owes: list[str]) -> None:
    t = thread()
    before = t.ev.model_dump()
    out = action(t.ev)
    assert out.status == status
    assert out.notice is not None and out.notice.model_dump(include=set(notice)) == notice
    assert [e.key for e in out.redraw] == redraw
    assert [e.key for e in out.effects] == owes
    if status == "refused":
        assert t.ev.model_dump() == before  # nothing recorded
    else:
        assert out.moves == ["ask:unasked->asked"] and t.ev.answers.keys() == {Q1}


def test_an_answered_question_changed_or_a_split_is_refused_as_before() -> None:
    t = at_q2()
    assert flow.change(t.ev, DATA, question=Q1, user="U2", value=0.0).applied
    split = Thread(mode="vote", quorum=2)
    split.step("vote", Q1, "pass", user="U1")
    split.step("vote", Q1, "pass", user="U2")
    split.step("vote", Q2, "pass", user="U1")
    split.step("vote", Q2, "fail", user="U2")
    assert flow.card_state(split.ev, Q2) == "split"
    out = flow.change(split.ev, DATA, question=Q2, user="U2", value=0.0)
    assert out.notice is not None and out.notice.kind == "invalid" and out.redraw == []
