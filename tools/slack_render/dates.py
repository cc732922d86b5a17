"""Slack's <!date^epoch^format|fallback> tokens, formatted the way a reader's client shows them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from tools.slack_render.context import RenderContext

_TOKEN = re.compile(r"\{([a-z_]+)\}")


def clock(at: datetime) -> str:
    """A message time as Slack shows it with the 24-hour setting: "12:03"."""
    return at.strftime("%H:%M")


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _pretty(at: datetime, now: datetime, otherwise: str) -> str:
    days = (at.date() - now.date()).days
    return {0: "today", -1: "yesterday", 1: "tomorrow"}.get(days, otherwise)


def _ago(at: datetime, now: datetime) -> str:
    seconds = int((now - at).total_seconds())
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"  # unreachable: seconds >= 60 matched "minute"


def format_date(epoch: int, fmt: str, ctx: RenderContext) -> str:
    """Expand Slack's date tokens ({date_short_pretty} {time} …) in the reader's time zone."""
    at = ctx.local(datetime.fromtimestamp(epoch, UTC))
    now = ctx.local(ctx.now)
    date = f"{at:%B} {_ordinal(at.day)}, {at.year}"
    short = f"{at:%b} {at.day}, {at.year}"
    long = f"{at:%A}, {date}"
    tokens: dict[str, Callable[[], str]] = {
        "date_num": lambda: at.strftime("%Y-%m-%d"),
        "date": lambda: date,
        "date_short": lambda: short,
        "date_long": lambda: long,
        "date_pretty": lambda: _pretty(at, now, date),
        "date_short_pretty": lambda: _pretty(at, now, short),
        "date_long_pretty": lambda: _pretty(at, now, long),
        "time": lambda: clock(at),
        "time_secs": lambda: at.strftime("%H:%M:%S"),
        "ago": lambda: _ago(at, now),
    }
    out = _TOKEN.sub(lambda m: tokens[m.group(1)]() if m.group(1) in tokens else m.group(0), fmt)
    return out[:1].upper() + out[1:] if fmt.startswith("{date") and "pretty" in fmt.split("}")[0] else out
