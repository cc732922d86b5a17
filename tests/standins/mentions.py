"""The bot must never make Slack ping a channel or read a person's ``<`` as markup.

Slack parses ``<...>`` in every text field (message ``text``, ``mrkdwn`` and ``plain_text`` objects, views, file
comments): ``<!channel>``, ``<!here>`` and ``<!everyone>`` notify everybody, and any other ``<`` starts a link or a
mention. Text people typed must reach Slack escaped (``&`` ``<`` ``>`` as ``&amp;`` ``&lt;`` ``&gt;``), see
https://api.slack.com/reference/surfaces/formatting#escaping. What remains legitimate are the entities the bot
writes itself: user and channel mentions, user groups, dates and links.
"""

from __future__ import annotations

import re
from typing import Any

BROADCAST = re.compile(r"<!(channel|here|everyone|group)\b[^>]*>?", re.IGNORECASE)
# <@U123>, <#C123|name>, <!subteam^S123>, <!date^1700000000^{date}|fallback>, <https://x|label>, <mailto:a@b>
ENTITY = re.compile(
    r"<(?:[@#][A-Z0-9]+(?:\|[^<>]*)?"
    r"|!(?:subteam|date)\^[^<>]*"
    r"|(?:https?|mailto|slack|tel):[^<>|\s]+(?:\|[^<>]*)?)>"
)
TEXT_OBJECT_TYPES = ("plain_text", "mrkdwn")


def text_problems(text: Any, where: str) -> list[str]:
    """A broadcast mention, or a ``<`` that is not one of the bot's own entities (unescaped user text)."""
    if not isinstance(text, str) or "<" not in text:
        return []
    found = [f"{where}: posts {m.group(0)!r}, which notifies everyone in the channel"
             for m in BROADCAST.finditer(text)]
    rest = ENTITY.sub("", BROADCAST.sub("", text))
    at = rest.find("<")
    if at >= 0:
        found.append(f"{where}: unescaped '<' (escape user text as &lt;): {rest[max(0, at - 30):at + 30]!r}")
    return found


def payload_problems(payload: Any, where: str) -> list[str]:
    """:func:`text_problems` for every text object (``plain_text``/``mrkdwn``) in blocks, a view or attachments."""
    found: list[str] = []
    if isinstance(payload, dict):
        if payload.get("type") in TEXT_OBJECT_TYPES:
            return text_problems(payload.get("text"), f"{where} {payload['type']}")
        for key, value in payload.items():
            if key in ("text", "pretext", "fallback", "title") and isinstance(value, str):
                found += text_problems(value, f"{where} {key}")  # attachment fields
            else:
                found += payload_problems(value, where)
    elif isinstance(payload, list):
        for item in payload:
            found += payload_problems(item, where)
    return found


def message_problems(params: dict[str, Any], where: str) -> list[str]:
    """Everything Slack would parse in a message (chat.*, response_url bodies)."""
    found = text_problems(params.get("text"), f"{where} text")
    found += text_problems(params.get("markdown_text"), f"{where} markdown_text")
    for key in ("blocks", "attachments"):
        found += payload_problems(params.get(key), where)
    return found
