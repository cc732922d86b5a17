"""A changed answer keeps who gave the answer it replaced, and a note kept through the change says which answer it
was written about: on the card, in the terminal and in the exports. A change after the scorecard that changes the
decision (or the band) owes one short reply in the thread; one that leaves them as they were owes only redraws."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.blocks.evaluation import card_blocks, left_cards, root_blocks
from bot.blocks.scorecard import decision_change_text, scorecard_blocks
from bot.terminal.walk import answers_list, shown_note
from conversations import flow
from conversations.effects import PostDecisionChange
from conversations.engine import scorecard_of
from conversations.export import decision_record
from conversations.models import Evaluation
from scoring.checklist import Registry
from tests.bot.delivered import block_text
from tests.conversations.test_export_review_fixes import csv_rows
from tests.conversations.test_walk import DATA, Q1, Q2, Q3, Thread

FT = Registry().get()
NOTE = "We have 2,000 labeled tickets, well over 500."


def _ft_done(note: bool = True) -> Thread:
    """The fine-tuning checklist, every answer Yes: U2 answered q1 (with a note), U1 the rest."""
    t = Thread(FT)
    q1 = FT.question("q1").id
    t.step("answer", q1, "yes", user="U2")
    if note:
        assert flow.add_note(t.ev, FT, question=q1, user="U2", note=NOTE).applied
    while (open_cards := list(t.ev.open_cards().values())):
        t.step("answer", open_cards[0].question, "yes", user="U1")
    assert t.ev.status == "completed"
    return t


def _card(ev: Evaluation, key: str) -> str:
    return block_text(card_blocks(ev, FT, ev.cards_of(FT.question(key).id)[-1]))


def test_the_card_of_a_changed_answer_names_who_gave_the_one_it_replaced_and_the_note_its_answer() -> None:
    t = _ft_done()
    t.step("change", FT.question("q1").id, "no", user="U3")
    card = _card(t.ev, "q1")
    assert "✓ *q1* No — <@U3> · _changed from Yes (<@U2>)_ · 500+ labeled examples" in card, card
    assert f":memo: _(on the earlier Yes)_ {NOTE} — <@U2>" in card, card


def test_ones_own_change_stays_short_and_a_change_back_puts_the_note_beside_its_answer_again() -> None:
    t = _ft_done()
    q1 = FT.question("q1").id
    t.step("change", q1, "no", user="U2")
    card = _card(t.ev, "q1")
    assert "✓ *q1* No — <@U2> · _changed from Yes_ ·" in card, card  # the same person: no name twice
    t.step("change", q1, "partly", user="U3")
    assert "_changed from No (<@U2>)_" in _card(t.ev, "q1")
    assert "_(on the earlier Yes)_" in _card(t.ev, "q1")  # the first answer it stayed through
    t.step("change", q1, "yes", user="U4")
    card = _card(t.ev, "q1")
    assert f":memo: {NOTE} — <@U2>" in card and "on the earlier" not in card, card


def test_a_note_written_after_the_change_is_about_the_answer_beside_it() -> None:
    t = _ft_done()
    q1 = FT.question("q1").id
    t.step("change", q1, "no", user="U3")
    assert flow.add_note(t.ev, FT, question=q1, user="U3", note="Only 300 are labeled; the rest are raw.").applied
    card = _card(t.ev, "q1")
    assert ":memo: Only 300 are labeled; the rest are raw. — <@U3>" in card and "on the earlier" not in card
    assert t.ev.answers[q1].note_on is None


def test_the_new_fields_stay_out_of_the_stored_document_unless_used() -> None:
    t = _ft_done(note=False)
    q1 = FT.question("q1").id
    t.step("change", q1, "no", user="U2")  # one's own answer, no note: nothing more to keep
    stored = json.loads(t.ev.model_dump_json(exclude_defaults=True))["answers"][q1]
    assert "previous_by" not in stored and "note_on" not in stored
    t.step("change", FT.question("q2").id, "no", user="U3")
    stored = json.loads(t.ev.model_dump_json(exclude_defaults=True))["answers"][FT.question("q2").id]
    assert stored["previous_by"] == "U1" and "note_on" not in stored
    assert Evaluation.model_validate_json(t.ev.model_dump_json(exclude_defaults=True)) == t.ev


def test_a_change_of_a_team_answer_names_no_single_voter() -> None:
    t = Thread(mode="vote", quorum=2)
    t.step("vote", Q1, "pass", user="U1")
    t.step("vote", Q1, "pass", user="U2")
    t.step("change", Q1, "fail", user="U0")
    assert t.ev.answers[Q1].previous_by is None  # the card shows the votes instead


# -- the thread is told when the decision changes -----------------------------------------------------------------

def _data_done() -> Thread:
    t = Thread()
    for q in (Q1, Q2, Q3):
        t.step("answer", q, "pass", user="U1")
    return t


def test_a_change_that_changes_the_decision_owes_one_reply_and_one_that_does_not_only_redraws() -> None:
    t = _data_done()
    version = t.ev.version
    out = t.step("change", Q1, "fail", user="U2")
    assert out.moves == ["change:answered->answered", "change:completed->completed", "redecide:completed->completed"]
    assert [e.key for e in out.effects] == [f"update_card:{Q1}", "post_scorecard",
                                            f"post_decision_change:{version}", "update_root"]
    told = out.effects[2]
    assert isinstance(told, PostDecisionChange)
    assert (told.by, told.was, told.was_by, told.now) == ("U2", 1.0, "U1", 0.0)
    assert (told.before.decision, told.after.decision) == ("Ready to train", "Not ready — hold the budget")
    quiet = t.step("change", Q2, "fail", user="U2")  # still not ready: the scorecard and root redraw, no reply
    assert [e.key for e in quiet.effects] == [f"update_card:{Q2}", "post_scorecard", "update_root"]
    t.step("change", Q2, "pass", user="U2")
    back = t.step("change", Q1, "pass", user="U3")  # ready again: its own reply
    assert [e.kind for e in back.effects].count("post_decision_change") == 1


def test_the_reply_says_who_changed_what_from_whose_answer_and_the_decision_then_and_now() -> None:
    t = _ft_done()
    out = t.step("change", FT.question("q1").id, "no", user="U3")
    [told] = [e for e in out.effects if isinstance(e, PostDecisionChange)]
    text = decision_change_text(FT, told, "https://x.slack.com/archives/C/p9")
    assert text == ("The decision is now :warning: *Not yet* (was :white_check_mark: *Strong go*), 19/20 (was "
                    "20/20): <@U3> changed q1 (500+ labeled examples) from *Yes* (<@U2>) to *No*. Details in "
                    "<https://x.slack.com/archives/C/p9|the scorecard>."), text


def test_a_band_that_moves_under_the_same_decision_is_told_as_such() -> None:
    t = _ft_done()
    t.step("change", FT.question("q1").id, "no", user="U3")  # Not yet: the decision tree stops at q1
    lowered = [t.step("change", FT.question(k).id, "no", user="U3") for k in ("q2", "q3", "q4", "q5")]
    told = [e for out in lowered for e in out.effects if isinstance(e, PostDecisionChange)]
    assert len(told) == 1, told  # only the change that moved the band
    text = decision_change_text(FT, told[0], None)
    assert text.startswith("The decision stays :warning: *Not yet*; the score alone, ") and ": <@U3> changed q" in text
    assert text.endswith("Details in the scorecard."), text


def test_the_scorecard_says_it_was_updated_after_it_was_posted() -> None:
    t = _ft_done()
    first = block_text(scorecard_blocks(t.ev, FT, scorecard_of(t.ev, FT)))
    assert "Updated after it was posted" not in first
    assert t.ev.completed_at is not None
    t.ev.completed_at -= timedelta(seconds=1)  # the change comes later than the completion, on any clock
    t.step("change", FT.question("q1").id, "no", user="U3")
    card = block_text(scorecard_blocks(t.ev, FT, scorecard_of(t.ev, FT)))
    assert "Updated after it was posted: q1 Yes (<@U2>) → No (<@U3>)" in card, card


# -- the terminal and the exports -----------------------------------------------------------------------------------

def test_the_terminal_says_which_answer_a_note_was_written_about() -> None:
    t = _ft_done()
    q1 = FT.question("q1").id
    t.step("change", q1, "no", user="U3")
    listing = answers_list(t.ev, FT, 200)
    assert f"note (on the earlier Yes): “{NOTE}”" in listing, listing
    shown = shown_note(t.ev.answers[q1], "q1", "U3", FT)
    assert shown.startswith(f"q1's note (by U2, on the earlier Yes): “{NOTE}”."), shown


def test_the_exports_keep_who_gave_the_earlier_answer_and_which_answer_the_note_is_about() -> None:
    t = _ft_done()
    t.step("change", FT.question("q1").id, "no", user="U3")
    names = {"U1": "Maya", "U2": "Dev", "U3": "Sam"}
    md = decision_record(t.ev, FT, "md", names=names)
    row = next(line for line in md.splitlines() if line.startswith("| q1 "))
    assert "No (changed from Yes (Dev))" in row and f"(on the earlier Yes) {NOTE} — Dev" in row, row
    q1 = json.loads(decision_record(t.ev, FT, "json", names=names))["answers"][0]
    assert (q1["changed_from"], q1["changed_from_by"], q1["note_on"]) == (1.0, "Dev", "Yes")
    csv_q1 = csv_rows(decision_record(t.ev, FT, "csv", names=names))["q1"]
    assert (csv_q1["changed_from_by"], csv_q1["note_on"], csv_q1["note"]) == ("Dev", "Yes", NOTE)


# -- D2: the root names and links what is left ----------------------------------------------------------------------

def _stalled() -> Thread:
    t = Thread(FT)
    while (open_cards := list(t.ev.open_cards().values())):
        q = open_cards[0].question
        t.step("skip" if FT.question(q).key == "q12" else "answer", q, None if FT.question(q).key == "q12" else "yes")
    return t


def test_the_root_names_and_links_a_question_skipped_twice_and_the_provisional_scorecard() -> None:
    t = _stalled()
    q12 = FT.question("q12").id
    assert t.ev.scorecard_ts is not None and len(t.ev.cards_of(q12)) == 2
    root = block_text(root_blocks(t.ev, FT, "https://x/sc", {q12: "https://x/q12"}))
    assert ("Only <https://x/q12|q12 (ML engineer)> is left: it was skipped twice, so anyone may answer it from the "
            "⋯ menu on its card. The <https://x/sc|provisional scorecard> has the result so far.") in root, root
    unlinked = block_text(root_blocks(t.ev, FT))
    assert "Only q12 (ML engineer) is left: it was skipped twice" in unlinked
    assert "The provisional scorecard has the result so far." in unlinked


def test_the_root_links_the_newest_card_of_each_question_left() -> None:
    t = _stalled()
    q12 = FT.question("q12").id
    assert left_cards(t.ev, FT) == {q12: t.ev.cards_of(q12)[-1]}
    assert left_cards(_data_done().ev, DATA) == {}
