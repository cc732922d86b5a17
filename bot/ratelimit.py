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

:class:`SlackOutage` watches every answer Slack gives the process's clients (Bolt's per-request clients included)
and logs one ``slack_outage_started`` warning when calls keep failing, and one ``slack_outage_ended`` line when one
succeeds again.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlparse

import aiohttp
import orjson
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.metrics import SLACK_API_ERRORS
from bot.slack_errors import error_code

log = structlog.get_logger(__name__)

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


OUTAGE_AFTER_S = 10.0  # calls failing this long, with none succeeding between, are an outage …
OUTAGE_MIN_FAILURES = 3  # … once at least this many requests failed (a call's retries are requests too)
OUTAGE_PROBE_S = 5.0  # during an outage, Slack is asked (auth.test) when nothing else asked it for this long …
OUTAGE_MEANS = ("Slack's Web API keeps failing: clicks that reach ftcheck are still saved, and the cards and thread "
                "messages they owe stay owed in Redis and go out when Slack answers again (the outbox retries them); "
                "private replies to clicks are not retried")


def failure_kind(response: HttpResponse | None, error: Exception | None) -> str | None:
    """Why a request to Slack failed, in a word for the log: ``429``, ``500``/``503``/…, ``connection``, ``timeout``;
    None when Slack answered (an ``ok: false`` refusal is an answer), "" for an error that says nothing of Slack."""
    if error is None:
        status = response.status_code if response is not None else 0
        return str(status) if status == 429 or status >= 500 else None
    if isinstance(error, SlackApiError):  # a body that is not Slack's JSON: a proxy's error page, say
        status = int(getattr(error.response, "status", 0) or getattr(error.response, "status_code", 0) or 0)
        return str(status) if status == 429 or status >= 500 else ""
    if isinstance(error, asyncio.TimeoutError):
        return "timeout"
    if isinstance(error, aiohttp.ClientError | OSError):
        return "connection"
    return ""


class SlackOutage(AsyncRetryHandler):
    """A Slack outage in the log, as ``bot.app.RedisOutage`` does Redis's: one warning when Web API calls keep
    failing (429, 5xx, connection errors or timeouts for ``after_s`` with at least ``min_failures`` failed requests
    and no success between, so one odd 500 is no outage), naming the kinds seen; one line when a request succeeds
    again, with how long it lasted and how many requests failed. Nothing per failed request.

    It watches as the first of the client's retry handlers: slack_sdk asks them in turn about every request's
    answer (a success included) and every error, until one retries. This one never retries. Bolt's per-request
    clients copy the list, so their calls are watched too."""

    def __init__(self, where: str = "slack.com", *, after_s: float = OUTAGE_AFTER_S,
                 min_failures: int = OUTAGE_MIN_FAILURES, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(max_retry_count=0)
        self.where, self.after_s, self.min_failures, self.clock = where, after_s, min_failures, clock
        self.since: float | None = None  # when requests began failing with no success since; None while they succeed
        self.failed: Counter[str] = Counter()  # failed requests since then, by kind
        self.started = False  # the warning was logged
        self.on_ended: list[Callable[[], None]] = []  # called when an outage that was logged ends
        self.last_seen = clock()  # when a request last came back, whatever its outcome
        self._probing = False

    async def probe(self, client: AsyncWebClient, every_s: float = OUTAGE_PROBE_S) -> None:
        """… for every owed message waits out its backoff meanwhile (up to a minute, then 10): with nothing asking
        Slack, its end would go unseen until then. One ``auth.test`` when the outage has been quiet ``every_s``;
        its answer ends the outage (and wakes the outbox, :attr:`on_ended`). Never two at once."""
        if not self.started or self._probing or self.clock() - self.last_seen < every_s:
            return
        self._probing = True
        try:
            await client.auth_test()
        except Exception as exc:  # still down: this watch counted it
            log.debug("slack_probe_failed", error=type(exc).__name__)
        finally:
            self._probing = False

    async def can_retry_async(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                              error: Exception | None = None) -> bool:
        self.saw(failure_kind(response, error))
        return False

    def saw(self, kind: str | None) -> None:
        """One request's outcome: ``kind`` of failure, None for an answer from Slack, "" for neither."""
        self.last_seen = self.clock()
        if kind is None:
            if self.since is not None:
                self._ended()
            return
        if not kind:
            return
        now = self.clock()
        if self.since is None:
            self.since = now
        self.failed[kind] += 1
        if not self.started and now - self.since >= self.after_s and self.failed.total() >= self.min_failures:
            self.started = True
            log.warning("slack_outage_started", slack=self.where, failed_requests=self.failed.total(),
                        errors=dict(self.failed), failing_s=round(now - self.since, 1), means=OUTAGE_MEANS)

    def _ended(self) -> None:
        if self.started and self.since is not None:
            log.info("slack_outage_ended", slack=self.where, lasted_s=round(self.clock() - self.since, 1),
                     failed_requests=self.failed.total(), errors=dict(self.failed))
            for hook in self.on_ended:
                hook()
        self.since, self.started = None, False
        self.failed.clear()


class PacedWebClient(AsyncWebClient):
    def __init__(self, *args: Any, limiter: ChannelRateLimiter | None = None, **kwargs: Any) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None
        self._retry_handlers: list[AsyncRetryHandler] = []
        self.outage = SlackOutage()  # first, for super().__init__ sets the retry handlers
        super().__init__(*args, **kwargs)
        self.outage.where = urlparse(self.base_url).netloc or self.base_url
        self.limiter = limiter or ChannelRateLimiter()

    @property
    def retry_handlers(self) -> list[AsyncRetryHandler]:
        """The client's retry handlers, read by slack_sdk at each call, after :attr:`outage` (which watches every
        answer and never retries); inside :func:`findable_post` without the 429 handler (the presenter handles
        that 429: ``SlackPresenter._post``) unless the client waits it out. Bolt's per-request clients copy the
        whole list (they never post findable messages)."""
        if _FINDABLE.get() == "presenter":
            return [self.outage, *(h for h in self._retry_handlers
                                   if not isinstance(h, AsyncRateLimitErrorRetryHandler))]
        return [self.outage, *self._retry_handlers]

    @retry_handlers.setter
    def retry_handlers(self, value: list[AsyncRetryHandler]) -> None:
        self._retry_handlers = [h for h in value if not isinstance(h, SlackOutage)]  # one watch, always first

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
