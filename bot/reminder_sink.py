"""Posts reminders and idle nudges for :class:`conversations.reminders.Reminders`."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.leads import idle_text, reminder_blocks, reminder_text
from conversations.models import Evaluation
from scoring.checklist import Registry
from scoring.scorecard import Scorecard


class SlackReminderSink:
    def __init__(self, client: AsyncWebClient, registry: Registry) -> None:
        self.client = client
        self.registry = registry

    async def post_reminder(self, ev: Evaluation, card: Scorecard) -> None:
        await self.client.chat_postMessage(channel=ev.channel, thread_ts=ev.thread_ts, reply_broadcast=True,
                                           text=reminder_text(ev, card), blocks=reminder_blocks(ev, card))

    async def post_idle_nudge(self, ev: Evaluation, question_id: str) -> None:
        q = self.registry.get(ev.checklist).question(question_id)
        await self.client.chat_postMessage(channel=ev.channel, thread_ts=ev.thread_ts, text=idle_text(q.key, q.text))
