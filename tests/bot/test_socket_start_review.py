"""Operator review of Socket Mode when Slack cannot be reached: `ftcheck serve --socket` as a process against a
Web API that hands out a WebSocket URL where the WebSocket is refused (or accepted, then dropped), or against no
Slack at all. slack_sdk's "Failed to connect … Retrying..." is one line on the console, not a ~225-line traceback;
SIGTERM while it is still connecting shuts down cleanly; and the compose health check reads the connection (a
heartbeat file), not Redis."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import structlog
import yaml
from aiohttp import WSMsgType, web
from structlog.testing import capture_logs

from bot import serve
from tests.bot.test_startup_checks import events, serving, until
from tests.standins.redis_server import RedisServer, free_port

pytestmark = pytest.mark.timeout(90)
REPO = Path(__file__).resolve().parents[2]
BOX = ("│", "╭", "╰")  # Rich's traceback box


class SocketSlack:
    """Slack's Web API (both tokens taken, apps.connections.open answered) and its WebSocket endpoint, which
    refuses the upgrade (404) unless ``accepting``; ``drop()`` closes the open WebSockets and refuses from then on."""

    def __init__(self) -> None:
        self.accepting = False
        self.sockets: list[web.WebSocketResponse] = []
        self.port = 0

    async def method(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "apps.connections.open":
            return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/link?ticket=t1"})
        return web.json_response({"ok": True, "user_id": "U0BOT", "bot_id": "B1", "team_id": "T1", "user": "ftcheck"})

    async def link(self, request: web.Request) -> web.StreamResponse:
        if not self.accepting:
            return web.Response(status=404)
        ws = web.WebSocketResponse()  # answers pings (slack_sdk's and aiohttp's heartbeat) with pongs
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}})
        async for message in ws:
            if message.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                break
        return ws

    async def drop(self) -> None:
        self.accepting = False
        for ws in self.sockets:
            await ws.close()


@asynccontextmanager
async def socket_slack() -> AsyncIterator[tuple[SocketSlack, str]]:
    slack = SocketSlack()
    app = web.Application()
    app.router.add_post("/api/{method}", slack.method)
    app.router.add_get("/link", slack.link)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    slack.port = free_port()
    await web.TCPSite(runner, "127.0.0.1", slack.port).start()
    try:
        yield slack, f"http://127.0.0.1:{slack.port}/api/"
    finally:
        await slack.drop()
        await runner.cleanup()


def env_at(api_url: str, redis_url: str, tmp: Path, **extra: str) -> dict[str, str]:
    """The server's environment: Socket Mode at ``api_url``, its temp dir (the heartbeat's) the test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "FTCHECK_", "REDIS_"))}
    env.update({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-1-A1-test", "SLACK_API_URL": api_url,
                "REDIS_URL": redis_url, "TMPDIR": str(tmp), "HOME": str(tmp), **extra})
    return env


def compose_health_check() -> list[str]:
    """The bot's health check in deploy/compose.yaml (Socket Mode, the default), as a command to run here."""
    compose = yaml.safe_load((REPO / "deploy" / "compose.yaml").read_text())
    test = compose["services"]["bot"]["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1] == "python", test
    return [sys.executable, *test[2:]]


def healthy(env: dict[str, str]) -> bool:
    """Whether compose's health check passes, run as Docker would in the bot's container (its environment)."""
    proc = subprocess.run(compose_health_check(), env=env, capture_output=True, text=True, timeout=30, check=False)
    return proc.returncode == 0


def stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=20)


async def test_socket_mode_with_slack_unreachable_logs_one_line_per_try_on_the_console(
        redis_server: RedisServer, tmp_path: Path) -> None:
    """Nothing at SLACK_API_URL: each of slack_sdk's tries (apps.connections.open, through ftcheck's own Web API
    client) printed "Failed to connect … Retrying..." with a ~225-line traceback box (before)."""
    log = tmp_path / "stderr.txt"
    env = env_at(f"http://127.0.0.1:{free_port()}/api/", redis_server.url, tmp_path)
    with serving(["serve", "--socket"], env, log) as proc:
        await until(lambda: "Failed to connect" in log.read_text(), "slack_sdk's first try", timeout=40)
        await asyncio.sleep(0.5)
        stop(proc)
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    failed = [line for line in lines if "Failed to connect" in line]
    assert failed and all('error="ClientConnectorError: Cannot connect to host 127.0.0.1' in f for f in failed), lines
    assert not [line for line in lines if line.startswith(BOX) or "Traceback" in line], lines
    assert len(lines) <= 10, lines


async def test_sigterm_while_the_websocket_is_refused_shuts_down_and_compose_says_unhealthy(
        redis_server: RedisServer, tmp_path: Path) -> None:
    """apps.connections.open answered, the WebSocket refused: slack_sdk retries forever. SIGTERM then ended the
    process by the signal's default (exit -15, no shutting_down: the handlers were installed only once connected),
    and compose's health check (a Redis ping) said healthy all along (before)."""
    log = tmp_path / "stderr.txt"
    async with socket_slack() as (_, api):
        env = env_at(api, redis_server.url, tmp_path, FTCHECK_LOG_JSON="true")
        with serving(["serve", "--socket"], env, log) as proc:
            await until(lambda: "Failed to connect" in log.read_text(), "slack_sdk's first try", timeout=40)
            was_healthy = healthy(env)
            code = stop(proc)
    assert (code, was_healthy) == (0, False), log.read_text()  # a clean stop; never connected, so unhealthy
    said = [e["event"] for e in events(log)]
    assert "shutting_down" in said and "socket_mode_connected" not in said, said
    assert not (tmp_path / serve.HEARTBEAT_FILE).exists()


async def test_compose_health_follows_the_websocket(redis_server: RedisServer, tmp_path: Path) -> None:
    """Connected: healthy. Slack drops the WebSocket and refuses it since: unhealthy within a heartbeat. SIGTERM
    then (slack_sdk reconnecting all the while) shuts down cleanly."""
    log = tmp_path / "stderr.txt"
    async with socket_slack() as (slack, api):
        slack.accepting = True
        env = env_at(api, redis_server.url, tmp_path, FTCHECK_LOG_JSON="true")
        with serving(["serve", "--socket"], env, log) as proc:
            await until(lambda: any(e["event"] == "socket_mode_connected" for e in events(log)), "the connection",
                        timeout=40)
            assert healthy(env), log.read_text()
            await slack.drop()
            await until(lambda: not healthy(env), "the health check to fail", timeout=25)  # a heartbeat is 10 s
            assert stop(proc) == 0, log.read_text()
    said = [e["event"] for e in events(log)]
    assert "socket_mode_connected" in said and "shutting_down" in said, said
    assert not (tmp_path / serve.HEARTBEAT_FILE).exists()


def test_compose_checks_the_heartbeat_file_the_bot_keeps(tmp_path: Path) -> None:
    """The check and the bot agree on the file, and the check wants it fresh (a hung bot stops touching it)."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    assert serve.HEARTBEAT_FILE in compose_health_check()[-1]
    path = serve.heartbeat_path()
    assert path is not None and path.name == serve.HEARTBEAT_FILE
    assert not healthy(env)  # no file
    beat = tmp_path / serve.HEARTBEAT_FILE
    beat.touch()
    assert healthy(env)
    os.utime(beat, (beat.stat().st_atime - 120, beat.stat().st_mtime - 120))  # last touched two minutes ago
    assert not healthy(env)


class NeverConnects:
    """A Socket Mode handler whose connection never comes: slack_sdk retrying forever."""

    def __init__(self, wss_uri: str | None) -> None:
        self.client = SimpleNamespace(wss_uri=wss_uri, web_client=SimpleNamespace(base_url="https://slack.com/api/"))
        self.cancelled = False

    async def connect_async(self) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            self.cancelled = True
            raise


@pytest.mark.parametrize(("wss_uri", "says"), [
    (None, "reaches slack.com over HTTPS (DNS, firewall, proxy), and that SLACK_APP_TOKEN is this app's"),
    ("wss://wss-primary.slack.com/link/?ticket=SECRET", "allow outbound WebSocket connections (wss://, port 443) "
                                                        "to wss-primary.slack.com")])
async def test_not_connected_after_a_while_is_one_warning_saying_what_to_check(wss_uri: str | None,
                                                                              says: str) -> None:
    handler, stop_event = NeverConnects(wss_uri), asyncio.Event()
    with capture_logs() as logs:
        connecting = asyncio.ensure_future(serve._connect(handler, stop_event, warn_after_s=0.2))
        await asyncio.sleep(0.6)
        stop_event.set()
        assert await asyncio.wait_for(connecting, 5) is False  # stopped, not connected
    assert handler.cancelled  # slack_sdk's retrying was stopped
    warned = [e for e in logs if e["event"] == "socket_mode_not_connected"]
    assert len(warned) == 1 and says in warned[0]["fix"], logs
    assert "SECRET" not in json.dumps(logs)  # the ticket in the URL is not logged


async def test_connected_in_time_is_no_warning() -> None:
    class Connects:
        client: Any = None

        async def connect_async(self) -> None:
            await asyncio.sleep(0.05)

    with capture_logs() as logs:
        assert await serve._connect(Connects(), asyncio.Event(), warn_after_s=5) is True
    assert not logs, logs


class Client:
    """slack_sdk's Socket Mode client as the watchdog and the heartbeat read it; its reconnection fails at once
    (``fails``: Slack's Web API unreachable for a new URL) or never ends (slack_sdk retrying the WebSocket)."""

    def __init__(self, connected: bool, fails: bool = False) -> None:
        self.connected, self.fails = connected, fails
        self.last_ping_pong_time: float | None = None
        self.reconnecting = self.cancelled = 0

    async def is_connected(self) -> bool:
        return self.connected

    async def connect_to_new_endpoint(self, force: bool = False) -> None:
        self.reconnecting += 1
        if self.fails:
            raise ConnectionRefusedError(111, "Connect call failed")
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise


async def test_a_reconnection_that_fails_is_one_warning_not_the_servers_end() -> None:
    """Before: the watchdog's reconnection raised (apps.connections.open unreachable) out of serve_socket, which
    ended the server with a traceback after a network drop."""
    client = Client(connected=False, fails=True)
    with capture_logs() as logs:
        await serve._watched(SimpleNamespace(client=client))
    assert client.reconnecting == 1
    assert [e["event"] for e in logs] == ["socket_mode_reconnect", "socket_mode_reconnect_failed"], logs
    assert "ConnectionRefusedError" in logs[1]["error"], logs


async def test_a_stop_is_not_kept_waiting_by_a_reconnection_and_the_heartbeat_follows(tmp_path: Path) -> None:
    """Connected: the file is touched. Dropped: removed, one warning, and the watchdog's reconnection (which
    slack_sdk retries forever) runs beside the loop, so a stop ends it at once."""
    path = tmp_path / serve.HEARTBEAT_FILE
    client, beat = Client(connected=True), serve.Heartbeat(path)
    stop_event = asyncio.Event()
    with capture_logs() as logs:
        staying = asyncio.ensure_future(serve._stay_connected(SimpleNamespace(client=client), stop_event, beat,
                                                              watchdog_s=0.1, heartbeat_s=0.05, warn_after_s=0.2))
        await asyncio.sleep(0.2)
        assert path.exists() and client.reconnecting == 0
        client.connected = False
        await asyncio.sleep(0.5)
        assert not path.exists() and client.reconnecting == 1  # one reconnection at a time
        stop_event.set()
        await asyncio.wait_for(staying, 2)
    assert client.cancelled == 1
    assert [e["event"] for e in logs].count("socket_mode_not_connected") == 1, logs


LIBRARY_ERRORS = """
import asyncio, logging
from types import SimpleNamespace
from bot.cli import configure_logging
from bot.leads.access import may_manage
from bot.ratelimit import PacedWebClient
from bot.settings import Settings
configure_logging(Settings())

async def main():
    client = PacedWebClient(base_url="http://127.0.0.1:{port}/api/", token="xoxb-test")
    client.retry_handlers = []
    try:  # as slack_sdk's Socket Mode client asks for a URL: the library calls ftcheck's client, which calls it
        await client.apps_connections_open(app_token="xapp-1-A1-test")
    except Exception:
        logging.getLogger("slack_bolt.AsyncApp").exception("Failed to connect (error: …); Retrying...")
    try:  # ftcheck's own code calling Slack, and not catching what it raised
        await may_manage(SimpleNamespace(client=client, settings=SimpleNamespace(lead_ids=())), "U2",
                         SimpleNamespace(started_by="U1"))
    except Exception:
        logging.getLogger("apscheduler.executors.default").exception("Job raised an exception")
    await client.aclose()

asyncio.run(main())
"""


def test_a_library_error_through_ftchecks_web_client_is_one_line_but_ftchecks_own_keeps_its_traceback(
        tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FTCHECK_", "NO_COLOR"))}
    proc = subprocess.run([sys.executable, "-c", LIBRARY_ERRORS.replace("{port}", str(free_port()))],
                          capture_output=True, text=True, timeout=30, cwd=tmp_path, check=False,
                          env={**env, "PYTHONPATH": str(REPO), "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    library, _, own = proc.stderr.partition("Job raised an exception")
    assert library.count("\n") == 1 and 'error="ClientConnectorError: Cannot connect to host' in library, \
        proc.stderr
    assert "may_manage" in own and "access.py" in own, proc.stderr  # ours: the whole traceback


def test_the_docker_run_health_check_in_deploy_readme_is_composes(tmp_path: Path) -> None:
    """deploy/README.md's Socket Mode `docker run --health-cmd "…"`, as Docker runs it (/bin/sh -c), checks the same
    file as compose's: healthy with a fresh heartbeat, unhealthy without."""
    readme = (REPO / "deploy" / "README.md").read_text()
    line = next(line for line in readme.splitlines() if line.lstrip().startswith("--health-cmd "))
    words = shlex.split(line.rstrip("\\ "))
    command = words[words.index("--health-cmd") + 1]
    assert compose_health_check()[-1] in command
    python_first = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"  # `python`, as in the image
    env = {**os.environ, "TMPDIR": str(tmp_path), "PATH": python_first}

    def runs() -> int:
        return subprocess.run(["/bin/sh", "-c", command], env=env, capture_output=True, timeout=30,
                              check=False).returncode

    assert runs() == 1
    (tmp_path / serve.HEARTBEAT_FILE).touch()
    assert runs() == 0


def test_no_writable_temp_dir_serves_on_without_a_heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only root with no tmpfs: tempfile finds no writable directory. Socket Mode crashed at start with
    FileNotFoundError (review of this session's heartbeat); it now says so once and serves on without one."""
    def nowhere() -> str:
        raise FileNotFoundError("No usable temporary directory found")

    monkeypatch.setattr(tempfile, "gettempdir", nowhere)
    with structlog.testing.capture_logs() as logs:
        heartbeat = serve.Heartbeat(serve.heartbeat_path())
        heartbeat.beat()
        heartbeat.clear()
    assert [e["event"] for e in logs] == ["socket_heartbeat_unwritable"]
