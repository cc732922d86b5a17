"""Runners: HTTP (aiohttp: /slack/events, /readyz, /healthz, /metrics) and Socket Mode, both with the reminder
clock."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import json
import logging
import signal
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, urlparse

import aiohttp
import structlog
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import build_normalized_headers, extract_content_type
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.signature import SignatureVerifier

from bot.ack_first import CURRENT, GATE
from bot.app import Runtime
from bot.metrics import ACK_SECONDS, REQUESTS, request_kind
from bot.ratelimit import OUTAGE_PROBE_S
from bot.slack_errors import error_code
from conversations.migrations import MIGRATE_EVERY_S
from conversations.store import Store

log = structlog.get_logger(__name__)

READ_TIMEOUT_S = 10.0  # Slack sends a request in one go; anything slower is a stuck or hostile client
# /healthz answers within this, under the probes' own timeouts (the Dockerfile's 8 s): a Redis that accepts
# connections but answers nothing took its retries, about 40 s, to come out as "down"
HEALTH_DEADLINE_S = 3.0


class _SkippedRunIsNormal(logging.Filter):
    """APScheduler warns "Execution of job … skipped: maximum number of running instances reached" whenever a tick
    outlasts its interval (a slow or unreachable Redis: twice a second from the outbox tick). Skipping that run is
    what ``max_instances=1, coalesce=True`` asks for, so the warning is dropped; its other warnings stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


SKIPPED_RUN_IS_NORMAL = _SkippedRunIsNormal()


class _CancelledAtShutdown(logging.Filter):
    """At shutdown the scheduler cancels a tick in flight, and APScheduler logs that as "Job … raised an exception"
    with a traceback. The cancellation must reach the job (a job that swallowed it would keep its task alive), so
    the record is dropped here instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError))


CANCELLED_AT_SHUTDOWN = _CancelledAtShutdown()


def start_clock(runtime: Runtime) -> AsyncIOScheduler:
    """APScheduler only runs the clock; the reminders themselves live in Redis (see conversations.reminders)."""
    logging.getLogger("apscheduler.scheduler").addFilter(SKIPPED_RUN_IS_NORMAL)  # once: the same object
    logging.getLogger("apscheduler.executors.default").addFilter(CANCELLED_AT_SHUTDOWN)
    scheduler = AsyncIOScheduler(timezone=UTC)  # an interval needs no local zone (tzlocal would read the system)
    scheduler.add_job(runtime.tick, "interval", seconds=runtime.settings.tick_s, max_instances=1, coalesce=True,
                      id="ftcheck-tick")
    scheduler.add_job(runtime.deliver_owed, "interval", seconds=runtime.settings.outbox_tick_s, max_instances=1,
                      coalesce=True, id="ftcheck-outbox")
    scheduler.add_job(runtime.probe_slack, "interval", seconds=OUTAGE_PROBE_S, max_instances=1, coalesce=True,
                      id="ftcheck-slack-probe")
    # now, then every few minutes: one cut short runs again, and cheaply does nothing once all are done
    scheduler.add_job(runtime.migrate, "interval", seconds=MIGRATE_EVERY_S, next_run_time=datetime.now(UTC),
                      max_instances=1, coalesce=True, id="ftcheck-migrate")
    scheduler.start()
    return scheduler


class Malformed(ValueError):
    """A signed body that cannot be a Slack request; answered 400 (the message says why) instead of crashing a
    listener."""


def _event_problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "JSON body must be an object"
    if data.get("type") == "event_callback" and not isinstance(data.get("event"), dict):
        return "event_callback without an event object"
    return None


def _payload_problem(data: Any) -> str | None:
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        return "payload must be a JSON object with a type"
    if not isinstance(data.get("user", {}), dict):
        return "payload.user must be an object"
    actions = data.get("actions", [])
    if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
        return "payload.actions must be a list of objects"
    if data["type"] == "block_actions" and not actions:
        return "block_actions payload without actions"
    if not isinstance(data.get("view", {}), dict):
        return "payload.view must be an object"
    return None


def parse_signed(body: str, content_type: str, bolt_type: str | None) -> dict[str, Any] | None:
    """Check a signed body and return the dict Bolt's ``parse_body(body, bolt_type)`` would build from it, parsing
    it once (a click's form carries the whole message, and unquoting it twice was a top cost); raises Malformed.

    ``content_type`` is the header as sent: it picks the checks. ``bolt_type`` is Bolt's reading of it
    (``AsyncBoltRequest.content_type``): with the body's first character it picks how Bolt parses, which this
    mirrors (tests/bot/test_serve_parse.py holds the two equal). None: a shape Slack never sends (a JSON type on a
    body Bolt reads as a form or the reverse, a repeated ``payload``), which Bolt then parses itself, as before.
    """
    bolt_reads_json = bolt_type == "application/json" or body.startswith("{")
    try:
        if "json" in content_type:
            data = json.loads(body)
            problem = _event_problem(data)
        else:
            pairs = parse_qsl(body, keep_blank_values=True)
            payloads = [value for key, value in pairs if key == "payload"]
            problem = None
            if payloads:
                data = json.loads(payloads[0])
                problem = _payload_problem(data)
            elif not any(key in ("command", "ssl_check") for key, _ in pairs):
                problem = "neither a slash command nor an interaction payload"
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise Malformed("malformed JSON") from None
    except RecursionError:  # signed, yet nested deeper than Python parses: no Slack payload is
        raise Malformed("JSON nested too deeply") from None
    if problem:
        raise Malformed(problem)
    if "json" in content_type:
        return cast(dict[str, Any], data) if bolt_reads_json else None
    if bolt_reads_json or len(payloads) > 1:
        return None
    if "payload" not in body:  # Bolt looks for a payload by the word anywhere in the raw body, as here
        return dict(pairs)
    return cast(dict[str, Any], data) if payloads else {}


def bolt_request(raw_body: str, body: dict[str, Any] | None, query: str,
                 headers: Mapping[str, str]) -> AsyncBoltRequest:
    """The request slack_bolt's aiohttp ``to_bolt_request`` builds, from the body ``parse_signed`` already parsed."""
    if body is None:
        return AsyncBoltRequest(body=raw_body, query=query, headers=headers)  # type: ignore[arg-type]
    # In "http" mode AsyncBoltRequest takes only the raw str and parses it; it keeps a parsed dict as is only in
    # "socket_mode". So build it that way and restore raw_body and "http", leaving the object the adapter would
    # have made: Bolt reads these two only in its own signature check (off: signed() runs first) and to re-parse
    # raw_body when it copies a request for a lazy listener (none here), and both stay right.
    request = AsyncBoltRequest(body=body, query=query, headers=headers, mode="socket_mode")  # type: ignore[arg-type]
    request.raw_body, request.mode = raw_body, "http"
    return request


def run_server(main: Coroutine[Any, Any, None]) -> None:
    """Run a server's event loop: uvloop where it is installed (in ``make bench`` about a fifth less CPU per
    click than asyncio's own loop, which spends it on Redis and Slack I/O callbacks), else asyncio's."""
    try:
        import uvloop
    except ImportError:  # not on Windows
        asyncio.run(main)
        return
    uvloop.run(main)


GC_YOUNG_THRESHOLD = 20_000  # allocations between collections of the youngest generation (Python's default: 700)


def settle_heap() -> None:
    """Once the app is built: move everything start-up made (modules, Bolt, pydantic's schemas) out of the
    collector's sight, and collect the young generation less often.

    Each request allocates thousands of short-lived objects (request dicts, documents, Block Kit); with the
    defaults the collector ran every 700 of them and walked the whole start-up heap on every full pass (measured
    in ``make bench``: 9% of the bot's CPU, full passes of 70 ms). Frozen objects are never collected, which is
    right for what lives as long as the process; the cycles a request leaves are still collected, in bigger
    batches.
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


def signed(verifier: SignatureVerifier, body: str, headers: Mapping[str, str]) -> bool:
    """Slack's signature over the body, checked once for the whole app (Bolt's own check is off)."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    if not timestamp.isascii() or not timestamp.isdigit():
        return False  # slack_sdk would raise on int(); a missing or garbled timestamp is simply not signed
    return verifier.is_valid(body, timestamp, headers.get("X-Slack-Signature", ""))


SIGNATURE_WARNING_EVERY_S = 60.0  # a wrong secret refuses every request: one warning a minute says so
STALE_AFTER_S = 300  # slack_sdk refuses a timestamp more than five minutes from the server's clock


class RejectedSignatures:
    """Requests refused for their signature, in the log at most once every :data:`SIGNATURE_WARNING_EVERY_S`
    (each is counted in /metrics too): a wrong SLACK_SIGNING_SECRET otherwise leaves no trace in the log while
    every command fails in Slack."""

    def __init__(self, every_s: float = SIGNATURE_WARNING_EVERY_S) -> None:
        self.every_s = every_s
        self.last: float | None = None  # monotonic time of the last warning
        self.since_last = 0  # refused since that warning

    def refused(self, headers: Mapping[str, str]) -> None:
        self.since_last += 1
        now = time.monotonic()
        if self.last is not None and now - self.last < self.every_s:
            return
        log.warning("slack_signature_rejected", requests=self.since_last, why=_why_unsigned(headers),
                    fix="set SLACK_SIGNING_SECRET to the Signing Secret under Basic Information → App Credentials "
                        "in your Slack app's settings, and keep this server's clock in sync (NTP): Slack's "
                        "timestamp must be within 5 minutes of it",
                    means=f"requests refused with 401; at most one such warning every {self.every_s:.0f} s")
        self.last, self.since_last = now, 0


def _why_unsigned(headers: Mapping[str, str]) -> str:
    """Which check a refused request failed: no Slack headers, a clock apart, or the signature itself."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    if not headers.get("X-Slack-Signature") or not timestamp.isascii() or not timestamp.isdigit():
        return "no X-Slack-Signature/X-Slack-Request-Timestamp headers: not sent by Slack"
    skew = time.time() - int(timestamp)
    if abs(skew) > STALE_AFTER_S:
        return (f"the request's timestamp is {abs(skew):.0f} s {'behind' if skew > 0 else 'ahead of'} this "
                "server's clock (a clock out of sync, or a replayed request)")
    return "the signature does not match SLACK_SIGNING_SECRET"


async def read_body(request: web.Request, timeout_s: float) -> str | None:
    """The body, or None when the client takes longer than ``timeout_s`` to send it (a slow-loris)."""
    try:
        async with asyncio.timeout(timeout_s):
            return await request.text()
    except TimeoutError:
        return None


def http_app(runtime: Runtime, read_timeout_s: float = READ_TIMEOUT_S) -> web.Application:
    verifier = SignatureVerifier(runtime.settings.slack_signing_secret or "")
    rejected = RejectedSignatures()

    async def events(request: web.Request) -> web.Response:
        started = time.perf_counter()
        body = await read_body(request, read_timeout_s)
        if body is None:
            REQUESTS.labels("unknown", "408").inc()
            return web.Response(status=408, text="request body not received in time")
        content_type = request.headers.get("Content-Type", "")
        kind = request_kind(body, content_type)
        if not signed(verifier, body, request.headers):
            REQUESTS.labels(kind, "401").inc()
            rejected.refused(request.headers)
            return web.Response(status=401, text="invalid or stale Slack signature")
        bolt_type = extract_content_type(build_normalized_headers(request.headers))  # type: ignore[arg-type]
        try:
            parsed = parse_signed(body, content_type, bolt_type)
        except Malformed as problem:
            REQUESTS.labels(kind, "400").inc()
            return web.Response(status=400, text=str(problem))
        bolt_response = await dispatch(bolt_request(body, parsed, request.query_string, request.headers))
        ACK_SECONDS.labels(kind).observe(time.perf_counter() - started)
        REQUESTS.labels(kind, str(bolt_response.status)).inc()
        return await to_aiohttp_response(bolt_response)

    async def dispatch(bolt_req: AsyncBoltRequest) -> BoltResponse:
        ticket = GATE.take()  # waits for its ack from here: post-ack work yields to it (bot/ack_first.py)
        token = CURRENT.set(ticket)
        try:
            return await runtime.app.async_dispatch(bolt_req)
        finally:
            ticket.release()
            CURRENT.reset(token)

    async def readyz(_: web.Request) -> web.Response:
        # the process answers: Kubernetes readiness, so a Redis outage leaves every pod serving its own
        # "temporarily unavailable" replies instead of an Ingress 503 (/healthz reports Redis)
        return web.json_response({"ok": True})

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/slack/events", events)
    app.router.add_get("/healthz", health_handler(runtime.services.store))
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app


def health_handler(store: Store) -> Callable[[web.Request], Awaitable[web.Response]]:
    """``/healthz``: 200 while Redis answers and takes writes, else 503 with why, within :data:`HEALTH_DEADLINE_S`."""
    checking: asyncio.Task[str] | None = None  # one check at a time, however many probes ask

    async def healthz(_: web.Request) -> web.Response:
        nonlocal checking
        if checking is None or checking.done():
            checking = asyncio.ensure_future(redis_state(store))
        # waited for, never cancelled (a cancelled redis-py call can leave its connection mid-reply)
        done, _pending = await asyncio.wait({checking}, timeout=HEALTH_DEADLINE_S)
        state = checking.result() if done else "not answering"
        if state == "up":
            return web.json_response({"ok": True, "redis": "up"})
        return web.json_response({"ok": False, "redis": state}, status=503)

    return healthz


async def redis_state(store: Store) -> str:
    """``up`` (answers and takes writes), ``up, refusing writes`` (full, read-only) or ``down``."""
    if await store.writable():
        return "up"
    return "up, refusing writes" if await store.ping() else "down"


def make_runner(runtime: Runtime, read_timeout_s: float = READ_TIMEOUT_S) -> web.AppRunner:
    """The aiohttp runner; ``keepalive_timeout`` also closes a connection that has not sent a whole request
    within ``read_timeout_s`` of opening (aiohttp arms it at connection start), so slow-loris clients go away."""
    return web.AppRunner(http_app(runtime, read_timeout_s), access_log=None, keepalive_timeout=read_timeout_s)


# Slack's answers to a bot token it will not take: no retry helps, so the server stops and says which variable.
REFUSED_TOKEN = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"})


async def check_bot_token(runtime: Runtime) -> None:
    """Ask Slack once (``auth.test``) whether it takes SLACK_BOT_TOKEN, before serving anyone with it; when Slack
    cannot be reached the server starts anyway (each request retries)."""
    await _check_token(runtime, runtime.services.client.auth_test(), REFUSED_TOKEN, "slack_auth_test_failed",
                       "SLACK_BOT_TOKEN", "copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions in your "
                       "Slack app's settings; reinstall the app to the workspace if it was revoked.")


# Slack's answers to an app-level token it will not take (https://api.slack.com/methods/apps.connections.open).
REFUSED_APP_TOKEN = REFUSED_TOKEN | {"not_allowed_token_type", "missing_scope", "invalid_token"}


async def check_app_token(runtime: Runtime, token: str) -> None:
    """Ask Slack once for a Socket Mode URL with SLACK_APP_TOKEN, as slack_sdk's handler will (which retries a
    refused token forever, logging every 10 s); Slack issues a new URL per call, so the one asked for here is
    simply not used. When Slack cannot be reached the server starts anyway (the handler retries)."""
    # https://api.slack.com/methods/apps.connections.open: POST with the app-level token (xapp-…) as the bearer;
    # answers {"ok": true, "url": "wss://…"} or {"ok": false, "error": "invalid_auth"}.
    await _check_token(runtime, runtime.services.client.apps_connections_open(app_token=token), REFUSED_APP_TOKEN,
                       "slack_app_token_check_failed", "SLACK_APP_TOKEN", "generate an App-Level Token with "
                       "connections:write under Basic Information → App-Level Tokens in your Slack app's settings, "
                       "and set SLACK_APP_TOKEN to it (xapp-…).")


async def _check_token(runtime: Runtime, call: Awaitable[Any], refused: frozenset[str], failed_event: str,
                       variable: str, fix: str) -> None:
    """One start-up call with a token: a refusal stops the server naming ``variable`` and the fix; anything else
    (Slack unreachable, a 5xx) is logged and the server starts."""
    try:
        await call
    except SlackApiError as exc:
        code = error_code(exc)
        if code in refused:
            await runtime.aclose()
            raise SystemExit(f"Slack refused {variable} ({code}): {fix}") from None
        log.warning(failed_event, error=code)
    # aiohttp.ClientError: a connection closed before Slack answered (ServerDisconnectedError, a proxy dropping it)
    # or a garbled answer; neither is an OSError
    except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
        log.warning("slack_unreachable_at_start", error=f"{type(exc).__name__}: {exc}")


async def listen(runtime: Runtime, runner: web.AppRunner, host: str, port: int) -> None:
    """Bind the port; one that is taken (or that may not be bound) stops the server with one line saying what to
    do, not a traceback."""
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        await runtime.aclose()
        if exc.errno == errno.EADDRINUSE:
            raise SystemExit(f"port {port} is in use: pass --port N or stop the other process") from None
        if exc.errno == errno.EACCES:
            raise SystemExit(f"port {port} may not be opened by this user: pass --port N (1024 or above)") from None
        raise SystemExit(f"cannot listen on {host}:{port} ({exc.strerror or exc}): check --host and --port") from None


async def serve_http(runtime: Runtime, host: str, port: int) -> None:
    if not runtime.settings.slack_signing_secret:
        raise SystemExit("HTTP mode needs SLACK_SIGNING_SECRET (Basic Information → App Credentials in your "
                         "Slack app's settings) so forged requests are refused.")
    await check_bot_token(runtime)
    await runtime.check_redis()
    runner = make_runner(runtime)
    settle_heap()
    await listen(runtime, runner, host, port)
    scheduler = start_clock(runtime)
    log.info("http_listening", host=host, port=port)
    try:
        async with stop_signals() as stop:
            await stop.wait()
        log.info("shutting_down")
    finally:
        scheduler.shutdown(wait=False)
        await runner.cleanup()  # answers the requests in flight, then closes
        await runtime.aclose()


@contextlib.asynccontextmanager
async def stop_signals() -> AsyncIterator[asyncio.Event]:
    """An event set by SIGTERM or SIGINT (``docker stop``, a rollout, Ctrl-C), so a server runs its shutdown:
    requests in flight answered, the store's folded records written, the Slack session closed."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # Windows; not the main thread
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        yield stop
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


# Socket Mode's heartbeat: a file touched every HEARTBEAT_S while the WebSocket is connected and removed while it is
# not (and at start and stop), so a health check reads the connection from its age (deploy/compose.yaml).
HEARTBEAT_FILE = "ftcheck-socket-mode.alive"
HEARTBEAT_S = 10.0
NOT_CONNECTED_WARNING_S = 30.0  # Socket Mode not connected this long: one warning saying what to check


def heartbeat_path() -> Path | None:
    """Where Socket Mode keeps its heartbeat: the temp dir (``$TMPDIR``, else /tmp), which compose mounts as a
    tmpfs; a health check running in the same container computes the same path. None when no temp dir is writable
    (a read-only root with no tmpfs): the bot serves on without a heartbeat, and says so once."""
    try:
        return Path(tempfile.gettempdir()) / HEARTBEAT_FILE
    except OSError as exc:  # tempfile found no writable directory
        log.warning("socket_heartbeat_unwritable", path=None, error=str(exc),
                    means="a health check of the heartbeat file reports this bot unhealthy; point TMPDIR at a "
                          "writable directory")
        return None


class Heartbeat:
    """The heartbeat file: fresh while connected, absent otherwise."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.unwritable = path is None  # said once already (heartbeat_path)

    def beat(self) -> None:
        if self.path is None:
            return
        try:
            self.path.touch()
        except OSError as exc:
            if not self.unwritable:  # once: the health check will say unhealthy, this says why
                self.unwritable = True
                log.warning("socket_heartbeat_unwritable", path=str(self.path), error=exc.strerror or str(exc),
                            means="a health check of the heartbeat file reports this bot unhealthy; point TMPDIR "
                                  "at a writable directory")

    def clear(self) -> None:
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.unlink(missing_ok=True)


async def serve_socket(runtime: Runtime, watchdog_s: float = 60.0, heartbeat_s: float = HEARTBEAT_S,
                       warn_after_s: float = NOT_CONNECTED_WARNING_S) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    token = runtime.settings.slack_app_token
    if not token or not token.startswith("xapp-"):
        problem = "needs SLACK_APP_TOKEN" if not token else "needs SLACK_APP_TOKEN to be the app-level token"
        raise SystemExit(f"Socket Mode {problem}: an xapp- token with connections:write (Basic Information → "
                         "App-Level Tokens in your Slack app's settings), not the xoxb- bot token.")
    await check_bot_token(runtime)
    await check_app_token(runtime, token)
    await runtime.check_redis()
    heartbeat = Heartbeat(heartbeat_path())
    heartbeat.clear()  # a previous run's
    scheduler = start_clock(runtime)
    handler = AsyncSocketModeHandler(runtime.app, token)
    settle_heap()
    try:
        # from here a stop signal shuts down, connected or not: slack_sdk retries a connection forever
        async with stop_signals() as stop:
            if await _connect(handler, stop, warn_after_s):
                log.info("socket_mode_connected")
                await _stay_connected(handler, stop, heartbeat, watchdog_s, heartbeat_s, warn_after_s)
        log.info("shutting_down")
    finally:
        heartbeat.clear()
        scheduler.shutdown(wait=False)
        await handler.close_async()  # type: ignore[no-untyped-call]
        await runtime.aclose()


async def _connect(handler: Any, stop: asyncio.Event, warn_after_s: float) -> bool:
    """Connect (slack_sdk tries again every 10 s, forever) until connected, True, or until ``stop`` is set, False;
    one warning saying what to check when still not connected after ``warn_after_s``."""
    connecting = asyncio.ensure_future(handler.connect_async())
    stopping = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait((connecting, stopping), timeout=warn_after_s,
                                     return_when=asyncio.FIRST_COMPLETED)
        if not done:
            _warn_not_connected(handler, warn_after_s)
            done, _ = await asyncio.wait((connecting, stopping), return_when=asyncio.FIRST_COMPLETED)
        if stopping in done:
            return False
        connecting.result()  # what slack_sdk's loop let out (it retries every Exception): raised here
        return True
    finally:
        for task in (connecting, stopping):
            task.cancel()
        await asyncio.gather(connecting, stopping, return_exceptions=True)


async def _stay_connected(handler: Any, stop: asyncio.Event, heartbeat: Heartbeat, watchdog_s: float,
                          heartbeat_s: float, warn_after_s: float) -> None:
    """Until ``stop``: every ``heartbeat_s`` the heartbeat file is touched while connected (removed while not, with
    one warning once that lasts ``warn_after_s``); every ``watchdog_s`` the watchdog looks at the connection, in a
    task of its own, so a stop signal is never kept waiting by a reconnection that keeps failing."""
    loop = asyncio.get_running_loop()
    next_watch = loop.time() + watchdog_s
    watching: asyncio.Task[None] | None = None
    down_since: float | None = None
    warned = False
    heartbeat.beat()
    try:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), heartbeat_s)
            if stop.is_set():
                return
            if await _down(handler) is None:
                heartbeat.beat()
                if warned:
                    log.info("socket_mode_connected", was_down_s=round(loop.time() - (down_since or 0)))
                down_since, warned = None, False
            else:
                heartbeat.clear()
                down_since = loop.time() if down_since is None else down_since
                if not warned and loop.time() - down_since >= warn_after_s:
                    _warn_not_connected(handler, loop.time() - down_since)
                    warned = True
            if loop.time() >= next_watch and (watching is None or watching.done()):
                watching = asyncio.ensure_future(_watched(handler))
                next_watch = loop.time() + watchdog_s
    finally:
        if watching is not None:
            watching.cancel()
            await asyncio.gather(watching, return_exceptions=True)


def _warn_not_connected(handler: Any, after_s: float) -> None:
    """One line saying which half of Socket Mode fails (Slack's Web API handing out a WebSocket URL, or the
    WebSocket itself) and what to check; slack_sdk's own "Failed to connect" lines give the error of each try."""
    client = getattr(handler, "client", None)
    wss = getattr(client, "wss_uri", None)  # the URL slack_sdk was handed (it holds a ticket: only its host is said)
    api = urlparse(str(getattr(getattr(client, "web_client", None), "base_url", "") or "")).netloc or "slack.com"
    if wss:
        host = urlparse(str(wss)).netloc or "its host"
        why = (f"Slack's Web API ({api}) took SLACK_APP_TOKEN and handed out a WebSocket URL, but connecting to "
               f"{host} fails")
        fix = (f"allow outbound WebSocket connections (wss://, port 443) to {host}: a firewall or proxy that blocks "
               "WebSocket upgrades, or a TLS-inspecting proxy")
    else:
        why = f"no WebSocket URL from Slack's Web API ({api})"
        fix = (f"check that this host resolves and reaches {api} over HTTPS (DNS, firewall, proxy), and that "
               "SLACK_APP_TOKEN is this app's App-Level Token (xapp-…) with connections:write")
    log.warning("socket_mode_not_connected", after_s=round(after_s), why=why, fix=fix,
                means="until it connects nothing from Slack reaches this bot (/ftcheck answers dispatch_failed); "
                      "it keeps trying every 10 s")


async def _down(handler: object, stale_after_s: float = 90.0) -> str | None:
    """Why the Socket Mode connection is not usable ("stale": slack_sdk believes it is connected but no ping/pong
    arrived for ``stale_after_s``; "not connected"), or None while it is."""
    client = getattr(handler, "client", None)
    if client is None:
        return None
    last = getattr(client, "last_ping_pong_time", None)
    if last is not None and time.time() - float(last) > stale_after_s:
        return "stale"
    return None if await client.is_connected() else "not connected"


async def _watched(handler: object) -> None:
    """The watchdog, with a failure to reconnect (Slack unreachable for a new URL) said in one line: the next
    pass, and slack_sdk's own monitor, try again."""
    try:
        await _watchdog(handler)
    except Exception as exc:  # anything slack_sdk lets out of a reconnection: never the server's end
        log.warning("socket_mode_reconnect_failed", error=f"{type(exc).__name__}: {exc}")


async def _watchdog(handler: object, stale_after_s: float = 90.0) -> None:
    """Reconnect when slack_sdk believes it is connected but no ping/pong arrived for ``stale_after_s``.

    slack_sdk's own monitor covers most drops; this catches the known case of a half-open connection
    where ``is_connected()`` stays true and no events arrive.
    """
    client = getattr(handler, "client", None)
    reason = await _down(handler, stale_after_s)
    if client is not None and reason is not None:
        log.warning("socket_mode_reconnect", reason=reason)
        await client.connect_to_new_endpoint(force=True)
