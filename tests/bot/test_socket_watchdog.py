"""The Socket Mode watchdog reconnects a connection that looks alive but has gone silent."""

from __future__ import annotations

import time

from bot.serve import _watchdog


class FakeSocketClient:
    """Only the attributes the watchdog reads; the real client needs a Slack WebSocket endpoint."""

    def __init__(self, last_ping_pong_time: float | None, connected: bool) -> None:
        self.last_ping_pong_time = last_ping_pong_time
        self.connected = connected
        self.reconnects = 0

    async def is_connected(self) -> bool:
        return self.connected

    async def connect_to_new_endpoint(self, force: bool = False) -> None:
        self.reconnects += 1


class Handler:
    def __init__(self, client: FakeSocketClient) -> None:
        self.client = client


async def test_silent_but_connected_is_reconnected() -> None:
    client = FakeSocketClient(time.time() - 300, connected=True)
    await _watchdog(Handler(client))
    assert client.reconnects == 1


async def test_healthy_connection_is_left_alone() -> None:
    client = FakeSocketClient(time.time() - 5, connected=True)
    await _watchdog(Handler(client))
    assert client.reconnects == 0


async def test_disconnected_is_reconnected() -> None:
    client = FakeSocketClient(None, connected=False)
    await _watchdog(Handler(client))
    assert client.reconnects == 1
