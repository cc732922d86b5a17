"""Overlapping deliveries redrawing one message in this process: the newest state is drawn last.

Two writes of an evaluation a moment apart (two votes on one card) each owe the same update: the card's tally,
the root. Their deliveries overlap, and drawn in the wrong order the message would show the older state until
the next change. So an update waits for a redraw of the same message already in flight here, and is left out
when a later write of this process owes it too: that write's delivery draws the newer state, and the document
owes the update until it has (a crash leaves it to the outbox). Other replicas are not coordinated: a delivery
there draws what it wrote, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

Key = tuple[str, str]  # (evaluation id, update key)
KEPT = 4096  # updates whose latest owing version is remembered; the oldest are forgotten first


class Redraws:
    def __init__(self, kept: int = KEPT) -> None:
        self.kept = kept
        self._latest: dict[Key, int] = {}  # the newest version written here that owes the update
        self._turns: dict[Key, tuple[asyncio.Lock, int]] = {}  # the lock of a message being redrawn, its users

    def owed(self, eid: str, keys: list[str], version: int) -> None:
        """A delivery of ``eid`` at ``version`` is about to draw the updates ``keys`` here (only ever raised)."""
        for key in keys:
            newest = max(version, self._latest.pop((eid, key), version))
            self._latest[(eid, key)] = newest  # re-inserted last: the dict's order is the age of the entries
        while len(self._latest) > self.kept:
            del self._latest[next(iter(self._latest))]

    @property
    def in_flight(self) -> int:
        """Messages being redrawn (or waited for) right now."""
        return len(self._turns)

    @contextlib.asynccontextmanager
    async def turn(self, eid: str, key: str, version: int) -> AsyncIterator[bool]:
        """Wait for a redraw of the same message in flight here; True when a view at ``version`` is still the one
        to draw (no later write here owes it)."""
        k = (eid, key)
        lock, users = self._turns.get(k) or (asyncio.Lock(), 0)
        self._turns[k] = (lock, users + 1)
        try:
            async with lock:
                yield self._latest.get(k, 0) <= version
        finally:
            lock, users = self._turns[k]
            if users > 1:
                self._turns[k] = (lock, users - 1)
            else:
                del self._turns[k]
