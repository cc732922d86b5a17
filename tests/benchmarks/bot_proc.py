"""The bot (or the bare-Bolt floor) in its own process, served over HTTP like ``ftcheck serve --http``.

``python -m tests.benchmarks.bot_proc --mode bot|reference|floor --redis URL --slack URL`` prints
``{"port": …, "pid": …}`` once listening on 127.0.0.1.

* ``bot``: ``Runtime.build(settings, redis_url)`` + ``bot.serve.http_app(runtime)`` + the reminder clock
  (``start_clock``), i.e. what ``serve_http`` runs, with production logging (INFO, to stderr).
* ``reference``: the same Runtime and ``http_app``, ``runtime.app`` replaced by the in-memory reference bot
  (:mod:`tests.benchmarks.reference`: the same thread contract, state in a dict, the product's Web API client).
* ``floor``: the same Runtime and the same ``http_app`` (aiohttp, the same signature check and payload
  validation, Bolt's own verification and single-team authorization), but ``runtime.app`` replaced by a
  bare ``AsyncApp`` whose listeners for the same slash command and buttons only ``await ack()``.

Each adds ``GET /bench/stats``: the store's Redis round-trip counter (``Store.round_trips``, and the parts
of it the reminder clock's ticks and the outbox ticks made), the number of Bolt listeners still running
(post-ack work, so the load generator can tell when it drained) and the event loop's lag.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.app import Runtime
from bot.blocks.evaluation import ANSWER_ACTION
from bot.cli import configure_logging
from bot.serve import http_app, run_server, settle_heap, start_clock
from bot.settings import Settings
from tests.benchmarks import cpu_sampler
from tests.benchmarks.common import BOT_TOKEN, SECRET, scrub_environ
from tests.benchmarks.reference import reference_app


def settings_for(slack_api: str, redis_url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET,
                              "SLACK_API_URL": slack_api, "REDIS_URL": redis_url,
                              "FTCHECK_WORKING_HOURS": "always", **extra}
    return Settings(_env_file=None, **values)


def bare_app(runtime: Runtime) -> AsyncApp:
    """Bolt with nothing but acks, configured like bot.app.build_app."""
    settings = runtime.settings
    app = AsyncApp(client=runtime.services.client, signing_secret=settings.slack_signing_secret or "",
                   request_verification_enabled=True, process_before_response=False)

    @app.command("/ftcheck")
    async def command(ack: AsyncAck) -> None:
        await ack()

    @app.action(re.compile(rf"^{ANSWER_ACTION}_[a-z0-9_-]+$"))
    async def click(ack: AsyncAck) -> None:
        await ack()

    return app


async def serve(mode: str, redis_url: str, slack_api: str, slow_ms: float = 0,
                root_redraw_s: float | None = None) -> None:
    extra = {} if root_redraw_s is None else {"FTCHECK_ROOT_REDRAW_SECONDS": root_redraw_s}
    settings = settings_for(slack_api, redis_url, **extra)
    configure_logging(settings)
    if slow_ms:
        loop = asyncio.get_running_loop()
        loop.set_debug(True)
        loop.slow_callback_duration = slow_ms / 1000
    runtime = Runtime.build(settings, redis_url)
    if mode == "floor":
        runtime.app = bare_app(runtime)
    elif mode == "reference":
        runtime.app = reference_app(runtime.services.client, runtime.services.registry.get(None),
                                    settings.slack_signing_secret or "")
    app = http_app(runtime)

    lags: list[float] = []
    ticks = [0, 0]  # clock ticks so far, and the Redis round trips they made
    tick = runtime.tick

    async def counted_tick() -> None:
        before = runtime.services.store.round_trips
        try:
            await tick()
        finally:
            ticks[0] += 1
            ticks[1] += runtime.services.store.round_trips - before

    runtime.tick = counted_tick  # type: ignore[method-assign]  # the clock below calls runtime.tick
    outbox = [0, 0]  # outbox ticks so far, and the Redis round trips they made
    deliver_owed = runtime.deliver_owed

    async def counted_deliver_owed() -> None:
        before = runtime.services.store.round_trips
        try:
            await deliver_owed()
        finally:
            outbox[0] += 1
            outbox[1] += runtime.services.store.round_trips - before

    runtime.deliver_owed = counted_deliver_owed  # type: ignore[method-assign]

    async def watch_lag(every: float = 0.01) -> None:
        """How late the event loop wakes a 10 ms sleep: the time a ready callback waits for the loop."""
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(every)
            lags.append(loop.time() - before - every)
            if len(lags) > 200_000:
                del lags[:100_000]

    async def stats(request: web.Request) -> web.Response:
        # cheap unless asked for the lag: the load generator polls this while it waits for the app to drain
        tasks = asyncio.all_tasks()
        listeners = sum(1 for t in tasks if getattr(t.get_coro(), "__name__", "").startswith("run_ack_function"))
        listeners += runtime.services.store.folding  # a delivery's record not written yet is post-ack work too
        lag: dict[str, float] = {}
        if request.query.get("lag"):
            ordered = sorted(lags)
            lag = {f"p{p}": ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else 0.0
                   for p in (50, 99)}
            lag["max"] = ordered[-1] if ordered else 0.0
        if request.query.get("reset_lag"):
            lags.clear()
        return web.json_response({"round_trips": runtime.services.store.round_trips, "tasks": len(tasks),
                                  "listeners": listeners, "loop_lag": lag, "ticks": ticks[0],
                                  "tick_round_trips": ticks[1], "outbox_ticks": outbox[0],
                                  "outbox_round_trips": outbox[1]})

    app.router.add_get("/bench/stats", stats)
    lag_task = asyncio.create_task(watch_lag())
    scheduler = start_clock(runtime) if mode == "bot" else None
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    settle_heap()  # as the product's runners do, for all three apps (the same stack)
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(json.dumps({"port": port, "pid": os.getpid(), "mode": mode}), flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, dump_tasks)  # diagnosis: where is it stuck?
    try:
        await stop.wait()
    finally:
        lag_task.cancel()
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        await runner.cleanup()
        await runtime.aclose()


def dump_tasks() -> None:
    """Every task's stack to stderr (the child's log): ``kill -USR1 <pid>`` when a run does not drain."""
    for task in asyncio.all_tasks():
        task.print_stack(limit=12, file=sys.stderr)
    sys.stderr.flush()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("bot", "reference", "floor"), required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--slack", required=True, help="the stand-in's Web API base URL")
    parser.add_argument("--profile", help="write cProfile stats here on SIGTERM (diagnosis only)")
    parser.add_argument("--sample-cpu", type=Path,
                        help="write this process's CPU-time stack samples here on SIGTERM (diagnosis only)")
    parser.add_argument("--slow-callbacks", type=float, default=0,
                        help="log event-loop callbacks slower than this many ms (asyncio debug; diagnosis only)")
    parser.add_argument("--root-redraw-seconds", type=float,
                        help="FTCHECK_ROOT_REDRAW_SECONDS for the bot (default: the product's)")
    args = parser.parse_args()
    scrub_environ()
    if args.sample_cpu:
        sampler = cpu_sampler.Sampler()
        sampler.start()
        try:
            run_server(serve(args.mode, args.redis, args.slack, args.slow_callbacks, args.root_redraw_seconds))
        finally:
            sampler.stop(args.sample_cpu)
        return
    if not args.profile:  # the product's loop (uvloop) for all three apps: the same stack
        run_server(serve(args.mode, args.redis, args.slack, args.slow_callbacks, args.root_redraw_seconds))
        return
    import cProfile
    import time

    profiler = cProfile.Profile(time.process_time)  # CPU time: on a loaded machine wall time is mostly waiting
    profiler.enable()
    try:
        run_server(serve(args.mode, args.redis, args.slack, args.slow_callbacks, args.root_redraw_seconds))
    finally:
        profiler.disable()
        profiler.dump_stats(args.profile)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
