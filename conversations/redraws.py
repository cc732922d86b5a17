"""Redraws of one message in this process: the newest state is drawn last, and the root at a measured pace.

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
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable

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


class RootPace:
    """An in-progress evaluation's root drawn here at most once per ``every`` seconds, the newest state last.

    The root only counts progress, and a walk answered briskly (or a team voting) would redraw it on every
    click: each redraw is a Web API call against Slack's per-method rate limit, for a message nobody is looking
    at while they answer in the thread. A click within ``every`` of the last draw here leaves the root owed
    (the document says so until it is drawn) and books one trailing draw for when the interval is up;
    ``draw_later(eid)`` is called then and draws what is stored by that time. A crash before it leaves the
    update to the outbox, like any owed message. ``every`` 0 draws on every click.
    """

    def __init__(self, every: float, draw_later: Callable[[str], object], kept: int = KEPT) -> None:
        self.every = every
        self.kept = kept
        self._draw_later = draw_later
        self._last: OrderedDict[str, float] = OrderedDict()  # evaluation id -> loop time of its last draw here
        self._booked: dict[str, asyncio.TimerHandle] = {}

    def draw_now(self, eid: str, *, force: bool = False) -> bool:
        """True when the root of ``eid`` is to be drawn now (the draw is noted); False when a draw is booked."""
        if self.every <= 0:
            return True
        loop = asyncio.get_running_loop()
        now = loop.time()
        last = self._last.get(eid)
        if force or last is None or now - last >= self.every:
            self._last[eid] = now
            self._last.move_to_end(eid)
            if len(self._last) > self.kept:
                self._last.popitem(last=False)
            return True
        if eid not in self._booked:
            self._booked[eid] = loop.call_at(last + self.every, self._due, eid)
        return False

    @property
    def booked(self) -> int:
        """Trailing draws waiting for their interval."""
        return len(self._booked)

    def _due(self, eid: str) -> None:
        del self._booked[eid]
        self._draw_later(eid)

    def cancel(self) -> None:
        """Drop the booked draws (shutdown): the documents still owe them, so the outbox draws them."""
        for timer in self._booked.values():
            timer.cancel()
        self._booked.clear()
