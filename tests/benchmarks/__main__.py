"""``python -m tests.benchmarks [--quick]``: run every benchmark and print one table (also to last_run.md)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

import structlog

from tests.benchmarks import acks, llm_figures, reminders_bench, store_figures
from tests.benchmarks.common import Child, Row, loadavg, machine_lines, mib, ms, percentile, render_table
from tests.standins.redis_server import RedisServer

HERE = Path(__file__).resolve().parent
SLACK_ACK_LIMIT_S = 3.0
FLOOR_FACTOR = 1.5


@dataclass(frozen=True)
class Plan:
    name: str
    acks: acks.AckConfig
    memory_evaluations: int
    reminders: int
    reminder_channels: int
    replicas: int
    reminder_deadline_s: float


FULL = Plan(
    name="full",
    acks=acks.AckConfig(levels=((50, 50), (200, 200)), pool_clients=200, total_evaluations=1000,
                        level_deadline_s=240, pool_deadline_s=360),
    memory_evaluations=100, reminders=10_000, reminder_channels=500, replicas=4, reminder_deadline_s=240)
QUICK = Plan(
    name="quick",
    acks=acks.AckConfig(levels=((20, 20),), pool_clients=20, total_evaluations=0, level_deadline_s=120,
                        pool_deadline_s=60, floor_window_s=8, one_at_a_time=2),
    memory_evaluations=20, reminders=500, reminder_channels=100, replicas=2, reminder_deadline_s=120)


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def quiet_logging() -> None:
    """This process's own structlog output (the LLM suggester logs) goes to stderr, warnings only."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
                        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr))


# ----- rows ---------------------------------------------------------------------------------------------------


def pct3(values: list[float]) -> tuple[float, float, float]:
    return percentile(values, 50), percentile(values, 95), percentile(values, 99)


def latency_value(values: list[float], errors: int) -> str:
    p50, p95, p99 = pct3(values)
    text = f"{ms(p50)} / {ms(p95)} / {ms(p99)} ms (max {ms(max(values, default=math.nan))})"
    return text + (f", {errors} non-200" if errors else "")


def cpu_per_request(level: acks.Level) -> float:
    return level.cpu_s / max(len(level.samples), 1)


def where_of(level: acks.Level) -> str:
    return (f"{level.clients} concurrent evals" if level.clients > 1
            else f"one request at a time ({level.evaluations} evals in turn)")


def ack_verdict(bot: acks.Level, ref: acks.Level, kind: str) -> tuple[str, str]:
    """(target, verdict) for ftcheck's acks of one kind at one level, against the reference of the same run."""
    got, theirs = bot.of(kind), ref.of(kind)
    worst = max(got, default=math.nan)
    errors = bot.errors(kind)
    if bot.clients >= 200:
        met = worst < SLACK_ACK_LIMIT_S and errors == 0
        return "max < 3 s", f"{'met' if met else 'missed'} (max {ms(worst)} ms)"
    p95, ref_p95 = percentile(got, 95), percentile(theirs, 95)
    ratio = p95 / ref_p95 if ref_p95 else math.nan
    if bot.clients >= 50 and kind == "click":
        met = p95 <= FLOOR_FACTOR * ref_p95 and errors == 0
        return (f"p95 <= 1.5x reference ({ms(FLOOR_FACTOR * ref_p95)} ms)",
                f"{'met' if met else 'missed'} ({ratio:.1f}x reference)")
    return "-", f"{ratio:.1f}x reference p95" + (f"; {errors} non-200" if errors else "")


def slowest_of(level: acks.Level) -> str:
    """When ftcheck's slowest ack of a level was sent, against the burst of ``/ftcheck start`` that opens it (each
    client's first command)."""
    answered = [s for s in level.samples if s.status == 200]
    if not answered:
        return "no ack answered"
    worst = max(answered, key=lambda s: s.latency)
    starts = sorted((s for s in level.samples if s.kind == "command"), key=lambda s: s.sent)[:level.clients]
    burst = max((s.done for s in starts), default=math.nan)
    return (f"slowest ack {ms(worst.latency)} ms, a {worst.kind} sent {worst.sent:.1f} s in (the {len(starts)} "
            f"starts were all acked by {burst:.1f} s)")


def halves_of(bot: acks.Level, ref: acks.Level) -> str:
    """The ratio of each adjacent pair of a level's runs (ftcheck then the reference, the reference then ftcheck):
    how far one run alone could be off."""
    if len(bot.halves) != 2 or len(ref.halves) != 2:
        return ""
    ratios = [cpu_per_request(b) / cpu_per_request(r) if r.cpu_s else math.nan
              for b, r in zip(bot.halves, ref.halves, strict=True)]
    return f"; the two runs apart: {ratios[0]:.2f}x, then {ratios[1]:.2f}x"


def ack_rows(results: acks.AckResults) -> list[Row]:
    """Per level: ack latency of ftcheck, the in-memory reference (same driver, same run) and the bare-Bolt
    floor (ftcheck's arrival schedule replayed), then CPU per request of the three."""
    rows: list[Row] = []
    names = {"click": "button click", "command": "slash command"}
    for (bot, floor), ref in zip(results.levels, results.reference, strict=True):
        where = where_of(bot)
        for kind in ("click", "command"):
            target, verdict = ack_verdict(bot, ref, kind)
            rows.append(Row(f"Ack p50/p95/p99, {names[kind]}, {where}: ftcheck (n={len(bot.of(kind))})",
                            latency_value(bot.of(kind), bot.errors(kind)),
                            target, verdict))
            rows.append(Row(f"  … the in-memory reference (n={len(ref.of(kind))})",
                            latency_value(ref.of(kind), ref.errors(kind)),
                            "-", "reference"))
            rows.append(Row(f"  … the bare Bolt floor, ftcheck's schedule replayed (n={len(floor.of(kind))})",
                            latency_value(floor.of(kind), floor.errors(kind)), "-", "floor"))
        mine, theirs, bare = cpu_per_request(bot), cpu_per_request(ref), cpu_per_request(floor)
        ratio = mine / theirs if theirs else math.nan
        idle = " (at one request at a time this is mostly idle overhead: clocks, lag probe)" if bot.clients == 1 else ""
        target = "<= 1.5x reference" if bot.clients > 1 else "-"
        verdict = (f"{'met' if ratio <= FLOOR_FACTOR else 'missed'} ({ratio:.1f}x reference)" if bot.clients > 1
                   else f"{ratio:.1f}x reference")
        rows.append(Row(f"CPU per request, {where}: ftcheck / reference / floor{idle}",
                        f"{1000 * mine:.2f} / {1000 * theirs:.2f} / {1000 * bare:.2f} ms "
                        f"({len(bot.samples)} / {len(ref.samples)} / {len(floor.samples)} requests)"
                        + halves_of(bot, ref),
                        target, verdict))
        if bot.clients > 1:
            lags = " / ".join(f"{ms(level.loop_lag.get('p99', math.nan))}" for level in (bot, ref, floor))
            shares = " / ".join(f"{name} {100 * cpu / bot.duration:.0f}%" for name, cpu in bot.cpu_by_process.items())
            rows.append(Row(f"  why: event-loop lag p99 ftcheck / reference / floor at {bot.clients} concurrent",
                            f"{lags} ms; CPU of a core during ftcheck's run ({bot.duration:.0f} s): {shares}; "
                            f"{slowest_of(bot)}", "-", "diagnostic"))
    return rows


def capacity_rows(results: acks.AckResults) -> list[Row]:
    """Interactions per second one process can answer at 80% of one core: 0.8 s of CPU / CPU per request,
    from the busiest level (the same request mix for ftcheck and the reference)."""
    (bot, floor), ref = results.levels[-1], results.reference[-1]
    rates = [0.8 / cpu_per_request(level) if level.cpu_s else math.nan for level in (bot, ref, floor)]
    ratio = rates[1] / rates[0] if rates[0] else math.nan
    return [Row(f"Interactions/s per process at 80% of one core (0.8 / CPU per request at {bot.clients} concurrent): "
                "ftcheck / reference / floor",
                " / ".join(f"{r:.0f}" for r in rates) + f" per s (the reference answers {ratio:.1f}x as many)",
                ">= reference / 1.5", "met" if ratio <= FLOOR_FACTOR else "missed")]


def throughput_rows(plan: Plan, results: acks.AckResults) -> list[Row]:
    pool = results.pool
    if pool is None:
        bot = results.levels[-1][0]
        clicks, seconds = acks.window_rate(bot)
        source = f"{bot.clients} concurrent evaluations, " + ("status commands included" if plan.acks.status_every
                                                             else "clicks only")
    else:
        bot = pool
        clicks, seconds = acks.window_rate(pool)
        source = f"{pool.clients} concurrent evaluations, clicks only"
    rate = clicks / seconds
    p99 = percentile(bot.of("click"), 99)
    # the per-channel limiter lets each evaluation's next card out about once a second
    paced = rate >= 0.8 * bot.clients
    rows = [*capacity_rows(results),
            Row(f"Clicks/s ftcheck answered, measured ({source}; {seconds:.0f} s window)",
                f"{rate:.0f} clicks/s (bot CPU {100 * bot.cpu_s / bot.duration:.0f}% of a core; click ack p99 "
                f"{ms(p99)} ms; pacing allows ~{bot.clients}/s)", "-",
                "limited by pacing, not the bot" if paced else "measured (below the pacing cap)")]
    rows.append(Row("Bot RSS idle (VmRSS after start-up)",
                    f"{mib(results.rss_idle_kib)} (bare Bolt floor: {mib(results.rss_floor_idle_kib)})"))
    trail = ", ".join(f"{kib / 1024:.0f} after {done:,}" for done, kib in results.rss_trail[:-1])
    rows.append(Row(f"Bot RSS after {results.completed:,} completed evaluations",
                    f"{mib(results.rss_after_kib)} (+{mib(results.rss_after_kib - results.rss_idle_kib)}; MiB on the "
                    f"way: {trail})",
                    f"after {plan.acks.total_evaluations:,}" if results.completed < plan.acks.total_evaluations
                    else "-", "measured" if results.completed >= plan.acks.total_evaluations else "short"))
    clean = results.violation_count == 0 and results.failed_calls == 0 and results.undrained == 0
    rows.append(Row("Slack stand-in during the ack runs: calls flagged as invalid / non-200 answers / runs not drained",
                    f"{results.violation_count} / {results.failed_calls} / {results.undrained}"
                    + (f" (first: {results.violations[0][:80]})" if results.violations else ""), "0 / 0 / 0",
                    "met" if clean else "missed"))
    return rows


def round_trip_verdict(typical: int, worst: int, what: str) -> str:
    if worst <= 3:
        return "met"
    return f"met except the completing {what} ({worst})" if typical <= 3 else "missed"


MEMORY_TARGET_KIB = 8.0


def store_rows(figures: store_figures.StoreFigures, per_click: list[int], outbox: tuple[int, int]) -> list[Row]:
    rows = [Row("Redis round trips per answered question (Store.round_trips around engine.answer, in-process, "
                f"no hooks; n={figures.answers})",
                f"{figures.round_trips_modal} typical; mean {figures.round_trips_mean:.2f}, max "
                f"{figures.round_trips_max} (the completing answer also rewrites the indexes)", "<= 3",
                round_trip_verdict(figures.round_trips_modal, figures.round_trips_max, "answer"))]
    if per_click:
        typical, worst = statistics.mode(per_click), max(per_click)
        rows.append(Row("Redis round trips per click, whole bot path (Store.round_trips in the bot process minus "
                        f"the clocks' ticks, one click at a time; n={len(per_click)})",
                        f"{typical} typical; mean {statistics.fmean(per_click):.2f}, max {worst} (the completing "
                        "click also rewrites the indexes and schedules the re-evaluation reminder)", "<= 3",
                        round_trip_verdict(typical, worst, "click")))
    trips, clicks = outbox
    if clicks:
        rows.append(Row("  … and off the click path: the outbox tick's round trips per click (its claim script every "
                        "0.5 s, whether or not anything is due; a writer that delivered everything released its own "
                        "mark, so nothing is read; same one-at-a-time level)",
                        f"{trips / clicks:.2f} ({trips} in {clicks} clicks)", "-", "not in the figure above"))
    per_eval = figures.used_memory_per_eval / 1024
    rows.append(Row(f"Redis memory per completed evaluation (INFO used_memory delta / {figures.evaluations})",
                    f"{per_eval:.1f} KiB (document + audit list "
                    f"{figures.own_keys_bytes / 1024:.1f} KiB by MEMORY USAGE; JSON document "
                    f"{figures.doc_bytes / 1024:.1f} KiB; the rest: the dedupe hash for 24 h, indexes)",
                    f"<= {MEMORY_TARGET_KIB:g} KiB", "met" if per_eval <= MEMORY_TARGET_KIB else "missed"))
    return rows


def llm_rows(f: llm_figures.LLMFigures) -> list[Row]:
    prompt_cost = f.prompt_chars4 / 1e6 * f.price_in
    completion_cost = f.completion_chars4 / 1e6 * f.price_out
    return [
        Row(f"Prompt tokens, one LLM call for a {f.words:,}-word description (estimate: chars/4)",
            f"~{f.prompt_chars4:,} (messages {f.message_chars:,} chars + JSON schema {f.schema_chars:,} chars); "
            f"word/punct split ~{f.prompt_split:,}", "-", "estimate"),
        Row(f"Estimated cost per suggestion ({f.model} at ${f.price_in:g} / ${f.price_out:g} per 1M in/out)",
            f"${f.cost:.5f} (prompt ${prompt_cost:.5f} + ~{f.completion_chars4:,} completion tokens "
            f"${completion_cost:.5f}, a full extraction)", "-", "estimate"),
    ]


def reminder_rows(r: reminders_bench.ReminderFigures) -> list[Row]:
    ok = r.duplicates == 0 and r.missing == 0 and r.posts == r.reminders and r.still_due == 0 and r.leased == 0
    limiter = f"{r.limiter} {r.limiter_rate}, one per replica" if r.limiter else "no limiter"
    return [
        Row(f"Reminders: {r.reminders:,} due, {r.replicas} replicas ticking concurrently, {r.channels} channels "
            "(posts / duplicates / missing)",
            f"{r.posts:,} / {r.duplicates} / {r.missing} (rescheduled {r.rescheduled:,}, still due {r.still_due}, "
            f"leased {r.leased})", "0 duplicates, 0 missing", "met" if ok else "missed"),
        Row(f"Reminder dispatch time ({limiter})",
            f"{r.wall_s:.1f} s ({r.posts / max(r.wall_s, 1e-9):.0f} posts/s); at most {r.max_per_channel_1s} "
            "posts to one channel within 1 s", "-", "measured"),
    ]


# ----- the run ------------------------------------------------------------------------------------------------


async def guarded_phase(rows: list[Row], name: str, phase: Callable[[], Awaitable[list[Row]]]) -> None:
    say(f"{name} ...")
    try:
        rows.extend(await phase())
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        rows.append(Row(f"{name}: failed", f"{type(exc).__name__}: {str(exc)[:120]}", "-", "error"))


async def run(plan: Plan, redis: RedisServer, log_dir: Path, profile: Path | None = None,
              root_redraw_s: float | None = None, sample_cpu: Path | None = None) -> list[Row]:
    rows: list[Row] = []
    children: list[Child] = []
    try:
        per_click: list[int] = []
        outbox: list[tuple[int, int]] = []
        memory: list[store_figures.StoreFigures] = []

        async def store_phase() -> list[Row]:
            memory.append(await store_figures.measure(redis.url, plan.memory_evaluations))
            return []

        async def llm_phase() -> list[Row]:
            return llm_rows(await llm_figures.measure())

        await guarded_phase(rows, "Redis round trips and memory (in-process engine)", store_phase)
        await guarded_phase(rows, "LLM prompt tokens (OpenAI stand-in)", llm_phase)

        slack = Child("tests.benchmarks.slack_proc", [], log_dir / "slack.log")
        children.append(slack)
        stand_in = await slack.ready()
        with redis.client() as client:
            info: dict[str, object] = client.info("server")
        redis_pid = int(str(info["process_id"]))

        async def ack_phase() -> list[Row]:
            def app(mode: str, *extra: str) -> Child:
                sampled = ["--sample-cpu", str(sample_cpu / f"{mode}.folded")] if sample_cpu else []
                return Child("tests.benchmarks.bot_proc", ["--mode", mode, "--redis", redis.url, "--slack",
                                                           stand_in["api"], *sampled, *extra], log_dir / f"{mode}.log")

            bot = app("bot", *(["--profile", str(profile)] if profile else []),
                      *(["--root-redraw-seconds", str(root_redraw_s)] if root_redraw_s is not None else []))
            ref, floor = app("reference"), app("floor")
            children.extend([bot, ref, floor])
            try:
                ports = [(await child.ready())["port"] for child in (bot, ref, floor)]
                bases = [f"http://127.0.0.1:{port}" for port in ports]
                results = await acks.measure(
                    plan.acks, inspect_url=stand_in["inspect"], response_root=stand_in["root"],
                    bot_base=bases[0], ref_base=bases[1], floor_base=bases[2], bot_pid=bot.pid, ref_pid=ref.pid,
                    floor_pid=floor.pid, other_pids={"stand-in": slack.pid, "redis": redis_pid}, say=say)
            finally:
                for child in (bot, ref, floor):
                    child.stop()
            per_click.extend(results.round_trips_per_click)
            outbox.append(results.outbox_round_trips)
            return ack_rows(results) + throughput_rows(plan, results)

        async def reminder_phase() -> list[Row]:
            return reminder_rows(await reminders_bench.measure(
                redis_url=redis.url, slack_api=stand_in["api"], inspect_url=stand_in["inspect"],
                reminders=plan.reminders, channels=plan.reminder_channels, replicas=plan.replicas,
                deadline_s=plan.reminder_deadline_s, log_dir=log_dir))

        await guarded_phase(rows, "Ack latency, throughput and RSS (bot and floor over HTTP)", ack_phase)
        await guarded_phase(rows, f"Reminder dispatch ({plan.reminders:,} reminders)", reminder_phase)
        if memory:
            rows[:0] = store_rows(memory[0], per_click, outbox[0] if outbox else (0, 0))
    finally:
        for child in children:
            child.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a fast smoke run with small numbers")
    parser.add_argument("--evaluations", type=int, help="completed evaluations before RSS is read again "
                                                            "(full: 1000)")
    parser.add_argument("--levels", help="concurrent evaluations per ack level, comma-separated (full: 50,200)")
    parser.add_argument("--reminders", type=int, help="due reminders to dispatch (full: 10000)")
    parser.add_argument("--one-at-a-time", type=int, help="evaluations walked one request at a time (full: 5; "
                                                           "fewer makes a diagnosis run quicker)")
    parser.add_argument("--profile", type=Path, help="write the bot process's cProfile stats here (diagnosis; "
                                                      "the profiler's overhead inflates the bot's figures)")
    parser.add_argument("--sample-cpu", type=Path,
                        help="write each app's CPU-time stack samples to DIR/<app>.folded (diagnosis; see "
                             "tests/benchmarks/cpu_sampler.py)")
    parser.add_argument("--root-redraw-seconds", type=float,
                        help="the bot's FTCHECK_ROOT_REDRAW_SECONDS (0: the root redrawn after every answer, as the "
                             "reference does; default: the product's)")
    parser.add_argument("--status-every", type=int,
                        help="a /ftcheck status alongside every N clicks (0: clicks only, for CPU per click; "
                             f"default: {acks.STATUS_EVERY})")
    parser.add_argument("--out", type=Path, help="where to write the table (default: last_run.md next to this "
                                                  "file for a full run; a quick run writes nothing)")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    if args.evaluations is not None:
        plan = replace(plan, name=f"{plan.name}, --evaluations {args.evaluations}",
                       acks=replace(plan.acks, total_evaluations=args.evaluations))
    if args.levels:
        counts = tuple(int(n) for n in args.levels.split(","))
        plan = replace(plan, name=f"{plan.name}, --levels {args.levels}",
                       acks=replace(plan.acks, levels=tuple((n, n) for n in counts)))
    if args.reminders is not None:
        plan = replace(plan, name=f"{plan.name}, --reminders {args.reminders}", reminders=args.reminders)
    if args.root_redraw_seconds is not None:
        plan = replace(plan, name=f"{plan.name}, --root-redraw-seconds {args.root_redraw_seconds:g}")
    if args.status_every is not None:
        plan = replace(plan, name=f"{plan.name}, --status-every {args.status_every}",
                       acks=replace(plan.acks, status_every=max(args.status_every, 0)))
    if args.one_at_a_time is not None:
        plan = replace(plan, name=f"{plan.name}, --one-at-a-time {args.one_at_a_time}",
                       acks=replace(plan.acks, one_at_a_time=max(args.one_at_a_time, 1)))
    out: Path | None = args.out or (None if args.quick else HERE / "last_run.md")
    quiet_logging()
    load_before = loadavg()
    started = time.monotonic()
    log_dir = Path(tempfile.mkdtemp(prefix="ftcheck-bench-"))
    redis = RedisServer()  # its own server on a free port, never the one on 6379
    redis.start()
    try:
        if redis.port == 6379:
            raise RuntimeError("refusing to benchmark against port 6379")
        rows = asyncio.run(run(plan, redis, log_dir, args.profile, args.root_redraw_seconds,
                                   args.sample_cpu))
    finally:
        redis.close()
    elapsed = time.monotonic() - started
    header = machine_lines(redis.executable, load_before)
    table = render_table(rows)
    errors = [r for r in rows if r.verdict == "error"]
    footer = f"Run: {plan.name}, {elapsed:.0f} s; child logs: " + (str(log_dir) if errors else "removed")
    text = "\n".join([*header, "", table, "", footer])
    print(text)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
    if not errors:
        shutil.rmtree(log_dir, ignore_errors=True)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
