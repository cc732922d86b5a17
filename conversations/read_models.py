"""Read models: a team's projects in one index, so Home and ``list`` read one page in a bounded number of round trips.

Written by :func:`index_commands` in the same pipeline as the store's other indexes (``Store._index``);
re-derived for old data by ``Store.rebuild_indexes``. Keys (``ftc`` prefix):

======================================  ===================================================================
``ftc:projects:<team>``                 sorted set: project key -> its latest indexed activity (epoch s)
``ftc:projchans:<team>:<project_key>``  set: the channels the project was evaluated in (for visibility)
``ftc:projlive:<team>:<project_key>``   set: the project's evaluations not deleted (none left: not listed)
======================================  ===================================================================

A page costs the same round trips whatever the team's size: the project index (1), the channels of its
projects (1), what Slack said about those channels (1, cached by ``bot.visibility``), the page's
histories (1), their documents (1). Commands per round trip grow with the page, and the first two with
the number of projects (a few bytes each).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conversations.models import Evaluation

if TYPE_CHECKING:  # the store imports index_commands from here
    from conversations.store import Store

HISTORY_PER_PROJECT = 50  # a page shows a project's latest evaluations; its full history is `history`


def projects_key(team: str) -> str:
    return f"ftc:projects:{team}"


def project_channels_key(team: str, project_key: str) -> str:
    return f"ftc:projchans:{team}:{project_key}"


def project_live_key(team: str, project_key: str) -> str:
    return f"ftc:projlive:{team}:{project_key}"


def index_commands(pipe: Any, ev: Evaluation) -> None:
    """Queue the read-model writes for one evaluation on ``pipe`` (a redis pipeline); nothing is read."""
    at = (ev.completed_at or ev.last_activity).timestamp()
    pipe.zadd(projects_key(ev.team), {ev.project_key: at}, gt=True)  # never moves a project back in time
    pipe.sadd(project_channels_key(ev.team, ev.project_key), ev.channel)
    if ev.status == "deleted":
        pipe.srem(project_live_key(ev.team, ev.project_key), ev.id)
    else:
        pipe.sadd(project_live_key(ev.team, ev.project_key), ev.id)


@dataclass
class ProjectPage:
    """One page of the projects a person may see: each project's evaluations oldest first."""

    projects: list[list[Evaluation]]
    total: int  # projects the person may see in all
    offset: int
    pages: int = 1  # pages in all, as they are cut (at least 1)
    live: dict[str, int] = field(default_factory=dict)  # project key -> its evaluations not deleted (every channel)
    read: dict[str, int] = field(default_factory=dict)  # project key -> how many of those this page read
    channels: dict[str, set[str]] = field(default_factory=dict)  # project key -> every channel it was evaluated in

    def evaluations_in(self, key: str, channel: str, shown: int) -> tuple[int, bool]:
        """How many evaluations the project ``key`` has in ``channel``, given the ``shown`` ones this page read there,
        and whether that is the whole count (else it is a floor): a page reads a project's latest
        :data:`HISTORY_PER_PROJECT` only; its other channels' share of the rest is not known without reading them."""
        live = self.live.get(key, shown)
        if self.read.get(key, live) >= live:
            return shown, True
        if self.channels.get(key, set()) <= {channel}:
            return live, True
        return shown, False


Visible = Callable[[set[str]], Awaitable[set[str]]]  # channels -> the subset the person may see


def page_starts(weights: list[int], limit: int, rows: int | None = None) -> list[int]:
    """Where each page begins, cutting ``weights`` (the rows each project takes) into pages of at most ``limit``
    projects and, when given, at most ``rows`` rows; a project heavier than ``rows`` gets a page of its own."""
    starts, count, used = [0], 0, 0
    for i, weight in enumerate(weights):
        if count and (count >= limit or (rows is not None and used + weight > rows)):
            starts.append(i)
            count, used = 0, 0
        count, used = count + 1, used + weight
    return starts


async def project_page(store: Store, team: str, visible: Visible, *, limit: int, offset: int = 0,
                       page: int | None = None, rows: int | None = None) -> ProjectPage:
    """Projects with the newest activity first, counted in full, one page of them read: from ``offset``, or page
    ``page`` of pages cut by :func:`page_starts` (``rows``: a page's room, a row per channel the person may see that
    evaluated a project; counted from the index, so never fewer rows than the page draws)."""
    keys = [text_of(k) for k in await store._call(lambda: store.redis.zrevrange(projects_key(team), 0, -1))]
    facts = await _pipelined(store, keys, lambda pipe, key: (pipe.smembers(project_channels_key(team, key)),
                                                            pipe.scard(project_live_key(team, key))))
    per_key = {key: {text_of(c) for c in facts[2 * i]} for i, key in enumerate(keys) if facts[2 * i + 1]}
    live = {key: int(facts[2 * i + 1]) for i, key in enumerate(keys) if key in per_key}
    keys = [key for key in keys if key in per_key]
    seen = await visible(set().union(*per_key.values()) if per_key else set())
    shown = [key for key in keys if per_key[key] & seen]
    starts = page_starts([len(per_key[key] & seen) for key in shown], limit, rows)
    if page is not None:
        offset = starts[page - 1] if page <= len(starts) else len(shown)
        limit = (starts[page] if page < len(starts) else len(shown)) - offset
    page_keys = shown[offset: offset + limit]
    id_lists = await _pipelined(store, page_keys, lambda pipe, key: pipe.zrevrange(
        f"ftc:proj:{team}:{key}", 0, HISTORY_PER_PROJECT - 1))
    evaluations = {ev.id: ev for ev in await store._many([text_of(i) for ids in id_lists for i in ids])}
    projects, read = [], {}
    for key, ids in zip(page_keys, id_lists, strict=True):
        history = [evaluations[text_of(i)] for i in reversed(ids) if text_of(i) in evaluations]
        read[key] = len(history)
        history = [ev for ev in history if ev.channel in seen]
        if history:
            projects.append(history)
    return ProjectPage(projects=projects, total=len(shown), offset=offset, pages=len(starts),
                       live={key: live[key] for key in page_keys}, read=read,
                       channels={key: per_key[key] for key in page_keys})


async def team_totals(store: Store, team: str) -> tuple[int, set[str]]:
    """How many of ``team``'s evaluations are not deleted, and the channels of the projects that have any: counted
    from the project index (a SCARD and an SMEMBERS per project, one round trip after the index's), no document
    read."""
    keys = [text_of(k) for k in await store._call(lambda: store.redis.zrange(projects_key(team), 0, -1))]
    facts = await _pipelined(store, keys, lambda pipe, key: (pipe.scard(project_live_key(team, key)),
                                                            pipe.smembers(project_channels_key(team, key))))
    count, channels = 0, set()
    for i in range(len(keys)):
        if facts[2 * i]:
            count += int(facts[2 * i])
            channels |= {text_of(c) for c in facts[2 * i + 1]}
    return count, channels


async def _pipelined(store: Store, keys: list[str], command: Callable[[Any, str], object]) -> list[Any]:
    if not keys:
        return []

    async def run() -> list[Any]:
        pipe = store.redis.pipeline(transaction=False)
        for key in keys:
            command(pipe, key)
        return list(await pipe.execute())

    result: list[Any] = await store._call(run)
    return result


def text_of(raw: bytes | str) -> str:
    """A Redis reply as text (the clients here do not decode replies)."""
    return raw.decode() if isinstance(raw, bytes) else raw
