"""What an operator meets, as a process where it can be: a Redis that refuses REDIS_URL's password stops the server
with the fix (it looked like an outage for ever), a wrong signing secret is in the log, a scope the app lacks is
told as "reinstall the app" (not "try again"), `ftcheck list` on the server's Redis says Slack's evaluations are
there, every invalid setting and every misspelled FTCHECK_* name is reported at start, and compose waits for the
shutdown the code does."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest
import redis
import redis.asyncio as aioredis
import structlog
import yaml

from tests.bot.harness import running_bot
from tests.bot.test_server_process import cli, env_for, until_ready
from tests.bot.test_startup_checks import events, serving, until
from tests.standins.redis_server import RedisServer, find_redis_server, free_port
from tests.standins.signing import post_signed, slash_command_body
from tests.standins.slack_api import SlackStandIn

pytestmark = pytest.mark.timeout(90)
ROOT = Path(__file__).parents[2]
PASSWORD = "Corr3ct-Horse"


@contextmanager
def redis_with_password(password: str) -> Iterator[int]:
    """A real redis-server with ``requirepass`` (RedisServer waits for a PONG it would never get); its port."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="ftcheck-redis-auth-") as data:
        proc = subprocess.Popen([find_redis_server(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", data, "--requirepass", password],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    redis.Redis(port=port, password=password, socket_timeout=0.5).ping()
                    break
                except redis.ConnectionError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise
                    time.sleep(0.05)
            yield port
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "FTCHECK_", "REDIS_"))}
    return {**env, **extra}


# ----- 1. Redis refusing REDIS_URL's credentials


@pytest.mark.parametrize(("userinfo", "why"), [
    ("", "NOAUTH: Redis requires a password and REDIS_URL has none"),
    (":wrong-pass@", "WRONGPASS: the user name or password in REDIS_URL is wrong"),
])
def test_redis_refusing_the_credentials_stops_the_server_with_the_fix(
        slack: SlackStandIn, userinfo: str, why: str) -> None:
    with redis_with_password(PASSWORD) as port:
        env = env_for(slack, f"redis://{userinfo}127.0.0.1:{port}/0")
        with cli("serve", "--http", "--port", str(free_port()), "--host", "127.0.0.1", env=env) as proc:
            _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err
    assert err.strip().splitlines()[-1] == (
        f"Redis at 127.0.0.1:{port} refused REDIS_URL's credentials ({why}): use redis://:PASSWORD@host:6379/0 with "
        "Redis's password (requirepass; percent-encode any @ : / in it), or redis://USER:PASSWORD@host:6379/0 for an "
        "ACL user."), err
    assert "redis_unreachable_at_start" not in err and "Traceback" not in err and "wrong-pass" not in err, err


def test_the_command_line_names_the_credentials_too(tmp_path: Path) -> None:
    with redis_with_password(PASSWORD) as port:
        proc = subprocess.run([sys.executable, "-m", "bot", "list"], capture_output=True, text=True, timeout=60,
                              check=False, cwd=tmp_path, env=clean_env(REDIS_URL=f"redis://:nope@127.0.0.1:{port}/0"))
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-1].startswith(
        f"ftcheck: Redis at 127.0.0.1:{port} refused REDIS_URL's credentials (WRONGPASS"), proc.stderr
    assert "nope" not in proc.stderr.replace("redis://:***@", "")


# ----- 2. A wrong signing secret in the log, at most once a minute


async def test_requests_with_a_wrong_signature_are_one_warning_naming_the_secret_and_the_clock(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "stderr.txt"
    env = env_for(slack, redis_server.url, FTCHECK_LOG_JSON="true")
    url = f"http://127.0.0.1:{port}/slack/events"
    with serving(["serve", "--http", "--port", str(port), "--host", "127.0.0.1"], env, log) as proc:
        await until_ready(f"http://127.0.0.1:{port}", proc)
        async with aiohttp.ClientSession() as session:
            for _ in range(5):  # the secret of another app
                body = slash_command_body(text="help", user_id="U1", channel_id="C1",
                                          response_url=slack.response_url("cmd-sig", channel="C1", user="U1"))
                status, _ = await post_signed(session, url, "not-the-secret", body)
                assert status == 401
            stale = int(time.time()) - 3600  # the right secret, an hour late: a clock out of sync
            status, _ = await post_signed(session, url, env["SLACK_SIGNING_SECRET"], body, timestamp=stale)
            assert status == 401
        await until(lambda: any(e["event"] == "slack_signature_rejected" for e in events(log)), "the warning")
        await asyncio.sleep(0.5)
    said = [e for e in events(log) if e["event"] == "slack_signature_rejected"]
    assert len(said) == 1, said
    assert said[0]["level"] == "warning" and said[0]["requests"] == 1
    assert said[0]["why"] == "the signature does not match SLACK_SIGNING_SECRET", said
    fix = str(said[0]["fix"])
    assert "SLACK_SIGNING_SECRET" in fix and "clock" in fix, said
    assert "not-the-secret" not in log.read_text()


def test_the_reason_names_a_clock_apart() -> None:
    from bot.serve import RejectedSignatures

    rejected = RejectedSignatures(every_s=60)
    with structlog.testing.capture_logs() as logs:
        for skew in (900, 10, 10):  # a request from 15 minutes ahead, then two that fail on the secret
            rejected.refused({"X-Slack-Request-Timestamp": str(int(time.time()) + skew), "X-Slack-Signature": "v0=1"})
    assert len(logs) == 1 and re.match(r"the request's timestamp is (899|900) s ahead", logs[0]["why"]), logs
    assert "s ahead of this server's clock (a clock out of sync" in logs[0]["why"], logs
    rejected.last = time.monotonic() - 61  # a minute later: the next one is logged, with the count since
    with structlog.testing.capture_logs() as logs:
        rejected.refused({})
    assert len(logs) == 1 and logs[0]["requests"] == 3 and "not sent by Slack" in logs[0]["why"], logs


# ----- 3. A Slack scope the app lacks


async def test_a_missing_scope_tells_the_person_to_have_the_app_reinstalled_and_logs_the_method(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        status, _ = await bot.command("start Ticket router")
        assert status == 200
        await slack.wait_for(lambda: bot.open_card() is not None, what="the first card")
        slack.fail_next("files.getUploadURLExternal", status=200, error="missing_scope")
        with structlog.testing.capture_logs() as logs:
            reply = await bot.reply_to("export Ticket router")
            await bot.settle()
    assert reply.startswith("ftcheck's Slack app lacks a permission this command needs, so it could not finish, "
                            "and trying again will not help."), reply
    assert "reinstall" in reply and "deploy/slack-manifest-http.yaml" in reply and "ref " not in reply, reply
    said = [e for e in logs if e["event"] == "slack_missing_scope"]
    assert len(said) == 1 and said[0]["method"] == "files.getUploadURLExternal", logs
    assert "reinstall" in said[0]["fix"] and not [e for e in logs if e["event"] == "listener_failed"], logs


def test_the_scope_slack_says_is_needed_is_named_to_the_person_and_in_the_log() -> None:
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.slack_response import SlackResponse

    from bot.replies import missing_scope, words_for

    data = {"ok": False, "error": "missing_scope", "needed": "files:write", "provided": "commands,chat:write"}
    response = SlackResponse(client=None, http_verb="POST", api_url="https://slack.com/api/files.getUploadURLExternal",
                             req_args={}, data=data, headers={}, status_code=200)
    error = SlackApiError("missing_scope", response)  # type: ignore[no-untyped-call]
    assert missing_scope(error) == {"method": "files.getUploadURLExternal", "needed": "files:write",
                                    "provided": "commands,chat:write"}
    text, ref = words_for(error, "command")
    assert ref is None and text.startswith("ftcheck's Slack app lacks a permission this command needs (files:write)")


# ----- 5. `ftcheck list` / `export` on the server's Redis


async def test_the_command_line_says_slack_evaluations_are_in_the_store_and_where_to_see_them(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Ticket router")
        await slack.wait_for(lambda: bot.open_card() is not None, what="the first card")
        await bot.settle()
    env = clean_env(REDIS_URL=redis_server.url)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=60,
                              check=False, cwd=tmp_path, env=env)

    listed = await asyncio.to_thread(run, "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == (
        "No evaluations from the terminal in this store yet. 1 evaluation from Slack (channel C1) is in this store "
        "too: `/ftcheck list` in a Slack channel lists its own; the command line lists the terminal's only.")
    exported = await asyncio.to_thread(run, "export", "ticket ROUTER")
    assert exported.returncode == 1
    assert exported.stderr.splitlines()[-1].startswith(
        "ftcheck: no evaluation of “ticket ROUTER” from the terminal in this store, but 1 evaluation from Slack "
        "(channel C1): run `/ftcheck export ticket ROUTER` in that channel in Slack."), exported.stderr


# ----- 6, 7. Settings: every invalid one at once, misspelled names warned about


def test_every_invalid_setting_is_reported_at_once(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "bot", "settings"], capture_output=True, text=True, timeout=60,
                          check=False, cwd=tmp_path,
                          env=clean_env(FTCHECK_TIMEZONE="Mars", FTCHECK_TICK_SECONDS="abc"))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "ftcheck: setting FTCHECK_TIMEZONE: 'Mars' is not a time zone; use an IANA name like Europe/Berlin or UTC",
        "ftcheck: setting FTCHECK_TICK_SECONDS: Input should be a valid number, unable to parse string as a number "
        "(it is 'abc')"], proc.stderr


def test_a_misspelled_setting_is_warned_about_with_the_closest_name(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("FTCHECK_LEAD=U1\n")
    proc = subprocess.run([sys.executable, "-m", "bot", "settings"], capture_output=True, text=True, timeout=60,
                          check=False, cwd=tmp_path, env=clean_env(FTCHECK_TIMEZON="Europe/Berlin"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "ftcheck: warning: FTCHECK_LEAD is not a setting, so it is ignored: did you mean FTCHECK_LEADS? "
        "`ftcheck settings` lists every setting",
        "ftcheck: warning: FTCHECK_TIMEZON is not a setting, so it is ignored: did you mean FTCHECK_TIMEZONE? "
        "`ftcheck settings` lists every setting"], proc.stderr


async def test_a_server_logging_json_warns_about_a_misspelled_setting_in_json(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "stderr.txt"
    env = env_for(slack, redis_server.url, FTCHECK_LOG_JSON="true", FTCHECK_TIMEZON="Europe/Berlin")
    with serving(["serve", "--http", "--port", str(port), "--host", "127.0.0.1"], env, log) as proc:
        await until_ready(f"http://127.0.0.1:{port}", proc)
    said = [e for e in events(log) if e["event"] == "unknown_setting_ignored"]  # every line JSON
    assert len(said) == 1 and said[0]["variable"] == "FTCHECK_TIMEZON", said
    assert said[0]["did_you_mean"] == "FTCHECK_TIMEZONE" and said[0]["level"] == "warning", said


# ----- 8, 9. Deployment files and README


def test_compose_waits_longer_than_the_shutdown_does() -> None:
    from bot.app import AFTER_ACK_GRACE_S

    bot = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())["services"]["bot"]
    grace = str(bot.get("stop_grace_period", "10s"))  # Docker's default
    assert grace.endswith("s") and float(grace[:-1]) >= AFTER_ACK_GRACE_S + 10, grace


def test_the_troubleshooting_table_names_what_the_code_logs() -> None:
    readme = ROOT.joinpath("README.md").read_text()
    table = readme.split("\n## Troubleshooting\n")[1]
    code = "".join(p.read_text() for p in (ROOT / "bot").rglob("*.py"))
    for event in ("slack_signature_rejected", "slack_missing_scope", "listener_store_unavailable",
                  "unknown_setting_ignored", "refused REDIS_URL's credentials", "socket_mode_connected"):
        assert event in table and event in code, event
    dispatch = next(line for line in table.splitlines() if "dispatch_failed" in line)
    assert "Socket Mode" in dispatch and "/slack/events" not in dispatch, dispatch
    assert "http_client_error" in table


def test_the_http_steps_verify_the_url_after_the_bot_starts() -> None:
    steps = (ROOT / "deploy" / "README.md").read_text().split("## 1.")[1].split("## 2.")[0]
    order = [steps.index(s) for s in ("**Create New App**", "**Install to Workspace**", "**Signing Secret**",
                                      "Start the bot", "**Retry**")]
    assert order == sorted(order), order  # create, install, copy, start, then verify: the order that works
