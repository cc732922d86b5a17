"""Who can see which channel — asked of Slack, never guessed, cached for one request."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient


class Visibility:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._info: dict[str, dict[str, Any] | None] = {}
        self._members: dict[str, set[str]] = {}

    async def _channel(self, channel: str) -> dict[str, Any] | None:
        if channel not in self._info:
            try:
                resp = await self.client.conversations_info(channel=channel)
                self._info[channel] = resp.get("channel") or None
            except SlackApiError:
                self._info[channel] = None  # unknown or inaccessible: treat as not visible
        return self._info[channel]

    async def is_public(self, channel: str) -> bool:
        info = await self._channel(channel)
        return bool(info) and not (info or {}).get("is_private") and not (info or {}).get("is_im")

    async def members(self, channel: str) -> set[str]:
        if channel not in self._members:
            found: set[str] = set()
            cursor = None
            try:
                while True:
                    resp = await self.client.conversations_members(channel=channel, cursor=cursor, limit=200)
                    found.update(resp.get("members") or [])
                    cursor = (resp.get("response_metadata") or {}).get("next_cursor")
                    if not cursor:
                        break
            except SlackApiError:
                found = set()
            self._members[channel] = found
        return self._members[channel]

    async def can_see(self, user: str, channel: str) -> bool:
        info = await self._channel(channel)
        if info is None:
            return False
        if not info.get("is_private") and not info.get("is_im") and not info.get("is_mpim"):
            return True
        return user in await self.members(channel)
