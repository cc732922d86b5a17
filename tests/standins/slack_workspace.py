"""The stand-in's Slack workspace: state plus the Web API methods that act on it (no HTTP here)."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tests.standins import block_kit, mentions
from tests.standins.slack_records import (
    Channel,
    Ephemeral,
    Message,
    ResponsePost,
    ResponseTarget,
    UploadedFile,
    User,
)

TS_RE = re.compile(r"^\d{10}\.\d{6}$")
USER_ID_RE = re.compile(r"^[UW][A-Z0-9]+$")  # a channel argument like this is a person: the bot's DM with them
MPIM_MAX_USERS = 8  # conversations.open: "too_many_users"
RESPONSE_URL_MAX_USES = 5
RESPONSE_FIELDS = frozenset(
    {
        "text", "blocks", "attachments", "response_type", "replace_original", "delete_original",
        "thread_ts", "mrkdwn", "unfurl_links", "unfurl_media", "metadata",
    }
)  # fmt: skip

Params = dict[str, Any]


class ApiError(Exception):
    """Answer {"ok": false, "error": error}; `messages` go to response_metadata.messages."""

    def __init__(self, error: str, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.error}
        if self.messages:
            body["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in self.messages]}
        return body


def flag(value: Any) -> bool:
    """Slack booleans arrive as true/false (JSON) or "1"/"0"/"true" (form)."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


class TsClock:
    """Message timestamps like Slack's ("1700000000.000100"), strictly increasing."""

    def __init__(self, start_us: int = 1_700_000_000_000_100, step_us: int = 100) -> None:
        self._next = start_us
        self._step = step_us

    def next(self) -> str:
        value = self._next
        self._next += self._step
        return f"{value // 1_000_000}.{value % 1_000_000:06d}"


class Workspace:
    """Everything the stand-in remembers; callers hold the stand-in's lock around every use."""

    def __init__(self, *, team_id: str, bot_user_id: str, bot_id: str = "B0FTCHECK") -> None:
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = "A0FTCHECK"
        self.domain = "ftcheck-test"
        self.root_url = "http://127.0.0.1:0"
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, User] = {}
        self.dms: dict[str, str] = {}  # user id -> the D id of the bot's DM with them: one each, kept across reset()
        self.reset()

    def reset(self) -> None:
        """Forget messages, views, files, violations, channels, people and user groups (all but the bot itself): a
        test sees only what it or its fixtures set up, whichever test ran before it in the same process."""
        self.channels = {}
        self.users = {}
        self.set_user(self.bot_user_id, name="ftcheck", is_bot=True)
        self.clock = TsClock()
        self.violations: list[str] = []
        self.messages: dict[tuple[str, str], Message] = {}
        self.ephemerals: list[Ephemeral] = []
        self.response_posts: list[ResponsePost] = []
        self.response_targets: dict[str, ResponseTarget] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.files: dict[str, UploadedFile] = {}
        self.reactions: list[tuple[str, str, str]] = []  # (channel, ts, name)
        self._counter = 0

    # ----- setup helpers

    def set_channel(self, channel: Channel) -> None:
        self.channels[channel.id] = channel

    def set_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        is_bot: bool = False,
        deleted: bool = False,
        tz: str = "UTC",
    ) -> None:
        name = name or user_id.lower()
        self.users[user_id] = User(user_id, name, real_name or name.title(), is_admin, is_owner, is_bot, deleted, tz)

    def violation(self, text: str) -> None:
        self.violations.append(text)

    def new_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter:08d}"

    def add_message(self, message: Message) -> Message:
        self.messages[(message.channel, message.ts)] = message
        return message

    def message_json(self, msg: Message) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "message", "ts": msg.ts, "text": msg.text, "user": msg.user}
        if msg.bot_id:
            body.update(bot_id=msg.bot_id, app_id=self.app_id, team=self.team_id)
        if msg.blocks:
            body["blocks"] = msg.blocks
        if msg.thread_ts:
            body["thread_ts"] = msg.thread_ts
            parent = self.messages.get((msg.channel, msg.thread_ts))
            if parent is not None and msg.is_reply:
                body["parent_user_id"] = parent.user
        if msg.metadata is not None:
            body["metadata"] = msg.metadata
        if msg.files:
            body["files"] = [{"id": f} for f in msg.files]
        return body

    def _existing(self, channel: Any, ts: Any) -> Message:
        msg = self.messages.get((str(channel), str(ts)))
        if msg is None:
            raise ApiError("message_not_found")
        return msg

    # ----- shared checks

    def _check_message_payload(self, params: Params, where: str, *, text: Any, require_content: bool) -> None:
        blocks = params.get("blocks")
        problems = block_kit.check_text(text, where=where)
        if problems:
            self.violations.extend(problems)
            raise ApiError("msg_too_long", problems)
        if blocks is not None:
            problems = block_kit.check_blocks(blocks, max_blocks=block_kit.MESSAGE_MAX_BLOCKS, where=where)
            if problems:
                self.violations.extend(problems)
                raise ApiError("invalid_blocks", problems)
        self.violations.extend(
            block_kit.missing_fallback(text=text, blocks=blocks, markdown_text=params.get("markdown_text"), where=where)
        )
        self.violations.extend(mentions.message_problems({**params, "text": text}, where))
        has_content = any(params.get(k) for k in ("text", "blocks", "attachments", "markdown_text"))
        if require_content and not has_content:
            self.violation(f"{where}: no text, blocks or attachments")
            raise ApiError("no_text")

    def _check_thread_ts(self, value: Any, where: str) -> str | None:
        if value is None or value == "":
            return None
        thread_ts = str(value)
        if not TS_RE.match(thread_ts):
            self.violation(f"{where}: thread_ts {thread_ts!r} is not a message ts")
        return thread_ts

    def _check_metadata(self, value: Any, where: str) -> dict[str, Any] | None:
        if value is None:
            return None
        if (
            not isinstance(value, dict)
            or not isinstance(value.get("event_type"), str)
            or not isinstance(value.get("event_payload"), dict)
        ):
            self.violation(f"{where}: metadata needs event_type (string) and event_payload (object)")
            raise ApiError("invalid_metadata_format")
        return value

    # ----- Web API methods (api_<method with dots as underscores>)

    def api_auth_test(self, params: Params) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{self.domain}.slack.com/",
            "team": "ftcheck test",
            "user": self.users[self.bot_user_id].name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def api_chat_postMessage(self, params: Params) -> dict[str, Any]:
        text = params.get("text")
        self._check_message_payload(params, "chat.postMessage", text=text, require_content=True)
        thread_ts = self._check_thread_ts(params.get("thread_ts"), "chat.postMessage")
        metadata = self._check_metadata(params.get("metadata"), "chat.postMessage")
        channel = str(params["channel"])
        if USER_ID_RE.match(channel):  # Slack posts it in the app's DM with that person, and answers with the D id
            channel = self.open_dm(channel).id
        self._check_not_archived(channel)
        msg = self.add_message(
            Message(
                ts=self.clock.next(),
                channel=channel,
                text=_str(text) or "",
                user=self.bot_user_id,
                thread_ts=thread_ts,
                blocks=list(params.get("blocks") or []),
                metadata=metadata,
                bot_id=self.bot_id,
                reply_broadcast=flag(params.get("reply_broadcast")),
            )
        )
        return {"ok": True, "channel": channel, "ts": msg.ts, "message": self.message_json(msg)}

    def _check_not_archived(self, channel: str) -> None:
        known = self.channels.get(channel)
        if known is not None and known.is_archived:
            raise ApiError("is_archived")

    def api_chat_update(self, params: Params) -> dict[str, Any]:
        self._check_not_archived(str(params.get("channel")))
        msg = self._existing(params["channel"], params["ts"])
        if msg.user != self.bot_user_id:
            raise ApiError("cant_update_message")
        text = params.get("text", msg.text)
        self._check_message_payload(params, "chat.update", text=text, require_content=False)
        metadata = self._check_metadata(params.get("metadata"), "chat.update")
        msg.text = _str(text) or ""
        if "blocks" in params:  # Slack keeps the old blocks when none are sent
            msg.blocks = list(params["blocks"] or [])
        if metadata is not None:
            msg.metadata = metadata
        msg.edits += 1
        return {
            "ok": True,
            "channel": msg.channel,
            "ts": msg.ts,
            "text": msg.text,
            "message": self.message_json(msg),
        }

    def api_chat_delete(self, params: Params) -> dict[str, Any]:
        msg = self._existing(params.get("channel"), params.get("ts"))
        if msg.user != self.bot_user_id:
            raise ApiError("cant_delete_message")
        del self.messages[(msg.channel, msg.ts)]
        return {"ok": True, "channel": msg.channel, "ts": msg.ts}

    def api_chat_postEphemeral(self, params: Params) -> dict[str, Any]:
        text = params.get("text")
        self._check_message_payload(params, "chat.postEphemeral", text=text, require_content=True)
        channel, user = str(params["channel"]), str(params["user"])
        known = self.channels.get(channel)
        if known is not None and known.members and user not in known.members:
            raise ApiError("user_not_in_channel")
        ts = self.clock.next()
        self.ephemerals.append(
            Ephemeral(
                channel=channel,
                user=user,
                text=_str(text) or "",
                blocks=list(params.get("blocks") or []),
                thread_ts=self._check_thread_ts(params.get("thread_ts"), "chat.postEphemeral"),
                message_ts=ts,
                source="chat.postEphemeral",
            )
        )
        return {"ok": True, "message_ts": ts}

    def api_chat_getPermalink(self, params: Params) -> dict[str, Any]:
        channel, ts = str(params["channel"]), str(params["message_ts"])
        link = f"https://{self.domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        msg = self.messages.get((channel, ts))
        if msg is not None and msg.is_reply:
            link += f"?thread_ts={msg.thread_ts}&cid={channel}"
        return {"ok": True, "channel": channel, "permalink": link}

    def _channel(self, params: Params) -> Channel:
        channel = self.channels.get(str(params.get("channel")))
        if channel is None:
            raise ApiError("channel_not_found")
        return channel

    def open_dm(self, user_id: str) -> Channel:
        """The bot's 1:1 DM with a person, made on first use; the same D id for that person every time after."""
        dm_id = self.dms.setdefault(user_id, f"D{len(self.dms) + 1:08d}")
        if dm_id not in self.channels:
            self.set_channel(Channel(dm_id, dm_id.lower(), is_private=True, is_im=True,
                                     members=[self.bot_user_id, user_id]))
        return self.channels[dm_id]

    def _im_json(self, ch: Channel) -> dict[str, Any]:
        other = next((m for m in ch.members if m != self.bot_user_id), None)
        return {"id": ch.id, "created": ch.created, "is_im": True, "is_org_shared": False, "user": other,
                "is_user_deleted": False, "priority": 0}

    def api_conversations_open(self, params: Params) -> dict[str, Any]:
        """https://api.slack.com/methods/conversations.open: ``users`` (comma-separated; one id opens the bot's
        1:1 DM with that person) or ``channel`` (a DM's D id, to resume it). Answers ``{"ok": true, "channel":
        {"id": "D…"}}``, with ``"no_op": true, "already_open": true`` when it was open already, and the whole IM
        object as ``channel`` with ``return_im``. The stand-in opens 1:1 DMs only (no multi-person DMs)."""
        users = [u.strip() for u in str(params.get("users") or "").split(",") if u.strip()]
        channel = _str(params.get("channel"))
        if users and channel:
            self.violation("conversations.open: pass users or channel, not both")
            raise ApiError("invalid_arguments", ["pass users or channel, not both"])
        if channel:
            known = self.channels.get(channel)
            if known is None:
                raise ApiError("channel_not_found")
            if not known.is_im:
                raise ApiError("method_not_supported_for_channel_type")
            return self._opened(known, params, already=True)
        if not users:
            raise ApiError("users_list_not_supplied")
        if len(users) > MPIM_MAX_USERS:
            raise ApiError("too_many_users")
        if len(users) > 1:
            self.violation("conversations.open: the stand-in opens 1:1 DMs only (one user id in `users`)")
            raise ApiError("method_not_supported_for_channel_type")
        (user_id,) = users
        if not USER_ID_RE.match(user_id):
            raise ApiError("user_not_found")
        known_user = self.users.get(user_id)
        if known_user is not None and known_user.deleted:
            raise ApiError("user_disabled")
        already = user_id in self.dms and self.dms[user_id] in self.channels
        return self._opened(self.open_dm(user_id), params, already=already)

    def _opened(self, ch: Channel, params: Params, *, already: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": True}
        if already:
            body.update(no_op=True, already_open=True)
        if flag(params.get("return_im")):
            body["channel"] = {**self._im_json(ch), "last_read": "0000000000.000000", "latest": None,
                               "unread_count": 0, "unread_count_display": 0, "is_open": True}
        else:
            body["channel"] = {"id": ch.id}
        return body

    def api_conversations_info(self, params: Params) -> dict[str, Any]:
        ch = self._channel(params)
        info: dict[str, Any]
        if ch.is_im:
            info = self._im_json(ch)
        else:
            info = {
                "id": ch.id,
                "name": ch.name,
                "name_normalized": ch.name,
                "is_channel": not ch.is_private,
                "is_group": ch.is_private,
                "is_im": False,
                "is_mpim": False,
                "is_private": ch.is_private,
                "created": ch.created,
                "is_archived": ch.is_archived,
                "is_general": ch.name == "general",
                "is_shared": False,
                "is_org_shared": False,
                "is_member": self.bot_user_id in ch.members,
                "creator": ch.members[0] if ch.members else "",
                "topic": {"value": "", "creator": "", "last_set": 0},
                "purpose": {"value": "", "creator": "", "last_set": 0},
            }
        if flag(params.get("include_num_members")) and not ch.is_im:
            info["num_members"] = len(ch.members)
        return {"ok": True, "channel": info}

    def _page(self, found: list[Message], params: Params, with_metadata: bool) -> dict[str, Any]:
        """One page of messages as conversations.history/replies return them (cursor = offset, base64)."""
        try:
            limit = max(1, min(int(params.get("limit") or 100), 1000))
            start = int(base64.b64decode(str(params["cursor"])).decode()) if params.get("cursor") else 0
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise ApiError("invalid_cursor") from exc
        page = found[start : start + limit]
        body = [self.message_json(m) for m in page]
        if not with_metadata:
            for b in body:
                b.pop("metadata", None)
        more = start + limit < len(found)
        cursor = base64.b64encode(str(start + limit).encode()).decode() if more else ""
        return {"ok": True, "messages": body, "has_more": more, "response_metadata": {"next_cursor": cursor}}

    def api_conversations_history(self, params: Params) -> dict[str, Any]:
        """Top-level messages of a channel, newest first, after ``oldest`` when given."""
        channel = self._channel(params)
        oldest = float(params.get("oldest") or 0)
        found = sorted((m for (c, _), m in self.messages.items()
                        if c == channel.id and not m.is_reply and float(m.ts) > oldest),
                       key=lambda m: float(m.ts), reverse=True)
        return self._page(found, params, flag(params.get("include_all_metadata")))

    def api_conversations_replies(self, params: Params) -> dict[str, Any]:
        """A thread: its parent first, then the replies oldest first."""
        channel = self._channel(params)
        ts = _str(params.get("ts"))
        if ts is None or (channel.id, ts) not in self.messages:
            raise ApiError("thread_not_found")
        found = sorted((m for (c, _), m in self.messages.items()
                        if c == channel.id and (m.ts == ts or m.thread_ts == ts)), key=lambda m: float(m.ts))
        return self._page(found, params, flag(params.get("include_all_metadata")))

    def api_conversations_members(self, params: Params) -> dict[str, Any]:
        members = self._channel(params).members
        try:
            limit = int(params.get("limit") or 100)
        except ValueError as exc:
            raise ApiError("invalid_limit") from exc
        limit = max(1, min(limit, 1000))
        start = 0
        cursor = params.get("cursor")
        if cursor:
            try:
                start = members.index(base64.b64decode(str(cursor)).decode().removeprefix("user:"))
            except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
                raise ApiError("invalid_cursor") from exc
        page = members[start : start + limit]
        rest = members[start + limit :]
        next_cursor = base64.b64encode(f"user:{rest[0]}".encode()).decode() if rest else ""
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": next_cursor}}

    def api_users_info(self, params: Params) -> dict[str, Any]:
        user = self.users.get(str(params.get("user")))
        if user is None:
            raise ApiError("user_not_found")
        try:
            offset = ZoneInfo(user.tz).utcoffset(datetime.now(UTC))
            label = datetime.now(ZoneInfo(user.tz)).tzname() or user.tz
        except ZoneInfoNotFoundError:
            self.violation(f"set_user({user.id}): unknown tz {user.tz!r}")
            offset, label = None, user.tz
        profile = {
            "real_name": user.real_name,
            "real_name_normalized": user.real_name,
            "display_name": user.name,
            "display_name_normalized": user.name,
            "team": self.team_id,
        }
        return {
            "ok": True,
            "user": {
                "id": user.id,
                "team_id": self.team_id,
                "name": user.name,
                "deleted": user.deleted,
                "real_name": user.real_name,
                "tz": user.tz,
                "tz_label": label,
                "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
                "profile": profile,
                "is_admin": user.is_admin,
                "is_owner": user.is_owner,
                "is_primary_owner": False,
                "is_restricted": False,
                "is_ultra_restricted": False,
                "is_bot": user.is_bot,
                "is_app_user": False,
                "updated": 1_700_000_000,
            },
        }

    def _store_view(self, view: Any, where: str, *, view_id: str | None = None) -> dict[str, Any]:
        self.violations.extend(mentions.payload_problems(view, where))
        problems = block_kit.check_view(view, where=where)
        if problems:
            self.violations.extend(problems)
            raise ApiError("invalid_arguments", problems)
        view_id = view_id or self.new_id("V")
        stored: dict[str, Any] = {
            "id": view_id,
            "team_id": self.team_id,
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            **view,
            "state": {"values": {}},
            "hash": f"1700000000.{self.new_id('h')}",
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
        }
        self.views[view_id] = stored
        return stored

    def api_views_open(self, params: Params) -> dict[str, Any]:
        if isinstance(params.get("view"), dict) and params["view"].get("type") != "modal":
            self.violation("views.open: only modal views can be opened")
        return {"ok": True, "view": self._store_view(params["view"], "views.open")}

    def api_views_update(self, params: Params) -> dict[str, Any]:
        view_id, external_id = params.get("view_id"), params.get("external_id")
        if bool(view_id) == bool(external_id):
            self.violation("views.update: pass exactly one of view_id / external_id")
            raise ApiError("invalid_arguments", ["exactly one of view_id or external_id is required"])
        if "view" not in params:
            self.violation("views.update: missing view")
            raise ApiError("invalid_arguments", ["missing required field: view"])
        current = (
            self.views.get(str(view_id))
            if view_id
            else next((v for v in self.views.values() if v.get("external_id") == external_id), None)
        )
        if current is None:
            raise ApiError("not_found")
        if params.get("hash") and params["hash"] != current["hash"]:
            raise ApiError("hash_conflict")
        return {"ok": True, "view": self._store_view(params["view"], "views.update", view_id=current["id"])}

    def api_views_publish(self, params: Params) -> dict[str, Any]:
        view = params["view"]
        if isinstance(view, dict) and view.get("type") != "home":
            self.violation("views.publish: the view type must be 'home'")
        stored = self._store_view(view, "views.publish")
        self.home_views[str(params["user_id"])] = stored
        return {"ok": True, "view": stored}

    def api_files_getUploadURLExternal(self, params: Params) -> dict[str, Any]:
        try:
            length = int(params["length"])
        except (TypeError, ValueError) as exc:
            self.violation("files.getUploadURLExternal: length must be an integer")
            raise ApiError("invalid_arguments", ["length must be an integer"]) from exc
        file_id = self.new_id("F")
        self.files[file_id] = UploadedFile(id=file_id, filename=str(params["filename"]), length=length)
        return {"ok": True, "upload_url": f"{self.root_url}/upload/v1/{file_id}", "file_id": file_id}

    def upload(self, file_id: str, content: bytes) -> bool:
        """Bytes POSTed to an upload_url; False when the URL was never issued."""
        pending = self.files.get(file_id)
        if pending is None:
            self.violation(f"upload to unknown upload_url for file {file_id}")
            return False
        if len(content) != pending.length:
            self.violation(f"upload of {file_id}: {len(content)} bytes but length={pending.length} was declared")
        pending.content = content
        return True

    def api_files_completeUploadExternal(self, params: Params) -> dict[str, Any]:
        entries = params["files"]
        if not isinstance(entries, list) or not all(isinstance(e, dict) and e.get("id") for e in entries):
            self.violation("files.completeUploadExternal: files must be a JSON array of {id, title}")
            raise ApiError("invalid_arguments", ["files must be a JSON array of {id, title}"])
        channel_id = _str(params.get("channel_id"))
        thread_ts = self._check_thread_ts(params.get("thread_ts"), "files.completeUploadExternal")
        self.violations.extend(mentions.text_problems(params.get("initial_comment"),
                                                      "files.completeUploadExternal initial_comment"))
        completed: list[UploadedFile] = []
        for entry in entries:
            file = self.files.get(str(entry["id"]))
            if file is None or file.content is None:
                self.violation(f"files.completeUploadExternal: file {entry['id']} was never uploaded")
                raise ApiError("file_not_found")
            file.title = _str(entry.get("title")) or file.filename
            file.channel_id = channel_id
            file.initial_comment = _str(params.get("initial_comment"))
            file.thread_ts = thread_ts
            file.completed = True
            completed.append(file)
        for channel in filter(None, [channel_id, *str(params.get("channels") or "").split(",")]):
            self.add_message(
                Message(
                    ts=self.clock.next(),
                    channel=channel,
                    text=_str(params.get("initial_comment")) or "",
                    user=self.bot_user_id,
                    thread_ts=thread_ts,
                    bot_id=self.bot_id,
                    files=[f.id for f in completed],
                )
            )
        return {"ok": True, "files": [self._file_json(f) for f in completed]}

    def _file_json(self, file: UploadedFile) -> dict[str, Any]:
        return {
            "id": file.id,
            "created": 1_700_000_000,
            "timestamp": 1_700_000_000,
            "name": file.filename,
            "title": file.title,
            "mimetype": "text/plain",
            "filetype": "text",
            "user": self.bot_user_id,
            "size": len(file.content or b""),
            "permalink": f"https://{self.domain}.slack.com/files/{self.bot_user_id}/{file.id}/{file.filename}",
        }

    def api_reactions_add(self, params: Params) -> dict[str, Any]:
        name = str(params["name"])
        if ":" in name:
            self.violation(f"reactions.add: name {name!r} must not contain colons")
            raise ApiError("invalid_name")
        channel, ts = str(params["channel"]), str(params["timestamp"])
        if (channel, ts, name) in self.reactions:
            raise ApiError("already_reacted")
        self.reactions.append((channel, ts, name))
        msg = self.messages.get((channel, ts))
        if msg is not None:
            msg.reactions.append(name)
        return {"ok": True}

    def api_apps_connections_open(self, params: Params) -> dict[str, Any]:
        ws_root = self.root_url.replace("http://", "ws://", 1)
        return {"ok": True, "url": f"{ws_root}/socket-mode?ticket={self.new_id('t')}"}

    # ----- response_url

    def response_target(self, target: ResponseTarget) -> None:
        self.response_targets[target.name] = target

    def response_post(self, post: ResponsePost) -> None:
        """Record and apply one response_url POST."""
        self.response_posts.append(post)
        where = f"response_url:{post.name}"
        target = self.response_targets.setdefault(post.name, ResponseTarget(post.name))
        target.uses += 1
        if target.uses > RESPONSE_URL_MAX_USES:
            self.violation(f"{where}: used {target.uses} times (Slack allows {RESPONSE_URL_MAX_USES})")
        for key in sorted(set(post.body) - RESPONSE_FIELDS):
            self.violation(f"{where}: unknown field `{key}`")
        body = post.body
        if not post.delete_original:
            problems = block_kit.check_text(body.get("text"), where=where)
            if "blocks" in body:
                problems += block_kit.check_blocks(body["blocks"], max_blocks=block_kit.MESSAGE_MAX_BLOCKS, where=where)
            problems += block_kit.missing_fallback(text=body.get("text"), blocks=body.get("blocks"), where=where)
            problems += mentions.message_problems(body, where)
            self.violations.extend(problems)
        self._apply_response(post, target)

    def _apply_response(self, post: ResponsePost, target: ResponseTarget) -> None:
        original = None
        if target.channel and target.message_ts:
            original = self.messages.get((target.channel, target.message_ts))
        if post.delete_original:
            if original is not None:
                del self.messages[(original.channel, original.ts)]
            return
        if post.replace_original:
            if original is not None:
                original.text = post.text or ""
                original.blocks = post.blocks
                original.edits += 1
            return
        if post.response_type == "in_channel" and target.channel:
            self.add_message(
                Message(
                    ts=self.clock.next(),
                    channel=target.channel,
                    text=post.text or "",
                    user=self.bot_user_id,
                    thread_ts=post.thread_ts,
                    blocks=post.blocks,
                    bot_id=self.bot_id,
                )
            )
            return
        if post.response_type == "in_channel":
            return
        self.ephemerals.append(
            Ephemeral(
                channel=target.channel,
                user=target.user,
                text=post.text or "",
                blocks=post.blocks,
                thread_ts=post.thread_ts,
                message_ts=self.clock.next(),
                source=f"response_url:{post.name}",
            )
        )
