"""Terminal input and output: lines wrapped to the window, prompts, and a pasted description."""

from __future__ import annotations

import contextlib
import os
import shutil
import textwrap
import unicodedata
from collections.abc import Callable
from typing import TextIO

END_OF_PASTE = "."


class OutputClosed(SystemExit):
    """Nobody reads the output any more; a SystemExit, so no handler on the way mistakes it for a failure."""


class Console:
    """Prints text wrapped to the terminal (80 columns when not a terminal), keeping each line's indent."""

    def __init__(self, out: TextIO, width: int | None = None) -> None:
        self.out = out
        self.width = width or _width(out)

    def say(self, text: str = "") -> None:
        self._print(self.wrap(text))

    def prompt(self, text: str) -> None:
        self._print(text, end="")

    def _print(self, text: str, end: str = "\n") -> None:
        try:
            print(text, end=end, file=self.out, flush=True)
        except BrokenPipeError:  # the reader went away (`ftcheck run | head`): stop quietly, answers so far saved
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), self.out.fileno())  # nothing more to flush at exit
            raise OutputClosed(1) from None

    def wrap(self, text: str) -> str:
        lines: list[str] = []
        for line in text.split("\n"):
            cells = cells_of(line)
            if cells <= self.width:
                lines.append(line)
                continue
            indent = line[: len(line) - len(line.lstrip())]
            hang = indent + "  " if indent else ""  # indented detail hangs; a plain paragraph stays flush
            if cells == len(line):
                lines += textwrap.wrap(line, self.width, subsequent_indent=hang, break_on_hyphens=False) or [line]
            else:
                lines += wrap_cells(line, self.width, indent, hang)
        return "\n".join(lines)


def cells_of(text: str) -> int:
    """Terminal columns ``text`` takes: East Asian wide and full-width characters (CJK, most emoji) take two,
    combining marks none."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap_cells(line: str, width: int, indent: str, hang: str) -> list[str]:
    """Word wrapping measured in terminal columns, for lines with wide characters (``textwrap`` counts
    characters). A word wider than the line (CJK text has no spaces) is broken where the line ends."""
    out: list[str] = []
    current = indent
    for word in line.split():
        sep = " " if current.strip() else ""
        if cells_of(current + sep + word) <= width:
            current += sep + word
            continue
        if current.strip():
            out.append(current)
            current = hang
        while cells_of(current + word) > width:
            cut = next(n for n in range(len(word), 0, -1) if cells_of(current + word[:n]) <= width or n == 1)
            out.append(current + word[:cut])
            word, current = word[cut:], hang
        current += word
    out.append(current)
    return out


def _width(out: TextIO) -> int:
    try:
        is_tty = out.isatty()
    except ValueError:
        is_tty = False
    if not is_tty:
        return 80
    columns = shutil.get_terminal_size((80, 24)).columns
    return max(40, min(columns, 100))


class LineReader:
    """One line at a time from stdin; None at end of input (Ctrl-D on a terminal)."""

    def __init__(self, stdin: TextIO, console: Console) -> None:
        self.stdin = stdin
        self.console = console
        self.interactive = _isatty(stdin)
        self.pushed: list[str] = []

    def unread(self, line: str) -> None:
        """Hand a line back: the next ``line()`` returns it without reading."""
        self.pushed.append(line)

    def line(self, prompt: str = "> ") -> str | None:
        if self.pushed:
            return self.pushed.pop()
        if self.interactive:
            self.console.prompt(prompt)
        text = self.stdin.readline()
        if text == "":
            if self.interactive:
                self.console.say()  # Ctrl-D leaves the cursor after the prompt
            return None
        return text.rstrip("\r\n")


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty() and os.isatty(stream.fileno())
    except (ValueError, OSError):
        return False


def read_paste(reader: LineReader) -> str:
    """Lines up to one holding only ``.`` or the end of input; blank lines are kept."""
    lines: list[str] = []
    while True:
        line = reader.line("")
        if line is None or line.strip() == END_OF_PASTE:
            break
        lines.append(line)
    return "\n".join(lines).strip()


def offer_description(reader: LineReader, console: Console, is_reply: Callable[[str], bool]) -> str:
    """Ask for a description on a terminal; an empty first line answers from scratch.

    A first line that is an answer or a command (``yes``, ``help``) was meant for the first question: it is
    handed back to the walk instead of starting a description.
    """
    console.say("Paste a project description to get suggested answers (blank lines are fine); end it with a "
                f"line holding only {END_OF_PASTE} or with Ctrl-D. Press Enter now to go on without one.")
    first = reader.line("")
    if first is None or not first.strip() or first.strip() == END_OF_PASTE:
        return ""
    if is_reply(first):
        reader.unread(first)
        return ""
    return (first + "\n" + read_paste(reader)).strip()


def short_description_warning(text: str, minimum: int) -> str | None:
    if len(text) >= minimum:
        return None
    return (f"That description has {len(text):,} characters; below {minimum:,} there is usually too little "
            "to suggest much (say how much labeled data you have, accuracy so far, budget, timeline, team). "
            "Using it anyway.")
