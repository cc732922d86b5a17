"""Ack latency, CPU per request, sustained interactions per second and RSS, over HTTP: the bot, the in-memory
reference bot (:mod:`tests.benchmarks.reference`) and the bare-Bolt floor, in one run.

Levels, each run on the bot, then driven the same way on the reference (closed loop: the same clients,
evaluations and channels, clicking the reference's own cards), then the bot's schedule replayed on the floor;
the concurrent levels then run the reference and the bot once more, in that order (bot, reference, floor,
reference, bot), and each app's two runs count as one (:func:`merged`), so drift of the machine over the
minutes of a level weighs on both alike:

* *one request at a time*: a few evaluations (own channels) clicked through in turn, each request sent
  once the bot has finished the previous one's post-ack work (the unloaded baseline; it also counts the
  bot's Redis round trips per click);
* *N concurrent evaluations*: N clients, each ``/ftcheck start <project>`` in its own channel, then
  clicking an answer on every question card as soon as the card appears (no think time), and every
  ``STATUS_EVERY`` clicks also ``/ftcheck status`` alongside. The product's per-channel pacing lets a
  channel's next card out about once a second, so N evaluations offer at most ~N clicks/s.

Latency is measured here, in the load process, from just before the Slack-signed request is sent to the
end of the HTTP response (signing happens before the clock starts, as Slack signs before sending). Cards
are found through the Slack stand-in's inspection endpoint (one poller for all clients), never by reading
Redis. The floor gets the same requests (the same bodies, freshly signed) at the same offsets from the
start of the level as the bot got them — an open-loop replay of the bot's arrival schedule, with idle
gaps shortened and cut to a window (:func:`floor_schedule`) — so both see the same offered load.

Then a throughput phase: a pool of concurrent clients (clicks only) runs evaluations until the bot
process has completed the target number; clicks/s is taken over the window in which every client was
still busy, and the bot's RSS is sampled along the way.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp

from conversations.effects import LEASE_S
from tests.benchmarks.common import SECRET, TEAM, cpu_seconds, rss_kib
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
    index: int  # of the bot's sample for this request


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
    cpu_s: float = 0.0  # CPU time the app process used during the run
    cpu_by_process: dict[str, float] = field(default_factory=dict)  # every process of the benchmark
    loop_lag: dict[str, float] = field(default_factory=dict)  # the app's event-loop lag during the run
    replayed: list[int] = field(default_factory=list)  # floor: indexes of the bot's samples it replayed
    halves: list[Level] = field(default_factory=list)  # the two runs a level merged from (:func:`merged`)

    def of(self, kind: str) -> list[float]:
        return [s.latency for s in self.samples if s.kind == kind and s.status == 200]

    def errors(self, kind: str) -> int:
        return sum(1 for s in self.samples if s.kind == kind and s.status != 200)

    def paired(self, floor: Level, kind: str) -> list[float]:
        """This (bot) level's latencies for exactly the requests the floor replayed."""
        chosen = (self.samples[i] for i in floor.replayed)
        return [s.latency for s in chosen if s.kind == kind and s.status == 200]


def merged(first: Level, second: Level) -> Level:
    """Two runs of one app at one concurrency, as one level: both runs' latencies and CPU (their halves kept).

    The bot and the reference run in the order bot, reference, reference, bot, so a machine that slows down or
    speeds up over the minutes of a level weighs on both alike, and one run can judge their CPU ratio. The
    first run's schedule (the floor replays it) and its clients' finishing times (the throughput window) stay;
    the second run's samples follow the first's, shifted by its duration.
    """
    shift = first.duration
    later = [replace(s, sent=s.sent + shift) for s in second.samples]
    lag = {k: max(first.loop_lag.get(k, 0.0), second.loop_lag.get(k, 0.0))
           for k in first.loop_lag.keys() | second.loop_lag.keys()}
    cpu = {k: first.cpu_by_process.get(k, 0.0) + second.cpu_by_process.get(k, 0.0)
           for k in first.cpu_by_process.keys() | second.cpu_by_process.keys()}
    return Level(first.clients, samples=first.samples + later, schedule=first.schedule,
                 duration=first.duration + second.duration, evaluations=first.evaluations + second.evaluations,
                 clicks=first.clicks + second.clicks, client_done=first.client_done,
                 timeouts=first.timeouts + second.timeouts, cpu_s=first.cpu_s + second.cpu_s, cpu_by_process=cpu,
                 loop_lag=lag, halves=[first, second])


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
        except (TimeoutError, aiohttp.ClientError):
            status = 599
        latency = time.perf_counter() - sent
        level.samples.append(Sample(kind, sent - start, latency, status))
        if record_plan:
            level.schedule.append(Planned(kind, sent - start, body, len(level.samples) - 1))
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
        self.violations: list[str] = []  # what the stand-in flagged (calls Slack would reject), across resets
        self.failed_calls = 0  # Web API calls the stand-in answered with a non-200 status
        self.violation_count = 0

    def queue(self, channel: str) -> asyncio.Queue[dict[str, Any]]:
        return self.queues.setdefault(channel, asyncio.Queue())

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiohttp.ClientError):
                await self._task

    async def _poll(self) -> None:
        async with self.session.get(f"{self.inspect_url}/calls", params={"since": str(self.cursor)}) as resp:
            data = await resp.json()
        for call in data["calls"]:
            if "card" in call or call["text"].startswith("Scorecard for"):
                self.queue(call["channel"]).put_nowait(call)
        self.cursor = data["next"]

    async def _run(self) -> None:
        failures = 0
        while True:
            await self._running.wait()
            try:
                await self._poll()
                failures = 0
            except (aiohttp.ClientError, TimeoutError):
                failures += 1
                if failures > 50:  # the stand-in is gone: the clients time out waiting for cards
                    raise
            await asyncio.sleep(POLL_S)

    async def reset_standin(self) -> None:
        """Forget the stand-in's calls and messages (the bot must be idle)."""
        self._running.clear()
        await asyncio.sleep(POLL_S * 3)
        await self._poll()
        async with self.session.get(f"{self.inspect_url}/summary") as resp:
            summary = await resp.json()
        self.violations.extend(summary["violation_samples"][: max(0, 5 - len(self.violations))])
        self.violation_count += summary["violations"]
        self.failed_calls += sum(n for status, n in summary["statuses"].items() if status != "200")
        async with self.session.post(f"{self.inspect_url}/reset") as resp:
            resp.raise_for_status()
        self.cursor = 0
        self.queues.clear()
        self._running.set()


def click_body(driver: Driver, call: dict[str, Any], channel: str, user: str, button: dict[str, Any]) -> str:
    """A block_actions payload for a click on the card the stand-in recorded, shaped like Slack's."""
    return block_actions_body(
        user_id=user, channel_id=channel, message_ts=call["ts"], thread_ts=call["thread_ts"],
        action_id=button["action_id"], value=button["value"], message_blocks=call["card"]["blocks"],
        response_url=driver.response_url(), team_id=TEAM, action_ts=f"{time.time():.6f}",
        trigger_id=new_trigger_id())


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

    async def next_call(self, channel: str) -> dict[str, Any]:
        return await asyncio.wait_for(self.feed.queue(channel).get(), self.card_timeout_s)

    async def evaluation(self, level: Level, start: float, channel: str, user: str, project: str, *,
                         status_every: int | None = STATUS_EVERY) -> int:
        """One evaluation from ``/ftcheck start`` to the scorecard; returns the number of clicks."""
        background: list[asyncio.Task[int]] = []
        await self.sender.send(level, start, "command", self.command_body(f"start {project}", channel, user))
        clicks = 0
        while True:
            call = await self.next_call(channel)
            if "card" not in call:  # the scorecard: the evaluation is complete
                break
            button = self.rng.choice([b for b in call["card"]["buttons"] if b["action_id"] != "answer_skip"])
            await self.sender.send(level, start, "click", click_body(self, call, channel, user, button))
            clicks += 1
            if status_every and clicks % status_every == 0:
                background.append(asyncio.create_task(
                    self.sender.send(level, start, "command", self.command_body("status", channel, user))))
        await asyncio.gather(*background)
        return clicks

    async def run(self, clients: int, evaluations: int, tag: str, deadline_s: float, *,
                  status_every: int | None = STATUS_EVERY, level: Level | None = None) -> Level:
        """``clients`` concurrent clients sharing ``evaluations`` (each takes the next one when done)."""
        level = level or Level(clients)
        start = time.perf_counter()
        numbers = iter(range(evaluations))

        async def client(n: int) -> None:
            user = f"U{n % 10}"
            for k in numbers:
                channel = f"C{tag}{k:05d}".upper()
                try:
                    clicks = await self.evaluation(level, start, channel, user, f"bench {tag} {k}",
                                                   status_every=status_every)
                except TimeoutError:
                    level.timeouts += 1
                    break
                level.clicks += clicks
                level.evaluations += 1
            level.client_done.append(time.perf_counter() - start)

        try:
            await asyncio.wait_for(asyncio.gather(*(client(n) for n in range(clients))), deadline_s)
        except TimeoutError:
            level.timeouts += 1
        level.duration = time.perf_counter() - start
        return level


def floor_schedule(schedule: list[Planned], max_gap_s: float, window_s: float) -> list[Planned]:
    """The bot's arrival schedule for the floor: idle gaps longer than ``max_gap_s`` shortened to it (nothing
    is in flight across such a gap, so only idle time goes), then the first ``window_s`` seconds."""
    out: list[Planned] = []
    shift, previous = 0.0, None
    for planned in sorted(schedule, key=lambda p: p.offset):
        if previous is not None and planned.offset - previous > max_gap_s:
            shift += planned.offset - previous - max_gap_s
        previous = planned.offset
        offset = planned.offset - shift
        if offset > window_s:
            break
        out.append(Planned(planned.kind, offset, planned.body, planned.index))
    return out


async def replay(sender: Sender, schedule: list[Planned], clients: int) -> Level:
    """Send the planned requests at their offsets (open loop), each signed just before it is sent."""
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


async def bot_stats(session: aiohttp.ClientSession, base: str, *, reset_lag: bool = False,
                    lag: bool = False) -> dict[str, Any]:
    """The app's counters; ``lag=True`` adds the event-loop lag percentiles (a sort: only at the end of a run)."""
    params = {**({"reset_lag": "1"} if reset_lag else {}), **({"lag": "1"} if lag else {})}
    async with session.get(f"{base}/bench/stats", params=params) as resp:
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


def window_rate(level: Level, warmup_s: float = 2.0) -> tuple[int, float]:
    """Clicks answered while every client was still busy: (clicks, seconds) from ``warmup_s`` in until the
    first client ran out of evaluations."""
    end = min(level.client_done) if level.client_done else level.duration
    begin = min(warmup_s, end / 4)
    clicks = sum(1 for s in level.samples if s.kind == "click" and s.status == 200 and begin <= s.done <= end)
    return clicks, max(end - begin, 1e-9)


def new_tag() -> str:
    return uuid.uuid4().hex[:4]


# ----- the phase: latency at each concurrency, sustained throughput, RSS ------------------------------------


class CpuMeter:
    """CPU seconds of every process taking part (the app, the stand-in, redis-server, this load generator)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self._start: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        out = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        out["load generator"] = time.process_time()
        return out

    def start(self) -> None:
        self._start = self._now()

    def stop(self) -> dict[str, float]:
        now = self._now()
        return {name: now[name] - self._start[name] for name in now}


@dataclass(frozen=True)
class AckConfig:
    levels: tuple[tuple[int, int], ...]  # (concurrent clients, evaluations they share)
    pool_clients: int  # concurrency of the throughput phase (clicks only, no status commands)
    total_evaluations: int  # completed in the bot process before RSS is read again
    level_deadline_s: float
    pool_deadline_s: float  # the throughput phase stops here (the table then says how many were done)
    floor_window_s: float = 10.0  # how much of each level's schedule the floor gets
    floor_max_gap_s: float = 0.25  # idle gaps longer than this are shortened in the floor's schedule
    one_at_a_time: int = 5  # evaluations clicked through round-robin, one request at a time (the baseline)
    status_every: int = STATUS_EVERY  # a /ftcheck status alongside every this many clicks (0: clicks only)


@dataclass
class AckResults:
    levels: list[tuple[Level, Level]] = field(default_factory=list)  # (bot, floor)
    reference: list[Level] = field(default_factory=list)  # the in-memory reference, one per level, same order
    pool: Level | None = None
    rss_idle_kib: int = 0
    rss_floor_idle_kib: int = 0
    rss_after_kib: int = 0
    rss_trail: list[tuple[int, int]] = field(default_factory=list)  # (completed evaluations, VmRSS KiB)
    completed: int = 0
    round_trips_per_click: list[int] = field(default_factory=list)
    outbox_round_trips: tuple[int, int] = (0, 0)  # (outbox-tick round trips, clicks) over the one-at-a-time level
    undrained: int = 0
    violations: list[str] = field(default_factory=list)
    violation_count: int = 0
    failed_calls: int = 0


async def one_at_a_time(driver: Driver, session: aiohttp.ClientSession, bot_base: str, evaluations: int,
                        per_click: list[int], status_every: int = STATUS_EVERY) -> Level:
    """A few evaluations (own channels) clicked through round-robin, one request at a time, each sent once
    the bot has finished the previous one's post-ack work (as people reading each card would): the
    unloaded baseline. Also counts the bot's Redis round trips per click (``Store.round_trips``, minus any
    the reminder clock made meanwhile), whole path: listener, engine, recording the posted cards,
    completion."""
    level = Level(1)
    start = time.perf_counter()
    tag, user = new_tag(), "U1"

    async def counter() -> int:  # the click's own round trips: the clocks' ticks are counted apart
        stats = await bot_stats(session, bot_base)
        return int(stats["round_trips"]) - int(stats["tick_round_trips"]) - int(stats.get("outbox_round_trips", 0))

    cards: dict[str, dict[str, Any]] = {}
    clicks: dict[str, int] = {}
    for k in range(evaluations):
        channel = f"C1X{tag}{k:02d}".upper()
        await driver.sender.send(level, start, "command", driver.command_body(f"start one {tag} {k}", channel, user))
        cards[channel], clicks[channel] = await driver.next_call(channel), 0
        await drain(session, bot_base)
    while cards:
        for channel, call in list(cards.items()):
            before = await counter()
            button = next(b for b in call["card"]["buttons"] if b["action_id"] != "answer_skip")
            await driver.sender.send(level, start, "click", click_body(driver, call, channel, user, button))
            level.clicks += 1
            clicks[channel] += 1
            cards[channel] = await driver.next_call(channel)
            await drain(session, bot_base)
            per_click.append(await counter() - before)
            if status_every and clicks[channel] % status_every == 0:
                await driver.sender.send(level, start, "command", driver.command_body("status", channel, user))
                await drain(session, bot_base)
            if "card" not in cards[channel]:
                del cards[channel]
                level.evaluations += 1
    level.duration = time.perf_counter() - start
    return level


async def measure(cfg: AckConfig, *, inspect_url: str, response_root: str, bot_base: str, floor_base: str,
                  ref_base: str, bot_pid: int, floor_pid: int, ref_pid: int, other_pids: dict[str, int],
                  say: Callable[[str], None]) -> AckResults:
    out = AckResults()
    connector = aiohttp.TCPConnector(limit=0)  # no client-side queueing: every client has its own connection
    timeout = aiohttp.ClientTimeout(total=30)
    bot_cpu = CpuMeter({"bot": bot_pid, **other_pids})
    ref_cpu = CpuMeter({"reference": ref_pid, **other_pids})
    floor_cpu = CpuMeter({"floor": floor_pid, **other_pids})
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        feed = CardFeed(session, inspect_url)
        feed.start()
        try:
            bot, floor = Sender(session, f"{bot_base}/slack/events"), Sender(session, f"{floor_base}/slack/events")
            driver = Driver(bot, feed, response_root)
            ref_driver = Driver(Sender(session, f"{ref_base}/slack/events"), feed, response_root)

            async def on_app(base: str, cpu: CpuMeter, name: str, run: Callable[[], Awaitable[Level]]) -> Level:
                cpu.start()
                await bot_stats(session, base, reset_lag=True)
                level = await run()
                level.loop_lag = (await bot_stats(session, base, lag=True))["loop_lag"]
                out.undrained += 0 if await drain(session, base) else 1
                level.cpu_by_process = cpu.stop()
                level.cpu_s = level.cpu_by_process[name]
                await feed.reset_standin()
                return level

            async def on_bot(run: Callable[[], Awaitable[Level]]) -> Level:
                level = await on_app(bot_base, bot_cpu, "bot", run)
                out.completed += level.evaluations
                return level

            async def on_reference(run: Callable[[], Awaitable[Level]]) -> Level:
                return await on_app(ref_base, ref_cpu, "reference", run)

            async def on_floor(measured: Level) -> Level:
                schedule = floor_schedule(measured.schedule, cfg.floor_max_gap_s, cfg.floor_window_s)
                say(f"acks: {len(schedule)} of its {len(measured.schedule)} requests replayed on the floor")
                floor_cpu.start()
                await bot_stats(session, floor_base, reset_lag=True)
                floored = await replay(floor, schedule, measured.clients)
                floored.replayed = [p.index for p in schedule]
                floored.loop_lag = (await bot_stats(session, floor_base, lag=True))["loop_lag"]
                floored.cpu_by_process = floor_cpu.stop()
                floored.cpu_s = floored.cpu_by_process["floor"]
                return floored

            await asyncio.sleep(1.0)
            out.rss_idle_kib, out.rss_floor_idle_kib = rss_kib(bot_pid), rss_kib(floor_pid)

            say("warm-up (not measured): /ftcheck help x3 on the bot, the reference and the floor")
            warm = Level(1)
            for n in range(3):
                body = driver.command_body("help", f"CWARM{n}", "U1")
                for sender in (bot, ref_driver.sender, floor):
                    await sender.send(warm, time.perf_counter(), "command", body)
            await drain(session, bot_base)

            say(f"acks: {cfg.one_at_a_time} evaluations, one request at a time (and Redis round trips): ftcheck, "
                "then the reference, then the floor")
            outbox_before = int((await bot_stats(session, bot_base)).get("outbox_round_trips", 0))
            measured = await on_bot(lambda: one_at_a_time(driver, session, bot_base, cfg.one_at_a_time,
                                                          out.round_trips_per_click, cfg.status_every))
            await asyncio.sleep(LEASE_S + 1.5)  # the outbox tick looks at each evaluation a hold after its write
            outbox_after = int((await bot_stats(session, bot_base)).get("outbox_round_trips", 0))
            out.outbox_round_trips = (outbox_after - outbox_before, measured.clicks)
            out.reference.append(await on_reference(
                lambda: one_at_a_time(ref_driver, session, ref_base, cfg.one_at_a_time, [], cfg.status_every)))
            out.levels.append((measured, await on_floor(measured)))
            out.rss_trail.append((out.completed, rss_kib(bot_pid)))

            for clients, evaluations in cfg.levels:
                say(f"acks: {clients} concurrent evaluations, {evaluations} in all, twice each: ftcheck, the "
                    "reference, the floor, the reference, ftcheck")

                def bot_run(c: int = clients, e: int = evaluations) -> Awaitable[Level]:
                    return driver.run(c, e, new_tag(), cfg.level_deadline_s, status_every=cfg.status_every)

                def ref_run(c: int = clients, e: int = evaluations) -> Awaitable[Level]:
                    return ref_driver.run(c, e, new_tag(), cfg.level_deadline_s, status_every=cfg.status_every)

                first, ref_first = await on_bot(bot_run), await on_reference(ref_run)
                floored = await on_floor(first)
                ref_second, second = await on_reference(ref_run), await on_bot(bot_run)
                out.levels.append((merged(first, second), floored))
                out.reference.append(merged(ref_first, ref_second))
                out.rss_trail.append((out.completed, rss_kib(bot_pid)))

            remaining = cfg.total_evaluations - out.completed
            if remaining > 0:
                say(f"throughput: {cfg.pool_clients} concurrent clients, {remaining} more evaluations "
                    f"({out.completed} completed so far)")
                pool = Level(cfg.pool_clients)
                done_before = out.completed

                async def sample_rss() -> None:
                    mark = (done_before // 250 + 1) * 250
                    while True:
                        await asyncio.sleep(0.5)
                        if done_before + pool.evaluations >= mark:
                            out.rss_trail.append((done_before + pool.evaluations, rss_kib(bot_pid)))
                            mark += 250

                sampler = asyncio.create_task(sample_rss())
                try:
                    out.pool = await on_bot(lambda: driver.run(cfg.pool_clients, remaining, new_tag(),
                                                               cfg.pool_deadline_s, status_every=None, level=pool))
                finally:
                    sampler.cancel()
            await asyncio.sleep(1.0)
            out.rss_after_kib = rss_kib(bot_pid)
            out.rss_trail.append((out.completed, out.rss_after_kib))
            out.violations, out.violation_count, out.failed_calls = (feed.violations, feed.violation_count,
                                                                     feed.failed_calls)
        finally:
            await feed.stop()
    return out
