"""A CPU-time stack sampler for the bench's app processes (diagnosis only).

py-spy and wall-clock samplers count a thread that is runnable but waiting for a core as busy; on a 2-core
machine shared by the bot, the stand-in, the load generator and Redis that understates the gap between
ftcheck and the reference. This sampler ticks on the process's own CPU time (``ITIMER_PROF``, asked for
every millisecond of user + system time) and records the Python stack each tick lands in, weighed by the CPU
time since the previous tick (the kernel may deliver them coarser, often every 4 ms). Time spent in C (uvloop,
pydantic-core, json) lands on the Python frame that called it, or on the coroutine uvloop resumes next.

``python -m tests.benchmarks --sample-cpu DIR`` writes ``DIR/bot.folded`` and ``DIR/reference.folded``
(one ``frame;frame;… µs`` line per stack: the format flame-graph tools read, weighed in µs of CPU);
``python -m tests.benchmarks.cpu_sampler DIR`` prints each file's top self frames and where the samples of
named frames go.
"""

from __future__ import annotations

import argparse
import collections
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

INTERVAL_S = 0.001
_DEPTH = 60


class Sampler:
    def __init__(self) -> None:
        self.stacks: collections.Counter[tuple[str, ...]] = collections.Counter()
        self._before: Any = signal.SIG_DFL
        self._last_ns = 0

    def _tick(self, signum: int, frame: FrameType | None) -> None:
        # the kernel may deliver ticks at its own granularity (often 4 ms): weigh each by the CPU time it stands for
        now = time.process_time_ns()
        spent_us, self._last_ns = (now - self._last_ns) // 1000, now
        names: list[str] = []
        while frame is not None and len(names) < _DEPTH:
            code = frame.f_code
            names.append(f"{Path(code.co_filename).stem}:{code.co_qualname}")
            frame = frame.f_back
        self.stacks[tuple(reversed(names))] += spent_us

    def start(self) -> None:
        self._before = signal.signal(signal.SIGPROF, self._tick)
        self._last_ns = time.process_time_ns()
        signal.setitimer(signal.ITIMER_PROF, INTERVAL_S, INTERVAL_S)

    def stop(self, path: Path) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, self._before)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w") as out:
            for stack, count in self.stacks.most_common():
                out.write(f"{';'.join(stack)} {count}\n")


def read_folded(path: Path) -> Iterator[tuple[list[str], int]]:
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        yield stack.split(";"), int(count)


def summary(path: Path, top: int = 10, inclusive: tuple[str, ...] = ()) -> str:
    self_counts: collections.Counter[str] = collections.Counter()
    within: collections.Counter[str] = collections.Counter()
    total = 0
    for frames, count in read_folded(path):
        total += count
        self_counts[frames[-1]] += count
        for name in inclusive:
            if any(name in frame for frame in frames):
                within[name] += count
    lines = [f"{path.name}: {total / 1000:.0f} ms of CPU sampled"]
    lines += [f"  self   {count / 1000:8.1f} ms {count / total:6.1%}  {frame}"
              for frame, count in self_counts.most_common(top)]
    lines += [f"  within {within[name] / 1000:8.1f} ms {within[name] / total:6.1%}  {name}" for name in inclusive]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.cpu_sampler", description=__doc__)
    parser.add_argument("dir", type=Path, help="the directory --sample-cpu wrote")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--within", action="append", default=[],
                        help="also count samples whose stack holds a frame containing this text (repeatable)")
    args = parser.parse_args()
    for path in sorted(args.dir.glob("*.folded")):
        print(summary(path, args.top, tuple(args.within)))


if __name__ == "__main__":
    main()
