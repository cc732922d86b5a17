"""The HTTP edge parses a Slack body once: the checks and Bolt share one parse, and Bolt gets exactly the request
(body dict, raw body, mode, context) its own aiohttp adapter would have built from the raw body."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, quote

import pytest
import redis.asyncio as aioredis
from multidict import CIMultiDict, CIMultiDictProxy
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import build_normalized_headers, extract_content_type, parse_body
from slack_bolt.response import BoltResponse

from bot.serve import Malformed, bolt_request, parse_signed
from tests.bot.harness import SECRET, Bot, running_bot
from tests.bot.test_slack_surface import started
from tests.standins.redis_server import RedisServer
from tests.standins.signing import (
    FORM,
    JSON,
    block_actions_body,
    event_body,
    payload_form,
    signed_headers,
    slash_command_body,
    view_submission_body,
)
from tests.standins.slack_api import SlackStandIn


def malformed_before(body: str, content_type: str) -> str | None:
    """``bot.serve.malformed`` as it was before the edge parsed once: the oracle for every check and message."""
    try:
        if "json" in content_type:
            data = json.loads(body)
            if not isinstance(data, dict):
                return "JSON body must be an object"
            if data.get("type") == "event_callback" and not isinstance(data.get("event"), dict):
                return "event_callback without an event object"
            return None
        form = parse_qs(body, keep_blank_values=True)
        if "payload" in form:
            data = json.loads(form["payload"][0])
            if not isinstance(data, dict) or not isinstance(data.get("type"), str):
                return "payload must be a JSON object with a type"
            if not isinstance(data.get("user", {}), dict):
                return "payload.user must be an object"
            actions = data.get("actions", [])
            if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
                return "payload.actions must be a list of objects"
            if data["type"] == "block_actions" and not actions:
                return "block_actions payload without actions"
            if not isinstance(data.get("view", {}), dict):
                return "payload.view must be an object"
        elif "command" not in form and "ssl_check" not in form:
            return "neither a slash command nor an interaction payload"
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "malformed JSON"
    return None


def click(**overrides: Any) -> str:
    body = block_actions_body(user_id="U1", channel_id="C1", message_ts="1.1", thread_ts="1.0", action_id="answer_yes",
                              value="e|q1|yes", response_url="https://hooks.example/r",
                              message_blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "a & b = c+d %"}}])
    if not overrides:
        return body
    payload = json.loads(parse_qs(body)["payload"][0]) | overrides
    return payload_form(payload)


COMMAND = slash_command_body(text="start Ticket router", user_id="U1", channel_id="C1",
                             response_url="https://hooks.example/c")
GOOD = [
    (COMMAND, FORM),
    (slash_command_body(text="start payload parser & co", user_id="U1", channel_id="C1",
                        response_url="https://hooks.example/c"), FORM),  # Bolt reads this command as {}
    (click(), FORM),
    (click(), FORM + "; charset=utf-8"),
    (view_submission_body(user_id="U1", callback_id="note_modal", values={"b": {"a": {"value": "x"}}}), FORM),
    ("ssl_check=1&token=t", FORM),
    (event_body(event={"type": "app_mention", "text": "hi", "user": "U1", "channel": "C1", "ts": "1.1"}), JSON),
    (event_body(event={"type": "app_mention", "text": "hi", "user": "U1", "channel": "C1", "ts": "1.1"}),
     JSON + "; charset=utf-8"),
    ('{"type": "url_verification", "challenge": "abc", "token": "t"}', JSON),
    ("p%61yload=" + quote(json.dumps({"type": "block_actions", "actions": [{}]})), FORM),  # Bolt: a flat form
    # shapes Slack never sends; the edge hands these to Bolt unparsed
    (payload_form({"type": "block_actions", "actions": [{}]}) + "&" + payload_form({"type": "x"}), FORM),
    ('{"a": "&command=x"}', FORM),
    (' {"type": "event_callback", "event": {}}', "text/json"),
]
BAD = [
    ("", JSON), ("", FORM), ("[1]", JSON), ('"x"', JSON), ("{", JSON), ('{"type": "event_callback"}', JSON),
    ('{"type": "event_callback", "event": "x"}', JSON), ("x=1", FORM), ("text=payload", FORM),
    ("payload=%7B%22type%22%3A%22block_actions%22", FORM), ("payload=" + quote("[]"), FORM),
    (payload_form({"user": {}}), FORM), (click(user="U1"), FORM), (click(actions="nope"), FORM),
    (click(actions=["a"]), FORM), (click(actions=[]), FORM), (click(view=[]), FORM),
    (payload_form({"type": "x"}) + "&" + payload_form({"type": "block_actions", "actions": [{}]}), FORM),
    ('{"command": "x"}', FORM),
]


def bolt_type(content_type: str) -> str | None:
    return extract_content_type(build_normalized_headers({"Content-Type": content_type}))


@pytest.mark.parametrize(("body", "content_type"), GOOD + BAD)
def test_the_checks_say_what_they_said_before(body: str, content_type: str) -> None:
    expected = malformed_before(body, content_type)
    if expected is None:
        parse_signed(body, content_type, bolt_type(content_type))
    else:
        with pytest.raises(Malformed) as problem:
            parse_signed(body, content_type, bolt_type(content_type))
        assert str(problem.value) == expected


def as_bolt_sees(request: AsyncBoltRequest) -> dict[str, Any]:
    return {"raw_body": request.raw_body, "body": request.body, "mode": request.mode, "query": request.query,
            "headers": request.headers, "content_type": request.content_type, "context": dict(request.context),
            "lazy": (request.lazy_only, request.lazy_function_name)}


@pytest.mark.parametrize(("body", "content_type"), GOOD)
def test_bolt_gets_the_request_its_adapter_would_have_built(body: str, content_type: str) -> None:
    headers = CIMultiDictProxy(CIMultiDict(signed_headers(SECRET, body, content_type=content_type)
                                           | {"X-Slack-Retry-Num": "1"}))
    parsed = parse_signed(body, content_type, bolt_type(content_type))
    if parsed is not None:
        assert parsed == parse_body(body, bolt_type(content_type))
    adapter = AsyncBoltRequest(body=body, query="a=1&a=2", headers=headers)  # type: ignore[arg-type]
    assert as_bolt_sees(bolt_request(body, parsed, "a=1&a=2", headers)) == as_bolt_sees(adapter)


def test_only_shapes_slack_never_sends_are_left_to_bolt() -> None:
    left = [body for body, content_type in GOOD if parse_signed(body, content_type, bolt_type(content_type)) is None]
    assert len(left) == 3 and COMMAND not in left and click() not in left


class Counted:
    """Counts the calls of ``urllib.parse.unquote`` (how parse_qs/parse_qsl decode, whoever imported them) and
    ``json.loads`` that decode one exact string."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, encoded: str, decoded: str) -> None:
        self.unquoted = self.loaded = 0
        unquote, loads = urllib.parse.unquote, json.loads

        def counting_unquote(string: str, *args: Any, **kwargs: Any) -> str:
            self.unquoted += string == encoded
            return unquote(string, *args, **kwargs)

        def counting_loads(s: Any, *args: Any, **kwargs: Any) -> Any:
            self.loaded += s == decoded
            return loads(s, *args, **kwargs)

        monkeypatch.setattr(urllib.parse, "unquote", counting_unquote)
        monkeypatch.setattr(json, "loads", counting_loads)


def spy_on_dispatch(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> list[AsyncBoltRequest]:
    seen: list[AsyncBoltRequest] = []
    dispatch: Callable[[AsyncBoltRequest], Awaitable[BoltResponse]] = bot.runtime.app.async_dispatch

    async def spy(request: AsyncBoltRequest) -> BoltResponse:
        seen.append(request)
        return await dispatch(request)

    monkeypatch.setattr(bot.runtime.app, "async_dispatch", spy)
    return seen


async def test_a_click_is_parsed_once_and_reaches_its_listener(slack: SlackStandIn, redis_server: RedisServer,
                                                                redis_client: aioredis.Redis,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        card = bot.open_card()
        assert card is not None
        body = block_actions_body(user_id="U2", channel_id="C1", message_ts=card.ts, thread_ts=card.thread_ts,
                                  action_id="answer_yes", value=bot.element(card, "answer_yes")["value"],
                                  message_blocks=card.blocks, response_url=slack.response_url("parse-once"),
                                  action_ts="1700000321.000001")
        encoded = body.removeprefix("payload=").replace("+", " ")
        payload = parse_qs(body)["payload"][0]
        assert len(payload) > 2000  # the clicked message rides along
        seen = spy_on_dispatch(bot, monkeypatch)
        with monkeypatch.context() as patched:
            counted = Counted(patched, encoded, payload)
            status, _ = await bot.post(body)
        assert status == 200
        assert (counted.unquoted, counted.loaded) == (1, 1)  # the checks' parse is the one Bolt uses
        [request] = seen
        assert request.body == parse_body(body, FORM) == json.loads(payload)
        assert (request.raw_body, request.mode, request.content_type) == (body, "http", FORM)
        await slack.wait_for(lambda: bot._closed(card, "C1"), what="the click answered the card")


async def test_a_slash_command_reaches_its_listener_with_the_flat_form(slack: SlackStandIn, redis_server: RedisServer,
                                                                        redis_client: aioredis.Redis,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        seen = spy_on_dispatch(bot, monkeypatch)
        status, answer = await bot.command("help", user="U3")
        assert status == 200 and "/ftcheck start" in answer  # help answers in the ack itself
        [request] = seen
        assert request.body == parse_body(request.raw_body, FORM)
        assert request.body["command"] == "/ftcheck" and request.body["text"] == "help"
        assert all(isinstance(value, str) for value in request.body.values())
        assert request.context.user_id == "U3" and request.mode == "http"


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_json_nested_deeper_than_python_parses_is_malformed_not_a_crash(content_type: str) -> None:
    """A signed body of deeply nested JSON gave an unhandled RecursionError, a 500 and a traceback (security
    review): it is a 400 like any body that is no Slack request."""
    nested = "[" * 100_000 + "]" * 100_000
    body = nested if "json" in content_type else "payload=" + quote(nested)
    with pytest.raises(Malformed, match="nested too deeply"):
        parse_signed(body, content_type, content_type)
