"""What a person typed, from the text Slack sends for their message.

Slack sends message text (events, slash commands) in its own markup: ``&``, ``<`` and ``>`` as ``&amp;``,
``&lt;`` and ``&gt;``, mentions as ``<@U123>``, channels as ``<#C123|name>``, links as ``<https://…|label>``.
The helper reads and quotes the words the person saw, so it gets plain text; a quote is escaped again (once)
where it is posted.
"""

from __future__ import annotations

import re

# only Slack's own shapes: a bare "<500 and >200" (a slash command's text, should it come unencoded) stays as typed
_MARKUP = re.compile(r"<((?:[@#!]|[a-z][a-z0-9+.-]*:)[^<>]*)>", re.IGNORECASE)
_ENTITY = re.compile(r"&(lt|gt|amp);")
_DECODED = {"lt": "<", "gt": ">", "amp": "&"}
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:(?://)?", re.IGNORECASE)


def plain_text(text: str) -> str:
    """``<@U3> & <https://x.org|our page>`` as Slack sends it becomes ``@U3 & our page (https://x.org)``."""
    return _ENTITY.sub(lambda m: _DECODED[m.group(1)], _MARKUP.sub(_shown, text))


def _shown(match: re.Match[str]) -> str:
    target, _, label = match.group(1).partition("|")
    if target[:1] in ("@", "#"):  # <@U123>, <@U123|ana>, <#C123|general>
        return target[0] + (label.lstrip(target[0]) or target[1:])
    if target.startswith("!"):  # <!here>, <!subteam^S1|@team>, <!date^…|fallback>
        return _special(target[1:], label)
    if not label or label == target or label == _SCHEME.sub("", target):
        return label or target  # a link Slack made of an address the person typed: shown as typed
    return f"{label} ({target})"


def _special(name: str, label: str) -> str:
    if name.startswith("date^"):
        return label
    if name.startswith("subteam^"):
        return "@" + (label.lstrip("@") or name.partition("^")[2])
    return "@" + name.partition("^")[0]  # here, channel, everyone
