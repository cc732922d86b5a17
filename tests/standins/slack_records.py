"""Plain records the Slack stand-in keeps: calls, messages, ephemerals, files, channels, users."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Call:
    """One Web API request as the stand-in received it."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    http_verb: str = "POST"
    time: float = field(default_factory=time.time)
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))


@dataclass
class Message:
    """Current state of a message in a channel (bot's own or seeded with add_message)."""

    ts: str
    channel: str
    text: str
    user: str
    thread_ts: str | None = None
    blocks: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    bot_id: str | None = None
    reply_broadcast: bool = False
    files: list[str] = field(default_factory=list)
    reactions: list[str] = field(default_factory=list)
    edits: int = 0

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts


@dataclass
class Ephemeral:
    """An ephemeral message (chat.postEphemeral or an ephemeral response_url post)."""

    channel: str | None
    user: str | None
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None
    message_ts: str
    source: str  # "chat.postEphemeral" or "response_url:<name>"
    time: float = field(default_factory=time.time)


@dataclass
class ResponsePost:
    """One POST to a response_url."""

    name: str
    body: dict[str, Any]
    headers: dict[str, str]
    time: float = field(default_factory=time.time)

    @property
    def text(self) -> str | None:
        value = self.body.get("text")
        return value if isinstance(value, str) else None

    @property
    def blocks(self) -> list[dict[str, Any]]:
        value = self.body.get("blocks")
        return value if isinstance(value, list) else []

    @property
    def response_type(self) -> str:
        return str(self.body.get("response_type") or "ephemeral")

    @property
    def replace_original(self) -> bool:
        return bool(self.body.get("replace_original"))

    @property
    def delete_original(self) -> bool:
        return bool(self.body.get("delete_original"))

    @property
    def thread_ts(self) -> str | None:
        value = self.body.get("thread_ts")
        return value if isinstance(value, str) else None


@dataclass
class ResponseTarget:
    """What a response_url points at: the channel/user it answers and, optionally, the source message."""

    name: str
    channel: str | None = None
    user: str | None = None
    message_ts: str | None = None
    uses: int = 0


@dataclass
class UploadedFile:
    """A file shared through files.getUploadURLExternal + upload + files.completeUploadExternal."""

    id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channel_id: str | None = None
    initial_comment: str | None = None
    thread_ts: str | None = None
    completed: bool = False


@dataclass
class Channel:
    """A conversation known to conversations.info / conversations.members."""

    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    members: list[str] = field(default_factory=list)
    created: int = 1_700_000_000
    is_archived: bool = False  # posts and updates answer is_archived, as Slack does


@dataclass
class User:
    """A user known to users.info."""

    id: str
    name: str
    real_name: str
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    deleted: bool = False
    tz: str = "UTC"


@dataclass
class FailurePlan:
    """Next `times` calls to a method fail with `status` (and Retry-After) or a 200 ok:false `error`."""

    status: int
    retry_after: int
    times: int
    error: str | None
    page: str | None = None  # a content type: the body is a page, not JSON, as a proxy sends during an outage


def block_text(blocks: list[dict[str, Any]]) -> list[str]:
    """Every text a reader can see in blocks: text objects anywhere (sections, fields, context, buttons,
    select placeholders and options, accessories), in document order."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
                found.append(node["text"])
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return found


def thread_characters(messages: list[Message]) -> int:
    """Issue 11's thread budget: the bot's messages' fallback text plus their block text, in characters.

    Messages in their current state (after updates); people's messages are not counted."""
    return sum(len(m.text) + sum(len(t) for t in block_text(m.blocks)) for m in messages if m.bot_id is not None)
