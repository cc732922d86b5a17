"""What `ftcheck serve` says about its surroundings, as a process: a Redis outage once when it starts and once
when it ends (not a traceback twice a second), an app token Slack refuses, a port in use, a malformed REDIS_URL,
and Slack's OAuth variables, which must not turn the single-workspace bot into a silent OAuth app."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest

from tests.bot.harness import running_bot
from tests.bot.test_server_process import cli, env_for, until_ready
from tests.standins.redis_server import RedisServer, free_port
from tests.standins.slack_api import SlackStandIn

pytestmark = pytest.mark.timeout(90)


@contextmanager
def serving(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[str]]:
    """The CLI with stderr going to ``log``, read while it runs; stopped with SIGTERM (then killed) afterwards."""
    with log.open("w") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "bot", *args], env=env, stdout=subprocess.DEVNULL,
                                stderr=sink, text=True)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)


async def until(check: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def events(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


async def test_redis_down_at_start_is_one_warning_naming_the_host_not_a_traceback_per_tick(
        slack: SlackStandIn, tmp_path: Path) -> None:
    """A real redis-server, stopped: the server starts, warns once (host, no password) and then stays quiet, with
    the outbox ticking ten times a second (before: a ~500-line traceback per tick, and APScheduler's warnings)."""
    with RedisServer(port=free_port()) as redis:
        url = f"redis://ftcheck:S3cretPass@127.0.0.1:{redis.port}/0"
    port, log = free_port(), tmp_path / "stderr.txt"
    env = env_for(slack, url, FTCHECK_OUTBOX_TICK_SECONDS="0.1", FTCHECK_TICK_SECONDS="0.2")
    with serving(["serve", "--http", "--port", str(port), "--host", "127.0.0.1"], env, log) as proc:
        await until_ready(f"http://127.0.0.1:{port}", proc)
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/healthz") as resp:
            assert resp.status == 503 and (await resp.json())["redis"] == "down"
        await asyncio.sleep(3)  # about 30 outbox ticks and 15 reminder ticks, every one failing
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    text = log.read_text()
    lines = text.splitlines()
    assert "S3cretPass" not in text
    assert "Traceback" not in text and "raised an exception" not in text, text
    assert "maximum number of running instances" not in text, text
    warned = [line for line in lines if "redis" in line.lower()]
    assert len(warned) == 1 and "redis_unreachable_at_start" in warned[0], lines
    assert f"127.0.0.1:{redis.port}" in warned[0], warned
    assert len(lines) <= 5, lines  # the warning, listening, shutting down


async def test_a_redis_outage_while_serving_is_logged_when_it_starts_and_when_it_ends(
        slack: SlackStandIn, tmp_path: Path) -> None:
    redis = RedisServer(port=free_port())
    port, log = free_port(), tmp_path / "stderr.txt"
    while port == redis.port:  # Redis is not listening yet: its port may be handed out again
        port = free_port()
    env = env_for(slack, redis.url, FTCHECK_LOG_JSON="true", FTCHECK_OUTBOX_TICK_SECONDS="0.1")
    try:
        with serving(["serve", "--http", "--port", str(port), "--host", "127.0.0.1"], env, log) as proc:
            await until_ready(f"http://127.0.0.1:{port}", proc, log=log)  # Redis down at start: one warning
            await until(lambda: any(e["event"] == "redis_unreachable_at_start" for e in events(log)), "the warning")
            redis.start()
            await until(lambda: any(e["event"] == "redis_outage_ended" for e in events(log)), "the outage's end")
            await asyncio.sleep(1)  # ten good ticks: nothing to say
            redis.stop()
            await until(lambda: any(e["event"] == "redis_outage_started" for e in events(log)), "a new outage")
            await asyncio.sleep(2)  # twenty failing ticks
            redis.start()
            await until(lambda: [e["event"] for e in events(log)].count("redis_outage_ended") == 2, "the end")
            await asyncio.sleep(0.5)
    finally:
        redis.close()
    said = [e for e in events(log) if "redis" in str(e["event"])]
    assert [e["event"] for e in said] == ["redis_unreachable_at_start", "redis_outage_ended", "redis_outage_started",
                                          "redis_outage_ended"], said
    assert {e["redis"] for e in said} == {f"127.0.0.1:{redis.port}"}
    assert said[2]["level"] == "warning" and "exception" not in said[2], said
    assert not [e for e in events(log) if e["level"] == "error"], events(log)


async def test_an_app_token_slack_refuses_stops_socket_mode_and_names_the_variable(
        slack: SlackStandIn, redis_server: RedisServer, redis_client) -> None:
    slack.fail_next("apps.connections.open", error="invalid_auth")  # as Slack answers a revoked or made-up token
    env = env_for(slack, redis_server.url, SLACK_APP_TOKEN="xapp-1-A0-revoked")
    with cli("serve", "--socket", env=env) as proc:
        _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert ("Slack refused SLACK_APP_TOKEN (invalid_auth): generate an App-Level Token with connections:write "
            "under Basic Information → App-Level Tokens") in err, err
    assert "Traceback" not in err and "xapp-1-A0-revoked" not in err, err
    asked = [c for c in slack.calls if c.method == "apps.connections.open"]
    assert len(asked) == 1 and asked[0].headers["Authorization"] == "Bearer xapp-1-A0-revoked"


async def test_slack_unreachable_for_the_app_token_check_starts_socket_mode_anyway(
        slack: SlackStandIn, redis_server: RedisServer, redis_client, tmp_path: Path) -> None:
    slack.fail_next("apps.connections.open", status=503, times=4, page="text/plain")  # through every retry
    log = tmp_path / "stderr.txt"
    env = env_for(slack, redis_server.url, SLACK_APP_TOKEN="xapp-1-A0-fine", FTCHECK_LOG_JSON="true")
    with serving(["serve", "--socket"], env, log) as proc:
        await until(lambda: any(e["event"] == "slack_app_token_check_failed" for e in events(log)), "the warning",
                    timeout=40)
        # then slack_sdk's handler asks for its own URL: the server went on
        await until(lambda: len([c for c in slack.calls if c.method == "apps.connections.open"]) >= 5,
                    "the Socket Mode handler's own call")
        assert proc.poll() is None, log.read_text()
    failed = [e for e in events(log) if e["event"] == "slack_app_token_check_failed"]
    assert len(failed) == 1 and failed[0]["error"] == "http_503", failed


async def test_a_port_in_use_is_one_line_saying_what_to_do(slack: SlackStandIn, redis_server: RedisServer,
                                                           redis_client) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = env_for(slack, redis_server.url)
        with cli("serve", "--http", "--port", str(port), "--host", "127.0.0.1", env=env) as proc:
            _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert err.strip().splitlines()[-1] == f"port {port} is in use: pass --port N or stop the other process", err
    assert "Traceback" not in err and "─" not in err, err


@pytest.mark.parametrize("command", [["settings"], ["serve", "--http"], ["run", "--terminal"]])
def test_a_redis_url_without_a_scheme_is_one_line_naming_the_setting(command: list[str], tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FTCHECK_", "REDIS_"))}
    env.update({"REDIS_URL": "localhost:6379", "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s"})
    proc = subprocess.run([sys.executable, "-m", "bot", *command], env=env, capture_output=True, text=True,
                          timeout=60, check=False, cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    said = proc.stderr.strip()
    assert len(said.splitlines()) == 1 and said.startswith("ftcheck: REDIS_URL "), said
    assert "redis://" in said and "rediss://" in said and "unix://" in said and "redis+cluster://" in said, said
    assert "e.g. redis://localhost:6379/0" in said, said


async def test_slack_oauth_variables_do_not_switch_bolt_to_oauth_mode(
        slack: SlackStandIn, redis_server: RedisServer, redis_client, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """SLACK_CLIENT_ID + SLACK_CLIENT_SECRET (e.g. copied into .env with the rest of App Credentials, which compose
    puts in the environment): Bolt would answer every request with an empty 200 and do nothing."""
    monkeypatch.setenv("SLACK_CLIENT_ID", "1234.5678")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")  # as in a real deployment: Bolt would read it too
    with caplog.at_level(logging.INFO, logger="slack_bolt"):
        async with running_bot(slack, redis_server.url) as bot:
            reply = await asyncio.wait_for(bot.reply_to("help"), 20)
    assert "/ftcheck start" in reply, reply
    bolt_said = [r.getMessage() for r in caplog.records if r.name.startswith("slack_bolt")]
    assert not [m for m in bolt_said if "token" in m or "OAuth" in m or "InstallationStore" in m], bolt_said
    assert os.environ["SLACK_CLIENT_ID"] == "1234.5678" and os.environ["SLACK_BOT_TOKEN"] == "xoxb-test-token"


def test_the_bot_token_beside_the_client_brings_no_warning_from_bolt(slack: SlackStandIn, tmp_path: Path) -> None:
    """`As you gave client as well, token will be unused.` at every start: SLACK_BOT_TOKEN in the environment,
    read by Bolt itself beside the client ftcheck hands it."""
    code = ("import logging, sys; from bot.app import build_app; from bot.services import Services; "
            "from bot.app import make_client; from bot.settings import Settings; import redis.asyncio as r; "
            "logging.basicConfig(stream=sys.stderr, level=logging.INFO); s = Settings(); "
            "build_app(Services.build(s, r.Redis(), make_client(s)))")
    env = env_for(slack, "redis://127.0.0.1:1/0")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                          check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "will be unused" not in proc.stderr and "ignored" not in proc.stderr, proc.stderr


def test_the_log_level_is_checked_before_anything_runs(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FTCHECK_", "REDIS_"))}
    proc = subprocess.run([sys.executable, "-m", "bot", "settings"], env={**env, "FTCHECK_LOG_LEVEL": "verbose"},
                          capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("ftcheck: setting FTCHECK_LOG_LEVEL: 'verbose' is not a log level; use one of "
                                   "DEBUG, INFO, WARNING, ERROR, CRITICAL"), proc.stderr


README = Path(__file__).parents[2] / "README.md"


def test_the_readme_says_what_the_messages_point_at(tmp_path: Path) -> None:
    """The "no Redis" error points at README → Configuration, which must explain REDIS_URL; the table there is
    `ftcheck settings --table`, verbatim; `serve --help` lists every endpoint."""
    from bot.settings import Settings
    from bot.store_location import NoStore, locate_store

    with pytest.raises(NoStore) as caught:
        locate_store(Settings(_env_file=None), allow_embedded=False)
    assert "README → Configuration" in str(caught.value)
    readme = README.read_text()
    configuration = readme.split("\n## Configuration\n")[1].split("\n## ")[0]
    assert "`REDIS_URL` accepts" in configuration and "docker run" in configuration
    for variable in ("NO_COLOR", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "`.env`"):
        assert variable in configuration, variable
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FTCHECK_", "REDIS_"))}
    table = subprocess.run([sys.executable, "-m", "bot", "settings", "--table"], env=env, capture_output=True,
                           text=True, timeout=60, check=True, cwd=tmp_path).stdout
    assert table.strip() in configuration
    help_text = subprocess.run([sys.executable, "-m", "bot", "serve", "--help"], env={**env, "COLUMNS": "200"},
                               capture_output=True, text=True, timeout=60, check=True, cwd=tmp_path).stdout
    assert all(path in help_text for path in ("/slack/events", "/readyz", "/healthz", "/metrics")), help_text
