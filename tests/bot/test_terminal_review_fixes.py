"""Review findings on `ftcheck run`: a paste at a question prompt, a re-evaluation's last answer beside a
suggestion, a note on a question that does not exist, and closing the window at the description prompt."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.terminal.words import Problem, parse_note
from scoring.checklist import Registry
from tests.bot.terminal_pty import PtyRun, redis_servers_in
from tests.standins.redis_server import RedisServer

BRIEFS = Path(__file__).parent.parent / "data" / "briefs"
ALL_YES = BRIEFS / "example1_support_intent.md"  # suggests Yes for every question
Q1_NO = BRIEFS / "example2_medical_diagnosis.md"  # suggests No for q1 ("only 300 labeled examples")

pytestmark = pytest.mark.timeout(120)


def run(args: list[str], stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "REDIS_URL", "FTCHECK_"))}
    return subprocess.run([sys.executable, "-m", "bot", "run", *args], input=stdin, capture_output=True, text=True,
                          env={**full, **env}, timeout=60, check=False)


def flat(text: str) -> str:
    return " ".join(text.split())


def listed(output: str) -> dict[str, str]:
    """The last `list` in ``output``: question key -> the answer's label (``—``: none)."""
    block = output[output.rfind("Answers so far"):]
    return {m[1]: m[2] for m in re.finditer(r"^\s+(q\d+)\s+(\S+)", block, re.MULTILINE)}


def test_a_description_pasted_at_a_question_prompt_answers_nothing(redis_server: RedisServer, redis_client,
                                                                   terminal) -> None:
    """Review finding: each blank line of the paste was Enter and confirmed a suggestion (q3, q4, q5 became Yes,
    with nothing on screen saying so). Now nothing of the paste is recorded, and Enter says what it took."""
    term = terminal(["--project", "Pasted midway", "--brief", str(ALL_YES)], {"REDIS_URL": redis_server.url})
    term.expect("Question 1 of 20")
    term.line("yes")
    term.expect("Question 2 of 20")
    term.line("no")
    term.expect("help for commands >", after=term.expect("Question 3 of 20"))
    term.send(Q1_NO.read_text().replace("\n", "\r"))  # a description pasted, blank lines and all
    time.sleep(3)
    term.line("list")
    term.expect("maintenance plan", after=term.expect("Answers so far"))
    answers = listed(term.output)
    assert answers["q1"] == "Yes" and answers["q2"] == "No"
    assert [q for q in ("q3", "q4", "q5", "q6") if answers[q] != "—"] == []  # nothing taken from the paste
    assert "That looks like pasted text, not an answer, so nothing was recorded from it" in term.flat
    term.line("")  # Enter, typed: it takes the suggestion, and says so
    term.expect("Question 4 of 20", after=term.expect("q3: Yes (the suggestion)"))


def test_enter_says_what_it_took_when_input_is_piped(redis_server: RedisServer, redis_client) -> None:
    proc = run(["--project", "Piped Enter", "--brief", str(ALL_YES)], "\n\nquit\n", {"REDIS_URL": redis_server.url})
    assert proc.returncode == 0, proc.stderr
    out = flat(proc.stdout)
    assert "q1: Yes (the suggestion)" in out and "q2: Yes (the suggestion)" in out  # a script's blank line is Enter


def test_a_reevaluation_shows_last_times_answer_beside_a_suggestion_and_enter_keeps_it(
        redis_server: RedisServer, redis_client) -> None:
    """Review finding: with a description, a question it suggested an answer for did not show "Last time", and
    Enter replaced last quarter's confirmed answer with the suggestion."""
    env = {"REDIS_URL": redis_server.url}
    first = run(["--project", "Contracts"], "yes\n" * 20, env)
    assert first.returncode == 0, first.stderr
    again = run(["--project", "Contracts", "--brief", str(Q1_NO)], "\nlist\nquit\n", env)
    assert again.returncode == 0, again.stderr
    start = again.stdout.find("Question 1 of 20")
    card = flat(again.stdout[start:again.stdout.find("help for commands", start)])
    assert "Suggested: No" in card and "(type no to take it)" in card
    # whose it was (the terminal's user) and the day, in the team's zone
    assert re.search(r"Last time: Yes \([^,()]+, \d{4}-\d\d-\d\d\)\. Enter keeps Yes, not the suggested No\.", card)
    assert "press Enter to confirm" not in card
    assert "q1: Yes (last time's answer)" in flat(again.stdout)
    assert listed(again.stdout)["q1"] == "Yes"
    q2 = flat(again.stdout[again.stdout.find("Question 2 of 20"):])
    # suggested Yes too: one default, said once
    assert re.search(r"Last time: Yes \([^,()]+, \d{4}-\d\d-\d\d\) \(press Enter to keep it\)", q2)


def test_a_note_on_a_question_the_checklist_does_not_have_is_refused() -> None:
    checklist = Registry().get(None)
    q1, q2 = checklist.question("q1").id, checklist.question("q2").id
    assert parse_note("q77 labelers were unsure", checklist, q2) == Problem(
        "q77 is not a question here; use q1–q20 (nothing was recorded)")
    assert parse_note("Q77 labelers were unsure", checklist, q2) == Problem(
        "Q77 is not a question here; use q1–q20 (nothing was recorded)")
    assert parse_note("q2 labelers were unsure", checklist, q1) == (q2, "labelers were unsure")
    assert parse_note("labelers were unsure", checklist, q1) == (q1, "labelers were unsure")


def test_note_q77_records_nothing(redis_server: RedisServer, redis_client) -> None:
    proc = run(["--project", "Noted"], "yes\nnote q77 text\nlist\nquit\n", {"REDIS_URL": redis_server.url})
    assert proc.returncode == 0, proc.stderr
    out = flat(proc.stdout)
    assert "q77 is not a question here; use q1–q20" in out and "Note added" not in out
    assert "note: “" not in proc.stdout[proc.stdout.rfind("Answers so far"):]


@pytest.mark.parametrize("attempt", [1, 2])
def test_closing_the_window_at_the_description_prompt_stops_the_embedded_redis(tmp_path: Path, terminal,
                                                                               attempt: int) -> None:
    """Review finding (3 of 3): the read failed (EIO) before the hang-up's SIGHUP was handled, the handler then
    cut the clean-up short, and the embedded redis-server kept running after ftcheck exited with 130."""
    term: PtyRun = terminal(["--project", "Hung up"], {"FTCHECK_DATA_DIR": str(tmp_path)})
    term.expect("Press Enter now to go on without one.")
    time.sleep(0.5)
    assert len(redis_servers_in(tmp_path)) == 1
    os.close(term.fd)  # the terminal window closes
    deadline, status = time.monotonic() + 20, None
    while status is None and time.monotonic() < deadline:
        done, raw = os.waitpid(term.pid, os.WNOHANG)
        status = os.waitstatus_to_exitcode(raw) if done else None
        time.sleep(0.05)
    left = redis_servers_in(tmp_path)
    try:
        assert status == 128 + signal.SIGHUP
        time.sleep(0.5)
        left = redis_servers_in(tmp_path)
        assert left == []
    finally:
        term.code = status if status is not None else -1  # nothing for the fixture to stop through the terminal
        if status is None:
            os.kill(term.pid, signal.SIGKILL)
            os.waitpid(term.pid, 0)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
