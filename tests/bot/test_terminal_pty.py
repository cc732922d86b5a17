"""`ftcheck run` at a real (pseudo-)terminal: prompts, a pasted description, one Ctrl-C, the embedded Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.bot.terminal_pty import CTRL_C, CTRL_D, PtyRun, children_of, redis_servers_in
from tests.standins.redis_server import RedisServer

BRIEF = (Path(__file__).parent.parent / "data" / "briefs" / "example1_support_intent.md").read_text()
SAVED = "saved — run `make run` again to continue"

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def terminal() -> Iterator[Callable[[list[str], dict[str, str]], PtyRun]]:
    """Starts `ftcheck run` in a pseudo-terminal; whatever a test leaves running is stopped afterwards."""
    started: list[PtyRun] = []

    def start(args: list[str], env: dict[str, str]) -> PtyRun:
        started.append(PtyRun(args, env))
        return started[-1]

    yield start
    for run in started:
        run.close()


def past_the_offer(term: PtyRun) -> None:
    """Decline the description offer with Enter and wait for the first question."""
    term.expect("Press Enter now to go on without one.")
    term.line("")
    term.expect("Question 1 of 20")


def flat(text: str) -> str:
    return " ".join(text.split())


def pipe(args: list[str], stdin: str, env: dict[str, str]) -> str:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "REDIS_URL", "FTCHECK_"))}
    proc = subprocess.run([sys.executable, "-m", "bot", "run", *args], input=stdin, capture_output=True, text=True,
                          env={**full, **env}, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_one_ctrl_c_saves_stops_the_embedded_redis_and_exits_130(tmp_path: Path, terminal) -> None:
    term = terminal(["--project", "Interrupted"], {"FTCHECK_DATA_DIR": str(tmp_path)})
    term.expect("Press Enter now to go on without one.")
    assert f"Answers are kept in: embedded Redis at {tmp_path}" in flat(term.output)
    term.line("")
    term.expect("Question 1 of 20")
    term.line("yes")
    term.expect("Question 2 of 20")
    servers = redis_servers_in(tmp_path)
    assert len(servers) == 1  # the embedded redis-server, working in the data directory
    assert servers[0] not in children_of(term.pid)  # daemonised: only an explicit stop ends it
    term.send(CTRL_C)  # once
    assert term.wait(timeout=30) == 130
    assert SAVED in term.output
    assert "Traceback" not in term.output
    assert not alive(servers[0]) and redis_servers_in(tmp_path) == []
    again = pipe(["--project", "Interrupted"], "", {"FTCHECK_DATA_DIR": str(tmp_path)})
    assert "Resuming the evaluation" in again and "(1 of 20 answered)" in again and "Question 2 of 20" in again
    assert redis_servers_in(tmp_path) == []


@pytest.mark.parametrize("end", [".\r", CTRL_D], ids=["dot", "ctrl-d"])
def test_a_multi_paragraph_paste_is_read_whole(redis_server: RedisServer, redis_client, end: str,
                                              terminal) -> None:
    assert BRIEF.count("\n\n") >= 2
    term = terminal(["--project", "Pasted"], {"REDIS_URL": redis_server.url})
    term.expect("Press Enter now to go on without one.")
    term.send(BRIEF.replace("\n", "\r") + "\r" + end)
    seen = term.expect("Question 1 of 20")
    assert "Suggested" in term.output and "is not an answer" not in term.output
    assert "below 400" not in term.output
    term.line("quit")
    assert term.wait() == 0
    assert SAVED in term.flat[seen:]


def test_twice_skipped_question_is_finished_at_a_later_terminal_run(redis_server: RedisServer,
                                                                    redis_client, terminal) -> None:
    env = {"REDIS_URL": redis_server.url}
    first = terminal(["--project", "Later"], env)
    past_the_offer(first)
    first.send("skip\r" + "yes\r" * 19)
    first.expect("Question 1 of 20", after=first.expect("Question 20 of 20"))
    first.line("skip")  # the second skip: the walk has nothing else to ask
    first.expect("Skipped twice")
    first.line("skip")  # and leave it open for now
    first.expect("Still open: q1")
    assert first.wait() == 0
    second = terminal(["--project", "Later"], env)
    start = second.expect("Skipped twice so far")
    second.line("change q2 partly")
    second.expect("q2 is now Partly.")
    second.line("help")
    second.expect("change an earlier answer")
    second.line("yes")
    done = second.expect("19.5/20", after=start)
    second.expect("press Enter to finish", after=done)  # the last answer can still be corrected
    second.line("maybe")
    second.expect("Every question is answered", after=done)
    second.line("change q3 no")
    second.expect("18.5/20", after=done)
    second.line("")
    assert second.wait() == 0
    assert "deploy/slack-manifest-socket.yaml" in flat(second.output)


def test_ctrl_c_before_a_project_is_chosen_says_nothing_was_started(redis_server: RedisServer, redis_client,
                                                                     terminal) -> None:
    term = terminal([], {"REDIS_URL": redis_server.url})
    term.expect("Project name: ")
    term.send(CTRL_C)
    assert term.wait(timeout=30) == 130
    assert "nothing was started" in term.output and SAVED not in term.output


def test_checklist_option_starts_a_pass_fail_checklist_beside_an_open_one(redis_server: RedisServer,
                                                                         redis_client, terminal) -> None:
    env = {"REDIS_URL": redis_server.url}
    pipe(["--project", "Gated"], "yes\n", env)
    term = terminal(["--project", "Gated", "--checklist", "deployment-quality"], env)
    term.expect("Question 1 of 10")
    out = flat(term.output)
    assert "also has a “Fine-tuning readiness” evaluation in progress (1 of 20 answered)" in out
    assert "Paste a project description" not in out  # this checklist takes no description
    assert "pass / fail / skip" in out
    term.line("yes")
    term.expect("type pass / fail / skip")
    term.line("pass")
    term.expect("Question 2 of 10")
    term.send(CTRL_D)
    assert term.wait() == 0
    assert "End of input — your answers are saved" in term.output


def test_an_answer_typed_at_the_description_offer_answers_question_1(redis_server: RedisServer, redis_client,
                                                                       terminal) -> None:
    term = terminal(["--project", "Eager"], {"REDIS_URL": redis_server.url})
    term.expect("Press Enter now to go on without one.")
    term.line("yes")
    term.expect("Question 2 of 20")
    term.line("list")
    term.expect("q1 Yes")
    term.line("quit")
    assert term.wait() == 0


def test_ctrl_c_after_the_last_answer_finishes_instead_of_saying_run_again(redis_server: RedisServer, redis_client,
                                                                          terminal) -> None:
    term = terminal(["--project", "Finished"], {"REDIS_URL": redis_server.url})
    past_the_offer(term)
    term.send("yes\r" * 20)
    term.expect("press Enter to finish", after=term.expect("20/20"))
    term.send(CTRL_C)
    assert term.wait(timeout=30) == 0
    assert "ftcheck export" in flat(term.output) and SAVED not in term.output  # completed: nothing to continue
