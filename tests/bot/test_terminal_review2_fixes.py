"""Second new-user review of `make run` (the terminal, no Slack): a re-evaluation's scorecard names the change since
last time, last time's note shows beside last time's answer, the hints name the command the way it can be typed
again, the suggestion list carries no internal tags, and counts are proper plurals."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.presenter import SlackPresenter
from conversations.models import Evaluation
from scoring.checklist import Registry
from scoring.render import render_text
from scoring.scorecard import score
from tests.bot.terminal_pty import PtyRun
from tests.standins.redis_server import RedisServer

REPO = Path(__file__).resolve().parents[2]
BRIEF = REPO / "tests" / "data" / "briefs" / "example1_support_intent.md"
FIRST = ["yes"] * 14 + ["partly"] * 6  # 17/20

pytestmark = pytest.mark.timeout(120)


def clean_env(env: dict[str, str]) -> dict[str, str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "REDIS_URL", "FTCHECK_"))}
    return {**full, "PYTHONPATH": str(REPO), **env}


def run(args: list[str], stdin: str, env: dict[str, str], argv: list[str] | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = argv or [sys.executable, "-m", "bot"]
    return subprocess.run([*command, *args], input=stdin, capture_output=True, text=True, env=clean_env(env),
                          timeout=60, check=False, cwd=cwd)


def flat(text: str) -> str:
    return " ".join(text.split())


# -- 1. the scorecard of a re-evaluation says what changed since last time ------------------------------------------


def test_a_reevaluations_scorecard_says_the_change_since_last_time(redis_server: RedisServer, redis_client,
                                                                    terminal) -> None:
    """Review finding: the second run's scorecard said only "✅ … — 15/20, and the decision tree agrees."; the
    change since the first run showed only in `ftcheck history`. Now it is said right under the decision, in the
    words of Slack's scorecard."""
    env = {"REDIS_URL": redis_server.url}
    first = run(["run", "--project", "Ticket router"], "\n".join(FIRST) + "\n", env)
    assert first.returncode == 0, first.stderr
    assert "since last time" not in first.stdout  # a first evaluation has nothing to compare with
    term: PtyRun = terminal(["--project", "Ticket router"], env)
    term.expect("Press Enter now to go on without one.")
    term.line("")
    for n in range(1, 21):
        term.expect("help for commands >", after=term.expect(f"Question {n} of 20"))
        term.line("yes" if n == 20 else "")  # Enter keeps last time's answer; q20 goes from Partly to Yes
    term.expect("press Enter to finish")
    lines = term.output.splitlines()
    decision = next(i for i, line in enumerate(lines) if "17.5/20" in line and "—" in line)
    assert lines[decision + 1] == "+0.5 since last time (17/20).", lines[decision - 1:decision + 3]
    term.line("")
    assert term.wait() == 0


def test_the_terminal_says_slacks_sentence_word_for_word() -> None:
    """One wording: the terminal's line is the one Slack's scorecard puts under its decision."""
    from bot.terminal.presenter import since, with_since
    from scoring.verdict import decided_of

    checklist = Registry().get("fine-tuning-readiness")
    then = decided_of(score(checklist, dict.fromkeys((q.id for q in checklist.questions), 0.5)),
                      checklist.fingerprint)
    now = score(checklist, dict.fromkeys((q.id for q in checklist.questions), 1.0))
    ev = Evaluation(team="T", channel="C", project="P", project_key="p", checklist=checklist.id, started_by="U1",
                    previous_result=then)  # a re-evaluation keeps the result it re-evaluates
    line = since(ev, now)
    assert line == "+10 since last time (10/20)."
    slack = "\n".join(b["text"]["text"] for b in SlackPresenter._scorecard(ev, checklist, now)
                      if b.get("type") == "section" and "text" in b)
    assert line in slack.splitlines()
    shown = with_since(render_text(now).rstrip("\n"), now, line).splitlines()
    assert shown[2] == line and "20/20" in shown[1]  # title, decision, then the change


# -- 2. last time's note beside last time's answer --------------------------------------------------------------------


def test_last_times_note_is_shown_beside_last_times_answer(redis_server: RedisServer, redis_client) -> None:
    env = {"REDIS_URL": redis_server.url}
    note = "two labelers agreed on 82% of 200 tickets, checked by Dana in the March audit of the support queue data"
    first = run(["run", "--project", "Noted"], f"yes\nnote q1 {note}\n" + "yes\n" * 19, env)
    assert first.returncode == 0, first.stderr
    again = run(["run", "--project", "Noted"], "quit\n", env)
    assert again.returncode == 0, again.stderr
    shown = flat(again.stdout)
    assert re.search(r"Last time: Yes \([^,()]+, \d{4}-\d\d-\d\d\) — note: “two labelers agreed on 82% of 200 "
                     "tickets, checked by Dana in the March", shown)
    assert "…” (press Enter to keep it)" in shown and "support queue data" not in shown  # shortened


# -- 3. the hints name the command as it can be typed again -----------------------------------------------------------


def test_hints_name_the_program_the_way_it_was_started(redis_server: RedisServer, redis_client,
                                                       tmp_path: Path) -> None:
    """Review finding: after `make run`, "`ftcheck export …` writes the decision record" failed with "ftcheck:
    command not found" (only .venv/bin/ftcheck exists); the hints now say `.venv/bin/ftcheck export …`."""
    installed = Path(sys.executable).parent / "ftcheck"
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "ftcheck").symlink_to(installed)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if p and not (Path(p) / "ftcheck").exists())
    env = {"REDIS_URL": redis_server.url, "PATH": path}
    proc = run(["run", "--project", "Hinted"], "yes\n" * 20, env, argv=[".venv/bin/ftcheck"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = flat(proc.stdout)
    assert '`.venv/bin/ftcheck export Hinted --format md` writes the decision record' in out
    assert '`.venv/bin/ftcheck history Hinted` shows the project over time' in out
    missing = run(["history", "Nobody"], "", env, argv=[".venv/bin/ftcheck"], cwd=tmp_path)
    assert "`.venv/bin/ftcheck list` shows the projects" in missing.stderr


def test_the_command_is_named_as_it_can_be_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.terminal import invocation

    program = tmp_path / ".venv" / "bin" / "ftcheck"
    program.parent.mkdir(parents=True)
    program.write_text("")
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert invocation.ftcheck_command(".venv/bin/ftcheck", str(tmp_path)) == ".venv/bin/ftcheck"
    assert invocation.ftcheck_command(str(program), str(tmp_path)) == ".venv/bin/ftcheck"
    assert invocation.ftcheck_command(str(program), str(tmp_path / "elsewhere")) == str(program)
    assert invocation.ftcheck_command("/work/main/bot/__main__.py", str(tmp_path)) == "ftcheck"  # python -m bot
    monkeypatch.setattr("shutil.which", lambda name: str(program))  # on PATH: the name is enough
    assert invocation.ftcheck_command(".venv/bin/ftcheck", str(tmp_path)) == "ftcheck"
    monkeypatch.setattr("shutil.which", lambda name: "/usr/local/bin/ftcheck")  # another install
    assert invocation.ftcheck_command(".venv/bin/ftcheck", str(tmp_path)) == ".venv/bin/ftcheck"


# -- 4. no internal tags in the suggestion list -----------------------------------------------------------------------


def test_the_suggestion_list_carries_no_internal_tags(redis_server: RedisServer, redis_client) -> None:
    """Review finding: each suggestion ended in "[rule]" or "[phrase]", words that mean nothing to a user."""
    proc = run(["run", "--project", "Tagged", "--brief", str(BRIEF)], "quit\n", {"REDIS_URL": redis_server.url})
    assert proc.returncode == 0, proc.stderr
    assert "Suggested answers for" in proc.stdout
    assert not [tag for tag in ("[rule]", "[phrase]", "[model]") if tag in proc.stdout]


# -- 5. plurals ------------------------------------------------------------------------------------------------------


def test_counts_of_evaluations_are_proper_plurals(redis_server: RedisServer, redis_client) -> None:
    env = {"REDIS_URL": redis_server.url}
    assert run(["run", "--project", "Counted"], "yes\n" * 20, env).returncode == 0
    history = run(["history", "Counted"], "", env).stdout
    assert "History of Counted (1 evaluation, oldest first)" in history and "(s)" not in history
    listed = run(["list"], "", env).stdout
    assert "· 1 evaluation" in listed and "(s)" not in listed
    again = run(["run", "--project", "Counted"], "quit\n", env).stdout
    assert "Counted: 1 earlier evaluation in this store" in flat(again) and "(s)" not in again
    assert run(["run", "--project", "Counted"], "\n" * 20, env).returncode == 0
    assert "History of Counted (2 evaluations, oldest first)" in run(["history", "Counted"], "", env).stdout


def test_hints_quote_the_project_for_the_shell_and_name_how_to_run_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Review finding: a project named ``Spend $5k `pilot``` was pasted into double quotes, so the shell ran part of
    it; and "run `make run` again" was said also where ftcheck was not started by make."""
    from bot.terminal.invocation import run_again, shell_word

    assert shell_word("Spend $5k `pilot`") == "'Spend $5k `pilot`'"
    assert shell_word("Café “Näive” router's \"v2\"") == "'Café “Näive” router'\"'\"'s \"v2\"'"
    monkeypatch.delenv("MAKELEVEL", raising=False)
    monkeypatch.setattr("sys.argv", ["/elsewhere/bin/ftcheck"])
    assert run_again() == "/elsewhere/bin/ftcheck run"
    monkeypatch.setenv("MAKELEVEL", "1")
    assert run_again() == "make run"
