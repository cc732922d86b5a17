"""An HTTP proxy in front of the Slack stand-in that lets Slack *apply* a call, then answers it with a 5xx, drops
the connection, or answers only after the client gave up, as real Slack sometimes does."""

from __future__ import annotations

import asyncio
import time
from types import TracebackType

import aiohttp
from aiohttp import web

from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_workspace import TsClock


def real_clock(slack: SlackStandIn) -> None:
    """Message ts from now on, as Slack's (the stand-in starts in 2023): a root is looked up by ``oldest``."""
    with slack._lock:
        slack._ws.clock = TsClock(start_us=int(time.time() * 1_000_000))


class ApplyThenFail:
    def __init__(self, upstream_base: str, hang_s: float = 3.0) -> None:
        self.upstream = upstream_base.rstrip("/")  # http://127.0.0.1:port/api
        self.hang_s = hang_s
        self.plans: dict[str, list[str]] = {}  # method -> modes: "500", "503", "drop", "hang",
        # "late" (applied after hang_s, when the client has given up and looked), "refuse" (not applied)
        self.failed: list[str] = []
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    def arm(self, method: str, mode: str = "500", times: int = 1) -> None:
        self.plans.setdefault(method, []).extend([mode] * times)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    async def __aenter__(self) -> ApplyThenFail:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._session:
            await self._session.close()
        if self._runner:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        body = await request.read()
        plan = self.plans.get(method)
        mode = plan.pop(0) if plan else None
        if mode == "refuse":  # not applied: Slack answered 500 before doing anything
            self.failed.append(method)
            return web.json_response({"ok": False, "error": "internal_error"}, status=500)
        if mode == "late":  # still under way at Slack after the client gave up: applied only after hang_s
            await asyncio.sleep(self.hang_s)
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "content-type")}
        assert self._session is not None
        async with self._session.request(request.method, f"{self.upstream}/{method}", data=body, headers=headers,
                                         params=request.query) as resp:
            payload = await resp.read()
            status = resp.status
            ctype = resp.headers.get("Content-Type", "application/json")
        if mode is None:
            return web.Response(body=payload, status=status, headers={"Content-Type": ctype})
        self.failed.append(method)
        if mode in ("hang", "late"):  # applied; the reply comes after the client gave up
            await asyncio.sleep(self.hang_s)
            return web.json_response({"ok": False, "error": "internal_error"}, status=500)
        if mode == "drop":
            assert request.transport is not None
            request.transport.close()  # Slack applied it; the reply never arrives
            raise ConnectionResetError("dropped after applying")
        return web.json_response({"ok": False, "error": "internal_error"}, status=int(mode))
