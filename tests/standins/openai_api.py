"""A scriptable stand-in for the OpenAI chat completions API (a real HTTP server, no mocks).

Runs aiohttp on 127.0.0.1 (free port) in a background thread with its own event loop. Plan the
next responses, point an OpenAI client at :attr:`OpenAIStandin.base_url`, then inspect
:attr:`OpenAIStandin.requests`::

    with OpenAIStandin() as api:
        api.respond_status(429, retry_after=1)
        api.respond_json({"answer": 42})
        ...
        assert len(api.requests) == 2

With nothing planned, the server answers 500 with an error saying so (and ``x-should-retry: false`` so
the client fails at once instead of retrying an unplanned request).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.standins.threaded_server import ThreadedServer


@dataclass(frozen=True)
class Planned:
    """One planned response: a status, a JSON body or raw text, optional headers and delay."""

    status: int = 200
    body: dict[str, Any] | None = None
    text: str | None = None
    content: str | None = None  # chat message content (completion)
    refusal: str | None = None
    finish_reason: str = "stop"
    usage: tuple[int, int] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    no_choices: bool = False  # a completion with an empty ``choices`` list (its usage still reported)


@dataclass(frozen=True)
class Recorded:
    path: str
    body: Any
    headers: dict[str, str]
    at: float


class OpenAIStandin:
    def __init__(self, model: str = "gpt-4o-mini") -> None:
        self.model = model
        self._plan: deque[Planned] = deque()
        self._lock = threading.Lock()
        self._recorded: list[Recorded] = []
        self._server: ThreadedServer | None = None
        self._port = 0
        self._counter = 0

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> OpenAIStandin:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        self._server = ThreadedServer(app, name="openai-standin", shutdown_timeout=0.2)
        self._port = self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> OpenAIStandin:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/v1"

    # -- scripting ---------------------------------------------------------------------------
    def _push(self, planned: Planned) -> None:
        with self._lock:
            self._plan.append(planned)

    def respond_json(
        self, obj: object, *, usage: tuple[int, int] | None = None, finish_reason: str = "stop"
    ) -> None:
        """A completion whose message content is ``json.dumps(obj)``."""
        self._push(Planned(content=json.dumps(obj), usage=usage, finish_reason=finish_reason))

    def respond_text(self, raw: str, *, usage: tuple[int, int] | None = None) -> None:
        """A completion whose content is ``raw`` as is (e.g. malformed JSON)."""
        self._push(Planned(content=raw, usage=usage))

    def respond_refusal(self, text: str, *, usage: tuple[int, int] | None = None) -> None:
        """A completion with ``message.refusal`` set and null content."""
        self._push(Planned(refusal=text, usage=usage))

    def respond_status(
        self,
        status: int,
        *,
        retry_after: float | None = None,
        message: str | None = None,
        code: str | None = None,
        error_type: str = "standin_error",
    ) -> None:
        """An error status with an OpenAI-style error body (``code``/``error_type``: its ``code`` and ``type``, e.g.
        ``insufficient_quota``) and an optional Retry-After header."""
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        body = {
            "error": {
                "message": message or f"stand-in planned HTTP {status}",
                "type": error_type,
                "param": None,
                "code": code,
            }
        }
        self._push(Planned(status=status, body=body, headers=headers))

    def respond_no_choices(self, *, usage: tuple[int, int] | None = None) -> None:
        """A 200 completion whose ``choices`` list is empty (some servers' answer to a filtered or failed generation),
        with its usage."""
        self._push(Planned(no_choices=True, usage=usage))

    def respond_delay(self, seconds: float, then: object | None = None) -> None:
        """Wait ``seconds`` before answering (to trigger client timeouts), then answer with ``then``."""
        content = json.dumps(then) if then is not None else json.dumps({"delayed": True})
        self._push(Planned(content=content, delay_s=seconds))

    def reset(self) -> None:
        with self._lock:
            self._plan.clear()
            self._recorded.clear()

    @property
    def requests(self) -> list[Any]:
        """The JSON bodies of every chat completion request received, in order."""
        with self._lock:
            return [r.body for r in self._recorded if r.path.endswith("/chat/completions")]

    @property
    def recorded(self) -> list[Recorded]:
        with self._lock:
            return list(self._recorded)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._plan)

    # -- handlers ----------------------------------------------------------------------------
    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": self.model, "object": "model"}]})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        raw = await request.text()
        try:
            body: Any = json.loads(raw)
        except json.JSONDecodeError:
            body = raw
        with self._lock:
            self._recorded.append(Recorded(request.path, body, dict(request.headers), time.monotonic()))
            planned = self._plan.popleft() if self._plan else None
            self._counter += 1
            number = self._counter
        if planned is None:
            return web.json_response(
                {
                    "error": {
                        "message": "OpenAI stand-in: no response planned for this request "
                        "(call respond_json/respond_text/... first)",
                        "type": "standin_error",
                        "param": None,
                        "code": None,
                    }
                },
                status=500,
                headers={"x-should-retry": "false"},
            )
        if planned.delay_s:
            await asyncio.sleep(planned.delay_s)
        if planned.status != 200 or planned.body is not None:
            return web.json_response(planned.body or {}, status=planned.status, headers=planned.headers)
        return web.json_response(self._completion(number, body, planned), headers=planned.headers)

    def _completion(self, number: int, body: Any, planned: Planned) -> dict[str, Any]:
        model = body.get("model", self.model) if isinstance(body, dict) else self.model
        if planned.usage is not None:
            prompt_tokens, completion_tokens = planned.usage
        else:
            messages = body.get("messages", []) if isinstance(body, dict) else []
            prompt_tokens = max(1, len(json.dumps(messages)) // 4)
            completion_tokens = max(1, len(planned.content or planned.refusal or "") // 4)
        return {
            "id": f"chatcmpl-standin-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [] if planned.no_choices else [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": planned.content, "refusal": planned.refusal},
                    "logprobs": None,
                    "finish_reason": planned.finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
