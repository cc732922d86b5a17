"""One reminder replica in its own process: ``conversations.reminders.Reminders`` as ``Runtime.build`` wires it.

``python -m tests.benchmarks.reminder_proc --redis URL --slack URL [--plain-client]`` prints
``{"ready": true, …}``, waits for ``go`` on stdin, then ticks (claim due reminders, post them through
``SlackReminderSink`` with the product's Web API client from ``bot.app.make_client`` — which paces
``chat.postMessage`` per channel when the product has a limiter) until nothing is due any more, and
prints ``{"posted": …, "ticks": …, "elapsed": …}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from slack_sdk.web.async_client import AsyncWebClient

from bot.app import make_client
from bot.cli import configure_logging
from bot.reminder_sink import SlackReminderSink
from bot.services import make_redis
from conversations.reminders import DUE, Reminders, WorkingHours
from conversations.store import Store
from scoring.checklist import Registry
from tests.benchmarks.bot_proc import settings_for
from tests.benchmarks.common import scrub_environ


async def run(redis_url: str, slack_api: str, deadline_s: float, plain: bool) -> None:
    settings = settings_for(slack_api, redis_url)
    configure_logging(settings)
    store = Store(make_redis(redis_url, settings.redis_timeout_s))
    registry = Registry(settings.checklist_dir)
    paced = make_client(settings)
    client: AsyncWebClient = paced
    if plain:  # the same retry handlers and pooled session, no pacing: what the limiter costs
        client = AsyncWebClient(token=paced.token, base_url=paced.base_url, timeout=paced.timeout,
                                session=paced.session)
        client.retry_handlers = paced.retry_handlers
    reminders = Reminders(store, registry, SlackReminderSink(client, registry, settings.zone),
                          after=settings.reevaluate_delta, idle_after=settings.idle_delta,
                          hours=WorkingHours.parse("always"))
    limiter = getattr(client, "limiter", None)
    interval = getattr(limiter, "interval", None)
    print(json.dumps({"ready": True, "client": type(client).__name__,
                      "limiter": type(limiter).__name__ if limiter is not None else None,
                      "per_second": 1 / interval if interval else None,
                      "burst": getattr(limiter, "burst", None)}), flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    started = time.monotonic()
    posted = ticks = 0
    while time.monotonic() - started < deadline_s:
        posted += await reminders.tick()
        ticks += 1
        due_now = await store.redis.zcount(DUE, "-inf", time.time())
        if due_now == 0:
            break
    print(json.dumps({"posted": posted, "ticks": ticks, "elapsed": time.monotonic() - started,
                      "round_trips": store.round_trips}), flush=True)
    await store.redis.aclose()
    await paced.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", required=True)
    parser.add_argument("--slack", required=True)
    parser.add_argument("--deadline", type=float, default=240)
    parser.add_argument("--plain-client", action="store_true", help="post without the per-channel limiter")
    args = parser.parse_args()
    scrub_environ()
    asyncio.run(run(args.redis, args.slack, args.deadline, args.plain_client))


if __name__ == "__main__":
    main()
