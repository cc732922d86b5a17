"""Small Block Kit pieces shared by every builder; text from people or models is escaped here."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from scoring.render import bar
from scoring.render import plural as plural  # re-exported: "1 evaluation", "2 evaluations"
from scoring.suggest.evidence import escape_mrkdwn

Block = dict[str, Any]

SECTION_LIMIT = 3000
# a context element is a text object: at most 3,000 characters (Slack's text object reference); context() clips
CONTEXT_TEXT_MAX = 3000
NO_GAPS = "every question scored in full"  # a checklist's top answer is Yes or Pass: said without naming it
MAX_BLOCKS = 50


# Bidi controls: a name or note holding U+202E would turn the rest of the bot's own line around it backwards.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# mrkdwn has no escape character, so a formatting character people typed is shown as a lookalike instead, which
# reads the same and formats nothing: ``*`` and the backtick always (a name in bold or in a code span would end
# it), ``_`` and ``~`` unless between two letters or digits (``my_model`` cannot start italics).
_LOOKALIKES = {"*": "\u2217", "`": "\u02cb", "_": "\u02cd", "~": "\u223c"}
_TYPED = str.maketrans({shown: typed for typed, shown in _LOOKALIKES.items()})
_MARKER = re.compile(r"[*`]|(?<![^\W_])[_~]|[_~](?![^\W_])")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_DECODED = {"amp": "&", "lt": "<", "gt": ">"}
# most text has none of these: esc() and plain() then cost what escaping alone does (they run for every card drawn)
_NEEDS_ESC = re.compile("[*`_~\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NEEDS_PLAIN = re.compile("[&<>\u2217\u02cb\u02cd\u223c]")


def esc(text: str | None) -> str:
    """Escape text that people or a model wrote, so it cannot ping (<!channel>) or link, nor break the formatting
    of the bot's own words around it (bold, code spans; bidi controls)."""
    text = text or ""
    if not _NEEDS_ESC.search(text):
        return escape_mrkdwn(text)
    shown = _BIDI.sub("", text)
    return escape_mrkdwn(_MARKER.sub(lambda m: _LOOKALIKES[m.group(0)], shown))


def typed_form(text: str) -> str:
    """What :func:`esc` showed as a lookalike, back as typed: a name copied out of a message is the name."""
    return text.translate(_TYPED)


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
    """``text`` cut to ``limit`` characters with "…"; never inside an entity (``&amp;``, ``<@U1>``), which would
    show half of it."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp, lt = cut.rfind("&"), cut.rfind("<")
    if amp > cut.rfind(";"):
        cut = cut[:amp]
    if lt > cut.rfind(">"):
        cut = cut[:lt]
    return cut + "…"


def plain(text: str, limit: int) -> str:
    """A ``plain_text`` object's text from mrkdwn-escaped ``text``, at most ``limit`` characters as sent: cut on what
    is shown, never inside an entity. Nothing is formatted in plain_text, so lookalikes go back to what was typed.
    Escaped as everywhere when that fits; else an ``&`` that starts no entity is sent as it is (Slack decodes only
    ``&amp;`` ``&lt;`` ``&gt;``, so it shows the same): a name full of "Q&A" fits whole."""
    if len(text) <= limit and not _NEEDS_PLAIN.search(text):
        return text  # nothing to decode, map back or escape: "Yes", "Partly — team answer"
    shown = typed_form(_ENTITY.sub(lambda m: _DECODED[m.group(1)], text))
    if len(sent := escape_mrkdwn(shown)) <= limit:
        return sent
    sent = _plain_escape(shown)
    while len(sent) > limit:
        shown = shown[: len(shown) - max(1, (len(sent) - limit) // 4)]
        sent = _plain_escape(shown.rstrip() + "…")
    return sent


def _plain_escape(text: str) -> str:
    """``&`` ``<`` ``>`` escaped, but an ``&`` only where Slack would read an entity."""
    return re.sub(r"&(?=(?:amp|lt|gt);)", "&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def section(text: str, **extra: Any) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text)}, **extra}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(t, CONTEXT_TEXT_MAX)} for t in texts[:10]]}


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": plain(text, 150), "emoji": True}}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    b: Block = {"type": "button", "text": {"type": "plain_text", "text": plain(text, 75), "emoji": True},
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
