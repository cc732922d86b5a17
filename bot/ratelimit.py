"""Slack allows about one message per second per channel (short bursts are tolerated).

:class:`PacedWebClient` spaces ``chat.postMessage`` calls per channel with a small token bucket, so a
burst of reminders or a fast-clicking team never trips Slack's limit; anything that still gets a 429
is retried by slack_sdk's RateLimitErrorRetryHandler honouring Retry-After. The bucket lives in the
process: with several replicas each paces its own posts (a channel's evaluation is normally served by
whichever replica gets the click, so bursts per channel stay small).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.metrics import SLACK_API_ERRORS

PACED_METHODS = frozenset({"chat.postMessage"})


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
        super().__init__(*args, **kwargs)
        self.limiter = limiter or ChannelRateLimiter()

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        if api_method in PACED_METHODS:
            args = kwargs.get("json") or kwargs.get("data") or kwargs.get("params") or {}
            channel = args.get("channel") if isinstance(args, dict) else None
            if channel:
                await self.limiter.wait(str(channel))
        try:
            return await super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            SLACK_API_ERRORS.labels(api_method, str(error or "unknown")).inc()
            raise
