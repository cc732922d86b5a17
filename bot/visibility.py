"""Who may see an evaluation, and from where — asked of Slack, never guessed, remembered briefly in Redis.

The rule (issue 5): an evaluation run in a private conversation never appears in another channel, nor in
the App Home of someone who is not a member of it.

* Asked from a channel: that channel's own evaluations, and those of public channels (a guest — a
  restricted user — only sees the public channels they are a member of).
* Asked from the App Home (``here`` is None): public channels as above, plus the private conversations
  the user is a member of.

Anything Slack will not tell us about (unknown channel, an API error) counts as not visible.

Slack's answers (is a channel public, who is in it, is a user a guest) are kept in Redis for
``CACHE_TTL_S`` so a Home open over hundreds of channels makes one Redis round trip
(:meth:`Visibility.prefetch`) instead of hundreds of Slack calls. A membership change shows within that
time. A Redis failure only costs the cache: Slack is asked instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import structlog
from redis.exceptions import RedisError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_errors import error_code
from conversations.store import Store, StoreUnavailable

log = structlog.get_logger(__name__)

CACHE_TTL_S = 60
_PUBLIC, _PRIVATE, _UNKNOWN = "public", "private", "unknown"
_LISTED = "\x00listed"  # always in a cached member set, so an empty channel's set still exists


def _info_key(channel: str) -> str:
    return f"ftc:vis:info:{channel}"


def _members_key(channel: str) -> str:
    return f"ftc:vis:members:{channel}"


def _guest_key(user: str) -> str:
    return f"ftc:vis:guest:{user}"


class Visibility:
    def __init__(self, client: AsyncWebClient, store: Store | None = None) -> None:
        self.client = client
        self.store = store
        self._kind: dict[str, str] = {}  # channel -> public | private | unknown
        self._member: dict[tuple[str, str], bool] = {}  # (user, channel) -> member?
        self._guests: dict[str, bool] = {}
        self._looked: set[str] = set()  # channels already looked up in the cache (found or not)
        self._unwritten: list[Callable[[Any], object]] = []  # cache writes held back by batch()
        self._batching = False

    # -- the cache ------------------------------------------------------------------------------------
    async def prefetch(self, user: str, channels: Iterable[str]) -> None:
        """Load what Redis remembers about ``channels`` and ``user`` in one round trip."""
        wanted = sorted({c for c in channels if c not in self._kind and c not in self._looked})
        if self.store is None or not wanted:
            return
        self._looked.update(wanted)
        pipe = self.store.redis.pipeline(transaction=False)
        pipe.get(_guest_key(user))
        for channel in wanted:
            pipe.get(_info_key(channel))
            pipe.sismember(_members_key(channel), user)
            pipe.exists(_members_key(channel))
        try:
            raw = await self.store._call(pipe.execute)
        except (StoreUnavailable, RedisError) as exc:
            log.info("visibility_cache_unavailable", error=str(exc))
            return
        if raw[0] is not None:
            self._guests.setdefault(user, _text(raw[0]) == "1")
        for i, channel in enumerate(wanted):
            kind, member, listed = raw[1 + 3 * i: 4 + 3 * i]
            if kind is not None:
                self._kind[channel] = _text(kind)
            if listed:
                self._member[(user, channel)] = bool(member)

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        """Hold cache writes back and send them in one round trip at the end (a page of many channels)."""
        self._batching = True
        try:
            yield
        finally:
            self._batching = False
            writes, self._unwritten = self._unwritten, []
            await self._write(writes)

    async def _remember(self, write: Callable[[Any], object]) -> None:
        if self._batching:
            self._unwritten.append(write)
        else:
            await self._write([write])

    async def _write(self, writes: list[Callable[[Any], object]]) -> None:
        if self.store is None or not writes:
            return
        try:
            pipe = self.store.redis.pipeline(transaction=False)
            for write in writes:
                write(pipe)
            await self.store._call(pipe.execute)
        except (StoreUnavailable, RedisError) as exc:
            log.info("visibility_cache_unavailable", error=str(exc))

    # -- Slack's answers ------------------------------------------------------------------------------
    async def _channel_kind(self, channel: str) -> str:
        if channel not in self._kind:
            await self.prefetch("-", [channel])
        if channel not in self._kind:
            try:
                info = (await self.client.conversations_info(channel=channel)).get("channel")
                kind = _UNKNOWN if not isinstance(info, dict) else _PRIVATE if (
                    info.get("is_private") or info.get("is_im") or info.get("is_mpim") or info.get("is_group")
                ) else _PUBLIC
            except SlackApiError as exc:
                log.info("channel_not_visible", channel=channel, error=error_code(exc))
                kind = _UNKNOWN
            self._kind[channel] = kind
            await self._remember(lambda p: p.set(_info_key(channel), kind, ex=CACHE_TTL_S))
        return self._kind[channel]

    async def is_public(self, channel: str) -> bool:
        return await self._channel_kind(channel) == _PUBLIC

    async def _members(self, channel: str) -> set[str]:
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
            log.info("members_unknown", channel=channel, error=error_code(exc))
            return set()  # fail closed, and not remembered: nobody is known to be a member

        def write(pipe: Any) -> object:
            pipe.delete(_members_key(channel))
            pipe.sadd(_members_key(channel), _LISTED, *found)
            return pipe.expire(_members_key(channel), CACHE_TTL_S)

        await self._remember(write)
        return found

    async def is_member(self, user: str, channel: str) -> bool:
        if (user, channel) not in self._member:
            members = await self._members(channel)
            self._member[(user, channel)] = user in members
        return self._member[(user, channel)]

    async def is_guest(self, user: str) -> bool:
        """Restricted / single-channel guests see only the channels they are in; unknown users count as guests."""
        if user not in self._guests:
            try:
                info = (await self.client.users_info(user=user)).get("user") or {}
                guest = bool(info.get("is_restricted") or info.get("is_ultra_restricted"))
                await self._remember(lambda p: p.set(_guest_key(user), "1" if guest else "0", ex=CACHE_TTL_S))
            except SlackApiError as exc:
                log.info("user_unknown", user=user, error=error_code(exc))
                guest = True
            self._guests[user] = guest
        return self._guests[user]

    # -- the rule -------------------------------------------------------------------------------------
    async def can_see(self, user: str, channel: str) -> bool:
        """Can ``user`` read ``channel`` at all (public and not a guest, or a member)?"""
        kind = await self._channel_kind(channel)
        if kind == _PUBLIC and not await self.is_guest(user):
            return True
        if kind == _UNKNOWN:
            return False
        return await self.is_member(user, channel)

    async def shown(self, user: str, channel: str, here: str | None) -> bool:
        """May an evaluation run in ``channel`` be shown to ``user`` asking from ``here`` (None = App Home)?"""
        if here is not None and channel == here:
            return True  # Slack only lets people run commands in conversations they are in
        if here is not None and not await self.is_public(channel):
            return False  # a private conversation's evaluations never leave it
        return await self.can_see(user, channel)


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


