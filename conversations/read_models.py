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
from dataclasses import dataclass
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


Visible = Callable[[set[str]], Awaitable[set[str]]]  # channels -> the subset the person may see


async def project_page(store: Store, team: str, visible: Visible, *, offset: int, limit: int) -> ProjectPage:
    """Projects with the newest activity first, counted in full, one page of them read."""
    keys = [text_of(k) for k in await store._call(lambda: store.redis.zrevrange(projects_key(team), 0, -1))]
    facts = await _pipelined(store, keys, lambda pipe, key: (pipe.smembers(project_channels_key(team, key)),
                                                            pipe.scard(project_live_key(team, key))))
    per_key = {key: {text_of(c) for c in facts[2 * i]} for i, key in enumerate(keys) if facts[2 * i + 1]}
    keys = [key for key in keys if key in per_key]
    seen = await visible(set().union(*per_key.values()) if per_key else set())
    shown = [key for key in keys if per_key[key] & seen]
    page_keys = shown[offset: offset + limit]
    id_lists = await _pipelined(store, page_keys, lambda pipe, key: pipe.zrevrange(
        f"ftc:proj:{team}:{key}", 0, HISTORY_PER_PROJECT - 1))
    evaluations = {ev.id: ev for ev in await store._many([text_of(i) for ids in id_lists for i in ids])}
    projects = []
    for ids in id_lists:
        history = [evaluations[text_of(i)] for i in reversed(ids) if text_of(i) in evaluations]
        history = [ev for ev in history if ev.channel in seen]
        if history:
            projects.append(history)
    return ProjectPage(projects=projects, total=len(shown), offset=offset)


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
