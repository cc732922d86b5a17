"""The Slack Web API stand-in in its own process, plus a small inspection endpoint for the load generator.

Run as ``python -m tests.benchmarks.slack_proc``; prints ``{"api": <base url>, "inspect": <url>}`` once
serving. The stand-in (tests.standins.slack_api) runs on its own thread; the inspection server runs on
this process's main loop and only uses the stand-in's public methods:

* ``GET /calls?since=N`` — the ``chat.postMessage`` calls from index N on: channel, ts, text and, for
  question cards, the blocks and the answer buttons (what a client needs to click the card);
* ``GET /summary`` — counts per method, violations, duplicate posts per thread and the highest number
  of posts one channel got within any one second (from the stand-in's receive times);
* ``POST /reset`` — forget calls and messages (between phases, when the bot is idle).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter, defaultdict, deque
from typing import Any

from aiohttp import web

from tests.benchmarks.common import scrub_environ
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Call


def card_of(call: Call) -> dict[str, Any] | None:
    blocks = call.params.get("blocks")
    if not isinstance(blocks, list):
        return None
    for block in blocks:
        block_id = str(block.get("block_id", "")) if isinstance(block, dict) else ""
        if block.get("type") == "actions" and block_id.startswith("answer:"):
            buttons = [{"action_id": el.get("action_id"), "value": el.get("value")}
                       for el in block.get("elements", []) if isinstance(el, dict)]
            return {"question": block_id.split(":", 1)[1], "buttons": buttons, "blocks": blocks}
    return None


def compact(index: int, call: Call) -> dict[str, Any]:
    out: dict[str, Any] = {
        "i": index, "channel": str(call.params.get("channel", "")), "ts": call.response.get("ts"),
        "thread_ts": call.params.get("thread_ts"), "text": str(call.params.get("text") or "")[:80],
        "ok": call.ok, "time": call.time,
    }
    card = card_of(call)
    if card is not None:
        out["card"] = card
    return out


def max_per_window(times: list[float], window_s: float = 1.0) -> int:
    """The most events inside any window of ``window_s`` seconds."""
    best, queue = 0, deque[float]()
    for t in sorted(times):
        queue.append(t)
        while queue and t - queue[0] >= window_s:
            queue.popleft()
        best = max(best, len(queue))
    return best


def summary(slack: SlackStandIn) -> dict[str, Any]:
    calls = slack.calls
    posts = [c for c in calls if c.method == "chat.postMessage"]
    per_thread = Counter((str(c.params.get("channel")), str(c.params.get("thread_ts"))) for c in posts if c.ok)
    per_channel: dict[str, list[float]] = defaultdict(list)
    for c in posts:
        per_channel[str(c.params.get("channel"))].append(c.time)
    violations = slack.violations
    return {
        "methods": dict(Counter(c.method for c in calls)),
        "statuses": dict(Counter(str(c.status) for c in calls)),
        "posts": len(posts),
        "posts_ok": sum(1 for c in posts if c.ok),
        "threads": len(per_thread),
        "duplicates": sum(n - 1 for n in per_thread.values() if n > 1),
        "channels": len(per_channel),
        "max_per_channel_1s": max((max_per_window(t) for t in per_channel.values()), default=0),
        "first_post": min((c.time for c in posts), default=None),
        "last_post": max((c.time for c in posts), default=None),
        "violations": len(violations),
        "violation_samples": violations[:5],
    }


async def serve(slack: SlackStandIn) -> None:
    async def calls(request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        all_calls = slack.calls
        new = [compact(i, c) for i, c in enumerate(all_calls[since:], start=since) if c.method == "chat.postMessage"]
        return web.json_response({"next": len(all_calls), "calls": new})

    async def summary_handler(_: web.Request) -> web.Response:
        return web.json_response(await asyncio.to_thread(summary, slack))

    async def reset(_: web.Request) -> web.Response:
        slack.reset()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/calls", calls)
    app.router.add_get("/summary", summary_handler)
    app.router.add_post("/reset", reset)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(json.dumps({"api": slack.base_url, "root": slack.root_url, "inspect": f"http://127.0.0.1:{port}"}),
          flush=True)
    await asyncio.Event().wait()


def main() -> None:
    scrub_environ()
    slack = SlackStandIn()
    slack.start()
    try:
        asyncio.run(serve(slack))
    finally:
        slack.stop()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
