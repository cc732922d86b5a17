"""Posts reminders and idle nudges for :class:`conversations.reminders.Reminders`."""

from __future__ import annotations

from datetime import tzinfo

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.common import user
from bot.blocks.leads import idle_text, reminder_blocks, reminder_text
from bot.links import message_url
from bot.slack_errors import error_code
from conversations.models import Evaluation
from conversations.voting import still_to_vote
from scoring.checklist import Registry
from scoring.scorecard import Scorecard

log = structlog.get_logger(__name__)

# Errors that retrying a minute later cannot fix: the reminder is dropped for this round (logged), not retried.
PERMANENT = frozenset({"channel_not_found", "is_archived", "not_in_channel", "thread_not_found"})


class SlackReminderSink:
    def __init__(self, client: AsyncWebClient, registry: Registry, zone: tzinfo) -> None:
        self.client = client
        self.registry = registry
        self.zone = zone  # the team's zone, for the reminder's "Last time (<day>)"

    async def post_reminder(self, ev: Evaluation, card: Scorecard) -> None:
        """A reply in the evaluation's thread, also sent to the channel, with the three buttons."""
        if not ev.thread_ts:
            log.warning("reminder_without_thread", evaluation=ev.id)
            return
        try:
            await self.client.chat_postMessage(channel=ev.channel, thread_ts=ev.thread_ts, reply_broadcast=True,
                                               text=reminder_text(ev, card),
                                               blocks=reminder_blocks(ev, card, tz=self.zone))
        except SlackApiError as exc:
            if not _permanent(exc):
                raise  # retried a minute later by the queue
            log.warning("reminder_dropped", evaluation=ev.id, error=error_code(exc))

    async def post_idle_nudge(self, ev: Evaluation, question_id: str) -> None:
        """One gentle reply in the thread naming the question it waits for, linking its card."""
        if not ev.thread_ts:
            return
        q = self.registry.get(ev.checklist).question(question_id)
        link = await self._card_link(ev, question_id)
        try:
            entry = ev.answers.get(question_id)
            text = idle_text(q.key, q.text, link, skipped=entry is not None and entry.value is None)
            if ev.mode == "vote" and (missing := still_to_vote(ev, question_id)):
                text += " Still to vote: " + ", ".join(user(uid) for uid in missing) + "."
            await self.client.chat_postMessage(channel=ev.channel, thread_ts=ev.thread_ts, text=text)
        except SlackApiError as exc:
            log.warning("idle_nudge_failed", evaluation=ev.id, error=error_code(exc))

    async def _card_link(self, ev: Evaluation, question_id: str) -> str | None:
        return await message_url(self.client, ev.channel, ev.card_for(question_id), ev.thread_ts)


def _permanent(exc: SlackApiError) -> bool:
    return error_code(exc) in PERMANENT
