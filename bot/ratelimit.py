"""The process's Web API client: one pooled HTTP session, and posts paced per channel.

slack_sdk opens (and closes) a new aiohttp session for every call unless it is given one; :class:`PacedWebClient`
creates one pooled session lazily, inside the running event loop, on first use, and every call of the process
reuses it (Bolt's per-request clients copy it from the app's client). ``aclose()`` closes it on shutdown.

Slack allows about one message per second per channel (short bursts are tolerated).

:class:`PacedWebClient` spaces ``chat.postMessage`` calls per channel with a small token bucket, so a
burst of reminders or a fast-clicking team never trips Slack's limit; anything that still gets a 429
is retried by slack_sdk's RateLimitErrorRetryHandler honouring Retry-After — except a post the outbox can
find (:func:`findable_post`), whose 429 the presenter handles (``bot.presenter``). The bucket lives in the
process: with several replicas each paces its own posts (a channel's evaluation is normally served by
whichever replica gets the click, so bursts per channel stay small).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import aiohttp
import orjson
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.metrics import SLACK_API_ERRORS
from bot.slack_errors import error_code

# A post that can be found again by its metadata is not repeated blindly after a 5xx or a dropped connection: Slack
# may have applied it, and a repeat would post it twice. Its poster looks for it first: the outbox for an evaluation's
# own messages, ``SlackPresenter.post_once`` for the others (a give-up notice, a reminder, an idle nudge, "Reading the
# description…"). Nor, for the outbox's posts, after a 429 inside the client: while slack_sdk slept Retry-After, the
# delivery's hold on the evaluation could run out and another replica's outbox post the message; the client then
# posted it a second time. That 429 goes to the presenter, which waits Retry-After itself and posts again only while
# the delivery still holds the evaluation. A post no outbox takes over (``client_waits_429``) has its 429 waited out
# by the client: a 429 applied nothing.
_FINDABLE: ContextVar[str | None] = ContextVar("ftcheck_findable_post", default=None)  # None, "presenter", "client"


@contextmanager
def findable_post(*, client_waits_429: bool = False) -> Iterator[None]:
    """Around a post whose message its poster can find by its metadata (see :func:`blind_retry_allowed`); the
    client does not retry a 429 there either (:attr:`PacedWebClient.retry_handlers`) unless ``client_waits_429``."""
    token = _FINDABLE.set("client" if client_waits_429 else "presenter")
    try:
        yield
    finally:
        _FINDABLE.reset(token)


def blind_retry_allowed() -> bool:
    """False inside :func:`findable_post`: a 5xx or a dropped connection is not retried by the client there."""
    return _FINDABLE.get() is None

PACED_METHODS = frozenset({"chat.postMessage"})
POOL_SIZE = 100  # connections to Slack kept open at most; calls beyond it wait for a free one
KEEPALIVE_S = 30.0


def json_body(value: Any) -> str:
    """A Web API request's JSON body. Block Kit payloads are most of what the bot sends: orjson writes them about
    ten times faster than the standard library (compact, UTF-8 as is; Slack reads both alike). What orjson refuses
    and the standard library writes (a lone surrogate in pasted text, a non-string key) goes the old way."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


class ChannelRateLimiter:
    def __init__(self, per_second: float = 1.0, burst: int = 3) -> None:
        self.interval = 1.0 / per_second
        self.burst = burst
        self._next: dict[str, float] = {}  # channel -> earliest time the bucket is full again
        self._lock = asyncio.Lock()

    async def wait(self, channel: str) -> float:
        """Sleep until ``channel`` may get another message; returns the seconds waited."""
        async with self._lock:
            now = time.monotonic()
            # the bucket is a virtual clock: each message pushes it one interval into the future
            start = max(self._next.get(channel, now), now - self.interval * (self.burst - 1))
            delay = max(0.0, start - now)
            self._next[channel] = start + self.interval
            if len(self._next) > 10_000:
                self._next = {c: t for c, t in self._next.items() if t > now}
        if delay:
            await asyncio.sleep(delay)
        return delay


class PacedWebClient(AsyncWebClient):
    def __init__(self, *args: Any, limiter: ChannelRateLimiter | None = None, **kwargs: Any) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None
        self._retry_handlers: list[AsyncRetryHandler] = []
        super().__init__(*args, **kwargs)
        self.limiter = limiter or ChannelRateLimiter()

    @property
    def retry_handlers(self) -> list[AsyncRetryHandler]:
        """The client's retry handlers, read by slack_sdk at each call; inside :func:`findable_post` without the
        429 handler (the presenter handles that 429: ``SlackPresenter._post``) unless the client waits it out.
        Bolt's per-request clients copy the whole list (they never post findable messages)."""
        if _FINDABLE.get() == "presenter":
            return [h for h in self._retry_handlers if not isinstance(h, AsyncRateLimitErrorRetryHandler)]
        return self._retry_handlers

    @retry_handlers.setter
    def retry_handlers(self, value: list[AsyncRetryHandler]) -> None:
        self._retry_handlers = value

    @property
    def session(self) -> aiohttp.ClientSession | None:
        """The shared pooled session, created on first use inside a running loop (None outside one).

        A session belongs to the loop it was made in: a client used from another loop (tests) gets a new one.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return self._session
        if self._session is not None and self._session_loop is None:
            return self._session  # handed in by the caller: theirs to manage
        if self._session is None or self._session.closed or self._session_loop is not loop:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=POOL_SIZE, keepalive_timeout=KEEPALIVE_S, ttl_dns_cache=300),
                timeout=aiohttp.ClientTimeout(total=self.timeout), trust_env=self.trust_env_in_session,
                json_serialize=json_body)
            self._session_loop = loop
        return self._session

    @session.setter
    def session(self, value: aiohttp.ClientSession | None) -> None:
        self._session, self._session_loop = value, None

    async def aclose(self) -> None:
        """Close the shared session (shutdown); a later call would open a new one."""
        session, loop = self._session, self._session_loop
        self._session = self._session_loop = None
        if session is not None and not session.closed and loop is asyncio.get_running_loop():
            await session.close()

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        if api_method in PACED_METHODS:
            args = kwargs.get("json") or kwargs.get("data") or kwargs.get("params") or {}
            channel = args.get("channel") if isinstance(args, dict) else None
            if channel:
                await self.limiter.wait(str(channel))
        try:
            return await super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            SLACK_API_ERRORS.labels(api_method, error_code(exc)).inc()
            raise
