"""The Bolt app factory and the process runtime (Redis, Slack client, engine, reminders)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

import structlog
from redis.exceptions import AuthenticationError, RedisClusterUnreachableError, RedisError
from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)

from bot.listeners import register_all
from bot.metrics import REDIS_ERRORS, REMINDERS_POSTED, SLACK_API_RETRIES
from bot.ratelimit import ChannelRateLimiter, PacedWebClient, blind_retry_allowed
from bot.reminder_sink import SlackReminderSink
from bot.replies import finish_after_ack, on_error
from bot.services import Services, make_redis
from bot.settings import (
    Settings,
    credentials_problem,
    not_redis_problem,
    redis_has_password,
    redis_host,
    refused_credentials,
    speaks_no_redis,
)
from conversations.migrations import migrate
from conversations.outbox import Outbox
from conversations.reminders import Reminders, WorkingHours
from conversations.store import StoreUnavailable

log = structlog.get_logger(__name__)
# How long a shutdown waits for listener work after its ack (a click's write and reply take milliseconds; a slow
# Slack call a few seconds): well inside Kubernetes' 30 s grace (deploy/k8s/deployment.yaml).
AFTER_ACK_GRACE_S = 10.0


def make_client(settings: Settings) -> PacedWebClient:
    """The Web API client: one pooled HTTP session for the process (opened on first use, closed by
    ``Runtime.aclose``), posts paced per channel, retries on rate limits (honouring Retry-After), 5xx and
    dropped connections — except, after a 5xx or a dropped connection, a post its poster can find by its metadata
    (:func:`bot.ratelimit.findable_post`): an evaluation's own messages, the give-up notice, the re-evaluation
    reminder, the idle nudge and "Reading the description…". Slack may have applied it; its poster looks first."""
    client = PacedWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10,
                            limiter=ChannelRateLimiter(per_second=settings.posts_per_second),
                            logger=web_api_logger(settings.log_level))
    client.retry_handlers = [
        _counted(AsyncConnectionErrorRetryHandler, "connection", blind=True)(max_retry_count=2),
        _counted(AsyncRateLimitErrorRetryHandler, "ratelimited")(max_retry_count=4),  # a 429 applied nothing
        _counted(AsyncServerErrorRetryHandler, "server_error", blind=True)(max_retry_count=3),
    ]
    return client


def web_api_logger(level: str) -> logging.Logger:
    """slack_sdk's client logger with a level of its own (Bolt hands it to every per-request client too).

    slack_sdk builds the debug line of every request and response — the whole payload, Block Kit included —
    whenever ``logger.level <= DEBUG``, and a logger whose level is unset has level 0: the default logger paid
    that formatting on every call (a third of a call's CPU in ``make bench``), only for ``debug()`` to drop it.
    """
    logger = logging.getLogger("slack_sdk.web.async_base_client")
    logger.setLevel(logging.DEBUG if level.upper() == "DEBUG" else logging.INFO)
    return logger


def _counted(base: type[AsyncRetryHandler], reason: str, *, blind: bool = False) -> type[AsyncRetryHandler]:
    """The same slack_sdk retry handler, counting each retry in ftcheck_slack_api_retries_total. ``blind``: the
    failure does not say whether Slack applied the call, so a post its poster can find (and looks for) is not
    retried here (:func:`bot.ratelimit.findable_post`)."""

    class Counted(base):  # type: ignore[valid-type,misc]
        async def _can_retry_async(self, **kwargs: Any) -> bool:
            if blind and not blind_retry_allowed():
                return False
            return bool(await super()._can_retry_async(**kwargs))

        async def prepare_for_next_attempt_async(self, **kwargs: Any) -> None:
            SLACK_API_RETRIES.labels(reason).inc()
            await super().prepare_for_next_attempt_async(**kwargs)

    Counted.__name__ = f"Counted{base.__name__}"
    return Counted


def build_app(services: Services) -> AsyncApp:
    """The Bolt app: services in every request's context, one error handler, the listeners.

    Signatures are verified once, in :mod:`bot.serve`, before anything parses the body (Bolt parses first and
    verifies after, so a malformed unsigned body would be a 500 there); Socket Mode carries no signature.
    """
    with _bolt_reads_no_environment():
        app = AsyncApp(client=services.client, signing_secret=services.settings.slack_signing_secret or "",
                       request_verification_enabled=False, process_before_response=False)

    app.middleware(ProvideServices(services))
    app.error(on_error)
    register_all(app)
    return app


# What AsyncApp's constructor reads from the environment on its own (slack_bolt/app/async_app.py). ftcheck is a
# single-workspace bot configured through bot.settings, so Bolt must not read any of them: SLACK_CLIENT_ID with
# SLACK_CLIENT_SECRET would switch it to OAuth (multi-workspace) mode, where every request is answered with an
# empty 200 ("the AuthorizeResult … was not found"), and SLACK_BOT_TOKEN beside the client ftcheck hands it made
# it warn "As you gave `client` as well, `token` will be unused." at every start.
BOLT_ENVIRONMENT = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET",
                    "SLACK_VERIFICATION_TOKEN")
OAUTH_VARIABLES = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")


@contextlib.contextmanager
def _bolt_reads_no_environment() -> Iterator[None]:
    """Hide Bolt's variables from the environment while AsyncApp is built (synchronously: no other task runs
    meanwhile), then put them back; a warning names SLACK_CLIENT_ID/SLACK_CLIENT_SECRET when they are set."""
    if all(os.environ.get(name) is not None for name in OAUTH_VARIABLES):
        log.warning("slack_oauth_variables_ignored", variables=list(OAUTH_VARIABLES),
                    why="ftcheck serves one workspace with SLACK_BOT_TOKEN; Bolt's OAuth (multi-workspace) mode is "
                        "not used, so these two are ignored: unset them to silence this warning")
    hidden = {name: os.environ.pop(name) for name in BOLT_ENVIRONMENT if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(hidden)


class RedisOutage:
    """A Redis outage in the log: one warning when it starts (naming REDIS_URL's host, never its password) and
    one line when it ends, however many calls fail meanwhile. The outbox tick touches Redis every
    FTCHECK_OUTBOX_TICK_SECONDS, so it notices both within a tick; a failed call anywhere else is a
    StoreUnavailable its caller answers (the person is told) and conversations.store logs at debug level.

    The outage ends when Redis takes a write (``writable``, as ``/healthz`` asks): a tick that only read proves
    nothing about a Redis that refuses writes (a read-only replica, a full one)."""

    def __init__(self, where: str, has_password: bool = False,
                 writable: Callable[[], Awaitable[bool]] | None = None) -> None:
        self.where = where
        self.has_password = has_password  # REDIS_URL carries a password: a refusal is WRONGPASS, else NOAUTH
        self.writable = writable  # None: any call that succeeded ends the outage
        self.since: float | None = None  # monotonic time the outage began; None while Redis answers

    def down(self, exc: BaseException, *, at_start: bool = False) -> None:
        if self.since is not None:
            return
        self.since = time.monotonic()
        reason = "not_redis" if speaks_no_redis(exc) else exc.reason if isinstance(exc, StoreUnavailable) else "down"
        what = {"full": "Redis is full (maxmemory reached), writes are refused",
                "refused": "Redis refuses writes (a failover or a disk it cannot save to)",
                "busy": "Redis is busy",
                "not_redis": not_redis_problem(self.where)}.get(reason, "Redis does not answer")
        if refused_credentials(exc):  # a password changed while serving: say so, the fix is REDIS_URL's
            what = "Redis refuses REDIS_URL's credentials (fix the password in REDIS_URL and restart)"
        log.warning("redis_unreachable_at_start" if at_start else "redis_outage_started", redis=self.where,
                    reason=reason, error=str(exc) or type(exc).__name__,
                    means=f"{what}: the bot answers \"temporarily unavailable\" and keeps what it owes until "
                          "Redis is back" + ("; serving anyway (/healthz reports Redis)" if at_start else ""))

    async def up(self) -> None:
        """A call succeeded: the outage ends here if Redis also takes a write."""
        if self.since is None or (self.writable is not None and not await self.writable()):
            return
        lasted, self.since = time.monotonic() - self.since, None
        log.info("redis_outage_ended", redis=self.where, lasted_s=round(lasted, 1))


class ProvideServices(AsyncMiddleware):
    """Puts the services into every request's context: Bolt injects context keys by argument name, so a listener
    declares ``services: Services`` and gets them.

    A middleware object, not a function: Bolt builds its whole table of injectable arguments (payload views, say,
    respond …) for every call of a function middleware, a cost paid on every request for one dict entry."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse | None:
        req.context["services"] = self.services
        await next()  # Bolt's next() returns nothing
        return resp  # handed on: Bolt's default 200 stays for a listener that acks late on a busy machine


async def stop_tasks(tasks: Collection[asyncio.Task[Any]], every_s: float = 0.1) -> None:
    """Cancel ``tasks`` and return once every one has ended, cancelling again each ``every_s`` while one runs.

    One cancellation is not enough on Python 3.11: ``asyncio.wait_for``, which redis-py wraps around every
    command's send, returns the result instead of raising when the cancellation arrives in the loop turn the send
    completes, and the task goes on (an outbox tick delivering after shutdown; a loop of ticks, for good)."""
    running = {task for task in tasks if not task.done()}
    while running:
        for task in running:
            task.cancel()
        _, running = await asyncio.wait(running, timeout=every_s)


@dataclass
class Runtime:
    settings: Settings
    services: Services
    app: AsyncApp
    reminders: Reminders
    outbox: Outbox
    outage: RedisOutage
    closed: bool = False  # set by aclose(): from then on a tick does nothing
    _ticks: set[asyncio.Task[Any]] = field(default_factory=set, repr=False)  # the clock's ticks in flight

    @classmethod
    def build(cls, settings: Settings, redis_url: str) -> Runtime:
        client = make_client(settings)
        services = Services.build(settings, make_redis(redis_url, settings.redis_timeout_s), client)
        reminders = Reminders(services.store, services.registry,
                              SlackReminderSink(services.client, services.registry, settings.zone,
                                                store=services.store, after=settings.reevaluate_delta),
                              after=settings.reevaluate_delta, idle_after=settings.idle_delta,
                              hours=WorkingHours.parse(settings.working_hours, settings.timezone),
                              abandon_after=settings.abandon_delta, close=services.engine.abandon)
        services.engine.on_completed.append(reminders.on_completed)
        services.store.on_unavailable = REDIS_ERRORS.inc
        outbox = Outbox(services.engine)
        client.outage.on_ended.append(outbox.wake)  # what failed meanwhile is retried at the next tick
        return cls(settings=settings, services=services, app=build_app(services), reminders=reminders,
                   outbox=outbox,
                   outage=RedisOutage(redis_host(redis_url), redis_has_password(redis_url),
                                      writable=services.store.writable))

    async def aclose(self) -> None:
        """Shutdown: let listener work after its ack finish (up to :data:`AFTER_ACK_GRACE_S`: Slack was told
        those clicks were taken), stop the clock's ticks still in flight (a stopped bot delivers nothing more; what
        a tick left owed stays owed), write what deliveries recorded, close the shared Slack HTTP session (the
        runners call this last, after stopping the scheduler, which cancels a tick in flight but does not wait for
        it)."""
        left = await finish_after_ack(AFTER_ACK_GRACE_S)  # clicks Slack was told were taken: write and answer them
        if left:
            log.warning("shutdown_left_listener_work", listeners=left, waited_s=AFTER_ACK_GRACE_S)
        self.closed = True
        await stop_tasks(self._ticks)
        await self.services.engine.aclose()  # booked draws: owed in the documents (the outbox draws them), or drawn
        await self.services.store.flush()
        client = self.services.client
        if isinstance(client, PacedWebClient):
            await client.aclose()

    async def check_redis(self) -> None:
        """At start-up: one warning when Redis does not answer. The server starts anyway (``/healthz`` reports
        Redis) and logs when Redis answers again. Redis refusing REDIS_URL's credentials stops the server with one
        line naming the fix, as a token Slack refuses does: that outage would never end by itself."""
        try:
            async with asyncio.timeout(self.settings.redis_timeout_s * 2):
                await self.services.store.redis.ping()
        except AuthenticationError:
            await self.aclose()
            await self.services.store.redis.aclose()
            raise SystemExit(credentials_problem(self.outage.where, self.outage.has_password)) from None
        except (RedisError, RedisClusterUnreachableError, OSError, TimeoutError) as exc:
            self.outage.down(exc, at_start=True)

    @contextlib.contextmanager
    def _ticking(self) -> Iterator[bool]:
        """Around one tick of the clock: False once the runtime is closed (the tick does nothing); else the task
        running it is one aclose() stops."""
        task = asyncio.current_task()
        if self.closed or task is None:
            yield not self.closed
            return
        self._ticks.add(task)
        try:
            yield True
        finally:
            self._ticks.discard(task)

    async def tick(self) -> None:
        """One scheduler tick: post due reminders and nudge idle evaluations."""
        with self._ticking() as running:
            if running:
                await self._tick()

    async def _tick(self) -> None:
        try:
            REMINDERS_POSTED.inc(await self.reminders.tick())
        except StoreUnavailable as exc:  # logged once per outage, without a traceback: nothing is wrong here
            self.outage.down(exc)
        except Exception:
            log.exception("tick_failed")

    async def migrate(self) -> None:
        """The one-off data migrations (``conversations.migrations``), at start and every few minutes: one that
        failed runs again; once all are done a run takes the lock and reads their markers (four round trips)."""
        with self._ticking() as running:
            if running:
                await self._migrate()

    async def _migrate(self) -> None:
        try:
            await migrate(self.services.store)
        except StoreUnavailable as exc:
            self.outage.down(exc)
        except Exception:
            log.exception("migration_failed")

    async def deliver_owed(self) -> None:
        """The outbox tick (every FTCHECK_OUTBOX_TICK_SECONDS): what a crash or a failure left owed, delivered once.
        It reads Redis every time, so it also tells when a Redis outage starts and ends."""
        with self._ticking() as running:
            if running:
                await self._deliver_owed()

    async def probe_slack(self) -> None:
        """During a Slack outage, ask Slack now and then whether it answers again (``SlackOutage.probe``): its end
        wakes the outbox, which retries at once what failed meanwhile."""
        with self._ticking() as running:
            if running and isinstance(client := self.services.client, PacedWebClient):
                await client.outage.probe(client)

    async def _deliver_owed(self) -> None:
        try:
            await self.outbox.tick()
        except StoreUnavailable as exc:
            self.outage.down(exc)
        except Exception:
            log.exception("outbox_tick_failed")
        else:
            await self.outage.up()
