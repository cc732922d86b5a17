"""Catch tests that read files outside the repository (they pass here and fail on a fresh clone).

An audit hook (``sys.addaudithook``) sees every ``open``/``os.listdir``/``os.scandir`` in this process, the
stand-ins' threads included, and records each path outside the allowed roots: the repository, the Python
installation and virtualenv, the temp dir and the operating system's own directories (time zones too).
Subprocesses are not seen; ``.ci/run`` covers them by running the suite in a fresh clone.
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
               "/var/lib/ca-certificates", "/opt/homebrew", "/private/etc", "/private/var/folders", "/System")
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
        self._found: list[str] = []
        self._lock = threading.Lock()

    def allowed(self, path: str) -> bool:
        """Inside an allowed root, as written or once symlinks are followed."""
        return (os.path.abspath(path) + "/").startswith(self.roots) or (
            os.path.realpath(path) + "/").startswith(self.roots)

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
