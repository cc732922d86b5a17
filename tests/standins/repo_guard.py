"""Catch tests that read files outside the repository (they pass here and fail on a fresh clone).

An audit hook (``sys.addaudithook``) sees every ``open``/``os.listdir``/``os.scandir`` in this process, the
stand-ins' threads included, and records each path outside the allowed roots: the repository, the Python
installation and virtualenv, the temp dir and the operating system's own directories (time zones too).
Whatever sat beside the checkout when the run began (reference folders) is outside even when the checkout lives in
the temp dir. Subprocesses are not seen; ``.ci/run`` covers them by running the suite in a fresh clone.
"""

from __future__ import annotations

import os
import site
import sys
import tempfile
import threading
import zoneinfo
from pathlib import Path

SYSTEM_DIRS = ("/dev", "/proc", "/sys", "/etc", "/usr", "/lib", "/lib64", "/bin", "/sbin", "/run", "/var/tmp",
               "/var/lib", "/var/db", "/opt/homebrew", "/private/etc", "/private/var/folders", "/System")
WATCHED_EVENTS = frozenset({"open", "os.listdir", "os.scandir"})


def _roots(repo: Path) -> tuple[str, ...]:
    found = {str(repo), sys.prefix, sys.base_prefix, sys.exec_prefix, tempfile.gettempdir(), "/tmp",
             *site.getsitepackages(), site.getusersitepackages(), *SYSTEM_DIRS, *zoneinfo.TZPATH}
    real = {os.path.realpath(r) for r in found}
    return tuple(sorted({r.rstrip("/") + "/" for r in found | real if r and r != "/"}))


class OutsideReads:
    """The audit hook and what it found; ``taken()`` hands over new findings once."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo.resolve()
        self.roots = _roots(self.repo)
        self.beside = self._beside()
        self._found: list[str] = []
        self._lock = threading.Lock()

    def _beside(self) -> tuple[str, ...]:
        """What sat beside the checkout at the start, except what holds an allowed root (a venv, /tmp, /usr)
        and pytest's own temp root (tmp_path lives there)."""
        found = []
        for name in os.listdir(self.repo.parent):
            entry = f"{self.repo.parent / name}/"
            if name != self.repo.name and not name.startswith("pytest-of-") and not any(
                    root.startswith(entry) for root in self.roots):
                found.append(entry)
        return tuple(found)

    def allowed(self, path: str) -> bool:
        """Inside an allowed root and not beside the checkout, both as written and once symlinks are followed."""
        return all(candidate.startswith(self.roots) and not candidate.startswith(self.beside)
                   for candidate in (os.path.abspath(path) + "/", os.path.realpath(path) + "/"))

    def hook(self, event: str, args: tuple[object, ...]) -> None:
        if event not in WATCHED_EVENTS or not args:
            return
        path = args[0]
        if isinstance(path, os.PathLike):
            path = os.fspath(path)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if not isinstance(path, str) or path == "" or self.allowed(path):
            return
        with self._lock:
            self._found.append(f"{event} {os.path.abspath(path)}")

    def install(self) -> None:
        sys.addaudithook(self.hook)

    def taken(self) -> list[str]:
        with self._lock:
            found, self._found = self._found, []
        return found
