"""Links to an evaluation's messages: the one place that makes them.

A link is built the way Slack builds its permalinks — the workspace URL (asked of Slack once per token, with
``auth.test``), ``/archives/<channel>/p<ts without the dot>``, and for a reply the thread it is in — so showing
one costs no Web API call. ``chat.getPermalink`` answers only while the workspace URL is unknown.
"""

from __future__ import annotations

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from conversations.models import Evaluation

_WORKSPACES: dict[str | None, str] = {}  # bot token -> workspace URL, once Slack has said it


async def workspace_url(client: AsyncWebClient) -> str | None:
    if client.token not in _WORKSPACES:
        try:
            url = (await client.auth_test()).get("url")
        except (SlackApiError, SlackClientError, OSError, TimeoutError):
            return None  # asked again next time
        if not isinstance(url, str) or not url:
            return None
        _WORKSPACES[client.token] = url.rstrip("/")
    return _WORKSPACES[client.token]


async def message_url(client: AsyncWebClient, channel: str, ts: str | None,
                      thread_ts: str | None = None) -> str | None:
    """The permalink of one message (``thread_ts``: the thread it replies in), or None when there is none."""
    if not ts:
        return None
    base = await workspace_url(client)
    if base:
        url = f"{base}/archives/{channel}/p{ts.replace('.', '')}"
        return f"{url}?thread_ts={thread_ts}&cid={channel}" if thread_ts and thread_ts != ts else url
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
