"""Review finding: the reply posted when a change after the scorecard moves the decision has no blocks, so Slack's
notifications show its text, cut at about 80 characters, and the new decision came only after some 100 ("Updated:
<@U2> changed q1 (…) from *Yes* (<@U1>) to *No*. The decision is now …"). It now leads with the decision (with the
project's name when the caller gives it) and keeps every fact it had: who changed what from whose answer, the
decision and total then and now, and the 'rules changed' words."""

from __future__ import annotations

import inspect

from bot.blocks.scorecard import decision_change_text
from conversations.effects import PostDecisionChange
from tests.conversations.test_change_after_older_rules import _decided_with_older_rules, _told
from tests.conversations.test_change_keeps_who import FT, _ft_done

SEEN = 80  # what a push notification shows of a message's text
CHANGE = "<@U3> changed q1 (500+ labeled examples) from *Yes* (<@U2>) to *No*."


def _q1_to_no() -> PostDecisionChange:
    t = _ft_done()
    out = t.step("change", FT.question("q1").id, "no", user="U3")
    [told] = [e for e in out.effects if isinstance(e, PostDecisionChange)]
    return told


def test_the_new_decision_comes_first_and_every_fact_stays() -> None:
    text = decision_change_text(FT, _q1_to_no(), "https://x.slack.com/archives/C/p9")
    assert text == ("The decision is now :warning: *Not yet* (was :white_check_mark: *Strong go*), 19/20 (was "
                    f"20/20): {CHANGE} Details in <https://x.slack.com/archives/C/p9|the scorecard>."), text
    assert "*Not yet*" in text[:SEEN]


def test_with_the_project_it_leads_with_the_project_escaped() -> None:
    assert "project" in inspect.signature(decision_change_text).parameters
    text = decision_change_text(FT, _q1_to_no(), None, project="R&D <router>")
    assert text.startswith("R&amp;D &lt;router&gt; is now :warning: *Not yet* (was :white_check_mark: *Strong "
                           "go*), 19/20 (was 20/20): "), text
    assert text.endswith(f"{CHANGE} Details in the scorecard."), text


def test_a_band_moved_under_the_same_decision_leads_with_the_decision_kept() -> None:
    t = _ft_done()
    t.step("change", FT.question("q1").id, "no", user="U3")  # Not yet: the decision tree stops at q1
    lowered = [t.step("change", FT.question(k).id, "no", user="U3") for k in ("q2", "q3", "q4", "q5")]
    [told] = [e for out in lowered for e in out.effects if isinstance(e, PostDecisionChange)]
    text = decision_change_text(FT, told, None)
    assert text.startswith("The decision stays :warning: *Not yet*; the score alone, "), text
    assert ": <@U3> changed q" in text and text.endswith("Details in the scorecard."), text


def test_the_rules_changed_variant_keeps_its_words_after_the_change() -> None:
    t = _ft_done(note=False)
    _decided_with_older_rules(t, decision="Not yet", tone="warn", reason="q8 (…) blocks it")
    [told] = _told(t, "q20", "partly")
    assert decision_change_text(FT, told, None, project="Router") == (
        "Router is now :white_check_mark: *Strong go* (was :warning: *Not yet*), 19.5/20 (was 20/20): <@U3> "
        "changed q20 (maintenance plan) from *Yes* (<@U1>) to *Partly*. Not because of this change: the checklist's "
        "rules changed since this evaluation was decided (with the answers before this change, today's rules give "
        ":white_check_mark: *Strong go*, 20/20), and the scorecard now follows today's rules. Details in the "
        "scorecard.")
