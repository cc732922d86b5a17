"""The bench's CPU-time sampler (tests/benchmarks/cpu_sampler.py) records where this process spends CPU."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.benchmarks.cpu_sampler import Sampler, read_folded, summary


def burn_cpu(seconds: float) -> int:
    end, n = time.process_time() + seconds, 0
    while time.process_time() < end:
        n += sum(range(200))
    return n


def idle(seconds: float) -> None:
    time.sleep(seconds)


def test_samples_land_on_the_frame_that_burns_cpu_and_not_on_sleep(tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGPROF)
    sampler = Sampler()
    sampler.start()
    try:
        burn_cpu(0.3)
        idle(0.3)  # wall time without CPU: no ticks
    finally:
        sampler.stop(tmp_path / "me.folded")
    assert signal.getsignal(signal.SIGPROF) == before
    stacks = list(read_folded(tmp_path / "me.folded"))
    burning_us = sum(us for frames, us in stacks if any(f.endswith(":burn_cpu") for f in frames))
    sleeping_us = sum(us for frames, us in stacks if any(f.endswith(":idle") for f in frames))
    assert 250_000 <= burning_us <= 350_000  # weighed by CPU time: the 300 ms burnt, whatever the tick size
    assert sleeping_us <= 20_000  # a sleep costs no CPU (at most the tick it starts in)
    report = summary(tmp_path / "me.folded", top=1, inclusive=("burn_cpu",)).splitlines()
    assert report[1].endswith("test_cpu_sampler:burn_cpu")  # the top self frame
    assert report[2].startswith(f"  within {burning_us / 1000:8.1f} ms")
