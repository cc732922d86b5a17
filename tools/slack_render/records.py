"""The renderer's input: one message as a reader's Slack client holds it (after every edit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class RenderMessage:
    """A message in its final state; ``ephemeral_to`` set means only that user sees it."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    user: str | None = None
    is_bot: bool = False
    thread_ts: str | None = None
    ephemeral_to: str | None = None
    reply_broadcast: bool = False
    posted_at: datetime | None = None  # when it was first posted; default: read from ts

    @property
    def ephemeral(self) -> bool:
        return self.ephemeral_to is not None

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    @property
    def at(self) -> datetime:
        if self.posted_at is not None:
            return self.posted_at
        try:
            return datetime.fromtimestamp(float(self.ts), UTC)
        except ValueError:
            return datetime.fromtimestamp(0, UTC)

    def sender(self) -> tuple[bool, str | None]:
        return (self.is_bot, None if self.is_bot else self.user)


def ts_key(ts: str) -> tuple[int, float, str]:
    try:
        return (0, float(ts), ts)
    except ValueError:
        return (1, 0.0, ts)
