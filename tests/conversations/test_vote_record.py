"""A team vote's record stays true: a unanimous answer changed afterwards stops counting as unanimous (and says who
changed it), and a split settled as "Not sure — ask again later" keeps its first round when it is voted on again:
in the answer, the agreement, the scorecard's words and every export format, also through the store."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import redis.asyncio as aioredis

from bot.blocks.scorecard import agreement_mrkdwn
from conversations import flow, voting
from conversations.effects import PostCard, PostRoot, PostScorecard
from conversations.export import decision_record
from conversations.models import AnswerEntry, Evaluation
from conversations.store import dump
from scoring.agreement import SplitQuestion
from scoring.checklist import Registry
from tests.benchmarks.store_figures import engine_for

FT = Registry().get()
Q1 = FT.question("q1").id
NAMES = {"U0": "Sam (U0)", "U1": "Ana (U1)", "U2": "Bo (U2)", "U3": "Cy (U3)", "U9": "Nobody (U9)"}


class Team:
    """A vote-mode evaluation of the fine-tuning checklist, and a front end that delivers everything it owes."""

    def __init__(self, quorum: int = 2) -> None:
        self.ev = flow.start(team="T", channel="C", project="Router", checklist=FT, user="U0", mode="vote",
                             quorum=quorum)
        self._n = 0
        flow.begin(self.ev, FT)
        self._deliver()

    def _deliver(self) -> None:
        for owed in list(self.ev.pending):
            effect = owed.effect
            if isinstance(effect, PostRoot):
                flow.root_posted(self.ev, self._ts())
            elif isinstance(effect, PostCard):
                flow.card_posted(self.ev, effect.question, self._ts())
            elif isinstance(effect, PostScorecard) and self.ev.scorecard_ts is None:
                flow.scorecard_posted(self.ev, self._ts())
            flow.delivered(self.ev, owed.key)

    def _ts(self) -> str:
        self._n += 1
        return f"100.{self._n:06d}"

    def open_question(self) -> str | None:
        return next((c.question for c in self.ev.open_cards().values()), None)

    def vote(self, votes: dict[str, str]) -> str:
        """Everyone in ``votes`` votes (an option key, or ``skip``) on the open card; returns its question."""
        qid = self.open_question()
        assert qid is not None
        for uid, key in votes.items():
            value = None if key == flow.SKIP else FT.option(key).value
            voting.vote(self.ev, FT, card_ts=self.ev.card_for(qid) or "", user=uid, value=value)
            self._deliver()
        return qid

    def settle(self, qid: str, key: str, user: str = "U0") -> flow.Outcome:
        value = None if key == flow.SKIP else FT.option(key).value
        out = voting.settle(self.ev, FT, question=qid, user=user, value=value)
        self._deliver()
        return out

    def change(self, qid: str, key: str, user: str) -> flow.Outcome:
        """As the listener asks it: only the starter here may change the team's answer (no leads, no admins)."""
        out = flow.change(self.ev, FT, question=qid, user=user, value=FT.option(key).value,
                          may_override=user == self.ev.started_by)
        self._deliver()
        return out

    def vote_the_rest(self, votes: dict[str, str]) -> None:
        while self.open_question() is not None:
            self.vote(votes)


def _all_yes(quorum: int = 2) -> Team:
    t = Team(quorum)
    t.vote_the_rest({"U1": "yes", "U2": "yes"})
    assert t.ev.status == "completed"
    return t


def _split_asked_again() -> Team:
    """q1 splits (U1 Yes, U2 No, U3 Yes), the starter chooses Not sure; the rest and q1 asked again: all Yes."""
    t = Team(quorum=3)
    assert t.vote({"U1": "yes", "U2": "no", "U3": "yes"}) == Q1
    assert flow.card_state(t.ev, Q1) == "split"
    t.settle(Q1, flow.SKIP)
    t.vote_the_rest({"U1": "yes", "U2": "yes", "U3": "yes"})
    assert t.ev.status == "completed" and len(t.ev.cards_of(Q1)) == 2  # q1 was asked again, and answered
    return t


def _csv(text: str) -> dict[str, dict[str, str]]:
    return {row["question"]: row for row in csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))}


def _md_row(md: str, key: str) -> str:
    return next(line for line in md.splitlines() if line.startswith(f"| {key} |"))


# -- a unanimous answer changed --------------------------------------------------------------------------------

def test_the_team_answer_is_a_vote_or_a_settled_split_not_an_answer_given_after_nobody_was_sure() -> None:
    t = Team()
    q1 = t.vote({"U1": "yes", "U2": "yes"})  # unanimous
    q2 = t.vote({"U1": "yes", "U2": "no"})  # split …
    t.settle(q2, "partly")  # … settled
    q3 = t.vote({"U1": flow.SKIP, "U2": flow.SKIP})  # nobody sure: skipped, asked again before the end
    assert [flow.team_answer(t.ev, q) for q in (q1, q2, q3)] == [True, True, False]
    t.change(q3, "no", user="U9")  # anyone may answer a question the team left open …
    assert not flow.team_answer(t.ev, q3) and t.ev.answers[q3].settled_by is None  # … and it is theirs, not the team's
    quick = flow.start(team="T", channel="C", project="P", checklist=FT, user="U0")
    quick.answers[q1] = AnswerEntry(question=q1, value=1.0, by="U1", at=quick.started_at)
    assert not flow.team_answer(quick, q1)  # quick mode: the first click is nobody's vote


def test_a_team_answer_is_changed_only_by_someone_who_may_override_it_checked_on_the_write() -> None:
    t = _all_yes()
    before = t.ev.answers[Q1]
    out = t.change(Q1, "no", user="U1")  # a voter, not the starter: the rule holds on the document being written
    assert not out.applied and out.notice is not None
    assert (out.notice.kind, out.notice.question, out.notice.actor) == ("team_answer", "q1", "U1")
    assert t.ev.answers[Q1] == before and not t.ev.pending  # nothing changed, nothing owed
    assert t.change(Q1, "no", user="U0").applied  # the starter may


def test_a_unanimous_answer_changed_is_counted_as_chosen_by_who_changed_it() -> None:
    t = _all_yes()
    before = voting.agreement(t.ev, FT)
    assert before is not None and before.summary == "20 of 20 questions unanimous (100%)"
    out = t.change(Q1, "no", user="U0")  # the starter (the listener lets only them, a lead or an admin)
    assert out.applied and t.ev.answers[Q1].settled_by == "U0" and t.ev.answers[Q1].previous == 1.0
    assert flow.team_answer(t.ev, Q1)  # still the team's record: the next change is for them too
    a = voting.agreement(t.ev, FT)
    assert a is not None and a.summary == "19 of 20 questions unanimous (95%)"
    [split] = a.splits
    assert (split.question, split.changed, split.settled, split.settled_by) == ("q1", True, "No", "U0")
    text = agreement_mrkdwn(a)
    assert "19 of 20 questions unanimous (95%)" in text
    assert f"• {FT.question('q1').name}: Yes 2 (unanimous) — changed to *No* by <@U0>" in text
    t.change(Q1, "yes", user="U0")  # changed back to what the team voted: unanimous again
    again = voting.agreement(t.ev, FT)
    assert again is not None and again.summary == "20 of 20 questions unanimous (100%)" and not again.splits


def test_every_export_says_the_unanimous_answer_was_changed_and_by_whom() -> None:
    t = _all_yes()
    t.change(Q1, "no", user="U0")
    data = json.loads(decision_record(t.ev, FT, "json", NAMES))
    row = data["answers"][0]
    assert (row["answer_label"], row["changed_from"], row["by"], row["votes"]) == (
        "No", 1.0, "Sam (U0)", {"Ana (U1)": "Yes", "Bo (U2)": "Yes"})
    agreement = data["scorecard"]["agreement"]
    assert agreement["unanimous"] == 19 and agreement["splits"][0]["changed"] is True
    assert agreement["splits"][0]["settled_by"] == "Sam (U0)"
    md = decision_record(t.ev, FT, "md", NAMES)
    assert "19 of 20 questions unanimous (95%)" in md
    assert "team vote: Ana (U1) Yes, Bo (U2) Yes; revealed at quorum; changed by Sam (U0)" in _md_row(md, "q1")
    assert "settled by" not in _md_row(md, "q1")  # nobody settled a split: the team agreed, then Sam changed it
    assert f"| {FT.question('q1').name} | Yes 2 (unanimous) | changed to **No** by Sam (U0) |" in md
    rows = _csv(decision_record(t.ev, FT, "csv", NAMES))
    assert rows["agreement"]["text"] == "19 of 20 questions unanimous (95%)"
    assert rows["split:q1"]["text"] == "Yes 2 (unanimous); changed to No by Sam (U0)"


# -- a split asked again -------------------------------------------------------------------------------------------

def test_a_split_asked_again_keeps_its_first_round_on_the_answer() -> None:
    t = _split_asked_again()
    entry = t.ev.answers[Q1]
    assert entry.value == 1.0 and entry.settled_by is None and entry.skips == 1
    [first] = entry.earlier
    assert first.votes == {"U1": 1.0, "U2": 0.0, "U3": 1.0} and first.settled_by == "U0"
    assert Q1 in t.ev.ballots and set(t.ev.ballots[Q1].votes) == {"U1", "U2", "U3"}  # the second round


def test_a_split_asked_again_is_not_counted_unanimous() -> None:
    t = _split_asked_again()
    a = voting.agreement(t.ev, FT)
    assert a is not None and a.summary == "19 of 20 questions unanimous (95%)"
    [split] = a.splits
    assert (split.question, split.settled, split.settled_by, split.changed) == ("q1", "Yes", None, False)
    assert [e.spread["Yes"] for e in split.earlier] == [2] and split.earlier[0].asked_again_by == "U0"
    text = agreement_mrkdwn(a)
    assert (f"• {FT.question('q1').name}: Yes 2 · No 1, asked again by <@U0>: Yes 3 — agreed on *Yes* when asked "
            "again") in text


def test_a_split_asked_again_and_split_again_keeps_both_rounds() -> None:
    t = Team(quorum=2)
    t.vote({"U1": "yes", "U2": "no"})
    t.settle(Q1, flow.SKIP)
    while t.open_question() != Q1:  # q1 comes back last …
        t.vote({"U1": "yes", "U2": "yes"})
    t.vote({"U1": "yes", "U2": "no"})  # … and splits again
    assert flow.card_state(t.ev, Q1) == "split"
    t.settle(Q1, "partly", user="U0")
    assert t.ev.status == "completed" and len(t.ev.answers[Q1].earlier) == 1
    a = voting.agreement(t.ev, FT)
    assert a is not None and [s.question for s in a.splits] == ["q1"]
    assert spread_of(a.splits[0]) == "Yes 1 · No 1, asked again: Yes 1 · No 1 — settled Partly by U0"


def spread_of(split: SplitQuestion) -> str:
    from scoring.agreement import outcome_text, spread_text  # here: what a split reads like, added with the fix

    return f"{spread_text(split)} — {outcome_text(split, str)}"


def test_every_export_keeps_the_first_round_of_a_split_asked_again() -> None:
    t = _split_asked_again()
    data = json.loads(decision_record(t.ev, FT, "json", NAMES))
    row = data["answers"][0]
    assert row["votes"] == {"Ana (U1)": "Yes", "Bo (U2)": "Yes", "Cy (U3)": "Yes"}
    assert row["earlier_votes"] == [{"votes": {"Ana (U1)": "Yes", "Bo (U2)": "No", "Cy (U3)": "Yes"},
                                     "asked_again_by": "Sam (U0)"}]
    assert data["answers"][1]["earlier_votes"] is None  # asked once: nothing earlier
    agreement = data["scorecard"]["agreement"]
    assert agreement["unanimous"] == 19
    assert agreement["splits"][0]["earlier"] == [{"spread": {"Yes": 2, "Partly": 0, "No": 1, "Not sure": 0},
                                                  "asked_again_by": "Sam (U0)"}]
    md = decision_record(t.ev, FT, "md", NAMES)
    assert "19 of 20 questions unanimous (95%)" in md
    assert ("earlier vote: Ana (U1) Yes, Bo (U2) No, Cy (U3) Yes; asked again by Sam (U0); team vote: Ana (U1) Yes, "
            "Bo (U2) Yes, Cy (U3) Yes; revealed at quorum") in _md_row(md, "q1")
    # the splits table says how it ended, in words, rather than leave a blank "settled by" for a team that agreed
    assert (f"| {FT.question('q1').name} | Yes 2 · No 1, asked again by Sam (U0): Yes 3 "
            "| agreed on **Yes** when asked again |") in md
    rows = _csv(decision_record(t.ev, FT, "csv", NAMES))
    assert rows["q1"]["earlier_votes"] == ("earlier vote: Ana (U1) Yes, Bo (U2) No, Cy (U3) Yes; asked again by "
                                           "Sam (U0)")
    assert rows["split:q1"]["text"] == "Yes 2 · No 1, asked again by Sam (U0): Yes 3; agreed on Yes when asked again"


def test_a_question_nobody_was_sure_of_then_agreed_on_is_unanimous() -> None:
    t = Team(quorum=2)
    t.vote({"U1": flow.SKIP, "U2": flow.SKIP})
    t.vote_the_rest({"U1": "yes", "U2": "yes"})
    assert t.ev.status == "completed" and t.ev.answers[Q1].earlier[0].settled_by is None
    a = voting.agreement(t.ev, FT)
    assert a is not None and a.summary == "20 of 20 questions unanimous (100%)"  # no disagreement in either round
    row = json.loads(decision_record(t.ev, FT, "json", NAMES))["answers"][0]
    assert row["earlier_votes"] == [{"votes": {"Ana (U1)": "Not sure", "Bo (U2)": "Not sure"}, "asked_again_by": None}]


# -- stored -----------------------------------------------------------------------------------------------------

def test_the_rounds_are_stored_compactly_and_absent_by_default() -> None:
    plain = _all_yes()
    assert '"earlier"' not in dump(plain.ev)  # nothing asked again: nothing added to the document
    t = _split_asked_again()
    text = dump(t.ev)
    assert text.count('"earlier"') == 1
    added = len('{"votes":{"U1":1.0,"U2":0.0,"U3":1.0},"settled_by":"U0"}') + len(',"earlier":[]')
    assert len(text) - len(dump(_without_earlier(t.ev))) == added  # one round: ~70 bytes
    loaded = Evaluation.model_validate_json(text)
    assert loaded.answers[Q1].earlier == t.ev.answers[Q1].earlier


def _without_earlier(ev: Evaluation) -> Evaluation:
    copy = ev.model_copy(deep=True)
    copy.answers[Q1].earlier = []
    return copy


def test_a_document_written_before_the_rounds_were_kept_still_loads() -> None:
    t = _split_asked_again()
    raw: dict[str, Any] = json.loads(dump(t.ev))
    del raw["answers"][Q1]["earlier"]  # as stored by the previous version, which dropped the first round
    old = Evaluation.model_validate(raw)
    assert old.answers[Q1].earlier == []
    a = voting.agreement(old, FT)
    assert a is not None and a.summary == "20 of 20 questions unanimous (100%)"  # what it knew: its record is gone
    assert json.loads(decision_record(old, FT, "json"))["answers"][0]["earlier_votes"] is None


async def test_through_the_engine_and_redis_the_first_round_and_the_change_stay(redis_client: aioredis.Redis) -> None:
    engine = engine_for(redis_client)
    try:
        ev = await engine.start(team="T", channel="C", project="Router", checklist_id=None, user="U0", mode="vote",
                                quorum=2)
        for step in range(60):
            open_cards = ev.open_cards()
            if not open_cards:
                break
            ts = next(iter(open_cards))
            qid = open_cards[ts].question
            first = qid == Q1 and not ev.answers.get(Q1)
            for uid, value in (("U1", 1.0), ("U2", 0.0 if first else 1.0)):
                ev, _ = await engine.answer(ev.id, card_ts=ts, user=uid, value=value, seen=f"{ts}:{uid}:{step}")
            if flow.card_state(ev, qid) == "split":
                ev, _ = await engine.settle(ev.id, question=qid, user="U0", value=None)
        assert ev.status == "completed"
        ev, _ = await engine.change(ev.id, question=FT.question("q2").id, user="U0", value=0.0, may_override=True)
        stored = await engine.store.get(ev.id)
        assert stored is not None
        a = voting.agreement(stored, FT)
        assert a is not None and a.summary == "18 of 20 questions unanimous (90%)"
        splits = [(s.question, s.changed, bool(s.earlier)) for s in a.splits]
        assert splits == [("q1", False, True), ("q2", True, False)]  # q1 asked again after a split; q2 changed
        assert stored.answers[Q1].earlier[0].votes == {"U1": 1.0, "U2": 0.0}
    finally:
        await engine.aclose()


def test_the_export_names_people_who_voted_only_in_an_earlier_round() -> None:
    from bot.leads.exports import people_in_record
    from conversations.models import AnswerEntry, EarlierRound

    ev = flow.start(team="T", channel="C", project="P", checklist=Registry().get(), user="U1", mode="vote")
    ev.answers["q"] = AnswerEntry(question="q", value=1.0, by="U2", at=ev.started_at,
                                  earlier=[EarlierRound(votes={"U7": 1.0, "U8": 0.0}, settled_by="U9")])
    assert {"U7", "U8", "U9"} <= people_in_record(ev)
