"""Slack mrkdwn and plain_text into safe HTML.

Slack text arrives Slack-escaped (&amp; &lt; &gt;) with <…> entities for mentions, links and dates. Every
piece of text is unescaped once and HTML-escaped once; only tags built here reach the page, so nothing in
a message can add markup or script.
"""

from __future__ import annotations

import html
import re

from tools.slack_render.context import RenderContext
from tools.slack_render.dates import format_date
from tools.slack_render.emoji import emojify

_ENTITY = re.compile(r"<([^<>\n]+)>")
_PRE = re.compile(r"```\n?(.*?)```", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_QUOTE = re.compile(r"^(?:>|&gt;) ?")
_SAFE_SCHEMES = ("http://", "https://", "mailto:")
_PLACEHOLDER = re.compile(r"\x00(\d+)\x00")


def _style(marker: str, tag: str) -> tuple[re.Pattern[str], str]:
    m = re.escape(marker)
    pattern = re.compile(rf"(?<![\w{m}]){m}(?=\S)([^{m}\n]*?\S){m}(?![\w{m}])")
    return pattern, rf"<{tag}>\1</{tag}>"


_STYLES = (_style("*", "b"), _style("_", "i"), _style("~", "s"))


def unescape_slack(text: str) -> str:
    """Undo Slack's own escaping (only these three are defined)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape(text: str) -> str:
    return html.escape(text, quote=True)


def plain_to_html(text: str, *, emoji: bool = True) -> str:
    """A plain_text object: no mrkdwn, no mentions or links; Slack's own escapes (&amp; &lt; &gt;) are decoded,
    as in every text field; :emoji: when the object asks for it."""
    out = escape(unescape_slack(text))
    return emojify(out) if emoji else out


def _mention(cls: str, label: str) -> str:
    return f'<span class="{cls}">{escape(label)}</span>'


def _special(body: str, label: str | None, ctx: RenderContext) -> str:
    """<!here>, <!channel>, <!subteam^ID|@team>, <!date^epoch^format^link|fallback>."""
    head, *rest = body.split("^")
    if head == "date" and len(rest) >= 2 and rest[0].isdigit():
        try:
            return escape(format_date(int(rest[0]), rest[1], ctx))
        except (OverflowError, ValueError, OSError):  # a date no clock can show: Slack falls back to the label
            return escape(label or "")
    if head == "subteam":
        return _mention("mention", label or "@team")
    return _mention("mention", "@" + (label or head))


def _link(target: str, label: str | None) -> str:
    url = unescape_slack(target)
    text = escape(unescape_slack(label)) if label else escape(url)
    if not url.lower().startswith(_SAFE_SCHEMES):
        return f'<span class="link">{text}</span>'
    return f'<a class="link" href="{escape(url)}" rel="noreferrer">{text}</a>'


def entity_to_html(body: str, ctx: RenderContext) -> str:
    """The inside of one <…> entity."""
    target, _, label = body.partition("|")
    if target.startswith("@"):
        return _mention("mention", "@" + (unescape_slack(label) if label else ctx.user_name(target[1:])))
    if target.startswith("#"):
        return _mention("mention channel", "#" + (unescape_slack(label) if label else ctx.channel_name(target[1:])))
    if target.startswith("!"):
        return _special(target[1:], unescape_slack(label) if label else None, ctx)
    return _link(target, label or None)


def _text_run(text: str, ctx: RenderContext) -> str:
    """Entities, bold/italic/strike and :emoji: in text that holds no code."""
    saved: list[str] = []

    def keep(m: re.Match[str]) -> str:
        saved.append(entity_to_html(m.group(1), ctx))
        return f"\x00{len(saved) - 1}\x00"

    out = escape(unescape_slack(_ENTITY.sub(keep, text.replace("\x00", ""))))
    for pattern, repl in _STYLES:
        out = pattern.sub(repl, out)
    out = emojify(out)
    return _PLACEHOLDER.sub(lambda m: saved[int(m.group(1))], out)


def _inline(text: str, ctx: RenderContext) -> str:
    parts = _CODE.split(text)  # odd indexes are code spans
    return "".join(
        f"<code>{escape(unescape_slack(part))}</code>" if i % 2 else _text_run(part, ctx)
        for i, part in enumerate(parts)
    )


def _lines(text: str, ctx: RenderContext) -> str:
    """Lines, with runs of quoted lines (> or &gt;, or everything after >>>) in one blockquote."""
    out: list[str] = []
    quote: list[str] = []
    rest_quoted = False
    for line in text.split("\n"):
        if not rest_quoted and re.match(r"^(?:>>>|&gt;&gt;&gt;) ?", line):
            rest_quoted, line = True, re.sub(r"^(?:>>>|&gt;&gt;&gt;) ?", "", line)
        if rest_quoted or _QUOTE.match(line):
            quote.append(_inline(line if rest_quoted else _QUOTE.sub("", line, count=1), ctx))
            continue
        if quote:
            out.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
            quote = []
        out.append(_inline(line, ctx) + "<br>")
    if quote:
        out.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
    joined = "".join(out)
    return joined.removesuffix("<br>")


def mrkdwn_to_html(text: str, ctx: RenderContext) -> str:
    """A mrkdwn text object (or a message's top-level text) as HTML."""
    parts = _PRE.split(text)  # odd indexes are ```pre``` blocks
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(f"<pre>{escape(unescape_slack(part))}</pre>")
        elif part:
            out.append(_lines(part, ctx))
    return "".join(out)
