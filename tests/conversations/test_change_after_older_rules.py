"""A change after the scorecard of an evaluation decided with an older version of its checklist: the evaluation is
decided anew with today's rules, and the reply says what moved the decision — today's rules, the change, or both —
instead of laying the whole move on the change. And the scorecard's "Updated after it was posted" lists every answer
changed since, not only the latest."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.blocks.scorecard import decision_change_text, scorecard_blocks
from conversations.effects import PostDecisionChange
from conversations.engine import scorecard_of
from tests.bot.delivered import block_text
from tests.conversations.test_change_keeps_who import FT, _ft_done
from tests.conversations.test_walk import Thread


def _decided_with_older_rules(t: Thread, **update: object) -> None:
    """As if the evaluation had been completed under an older checklist: another fingerprint, and ``update``."""
    assert t.ev.decided is not None
    t.ev.decided = t.ev.decided.model_copy(update={"fingerprint": "older-rules", **update})


def _told(t: Thread, key: str, option: str) -> list[PostDecisionChange]:
    out = t.step("change", FT.question(key).id, option, user="U3")
    return [e for e in out.effects if isinstance(e, PostDecisionChange)]


def test_a_change_that_does_not_move_the_decision_under_todays_rules_says_the_rules_moved_it() -> None:
    """Review R1: an old Not yet (today's tree decides otherwise); q20 lowered Yes → Partly. The reply blamed q20."""
    t = _ft_done(note=False)
    _decided_with_older_rules(t, decision="Not yet", tone="warn", reason="q8 (…) blocks it")
    [told] = _told(t, "q20", "partly")
    assert told.rules is not None and told.rules.decision == "Strong go" and told.rules.total == 20
    assert decision_change_text(FT, told, None) == (
        "The decision is now :white_check_mark: *Strong go* (was :warning: *Not yet*), 19.5/20 (was 20/20): <@U3> "
        "changed q20 (maintenance plan) from *Yes* (<@U1>) to *Partly*. Not because of this change: "
        "the checklist's rules changed since this evaluation was decided (with the answers before this change, "
        "today's rules give :white_check_mark: *Strong go*, 20/20), and the scorecard now follows today's rules. "
        "Details in the scorecard.")


def test_a_change_that_moves_the_decision_under_todays_rules_too_says_both_moved_it() -> None:
    t = _ft_done(note=False)
    _decided_with_older_rules(t, decision="Conditional go", tone="go", band="conditional", band_name="Conditional go")
    [told] = _told(t, "q1", "no")
    text = decision_change_text(FT, told, None)
    assert text == (
        "The decision is now :warning: *Not yet* (was :white_check_mark: *Conditional go*), 19/20 (was 20/20): "
        "<@U3> changed q1 (500+ labeled examples) from *Yes* (<@U2>) to *No*. Both moved it: the "
        "checklist's rules changed since this evaluation was decided (with the answers before this change, today's "
        "rules give :white_check_mark: *Strong go*, 20/20), and this change moved it from there; the scorecard now "
        "follows today's rules. Details in the scorecard."), text


def test_older_rules_that_decide_as_todays_leave_the_reply_as_it_was_and_the_stored_effect_without_rules() -> None:
    t = _ft_done(note=False)
    _decided_with_older_rules(t)  # another checklist version, the same result
    [told] = _told(t, "q1", "no")
    assert told.rules is None
    assert "rules" not in json.loads(told.model_dump_json(exclude_defaults=True))
    assert decision_change_text(FT, told, None) == (
        "The decision is now :warning: *Not yet* (was :white_check_mark: *Strong go*), 19/20 (was 20/20): <@U3> "
        "changed q1 (500+ labeled examples) from *Yes* (<@U2>) to *No*. Details in the scorecard.")


def test_a_band_moved_by_todays_rules_under_the_same_decision_is_named() -> None:
    t = _ft_done(note=False)
    t.step("change", FT.question("q1").id, "no", user="U3")  # Not yet, Strong go by the score alone
    _decided_with_older_rules(t, band="conditional", band_name="Conditional go")
    [told] = _told(t, "q2", "no")  # 18/20: Strong go still, under the same decision
    text = decision_change_text(FT, told, None)
    assert ("The decision stays :warning: *Not yet*; the score alone, 18/20, is now *Strong go* (was *Conditional "
            "go*, 19/20): <@U3> changed q2 (diverse examples) from *Yes* (<@U1>) to *No*. Not because of this "
            "change: the checklist's rules changed since this evaluation was decided "
            "(with the answers before this change, today's rules give :warning: *Not yet*, 19/20, the score alone "
            "*Strong go*), and the scorecard now follows today's rules.") in text, text


# -- R3: every answer changed after the scorecard was posted -----------------------------------------------------------

def _updated(t: Thread) -> str:
    card = block_text(scorecard_blocks(t.ev, FT, scorecard_of(t.ev, FT)))
    return next(line for line in card.splitlines() if "Updated after it was posted" in line)


def test_the_scorecard_lists_every_answer_changed_since_it_was_posted_each_once() -> None:
    """Review R3: q1 Yes → No (which blocks the decision) then q3 Yes → Partly showed only the q3 change."""
    t = _ft_done(note=False)
    assert t.ev.completed_at is not None
    t.ev.completed_at -= timedelta(seconds=1)  # the changes come later than the completion, on any clock
    t.step("change", FT.question("q1").id, "no", user="U3")
    t.step("change", FT.question("q3").id, "partly", user="U3")
    assert _updated(t).endswith(
        "Updated after it was posted: q1 Yes (<@U2>) → No (<@U3>); q3 Yes (<@U1>) → Partly (<@U3>)"), _updated(t)
    t.step("change", FT.question("q1").id, "partly", user="U4")
    assert _updated(t).endswith(
        "Updated after it was posted: q1 No (<@U3>) → Partly (<@U4>); q3 Yes (<@U1>) → Partly (<@U3>)"), _updated(t)


def test_more_than_five_changed_answers_show_the_latest_five_and_how_many_more() -> None:
    t = _ft_done(note=False)
    assert t.ev.completed_at is not None
    t.ev.completed_at -= timedelta(seconds=1)
    for key in ("q2", "q3", "q4", "q5", "q6", "q7", "q8"):
        t.step("change", FT.question(key).id, "partly", user="U3")
    line = _updated(t)
    assert line.count("→") == 5 and line.endswith("; and 2 more"), line
    assert "q4 Yes (<@U1>) → Partly (<@U3>); q5" in line and "q2 " not in line and "q3 " not in line, line
