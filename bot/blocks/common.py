"""Small Block Kit pieces shared by every builder; text from people or models is escaped here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scoring.render import bar
from scoring.render import plural as plural  # re-exported: "1 evaluation", "2 evaluations"
from scoring.suggest.evidence import escape_mrkdwn

Block = dict[str, Any]

SECTION_LIMIT = 3000
MAX_BLOCKS = 50


def esc(text: str | None) -> str:
    """Escape text that people or a model wrote, so it cannot ping (<!channel>) or link."""
    return escape_mrkdwn(text or "")


def one_line(text: str, limit: int, *, at_word: bool = False) -> str:
    """``text`` on one line, at most ``limit`` characters: a longer one is cut with "…" (``at_word``: at a word
    boundary in its second half). Both front ends shorten what people wrote with it."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if not at_word:
        return cut.rstrip() + "…"
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


def clip(text: str, limit: int = SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(text: str, **extra: Any) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text)}, **extra}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(t, 3000)} for t in texts[:10]]}


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, 150), "emoji": True}}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    b: Block = {"type": "button", "text": {"type": "plain_text", "text": clip(text, 75), "emoji": True},
                "action_id": action_id, "value": value}
    if style:
        b["style"] = style
    return b


def actions(block_id: str, *elements: Block) -> Block:
    return {"type": "actions", "block_id": block_id, "elements": list(elements)[:25]}


def user(uid: str) -> str:
    """Mention a Slack user id; terminal names are shown as text."""
    return f"<@{uid}>" if uid[:1] in ("U", "W") and uid.isalnum() else esc(uid)


def when(at: datetime) -> str:
    """Slack renders this in each reader's own time zone."""
    epoch = int(at.timestamp())
    fallback = at.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{fallback}>"


def limit_blocks(blocks: list[Block], note: str = "(more in the exported record)") -> list[Block]:
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    return [*blocks[: MAX_BLOCKS - 1], context(note)]


def slack_bar(score: float, maximum: float) -> str:
    """A progress bar as Slack shows it well (no code style: inline code renders red)."""
    return bar(score, maximum, full="\u25b0", empty="\u25b1")
