"""Third review of `ftcheck run` (tmux, a 60-column window): text is wrapped once, at the window's width when it is
printed (a resize is followed, the scorecard is not wrapped twice); one question skipped twice is "it"; the open
question is named again after help, list and score; the project prompt shows its default; `note q5` shows q5's
note; and `list` shows the notes' text."""

from __future__ import annotations

import fcntl
import os
import re
import struct
import subprocess
import sys
import termios
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from bot.terminal.console import cells_of
from scoring.checklist import Registry
from scoring.render import render_text
from scoring.scorecard import score
from tests.bot.terminal_pty import PtyRun
from tests.standins.redis_server import RedisServer

REPO = Path(__file__).resolve().parents[2]
REMINDER = "Question {n} of 20 ({short}) is open — answer yes / partly / no / skip"

pytestmark = pytest.mark.timeout(120)


def run(args: list[str], stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "REDIS_URL", "FTCHECK_"))}
    return subprocess.run([sys.executable, "-m", "bot", "run", *args], input=stdin, capture_output=True, text=True,
                          env={**full, "PYTHONPATH": str(REPO), **env}, timeout=60, check=False)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def narrow() -> Iterator[Callable[[list[str], dict[str, str], int], PtyRun]]:
    """`ftcheck run` in a pseudo-terminal of a given width; stopped afterwards whatever the test left."""
    started: list[PtyRun] = []

    def start(args: list[str], env: dict[str, str], columns: int) -> PtyRun:
        started.append(PtyRun(args, env, columns=columns))
        return started[-1]

    yield start
    for term in started:
        term.close()


def resize(term: PtyRun, columns: int) -> None:
    """What dragging the window's edge does: the terminal's size changes (SIGWINCH goes to the program)."""
    fcntl.ioctl(term.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))


def printed_since(term: PtyRun, marker: str) -> list[str]:
    """The lines printed from the last line holding ``marker`` on (prompts included)."""
    out = term.output
    return out[out.rfind(marker):].splitlines()


def paragraphs(lines: list[str], starts: tuple[str, ...]) -> list[list[str]]:
    """The paragraphs whose first line starts with one of ``starts``: that line and the deeper-indented ones after
    it."""
    out: list[list[str]] = []
    for i, line in enumerate(lines):
        if line.startswith(starts):
            indent = len(line) - len(line.lstrip())
            end = next((j for j in range(i + 1, len(lines))
                        if not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) <= indent), len(lines))
            out.append(lines[i:end])
    return out


def filled(paragraph: list[str], width: int) -> bool:
    """Wrapped once, greedily: no line could have taken the next line's first word (a second wrap leaves short
    lines such as "lacks: a retraining" behind)."""
    return all(cells_of(line) + 1 + cells_of(after.split()[0]) > width for line, after in pairwise(paragraph))


# -- 1. one wrap, at the window's width when printing -----------------------------------------------------------------


def test_a_scorecard_at_60_columns_is_wrapped_once_and_a_resize_is_followed(redis_server: RedisServer, redis_client,
                                                                          narrow) -> None:
    """Review finding: at 60 columns the scorecard came wrapped at 80 and then again at 60 ("Fill in what the plan /
    lacks: a retraining / cadence (e.g. monthly…"), and after the window was made narrower, lines broke mid-word. Now
    the scorecard is laid out at the window's width, and the width is read at each print."""
    checklist = Registry().get("fine-tuning-readiness")
    words = ["no", "partly", "yes"]
    answers = {q.id: [0.0, 0.5, 1.0][i % 3] for i, q in enumerate(checklist.questions[:5])}
    term = narrow(["--project", "Narrow"], {"REDIS_URL": redis_server.url}, 60)
    term.expect("Press Enter now to go on without one.")
    term.line("")
    for n in range(1, 6):
        term.expect("help for commands >", after=term.expect(f"Question {n} of 20"))
        term.line(words[(n - 1) % 3])
    at = term.expect("Question 6 of 20")
    term.line("score")
    card = score(checklist, answers)
    at = term.expect(render_text(card).rstrip("\n").splitlines()[-1], after=at)  # the scorecard's end, as words
    shown = printed_since(term, "Fine-tuning readiness scorecard")
    assert not [line for line in shown if cells_of(line) > 60], shown
    steps = paragraphs(shown, ("Next step for ", "      → "))
    assert len(steps) >= 3 and not [p for p in steps if not filled(p, 60)], steps  # each line as full as it can be
    expected = render_text(card, width=60).rstrip("\n").splitlines()
    assert shown[:len(expected)] == expected  # as laid out for 60 columns: nothing wrapped a second time
    at = term.expect(REMINDER.format(n=6, short="relabeling commitment"), after=at)
    resize(term, 44)  # narrower: what is printed from now on fits 44 columns
    term.line("help")
    term.expect(REMINDER.format(n=6, short="relabeling commitment"), after=term.expect("Commands, at any", after=at))
    helped = printed_since(term, "Answer with yes / partly / no")
    assert max(cells_of(line) for line in helped) <= 44, helped
    assert "change an earlier answer" in flat("\n".join(helped))
    term.line("quit")
    assert term.wait() == 0


# -- 2. one question skipped twice: "It is asked once more" ------------------------------------------------------------


def test_one_question_skipped_twice_is_it(redis_server: RedisServer, redis_client) -> None:
    """Review finding: "Skipped twice: q4. Each is asked once more" for a single question."""
    env = {"REDIS_URL": redis_server.url}
    one = run(["--project", "Once"], "skip\n" + "yes\n" * 19 + "skip\nskip\n", env)
    assert one.returncode == 0, one.stderr
    assert "Skipped twice: q1. It is asked once more; skip leaves it open for a later run." in flat(one.stdout)
    two = run(["--project", "Twice"], "skip\nskip\n" + "yes\n" * 18 + "skip\nskip\nskip\nskip\n", env)
    assert two.returncode == 0, two.stderr
    assert "Skipped twice: q1, q2. Each is asked once more" in flat(two.stdout)


# -- 3. after help, list and score the open question is named again ----------------------------------------------------


def test_help_list_and_score_are_followed_by_the_open_question(redis_server: RedisServer, redis_client) -> None:
    """Review finding: after `help`, `list` and `score` the bare `>` came back with the question scrolled away."""
    proc = run(["--project", "Reminded"], "yes\nyes\nyes\nhelp\nlist\nscore\nquit\n", {"REDIS_URL": redis_server.url})
    assert proc.returncode == 0, proc.stderr
    out = flat(proc.stdout)
    assert out.count(REMINDER.format(n=4, short="labeler agreement")) == 3
    for shown in ("Commands, at any question:", "Answers so far (Reminded", "Fine-tuning readiness scorecard"):
        assert REMINDER.format(n=4, short="labeler agreement") in out[out.index(shown):]


# -- 4. the project prompt says what Enter takes -----------------------------------------------------------------------


def test_the_project_prompt_shows_its_default(redis_server: RedisServer, redis_client, narrow) -> None:
    """Review finding: Enter at `Project name:` silently started "my project"."""
    term = narrow([], {"REDIS_URL": redis_server.url}, 60)
    term.expect("Project name [my project]: ")
    term.line("")
    term.expect("== Fine-tuning readiness: my project ==")
    term.expect("Press Enter now to go on without one.")
    term.line("quit")
    assert term.wait() == 0


# -- 5. note q5 without text shows q5's note ---------------------------------------------------------------------------


def test_note_without_text_names_the_question_and_shows_its_note(redis_server: RedisServer, redis_client) -> None:
    """Review finding: `note q5` answered "the note is empty: note q3 <text>", naming q3."""
    script = "yes\n" * 5 + "note q5 checked with legal\nnote q5\nnote q2\nnote q9\nquit\n"
    proc = run(["--project", "Noted"], script, {"REDIS_URL": redis_server.url})
    assert proc.returncode == 0, proc.stderr
    out = flat(proc.stdout)
    assert "note q3" not in out.split("Note added to q5.")[1]
    assert ("q5's note: “checked with legal”. To replace it, type note q5 <new text>; to remove it, note q5 "
            "clear.") in out
    assert "q2 has no note. To add one, type note q2 <text>." in out
    assert "q9 has no answer yet, so no note; answer it first, then type note q9 <text>." in out


# -- 6. list shows the notes' text -------------------------------------------------------------------------------------


def test_list_shows_each_notes_text(redis_server: RedisServer, redis_client) -> None:
    """Review finding: `list` showed `[note]` but never the note."""
    long = "labels from the 2025 audit, re-checked by two agents who disagreed on 40 of the 600 tickets " * 2
    script = f"yes\nnote q1 checked with legal\nyes\nnote {long}\nlist\nquit\n"
    proc = run(["--project", "Listed"], script, {"REDIS_URL": redis_server.url})
    assert proc.returncode == 0, proc.stderr
    listing = proc.stdout[proc.stdout.rfind("Answers so far"):]
    assert "[note]" not in listing
    assert "        note: “checked with legal”" in listing
    shortened = re.search(r"        note: “labels from the 2025 audit, .*…”", listing)
    assert shortened and len(shortened.group()) <= 80
    assert "type note q2 (without text) to see q2's in full" in flat(listing)
