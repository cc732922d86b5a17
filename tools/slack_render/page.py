"""A whole Slack window as one self-contained HTML page: the channel on the left, the thread on the right."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import timedelta
from importlib import resources

from tools.slack_render.blocks import blocks_html
from tools.slack_render.context import RenderContext
from tools.slack_render.dates import clock, format_date
from tools.slack_render.mrkdwn import escape, mrkdwn_to_html
from tools.slack_render.records import RenderMessage, ts_key

GROUP_WINDOW = timedelta(minutes=5)
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
AVATAR_COLOURS = ("#2eb67d", "#ecb22e", "#e01e5a", "#36c5f0", "#4a154b", "#1264a3", "#e8912d", "#7c3085")


def _stylesheet() -> str:
    return resources.files("tools.slack_render").joinpath("slack.css").read_text(encoding="utf-8")


def _avatar(msg: RenderMessage, ctx: RenderContext) -> str:
    if msg.is_bot:
        return '<div class="avatar bot">ft</div>'
    name = ctx.user_name(msg.user or "?")
    colour = AVATAR_COLOURS[zlib.crc32(name.encode()) % len(AVATAR_COLOURS)]
    return f'<div class="avatar" style="background:{colour}">{escape(name[:1].upper())}</div>'


def _sender_line(msg: RenderMessage, ctx: RenderContext) -> str:
    name = ctx.bot_name if msg.is_bot else ctx.user_name(msg.user or "unknown")
    badge = '<span class="badge">APP</span>' if msg.is_bot else ""
    when = clock(ctx.local(msg.at))
    return f'<div class="sender"><b>{escape(name)}</b>{badge}<span class="time">{when}</span></div>'


def _ephemeral_note(msg: RenderMessage, ctx: RenderContext) -> str:
    who = "you" if ctx.viewer is not None else "@" + ctx.user_name(msg.ephemeral_to or "")
    return f'<div class="only-you"><span class="eye">👁</span> Only visible to {escape(who)}</div>'


def message_html(msg: RenderMessage, ctx: RenderContext, *, continued: bool = False, note: str = "") -> str:
    """One message row; a ``continued`` row (same sender, minutes later) has no avatar or name, like Slack."""
    text = f'<div class="section-text">{mrkdwn_to_html(msg.text, ctx)}</div>'
    body = blocks_html(msg.blocks, ctx) if msg.blocks else text
    top = _ephemeral_note(msg, ctx) if msg.ephemeral else ""
    if msg.reply_broadcast and msg.is_reply:
        top += '<div class="broadcast">replied to a thread</div>'
    gutter = "" if continued else _avatar(msg, ctx)
    head = "" if continued else _sender_line(msg, ctx)
    cls = "msg" + (" continued" if continued else "") + (" ephemeral" if msg.ephemeral else "")
    return (f'<div class="{cls}" id="m{escape(msg.ts)}">{top}<div class="row"><div class="gutter">{gutter}</div>'
            f'<div class="content">{head}{body}{note}</div></div></div>')


def _visible(msg: RenderMessage, ctx: RenderContext) -> bool:
    return not msg.ephemeral or ctx.viewer is None or msg.ephemeral_to == ctx.viewer


def _run_html(msgs: Sequence[RenderMessage], ctx: RenderContext, notes: dict[str, str] | None = None) -> str:
    out: list[str] = []
    prev: RenderMessage | None = None
    for msg in msgs:
        continued = (prev is not None and not msg.ephemeral and not prev.ephemeral
                     and msg.sender() == prev.sender() and msg.at - prev.at < GROUP_WINDOW)
        out.append(message_html(msg, ctx, continued=continued, note=(notes or {}).get(msg.ts, "")))
        prev = msg
    return "".join(out)


def _reply_summary(replies: Sequence[RenderMessage], ctx: RenderContext) -> str:
    if not replies:
        return ""
    last = ctx.local(replies[-1].at)
    n = len(replies)
    when = format_date(int(last.timestamp()), "{date_short_pretty} at {time}", ctx)
    when = when[:1].lower() + when[1:] if when.startswith(("Today", "Yesterday", "Tomorrow")) else when
    return (f'<div class="reply-summary"><span class="replies">{n} repl{"y" if n == 1 else "ies"}</span>'
            f'<span class="last">Last reply {escape(when)}</span></div>')


def _pane(title: str, subtitle: str, inner: str, cls: str) -> str:
    sub = f'<span class="pane-sub">{escape(subtitle)}</span>' if subtitle else ""
    return (f'<section class="pane {cls}"><div class="pane-head"><span class="pane-title">{escape(title)}</span>'
            f'{sub}</div><div class="pane-body">{inner}</div></section>')


def split_channel(messages: Sequence[RenderMessage], channel: str, thread_ts: str | None,
                  ctx: RenderContext) -> tuple[list[RenderMessage], list[RenderMessage]]:
    """(what the channel shows, what the thread pane shows), each in time order, for this reader."""
    mine = sorted((m for m in messages if m.channel == channel and _visible(m, ctx)), key=lambda m: ts_key(m.ts))
    top = [m for m in mine if not m.is_reply or m.reply_broadcast]
    top = [m for m in top if not (m.ephemeral and m.thread_ts is not None)]
    thread = [m for m in mine if thread_ts is not None and (m.ts == thread_ts or m.thread_ts == thread_ts)]
    return top, thread


def render_page(messages: Sequence[RenderMessage], ctx: RenderContext, *, channel: str,
                thread_ts: str | None = None, title: str = "Slack") -> str:
    """One HTML page: ``channel``'s messages on the left and, if ``thread_ts`` is given, that thread on the right."""
    top, thread = split_channel(messages, channel, thread_ts, ctx)
    replies = [m for m in thread if m.ts != thread_ts and not m.ephemeral]
    notes = {thread_ts: _reply_summary(replies, ctx)} if thread_ts else {}
    channel_label = "#" + ctx.channel_name(channel)
    panes = _pane(channel_label, "", _run_html(top, ctx, notes), "channel")
    if thread_ts is not None:
        root = [m for m in thread if m.ts == thread_ts]
        rest = [m for m in thread if m.ts != thread_ts]
        count = len(replies)
        divider = (f'<div class="reply-count"><span>{count} repl{"y" if count == 1 else "ies"}</span></div>'
                   if count else "")
        inner = _run_html(root, ctx) + divider + _run_html(rest, ctx)
        panes += _pane("Thread", channel_label, inner, "thread")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f"<title>{escape(title)}</title><style>{_stylesheet()}</style></head>"
            f'<body><main class="window">{panes}</main></body></html>')
