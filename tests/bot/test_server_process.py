"""`ftcheck serve` and `ftcheck run` as processes: a clean stop on SIGTERM, tokens Slack refuses named, one log
format. Each test starts the real CLI against the Slack stand-in and a throwaway redis-server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest
import yaml

from tests.bot.harness import SECRET, running_bot
from tests.standins.redis_server import RedisServer, free_port
from tests.standins.slack_api import SlackStandIn

pytestmark = pytest.mark.timeout(60)


def env_for(slack: SlackStandIn, redis_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "FTCHECK_", "REDIS_"))}
    env.update({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.base_url,
                "REDIS_URL": redis_url, **extra})
    return env


@contextmanager
def cli(*args: str, env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "bot", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


async def until_ready(url: str, proc: subprocess.Popen[str], timeout: float = 20, log: Path | None = None) -> None:
    """``url``'s /readyz answers 200 while ``proc`` runs; else fails with the end of ``log`` (its stderr)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with aiohttp.ClientSession() as session:
        while loop.time() < deadline and proc.poll() is None:
            try:
                async with session.get(f"{url}/readyz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    said = log.read_text(errors="replace")[-2000:] if log is not None and log.exists() else ""
    raise AssertionError(f"the server did not start (exit code {proc.poll()}): {said}")


# what conversations.migrations.migrate logs as each of its steps finishes
MIGRATION_DONE = {"read_models_built", "project_names_decoded", "reminders_split_by_channel"}


async def test_sigterm_stops_the_http_server_cleanly_with_json_logs_only(slack: SlackStandIn,
                                                                         redis_server: RedisServer) -> None:
    port = free_port()
    env = env_for(slack, redis_server.url, FTCHECK_LOG_JSON="true", FTCHECK_OUTBOX_TICK_SECONDS="0.05")
    with cli("serve", "--http", "--port", str(port), "--host", "127.0.0.1", env=env) as proc:
        await until_ready(f"http://127.0.0.1:{port}", proc)
        await asyncio.sleep(0.5)  # about ten outbox ticks
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err  # the shutdown ran (a signal's default would end it with -15)
    records = [json.loads(line) for line in err.splitlines() if line.strip()]  # every line is JSON
    events = [r["event"] for r in records]
    assert "http_listening" in events and "shutting_down" in events, events
    # the start-up data migration, when the machine is slow, is still running at the signal: the shutdown lets it
    # finish (a migration cut short is run again, but no need), so its lines may follow; nothing else may
    after = events[events.index("shutting_down") + 1:]
    assert set(after) <= MIGRATION_DONE, events
    assert not any("Running job" in e or "executed successfully" in e for e in events), events


async def test_a_bot_token_slack_refuses_stops_the_server_and_names_the_variable(
        slack: SlackStandIn, redis_server: RedisServer) -> None:
    env = env_for(slack, redis_server.url, SLACK_BOT_TOKEN="xoxp-a-user-token")
    with cli("serve", "--http", "--port", str(free_port()), "--host", "127.0.0.1", env=env) as proc:
        _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in err and "Bot User OAuth Token" in err, err
    assert slack.take_violations("auth.test: invalid_auth")  # the refused token, sent on purpose


async def test_a_slack_outage_at_start_up_does_not_stop_the_server(slack: SlackStandIn,
                                                                    redis_server: RedisServer) -> None:
    """auth.test answered by a proxy's 503 page (no JSON), through every retry: the server starts and says so."""
    slack.fail_next("auth.test", status=503, times=4, page="text/plain")
    port = free_port()
    env = env_for(slack, redis_server.url, FTCHECK_LOG_JSON="true")
    with cli("serve", "--http", "--port", str(port), "--host", "127.0.0.1", env=env) as proc:
        await until_ready(f"http://127.0.0.1:{port}", proc, timeout=30)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    records = [json.loads(line) for line in err.splitlines() if line.strip()]
    failed = [r for r in records if r["event"] == "slack_auth_test_failed"]
    assert len(failed) == 1 and failed[0]["error"] == "http_503", records
    assert proc.returncode == 0, err


async def test_socket_mode_with_the_bot_token_as_app_token_names_the_variable(
        slack: SlackStandIn, redis_server: RedisServer) -> None:
    env = env_for(slack, redis_server.url, SLACK_APP_TOKEN="xoxb-test")
    with cli("serve", "--socket", env=env) as proc:
        _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert "needs SLACK_APP_TOKEN to be the app-level token" in err and "xapp-" in err, err


async def test_run_with_only_a_bot_token_says_what_else_it_needs(slack: SlackStandIn,
                                                                 redis_server: RedisServer) -> None:
    env = env_for(slack, redis_server.url)
    del env["SLACK_SIGNING_SECRET"]
    with cli("run", env=env) as proc:
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "SLACK_APP_TOKEN (Socket Mode" in err and "SLACK_SIGNING_SECRET (HTTP mode)" in err, err
    assert "--terminal" in err


async def test_every_probe_of_the_kubernetes_deployment_is_served(slack: SlackStandIn,
                                                                 redis_server: RedisServer) -> None:
    spec = yaml.safe_load((Path(__file__).parents[2] / "deploy" / "k8s" / "deployment.yaml").read_text())
    container = spec["spec"]["template"]["spec"]["containers"][0]
    paths = {container[probe]["httpGet"]["path"] for probe in ("readinessProbe", "livenessProbe")}
    assert paths == {"/readyz"}  # not /healthz: a Redis outage must not take every pod out of the Service
    async with running_bot(slack, redis_server.url) as bot, aiohttp.ClientSession() as session:
        for path in [*paths, "/healthz"]:
            async with session.get(f"{bot.url}{path}") as resp:
                assert resp.status == 200, path
