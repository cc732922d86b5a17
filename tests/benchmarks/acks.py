"""Ack latency, sustained interactions per second and RSS, against the bot and the bare-Bolt floor over HTTP.

A *client* plays one team member: ``/ftcheck start <project>`` in its own channel, then clicks an answer
on every question card as soon as the card appears (no think time), and every ``STATUS_EVERY`` clicks
also sends ``/ftcheck status`` alongside. Latency is measured here, in the load process, from just
before the Slack-signed request is sent to the end of the HTTP response (signing happens before the
clock starts, as Slack signs before sending). Cards are found through the Slack stand-in's inspection
endpoint (one poller for all clients), never by reading Redis.

The floor gets the same requests (the same bodies, freshly signed) at the same offsets from the start
of the level as the bot got them: an open-loop replay of the bot's arrival schedule, so both see the
identical offered load.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.benchmarks.common import SECRET, TEAM
from tests.standins.signing import FORM, block_actions_body, new_trigger_id, signed_headers, slash_command_body

STATUS_EVERY = 4
POLL_S = 0.01
_seq = itertools.count(1)


@dataclass(frozen=True)
class Sample:
    kind: str  # "click" | "command"
    sent: float  # seconds since the start of the level
    latency: float
    status: int

    @property
    def done(self) -> float:
        return self.sent + self.latency


@dataclass(frozen=True)
class Planned:
    kind: str
    offset: float
    body: str


@dataclass
class Level:
    """What one run at one concurrency recorded."""

    clients: int
    samples: list[Sample] = field(default_factory=list)
    schedule: list[Planned] = field(default_factory=list)
    duration: float = 0.0
    evaluations: int = 0
    clicks: int = 0
    client_done: list[float] = field(default_factory=list)  # when each client finished, since start
    timeouts: int = 0

    def of(self, kind: str) -> list[float]:
        return [s.latency for s in self.samples if s.kind == kind and s.status == 200]

    def errors(self, kind: str) -> int:
        return sum(1 for s in self.samples if s.kind == kind and s.status != 200)


class Sender:
    """Signs and posts request bodies to one app; records each as a sample (and, optionally, a plan)."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session, self.url = session, url

    async def send(self, level: Level, start: float, kind: str, body: str, *, record_plan: bool = True) -> int:
        headers = signed_headers(SECRET, body, content_type=FORM)
        data = body.encode()
        sent = time.perf_counter()
        try:
            async with self.session.post(self.url, data=data, headers=headers) as resp:
                await resp.read()
                status = resp.status
        except (aiohttp.ClientError, asyncio.TimeoutError):
            status = 599
        latency = time.perf_counter() - sent
        level.samples.append(Sample(kind, sent - start, latency, status))
        if record_plan:
            level.schedule.append(Planned(kind, sent - start, body))
        return status


class CardFeed:
    """Polls the stand-in for new ``chat.postMessage`` calls and hands cards/scorecards to each channel's queue."""

    def __init__(self, session: aiohttp.ClientSession, inspect_url: str) -> None:
        self.session, self.inspect_url = session, inspect_url
        self.cursor = 0
        self.queues: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self._running = asyncio.Event()
        self._running.set()
        self._task: asyncio.Task[None] | None = None

    def queue(self, channel: str) -> asyncio.Queue[dict[str, Any]]:
        return self.queues.setdefault(channel, asyncio.Queue())

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _poll(self) -> None:
        async with self.session.get(f"{self.inspect_url}/calls", params={"since": str(self.cursor)}) as resp:
            data = await resp.json()
        for call in data["calls"]:
            if "card" in call or call["text"].startswith("Scorecard for"):
                self.queue(call["channel"]).put_nowait(call)
        self.cursor = data["next"]

    async def _run(self) -> None:
        while True:
            await self._running.wait()
            await self._poll()
            await asyncio.sleep(POLL_S)

    async def reset_standin(self) -> None:
        """Forget the stand-in's calls and messages (the bot must be idle)."""
        self._running.clear()
        await asyncio.sleep(POLL_S * 3)
        await self._poll()
        async with self.session.post(f"{self.inspect_url}/reset") as resp:
            resp.raise_for_status()
        self.cursor = 0
        self.queues.clear()
        self._running.set()


@dataclass
class Driver:
    """Drives the real bot: clients clicking through their own evaluations."""

    sender: Sender
    feed: CardFeed
    response_root: str
    card_timeout_s: float = 60.0
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def response_url(self) -> str:
        return f"{self.response_root}/response/bench-{next(_seq)}"

    def command_body(self, text: str, channel: str, user: str) -> str:
        return slash_command_body(text=text, user_id=user, channel_id=channel, team_id=TEAM,
                                  response_url=self.response_url(), trigger_id=new_trigger_id())

    async def evaluation(self, level: Level, start: float, channel: str, user: str, project: str) -> int:
        """One evaluation from start to scorecard; returns the number of clicks."""
        queue = self.feed.queue(channel)
        background: list[asyncio.Task[int]] = []
        await self.sender.send(level, start, "command", self.command_body(f"start {project}", channel, user))
        clicks = 0
        while True:
            call = await asyncio.wait_for(queue.get(), self.card_timeout_s)
            card = call.get("card")
            if card is None:  # the scorecard: the evaluation is complete
                break
            buttons = [b for b in card["buttons"] if b["action_id"] != "answer_skip"]
            button = self.rng.choice(buttons)
            body = block_actions_body(
                user_id=user, channel_id=channel, message_ts=call["ts"], thread_ts=call["thread_ts"],
                action_id=button["action_id"], value=button["value"], message_blocks=card["blocks"],
                response_url=self.response_url(), team_id=TEAM, action_ts=f"{time.time():.6f}",
                trigger_id=new_trigger_id())
            await self.sender.send(level, start, "click", body)
            clicks += 1
            if clicks % STATUS_EVERY == 0:
                background.append(asyncio.create_task(
                    self.sender.send(level, start, "command", self.command_body("status", channel, user))))
        await asyncio.gather(*background)
        return clicks

    async def run(self, clients: int, evaluations_each: int, tag: str, deadline_s: float) -> Level:
        level = Level(clients)
        start = time.perf_counter()

        async def client(n: int) -> None:
            user = f"U{n % 10}"
            for k in range(evaluations_each):
                channel = f"C{tag}{n:04d}X{k:03d}".upper()
                try:
                    level.clicks += await self.evaluation(level, start, channel, user, f"bench {tag} {n} {k}")
                    level.evaluations += 1
                except TimeoutError:
                    level.timeouts += 1
                    return
            level.client_done.append(time.perf_counter() - start)

        await asyncio.wait_for(asyncio.gather(*(client(n) for n in range(clients))), deadline_s)
        level.duration = time.perf_counter() - start
        return level


async def replay(sender: Sender, schedule: list[Planned], clients: int) -> Level:
    """Send the recorded requests at their recorded offsets (open loop), re-signed now."""
    level = Level(clients)
    start = time.perf_counter()
    tasks: list[asyncio.Task[int]] = []
    for planned in sorted(schedule, key=lambda p: p.offset):
        delay = start + planned.offset - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(sender.send(level, start, planned.kind, planned.body, record_plan=False)))
    await asyncio.gather(*tasks)
    level.duration = time.perf_counter() - start
    return level


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float, every: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(every)
    return False


async def bot_stats(session: aiohttp.ClientSession, base: str) -> dict[str, Any]:
    async with session.get(f"{base}/bench/stats") as resp:
        data: dict[str, Any] = await resp.json()
        return data


async def drain(session: aiohttp.ClientSession, base: str, timeout: float = 60) -> bool:
    """Wait until the app runs no listener (its post-ack work is done) for a few polls in a row."""
    quiet = 0

    async def idle() -> bool:
        nonlocal quiet
        stats = await bot_stats(session, base)
        quiet = quiet + 1 if stats["listeners"] == 0 else 0
        return quiet >= 3

    return await wait_until(idle, timeout)


def window_rate(level: Level, warmup_s: float = 1.0) -> tuple[int, float]:
    """Clicks answered while every client was still busy: (clicks, seconds) from ``warmup_s`` in."""
    end = min(level.client_done) if level.client_done else level.duration
    begin = min(warmup_s, end / 4)
    clicks = sum(1 for s in level.samples if s.kind == "click" and s.status == 200 and begin <= s.done <= end)
    return clicks, max(end - begin, 1e-9)


def new_tag() -> str:
    return uuid.uuid4().hex[:4]
