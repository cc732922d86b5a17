"""Terminal input and output: lines wrapped to the window, prompts, and a pasted description."""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import re
import select
import shutil
import signal
import sys
import textwrap
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from types import FrameType
from typing import TextIO

from bot.terminal.invocation import ftcheck_command
from bot.terminal.words import shorten
from scoring.render import cells_of as cells_of  # re-exported: the terminal's measure of a line
from scoring.render import wrap_cells

END_OF_PASTE = "."
LINUX_LINE_LIMIT = 4095  # bytes a Linux terminal passes in one line (canonical mode); it drops the rest
PASTE_GAP_S = 0.05  # input arriving within this after a line is the rest of a paste, not a person typing
SIGNAL_CHECK_S = 0.1  # how often a prompt waiting in readline looks for a Ctrl-C
HANGUP_WAIT_S = 0.5  # after a read failed because the terminal hung up: time for its SIGHUP to be handled
_LINE_END = re.compile(rb"\r\n|[\r\n\x04]")
# CSI (arrows: ESC [ D), SS3 (ESC O D), OSC (ESC ] … BEL), two-character sequences (Alt+x: ESC x), a lone ESC
_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|O[ -~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[0-~]?)")


class OutputClosed(SystemExit):
    """Nobody reads the output any more; a SystemExit, so no handler on the way mistakes it for a failure."""


class Console:
    """Prints text wrapped to the terminal (80 columns when not a terminal), keeping each line's indent.

    The width is the terminal's when the text is printed, so a window resized during the run is followed; a
    ``width`` given here (tests) stays fixed."""

    def __init__(self, out: TextIO, width: int | None = None) -> None:
        self.out = out
        self.fixed = width

    @property
    def width(self) -> int:
        return self.fixed or _width(self.out)

    def say(self, text: str = "") -> None:
        self._print(self.wrap(text))

    def show(self, render: Callable[[int], str]) -> None:
        """Text laid out by ``render`` for a width (a scorecard, with its own hanging indents): it is given the
        terminal's width now, so the console's wrap, at the same width, leaves its lines as they are."""
        width = self.width
        self._print(self.wrap(render(width), width))

    def prompt(self, text: str) -> None:
        self._print(text, end="")

    def _print(self, text: str, end: str = "\n") -> None:
        try:
            print(text, end=end, file=self.out, flush=True)
        except BrokenPipeError:  # the reader went away (`ftcheck run | head`): stop quietly, answers so far saved
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), self.out.fileno())  # nothing more to flush at exit
            raise OutputClosed(1) from None
        except OSError as exc:
            if exc.errno == errno.EIO:  # the terminal hung up: its SIGHUP stops the run here (see _hung_up)
                _hung_up()
            raise

    def wrap(self, text: str, width: int | None = None) -> str:
        width = width or self.width
        lines: list[str] = []
        for line in text.split("\n"):
            cells = cells_of(line)
            if cells <= width:
                lines.append(line)
                continue
            indent = line[: len(line) - len(line.lstrip())]
            hang = indent + "  " if indent else ""  # indented detail hangs; a plain paragraph stays flush
            if cells == len(line):
                lines += textwrap.wrap(line, width, subsequent_indent=hang, break_on_hyphens=False) or [line]
            else:
                lines += wrap_cells(line, width, indent, hang)
        return "\n".join(lines)


def _width(out: TextIO) -> int:
    try:
        is_tty = out.isatty()
    except ValueError:
        is_tty = False
    if not is_tty:
        return 80
    try:  # the window's size now, asked of the terminal itself: COLUMNS in the environment goes stale on a resize
        columns = os.get_terminal_size(out.fileno()).columns
    except (OSError, ValueError):
        columns = shutil.get_terminal_size((80, 24)).columns
    return max(40, min(columns, 100))


class InputNotText(SystemExit):
    """Piped input that is not UTF-8 text: said on stderr; a SystemExit, like OutputClosed (answers so far saved)."""


@dataclass(frozen=True)
class PasteLine:
    """One line of a pasted description, as the terminal passed it."""

    text: str
    last: bool = False  # no newline after it: Ctrl-D (or the end of input) ended the paste right after this text
    cut: bool = False  # it filled the terminal's line buffer: the terminal dropped the rest of the line


def plain(text: str, tab: str = " ") -> str:
    """Text without terminal escape sequences (an arrow key pressed where nothing edits the line) or other
    control characters, so none reaches a project name, an answer or a note; a tab becomes ``tab``."""
    return "".join(tab if c == "\t" else c for c in _ESCAPE.sub("", text)
                   if c == "\t" or unicodedata.category(c) != "Cc")


class LineReader:
    """One line at a time from stdin; None at end of input (Ctrl-D on an empty line at a terminal).

    At a terminal, prompts are read with ``input()`` and the ``readline`` module, so arrows, Home/End and
    backspace edit the line; a pasted description is read as the terminal passes it (no editing), so that one
    Ctrl-D after a last line without a newline ends it and a line the terminal cut can be reported.
    """

    def __init__(self, stdin: TextIO, console: Console) -> None:
        self.stdin = stdin
        self.console = console
        self.interactive = _isatty(stdin)
        self.pushed: list[str] = []
        self.shown: str | None = None  # a line handed back to be shown after the prompt that takes it (``unread``)
        self.pending: list[PasteLine | None] = []  # further lines of one read (None: the end of input)
        self.more = False  # input was already waiting behind the line ``line()`` returned last
        self.joined = False  # that line came right behind the one before it (``more`` when that one was taken)
        self.editing = self.interactive and _line_editing(stdin, console.out)
        self.limit = _line_limit(stdin) if self.interactive else 0

    def unread(self, line: str, show: bool = False) -> None:
        """Hand a line back: the next ``line()`` returns it without reading. ``show``: it was typed at another
        prompt (the description offer's), so it is shown after the prompt that takes it, as if typed there."""
        self.pushed.append(line)
        self.shown = line if show else None

    def line(self, prompt: str = "> ") -> str | None:
        """A line typed at ``prompt``, without control characters."""
        self.joined = self.more
        if self.pushed:
            text: str | None = self.pushed.pop()
            if self.interactive and text is not None and text == self.shown:
                self.console.say(prompt + text)
            self.shown = None
        elif self.editing and not self.waiting(0):
            text = self._edited(prompt)
        else:  # not a terminal, no readline, or typed ahead while the program was busy (see _edited)
            if self.interactive:
                self.console.prompt(prompt)
            got = self._read()
            self._end_line(got)
            text = None if got is None else got.text
        self.more = self.waiting(0)
        return None if text is None else plain(text)

    def _end_line(self, got: PasteLine | None) -> None:
        """The cursor to a new line: Ctrl-D leaves it after the prompt (or the text); a line typed ahead of
        readline is shown after its prompt."""
        if self.interactive and self.editing:
            self.console.say("" if got is None else plain(got.text))
        elif self.interactive and (got is None or got.last):
            self.console.say()

    def pasted(self) -> bool:
        """The line ``line()`` returned last came in one burst with other lines (a paste, or lines typed ahead
        together): it came right behind the line before it, or more follows at once. One line typed ahead alone
        (Enter pressed before the prompt showed) is not. Never so for piped input, where every line is meant (a
        script's blank line is Enter)."""
        return self.interactive and (self.joined or self.waiting())

    def drop_paste(self) -> int:
        """Read and drop the rest of a burst of input (a paste): the lines already waiting, and those that follow
        within ``PASTE_GAP_S``. Returns how many lines were dropped; an end of input among them is kept for the
        next ``line()``."""
        dropped = 0
        while self.waiting():
            if self.pushed:
                self.pushed.pop()
            else:
                got = self._read()
                if got is None:
                    self.pending.insert(0, None)
                    break
            dropped += 1
        self.more = False
        return dropped

    def paste_line(self) -> PasteLine | None:
        """A line of a pasted description (no prompt, tabs kept); None at the end of input."""
        self.more = False
        if self.pushed:
            return PasteLine(self.pushed.pop())
        got = self._read()
        if got is not None and got.last and self.interactive:
            self.console.say()  # Ctrl-D after text leaves the cursor after it
        return None if got is None else PasteLine(plain(got.text, tab="\t"), got.last, got.cut)

    def waiting(self, timeout: float = PASTE_GAP_S) -> bool:
        """More input is already there (or comes within ``timeout``): the rest of a paste, not a person typing."""
        if self.pushed or self.pending:
            return True
        if not self.interactive:
            return False
        try:
            ready, _, _ = select.select([self.stdin.fileno()], [], [], timeout)
        except (OSError, ValueError):
            return False
        return bool(ready)

    def _edited(self, prompt: str) -> str | None:
        """A line read by readline. What was typed while the program was busy sits in the terminal's buffer,
        complete lines and Ctrl-D included: ``line()`` reads that as the terminal passes it, because readline
        switches the terminal to raw mode, where a Ctrl-D typed before the switch comes out as a NUL it ignores."""
        while True:
            try:
                with _signals_heard():
                    text = input(prompt)
            except EOFError:
                self.console.say()  # Ctrl-D leaves the cursor after the prompt
                return None
            except UnicodeDecodeError:
                self.console.say("  That line is not UTF-8 text; type it again.")
                continue
            first, *rest = text.split("\n")  # several lines at once (a bracketed paste): one at a time
            self.pushed.extend(reversed(rest))
            return first

    def _read(self) -> PasteLine | None:
        if self.pending:
            return self.pending.pop(0)
        if not self.interactive:
            return self._read_stream()
        try:
            data = os.read(self.stdin.fileno(), 1 << 16)  # in canonical mode one read is at most one line
        except OSError as exc:
            if exc.errno == errno.EIO:
                _hung_up()
            raise
        if not data:
            return None
        first, *rest = terminal_lines(data, self.stdin.encoding or "utf-8", self.limit)
        self.pending.extend(rest)
        return first

    def _read_stream(self) -> PasteLine | None:
        try:
            text = self.stdin.readline()
            text.encode("utf-8")  # bytes a C.UTF-8 locale's stdin let through (as surrogates) are not text either
        except (UnicodeDecodeError, UnicodeEncodeError):
            print("ftcheck: standard input is not UTF-8 text. Convert it first (e.g. `iconv -f latin1 -t utf-8 "
                  "FILE`) and run again; answers given before it are saved.", file=sys.stderr, flush=True)
            raise InputNotText(2) from None
        if not text:
            return None
        return PasteLine(text.rstrip("\r\n"), last=not text.endswith("\n"))


def terminal_lines(data: bytes, encoding: str, limit: int) -> list[PasteLine | None]:
    """The lines one read of a terminal returned. In canonical mode that is one line, ended by a newline or not
    (Ctrl-D after text: the last line); one that filled the terminal's buffer (``limit``) was cut. What came while
    readline had the terminal in raw mode can hold several lines ended by \\r, and a Ctrl-D (\\x04): the end."""
    out: list[PasteLine | None] = []
    start = 0
    for end in _LINE_END.finditer(data):
        body, start = data[start:end.start()], end.end()
        text = body.decode(encoding, errors="replace")
        if end.group() == b"\x04":
            out.append(PasteLine(text, last=True) if body else None)
        else:
            out.append(PasteLine(text, cut=len(body) >= limit))
    if start < len(data):
        out.append(PasteLine(data[start:].decode(encoding, errors="replace"), last=True,
                             cut=len(data) - start >= limit))
    return out


@contextlib.contextmanager
def _signals_heard() -> Iterator[None]:
    """While readline waits for a key, wake it every 0.1 s (SIGALRM). CPython acts on a signal only when the
    ``select()`` readline waits in is interrupted, so a Ctrl-C that came just before it began waiting would be
    noticed only at the next key; this way one Ctrl-C always stops the run."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGALRM, _tick)
    signal.setitimer(signal.ITIMER_REAL, SIGNAL_CHECK_S, SIGNAL_CHECK_S)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL if before is None else before)


def _hung_up() -> None:
    """A read failed because the terminal hung up (its window closed). The kernel sends SIGHUP with the hang-up,
    but the read can fail before Python runs the handler (``run.StopSignals``: it stops the run as Ctrl-C does),
    which then ran in the middle of the clean-up and cut it short, leaving the embedded Redis running. Waiting
    here lets it run now, inside the read, where a Ctrl-C at a prompt stops the run; when no signal comes (the
    terminal is not the controlling one), the read's error goes on as before."""
    time.sleep(HANGUP_WAIT_S)


def _tick(signum: int, frame: FrameType | None) -> None:
    """Nothing to do: the signal only interrupts readline's wait, so that a pending Ctrl-C is acted on."""


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty() and os.isatty(stream.fileno())
    except (ValueError, OSError):
        return False


def _line_editing(stdin: TextIO, out: TextIO) -> bool:
    """Whether ``input()`` edits lines here: it uses readline only when reading the process's own terminal
    (sys.stdin, fd 0) and writing to it (sys.stdout, fd 1)."""
    try:
        console = stdin is sys.stdin and out is sys.stdout and stdin.fileno() == 0 and out.fileno() == 1
    except (ValueError, OSError):
        return False
    if not (console and _isatty(out)):
        return False
    try:
        importlib.import_module("readline")  # importing it is what turns line editing on for input()
    except ImportError:  # a Python built without it: the terminal's own editing (backspace, Ctrl-U) still works
        return False
    return True


def _line_limit(stdin: TextIO) -> int:
    """Bytes the terminal passes in one line before it drops the rest (canonical mode): 4095 on Linux."""
    if sys.platform.startswith("linux"):
        return LINUX_LINE_LIMIT
    try:
        return os.fpathconf(stdin.fileno(), "PC_MAX_CANON")
    except (OSError, ValueError):
        return LINUX_LINE_LIMIT


def read_paste(reader: LineReader) -> str:
    """The description from stdin (``--brief -``): lines up to one holding only ``.`` or the end of input."""
    if reader.interactive:
        reader.console.say(f"Paste the project description, then end it with a line holding only {END_OF_PASTE} "
                           "or with Ctrl-D.")
    return rest_of_paste(reader, [])


def rest_of_paste(reader: LineReader, lines: list[PasteLine]) -> str:
    """``lines`` and the rest of the paste, up to a line holding only ``.``, a Ctrl-D or the end of input;
    blank lines are kept. A line the terminal cut is reported, with how to give the whole text."""
    while not (lines and lines[-1].last):
        line = reader.paste_line()
        if line is None or line.text.strip() == END_OF_PASTE:
            break
        lines.append(line)
    if any(line.cut for line in lines):
        reader.console.say(cut_line_warning(reader.limit))
    return "\n".join(line.text for line in lines).strip()


def cut_line_warning(limit: int) -> str:
    return (f"The terminal cut a long line of the description: a terminal passes at most {limit:,} bytes of one "
            "line and drops the rest, so the end of that line is missing (the suggestions below are from what "
            f"arrived). To use the whole text, save it to a file and run `{ftcheck_command()} run --brief FILE` "
            "(or pipe it in with `--brief -`, the answers after its `.` line).")


def offer_description(reader: LineReader, console: Console, is_reply: Callable[[str], bool], minimum: int = 400
                      ) -> str:
    """Ask for a description on a terminal; an empty first line answers from scratch.

    A first line that is an answer or a command (``yes``, ``help``) was meant for the first question: it is
    handed back to the walk instead of starting a description. With more input already waiting behind the first
    line, it is a paste (copied text often starts with a blank line), whatever that line holds: no line pasted
    here is taken as an answer. A line typed alone that is neither, and far shorter than a description
    (``minimum``: where the short-description warning starts), may be a typo (``yse``): the person is asked
    before it starts a description (:func:`confirm_description`).
    """
    console.say("Paste a project description to get suggested answers (blank lines are fine); end it with a "
                f"line holding only {END_OF_PASTE} or with Ctrl-D. Press Enter now to go on without one.")
    first = reader.paste_line()
    if first is None or first.text.strip() == END_OF_PASTE:
        return ""
    if not first.last and reader.waiting():  # a paste
        return rest_of_paste(reader, [first])
    if not first.text.strip():
        return ""
    if is_reply(first.text):
        reader.unread(first.text, show=True)
        return ""
    if first.last:  # Ctrl-D right after the text: a description of one line, ended there
        return rest_of_paste(reader, [first])
    if len(first.text.strip()) < minimum:
        return confirm_description(reader, console, is_reply, first)
    console.say(f"  Reading a description: end it with a line holding only {END_OF_PASTE} or with Ctrl-D.")
    return rest_of_paste(reader, [first])


def confirm_description(reader: LineReader, console: Console, is_reply: Callable[[str], bool], first: PasteLine
                        ) -> str:
    """A short line typed alone at the description offer: asked whether it begins a description. More text goes
    on with it, and ``.`` or Ctrl-D ends it; Enter goes on without one; an answer or a command (``yes`` typed
    again) is handed to the walk, so no typed answer is lost."""
    shown = shorten(first.text)
    console.say(f"  Is “{shown}” the start of a description? Go on typing or pasting it and end it with a line "
                f"holding only {END_OF_PASTE}, or press Enter to go on without one.")
    line = reader.paste_line()
    if line is None or line.text.strip() == END_OF_PASTE:  # ended right there: a description of one line
        return rest_of_paste(reader, [replace(first, last=True)])
    pasted = reader.waiting()
    if not pasted and not line.text.strip():
        console.say(f"  No description; “{shown}” is not used.")
        return ""
    if not pasted and is_reply(line.text):
        reader.unread(line.text, show=True)  # shown again after the first question's prompt, which takes it
        console.say(f"  No description; “{shown}” is not used.")
        return ""
    return rest_of_paste(reader, [first, line])


def short_description_warning(text: str, minimum: int) -> str | None:
    if len(text) >= minimum:
        return None
    return (f"That description has {len(text):,} characters; below {minimum:,} there is usually too little "
            "to suggest much (say how much labeled data you have, accuracy so far, budget, timeline, team). "
            "Using it anyway.")
