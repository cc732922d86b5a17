"""The walk-through as conversations, without Redis or Slack (in the style of Zulip's ``verify_dialog``).

Each dialog is a list of steps: an event in, then the moves of the walk it made and the effects it owes.
A perfect front end delivers what is owed between steps. Every row of ``conversations.walk.TABLE`` must be
exercised by some dialog here (last test), and the Mermaid diagram in docs/ARCHITECTURE.md must match it.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path
from typing import Any

from conversations import flow, voting, walk
from conversations.effects import PostCard, PostRoot, PostScorecard, UpdateCard
from conversations.models import AnswerEntry, SuggestionRef, utcnow
from scoring.checklist import Checklist, Registry

REGISTRY = Registry()
DATA = REGISTRY.get("dataset-readiness")  # three questions: production_data, locked_test_set, expert_review
Q1, Q2, Q3 = (q.id for q in DATA.questions)
FIRED: set[str] = set()


class Thread:
    """An evaluation plus a front end that delivers everything owed, as Slack would."""

    def __init__(self, checklist: Checklist = DATA, **start: Any) -> None:
        self.checklist = checklist
        self.ev = flow.start(team="T", channel="C", project="P", checklist=checklist, user="U0", **start)
        self._ts = (f"100.{n:06d}" for n in itertools.count(1))
        self.last: flow.Outcome = flow.begin(self.ev, checklist)
        self._deliver()

    def _deliver(self) -> None:
        FIRED.update(self.last.moves)
        for owed in list(self.ev.pending):
            effect = owed.effect
            if isinstance(effect, PostRoot):
                flow.root_posted(self.ev, next(self._ts))
            elif isinstance(effect, PostCard):
                flow.card_posted(self.ev, effect.question, next(self._ts))
            elif isinstance(effect, PostScorecard) and self.ev.scorecard_ts is None:
                flow.scorecard_posted(self.ev, next(self._ts))
            flow.delivered(self.ev, owed.key)
        self.ev.version += 1

    def card(self, question: str) -> str:
        return self.ev.cards_of(question)[-1]

    def step(self, event: str, question: str, option: str | None = None, user: str = "U1") -> flow.Outcome:
        ev, cl = self.ev, self.checklist
        value = None if option in (None, flow.SKIP) else cl.option(option).value
        if event in ("answer", "skip"):
            self.last = flow.answer(ev, cl, card_ts=self.card(question), user=user, value=value)
        elif event == "vote":
            self.last = voting.vote(ev, cl, card_ts=self.card(question), user=user, value=value)
        elif event == "reveal":
            self.last = voting.reveal(ev, cl, question=question, user=user)
        elif event == "settle":  # option SKIP: Not sure as the team answer
            self.last = voting.settle(ev, cl, question=question, user=user, value=value)
        elif event == "change":
            assert value is not None
            # as a lead's change: who may change a team's answer is test_vote_record's
            self.last = flow.change(ev, cl, question=question, user=user, value=value, may_override=True)
        elif event == "note":
            self.last = flow.add_note(ev, cl, question=question, user=user, note="checked with legal")
        elif event == "suggest":
            ref = SuggestionRef(value=1.0, reason="r", evidence="e")
            self.last = flow.apply_suggestions(ev, {question: ref})
        self._deliver()
        return self.last

    def expect(self, moves: list[str], owes: list[str], state: str | None = None, question: str | None = None) -> None:
        assert self.last.moves == moves
        assert [e.key for e in self.last.effects] == owes
        if state is not None and question is not None:
            assert flow.card_state(self.ev, question) == state


def test_start_opens_the_thread_and_asks_the_first_question() -> None:
    t = Thread()
    t.expect(["start:new->in_progress", "ask:unasked->asked"], ["post_root", f"post_card:{Q1}"], "asked", Q1)


def test_quick_walk_answer_skip_reask_and_complete() -> None:
    t = Thread()
    t.step("answer", Q1, "pass")
    t.expect(["answer:asked->answered", "ask:unasked->asked"],
             [f"post_card:{Q2}", f"update_card:{Q1}", "update_root"], "answered", Q1)
    t.step("skip", Q2)
    t.expect(["skip:asked->skipped", "ask:unasked->asked"], [f"post_card:{Q3}", f"update_card:{Q2}", "update_root"])
    t.step("answer", Q3, "fail")
    t.expect(["answer:asked->answered", "ask:skipped->asked"],
             [f"post_card:{Q2}", f"update_card:{Q3}", f"update_card:{Q2}", "update_root"], "asked", Q2)
    assert len(t.ev.cards_of(Q2)) == 2  # the re-ask is a second card of the same question; the one above is redrawn
    t.step("answer", Q2, "pass")
    t.expect(["answer:asked->answered", "complete:in_progress->completed"],
             [f"update_card:{Q2}", "post_scorecard", "update_root", "book_reminder"], "answered", Q2)
    assert t.ev.status == "completed" and t.last.completed


def test_second_skip_stalls_with_a_provisional_scorecard_and_change_completes() -> None:
    t = Thread()
    t.step("answer", Q1, "pass")
    t.step("skip", Q2)
    t.step("answer", Q3, "pass")
    t.step("skip", Q2)
    t.expect(["skip:asked->skipped", "stall:in_progress->in_progress"],
             [f"update_card:{Q2}", "post_scorecard", "update_root"], "skipped", Q2)
    assert t.ev.status == "in_progress" and flow.next_question(t.ev, DATA) is None
    t.step("change", Q2, "fail")
    t.expect(["answer:skipped->answered", "complete:in_progress->completed"],
             [f"update_card:{Q2}", "post_scorecard", "update_root", "book_reminder"], "answered", Q2)


def test_change_and_note_after_completion_update_the_scorecard() -> None:
    t = _completed()
    version = t.ev.version
    t.step("change", Q1, "fail")  # Ready to train -> Not ready: the decision changed, and the thread is told
    t.expect(["change:answered->answered", "change:completed->completed", "redecide:completed->completed"],
             [f"update_card:{Q1}", "post_scorecard", f"post_decision_change:{version}", "update_root"])
    t.step("change", Q2, "fail")  # still Not ready: only redrawn
    t.expect(["change:answered->answered", "change:completed->completed"],
             [f"update_card:{Q2}", "post_scorecard", "update_root"])
    t.step("note", Q1)
    t.expect(["note:answered->answered", "note:completed->completed"], [f"update_card:{Q1}", "post_scorecard"])


def test_change_mid_walk_never_posts_the_next_card_twice() -> None:
    t = Thread()
    t.step("answer", Q1, "pass")
    t.step("change", Q1, "fail")
    t.expect(["change:answered->answered"], [f"update_card:{Q1}", "update_root"])
    assert len(t.ev.cards_of(Q2)) == 1 and len(t.ev.open_cards()) == 1


def test_a_click_after_completion_is_refused_and_a_repeat_is_silent() -> None:
    t = _completed()
    closed = t.step("answer", Q1, "fail", user="U2")
    assert closed.status == "refused" and closed.notice and closed.notice.kind == "closed"
    again = flow.answer(t.ev, DATA, card_ts=t.card(Q1), user="U1", value=1.0)
    assert again.status == "unchanged" and again.notice is None


def test_a_click_on_a_card_never_recorded_is_adopted_once_and_an_unknown_card_refused() -> None:
    ev = flow.start(team="T", channel="C", project="P", checklist=DATA, user="U0")
    flow.begin(ev, DATA)  # root and first card owed, nothing delivered yet
    adopted = flow.answer(ev, DATA, card_ts="9.9", user="U1", value=1.0, question=Q1)
    assert adopted.applied and f"post_card:{Q1}" not in {o.key for o in ev.pending}
    unknown = flow.answer(ev, DATA, card_ts="1.1", user="U1", value=1.0)
    assert unknown.notice is not None and unknown.notice.kind == "unknown_card" and not ev.cards.get("1.1")


def test_a_deleted_evaluation_records_nothing() -> None:
    t = Thread()
    flow.discard(t.ev)
    FIRED.add("discard:in_progress->deleted")
    out = t.step("answer", Q1, "pass")
    assert out.notice is not None and out.notice.kind == "deleted" and t.ev.answers == {}
    done = _completed()
    assert flow.discard(done.ev).moves == ["discard:completed->deleted"]
    FIRED.add("discard:completed->deleted")


def test_suggestion_redraws_the_open_card_only() -> None:
    t = Thread()
    t.step("suggest", Q1)
    t.expect(["suggest:asked->asked"], [f"update_card:{Q1}"])
    t.step("suggest", Q3)  # no card yet: kept for later, nothing to redraw
    t.expect([], [])


def test_reevaluation_is_prefilled() -> None:
    done = _completed()
    done.step("note", Q2, user="U2")
    again = flow.start(team="T", channel="C", project="P", checklist=DATA, user="U0", previous=done.ev)
    assert again.prefill == {Q1: 1.0, Q2: 1.0, Q3: 1.0} and again.previous_id == done.ev.id
    assert again.prefill_notes == {Q2: "checked with legal"}  # shown beside last time's answer, not carried
    assert Q2 not in again.answers
    FIRED.add("reevaluate:completed->new")


def test_last_times_note_stays_with_last_times_answer_confirmed_and_goes_with_a_new_one() -> None:
    done = _completed()
    done.step("note", Q1, user="U2")
    done.step("note", Q2, user="U3")
    again = Thread(previous=done.ev)
    again.step("answer", Q1, "pass", user="U4")  # confirmed as last time: its note still explains it
    again.step("answer", Q2, "fail", user="U4")  # a different answer: last time's note no longer does
    first, second = again.ev.answers[Q1], again.ev.answers[Q2]
    assert (first.note, first.note_by, first.by) == ("checked with legal", "U2", "U4")
    assert second.note is None and second.note_by is None


def test_vote_hidden_until_quorum_then_unanimous() -> None:
    t = Thread(mode="vote", quorum=3)
    t.step("vote", Q1, "pass", user="U1")
    t.expect(["vote:asked->asked"], [f"update_card:{Q1}", "update_root"], "asked", Q1)
    assert t.last.notice is not None and t.last.notice.kind == "voted" and Q1 not in t.ev.answers
    t.step("vote", Q1, "fail", user="U2")
    t.step("vote", Q1, "pass", user="U2")  # changed their mind before the reveal
    t.step("vote", Q1, "pass", user="U3")
    t.expect(["vote:asked->asked", "reveal:asked->answered", "ask:unasked->asked"],
             [f"post_card:{Q2}", f"update_card:{Q1}", "update_root"], "answered", Q1)
    assert t.ev.value(Q1) == 1.0 and t.ev.ballots[Q1].revealed


def test_vote_split_is_settled_once_and_a_late_vote_refused() -> None:
    t = Thread(mode="vote", quorum=2)
    t.step("vote", Q1, "pass", user="U1")
    t.step("vote", Q1, "fail", user="U2")
    # the split waits for the starter (U0): one reply tells them, as a redraw notifies nobody
    t.expect(["vote:asked->asked", "reveal:asked->split", "wait:split->split"],
             [f"update_card:{Q1}", "update_root", f"post_split:{t.card(Q1)}"], "split", Q1)
    late = t.step("vote", Q1, "pass", user="U3")
    assert late.notice is not None and late.notice.kind == "revealed"
    t.step("settle", Q1, "fail", user="U0")
    t.expect(["settle:split->answered", "ask:unasked->asked"],
             [f"post_card:{Q2}", f"update_card:{Q1}", "update_root"], "answered", Q1)
    assert t.ev.answers[Q1].settled_by == "U0" and t.ev.ballots[Q1].spread() == {1.0: ["U1"], 0.0: ["U2"]}
    second = voting.settle(t.ev, DATA, question=Q1, user="U9", value=1.0)
    assert second.notice is not None and second.notice.kind == "taken"


def test_reveal_before_quorum_and_all_not_sure_skips() -> None:
    t = Thread(mode="vote", quorum=5)
    t.step("vote", Q1, flow.SKIP, user="U1")
    t.step("reveal", Q1, user="U2")
    t.expect(["reveal:asked->skipped", "ask:unasked->asked"],
             [f"post_card:{Q2}", f"update_card:{Q1}", "update_root"], "skipped", Q1)
    assert t.ev.ballots[Q1].revealed_by == "U2"
    twice = voting.reveal(t.ev, DATA, question=Q1, user="U3")
    assert twice.status == "unchanged"


def test_a_reveal_that_ends_in_a_split_is_activity() -> None:
    t = Thread(mode="vote", quorum=5)
    t.step("vote", Q1, "pass", user="U1")
    t.step("vote", Q1, "fail", user="U2")
    t.ev.last_activity = before = t.ev.last_activity - timedelta(days=6)  # the votes came days ago
    t.step("reveal", Q1, user="U3")
    t.expect(["reveal:asked->split", "wait:split->split"],
             [f"update_card:{Q1}", "update_root", f"post_split:{t.card(Q1)}"], "split", Q1)
    assert t.ev.last_activity > before + timedelta(days=5)  # the idle nudge counts from the Reveal click


def test_abandoned_evaluation_closes_its_open_card_and_leaves_a_note() -> None:
    t = Thread()
    t.step("answer", Q1, "pass")
    t.last = flow.abandon(t.ev)
    t._deliver()
    t.expect(["abandon:in_progress->abandoned"], [f"update_card:{Q2}", "post_note", "update_root"])
    assert t.ev.status == "abandoned" and t.ev.open_cards() == {}
    late = flow.answer(t.ev, DATA, card_ts=t.card(Q2), user="U1", value=1.0)
    assert late.notice is not None and late.notice.kind == "closed"


def _give_up_next_card(t: Thread, question: str, option: str | None) -> None:
    """Answer the open card while Slack refuses the next one for good: the outbox drops the post (engine's give-up)."""
    ev = t.ev
    value = None if option is None else DATA.option(option).value
    flow.answer(ev, DATA, card_ts=t.card(question), user="U1", value=value)
    ev.pending = [o for o in ev.pending if not isinstance(o.effect, PostCard)]
    t._deliver()


def test_a_card_slack_refused_for_good_is_asked_again_once() -> None:
    """Review finding: after a card was given up on, nothing ever asked its question again."""
    t = Thread()
    _give_up_next_card(t, Q1, "pass")
    assert t.ev.open_cards() == {} and flow.unasked(t.ev, DATA) == Q2
    t.last = flow.resume(t.ev, DATA)
    t.expect(["ask:unasked->asked"], [f"post_card:{Q2}", "update_root"])
    assert flow.resume(t.ev, DATA).status == "unchanged"  # owed now: nothing more to ask
    t._deliver()
    assert flow.unasked(t.ev, DATA) is None and flow.resume(t.ev, DATA).status == "unchanged"  # the card is out


def test_a_re_ask_slack_refused_for_good_is_asked_again_and_nothing_after_the_end() -> None:
    t = Thread()
    t.step("skip", Q1)
    t.step("answer", Q2, "pass")
    _give_up_next_card(t, Q3, "pass")  # the re-ask of Q1 is given up on
    t.last = flow.resume(t.ev, DATA)
    t._deliver()
    t.expect(["ask:skipped->asked"], [f"post_card:{Q1}", f"update_card:{Q1}", "update_root"], "asked", Q1)
    done = _completed()
    assert flow.unasked(done.ev, DATA) is None and flow.resume(done.ev, DATA).status == "unchanged"
    closed = Thread()
    _give_up_next_card(closed, Q1, "pass")
    flow.abandon(closed.ev)
    assert flow.resume(closed.ev, DATA).status == "unchanged"


def test_an_evaluation_closed_for_inactivity_takes_no_change_note_or_vote() -> None:
    """Review finding: a change after the close completed nothing yet posted a scorecard."""
    t = Thread()
    t.step("answer", Q1, "pass")
    flow.abandon(t.ev)
    t._deliver()
    before = t.ev.model_dump()
    for outcome in (flow.change(t.ev, DATA, question=Q1, user="U2", value=0.0),
                    flow.add_note(t.ev, DATA, question=Q1, user="U2", note="late"),
                    flow.answer(t.ev, DATA, card_ts=t.card(Q2), user="U2", value=1.0)):
        assert outcome.status == "refused" and outcome.effects == [] and outcome.moves == []
        assert outcome.notice is not None and outcome.notice.kind == "closed"
        assert outcome.notice.detail == "abandoned" and outcome.notice.project == "P"
        assert outcome.notice.at == t.ev.completed_at
    assert t.ev.model_dump() == before and t.ev.status == "abandoned" and t.ev.pending == []
    v = Thread(mode="vote", quorum=2)
    flow.abandon(v.ev)
    late = voting.vote(v.ev, DATA, card_ts=v.card(Q1), user="U2", value=1.0)
    assert late.notice is not None and late.notice.detail == "abandoned"


def test_deleting_an_abandoned_evaluation() -> None:
    t = Thread()
    flow.abandon(t.ev)
    assert flow.discard(t.ev).moves == ["discard:abandoned->deleted"]
    FIRED.add("discard:abandoned->deleted")


def test_change_on_a_skipped_card_while_its_re_ask_is_owed_cannot_strand_the_walk() -> None:
    """Review finding: the re-ask posted after a Change answered the question left an open card forever."""
    t = Thread()
    t.step("answer", Q1, "pass")
    t.step("skip", Q2)
    skipped_card = t.card(Q2)
    ev = t.ev
    flow.answer(ev, DATA, card_ts=t.card(Q3), user="U1", value=1.0)  # owes the re-ask of Q2, not delivered
    assert f"post_card:{Q2}" in {o.key for o in ev.pending}
    out = flow.change(ev, DATA, question=Q2, user="U2", value=1.0)
    assert out.completed and ev.status == "completed"
    assert f"post_card:{Q2}" not in {o.key for o in ev.pending}  # the stale re-ask is dropped
    late = flow.answer(ev, DATA, card_ts=skipped_card, user="U3", value=0.0)
    assert late.status == "refused"


def test_a_stale_reveal_after_a_change_keeps_the_votes_hidden() -> None:
    t = Thread(mode="vote", quorum=3)
    t.step("vote", Q1, "fail", user="U1")
    t.ev.answers[Q1] = AnswerEntry(question=Q1, value=None, by="U1", at=utcnow())  # a skip on record
    t.step("change", Q1, "pass", user="U0")
    stale = voting.reveal(t.ev, DATA, question=Q1, user="U2")
    assert stale.status == "refused" and t.ev.value(Q1) == 1.0 and not t.ev.ballots[Q1].revealed
    assert stale.notice is not None and stale.notice.kind == "taken" and stale.notice.by == "U0"  # not "finished"



def test_a_vote_after_the_quorum_revealed_is_too_late_not_finished_and_a_double_click_is_silent() -> None:
    t = Thread(mode="vote", quorum=2)
    t.step("vote", Q1, "pass", user="U1")
    old_card = t.card(Q1)
    t.step("vote", Q1, "pass", user="U2")  # completes the vote: revealed, answered, the next card asked
    again = voting.vote(t.ev, DATA, card_ts=old_card, user="U2", value=1.0)
    assert again.status == "unchanged" and again.notice is None  # U2's double click says nothing
    late = voting.vote(t.ev, DATA, card_ts=old_card, user="U3", value=0.0)
    assert late.notice is not None and late.notice.kind == "revealed" and late.notice.detail == "answered"
    assert t.ev.status == "in_progress"  # not "this evaluation is finished"


def test_a_note_on_a_skipped_question_stays_when_the_team_answers_it_later() -> None:
    t = Thread(mode="vote", quorum=1)
    t.step("vote", Q1, flow.SKIP, user="U1")  # everyone (quorum 1) is not sure: skipped, asked again later
    t.step("note", Q1, user="U2")
    t.step("vote", Q2, "pass", user="U1")
    t.step("vote", Q3, "pass", user="U1")
    t.step("vote", Q1, "pass", user="U3")  # the re-ask, revealed unanimous
    assert t.ev.value(Q1) == 1.0 and t.ev.answers[Q1].note == "checked with legal"
    assert t.ev.answers[Q1].note_by == "U2"


def test_a_settled_answer_changed_names_who_changed_it_and_a_repeat_of_ones_own_change_is_silent() -> None:
    t = Thread(mode="vote", quorum=2)
    t.step("vote", Q1, "pass", user="U1")
    t.step("vote", Q1, "fail", user="U2")
    t.step("settle", Q1, "fail", user="U0")
    t.step("change", Q1, "pass", user="U7")  # the listener lets only the starter, a lead or an admin do this
    entry = t.ev.answers[Q1]
    assert entry.value == 1.0 and entry.settled_by == "U7" and entry.previous == 0.0
    assert t.step("change", Q1, "pass", user="U7").notice is None
    other = t.step("change", Q1, "pass", user="U8")
    assert other.notice is not None and other.notice.kind == "unchanged"


def test_a_split_the_starter_cannot_settle_is_asked_again_with_a_fresh_vote() -> None:
    t = Thread(mode="vote", quorum=2)
    t.step("vote", Q1, "pass", user="U1")
    t.step("vote", Q1, "fail", user="U2")
    t.step("settle", Q1, flow.SKIP, user="U0")
    t.expect(["settle:split->skipped", "ask:unasked->asked"],
             [f"post_card:{Q2}", f"update_card:{Q1}", "update_root"], "skipped", Q1)
    entry = t.ev.answers[Q1]
    assert (entry.value, entry.skips, entry.settled_by) == (None, 1, "U0") and t.ev.ballots[Q1].revealed
    assert t.step("settle", Q1, flow.SKIP, user="U0").status == "unchanged"  # a double click
    late = t.step("settle", Q1, "pass", user="U9")
    assert late.notice is not None and (late.notice.kind, late.notice.label) == ("taken", "Not sure")
    for q in (Q2, Q3):
        t.step("vote", q, "pass", user="U1")
        t.step("vote", q, "pass", user="U2")
    assert Q1 not in t.ev.ballots and flow.card_state(t.ev, Q1) == "asked"  # asked again: a fresh round
    t.step("vote", Q1, "pass", user="U1")
    t.step("vote", Q1, "fail", user="U2")  # split again: the starter settles anew
    assert flow.card_state(t.ev, Q1) == "split" and t.ev.answers[Q1].settled_by is None
    t.step("settle", Q1, "pass", user="U0")
    t.expect(["settle:split->answered", "complete:in_progress->completed"],
             [f"update_card:{Q1}", "post_scorecard", "update_root", "book_reminder"], "answered", Q1)
    assert t.ev.status == "completed" and t.ev.answers[Q1].skips == 1


def _completed() -> Thread:
    t = Thread()
    for q in (Q1, Q2, Q3):
        t.step("answer", q, "pass")
    return t


def test_the_owed_effects_are_kept_until_delivered() -> None:
    ev = flow.start(team="T", channel="C", project="P", checklist=DATA, user="U0")
    out = flow.begin(ev, DATA)
    assert [o.key for o in ev.pending] == [e.key for e in out.effects]
    again = flow.owe(ev, [PostCard(question=Q1), UpdateCard(question=Q1)])
    assert [e.key for e in again] == [f"update_card:{Q1}"]  # a post owed already is not owned twice


DIALOGS = [test_start_opens_the_thread_and_asks_the_first_question, test_quick_walk_answer_skip_reask_and_complete,
           test_second_skip_stalls_with_a_provisional_scorecard_and_change_completes,
           test_change_and_note_after_completion_update_the_scorecard, test_a_deleted_evaluation_records_nothing,
           test_suggestion_redraws_the_open_card_only, test_reevaluation_is_prefilled,
           test_vote_hidden_until_quorum_then_unanimous, test_vote_split_is_settled_once_and_a_late_vote_refused,
           test_reveal_before_quorum_and_all_not_sure_skips,
           test_a_split_the_starter_cannot_settle_is_asked_again_with_a_fresh_vote,
           test_abandoned_evaluation_closes_its_open_card_and_leaves_a_note,
           test_deleting_an_abandoned_evaluation]


def test_every_row_of_the_walk_is_exercised() -> None:
    FIRED.clear()
    for dialog in DIALOGS:
        dialog()
    missing = [walk.row_id(r.event, r.source, r.target) for r in walk.TABLE
               if walk.row_id(r.event, r.source, r.target) not in FIRED]
    assert missing == []


def test_architecture_doc_shows_the_current_walk() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "ARCHITECTURE.md").read_text()
    hint = "regenerate the walk section with: python -m conversations.walk"
    assert walk.markdown_table() in doc, hint
    assert walk.mermaid() in doc, hint
