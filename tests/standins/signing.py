"""Build and sign request bodies exactly as Slack sends them to the app."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
APP_ID = "A0FTCHECK"
VERIFICATION_TOKEN = "legacy-verification-token"
TEAM_DOMAIN = "ftcheck-test"


def signed_headers(secret: str, body: str, *, timestamp: int | None = None, content_type: str = FORM) -> dict[str, str]:
    """Headers Slack attaches to a request: timestamp, v0 signature, content type."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    if signature is None:  # only when timestamp is None, which cannot happen here
        raise ValueError("could not sign the request")
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
        "Content-Type": content_type,
    }


def new_trigger_id() -> str:
    """A trigger_id shaped like Slack's (digits.digits.hex)."""
    return f"{int(time.time() * 1000)}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}"


def slash_command_body(
    *,
    command: str = "/ftcheck",
    text: str,
    user_id: str,
    channel_id: str,
    team_id: str = "T0001",
    response_url: str,
    trigger_id: str = "1700000000000.1.0123456789abcdef",
    user_name: str | None = None,
    channel_name: str = "general",
) -> str:
    """The urlencoded form Slack POSTs for a slash command."""
    fields = [
        ("token", VERIFICATION_TOKEN),
        ("team_id", team_id),
        ("team_domain", TEAM_DOMAIN),
        ("channel_id", channel_id),
        ("channel_name", channel_name),
        ("user_id", user_id),
        ("user_name", user_name or user_id.lower()),
        ("command", command),
        ("text", text),
        ("api_app_id", APP_ID),
        ("is_enterprise_install", "false"),
        ("response_url", response_url),
        ("trigger_id", trigger_id),
    ]
    return urlencode(fields)


def _user(user_id: str, team_id: str) -> dict[str, str]:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id}


def payload_form(payload: dict[str, Any]) -> str:
    """Encode an interaction payload the way Slack does: form body `payload=<json>`."""
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))})


def decode_payload(body: str) -> dict[str, Any]:
    """Reverse of payload_form (handy to tweak a payload before re-encoding it)."""
    payload: dict[str, Any] = json.loads(parse_qs(body)["payload"][0])
    return payload


def block_actions_body(
    *,
    user_id: str,
    channel_id: str,
    message_ts: str,
    thread_ts: str | None,
    action_id: str,
    value: str,
    block_id: str = "b",
    response_url: str,
    team_id: str = "T0001",
    action_ts: str | None = None,
    message_blocks: list[dict[str, Any]] | None = None,
    message_text: str = "",
    button_text: str = "Button",
    bot_user_id: str = "UBOT",
    is_ephemeral: bool = False,
    trigger_id: str = "1700000000000.1.0123456789abcdef",
) -> str:
    """Form body `payload=<json>` shaped like a real block_actions payload for a button click."""
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel_id,
        "is_ephemeral": is_ephemeral,
    }
    message: dict[str, Any] = {
        "type": "message",
        "ts": message_ts,
        "text": message_text,
        "blocks": message_blocks or [],
        "user": bot_user_id,
        "bot_id": "B0FTCHECK",
        "app_id": APP_ID,
        "team": team_id,
    }
    if thread_ts is not None:
        container["thread_ts"] = thread_ts
        message["thread_ts"] = thread_ts
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": trigger_id,
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "general"},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": button_text, "emoji": True},
                "value": value,
                "action_ts": action_ts or f"{time.time():.6f}",
            }
        ],
    }
    if not is_ephemeral:  # Slack omits the message for clicks on ephemeral messages
        payload["message"] = message
    return payload_form(payload)


def view_submission_body(
    *,
    user_id: str,
    callback_id: str,
    values: dict[str, dict[str, dict[str, Any]]],
    private_metadata: str = "",
    view_id: str = "V0001",
    team_id: str = "T0001",
    blocks: list[dict[str, Any]] | None = None,
    title: str = "ftcheck",
    external_id: str = "",
    trigger_id: str = "1700000000000.1.0123456789abcdef",
) -> str:
    """Form body for a modal view_submission; `values` is view.state.values (block_id -> action_id -> value)."""
    view = {
        "id": view_id,
        "team_id": team_id,
        "type": "modal",
        "blocks": blocks or [],
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": values},
        "hash": "1700000000.abcdef12",
        "title": {"type": "plain_text", "text": title, "emoji": True},
        "clear_on_close": False,
        "notify_on_close": False,
        "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
        "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": APP_ID,
        "external_id": external_id,
        "app_installed_team_id": team_id,
        "bot_id": "B0FTCHECK",
    }
    payload: dict[str, Any] = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": _user(user_id, team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "view": view,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return payload_form(payload)


def plain_text_value(value: str) -> dict[str, Any]:
    """One entry of view.state.values for a plain_text_input."""
    return {"type": "plain_text_input", "value": value}


def static_select_value(value: str, text: str | None = None) -> dict[str, Any]:
    """One entry of view.state.values for a static_select."""
    option = {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}
    return {"type": "static_select", "selected_option": option}


def event_body(
    *,
    event: dict[str, Any],
    team_id: str = "T0001",
    event_id: str | None = None,
    event_time: int | None = None,
    bot_user_id: str = "UBOT",
) -> str:
    """JSON event_callback envelope as the Events API sends it."""
    envelope = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    }
    return json.dumps(envelope, separators=(",", ":"))


async def post_signed(
    session: aiohttp.ClientSession,
    url: str,
    secret: str,
    body: str,
    *,
    content_type: str = FORM,
    timestamp: int | None = None,
    extra_headers: dict[str, str] | None = None,
) -> tuple[int, str]:
    """POST a Slack-signed body; returns (status, response text)."""
    headers = signed_headers(secret, body, timestamp=timestamp, content_type=content_type)
    headers.update(extra_headers or {})
    async with session.post(url, data=body.encode("utf-8"), headers=headers) as resp:
        return resp.status, await resp.text()
