"""Block Kit blocks and elements into HTML that looks like Slack's message layout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tools.slack_render.context import RenderContext
from tools.slack_render.mrkdwn import escape, mrkdwn_to_html, plain_to_html

Block = dict[str, Any]
_SELECTS = ("static_select", "external_select", "users_select", "conversations_select", "channels_select",
            "multi_static_select", "multi_external_select", "multi_users_select", "multi_conversations_select",
            "multi_channels_select")


def text_html(obj: Any, ctx: RenderContext) -> str:
    """A text object (mrkdwn or plain_text); anything else shows as nothing."""
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn_to_html(obj["text"], ctx)
    return plain_to_html(obj["text"], emoji=obj.get("emoji", True) is not False)


def _button(el: Block, ctx: RenderContext) -> str:
    style = el.get("style")
    cls = "btn" + (f" btn-{style}" if style in ("primary", "danger") else "")
    return f'<span class="{cls}">{text_html(el.get("text"), ctx)}</span>'


def _select(el: Block, ctx: RenderContext) -> str:
    chosen = el.get("initial_option")
    label, cls = (text_html(chosen.get("text"), ctx), "select") if isinstance(chosen, dict) else (
        text_html(el.get("placeholder"), ctx) or "Select an item", "select placeholder")
    return f'<span class="{cls}"><span class="select-label">{label}</span><span class="chevron">⌄</span></span>'


def _choices(el: Block, ctx: RenderContext, mark: str) -> str:
    chosen = {o.get("value") for o in el.get("initial_options", []) or [el.get("initial_option") or {}]}
    rows = [f'<div class="choice"><span class="box">{mark if o.get("value") in chosen else ""}</span>'
            f'{text_html(o.get("text"), ctx)}</div>' for o in el.get("options", [])]
    return '<div class="choices">' + "".join(rows) + "</div>"


def element_html(el: Block, ctx: RenderContext) -> str:
    """One interactive or context element."""
    kind = el.get("type")
    if kind == "button":
        return _button(el, ctx)
    if kind in _SELECTS:
        return _select(el, ctx)
    if kind == "overflow":
        return '<span class="btn overflow" title="More actions">⋮</span>'
    if kind in ("datepicker", "timepicker", "datetimepicker"):
        value = el.get("initial_date") or el.get("initial_time") or text_html(el.get("placeholder"), ctx)
        return f'<span class="select">📅 {escape(str(value or "Select a date"))}</span>'
    if kind == "checkboxes":
        return _choices(el, ctx, "✓")
    if kind == "radio_buttons":
        return _choices(el, ctx, "●")
    if kind == "image":
        return f'<span class="image-alt" title="image">{escape(str(el.get("alt_text", "image")))}</span>'
    if kind in ("mrkdwn", "plain_text"):
        return f'<span class="ctx-text">{text_html(el, ctx)}</span>'
    return f'<span class="unsupported">[{escape(str(kind))}]</span>'


def _section(b: Block, ctx: RenderContext) -> str:
    body = f'<div class="section-text">{text_html(b.get("text"), ctx)}</div>' if b.get("text") else ""
    fields = b.get("fields") or []
    if fields:
        body += '<div class="fields">' + "".join(
            f'<div class="field">{text_html(f, ctx)}</div>' for f in fields) + "</div>"
    accessory = b.get("accessory")
    side = f'<div class="accessory">{element_html(accessory, ctx)}</div>' if isinstance(accessory, dict) else ""
    return f'<div class="block section"><div class="section-main">{body}</div>{side}</div>'


def _header(b: Block, ctx: RenderContext) -> str:
    return f'<div class="block header">{text_html(b.get("text"), ctx)}</div>'


def _context(b: Block, ctx: RenderContext) -> str:
    parts = "".join(element_html(el, ctx) for el in b.get("elements", []))
    return f'<div class="block context">{parts}</div>'


def _actions(b: Block, ctx: RenderContext) -> str:
    parts = "".join(element_html(el, ctx) for el in b.get("elements", []))
    return f'<div class="block actions">{parts}</div>'


def _divider(_b: Block, _ctx: RenderContext) -> str:
    return '<div class="block divider"></div>'


def _image(b: Block, ctx: RenderContext) -> str:
    title = text_html(b.get("title"), ctx)
    alt = escape(str(b.get("alt_text", "image")))
    return f'<div class="block image"><div class="image-title">{title}</div><div class="image-box">{alt}</div></div>'


def _input(b: Block, ctx: RenderContext) -> str:
    label = text_html(b.get("label"), ctx)
    element = b.get("element") or {}
    return f'<div class="block input"><div class="input-label">{label}</div>{element_html(element, ctx)}</div>'


def _rich_text(b: Block, ctx: RenderContext) -> str:
    """rich_text is shown by its plain words (ftcheck does not post it; kept readable, not pixel-exact)."""
    words: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "text":
                words.append(escape(str(node.get("text", ""))))
            elif node.get("type") == "user":
                words.append(f'<span class="mention">@{escape(ctx.user_name(str(node.get("user_id"))))}</span>')
            elif node.get("type") == "link":
                words.append(f'<span class="link">{escape(str(node.get("text") or node.get("url", "")))}</span>')
            for child in node.get("elements", []):
                walk(child)

    walk(b)
    return '<div class="block section"><div class="section-text">' + "".join(words) + "</div></div>"


_RENDERERS: dict[str, Callable[[Block, RenderContext], str]] = {
    "section": _section, "header": _header, "context": _context, "actions": _actions, "divider": _divider,
    "image": _image, "input": _input, "rich_text": _rich_text,
}


def blocks_html(blocks: list[Block], ctx: RenderContext) -> str:
    out = []
    for b in blocks:
        render = _RENDERERS.get(str(b.get("type")))
        out.append(render(b, ctx) if render else
                   f'<div class="block unsupported">[unsupported block: {escape(str(b.get("type")))}]</div>')
    return "".join(out)
