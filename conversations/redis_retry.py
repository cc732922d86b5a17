"""Retry Redis calls that a Redis Cluster refuses for a moment, within the request's time budget.

While a hash slot migrates between nodes, a multi-key call (the compare-and-set script) whose keys are split
or partly missing gets ``TRYAGAIN``; redis-py retries it for a few hundred milliseconds, then gives up with
``ClusterError: TTL exhausted`` (or raises the ``TryAgainError`` itself from a pipeline). Redis refused the call
before running it, so repeating it is safe. A migration usually ends in well under a second; past the budget
the caller reports the store as busy instead of keeping the person waiting.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from redis.exceptions import ClusterDownError, ClusterError, TryAgainError

T = TypeVar("T")

# ClusterDownError is a ClusterError too: a cluster electing a new primary is retried the same way.
RETRYABLE: tuple[type[Exception], ...] = (TryAgainError, ClusterError)


@dataclass(frozen=True)
class RetryBudget:
    """How long one request may keep retrying, and the backoff between tries (doubling, with jitter)."""

    total_s: float = 2.0
    first_delay_s: float = 0.02
    max_delay_s: float = 0.25


DEFAULT_BUDGET = RetryBudget()


class ClusterBusy(RuntimeError):
    """The cluster kept refusing the call (slot migrating, or no primary for the slot) for the whole budget."""

    def __init__(self, message: str, *, down: bool) -> None:
        super().__init__(message)
        self.down = down  # True when the last refusal was CLUSTERDOWN rather than TRYAGAIN


async def retry_refused(fn: Callable[[], Awaitable[T]], budget: RetryBudget = DEFAULT_BUDGET) -> T:
    """``await fn()``, again after a short sleep whenever the cluster refuses it, until the budget is spent."""
    deadline = time.monotonic() + budget.total_s
    delay = budget.first_delay_s
    tries = 0
    while True:
        tries += 1
        try:
            return await fn()
        except RETRYABLE as exc:
            pause = delay * random.uniform(0.5, 1.0)
            if time.monotonic() + pause > deadline:
                raise ClusterBusy(
                    f"Redis Cluster refused the call {tries} times in {budget.total_s:g}s ({exc}); a slot is "
                    "probably migrating or a primary failing over — try again in a moment",
                    down=isinstance(exc, ClusterDownError),
                ) from exc
            await asyncio.sleep(pause)
            delay = min(delay * 2, budget.max_delay_s)
