"""Operator review of `ftcheck serve` and the terminal against a hostile network, as processes: Slack's connection
closed without an answer at start, a read-only Redis replica, Socket Mode with the WebSocket unreachable, something
other than Redis at REDIS_URL, web URLs without a scheme, and a Redis that refuses the terminal's password."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from tests.bot.test_server_process import env_for, until_ready
from tests.bot.test_startup_checks import events, serving, until
from tests.standins.redis_server import RedisServer, free_port
from tests.standins.slack_api import SlackStandIn

pytestmark = pytest.mark.timeout(90)
REPO = Path(__file__).resolve().parents[2]
BOX = ("│", "╭", "╰")  # Rich's traceback box


@contextmanager
def closing_server(reply: bytes = b"") -> Iterator[int]:
    """A TCP server on 127.0.0.1 that reads each request, writes ``reply`` (nothing by default) and closes the
    connection (FIN): a proxy dropping the upstream, or another kind of server at the port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(0.3)
                try:
                    conn.recv(65536)
                    conn.sendall(reply)
                except OSError:
                    pass
                conn.shutdown(socket.SHUT_RDWR)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def said(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if line.strip()]


async def test_slack_closing_the_connection_at_start_is_one_warning_and_the_server_starts(
        redis_server: RedisServer, tmp_path: Path) -> None:
    """Before: ServerDisconnectedError (an aiohttp.ClientError, not an OSError) escaped the start-up check and the
    server exited 1 with a ~250-line traceback and "Unclosed client session"."""
    port, log = free_port(), tmp_path / "stderr.txt"
    with closing_server() as slack_port:
        env = env_at(f"http://127.0.0.1:{slack_port}/api/", redis_server.url)
        with serving(["serve", "--http", "--port", str(port), "--host", "127.0.0.1"], env, log) as proc:
            await until_ready(f"http://127.0.0.1:{port}", proc, timeout=30)
            assert proc.poll() is None
    lines = said(log)
    warned = [line for line in lines if "slack_unreachable_at_start" in line]
    assert len(warned) == 1 and "ServerDisconnectedError" in warned[0], lines
    assert "Traceback" not in log.read_text() and "Unclosed client session" not in log.read_text(), lines


def env_at(slack_api_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The server's environment with SLACK_API_URL at a server of the test's own (not the stand-in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "FTCHECK_", "REDIS_"))}
    env.update({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "shh", "SLACK_API_URL": slack_api_url,
                "REDIS_URL": redis_url, **extra})
    return env


async def test_a_read_only_replica_is_one_outage_that_ends_only_when_redis_takes_writes(
        slack: SlackStandIn, tmp_path: Path) -> None:
    """REDIS_URL at a replica (replica-read-only, its primary nowhere): the outbox tick reads fine, which ended the
    outage half a second after it began (before) while /healthz said 503 "up, refusing writes"."""
    port, log = free_port(), tmp_path / "stderr.txt"
    with RedisServer(extra_args=["--replicaof", "127.0.0.1", str(free_port())]) as replica:
        env = env_for(slack, replica.url, FTCHECK_LOG_JSON="true", FTCHECK_OUTBOX_TICK_SECONDS="0.1")
        with serving(["serve", "--http", "--port", str(port), "--host", "127.0.0.1"], env, log) as proc:
            await until_ready(f"http://127.0.0.1:{port}", proc)
            await until(lambda: any(e["event"] == "redis_outage_started" for e in events(log)), "the outage")
            await asyncio.sleep(2)  # twenty outbox ticks that read without trouble
            async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 503 and (await resp.json())["redis"] == "up, refusing writes"
            assert not [e for e in events(log) if e["event"] == "redis_outage_ended"], events(log)
            replica.client().replicaof("NO", "ONE")  # promoted: writes are taken again
            await until(lambda: any(e["event"] == "redis_outage_ended" for e in events(log)), "the outage's end")
    outage = [e["event"] for e in events(log) if "redis" in str(e["event"])]
    assert outage == ["redis_outage_started", "redis_outage_ended"], outage


@asynccontextmanager
async def slack_with_unreachable_websocket() -> AsyncIterator[str]:
    """A Web API that takes both tokens and hands out a WebSocket URL where nothing listens."""

    async def method(request: web.Request) -> web.Response:
        if request.match_info["method"] == "apps.connections.open":
            return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{free_port()}/link"})
        return web.json_response({"ok": True, "user_id": "U0BOT", "bot_id": "B1", "team_id": "T1", "user": "ftcheck"})

    app = web.Application()
    app.router.add_post("/api/{method}", method)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/api/"
    finally:
        await runner.cleanup()


async def test_socket_mode_reconnecting_to_an_unreachable_websocket_is_one_line_per_attempt(
        redis_server: RedisServer, tmp_path: Path) -> None:
    """Before: each of slack_sdk's attempts (every 10 s) printed its "Failed to connect" record with a 150-line
    Rich traceback box, in a pipe too."""
    log = tmp_path / "stderr.txt"
    async with slack_with_unreachable_websocket() as api:
        env = env_at(api, redis_server.url, SLACK_APP_TOKEN="xapp-1-A0-test")
        with serving(["serve", "--socket"], env, log):
            await until(lambda: "Failed to connect" in log.read_text(), "the first attempt", timeout=30)
            await asyncio.sleep(1)
    lines = said(log)
    failed = [line for line in lines if "Failed to connect" in line]
    assert len(failed) == 1 and 'error="ClientConnectorError: ' in failed[0], lines
    assert not [line for line in lines if line.startswith(BOX) or "Traceback" in line], lines
    assert len(lines) <= 8, lines


def test_a_library_error_is_one_line_but_one_through_our_code_keeps_its_traceback(tmp_path: Path) -> None:
    script = """
import logging
from bot.cli import configure_logging
from bot.settings import Settings, parse_duration
configure_logging(Settings())
try:
    raise ConnectionRefusedError(111, "Connect call failed")
except OSError:
    logging.getLogger("slack_sdk.socket_mode.aiohttp").exception("Failed to connect; Retrying...")
try:
    parse_duration("soon")
except ValueError:
    logging.getLogger("aiohttp.server").exception("Error handling request")
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FTCHECK_", "NO_COLOR"))}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30,
                          env={**env, "PYTHONPATH": str(REPO), "HOME": str(tmp_path)}, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr
    before, _, after = proc.stderr.partition("Error handling request")
    assert before.count("\n") == 1 and "error='ConnectionRefusedError: [Errno 111] Connect call failed'" in before, \
        proc.stderr
    assert "parse_duration" in after and "settings.py" in after, proc.stderr  # ours: the whole traceback


async def test_something_else_at_redis_url_is_named_once_with_the_fix_not_a_traceback_per_tick(
        slack: SlackStandIn, tmp_path: Path) -> None:
    """Before: "Redis does not answer", then outbox_tick_failed with a ~260-line traceback (InvalidResponse:
    Protocol error, got "H") every tick."""
    port, log = free_port(), tmp_path / "stderr.txt"
    with closing_server(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n") as http_port:
        env = env_for(slack, f"redis://127.0.0.1:{http_port}/0", FTCHECK_OUTBOX_TICK_SECONDS="0.1",
                      FTCHECK_TICK_SECONDS="0.2")
        with serving(["serve", "--http", "--port", str(port), "--host", "127.0.0.1"], env, log) as proc:
            await until_ready(f"http://127.0.0.1:{port}", proc)
            await asyncio.sleep(3)  # thirty outbox ticks
        listed = subprocess.run([sys.executable, "-m", "bot", "list"], capture_output=True, text=True, timeout=30,
                                env={**env, "HOME": str(tmp_path)}, check=False)
    text, lines = log.read_text(), said(log)
    assert "Traceback" not in text and "outbox_tick_failed" not in text, lines
    warned = [line for line in lines if "redis" in line.lower()]
    assert len(warned) == 1 and "redis_unreachable_at_start" in warned[0], lines
    assert "does not speak Redis" in warned[0] and "check the host and port in REDIS_URL" in warned[0], warned
    assert listed.returncode == 1 and "does not speak Redis" in listed.stderr, listed.stderr


@pytest.mark.parametrize(("variable", "value"), [("SLACK_API_URL", "slack.com/api/"),
                                                 ("OPENAI_BASE_URL", "api.openai.com/v1"),
                                                 ("SLACK_API_URL", "ftp://slack.com/api/")])
def test_a_web_url_without_its_scheme_is_a_setting_error_naming_the_variable(
        variable: str, value: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "FTCHECK_", "REDIS_URL"))}
    env.update({variable: value, "HOME": str(tmp_path), "SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s"})
    for args in (["settings"], ["serve", "--http", "--host", "127.0.0.1", "--port", str(free_port())]):
        proc = subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=30,
                              env=env, check=False)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.startswith(f"ftcheck: setting {variable}: "), proc.stderr
        assert "must start with https:// (or http:// for a local stand-in)" in proc.stderr, proc.stderr
        assert proc.stderr.count("\n") == 1, proc.stderr


def test_local_stand_in_urls_stay_allowed(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "FTCHECK_", "REDIS_URL"))}
    env.update({"SLACK_API_URL": "http://127.0.0.1:8080/api/", "OPENAI_BASE_URL": "http://localhost:11434/v1",
                "HOME": str(tmp_path)})
    proc = subprocess.run([sys.executable, "-m", "bot", "settings"], capture_output=True, text=True, timeout=30,
                          env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "http://127.0.0.1:8080/api/" in proc.stdout and "http://localhost:11434/v1" in proc.stdout


@pytest.mark.parametrize(("password", "why"), [("wrong", "WRONGPASS"), (None, "NOAUTH")])
def test_the_terminal_gives_the_password_fix_when_redis_refuses_the_credentials(
        password: str | None, why: str, tmp_path: Path) -> None:
    with RedisServer() as redis:
        redis.client().config_set("requirepass", "hunter2")  # after start: the stand-in's readiness PING is bare
        url = f"redis://:{password}@127.0.0.1:{redis.port}/0" if password else redis.url
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "FTCHECK_", "REDIS_"))}
        proc = subprocess.run([sys.executable, "-m", "bot", "run", "--project", "Z"], input="yes\n",
                              capture_output=True, text=True, timeout=60, check=False,
                              env={**env, "REDIS_URL": url, "HOME": str(tmp_path), "PYTHONPATH": str(REPO)})
    out = " ".join(proc.stdout.split())  # the terminal wraps its lines
    assert proc.returncode == 1, out
    assert f"refused REDIS_URL's credentials ({why}" in out and "redis://:PASSWORD@host:6379/0" in out, out
    assert "Check that this Redis is running" not in out and "unset REDIS_URL" not in out, out
    assert json.dumps("wrong") not in out  # the password is never echoed
