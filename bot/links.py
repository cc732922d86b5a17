"""Links to an evaluation's messages: the one place that asks Slack for a permalink."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from conversations.models import Evaluation


async def message_url(client: AsyncWebClient, channel: str, ts: str | None) -> str | None:
    """The permalink of one message, or None when there is no message yet or Slack will not give one."""
    if not ts:
        return None
    try:
        resp = await client.chat_getPermalink(channel=channel, message_ts=ts)
    except SlackApiError:
        return None
    link = resp.get("permalink")
    return link if isinstance(link, str) else None


async def thread_link(client: AsyncWebClient, ev: Evaluation) -> str:
    """mrkdwn for "open the thread" of an evaluation, with a plain fallback that is still true."""
    if not ev.thread_ts:
        return "(thread not posted yet)"
    url = await message_url(client, ev.channel, ev.thread_ts)
    return f"<{url}|open the thread>" if url else f"(thread in <#{ev.channel}>)"
