"""`ftcheck run` at a real (pseudo-)terminal: prompts, a pasted description, one Ctrl-C, the embedded Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bot.terminal_pty import CTRL_C, CTRL_D, PtyRun, children_of, redis_servers_in
from tests.standins.redis_server import RedisServer

BRIEF = (Path(__file__).parent.parent / "data" / "briefs" / "example1_support_intent.md").read_text()
SAVED = "saved — run `ftcheck run --project "  # started as `python -m bot`, not by make; the project follows

pytestmark = pytest.mark.timeout(120)




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
    second.expect("q2 is now Partly (was Yes).")
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
    term.expect("Project name [my project]: ")
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
    term.expect("help for commands >", after=term.expect("Question 2 of 10"))  # the prompt: readline is reading
    term.send(CTRL_D)  # (a Ctrl-D typed in the instant before readline takes the terminal would come out as a NUL)
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


ONE_LINE_BRIEF = "We have 12,000 labeled tickets and two labelers agreed 88% of the time."


@pytest.mark.parametrize("args", [[], ["--brief", "-"]], ids=["offered", "brief-dash"])
def test_one_ctrl_d_after_a_last_line_without_a_newline_ends_the_paste(redis_server: RedisServer, redis_client,
                                                                       args: list[str], terminal) -> None:
    term = terminal(["--project", "One Ctrl-D", *args], {"REDIS_URL": redis_server.url})
    term.expect("Type help for commands.")
    term.send(ONE_LINE_BRIEF + "\rBudget is $5,000" + CTRL_D)  # the last line has no newline: one Ctrl-D
    seen = term.expect("Question 1 of 20", timeout=15)
    out = term.flat[:seen]
    assert "“Budget is $5,000”" in out and "Budget $5,000 is within $2,000–$10,000" in out  # the last line is kept
    assert "Labelers agreed 88% of the time" in out
    term.line("quit")
    assert term.wait() == 0
    assert SAVED in term.flat[seen:]


@pytest.mark.parametrize("first", ["", "No"], ids=["blank", "answer-word"])
def test_a_paste_whose_first_line_looks_like_no_description_is_still_the_description(
        redis_server: RedisServer, redis_client, first: str, terminal) -> None:
    """Copied text often starts with a blank line (or a word like "No"): with more of the paste already waiting,
    it is the start of the description, and no pasted line is taken as an answer."""
    env = {"REDIS_URL": redis_server.url}
    term = terminal(["--project", "Leading blank"], env)
    term.expect("Press Enter now to go on without one.")
    term.send(first + "\r" + BRIEF.replace("\n", "\r") + "\r.\r")  # one paste
    seen = term.expect("Question 1 of 20", timeout=15)
    assert "Suggested answers" in term.output
    term.line("list")
    listed = term.expect("maintenance plan", after=seen, timeout=15)
    assert "q1 — " in term.flat[seen:listed] and "is not an answer" not in term.output
    assert "Question 2 of 20" not in term.output
    term.line("quit")
    assert term.wait() == 0
    again = pipe(["--project", "Leading blank"], "", env)
    assert "(0 of 20 answered)" in again  # nothing pasted was recorded as an answer


def test_arrow_keys_and_backspace_edit_the_line_and_control_characters_never_reach_a_name(
        redis_server: RedisServer, redis_client, terminal) -> None:
    env = {"REDIS_URL": redis_server.url}
    term = terminal([], env)
    term.expect("Project name [my project]: ")
    term.send("Ticket" + "\x16\x1b" + " routr\x1b[De\r")  # Ctrl-V Esc: a literal escape; ←, then e: "router"
    term.expect("== Fine-tuning readiness: Ticket router ==", timeout=10)
    term.expect("Press Enter now to go on without one.")
    term.line("")
    seen = term.expect("help for commands >", after=term.expect("Question 1 of 20"))  # readline's prompt
    term.send("yex\x7f\x1b[D\x1b[Cs\r")  # x, backspace, ←, →, s: "yes"
    term.expect("Question 2 of 20", after=seen, timeout=10)
    term.line("quit")
    assert term.wait() == 0
    listed = subprocess.run([sys.executable, "-m", "bot", "list"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "REDIS_URL": redis_server.url}, check=True)
    assert "Ticket router:" in listed.stdout and "\x1b" not in listed.stdout, listed.stdout


def test_a_pasted_line_longer_than_the_terminal_passes_is_reported_not_silently_cut(
        redis_server: RedisServer, redis_client, terminal) -> None:
    long_line = "Filler sentence about the routing product and its customers. " * 80 + ONE_LINE_BRIEF
    assert len(long_line) > 4095
    term = terminal(["--project", "Long line"], {"REDIS_URL": redis_server.url})
    term.expect("Press Enter now to go on without one.")
    term.send(long_line + "\r.\r")
    seen = term.expect("Question 1 of 20", timeout=15)
    out = term.flat[:seen]
    assert "The terminal cut a long line of the description" in out
    assert "--brief FILE" in out
    term.line("quit")
    assert term.wait() == 0


def test_brief_dash_at_a_terminal_says_what_it_waits_for(redis_server: RedisServer, redis_client, terminal) -> None:
    term = terminal(["--project", "Brief dash", "--brief", "-"], {"REDIS_URL": redis_server.url})
    term.expect("Paste the project description, then end it with a line holding only . or with Ctrl-D.",
                timeout=10)
    term.send(BRIEF.replace("\n", "\r") + "\r.\r")
    term.expect("Question 1 of 20", timeout=15)
    assert "Suggested answers" in term.output
    term.line("quit")
    assert term.wait() == 0


LOG_ONE_LINE = ("from bot.cli import load_settings; import structlog; load_settings(); "
                "structlog.get_logger().warning('store slow', seconds=3)")


@pytest.mark.parametrize(("no_color", "coloured"), [("", True), ("1", False)], ids=["colour", "NO_COLOR"])
def test_log_lines_at_a_terminal_are_coloured_unless_no_color_is_set(no_color: str, coloured: bool,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    env = {"NO_COLOR": no_color} if no_color else {}
    term = PtyRun([], env, argv=[sys.executable, "-c", LOG_ONE_LINE])
    try:
        assert term.wait() == 0
    finally:
        term.close()
    assert "store slow" in term.output and "seconds" in term.output
    assert ("\x1b[" in term.output) is coloured, repr(term.output)


def test_answers_and_a_ctrl_d_typed_ahead_are_all_taken(redis_server: RedisServer, redis_client, terminal) -> None:
    """Typed faster than the walk asks: readline reads the first line, the rest waits in the terminal's buffer as
    it came in raw mode (lines ended by \\r, the Ctrl-D as \\x04) and is taken line by line, the Ctrl-D last."""
    term = terminal(["--project", "Typed ahead"], {"REDIS_URL": redis_server.url})
    past_the_offer(term)
    term.expect("help for commands >", after=term.expect("Question 1 of 20"))
    term.send("yes\rno\rpartly\r" + CTRL_D)
    assert term.wait() == 0
    out = term.flat
    assert "Question 4 of 20" in out and "End of input — your answers are saved" in out
    assert "1.5/20 so far" in out.split("End of input")[0]  # yes + no + partly: 1 + 0 + 0.5
    assert out.endswith("again to continue.")  # how to continue last, under the provisional scorecard
