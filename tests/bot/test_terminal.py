"""`make run` without Slack tokens: the same walk-through in the terminal, scripted through stdin (pipes)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.store_location import StoreLocation
from bot.terminal.console import Console
from bot.terminal.presenter import TerminalPresenter
from bot.terminal.run import RunOptions, run_terminal
from bot.terminal.session import CHANNEL, TEAM
from bot.terminal.walk import answers_list
from conversations import flow
from conversations.effects import DeliveryFailed
from conversations.engine import Engine
from conversations.models import AnswerEntry, Evaluation
from conversations.store import Store
from scoring.checklist import Checklist, Registry
from scoring.suggest import SuggestConfig, make_suggester
from tests.bot.terminal_pty import redis_servers_in
from tests.standins.redis_server import RedisServer

EXAMPLES = json.loads((Path(__file__).parent.parent / "data" / "worked_examples.json").read_text())["examples"]
BRIEFS = Path(__file__).parent.parent / "data" / "briefs"
WORD = {1: "yes", 0.5: "partly", 0: "no", None: "skip"}

pytestmark = pytest.mark.timeout(120)


def ftcheck(args: list[str], stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "REDIS_URL", "FTCHECK_"))}
    full.update(env)
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          env=full, timeout=60, check=False)


def run(args: list[str], stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return ftcheck(["run", *args], stdin, env)


def flat(text: str) -> str:
    """Output with line wrapping undone, to look for a sentence wherever the 80-column wrap split it."""
    return " ".join(text.split())


def lines(answers: dict[str, float | None]) -> str:
    return "\n".join(WORD[answers[f"q{i}"]] for i in range(1, 21)) + "\n"


def test_scripted_walkthrough_prints_the_scorecard(redis_server: RedisServer, redis_client) -> None:
    answers = EXAMPLES["example2_medical_diagnosis"]["answers"]
    proc = run(["--project", "Diagnosis"], lines(answers), {"REDIS_URL": redis_server.url})
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith(f"Answers are kept in: Redis at {redis_server.url} (REDIS_URL)")
    assert "Question 1 of 20" in out and "Question 20 of 20" in out
    assert "12/20" in out and "10.5" not in out
    assert "deploy/slack-manifest-socket.yaml" in out  # how to connect Slack
    assert max(len(line) for line in out.splitlines()) <= 80  # readable in 80 columns


def test_end_of_input_prints_provisional_once_and_a_second_run_continues(redis_server: RedisServer,
                                                                         redis_client) -> None:
    env = {"REDIS_URL": redis_server.url}
    first = run(["--project", "Router"], "yes\npartly\nmaybe\nno\n", env)
    assert first.returncode == 0, first.stderr
    assert "“maybe” is not an answer here; type yes / partly / no / skip" in flat(first.stdout)
    assert first.stdout.count("1.5/20") == 1  # the provisional scorecard, printed once
    assert "Don't fine-tune yet" in first.stdout and "Strong go" in first.stdout  # its range spans bands
    second = run(["--project", "Router"], "yes\n" * 17, env)
    assert "Resuming the evaluation" in second.stdout and "Question 4 of 20" in second.stdout
    assert "18.5/20" in second.stdout and "End of input" not in second.stdout


def test_skip_is_asked_again_before_the_scorecard(redis_server: RedisServer, redis_client) -> None:
    script = "skip\n" + "yes\n" * 19 + "no\n"
    proc = run(["--project", "Skipper"], script, {"REDIS_URL": redis_server.url})
    assert proc.stdout.count("Question 1 of 20") == 2
    assert "19/20" in proc.stdout


def test_a_twice_skipped_question_is_answered_on_a_later_run(redis_server: RedisServer, redis_client) -> None:
    env = {"REDIS_URL": redis_server.url}
    # q1 skipped, q2..q20 yes, q1 skipped again, then offered once more and skipped out of
    first = run(["--project", "Twice"], "skip\n" + "yes\n" * 19 + "skip\nskip\n", env)
    assert first.returncode == 0, first.stderr
    assert "Skipped twice: q1" in flat(first.stdout) and "Still open: q1" in first.stdout
    assert re.search(r"19/20 .*with 1 unanswered", flat(first.stdout))
    second = run(["--project", "Twice"], "partly\n", env)
    assert second.returncode == 0, second.stderr
    assert "Skipped twice so far" in second.stdout and "Question 1 of 20" in second.stdout
    assert "19.5/20" in second.stdout and "unanswered" not in second.stdout.split("19.5/20")[1]
    assert "deploy/slack-manifest-socket.yaml" in second.stdout  # completed: the closing words


def test_change_back_note_and_list_at_a_question(redis_server: RedisServer, redis_client) -> None:
    script = ("yes\nno\nchange q1 partly\nchange q9 yes\nchange q2 maybe\nback\nyes\n"
              "note labels from the 2025 audit\nlist\n" + "yes\n" * 18)
    proc = run(["--project", "Changer"], script, {"REDIS_URL": redis_server.url})
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "q1 is now Partly (was Yes)." in out
    assert "q9 has no answer yet; answer it when it is asked." in flat(out)
    assert "“maybe” is not an answer here" in out
    assert "q2 is now Yes (was No)." in out  # back, then yes
    assert "Note added to q2." in out
    assert "    q1  Partly" in out and "    q2  Yes" in out
    assert "        note: “labels from the 2025 audit”" in out  # the note's text under its answer
    assert "19.5/20" in out  # q1 partly + 19 yes


def test_description_from_stdin_keeps_its_blank_lines(redis_server: RedisServer, redis_client) -> None:
    brief = (BRIEFS / "example1_support_intent.md").read_text()
    assert "\n\n" in brief  # several paragraphs
    proc = run(["--project", "Tickets", "--brief", "-"], brief + "\n.\n" + "\n" * 20 + "yes\n" * 20,
               {"REDIS_URL": redis_server.url})
    assert proc.returncode == 0, proc.stderr
    assert "is not an answer" not in proc.stdout
    assert "Suggested: Yes" in proc.stdout and "press Enter to confirm" in proc.stdout
    assert "/20" in proc.stdout


def test_brief_file_and_a_short_description_warning(redis_server: RedisServer, redis_client,
                                                    tmp_path: Path) -> None:
    short = tmp_path / "short.md"
    short.write_text("We have 800 labeled emails.\n\nTwo annotators agree 82% of the time.\n")
    proc = run(["--project", "Short", "--brief", str(short)], "quit\n", {"REDIS_URL": redis_server.url})
    assert proc.returncode == 0, proc.stderr
    assert "characters; below 400 there is usually too little" in flat(proc.stdout)
    assert "saved — run `ftcheck run --project Short` again to continue" in proc.stdout
    missing = run(["--project", "Short", "--brief", str(tmp_path / "nope.md")], "", {"REDIS_URL": redis_server.url})
    assert missing.returncode == 2 and "cannot read the description" in missing.stderr


def test_pass_fail_checklist_is_asked_in_its_own_words(redis_server: RedisServer, redis_client) -> None:
    proc = run(["--project", "Gate", "--checklist", "deployment-quality"], "yes\npass\nTrue\n" + "x" * 5000 + "\n",
               {"REDIS_URL": redis_server.url})
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "pass / fail / skip" in out and "yes / partly / no" not in out
    assert "“yes” is not an answer here; type pass / fail / skip" in flat(out)
    assert "“True” is not an answer here" in out and "True is not" not in out
    assert "x" * 60 not in out and "xxx…" in out  # a long bad answer is cut short
    assert "Question 2 of 10" in out


def test_checklist_option_with_another_checklist_open(redis_server: RedisServer, redis_client) -> None:
    env = {"REDIS_URL": redis_server.url}
    run(["--project", "Both"], "yes\npartly\n", env)
    other = run(["--project", "Both", "--checklist", "dataset-readiness"], "pass\n", env)
    assert other.returncode == 0, other.stderr
    assert "also has a “Fine-tuning readiness” evaluation in progress (2 of 20 answered)" in flat(other.stdout)
    assert '`ftcheck run --project Both --checklist fine-tuning-readiness` continues it' in flat(other.stdout)
    assert "Starting a new" in other.stdout and "pass / fail / skip" in other.stdout
    back = run(["--project", "Both", "--checklist", "fine-tuning-readiness"], "", env)
    assert "Resuming the evaluation" in back.stdout and "(2 of 20 answered)" in back.stdout
    assert "Question 3 of 20" in back.stdout
    unknown = run(["--project", "Both", "--checklist", "nope"], "", env)
    assert unknown.returncode == 2 and "unknown checklist 'nope'" in unknown.stderr


def test_history_list_and_export_read_the_same_store(redis_server: RedisServer, redis_client,
                                                     tmp_path: Path) -> None:
    env = {"REDIS_URL": redis_server.url}
    assert run(["--project", "Exported"], "yes\n" * 20, env).returncode == 0
    assert run(["--project", "Exported"], "\n" * 3 + "no\n" * 17, env).returncode == 0  # re-evaluation
    listing = ftcheck(["list"], "", env)
    assert listing.returncode == 0, listing.stderr
    assert "Exported:" in listing.stdout and "2 evaluations" in listing.stdout
    history = ftcheck(["history", "exported"], "", env)
    assert "20/20" in history.stdout and "3/20" in history.stdout and "(-17 since" in history.stdout
    for fmt, marker in (("md", "# Decision log: Exported"), ("csv", "question,id,section"), ("json", '"project"')):
        exported = ftcheck(["export", "Exported", "--format", fmt], "", env)
        assert exported.returncode == 0, exported.stderr
        assert marker in exported.stdout
    target = tmp_path / "record.json"
    written = ftcheck(["export", "Exported", "--format", "json", "-o", str(target)], "", env)
    assert written.returncode == 0 and f"Wrote {target}" in written.stderr
    assert json.loads(target.read_text())["scorecard"]["total"] == 3
    missing = ftcheck(["history", "Nobody"], "", env)
    assert missing.returncode == 1 and "no evaluation of “Nobody”" in missing.stderr


def test_help_and_settings_show_what_is_in_force(tmp_path: Path) -> None:
    assert "--brief" in ftcheck(["run", "-h"], "", {}).stdout
    env = {"REDIS_URL": "redis://:hunter2@db.example:6380/0", "FTCHECK_TICK_SECONDS": "5",
           "OPENAI_API_KEY": "sk-secret"}
    proc = ftcheck(["settings"], "", env)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "REDIS_URL" in out and "redis://:***@db.example:6380/0  (environment)" in out
    assert "hunter2" not in out and "sk-secret" not in out and "set (hidden)  (environment)" in out
    assert re.search(r"FTCHECK_TICK_SECONDS +5.0  \(environment\)", out)
    assert re.search(r"FTCHECK_POSTS_PER_SECOND +1.0  \(default\)", out)
    assert re.search(r"FTCHECK_PROBE_LOCAL_REDIS +false  \(default\)", out)
    assert ftcheck(["settings", "--table"], "", {}).stdout.startswith("| Variable | Default | Meaning |")


def test_embedded_redis_keeps_evaluations_between_runs(tmp_path: Path) -> None:
    env = {"FTCHECK_DATA_DIR": str(tmp_path)}  # no REDIS_URL, no probing of 127.0.0.1:6379
    first = run(["--project", "Offline"], "yes\nno\n", env)
    assert first.returncode == 0, first.stderr
    assert f"Answers are kept in: embedded Redis at {tmp_path}" in flat(first.stdout)
    assert (tmp_path / "ftcheck.rdb").exists()
    second = run(["--project", "Offline"], "", env)
    assert "Resuming the evaluation" in second.stdout and re.search(r"1/20 .*with 18 unanswered", flat(second.stdout))
    assert redis_servers_in(tmp_path) == []  # `make run` leaves no redis-server behind


def test_a_store_that_does_not_answer_is_named_with_the_fix() -> None:
    env = {"REDIS_URL": "redis://127.0.0.1:1/0", "FTCHECK_REDIS_TIMEOUT": "1"}
    proc = run(["--project", "Down"], "yes\n", env)
    assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr
    assert "The store did not answer: Redis at redis://127.0.0.1:1/0" in flat(proc.stdout)
    assert "Check that this Redis is running" in flat(proc.stdout)
    listing = ftcheck(["list"], "", env)
    assert listing.returncode == 1 and "the store did not answer" in listing.stderr


async def test_a_run_stopped_before_the_next_question_was_shown_picks_it_up(redis_server: RedisServer,
                                                                            redis_client) -> None:
    """Ctrl-C between saving an answer and showing the next question leaves that question owed."""
    store, registry = Store(redis_client), Registry()
    engine = Engine(store, registry, TerminalPresenter(Console(io.StringIO())))
    ev = await engine.start(team=TEAM, channel=CHANNEL, project="Stopped", checklist_id=None, user="me",
                            origin="terminal")
    card_ts = next(iter(ev.open_cards()))
    checklist = registry.get(ev.checklist)
    ev, _, _ = await store.update(ev.id, lambda e: flow.answer(e, checklist, card_ts=card_ts, user="me", value=1.0),
                                  by="me", action="answer, then stopped before delivering")
    assert ev.pending and not ev.open_cards()  # question 2 is owed, not shown
    proc = run(["--project", "Stopped"], "no\n", {"REDIS_URL": redis_server.url})
    assert proc.returncode == 0, proc.stderr
    assert "(1 of 20 answered)" in proc.stdout and "Question 2 of 20" in proc.stdout
    assert "Question 3 of 20" in proc.stdout  # q2 was answered: the walk goes on


def test_pasted_prose_is_not_a_command_and_back_asks_again_until_it_understands(redis_server: RedisServer,
                                                                                 redis_client) -> None:
    script = ("yes\nyes\nBack in 2023 we labeled 2,000 tickets.\nback\nhelp\nskip\nPartly\n"
              "change q3 maybe\nchange q3 skip\nchange q3 no\nquit\n")
    proc = run(["--project", "Pasted prose"], script, {"REDIS_URL": redis_server.url})
    assert proc.returncode == 0, proc.stderr
    out = flat(proc.stdout)
    assert "“Back in 2023 we labeled 2,000 tickets.” is not an answer here" in out  # not taken as back
    assert "Type a new answer for q2 (yes / partly / no), Enter to keep it, or back to go further back." in out
    assert "“help” is not an answer" not in out
    assert "a change needs an answer (yes / partly / no), not skip; Enter keeps the answer" in out  # still on q2
    assert "q2 is now Partly (was Yes)." in out  # the original case is kept, and back ended with the change
    assert "“maybe” is not an answer here; type yes / partly / no" in out
    assert "“maybe” is not an answer here; type yes / partly / no / skip" not in out  # a change is never offered skip
    assert "Question 4 of 20" in out  # change q3 no, q3 on screen: its answer


def _failing_once(monkeypatch: pytest.MonkeyPatch, question_number: int) -> list[str]:
    """The terminal's card for one question fails to show the first time (what a write that timed out but
    landed leaves: the answer saved, the next card still owed)."""
    original = TerminalPresenter.post_card
    failed: list[str] = []

    async def post_card(self: TerminalPresenter, ev: Evaluation, checklist: Checklist, question_id: str) -> str:
        if checklist.question(question_id).number == question_number and not failed:
            failed.append(question_id)
            raise DeliveryFailed("timed out", permanent=False)
        return await original(self, ev, checklist, question_id)

    monkeypatch.setattr(TerminalPresenter, "post_card", post_card)
    return failed


def test_a_card_owed_after_a_failed_delivery_is_shown_and_the_walk_goes_on(
        redis_server: RedisServer, redis_client, monkeypatch: pytest.MonkeyPatch) -> None:
    failed = _failing_once(monkeypatch, 2)
    out = io.StringIO()
    location = StoreLocation(redis_server.url, f"Redis at {redis_server.url}")
    code = run_terminal(location, Registry(), make_suggester(SuggestConfig()), RunOptions(project="Owed"),
                        stdin=io.StringIO("yes\n" * 20), out=out)
    text = flat(out.getvalue())
    assert code == 0 and failed
    assert "Question 2 of 20" in text and "20/20" in text  # the owed card was shown, and the walk finished
    assert "Still open" not in text


def test_everything_skipped_twice_says_so_without_claiming_answers(redis_server: RedisServer,
                                                                      redis_client) -> None:
    proc = run(["--project", "Unsure"], "skip\n" * 40 + "skip\n" * 20, {"REDIS_URL": redis_server.url})
    assert proc.returncode == 0, proc.stderr
    out = flat(proc.stdout)
    assert "No question has an answer yet. Skipped twice: q1, q2" in out and "Everything else is answered" not in out
    assert ("Nothing is answered yet; your skips are saved; run `ftcheck run --project Unsure` again to answer them."
            in out)


def test_the_answers_list_keeps_its_columns_with_a_long_label() -> None:
    registry = Registry()
    checklist = registry.get(None)
    ev = flow.start(team=TEAM, channel=CHANNEL, project="Columns", checklist=checklist, user="me", origin="terminal")
    first, second = checklist.questions[0].id, checklist.questions[1].id
    ev.answers[first] = AnswerEntry(question=first, value=None, by="me", at=ev.started_at, skips=2)
    ev.answers[second] = AnswerEntry(question=second, value=1.0, by="me", at=ev.started_at)
    rows = answers_list(ev, checklist, width=120).splitlines()[1:]
    starts = {row.index(checklist.questions[n].short or checklist.questions[n].text[:10]) for n, row in
              enumerate(rows[:3])}
    assert "Not sure (skipped twice)" in rows[0] and "Yes" in rows[1] and "—" in rows[2]
    assert len(starts) == 1  # every question's text starts in the same column



class ReaderGoneAfter(io.StringIO):
    """Standard output whose reader leaves after ``lines`` writes (`ftcheck run … | head -3`)."""

    def __init__(self, lines: int) -> None:
        super().__init__()
        self.left = lines

    def write(self, text: str) -> int:
        if self.left <= 0:
            raise BrokenPipeError(32, "Broken pipe")
        self.left -= 1
        return super().write(text)


def test_output_closed_by_its_reader_ends_the_run_without_a_failure(redis_server: RedisServer, redis_client) -> None:
    """The reader leaves while the engine shows the thread's header: the run stops as an exit, not as a failed
    delivery (which printed a 300 KB traceback), and what was saved stays saved."""
    out = ReaderGoneAfter(lines=2)  # "Answers are kept in …", then the header the engine prints
    location = StoreLocation(redis_server.url, f"Redis at {redis_server.url}")
    with pytest.raises(SystemExit) as stopped:
        run_terminal(location, Registry(), make_suggester(SuggestConfig()), RunOptions(project="Closed"),
                     stdin=io.StringIO("yes\n" * 3), out=out)
    assert stopped.value.code == 1
    assert "Traceback" not in out.getvalue()


def test_a_team_checklist_gone_since_the_last_run_is_named_and_its_answers_kept(redis_server: RedisServer,
                                                                                redis_client, tmp_path: Path) -> None:
    gate = (Path(__file__).parents[2] / "scoring" / "checklists" / "dataset-readiness.yaml").read_text()
    team = tmp_path / "team-gate.yaml"
    team.write_text(gate.replace("id: dataset-readiness", "id: team-gate", 1), encoding="utf-8")
    env = {"REDIS_URL": redis_server.url, "FTCHECK_CHECKLIST_DIR": str(tmp_path)}
    first = run(["--project", "Gone", "--checklist", "team-gate"], "pass\n", env)
    assert first.returncode == 0, first.stderr
    team.unlink()
    again = run(["--project", "Gone"], "", env)  # resumes the evaluation in progress
    assert again.returncode == 1 and "Traceback" not in again.stderr, again.stderr
    assert ("This evaluation uses the checklist “team-gate”, which can't be loaded (no checklist file with that id was "
            "found in FTCHECK_CHECKLIST_DIR") in flat(again.stdout), again.stdout
    listed = ftcheck(["list"], "", env)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed.stderr
    assert "in progress, uses the checklist “team-gate”, which can't be loaded" in flat(listed.stdout), listed.stdout
    export = ftcheck(["export", "Gone"], "", env)
    assert export.returncode == 1 and "Traceback" not in export.stderr, export.stderr
    assert "that evaluation uses the checklist “team-gate”, which can't be loaded" in flat(export.stderr)
    other = run(["--project", "Gone", "--checklist", "fine-tuning-readiness"], "yes\n", env)
    assert other.returncode == 0, other.stderr
    assert "Gone also has an evaluation in progress on the checklist “team-gate”, which can't be loaded" in flat(
        other.stdout)
    assert "Question 2 of 20" in other.stdout
    history = ftcheck(["history", "Gone"], "", env)
    assert history.returncode == 0 and "team-gate in progress, uses the checklist" in flat(history.stdout)
    assert "fine-tuning-readiness in progress, 1 of 20 answered" in flat(history.stdout), history.stdout


def test_a_blank_or_control_character_project_name_is_refused(redis_server: RedisServer, redis_client) -> None:
    env = {"REDIS_URL": redis_server.url}
    blank = run(["--project", "  "], "yes\n", env)
    assert blank.returncode == 2 and "Traceback" not in blank.stderr
    assert "--project is blank: give the project a name" in flat(blank.stderr), blank.stderr
    escaped = run(["--project", "Ticket\x1b[D router"], "yes\n", env)
    assert escaped.returncode == 2 and "--project has a control character" in flat(escaped.stderr), escaped.stderr
    listed = ftcheck(["list"], "", env)
    assert listed.returncode == 0 and "\x1b" not in listed.stdout and ": " not in listed.stdout, listed.stdout


def test_a_description_that_is_not_utf8_is_named_with_the_fix(redis_server: RedisServer, redis_client,
                                                              tmp_path: Path) -> None:
    latin1 = tmp_path / "brief-latin1.txt"
    latin1.write_bytes("Caf\u00e9 tickets: we have 3,000 labeled examples.\n".encode("latin-1"))
    env = {"REDIS_URL": redis_server.url}
    for args in (["run", "--project", "Latin", "--brief", str(latin1)], ["suggest", str(latin1)]):
        proc = ftcheck(args, "", env)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert f"{latin1}: not UTF-8 text" in proc.stderr and "save it as UTF-8" in proc.stderr
    for args in (["suggest", "-"], ["run", "--project", "Latin", "--brief", "-"]):
        piped = subprocess.run([sys.executable, "-m", "bot", *args], input=latin1.read_bytes() + b".\n",
                               capture_output=True, env={**os.environ, **env}, timeout=60, check=False)
        stderr = piped.stderr.decode()
        assert piped.returncode == 2 and "Traceback" not in stderr, stderr
        assert "standard input is not UTF-8 text" in stderr and "iconv" in stderr, stderr


def test_a_data_dir_that_cannot_be_a_directory_is_named_with_the_fix(tmp_path: Path) -> None:
    afile = tmp_path / "a-file"
    afile.write_text("not a directory\n")
    for data_dir in (afile, afile / "below"):
        env = {"FTCHECK_DATA_DIR": str(data_dir)}
        for args in (["run", "--project", "Nowhere"], ["list"]):
            proc = ftcheck(args, "yes\n", env)
            assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
            said = proc.stderr.strip()
            assert said.startswith(f"ftcheck: FTCHECK_DATA_DIR={data_dir} "), said  # the setting, named
            assert "point FTCHECK_DATA_DIR at a directory you can write" in flat(said), said  # and the fix


@pytest.mark.parametrize("env", [{}, {"NO_COLOR": "1"}], ids=["pipe", "pipe-NO_COLOR"])
def test_log_lines_into_a_pipe_carry_no_colour_codes(env: dict[str, str]) -> None:
    code = ("from bot.cli import load_settings; import structlog, logging; load_settings(); "
            "structlog.get_logger().warning('store slow', seconds=3); logging.getLogger('x').warning('from stdlib')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False,
                          env={**{k: v for k, v in os.environ.items() if k != "NO_COLOR"}, **env})
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[" not in proc.stderr, repr(proc.stderr)
    assert "store slow" in proc.stderr and "seconds=3" in proc.stderr and "from stdlib" in proc.stderr


def test_a_paste_read_from_a_pipe_keeps_a_last_line_without_a_newline(redis_server: RedisServer,
                                                                     redis_client) -> None:
    proc = run(["--project", "No newline", "--brief", "-"], "We have 12,000 labeled tickets.\nBudget is $5,000",
               {"REDIS_URL": redis_server.url})
    assert proc.returncode == 0, proc.stderr
    assert "“Budget is $5,000”" in proc.stdout and "End of input" in proc.stdout


def test_typed_text_loses_escape_sequences_and_control_characters() -> None:
    from bot.terminal.console import plain  # what every typed line goes through (an arrow with no line editing)

    assert plain("Arrow projec\x1b[Dt") == "Arrow project"  # CSI: ← where nothing edits the line
    assert plain("Ticket\x1b router") == "Ticket router"  # a lone Esc (Ctrl-V Esc), the space kept
    assert plain("a\x1bOD\x1b]0;title\x07b\x07\x00") == "ab"  # SS3 arrow, a window title, bell and NUL
    assert plain("q3\tyes") == "q3 yes" and plain("cols\there", tab="\t") == "cols\there"
    assert plain("路由器 🎫 👩\u200d💻") == "路由器 🎫 👩\u200d💻"  # wide characters and emoji joiners stay


def test_a_terminal_read_is_split_into_lines_and_a_cut_line_is_marked() -> None:
    from bot.terminal.console import PasteLine, terminal_lines

    assert terminal_lines(b"We have 800 labels.\n", "utf-8", 4095) == [PasteLine("We have 800 labels.")]
    assert terminal_lines(b"Budget is $5,000", "utf-8", 4095) == [PasteLine("Budget is $5,000", last=True)]
    assert terminal_lines(b"x" * 4095 + b"\n", "utf-8", 4095) == [PasteLine("x" * 4095, cut=True)]
    # typed ahead while readline had the terminal in raw mode: \r line ends, a Ctrl-D as \x04
    assert terminal_lines(b"no\rpartly\r\x04", "utf-8", 4095) == [PasteLine("no"), PasteLine("partly"), None]
    assert terminal_lines(b"caf\xc3\xa9 \xe9\n", "utf-8", 4095) == [PasteLine("café \ufffd")]


def test_a_prompt_waiting_in_readline_is_woken_to_see_a_ctrl_c() -> None:
    import signal

    from bot.terminal.console import SIGNAL_CHECK_S, _signals_heard

    before = signal.getsignal(signal.SIGALRM)
    with _signals_heard():
        assert signal.getitimer(signal.ITIMER_REAL)[1] == pytest.approx(SIGNAL_CHECK_S)
        assert signal.getsignal(signal.SIGALRM) is not before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0) and signal.getsignal(signal.SIGALRM) is before


def test_fresh_starts_a_project_evaluated_before_without_its_answers(redis_server: RedisServer,
                                                                     redis_client) -> None:
    env = {"REDIS_URL": redis_server.url}
    assert run(["--project", "Again"], "yes\n" * 20, env).returncode == 0
    fresh = run(["--project", "Again", "--fresh"], "no\n" * 20, env)
    assert fresh.returncode == 0, fresh.stderr
    assert "Starting a re-evaluation" not in fresh.stdout and "Last time" not in fresh.stdout
    assert "0/20" in fresh.stdout
    history = ftcheck(["history", "Again"], "", env)
    assert "20/20" in history.stdout and "0/20" in history.stdout
