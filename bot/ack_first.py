"""Acks first: work after an ack waits while other requests still wait for theirs.

Slack gives every request 3 s to be acknowledged, and a person's button spins until it is; what a listener does
after its ack (the store write, the Slack calls) has no such deadline. On one event loop both are callbacks queued
in arrival order, so in a burst of clicks (a team voting, many channels at once) a request's ack waited behind
the post-ack work of the requests before it.

A request *waits* from the moment the HTTP handler hands it to Bolt (signed and parsed) until its listener acks,
or returns without acking, or the handler answers. Right after its ack, a listener yields while any request
waits: its work starts once none does, or after :data:`MAX_YIELD_S` at the latest, so under sustained load it
is delayed a little, never starved. Work that yielded is woken in the order it acked and gets the loop before
work acked after it (so the first click on a card still writes first). Socket Mode acks over its websocket and
takes no ticket: nothing yields there.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar

MAX_YIELD_S = 0.1


class Ticket:
    """One request waiting for its ack; ``release`` may be called more than once."""

    __slots__ = ("_gate", "_held")

    def __init__(self, gate: AckFirst) -> None:
        self._gate = gate
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._gate._released()


class AckFirst:
    def __init__(self, max_yield_s: float = MAX_YIELD_S) -> None:
        self.max_yield_s = max_yield_s
        self._waiting = 0
        self._parked = 0  # post-ack work yielding now
        self._quiet: asyncio.Event | None = None  # set when no request waits; belongs to one event loop
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def waiting(self) -> int:
        return self._waiting

    def take(self) -> Ticket:
        self._waiting += 1
        return Ticket(self)

    def _released(self) -> None:
        self._waiting -= 1
        if self._waiting == 0 and self._quiet is not None and self._loop is not None and not self._loop.is_closed():
            self._quiet.set()

    async def yield_to_acks(self) -> None:
        """Return once no request waits for its ack, or after ``max_yield_s``; at once when none waits and no
        earlier work is still yielding (that work goes first: one turn of the loop)."""
        if self._waiting == 0:
            if self._parked:
                await asyncio.sleep(0)  # the woken waiters were scheduled before this: they run first
            return
        loop = asyncio.get_running_loop()
        if self._quiet is None or self._loop is not loop:
            self._quiet, self._loop = asyncio.Event(), loop
        self._quiet.clear()
        self._parked += 1
        try:
            async with asyncio.timeout(self.max_yield_s):
                await self._quiet.wait()
        except TimeoutError:
            pass
        finally:
            self._parked -= 1


GATE = AckFirst()  # one per process: the requests and the post-ack work share its event loop
CURRENT: ContextVar[Ticket | None] = ContextVar("ftcheck_ack_ticket", default=None)  # the request being handled
