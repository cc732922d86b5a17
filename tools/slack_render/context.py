"""What the renderer needs to know about the workspace: names, the clock and who is looking."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo


@dataclass(frozen=True)
class RenderContext:
    """Names for ids, the reader's clock and time zone, and the reader (for ephemerals)."""

    users: dict[str, str] = field(default_factory=dict)  # user id -> display name
    channels: dict[str, str] = field(default_factory=dict)  # channel id -> name without '#'
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    tz: tzinfo = UTC
    viewer: str | None = None  # show only this user's ephemerals; None shows everyone's, labelled
    bot_name: str = "ftcheck"

    def user_name(self, uid: str) -> str:
        return self.users.get(uid, uid)

    def channel_name(self, cid: str) -> str:
        return self.channels.get(cid, cid)

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz)
