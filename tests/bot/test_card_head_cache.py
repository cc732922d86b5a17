"""An open card's head (number, question, why) is built once per question and kept; a team checklist loaded again
after its file changed (the same id, another registry) gets heads of its own, not the ones built from the file before
(found when one test process ran the bot on two versions of a team's checklist: gamma stayed "Question 3 of 3")."""

from __future__ import annotations

from pathlib import Path

from bot.blocks.evaluation import open_card_blocks
from conversations.models import Evaluation
from scoring.checklist import Registry
from tests.bot.test_leads import texts
from tests.conversations.test_checklist_drift import YES_PARTLY_NO, gate_dir


def test_a_checklist_loaded_again_after_its_file_changed_gets_its_own_card_heads(tmp_path: Path) -> None:
    ev = Evaluation(team="T1", channel="C1", project="Gate", project_key="gate", checklist="team-gate",
                    started_by="U1")
    before = Registry(gate_dir(tmp_path, "cl1", YES_PARTLY_NO, ("alpha", "beta", "gamma"))).get("team-gate")
    after = Registry(gate_dir(tmp_path, "cl3", YES_PARTLY_NO, ("alpha", "gamma", "delta"))).get("team-gate")
    assert texts(open_card_blocks(ev, before, "gamma")).startswith("*Question 3 of 3* · Stuff\n*Gamma ready?*")
    assert texts(open_card_blocks(ev, after, "gamma")).startswith("*Question 2 of 3* · Stuff\n*Gamma ready?*")
    assert texts(open_card_blocks(ev, before, "gamma")).startswith("*Question 3 of 3*")
