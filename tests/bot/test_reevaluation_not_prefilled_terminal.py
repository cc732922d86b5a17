"""The terminal says what a re-evaluation does not pre-fill in the words the Slack thread's first message uses
(``bot.blocks.evaluation.not_prefilled_text``, plain text), at the start and when the checklist changes midway."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot.test_terminal import flat, run
from tests.conversations.test_checklist_drift import PASS_FAIL, YES_PARTLY_NO, gate_dir
from tests.standins.redis_server import RedisServer

pytestmark = pytest.mark.timeout(120)


def args(project: str) -> list[str]:
    return ["--project", project, "--checklist", "team-gate"]  # a project per test: the Redis server is shared


def test_a_reevaluation_names_what_it_does_not_prefill(redis_server: RedisServer, tmp_path: Path) -> None:
    before = gate_dir(tmp_path, "cl1", YES_PARTLY_NO, ("alpha", "beta", "gamma"))
    after = gate_dir(tmp_path, "cl2", PASS_FAIL, ("alpha", "gamma", "delta"))
    env = {"REDIS_URL": redis_server.url, "FTCHECK_CHECKLIST_DIR": str(before)}
    first = run(args("Started"), "\npartly\nno\nyes\n", env)
    assert first.returncode == 0, first.stderr
    again = run(args("Started"), "\npass\n\nfail\n", {**env, "FTCHECK_CHECKLIST_DIR": str(after)})
    assert again.returncode == 0, again.stderr
    out = flat(again.stdout)
    assert ("Not pre-filled from last time (the checklist has changed since): q1 (alpha), as its answer then (0.5) "
            "is no longer an option; 1 answer, as its question is no longer in the checklist.") in out, out
    assert "*" not in out.split("Not pre-filled")[1].split(".")[0]  # plain text: no Slack bold


def test_a_reevaluation_resumed_after_the_checklist_changed_names_what_is_no_longer_prefilled(
        redis_server: RedisServer, tmp_path: Path) -> None:
    before = gate_dir(tmp_path, "cl1", YES_PARTLY_NO, ("alpha", "beta", "gamma"))
    after = gate_dir(tmp_path, "cl4", PASS_FAIL, ("alpha", "beta", "gamma"))
    env = {"REDIS_URL": redis_server.url, "FTCHECK_CHECKLIST_DIR": str(before)}
    assert run(args("Resumed"), "\nyes\npartly\nyes\n", env).returncode == 0
    started = run(args("Resumed"), "\nyes\nquit\n", env)  # a re-evaluation: every answer carries, nothing to say
    assert started.returncode == 0, started.stderr
    assert "pre-filled" not in started.stdout
    resumed = run(args("Resumed"), "\nfail\npass\n", {**env, "FTCHECK_CHECKLIST_DIR": str(after)})
    assert resumed.returncode == 0, resumed.stderr
    assert ("Not pre-filled from last time (the checklist has changed since): q2 (beta), as its answer then (0.5) "
            "is no longer an option.") in flat(resumed.stdout), resumed.stdout
