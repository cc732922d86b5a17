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
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

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
REFUSED_TTL_S = 60  # Slack said no (user_not_found, missing_scope…): not asked again for a minute
FAILED_TTL_S = 10  # Slack failed or did not answer in time (5xx, 429, no connection): asked again after a pause
STALE_S = 24 * 3600  # a name once seen is shown instead of the id while Slack fails to name it again
LOOKUP_S = 2.0  # a lookup (with the client's own retries) ends by then: a command is never held longer for names
NAMES_MAX = 5000  # names remembered per client
_GROUPS = "!subteams"  # the one lookup (usergroups.list) that names every user group
_UNLABELLED = re.compile(r"<([@#])([A-Z0-9]+)>|<!subteam\^([A-Z0-9]+)(?:\|@?)?>")


@dataclass(frozen=True, slots=True)
class _Known:
    name: str | None  # None: Slack would not name it (and no earlier name is kept)
    fresh_until: float  # asked again after this
    kept_until: float  # the name is shown until then, also while Slack fails to say it again


@dataclass(slots=True)
class _Names:
    known: dict[str, _Known] = field(default_factory=dict)  # longest unused first
    asking: dict[str, asyncio.Task[None]] = field(default_factory=dict)  # lookups in flight, shared by commands

    def shown(self, ident: str, now: float) -> str | None:
        known = self.known.pop(ident, None)
        if known is None:
            return None
        self.known[ident] = known  # the names in use are the last forgotten when there are too many
        return known.name if known.kept_until > now else None

    def named(self, ident: str, name: str) -> None:
        now = time.monotonic()
        self._put(ident, _Known(name, now + NAMES_TTL_S, now + STALE_S))

    def unnamed(self, ident: str, pause_s: float) -> None:
        """Slack did not name it: asked again after ``pause_s``; a name seen before stays shown meanwhile."""
        now = time.monotonic()
        old = self.known.get(ident)
        if old is not None and old.name is not None and old.kept_until > now:
            self._put(ident, _Known(old.name, now + pause_s, old.kept_until))
        else:
            self._put(ident, _Known(None, now + pause_s, now + pause_s))

    def hidden(self, ident: str) -> None:
        """Slack named it, but its name is not to be shown (a private channel): its id is shown, also in place of a
        name seen before (a public channel made private since), until it is asked again after a minute."""
        now = time.monotonic()
        self._put(ident, _Known(None, now + REFUSED_TTL_S, now + REFUSED_TTL_S))

    def _put(self, ident: str, known: _Known) -> None:
        """Remembered; with too many, the longest unused is forgotten (not all: those in use stay named)."""
        self.known.pop(ident, None)
        while len(self.known) >= NAMES_MAX:
            del self.known[next(iter(self.known))]
        self.known[ident] = known


# the process's Web API client (its pooled session, which Bolt's per-request clients share) -> its names
_remembered: weakref.WeakKeyDictionary[object, _Names] = weakref.WeakKeyDictionary()


async def mention_names(client: AsyncWebClient, text: str) -> dict[str, str]:
    """The names shown for the mentions in ``text`` that came without a label: a person's display name (else their
    full name), a public channel's name (a private one is shown by its id, as one the bot cannot see: the bot's
    access must not name it to the people who read the text), a user group's handle. Asked of Slack (users.info,
    conversations.info, usergroups.list) at most once per few minutes and process, one call per id however many
    commands ask at once, a refusal remembered for a minute; a lookup ends within :data:`LOOKUP_S`. One Slack would
    not name is left out (its id is shown) unless it was named before: that name is shown while Slack fails."""
    wanted: dict[str, str] = {}  # id -> "@", "#" or "!"
    for m in _UNLABELLED.finditer(text):
        wanted[m.group(2) or m.group(3)] = m.group(1) or "!"
    names = _remembered.setdefault(_owner(client), _Names())
    now = time.monotonic()
    missing = [i for i in wanted if (k := names.known.get(i)) is None or k.fresh_until <= now]
    groups = [i for i in missing if wanted[i] == "!"]
    asks = [_ask(names, i, partial(_named, client, names, wanted[i], i)) for i in missing if wanted[i] != "!"]
    if groups:
        asks.append(_ask(names, _GROUPS, partial(_groups, client, names, groups)))
    if asks:
        await asyncio.wait(asks)  # each ends within LOOKUP_S of its start; a cancelled command leaves them running
    now = time.monotonic()
    return {i: name for i in wanted if (name := names.shown(i, now)) is not None}


def _owner(client: AsyncWebClient) -> object:
    """Bolt makes a client per request sharing the process client's session: the names are the session's."""
    session = client.session
    return session if session is not None else client


def _ask(names: _Names, key: str, lookup: Callable[[], Coroutine[Any, Any, None]]) -> asyncio.Task[None]:
    """The lookup in flight for ``key``, else ``lookup`` started (bounded by :data:`LOOKUP_S`)."""
    task = names.asking.get(key)
    if task is not None:
        return task
    task = asyncio.create_task(_bounded(lookup()))
    names.asking[key] = task
    task.add_done_callback(lambda done: names.asking.pop(key, None) if names.asking.get(key) is done else None)
    return task


async def _bounded(lookup: Coroutine[Any, Any, None]) -> None:
    try:
        async with asyncio.timeout(LOOKUP_S):
            await lookup
    except TimeoutError:
        pass  # the lookup recorded it (CancelledError inside)


def _pause(exc: BaseException) -> float:
    """How long Slack is not asked again: a refusal (a 200 with ok:false) a minute, a failure a few seconds (a 429
    the client did not wait out: its Retry-After, up to a minute)."""
    if not isinstance(exc, SlackApiError):
        return FAILED_TTL_S
    status = getattr(exc.response, "status_code", None)
    if status == 200:
        return REFUSED_TTL_S
    headers = getattr(exc.response, "headers", None) or {}
    wait = str(headers.get("Retry-After") or headers.get("retry-after") or "")
    return min(float(wait), REFUSED_TTL_S) if status == 429 and wait.isdigit() else FAILED_TTL_S


async def _named(client: AsyncWebClient, names: _Names, kind: str, ident: str) -> None:
    """users.info (https://docs.slack.dev/reference/methods/users.info) or conversations.info
    (https://docs.slack.dev/reference/methods/conversations.info)."""
    try:
        if kind == "@":
            user = (await client.users_info(user=ident)).get("user") or {}
            profile = user.get("profile") or {}
            name = str(profile.get("display_name") or profile.get("real_name") or user.get("real_name") or "")
        else:
            channel = (await client.conversations_info(channel=ident)).get("channel") or {}
            if not _public(channel):
                # the bot's own access must not name a private channel to whoever reads the text (the channel it is
                # posted in, listings, exports): it reads as one the bot cannot see, by its id
                names.hidden(ident)
                return
            name = str(channel.get("name") or "")
    except (SlackApiError, aiohttp.ClientError, TimeoutError, asyncio.CancelledError) as exc:
        # not allowed to see it, Slack down or slow: the id (or the name seen before) is shown
        log.info("mention_not_named", id=ident, error=_why(exc))
        names.unnamed(ident, _pause(exc))
        if isinstance(exc, asyncio.CancelledError):
            raise
        return
    if name:
        names.named(ident, name)
    else:
        names.unnamed(ident, REFUSED_TTL_S)


def _public(channel: Mapping[str, Any]) -> bool:
    """Whether conversations.info says the channel is public: named only then. A private channel, a DM or group DM,
    or an answer that does not say (no ``is_private``) is not named."""
    if channel.get("is_im") or channel.get("is_mpim") or channel.get("is_group"):
        return False
    return channel.get("is_private") is False


async def _groups(client: AsyncWebClient, names: _Names, wanted: list[str]) -> None:
    """Every user group's handle by id: usergroups.list (https://docs.slack.dev/reference/methods/usergroups.list,
    scope usergroups:read) names them all in one call."""
    try:
        groups = (await client.usergroups_list()).get("usergroups") or []
    except (SlackApiError, aiohttp.ClientError, TimeoutError, asyncio.CancelledError) as exc:
        # an app installed before the scope was added, Slack down or slow: the ids are shown
        log.info("user_groups_not_named", error=_why(exc))
        for ident in wanted:
            names.unnamed(ident, _pause(exc))
        if isinstance(exc, asyncio.CancelledError):
            raise
        return
    for g in groups:
        if isinstance(g, dict) and g.get("id") and g.get("handle"):
            names.named(str(g["id"]), str(g["handle"]))
    for ident in wanted:
        if names.known.get(ident) is None or names.known[ident].fresh_until <= time.monotonic():
            names.unnamed(ident, REFUSED_TTL_S)  # no such group


def _why(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return error_code(exc)
    return "no_answer_in_time" if isinstance(exc, asyncio.CancelledError) else type(exc).__name__
