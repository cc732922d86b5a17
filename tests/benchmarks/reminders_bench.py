"""Reminder dispatch: N due reminders, several replicas ticking concurrently against one Redis, zero duplicates.

Setup (in this process): one evaluation is completed through the engine, and N copies of its document are
stored under new ids, spread round-robin over C channels, each with its own thread; all N are put in the
reminder queue (``ftc:{rem}:due``) due in the past, in random order. Then R replica processes
(:mod:`tests.benchmarks.reminder_proc`) are told to go at the same moment; each ticks until nothing is
due. Posts land on the Slack stand-in (its own process), which is the judge: every thread must get
exactly one ``chat.postMessage`` (duplicates = extra posts to a thread, missing = threads without one).
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from conversations.models import new_id
from conversations.reminders import DUE, LEASE
from conversations.store import eval_key
from tests.benchmarks.common import Child
from tests.benchmarks.store_figures import complete, engine_for


@dataclass
class ReminderFigures:
    reminders: int
    channels: int
    replicas: int
    posted_by_replicas: int = 0
    posts: int = 0
    threads: int = 0
    duplicates: int = 0
    missing: int = 0
    wall_s: float = 0.0  # from "go" until every replica is done
    post_span_s: float = 0.0  # first to last post as the stand-in received them
    max_per_channel_1s: int = 0
    still_due: int = 0
    leased: int = 0
    rescheduled: int = 0
    violations: int = 0
    limiter: str | None = None
    limiter_rate: str = ""
    replica_results: list[dict[str, Any]] = field(default_factory=list)
    plain_client: bool = False


async def seed(redis_url: str, reminders: int, channels: int, rng: random.Random) -> None:
    client: aioredis.Redis = aioredis.Redis.from_url(redis_url)
    try:
        await client.flushall()
        template = await complete(engine_for(client), 0, channel="CTEMPLATE")
        await client.flushall()
        now = time.time()
        order = list(range(reminders))
        rng.shuffle(order)
        for start in range(0, reminders, 1000):
            pipe = client.pipeline(transaction=False)
            for i in range(start, min(start + 1000, reminders)):
                ev = template.model_copy(update={"id": new_id(), "channel": f"CR{i % channels:05d}",
                                                 "thread_ts": f"{1_700_000_000 + i}.000100"})
                pipe.set(eval_key(ev.id), ev.model_dump_json())
                pipe.zadd(DUE, {ev.id: now - 3600 + order[i] / 1000})
            await pipe.execute()
    finally:
        await client.aclose()


async def stand_in_summary(inspect_url: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"{inspect_url}/summary") as resp:
        data: dict[str, Any] = await resp.json()
        return data


async def reset_stand_in(inspect_url: str) -> None:
    async with aiohttp.ClientSession() as session, session.post(f"{inspect_url}/reset") as resp:
        resp.raise_for_status()


async def measure(*, redis_url: str, slack_api: str, inspect_url: str, reminders: int, channels: int,
                  replicas: int, deadline_s: float, log_dir: Path, plain_client: bool = False) -> ReminderFigures:
    figures = ReminderFigures(reminders=reminders, channels=channels, replicas=replicas, plain_client=plain_client)
    await seed(redis_url, reminders, channels, random.Random(11))
    await reset_stand_in(inspect_url)
    args = ["--redis", redis_url, "--slack", slack_api, "--deadline", str(deadline_s)]
    if plain_client:
        args.append("--plain-client")
    children = [Child("tests.benchmarks.reminder_proc", args, log_dir / f"reminders-{n}.log", stdin=True)
                for n in range(replicas)]
    try:
        infos = [await child.ready() for child in children]
        figures.limiter = infos[0].get("limiter")
        if figures.limiter:
            figures.limiter_rate = f"{infos[0].get('per_second'):g}/s per channel, burst {infos[0].get('burst')}"
        started = time.monotonic()
        for child in children:
            child.send("go")
        figures.replica_results = list(await asyncio.gather(*(c.result(deadline_s + 30) for c in children)))
        figures.wall_s = time.monotonic() - started
    finally:
        for child in children:
            child.stop()
    figures.posted_by_replicas = sum(int(r.get("posted", 0)) for r in figures.replica_results)
    summary = await stand_in_summary(inspect_url)
    figures.posts, figures.threads = summary["posts_ok"], summary["threads"]
    figures.duplicates, figures.missing = summary["duplicates"], reminders - summary["threads"]
    figures.max_per_channel_1s, figures.violations = summary["max_per_channel_1s"], summary["violations"]
    if summary["first_post"] is not None:
        figures.post_span_s = summary["last_post"] - summary["first_post"]
    client: aioredis.Redis = aioredis.Redis.from_url(redis_url)
    try:
        figures.still_due = await client.zcount(DUE, "-inf", time.time())
        figures.leased = await client.zcard(LEASE)
        figures.rescheduled = await client.zcount(DUE, time.time(), "+inf")
        await client.flushall()
    finally:
        await client.aclose()
    await reset_stand_in(inspect_url)
    return figures
