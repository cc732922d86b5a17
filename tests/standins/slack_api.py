"""A local HTTP stand-in for the Slack Web API, served from a background thread."""

from __future__ import annotations

import asyncio
import copy
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

from aiohttp import web
from aiohttp.web_request import FileField

from tests.standins.slack_records import (
    Call,
    Channel,
    Ephemeral,
    FailurePlan,
    Message,
    ResponsePost,
    ResponseTarget,
    UploadedFile,
)
from tests.standins.slack_spec import DEFAULT_SPEC_PATH, SlackApiSpec, load_spec
from tests.standins.slack_workspace import ApiError, Params, Workspace, flag
from tests.standins.threaded_server import ThreadedServer

T = TypeVar("T")

# Arguments Slack accepts as JSON strings inside form bodies.
JSON_ARGS = ("blocks", "attachments", "view", "metadata", "files")
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
FAILURE_ERRORS = {429: "ratelimited", 500: "internal_error", 503: "service_unavailable"}


def _ts_key(ts: str) -> tuple[int, float, str]:
    try:
        return (0, float(ts), ts)
    except ValueError:
        return (1, 0.0, ts)


class _Workspace(Workspace):
    """The workspace with its user groups (``<!subteam^S1>`` in a message names one)."""

    def __init__(self, *, team_id: str, bot_user_id: str) -> None:
        self.usergroups: dict[str, dict[str, Any]] = {}
        super().__init__(team_id=team_id, bot_user_id=bot_user_id)

    def reset(self) -> None:
        super().reset()
        self.usergroups = {}

    def api_usergroups_list(self, params: Params) -> dict[str, Any]:
        """https://docs.slack.dev/reference/methods/usergroups.list (scope ``usergroups:read``): ``{"ok": true,
        "usergroups": [<usergroup object>…]}``, each with ``id``, ``team_id``, ``is_usergroup``, ``name``,
        ``description``, ``handle``, ``date_delete`` (non-zero: disabled) …; a disabled group is listed only with
        ``include_disabled``, the members (``users``) only with ``include_users``."""
        disabled, with_users = flag(params.get("include_disabled")), flag(params.get("include_users"))
        listed = [g for g in self.usergroups.values() if disabled or not g["date_delete"]]
        return {"ok": True, "usergroups": [
            {k: v for k, v in g.items() if k != "users" or with_users} for g in copy.deepcopy(listed)]}


def _token_problem(method: str, authorization: str | None) -> str | None:
    if not authorization:
        return "not_authed"
    prefix = "xapp-" if method in APP_TOKEN_METHODS else "xoxb-"
    scheme, _, token = authorization.partition(" ")
    if scheme != "Bearer" or not token.startswith(prefix) or len(token) <= len(prefix):
        return "invalid_auth"
    return None


class SlackStandIn:
    """Slack Web API + response_url + file-upload endpoints that the real slack_sdk clients talk to."""

    def __init__(
        self,
        *,
        spec_path: Path = DEFAULT_SPEC_PATH,
        bot_user_id: str = "UBOT",
        team_id: str = "T0001",
    ) -> None:
        self.spec: SlackApiSpec = load_spec(spec_path)
        self._ws = _Workspace(team_id=team_id, bot_user_id=bot_user_id)
        self._lock = threading.RLock()
        self._calls: list[Call] = []
        self._plans: dict[str, FailurePlan] = {}
        self._server: ThreadedServer | None = None
        self.port = 0

    # ----- lifecycle

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """Pass as base_url= to WebClient / AsyncWebClient / AsyncApp's client."""
        return f"{self.root_url}/api/"

    def start(self) -> None:
        if self._server is not None:
            return
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{name}", self._handle_response_url)
        app.router.add_post("/upload/v1/{file_id}", self._handle_upload)
        self._server = ThreadedServer(app, name="slack-standin")
        self.port = self._server.start()
        with self._lock:
            self._ws.root_url = self.root_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> SlackStandIn:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ----- test-side setup

    def set_channel(
        self,
        channel_id: str,
        *,
        name: str | None = None,
        is_private: bool = False,
        members: list[str] | None = None,
        is_im: bool = False,
        is_archived: bool = False,
    ) -> None:
        """Make a channel known to conversations.info / conversations.members (bot is a member by default)."""
        if members is None:
            members = [self._ws.bot_user_id]
        channel = Channel(channel_id, name or channel_id.lower(), is_private, is_im, list(members),
                          is_archived=is_archived)
        with self._lock:
            self._ws.set_channel(channel)

    def set_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        tz: str = "UTC",
        deleted: bool = False,
    ) -> None:
        """Make a user known to users.info (``deleted``: deactivated; conversations.open answers user_disabled)."""
        with self._lock:
            self._ws.set_user(user_id, name=name, real_name=real_name, is_admin=is_admin, is_owner=is_owner, tz=tz,
                              deleted=deleted)

    def set_usergroup(self, group_id: str, *, handle: str, name: str | None = None,
                      users: list[str] | None = None, disabled: bool = False) -> None:
        """Make a user group known to usergroups.list (``<!subteam^S1>`` mentions it)."""
        with self._lock:
            self._ws.usergroups[group_id] = {
                "id": group_id, "team_id": self._ws.team_id, "is_usergroup": True, "name": name or handle,
                "description": "", "handle": handle, "is_external": False, "date_create": 1_700_000_000,
                "date_update": 1_700_000_000, "date_delete": 1_700_000_100 if disabled else 0, "auto_type": None,
                "created_by": "U1", "updated_by": "U1", "deleted_by": None, "prefs": {"channels": [], "groups": []},
                "users": list(users or []), "user_count": str(len(users or [])),
            }

    def add_message(
        self,
        channel: str,
        *,
        text: str,
        user: str,
        ts: str | None = None,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> Message:
        """Seed a message (e.g. a user's, that an event refers to); returns it with its ts."""
        with self._lock:
            msg = Message(
                ts=ts or self._ws.clock.next(),
                channel=channel,
                text=text,
                user=user,
                thread_ts=thread_ts,
                blocks=blocks or [],
            )
            return copy.deepcopy(self._ws.add_message(msg))

    def response_url(
        self,
        name: str = "r",
        *,
        channel: str | None = None,
        user: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """A response_url; with channel/message_ts, replace_original/delete_original act on that message."""
        with self._lock:
            self._ws.response_target(ResponseTarget(name, channel, user, message_ts))
        return f"{self.root_url}/response/{quote(name, safe='')}"

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        error: str | None = None,
        page: str | None = None,
    ) -> None:
        """Next `times` calls to `method` fail: HTTP status (429 + Retry-After), or 200 ok:false `error`; ``page``
        ("text/html", "text/plain"): the failing status comes with such a page instead of Slack's JSON, as a
        load balancer or proxy in front of Slack answers during an outage."""
        with self._lock:
            if times <= 0:  # the outage is over
                self._plans.pop(method, None)
                return
            self._plans[method] = FailurePlan(status, retry_after, times, error, page)

    def reset(self) -> None:
        """Forget calls, messages, views, files, violations, failure plans, channels, people and user groups."""
        with self._lock:
            self._calls.clear()
            self._plans.clear()
            self._ws.reset()

    # ----- test-side inspection (copies, safe to use from any thread)

    def _read(self, fn: Callable[[], T]) -> T:
        with self._lock:
            return copy.deepcopy(fn())

    @property
    def calls(self) -> list[Call]:
        """Every Web API call so far (a Call is never changed once answered, so no deep copy)."""
        with self._lock:
            return list(self._calls)

    @property
    def response_posts(self) -> list[ResponsePost]:
        with self._lock:
            return list(self._ws.response_posts)

    @property
    def violations(self) -> list[str]:
        return self._read(lambda: self._ws.violations)

    def take_violations(self, prefix: str) -> list[str]:
        """Remove and return the violations starting with ``prefix``: a test that sends a bad call on purpose."""
        with self._lock:
            taken = [v for v in self._ws.violations if v.startswith(prefix)]
            self._ws.violations[:] = [v for v in self._ws.violations if not v.startswith(prefix)]
            return taken

    @property
    def files(self) -> list[UploadedFile]:
        return self._read(lambda: [f for f in self._ws.files.values() if f.completed])

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def dm_channel(self, user_id: str) -> str | None:
        """The D id of the bot's DM with a person (conversations.open, or a post to their user id), if opened."""
        with self._lock:
            return self._ws.dms.get(user_id)

    def messages(self, channel: str, *, top_level: bool = False) -> list[Message]:
        """Messages now in the channel (after updates/deletes), ts order; replies too unless top_level. A user id
        stands for the bot's DM with that person (where Slack puts a post to a user id)."""

        def pick() -> list[Message]:
            where = self._ws.dms.get(channel, channel)
            found = [m for (ch, _), m in self._ws.messages.items() if ch == where]
            if top_level:
                found = [m for m in found if not m.is_reply or m.reply_broadcast]
            return sorted(found, key=lambda m: _ts_key(m.ts))

        return self._read(pick)

    def thread(self, channel: str, thread_ts: str) -> list[Message]:
        """The parent (when known) followed by its replies, in ts order."""
        return [m for m in self.messages(channel) if m.ts == thread_ts or m.thread_ts == thread_ts]

    def ephemerals(self, channel: str | None = None, user: str | None = None) -> list[Ephemeral]:
        return self._read(
            lambda: [
                e
                for e in self._ws.ephemerals
                if (channel is None or e.channel == channel) and (user is None or e.user == user)
            ]
        )

    def view(self, view_id: str) -> dict[str, Any] | None:
        """The view as last opened/updated (views.open, views.update, views.publish)."""
        return self._read(lambda: self._ws.views.get(view_id))

    def views(self) -> list[dict[str, Any]]:
        return self._read(lambda: list(self._ws.views.values()))

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The last view published to a user's App Home."""
        return self._read(lambda: self._ws.home_views.get(user_id))

    def reactions(self) -> list[tuple[str, str, str]]:
        """(channel, ts, name) for every reactions.add."""
        return self._read(lambda: self._ws.reactions)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 15, what: str = "condition") -> None:
        """Poll predicate until true; AssertionError after timeout."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} not met within {timeout}s; violations={self.violations}")
            await asyncio.sleep(0.01)

    def wait_for_sync(self, predicate: Callable[[], bool], timeout: float = 5, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} not met within {timeout}s; violations={self.violations}")
            time.sleep(0.01)

    # ----- HTTP handlers (run on the stand-in's own loop)

    async def _read_params(self, request: web.Request) -> tuple[Params, list[str]]:
        params: Params = dict(request.query)
        problems: list[str] = []
        if request.body_exists:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except json.JSONDecodeError:
                    body = None
                if not isinstance(body, dict):
                    problems.append("JSON body must be an object")
                else:
                    params.update(body)
            elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                for key, field in (await request.post()).items():
                    if isinstance(field, FileField):
                        params[key] = field.file.read()
                    else:
                        params[key] = field if isinstance(field, str) else bytes(field)
            else:
                problems.append(f"unsupported content type {request.content_type!r}")
        for key in JSON_ARGS:
            value = params.get(key)
            if isinstance(value, str):
                try:
                    params[key] = json.loads(value)
                except json.JSONDecodeError:
                    problems.append(f"argument `{key}` is not valid JSON")
        return params, problems

    def _take_failure(self, method: str) -> web.Response | None:
        plan = self._plans.get(method)
        if plan is None:
            return None
        plan.times -= 1
        if plan.times <= 0:
            del self._plans[method]
        if plan.error is not None:
            return web.json_response({"ok": False, "error": plan.error})
        headers = {"Retry-After": str(plan.retry_after)} if plan.status == 429 else {}
        if plan.page is not None:
            return web.Response(text=f"{plan.status} upstream unavailable", status=plan.status, headers=headers,
                                content_type=plan.page)
        body = {"ok": False, "error": FAILURE_ERRORS.get(plan.status, "fatal_error")}
        return web.json_response(body, status=plan.status, headers=headers)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params, problems = await self._read_params(request)
        call = Call(method, params, dict(request.headers), http_verb=request.method)
        with self._lock:
            self._calls.append(call)
            failure = self._take_failure(method)
            if failure is not None:
                call.status = failure.status
                call.response = {} if failure.content_type != "application/json" else json.loads(failure.text or "{}")
                return failure
            body = self._dispatch(method, params, problems, request.headers.get("Authorization"))
            call.response = body
        return web.json_response(body)

    def _dispatch(self, method: str, params: Params, problems: list[str], auth: str | None) -> dict[str, Any]:
        ws = self._ws
        spec = self.spec.get(method)
        handler = getattr(ws, "api_" + method.replace(".", "_"), None)
        if spec is None or handler is None:
            why = "is not in Slack's spec" if spec is None else "is not implemented by the stand-in"
            ws.violation(f"{method}: method {why}")
            return {"ok": False, "error": "unknown_method"}
        token_problem = _token_problem(method, auth)
        if token_problem is not None:
            ws.violation(f"{method}: {token_problem} (Authorization: Bearer token missing or malformed)")
            return {"ok": False, "error": token_problem}
        problems = problems + spec.problems(params)
        if params.get("team_id") not in (None, ws.team_id):
            problems.append(f"team_id {params['team_id']!r} is not this workspace ({ws.team_id})")
        if problems:
            ws.violations.extend(f"{method}: {p}" for p in problems)
            return ApiError("invalid_arguments", problems).body()
        try:
            result: dict[str, Any] = handler(params)
        except ApiError as exc:
            return exc.body()
        return result

    async def _handle_response_url(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        headers = dict(request.headers)
        raw = await request.read()
        with self._lock:
            failure = self._take_failure("response_url")
            if failure is not None:
                return failure
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                body = None
            if request.content_type != "application/json" or not isinstance(body, dict):
                self._ws.violation(f"response_url:{name}: body must be a JSON object sent as application/json")
                return web.Response(status=400, text="invalid_payload", content_type="text/plain")
            self._ws.response_post(ResponsePost(name, body, headers))
        return web.Response(text="ok", content_type="text/plain")

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        content = await request.read()
        with self._lock:
            accepted = self._ws.upload(request.match_info["file_id"], content)
        if not accepted:
            return web.Response(status=404, text="not_found", content_type="text/plain")
        return web.Response(text=f"OK - {len(content)}", content_type="text/plain")
