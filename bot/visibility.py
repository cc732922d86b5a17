"""Who may see an evaluation, and from where — asked of Slack, never guessed, cached for one request.

The rule (issue 5): an evaluation run in a private conversation never appears in another channel, nor in
the App Home of someone who is not a member of it.

* Asked from a channel: that channel's own evaluations, and those of public channels (a guest — a
  restricted user — only sees the public channels they are a member of).
* Asked from the App Home (``here`` is None): public channels as above, plus the private conversations
  the user is a member of.

Anything Slack will not tell us about (unknown channel, an API error) counts as not visible.
"""

from __future__ import annotations

from typing import Any

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = structlog.get_logger(__name__)

class Visibility:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._info: dict[str, dict[str, Any] | None] = {}
        self._members: dict[str, set[str]] = {}
        self._guests: dict[str, bool] = {}

    async def _channel(self, channel: str) -> dict[str, Any] | None:
        if channel not in self._info:
            try:
                resp = await self.client.conversations_info(channel=channel)
                info = resp.get("channel")
                self._info[channel] = info if isinstance(info, dict) else None
            except SlackApiError as exc:
                log.info("channel_not_visible", channel=channel, error=_error(exc))
                self._info[channel] = None
        return self._info[channel]

    async def is_public(self, channel: str) -> bool:
        info = await self._channel(channel)
        if info is None:
            return False
        return not (info.get("is_private") or info.get("is_im") or info.get("is_mpim") or info.get("is_group"))

    async def members(self, channel: str) -> set[str]:
        if channel not in self._members:
            found: set[str] = set()
            cursor: str | None = None
            try:
                while True:
                    resp = await self.client.conversations_members(channel=channel, cursor=cursor, limit=200)
                    found.update(resp.get("members") or [])
                    cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
                    if not cursor:
                        break
            except SlackApiError as exc:
                log.info("members_unknown", channel=channel, error=_error(exc))
                found = set()  # fail closed: nobody is known to be a member
            self._members[channel] = found
        return self._members[channel]

    async def is_guest(self, user: str) -> bool:
        """Restricted / single-channel guests see only the channels they are in; unknown users count as guests."""
        if user not in self._guests:
            try:
                resp = await self.client.users_info(user=user)
                info = resp.get("user") or {}
                self._guests[user] = bool(info.get("is_restricted") or info.get("is_ultra_restricted"))
            except SlackApiError as exc:
                log.info("user_unknown", user=user, error=_error(exc))
                self._guests[user] = True
        return self._guests[user]

    async def is_member(self, user: str, channel: str) -> bool:
        return user in await self.members(channel)

    async def can_see(self, user: str, channel: str) -> bool:
        """Can ``user`` read ``channel`` at all (public and not a guest, or a member)?"""
        if await self.is_public(channel) and not await self.is_guest(user):
            return True
        if await self._channel(channel) is None:
            return False
        return await self.is_member(user, channel)

    async def shown(self, user: str, channel: str, here: str | None) -> bool:
        """May an evaluation run in ``channel`` be shown to ``user`` asking from ``here`` (None = App Home)?"""
        if here is not None and channel == here:
            return True  # Slack only lets people run commands in conversations they are in
        if here is not None and not await self.is_public(channel):
            return False  # a private conversation's evaluations never leave it
        return await self.can_see(user, channel)


def _error(exc: SlackApiError) -> str:
    response = exc.response
    return str(response.get("error")) if response is not None else str(exc)
