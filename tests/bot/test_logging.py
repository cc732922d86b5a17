"""Log output as the processes write it: a traceback never prints a frame's locals (slack_sdk's frames hold
"Authorization: Bearer xoxb-…", Socket Mode's the app token), and JSON lines carry the exception itself.

Each case runs a small program in its own process, so the logging set-up under test is the one a server gets
(basicConfig's handler on stderr, structlog configured once) and nothing leaks into the other tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(60)

TOKEN = "xoxb-1111-2222-NeverLogMe"
APP_TOKEN = "xapp-1-A1-3333-NeverLogMeEither"

# Two exceptions logged, each raised in a frame whose locals hold a token (as slack_sdk's request headers and
# Socket Mode's retry loop do): one through structlog, one through a library's stdlib logger (Bolt, slack_sdk).
PROGRAM = f"""
import logging, sys
import structlog
import bot.cli
bot.cli.log_colours = lambda: sys.argv[1] == "colour"  # a person at a terminal, or a pipe
bot.cli.load_settings()

def call_slack(token):
    headers = {{"Authorization": f"Bearer {{token}}"}}
    raise ConnectionError("Slack did not answer")

def connect(app_token):
    raise TimeoutError("socket mode connect timed out")

try:
    call_slack({TOKEN!r})
except ConnectionError:
    structlog.get_logger("bot.test").exception("delivery_failed", evaluation="e1")
try:
    connect({APP_TOKEN!r})
except TimeoutError:
    logging.getLogger("slack_sdk.socket_mode").exception("Failed to connect")
"""


def run(mode: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FTCHECK_", "NO_COLOR"))}
    proc = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, timeout=45,
                          check=False, env={**clean, **env})
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


@pytest.mark.parametrize("mode", ["plain", "colour"])
def test_a_console_traceback_shows_where_but_never_a_frames_locals(mode: str) -> None:
    err = run(mode)
    assert "delivery_failed" in err and "Failed to connect" in err, err
    assert "call_slack" in err and "Slack did not answer" in err, err  # the traceback itself is kept
    assert "socket mode connect timed out" in err, err
    assert TOKEN not in err and APP_TOKEN not in err, err  # nor any part a reader could reassemble it from
    assert "NeverLogMe" not in err, err


def test_json_lines_carry_the_exception_without_a_frames_locals() -> None:
    err = run("plain", FTCHECK_LOG_JSON="true")
    assert "NeverLogMe" not in err, err
    records = {r["event"]: r for r in map(json.loads, err.splitlines())}  # every line is one JSON object
    for event, exc_type, message, function in [
            ("delivery_failed", "ConnectionError", "Slack did not answer", "call_slack"),  # structlog
            ("Failed to connect", "TimeoutError", "socket mode connect timed out", "connect")]:  # a library's logger
        record = records[event]
        assert record["level"] == "error" and "exc_info" not in record, record
        (stack,) = record["exception"]
        assert (stack["exc_type"], stack["exc_value"]) == (exc_type, message), stack
        assert stack["frames"][-1]["name"] == function, stack  # where it was raised
        assert all("locals" not in frame for frame in stack["frames"]), stack
    assert records["delivery_failed"]["evaluation"] == "e1"
