"""Slack :shortcode: names mapped to Unicode, for the ones ftcheck posts and the everyday ones."""

from __future__ import annotations

import re

EMOJI: dict[str, str] = {
    # used by bot/ today
    "warning": "\u26a0\ufe0f",
    "hourglass_flowing_sand": "\u23f3",
    "memo": "\U0001f4dd",
    "information_source": "\u2139\ufe0f",
    "calendar": "\U0001f4c6",
    "bulb": "\U0001f4a1",
    # common in Slack apps
    "white_check_mark": "\u2705",
    "heavy_check_mark": "\u2714\ufe0f",
    "ballot_box_with_check": "\u2611\ufe0f",
    "x": "\u274c",
    "heavy_multiplication_x": "\u2716\ufe0f",
    "no_entry": "\u26d4",
    "no_entry_sign": "\U0001f6ab",
    "question": "\u2753",
    "grey_question": "\u2754",
    "exclamation": "\u2757",
    "tada": "\U0001f389",
    "+1": "\U0001f44d",
    "thumbsup": "\U0001f44d",
    "-1": "\U0001f44e",
    "thumbsdown": "\U0001f44e",
    "eyes": "\U0001f440",
    "rocket": "\U0001f680",
    "hourglass": "\u231b",
    "stopwatch": "\u23f1\ufe0f",
    "alarm_clock": "\u23f0",
    "bell": "\U0001f514",
    "speech_balloon": "\U0001f4ac",
    "thread": "\U0001f9f5",
    "mag": "\U0001f50d",
    "pushpin": "\U0001f4cc",
    "link": "\U0001f517",
    "lock": "\U0001f512",
    "star": "\u2b50",
    "sparkles": "\u2728",
    "zap": "\u26a1",
    "fire": "\U0001f525",
    "wave": "\U0001f44b",
    "raised_hands": "\U0001f64c",
    "thinking_face": "\U0001f914",
    "robot_face": "\U0001f916",
    "bust_in_silhouette": "\U0001f464",
    "busts_in_silhouette": "\U0001f465",
    "handshake": "\U0001f91d",
    "scales": "\u2696\ufe0f",
    "ballot_box": "\U0001f5f3\ufe0f",
    "bar_chart": "\U0001f4ca",
    "chart_with_upwards_trend": "\U0001f4c8",
    "chart_with_downwards_trend": "\U0001f4c9",
    "clipboard": "\U0001f4cb",
    "spiral_note_pad": "\U0001f5d2\ufe0f",
    "page_facing_up": "\U0001f4c4",
    "inbox_tray": "\U0001f4e5",
    "outbox_tray": "\U0001f4e4",
    "checkered_flag": "\U0001f3c1",
    "construction": "\U0001f6a7",
    "repeat": "\U0001f501",
    "arrow_right": "\u27a1\ufe0f",
    "point_right": "\U0001f449",
    "large_green_circle": "\U0001f7e2",
    "large_yellow_circle": "\U0001f7e1",
    "large_orange_circle": "\U0001f7e0",
    "red_circle": "\U0001f534",
    "large_blue_circle": "\U0001f535",
    "white_circle": "\u26aa",
    "black_circle": "\u26ab",
    "heavy_minus_sign": "\u2796",
    "ok": "\U0001f197",
}

_SHORTCODE = re.compile(r":([a-z0-9_+\-]+):")


def emojify(text: str) -> str:
    """Replace known :shortcodes: with their character; unknown ones stay as typed (as Slack shows them)."""
    return _SHORTCODE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
