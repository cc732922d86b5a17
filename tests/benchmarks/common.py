"""Shared pieces: the result table, percentiles, machine facts and child processes with a JSON handshake."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench-token"
TEAM = "T0001"
ROOT = Path(__file__).resolve().parents[2]

# Variables that could point a child at a real workspace, model or Redis, or through a proxy
# (slack_sdk ignores NO_PROXY, so calls to the local stand-in must not see one).
_SCRUB_PREFIXES = ("SLACK_", "OPENAI_", "FTCHECK_")
_SCRUB = {"REDIS_URL", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"}


def clean_env() -> dict[str, str]:
    """This process's environment without Slack/OpenAI/ftcheck settings and proxies."""
    return {k: v for k, v in os.environ.items() if k not in _SCRUB and not k.startswith(_SCRUB_PREFIXES)}


def scrub_environ() -> None:
    for key in list(os.environ):
        if key in _SCRUB or key.startswith(_SCRUB_PREFIXES):
            del os.environ[key]


@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    target: str = "-"
    verdict: str = "measured"


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile (numpy's default); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.1f}"


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def rss_kib(pid: int) -> int:
    """VmRSS of a process from /proc/<pid>/status, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def redis_version(executable: str) -> str:
    try:
        out = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    for part in out.split():
        if part.startswith("v="):
            return part[2:]
    return out.strip() or "unknown"


def machine_lines(redis_executable: str, load_before: str) -> list[str]:
    return [
        f"Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"Machine: {cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"redis-server {redis_version(redis_executable)}; {platform.system()} {platform.release()}",
        f"Load average (1/5/15 min) before: {load_before}, after: {loadavg()}",
    ]


def render_table(rows: Sequence[Row]) -> str:
    header = ("Figure", "Value", "Target", "Verdict")
    cells = [header, *((r.figure, r.value, r.target, r.verdict) for r in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(4)]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(c) for c in cells[1:])])


class Child:
    """A ``python -m <module>`` child that prints one JSON line when ready; stopped by its own pid."""

    def __init__(self, module: str, args: Sequence[str], log_path: Path, *, stdin: bool = False) -> None:
        self.module = module
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, *args], cwd=ROOT, env=clean_env(), stdout=subprocess.PIPE,
            stderr=self._log, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL)
        self.info: dict[str, Any] = {}

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _readline(self, timeout: float) -> dict[str, Any]:
        """One JSON line from the child's stdout (blocking, in a thread by the async callers)."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line:
                with contextlib.suppress(json.JSONDecodeError):
                    data: dict[str, Any] = json.loads(line)
                    return data
                continue
            if self.proc.poll() is not None:
                break
        raise RuntimeError(f"{self.module} gave no answer (exit {self.proc.poll()}); log: {self.log_path}\n"
                           f"{self.log_tail()}")

    async def ready(self, timeout: float = 60) -> dict[str, Any]:
        self.info = await asyncio.wait_for(asyncio.to_thread(self._readline, timeout), timeout + 5)
        return self.info

    async def result(self, timeout: float) -> dict[str, Any]:
        return await asyncio.wait_for(asyncio.to_thread(self._readline, timeout), timeout + 5)

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 10) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        for stream in (self.proc.stdout, self.proc.stdin):
            if stream is not None:
                stream.close()
        self._log.close()
