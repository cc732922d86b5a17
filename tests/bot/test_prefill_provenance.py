"""A re-evaluation says whose last time's answers were and when: the open card (who, the day, a split and who
settled it), a confirmed answer marked as kept, and a note carried from last time marked as such, on Slack's cards,
in the exports and in the terminal. Also: a vote with a quorum of 1 says "reveal at 1 vote"."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.blocks.evaluation import root_blocks
from bot.terminal.walk import Target, answers_list, prompt_for, shown_note
from conversations import flow
from conversations.export import decision_record
from conversations.models import Evaluation
from conversations.store import dump
from tests.bot.delivered import block_text
from tests.bot.test_thread_review_fixes import FT, Walk

THEN = datetime(2026, 9, 5, 15, 0, tzinfo=UTC)  # last quarter's evaluation completed: 6 Sep in Auckland
DAY = f"<!date^{int(THEN.timestamp())}^{{date_short_pretty}}|2026-09-05>"  # Slack shows it in the reader's zone
NZ = ZoneInfo("Pacific/Auckland")
NOTE = "No held-out set yet; Cy owns it"
NAMES = {"U1": "Ana (U1)", "U2": "Bo (U2)", "U3": "Cy (U3)", "U4": "Di (U4)"}


def _note(ev: Evaluation, key: str, user: str, text: str) -> None:
    flow.add_note(ev, FT, question=FT.question(key).id, user=user, note=text)


def quick_last_quarter() -> Evaluation:
    """q1 No by U1, the rest by U2 (q12 No, with Cy's note; q4 No with Ana's note), completed on ``THEN``."""
    t = Walk()
    for n in range(1, 21):
        t.answer(f"q{n}", "U1" if n == 1 else "U2", "no" if n in (1, 4, 12) else "yes")
    _note(t.ev, "q12", "U3", NOTE)
    _note(t.ev, "q4", "U1", "only one labeler so far")
    t.ev.completed_at = THEN
    return t.ev


def vote_last_quarter() -> Evaluation:
    """A team vote: q1 split (U1 No, U2 Yes) settled No by the starter U1; q3 agreed Yes, changed to Partly by U1
    after the vote; the rest agreed."""
    t = Walk(mode="vote", quorum=2)
    t.vote("q1", "U1", "no")
    t.vote("q1", "U2", "yes")
    t.settle("q1", "U1", "no")
    for n in range(2, 21):
        t.vote(f"q{n}", "U1", "yes")
        t.vote(f"q{n}", "U2", "yes")
    flow.change(t.ev, FT, question=FT.question("q3").id, user="U1", value=0.5, may_override=True)
    assert t.ev.status == "completed"
    t.ev.completed_at = THEN
    return t.ev


def last_time_line(t: Walk, key: str) -> str:
    return next(line for line in block_text(t.blocks(t.cards(key)[-1])).splitlines() if line.startswith("Last time"))


def test_the_open_card_says_whose_last_times_answer_was_and_when() -> None:
    t = Walk(previous=quick_last_quarter())
    assert last_time_line(t, "q1") == f"Last time: *No* (<@U1>, {DAY}) — confirm it or change it."


def test_the_open_card_says_a_split_and_who_settled_it_a_team_vote_and_a_change_after_the_vote() -> None:
    t = Walk(mode="vote", quorum=2, previous=vote_last_quarter())
    assert last_time_line(t, "q1") == f"Last time: *No* (split, settled by <@U1>, {DAY}) — confirm it or change it."
    t.vote("q1", "U1", "no")
    t.vote("q1", "U2", "no")
    assert last_time_line(t, "q2") == f"Last time: *Yes* (team vote, {DAY}) — confirm it or change it."
    t.vote("q2", "U1", "yes")
    t.vote("q2", "U2", "yes")
    assert last_time_line(t, "q3") == (f"Last time: *Partly* (changed by <@U1> after the vote, {DAY}) — confirm it "
                                       "or change it.")


def test_last_times_note_is_shown_with_who_wrote_it_while_the_question_is_open() -> None:
    t = Walk(previous=quick_last_quarter())
    for n in range(1, 12):
        t.answer(f"q{n}", "U2", "yes")
    assert last_time_line(t, "q12") == (f"Last time: *No* (<@U2>, {DAY}; note by <@U3>: “{NOTE}”) — confirm it or "
                                        "change it.")


def test_a_confirmed_answer_says_it_was_kept_and_a_changed_one_what_it_was() -> None:
    t = Walk(previous=quick_last_quarter())
    t.answer("q1", "U4", "partly")
    t.answer("q2", "U2", "yes")
    assert block_text(t.blocks(t.cards("q2")[0])).splitlines()[0] == (
        f"✓ *q2* Yes — <@U2> · _kept from {DAY}_ · diverse examples")
    q1 = block_text(t.blocks(t.cards("q1")[0]))
    assert "_was *No* last time_" in q1 and "kept" not in q1


def test_a_carried_note_says_it_is_from_last_time_and_a_new_one_does_not() -> None:
    t = Walk(previous=quick_last_quarter())
    for n in range(1, 13):
        t.answer(f"q{n}", "U2", "no" if n in (4, 12) else "yes")
    q12 = block_text(t.blocks(t.cards("q12")[0])).splitlines()
    assert q12 == [f"✓ *q12* No — <@U2> · _kept from {DAY}_ · ML engineer", f":memo: from {DAY}, <@U3>: {NOTE}"]
    _note(t.ev, "q4", "U2", "two labelers now")  # written in this evaluation: no "from"
    assert block_text(t.blocks(t.cards("q4")[0])).splitlines()[1] == ":memo: two labelers now — <@U2>"


def reevaluated() -> Walk:
    """The re-evaluation of the vote: q1 Partly (changed), q12 kept with Cy's note, the rest kept."""
    before = vote_last_quarter()
    _note(before, "q12", "U3", NOTE)
    _note(before, "q1", "U1", "320 labelled cases")
    t = Walk(previous=before)
    for n in range(1, 21):
        t.answer(f"q{n}", "U2" if n % 2 == 0 else "U4", "partly" if n in (1, 3) else "yes")
    assert t.ev.status == "completed"
    return t


def test_the_markdown_export_says_whose_last_times_answer_was_and_that_a_note_is_from_then() -> None:
    t = reevaluated()
    md = decision_record(t.ev, FT, "md", names=NAMES, tz=NZ)
    rows = {line.split(" | ")[0].removeprefix("| "): line.split(" | ") for line in md.splitlines()
            if line.startswith("| q")}
    # columns: #, Question, Answer, Last time, By, When, Note, Suggestion
    assert rows["q1"][2:5] == ["Partly", "No — split, settled by Ana (U1), 2026-09-06; note: “320 labelled cases” "
                                         "— Ana (U1)", "Di (U4)"]
    assert rows["q2"][3] == "Yes — team vote, 2026-09-06"
    assert rows["q12"][6] == f"(from 2026-09-06) {NOTE} — Cy (U3)"


def test_the_json_and_csv_exports_say_it_too() -> None:
    t = reevaluated()
    answers = {a["question"]: a for a in json.loads(decision_record(t.ev, FT, "json", names=NAMES))["answers"]}
    assert (answers["q1"]["last_time"], answers["q1"]["last_time_by"], answers["q1"]["last_time_team"],
            answers["q1"]["last_time_at"]) == ("No", "Ana (U1)", "split", THEN.isoformat())
    assert (answers["q1"]["last_time_note"], answers["q1"]["note_from"]) == ("320 labelled cases", None)
    assert (answers["q12"]["note"], answers["q12"]["note_by"], answers["q12"]["note_from"]) == (
        NOTE, "Cy (U3)", THEN.isoformat())
    csv = decision_record(t.ev, FT, "csv", names=NAMES)
    assert "note_from" in csv.splitlines()[0] and THEN.isoformat() in csv


def test_the_terminal_says_whose_and_when_and_that_a_note_is_from_last_time() -> None:
    t = Walk(previous=quick_last_quarter())
    prompt = prompt_for(t.ev, FT, Target(FT.question("q1").id, t.cards("q1")[0]), NZ)
    assert "  Last time: No (U1, 2026-09-06) (press Enter to keep it)" in prompt.splitlines()
    for n in range(1, 13):
        t.answer(f"q{n}", "U2", "no" if n in (1, 4, 12) else "yes")
    listed = answers_list(t.ev, FT, 120, NZ).splitlines()
    assert f"        note (from 2026-09-06, U3): “{NOTE}”" in listed
    q12 = t.ev.answers[FT.question("q12").id]
    assert shown_note(q12, "q12", "U2", FT, "from 2026-09-06").startswith(
        f"q12's note (by U3, from 2026-09-06): “{NOTE}”")


def test_a_re_evaluation_kept_before_it_knew_whose_still_loads_and_says_what_it_knows() -> None:
    old = Walk(previous=quick_last_quarter())
    stored = json.loads(dump(old.ev))
    for field in ("prefill_by", "prefill_team", "prefill_at"):
        stored.pop(field, None)
    old.ev = Evaluation.model_validate(stored)  # as a document written by the version before loads
    assert (old.ev.prefill_by, old.ev.prefill_team, old.ev.prefill_at) == ({}, {}, None)
    assert last_time_line(old, "q1") == "Last time: *No* — confirm it or change it."
    for n in range(1, 13):
        flow.answer(old.ev, FT, card_ts=old.cards(f"q{n}")[-1], user="U2", value=0.0 if n in (1, 4, 12) else 1.0)
        old._deliver()
    assert block_text(old.blocks(old.cards("q12")[0])).splitlines() == [
        "✓ *q12* No — <@U2> · _kept from last time_ · ML engineer", f":memo: from last time, <@U3>: {NOTE}"]
    # the data files hold a time or nothing where the date is not known (not the words "last time"); the
    # Markdown still says the note is last time's
    answers = {a["question"]: a for a in json.loads(decision_record(old.ev, FT, "json", names=NAMES))["answers"]}
    assert (answers["q12"]["note"], answers["q12"]["note_from"], answers["q12"]["last_time_at"]) == (NOTE, None, None)
    assert "carried" not in answers["q12"]
    assert "last time" not in decision_record(old.ev, FT, "csv", names=NAMES).split("\n", 1)[0]
    md = decision_record(old.ev, FT, "md", names=NAMES, tz=NZ)
    assert f"(from last time) {NOTE} — U3" in md or f"(from last time) {NOTE}" in md, md


def test_whose_and_when_costs_ids_and_one_date() -> None:
    """Three people answered last time: each id is written once, beside the question ids it answered."""
    t = Walk(previous=quick_last_quarter())
    stored = json.loads(dump(t.ev))
    kept = {k: stored[k] for k in ("prefill_by", "prefill_at")}
    assert "prefill_team" not in stored  # a quick evaluation's answers were nobody's vote
    assert len(json.dumps(kept, separators=(",", ":"))) < 20 * 22 + 100  # about a question id's length each
    vote = json.loads(dump(Walk(previous=vote_last_quarter()).ev))  # the answers the votes agreed on: not listed
    q1, q3 = FT.question("q1").id, FT.question("q3").id
    assert (vote["prefill_by"], vote["prefill_team"]) == ({"U1": [q1, q3]}, {"split": [q1], "changed": [q3]})


def test_a_vote_with_a_quorum_of_one_says_reveal_at_1_vote() -> None:
    assert "team vote, reveal at 1 vote ·" in block_text(root_blocks(Walk(mode="vote", quorum=1).ev, FT))
    assert "team vote, reveal at 2 votes ·" in block_text(root_blocks(Walk(mode="vote", quorum=2).ev, FT))
