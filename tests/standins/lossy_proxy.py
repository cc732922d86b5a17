"""A TCP proxy in front of redis-server that loses one reply: Redis runs the request, the client never hears back.

Armed with a marker (``b"EVALSHA"``), the proxy forwards the next request that contains it, swallows Redis's reply
and closes that client connection, as a connection dropped right after the server applied a write would.
``on_lost`` runs first, e.g. to demote the server before the client sends the write again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable


class LossyProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.armed: bytes | None = None
        self.lost = 0  # replies swallowed so far
        self.on_lost: Callable[[], Awaitable[object]] | None = None  # runs before the client hears the connection close
        self.port = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> LossyProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        losing = asyncio.Event()

        async def to_redis() -> None:
            with contextlib.suppress(OSError):
                while data := await reader.read(65536):
                    if self.armed is not None and self.armed in data:
                        self.armed = None
                        losing.set()
                    up_writer.write(data)
                    await up_writer.drain()
            up_writer.close()

        async def to_client() -> None:
            with contextlib.suppress(OSError):
                while data := await up_reader.read(65536):
                    if losing.is_set():
                        self.lost += 1
                        if self.on_lost is not None:
                            await self.on_lost()
                        break
                    writer.write(data)
                    await writer.drain()
            writer.close()
            up_writer.close()

        await asyncio.gather(to_redis(), to_client())
