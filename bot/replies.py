"""What the person hears when something goes wrong, and the one wrapper that says it."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import CommandError
from conversations.store import StoreUnavailable

log = structlog.get_logger(__name__)

Reply = Callable[[str], Awaitable[None]]

UNAVAILABLE = ("ftcheck is temporarily unavailable — your earlier answers are safe, try again in a moment. "
               "(Our data store did not answer; nothing from this click was recorded.)")


def ephemeral_replier(client: AsyncWebClient, body: dict[str, Any]) -> Reply:
    """Reply only to the person behind an interaction: ephemeral in its channel (and thread), else a DM."""

    async def reply(text: str) -> None:
        uid = (body.get("user") or {}).get("id")
        channel = (body.get("channel") or {}).get("id")
        thread = (body.get("container") or {}).get("thread_ts")
        if uid and channel:
            await client.chat_postEphemeral(channel=channel, user=uid, text=text, thread_ts=thread)
        elif uid:  # from the Home tab: the app's own DM with the person
            await client.chat_postMessage(channel=uid, text=text)

    return reply


async def guarded(reply: Reply, work: Callable[[], Awaitable[None]], *, what: str) -> None:
    """Run a listener's work after the ack; every failure becomes a clear ephemeral reply."""
    try:
        await work()
    except StoreUnavailable:
        await _safe(reply, UNAVAILABLE)
    except (CommandError, KeyError, ValueError) as exc:
        await _safe(reply, str(exc.args[0]) if exc.args else str(exc))
    except Exception:
        ref = secrets.token_hex(4)
        log.exception("listener_failed", what=what, ref=ref)
        await _safe(reply, f"Something went wrong on our side (ref {ref}). Your earlier answers are safe; "
                           "try again, and tell your admin the ref if it keeps happening.")


async def _safe(reply: Reply, text: str) -> None:
    try:
        await reply(text)
    except Exception:
        log.exception("reply_failed")
