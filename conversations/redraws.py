"""Redraws of one message in this process: the newest state is drawn last, and the root at a measured pace.

Two writes of an evaluation a moment apart (two votes on one card) each owe the same update: the card's tally,
the root. Their deliveries overlap, and drawn in the wrong order the message would show the older state until
the next change. So an update waits for a redraw of the same message already in flight here, and is left out
when a later write of this process owes it too: that write's delivery draws the newer state, and the document
owes the update until it has (a crash leaves it to the outbox). Other replicas are not coordinated: a delivery
there draws what it wrote; a draw that lands late is followed by a read and a redraw of what moved
(``Engine._moved``), and a write that raced another replica's draws again once both have landed (:class:`Rechecks`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable

from conversations.effects import Effect

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

    def forget(self, eid: str) -> None:
        """The evaluation's stored versions went back (``Store.on_set_back``): the versions drawn here before no longer
        say which draw is newer, and a redraw of what is stored now must not be left to a write that was lost."""
        for key in [k for k in self._latest if k[0] == eid]:
            del self._latest[key]

    def superseded(self, eid: str, key: str, version: int) -> bool:
        """Whether a later write of this process owes the update too (its delivery draws it after this one's)."""
        return self._latest.get((eid, key), 0) > version

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


class Rechecks:
    """Redraws booked once more, ``after`` seconds on, for writes that raced another replica's: drawn then from
    what is stored (``run(eid, effects)``), over whatever landed meanwhile.

    Two replicas' draws of one message are not ordered: when two writes come a moment apart on two replicas, the
    older one's draw can land after the newer one's (Slack's latency varies call to call) and stay, since the newer
    one's record cleared what was owed. A draw landing ``after`` or more after its write is read again by its own
    delivery (``Engine._moved``); one landing sooner is covered here, by the racing write's replica drawing again
    once it has surely landed. One timer per evaluation: writes meanwhile add their redraws and move it to ``after``
    past the last of them (each of those draws itself), but never more than ``longest`` past the first.
    """

    def __init__(self, after: float, run: Callable[[str, list[Effect]], object], *, longest: float | None = None,
                 kept: int = KEPT) -> None:
        self.after = after
        self.longest = 3 * after if longest is None else longest
        self.kept = kept
        self._run = run
        # evaluation id -> (its timer, when it is due, when it was first booked, the redraws by key)
        self._booked: dict[str, tuple[asyncio.TimerHandle, float, float, dict[str, Effect]]] = {}

    def book(self, eid: str, effects: list[Effect]) -> None:
        booked = self._booked.get(eid)
        if not effects or (booked is None and len(self._booked) >= self.kept):
            return  # beyond ``kept`` evaluations at once: left as before (each delivery drew what it wrote)
        loop = asyncio.get_running_loop()
        due = loop.time() + self.after
        if booked is None:
            self._booked[eid] = (loop.call_at(due, self._due, eid), due, loop.time(), {e.key: e for e in effects})
            return
        timer, _, first, owed = booked
        owed.update((e.key, e) for e in effects)
        self._booked[eid] = (timer, due, first, owed)

    @property
    def booked(self) -> int:
        return len(self._booked)

    def _due(self, eid: str) -> None:
        _, due, first, owed = self._booked.pop(eid)
        loop = asyncio.get_running_loop()
        now = loop.time()
        if due > now and now - first < self.longest:  # booked again meanwhile: drawn once, then
            self._booked[eid] = (loop.call_at(min(due, first + self.longest), self._due, eid), due, first, owed)
            return
        if due > now:  # booked again, after waiting as long as it may: drawn now, and once more then
            self._booked[eid] = (loop.call_at(due, self._due, eid), due, due - self.after, dict(owed))
        self._run(eid, list(owed.values()))

    def cancel(self) -> None:
        """Drop the booked redraws (shutdown): each delivery drew what it wrote; nothing is owed for them."""
        for timer, _, _, _ in self._booked.values():
            timer.cancel()
        self._booked.clear()
