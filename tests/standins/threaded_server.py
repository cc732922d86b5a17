"""An aiohttp application served on 127.0.0.1 from its own thread and event loop.

Stand-ins run this way so they answer the bot whatever the test's own event loop is doing, and serve
sync and async tests alike.
"""

from __future__ import annotations

import asyncio
import socket
import threading

from aiohttp import web


class ThreadedServer:
    def __init__(self, app: web.Application, *, name: str, shutdown_timeout: float = 1.0) -> None:
        self.app = app
        self.name = name
        self.shutdown_timeout = shutdown_timeout
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> int:
        """Bind a free port, serve, and return the port once the server accepts connections."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name=self.name, daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(sock), loop).result(timeout=10)
        return self.port

    async def _serve(self, sock: socket.socket) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False,
                                     shutdown_timeout=self.shutdown_timeout)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(timeout=10)

        async def cancel_leftovers() -> None:  # handlers still sleeping in a planned delay
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(cancel_leftovers(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = self._runner = None
