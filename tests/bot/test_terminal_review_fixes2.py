"""First-hour review of `ftcheck run` (tmux, /tmp/review_firsthour): after a command the question's reminder shows
what Enter takes (the suggestion, last time's answer); how to continue is the last line after Ctrl-D and after a
question left open, under the provisional scorecard; project names are held to Slack's 80 characters; a number typed
as an answer says which answer it recorded, and help names the scores; the suggestion report quotes as the cards do
and hangs a wrapped question's line; a change says what it replaced.

Items 1 and 2 through a real pseudo-terminal (:mod:`tests.bot.terminal_pty`); the rest in-process."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bot.store_location import StoreLocation
from bot.terminal.run import RunOptions, run_terminal
from bot.terminal.session import CHANNEL, TEAM
from conversations.engine import Engine
from conversations.models import Evaluation, project_key
from conversations.store import Store
from scoring.checklist import Registry
from scoring.suggest import SuggestConfig, SuggestionReport, make_suggester, render_report_text
from scoring.suggest.models import Caution, Conflict, Suggestion
from tests.bot.terminal_pty import CTRL_D
from tests.bot.test_terminal_review4_fixes import Typed, between, flat, walk
from tests.conversations.recording import RecordingPresenter
from tests.standins.redis_server import RedisServer

# suggests an answer to every question (Yes), with the offline reader
BRIEF = Path(__file__).parent.parent / "data" / "briefs" / "example1_support_intent.md"
Q3_SUGGESTED = "Suggested: Yes —"
ENTER_CONFIRMS = "(press Enter to confirm, or type another answer)"

pytestmark = pytest.mark.timeout(120)


def env_of(server: RedisServer) -> dict[str, str]:
    return {"REDIS_URL": server.url}


def pipe(args: list[str], stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "REDIS_URL", "FTCHECK_"))}
    return subprocess.run([sys.executable, "-m", "bot", "run", *args], input=stdin, capture_output=True, text=True,
                          env={**full, **env}, timeout=60, check=False)


# -- 1. a reminder of the question shows what Enter takes -------------------------------------------------------------


def test_after_a_change_the_reminder_shows_the_suggestion_enter_takes(redis_server: RedisServer, redis_client,
                                                                     terminal) -> None:
    """Review finding: after `change q2 partly` q3 was asked again without its "Suggested: Yes … press Enter to
    confirm" line, yet a bare Enter recorded "q3: Yes (the suggestion)"."""
    term = terminal(["--project", "Reprompt", "--brief", str(BRIEF)], env_of(redis_server))
    term.expect("help for commands >", after=term.expect("Question 1 of 20"))
    term.line("")  # q1's suggested Yes
    term.expect("help for commands >", after=term.expect("Question 2 of 20"))
    term.line("no")  # not the suggested Yes
    at = term.expect("help for commands >", after=term.expect("Question 3 of 20"))
    term.line("change q2 partly")
    at = term.expect("q2 is now Partly", after=at)
    prompt = term.expect("> ", after=term.expect("examples? (yes / partly / no / skip)", after=at))
    reminder = term.flat[at:prompt]
    assert Q3_SUGGESTED in reminder and ENTER_CONFIRMS in reminder, reminder
    term.line("back")  # q2 shown again; Enter keeps it, and q3's reminder follows
    at = term.expect("Now: Partly.", after=prompt)
    term.line("")
    prompt = term.expect("> ", after=term.expect("examples? (yes / partly / no / skip)", after=at))
    reminder = term.flat[at:prompt]
    assert Q3_SUGGESTED in reminder and ENTER_CONFIRMS in reminder, reminder
    term.line("list")
    at = term.expect("Question 3 of 20 (written task definition) is open", after=prompt)
    term.expect(ENTER_CONFIRMS, after=at)  # after a list, too
    term.line("")
    term.expect("q3: Yes (the suggestion)", after=at)
    term.line("quit")
    assert term.wait() == 0
    assert "q2 is now Partly (was No)." in term.flat


def test_on_a_re_evaluation_the_reminder_shows_last_times_answer(redis_server: RedisServer, redis_client,
                                                                 terminal) -> None:
    first = pipe(["--project", "Again"], "yes\npartly\n" + "no\n" * 18, env_of(redis_server))
    assert first.returncode == 0 and "Question 20 of 20" in first.stdout, first.stderr
    term = terminal(["--project", "Again"], env_of(redis_server))
    term.expect("Press Enter now to go on without one.")
    term.line("")
    term.expect("help for commands >", after=term.expect("Question 1 of 20"))
    term.line("")
    at = term.expect("help for commands >", after=term.expect("Question 2 of 20"))
    term.line("back")
    at = term.expect("Now: Yes.", after=at)
    term.line("")  # q1 kept
    prompt = term.expect("> ", after=term.expect("contexts, edge cases)? (yes / partly / no / skip)", after=at))
    reminder = term.flat[at:prompt]
    assert "Last time: Partly" in reminder and "(press Enter to keep it)" in reminder, reminder
    term.line("")
    term.expect("q2: Partly (last time's answer)", after=prompt)
    term.line("quit")
    assert term.wait() == 0


def test_a_question_without_a_default_gets_the_short_reminder_only(redis_server: RedisServer,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    out = walk(redis_server, "Plain", ["yes", "no", "change q1 partly", "quit"], monkeypatch)
    said = between(out, "q1 is now Partly (was Yes).", "saved —").strip()
    assert said.startswith("Question 3 of 20: Do you have a clear") and "Suggested" not in said, said
    assert "Last time" not in said and "press Enter" not in said


# -- 2. how to continue is the last line -------------------------------------------------------------------------------


def test_ctrl_d_at_a_question_says_how_to_continue_under_the_scorecard(redis_server: RedisServer, redis_client,
                                                                       terminal) -> None:
    """Review finding: "End of input — … run … again to continue" came first, then the ~70-line provisional
    scorecard scrolled it away."""
    term = terminal(["--project", "Ended"], env_of(redis_server))
    term.expect("Press Enter now to go on without one.")
    term.line("")
    term.expect("help for commands >", after=term.expect("Question 1 of 20"))
    term.line("yes")
    term.expect("help for commands >", after=term.expect("Question 2 of 20"))
    term.send(CTRL_D)
    assert term.wait() == 0
    out = term.output.rstrip()
    assert out.index("Fine-tuning readiness scorecard") < out.index("End of input")
    assert flat(out).endswith("End of input — your answers are saved; run `ftcheck run --project Ended` again to "
                              "continue."), out[-400:]


def test_a_question_left_open_says_how_to_continue_under_the_scorecard(redis_server: RedisServer, redis_client,
                                                                       terminal) -> None:
    """Review finding: "Still open: q9 … run … again to answer it." came before the provisional scorecard."""
    first = pipe(["--project", "Left open"], "skip\n" + "yes\n" * 19 + "skip\nskip\n", env_of(redis_server))
    assert "Still open: q1" in first.stdout, first.stderr
    term = terminal(["--project", "Left open"], env_of(redis_server))  # the next run: q1 is asked once more
    term.expect("help for commands >", after=term.expect("Skipped twice so far"))
    term.line("skip")  # and left open again
    assert term.wait() == 0
    out = term.output.rstrip()
    assert out.index("Fine-tuning readiness scorecard") < out.index("Still open: q1")
    assert flat(out).endswith("Still open: q1. Your answers are saved; run `ftcheck run --project 'Left open'` "
                              "again to answer it."), out[-400:]


# -- 3. project names are held to Slack's limit ------------------------------------------------------------------------


def typed_run(server: RedisServer, typed: list[str], monkeypatch: pytest.MonkeyPatch) -> str:
    """`ftcheck run` (no --project) with ``typed`` typed at a terminal, one line per prompt; what it printed."""
    monkeypatch.setattr("bot.terminal.run.LineReader", lambda stdin, console: Typed(stdin, console, typed))
    out = io.StringIO()
    run_terminal(StoreLocation(server.url, "test"), Registry(), make_suggester(SuggestConfig()), RunOptions(),
                 stdin=io.StringIO(""), out=out)
    return out.getvalue()


def test_a_name_over_80_characters_is_asked_again_at_the_prompt(redis_server: RedisServer,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Review finding: a 5,000-character name was taken at the prompt; Slack refuses names over 80 characters."""
    long = "Ticket router " * 6  # 84 characters
    out = typed_run(redis_server, [long, "x" * 80, "", "yes", "quit"], monkeypatch)
    assert flat(f"Project names are limited to 80 characters (this one has {len(long.strip())}). Type a shorter "
                "name.") in flat(out)
    assert out.count("Project name [my project]: ") == 2
    assert "Ticket router Ticket" not in flat(out).split("Type a shorter name.")[1]
    assert [ev.project for ev in asyncio.run(history(redis_server, "x" * 80))] == ["x" * 80]  # 80 is within it
    assert asyncio.run(history(redis_server, long.strip())) == []


async def history(server: RedisServer, name: str) -> list[Evaluation]:
    client: aioredis.Redis = aioredis.Redis.from_url(server.url)
    try:
        return await Store(client).project_history(TEAM, project_key(name))
    finally:
        await client.aclose()


async def test_a_project_option_over_80_characters_exits_with_the_message(redis_server: RedisServer,
                                                                          redis_client) -> None:
    long = "n" * 5000
    proc = pipe(["--project", long], "yes\n", env_of(redis_server))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == ("ftcheck: Project names are limited to 80 characters (this one has 5000). Give a "
                                   "shorter --project.")
    assert "Question 1 of" not in proc.stdout
    assert await Store(redis_client).project_history(TEAM, project_key(long)) == []


async def test_a_project_named_before_the_limit_can_still_be_continued(redis_server: RedisServer,
                                                                       redis_client: aioredis.Redis) -> None:
    """Review of the session: a terminal evaluation named with 94 characters before the limit came could not be
    continued with the very command its run printed."""
    long = "Support ticket router for the enterprise tier with multilingual intents and escalation rule v2"
    assert len(long) == 94
    engine = Engine(Store(redis_client), Registry(), RecordingPresenter())
    ev = await engine.start(team=TEAM, channel=CHANNEL, project=long, checklist_id=None, user="terminal",
                            origin="terminal")
    proc = pipe(["--project", long], "yes\nquit\n", env_of(redis_server))
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert "Question 1 of 20" in proc.stdout
    stored = await Store(redis_client).get(ev.id)
    assert stored is not None and [a.value for a in stored.answers.values()] == [1.0]  # continued, not started anew


# -- 4. a number typed as an answer ------------------------------------------------------------------------------------


def test_a_number_says_which_answer_it_recorded_and_help_names_the_scores(redis_server: RedisServer,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    out = walk(redis_server, "Numbers", ["0", "1", "0.5", "yes", "help", "list", "quit"], monkeypatch)
    assert "  q1: No (typed as 0)" in out and "  q2: Yes (typed as 1)" in out and "  q3: Partly (typed as 0.5)" in out
    assert "q4: Yes" not in out  # a word names its answer itself
    assert "Answer with yes / partly / no (or their scores, 1 / 0.5 / 0), or skip" in flat(out)
    table = out[out.index("Answers so far"):]
    assert "    q1  No" in table and "    q2  Yes" in table and "    q3  Partly" in table


# -- 5. the suggestion report, and what a change replaced --------------------------------------------------------------


def test_the_report_quotes_as_the_cards_do_and_hangs_wrapped_question_lines(redis_server: RedisServer) -> None:
    """Review finding: in the report a wrapped question's line went on flush left, and its quotes were in straight
    quotes where the question prompts under it use “ ”."""
    out = io.StringIO()
    run_terminal(StoreLocation(redis_server.url, "test"), Registry(), make_suggester(SuggestConfig()),
                 RunOptions(project="Report", brief=BRIEF.read_text()), stdin=io.StringIO("quit\n"), out=out)
    report = out.getvalue().split("Suggested answers for")[1].split("Question 1 of 20")[0]
    assert ("q5. Is your labeled data representative of real-world use cases (not synthetic\n  or skewed)?\n"
            "    Yes (1) — ") in report, report
    assert "q14. Is your budget $2,000–$10,000 (including labeling, training,\n  infrastructure)?\n" in report
    assert '"' not in report and report.count("    “") == 20, report  # each suggestion's quote in “ ”
    assert max(len(line) for line in report.splitlines()) <= 80


def test_the_reports_checks_and_conflicts_quote_as_the_cards_do() -> None:
    ft = Registry().get("fine-tuning-readiness")
    report = SuggestionReport(
        checklist=ft.id, engine="offline",
        suggestions=[Suggestion(question="q1", answer=1, reason="3,000 examples.", origin="rule",
                                evidence='We have 3,000 "gold" labels.')],
        cautions=[Caution(question="q12", note="mentions 'ml engineer' — check", quote="One ML engineer, part-time.")],
        conflicts=[Conflict(question="q14", note="two budgets:", quotes=["Budget $3K.", "No budget."])])
    text = render_report_text(report, ft, 80)
    assert "    “We have 3,000 \"gold\" labels.”" in text  # a quote's own quotation marks are kept
    assert "check “One ML engineer, part-time.”" in text and render_report_text(report, ft) == text  # ftcheck suggest
    assert "Conflict on q14: two budgets: “Budget $3K.” / “No budget.”" in text


def test_a_change_says_what_it_replaced(redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    out = walk(redis_server, "Was", ["skip", "no", "change q1 yes", "change q2 partly", "back", "no", "quit"],
               monkeypatch)
    assert "q1 is now Yes (was Not sure)." in out and "q2 is now Partly (was No)." in out
    assert "q2 is now No (was Partly)." in out  # back, then a new answer
