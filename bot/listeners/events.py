"""Events: pasted descriptions in an evaluation thread, and `@ftcheck …` mentions."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.listeners.commands import handle
from bot.payloads import EventEnvelope, MessageEvent, SlashCommand
from bot.replies import guarded
from bot.services import Services
from bot.suggestions import run_suggestions

_MENTION = re.compile(r"^\s*<@[A-Z0-9]+>\s*")


def register(app: AsyncApp, svc: Services) -> None:
    async def first_delivery(body: dict[str, Any]) -> bool:
        envelope = EventEnvelope.model_validate(body)
        return envelope.event_id is None or await svc.store.once(f"evt:{envelope.event_id}")

    def replier(channel: str, uid: str | None, thread_ts: str | None) -> Any:
        async def reply(text: str) -> None:
            if uid:
                await svc.client.chat_postEphemeral(channel=channel, user=uid, text=text, thread_ts=thread_ts)
        return reply

    @app.event("message")
    async def on_message(body: dict[str, Any], event: dict[str, Any]) -> None:
        msg = MessageEvent.model_validate(event)
        if msg.subtype or msg.bot_id or not msg.thread_ts or msg.thread_ts == msg.ts:
            return
        if len(msg.text) < svc.settings.description_min_chars:
            return
        reply = replier(msg.channel, msg.user, msg.thread_ts)

        async def work() -> None:
            thread_ts = msg.thread_ts or ""
            ev = await svc.store.by_thread(msg.channel, thread_ts)
            if ev is None or not await first_delivery(body):
                return
            await run_suggestions(svc, ev, msg.text, msg.user or "", reply)

        await guarded(reply, work, what="paste")

    @app.event("app_mention")
    async def on_mention(body: dict[str, Any], event: dict[str, Any]) -> None:
        msg = MessageEvent.model_validate(event)
        reply = replier(msg.channel, msg.user, msg.thread_ts)

        async def work() -> None:
            if not msg.user or not await first_delivery(body):
                return
            team = msg.team or EventEnvelope.model_validate(body).team_id or ""
            request = SlashCommand(text=_MENTION.sub("", msg.text), user_id=msg.user, channel_id=msg.channel,
                                   team_id=team)
            await handle(svc, request, reply)

        await guarded(reply, work, what="mention")
