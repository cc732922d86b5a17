"""The bot (or the bare-Bolt floor) in its own process, served over HTTP like ``ftcheck serve --http``.

``python -m tests.benchmarks.bot_proc --mode bot|floor --redis URL --slack URL`` prints
``{"port": …, "pid": …}`` once listening on 127.0.0.1.

* ``bot``: ``Runtime.build(settings, redis_url)`` + ``bot.serve.http_app(runtime)`` + the reminder clock
  (``start_clock``), i.e. what ``serve_http`` runs, with production logging (INFO, to stderr).
* ``floor``: the same Runtime and the same ``http_app`` (aiohttp, the same signature check and payload
  validation, Bolt's own verification and single-team authorization), but ``runtime.app`` replaced by a
  bare ``AsyncApp`` whose listeners for the same slash command and buttons only ``await ack()``.

Both add ``GET /bench/stats``: the store's Redis round-trip counter (``Store.round_trips``) and the
number of Bolt listeners still running (post-ack work), so the load generator can tell when it drained.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.app import Runtime
from bot.blocks.evaluation import ANSWER_ACTION
from bot.cli import configure_logging
from bot.serve import http_app, start_clock
from bot.settings import Settings
from tests.benchmarks.common import BOT_TOKEN, SECRET, scrub_environ


def settings_for(slack_api: str, redis_url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET,
                              "SLACK_API_URL": slack_api, "REDIS_URL": redis_url,
                              "FTCHECK_WORKING_HOURS": "always", **extra}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


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


async def serve(mode: str, redis_url: str, slack_api: str) -> None:
    settings = settings_for(slack_api, redis_url)
    configure_logging(settings)
    runtime = Runtime.build(settings, redis_url)
    if mode == "floor":
        runtime.app = bare_app(runtime)
    app = http_app(runtime)

    async def stats(_: web.Request) -> web.Response:
        tasks = asyncio.all_tasks()
        listeners = sum(1 for t in tasks if "run_ack_function" in repr(t.get_coro()))
        return web.json_response({"round_trips": runtime.services.store.round_trips, "tasks": len(tasks),
                                  "listeners": listeners})

    app.router.add_get("/bench/stats", stats)
    scheduler = start_clock(runtime) if mode == "bot" else None
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(json.dumps({"port": port, "pid": os.getpid(), "mode": mode}), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("bot", "floor"), required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--slack", required=True, help="the stand-in's Web API base URL")
    args = parser.parse_args()
    scrub_environ()
    asyncio.run(serve(args.mode, args.redis, args.slack))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
