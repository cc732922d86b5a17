"""A team changes its checklist file between two terminal runs (review follow-up): the question the evaluation was
waiting for is dropped. The run says so and goes on, instead of failing with ``unknown question 'beta'``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot.test_terminal import flat, run
from tests.conversations.test_checklist_drift import YES_PARTLY_NO, gate_dir
from tests.standins.redis_server import RedisServer

pytestmark = pytest.mark.timeout(120)


def test_a_run_resumed_after_the_waiting_question_was_dropped_goes_on_without_it(redis_server: RedisServer,
                                                                                  tmp_path: Path) -> None:
    before = gate_dir(tmp_path, "cl1", YES_PARTLY_NO, ("alpha", "beta", "gamma"))
    after = gate_dir(tmp_path, "cl3", YES_PARTLY_NO, ("alpha", "gamma", "delta"))
    args = ["--project", "Gate", "--checklist", "team-gate"]
    first = run(args, "\nyes\n", {"REDIS_URL": redis_server.url, "FTCHECK_CHECKLIST_DIR": str(before)})
    assert first.returncode == 0, first.stderr
    assert "Beta ready?" in first.stdout  # left waiting at beta
    # back: the earlier answers shown are those the checklist still asks; then gamma and delta end the walk
    second = run(args, "back\n\nno\nyes\n", {"REDIS_URL": redis_server.url, "FTCHECK_CHECKLIST_DIR": str(after)})
    assert second.returncode == 0, second.stderr
    out = flat(second.stdout)
    assert ("The question this evaluation was waiting for is no longer in the checklist (the team changed the "
            "checklist since), so it is not asked any more. Question 2 of 3 · Stuff Gamma ready?") in out, out
    assert "q1: Alpha ready? Now: Yes." in out
    assert "Question 3 of 3 · Stuff Delta ready?" in out
    assert "✅ Go — 2/3" in out and "Traceback" not in second.stderr
