"""What a person typed, from the text Slack sends for their message.

Slack sends message text (events, slash commands) in its own markup: ``&``, ``<`` and ``>`` as ``&amp;``,
``&lt;`` and ``&gt;``, mentions as ``<@U123>``, channels as ``<#C123|name>``, links as ``<https://…|label>``.
The helper reads and quotes the words the person saw, so it gets plain text; a quote is escaped again (once)
where it is posted.
"""

from __future__ import annotations

import asyncio
import re
import time
import weakref
from collections.abc import Mapping

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_errors import error_code

log = structlog.get_logger(__name__)

# only Slack's own shapes: a bare "<500 and >200" (a slash command's text, should it come unencoded) stays as typed
_MARKUP = re.compile(r"<((?:[@#!]|[a-z][a-z0-9+.-]*:)[^<>]*)>", re.IGNORECASE)
_ENTITY = re.compile(r"&(lt|gt|amp);")
_DECODED = {"lt": "<", "gt": ">", "amp": "&"}
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:(?://)?", re.IGNORECASE)


def plain_text(text: str, names: Mapping[str, str] | None = None) -> str:
    """``<@U3> & <https://x.org|our page>`` as Slack sends it becomes ``@U3 & our page (https://x.org)``.

    ``names``: what people saw for the mentions Slack sent without a label (``U3`` -> ``ana``, ``C42`` ->
    ``ml-team``, ``S1`` -> ``labelers``; :func:`mention_names`), so the text reads ``@ana``; an id not in it is
    shown as it came."""
    return _ENTITY.sub(lambda m: _DECODED[m.group(1)], _MARKUP.sub(lambda m: _shown(m, names or {}), text))


async def typed_text(client: AsyncWebClient, text: str) -> str:
    """:func:`plain_text` with the names people saw for the mentions Slack sent without them (modern Slack sends
    a picked ``@dev`` as ``<@U2>``): a project started as "Helper for @dev" is one project however it was typed."""
    return plain_text(text, await mention_names(client, text))


def _shown(match: re.Match[str], names: Mapping[str, str]) -> str:
    target, _, label = match.group(1).partition("|")
    if target[:1] in ("@", "#"):  # <@U123>, <@U123|ana>, <#C123|general>
        return target[0] + (label.lstrip(target[0]) or names.get(target[1:]) or target[1:])
    if target.startswith("!subteam^") and not label.lstrip("@") and target[9:] in names:
        return "@" + names[target[9:]]
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


# -- the names behind mentions Slack sent without them ------------------------------------------------------------

NAMES_TTL_S = 300  # a renamed person or channel reads as renamed within five minutes
NAMES_MAX = 5000  # names remembered per client
_UNLABELLED = re.compile(r"<([@#])([A-Z0-9]+)>|<!subteam\^([A-Z0-9]+)(?:\|@?)?>")
# client -> id -> (until, name): the process's client, so a process remembers them (tests: each bot its own)
_remembered: weakref.WeakKeyDictionary[AsyncWebClient, dict[str, tuple[float, str]]] = weakref.WeakKeyDictionary()


async def mention_names(client: AsyncWebClient, text: str) -> dict[str, str]:
    """The names shown for the mentions in ``text`` that came without a label: a person's display name (else their
    full name), a channel's name, a user group's handle. Asked of Slack (users.info, conversations.info,
    usergroups.list) at most once per few minutes and process; one Slack would not name is left out (its id is
    shown)."""
    wanted: dict[str, str] = {}  # id -> "@", "#" or "!"
    for m in _UNLABELLED.finditer(text):
        wanted[m.group(2) or m.group(3)] = m.group(1) or "!"
    names = _remembered.setdefault(client, {})
    now = time.monotonic()
    missing = [i for i in wanted if names.get(i, (0.0, ""))[0] <= now]
    if missing:
        if len(names) + len(missing) > NAMES_MAX:
            names.clear()
        people = [i for i in missing if wanted[i] != "!"]
        groups = [_groups(client)] if len(people) < len(missing) else []
        found = await asyncio.gather(*(_named(client, wanted[i], i) for i in people), *groups)
        for ident, name in zip(people, found, strict=False):
            if isinstance(name, str):
                names[ident] = (now + NAMES_TTL_S, name)
        if groups and isinstance(found[-1], dict):
            names.update({i: (now + NAMES_TTL_S, handle) for i, handle in found[-1].items()})
    return {i: names[i][1] for i in wanted if i in names}


async def _named(client: AsyncWebClient, kind: str, ident: str) -> str | None:
    """users.info (https://docs.slack.dev/reference/methods/users.info) or conversations.info
    (https://docs.slack.dev/reference/methods/conversations.info)."""
    try:
        if kind == "@":
            user = (await client.users_info(user=ident)).get("user") or {}
            profile = user.get("profile") or {}
            return str(profile.get("display_name") or profile.get("real_name") or user.get("real_name") or "") or None
        channel = (await client.conversations_info(channel=ident)).get("channel") or {}
        return str(channel.get("name") or "") or None
    except SlackApiError as exc:  # not allowed to see it, Slack down: the id is shown
        log.info("mention_not_named", id=ident, error=error_code(exc))
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.info("mention_not_named", id=ident, error=type(exc).__name__)
    return None


async def _groups(client: AsyncWebClient) -> dict[str, str]:
    """Every user group's handle by id: usergroups.list (https://docs.slack.dev/reference/methods/usergroups.list,
    scope usergroups:read) names them all in one call."""
    try:
        groups = (await client.usergroups_list()).get("usergroups") or []
    except SlackApiError as exc:  # an app installed before the scope was added: the ids are shown
        log.info("user_groups_not_named", error=error_code(exc))
        return {}
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.info("user_groups_not_named", error=type(exc).__name__)
        return {}
    return {str(g["id"]): str(g["handle"]) for g in groups if isinstance(g, dict) and g.get("id") and g.get("handle")}
