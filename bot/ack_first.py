"""Acks first: work after an ack waits while other requests still wait for theirs.

Slack gives every request 3 s to be acknowledged, and a person's button spins until it is; what a listener does
after its ack (the store write, the Slack calls) has no such deadline. On one event loop both are callbacks queued
in arrival order, so in a burst of clicks (a team voting, many channels at once) a request's ack waited behind
the post-ack work of the requests before it.

A request *waits* from the moment the HTTP handler takes it until its listener acks (or the handler answers, for
a request no listener acked). Post-ack work first yields while any request waits: it starts once none does, or
after :data:`MAX_YIELD_S` at the latest, so under sustained load it is delayed a little, never starved. Socket
Mode acks over its websocket and takes no ticket: nothing yields there.
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
        if self._waiting == 0 and self._quiet is not None:
            self._quiet.set()

    async def yield_to_acks(self) -> None:
        """Return once no request waits for its ack, or after ``max_yield_s``; at once when none waits."""
        if self._waiting == 0:
            return
        loop = asyncio.get_running_loop()
        if self._quiet is None or self._loop is not loop:
            self._quiet, self._loop = asyncio.Event(), loop
        self._quiet.clear()
        try:
            async with asyncio.timeout(self.max_yield_s):
                await self._quiet.wait()
        except TimeoutError:
            pass


GATE = AckFirst()  # one per process: the requests and the post-ack work share its event loop
CURRENT: ContextVar[Ticket | None] = ContextVar("ftcheck_ack_ticket", default=None)  # the request being handled
