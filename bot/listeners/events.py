"""Events: pasted descriptions in an evaluation thread, and `@ftcheck …` mentions."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.payloads import MessageEnvelope, ReplyTarget, SlashCommand
from bot.replies import Reply, after_ack, ephemeral
from bot.services import Services
from bot.suggestions import run_suggestions
from bot.verbs import run_command

_MENTION = re.compile(r"^\s*<@[A-Z0-9]+>\s*")


async def first_delivery(services: Services, envelope: MessageEnvelope) -> bool:
    return envelope.event_id is None or await services.store.once(f"evt:{envelope.event_id}")


def replier(client: AsyncWebClient, body: dict[str, Any]) -> Reply:
    return ephemeral(client, ReplyTarget.of(body))


@after_ack()
async def on_message(body: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    envelope = MessageEnvelope.model_validate(body)
    msg = envelope.event
    if msg.subtype or msg.bot_id or not msg.thread_ts or msg.thread_ts == msg.ts:
        return
    if len(msg.text) < services.settings.description_min_chars:
        return
    ev = await services.store.by_thread(msg.channel, msg.thread_ts)
    if ev is None or not await first_delivery(services, envelope):
        return
    await run_suggestions(services, ev, msg.text, msg.user or "", replier(client, body))


@after_ack()
async def on_mention(body: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    envelope = MessageEnvelope.model_validate(body)
    msg = envelope.event
    if not msg.user or not await first_delivery(services, envelope):
        return
    request = SlashCommand(text=_MENTION.sub("", msg.text), user_id=msg.user, channel_id=msg.channel,
                           team_id=envelope.team)
    await run_command(services, request, replier(client, body))


def register(app: AsyncApp) -> None:
    app.event("message")(on_message)
    app.event("app_mention")(on_mention)
