"""Projects whose names differ in meaning ("C++ model", "C# model") were one project under the keys stored before;
a migration splits them by each evaluation's own name, with their indexes and reminder bookkeeping."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

import redis.asyncio as aioredis

from conversations import queries
from conversations.engine import Engine
from conversations.migrations import PROJECTS_REKEYED, REKEY_SETTLE_S, REKEY_SINCE, migrate, rekey_projects
from conversations.models import Evaluation, project_key
from conversations.read_models import project_channels_key, project_live_key, project_page, projects_key, text_of
from conversations.reminders import LATEST, Reminders, WorkingHours
from conversations.store import Store
from scoring.checklist import Registry
from tests.conversations.recording import RecordingPresenter
from tests.conversations.test_reminders import Sink, walk

REGISTRY = Registry()


def key_before(name: str) -> str:
    """The key every project was stored under before: in ASCII only a-z and 0-9 kept."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    kept = "".join(
        ch if (ch.isascii() and ch in "abcdefghijklmnopqrstuvwxyz0123456789")
        or (not ch.isascii() and (unicodedata.category(ch)[0] in "LNMS" or ch == "\u200d")) else "-"
        for ch in folded
    )
    return re.sub(r"-+", "-", kept).strip("-") or "project"


@contextmanager
def stored_before() -> Iterator[None]:
    """Evaluations started in here are keyed as the version before stored them."""
    with patch("conversations.flow.project_key", key_before):
        yield


async def everyone(channels: set[str]) -> set[str]:
    return channels


class Team:
    def __init__(self, redis_client: aioredis.Redis) -> None:
        self.redis = redis_client
        self.store = Store(redis_client)
        self.engine = Engine(self.store, REGISTRY, RecordingPresenter())
        self.reminders = Reminders(self.store, REGISTRY, Sink(), after=timedelta(days=90),
                                   idle_after=timedelta(days=2), hours=WorkingHours.parse("always"))

    async def start(self, project: str, channel: str = "C1") -> Evaluation:
        return await self.engine.start(team="T1", channel=channel, project=project, checklist_id="dataset-readiness",
                                       user="U1")

    async def completed(self, project: str, channel: str = "C1") -> Evaluation:
        ev = await walk(self.engine, await self.start(project, channel))
        await self.reminders.on_completed(ev)
        return ev

    async def history(self, project: str) -> list[str]:
        return [ev.id for ev in await self.store.project_history("T1", project_key(project))]

    async def latest(self, channel: str, key: str) -> str | None:
        raw = await self.redis.hget(LATEST, f"T1:{channel}:{key}")
        return None if raw is None else text_of(raw).partition("|")[2]

    async def listed_keys(self) -> set[str]:
        return {text_of(k) for k in await self.redis.zrange(projects_key("T1"), 0, -1)}  # type: ignore[arg-type]


async def test_projects_merged_under_one_key_are_split_by_their_own_names(redis_client: aioredis.Redis) -> None:
    team = Team(redis_client)
    with stored_before():
        cpp = await team.completed("C++ model")
        sharp_first = await team.completed("C# model")
        sharp_open = await team.start("C# model", channel="C2")
        plain = await team.completed("C model")
        sharp = await team.completed("C# model")  # the merged project's latest result in C1
        cpp_elsewhere = await team.completed("C++ model", channel="C2")
    assert {cpp.project_key, sharp.project_key, plain.project_key} == {"c-model"}
    assert await team.latest("C1", "c-model") == sharp.id

    assert await rekey_projects(team.store) == 5

    assert await team.history("C++ model") == [cpp.id, cpp_elsewhere.id]
    assert await team.history("C# model") == [sharp_first.id, sharp_open.id, sharp.id]
    assert await team.history("C model") == [plain.id]
    assert await team.listed_keys() == {"c-model", "c-++-model", "c-#-model"}
    assert {text_of(c) for c in await redis_client.smembers(project_channels_key("T1", "c-model"))} == {"C1"}
    assert {text_of(c) for c in await redis_client.smembers(
        project_channels_key("T1", "c-#-model"))} == {"C1", "C2"}
    assert await redis_client.scard(project_live_key("T1", "c-model")) == 1
    # each project's reminder bookkeeping in each channel names its own latest result
    assert await team.latest("C1", "c-model") == plain.id
    assert await team.latest("C1", "c-++-model") == cpp.id
    assert await team.latest("C1", "c-#-model") == sharp.id
    assert await team.latest("C2", "c-++-model") == cpp_elsewhere.id
    assert await team.latest("C2", "c-model") is None
    moved = await team.store.get(cpp.id)
    assert moved is not None and moved.project_key == "c-++-model" and moved.version == cpp.version + 1
    assert [a.action for a in await team.store.audit(cpp.id)][-1] == "project_rekeyed"
    # what a start of "C# model" in C1 now pre-fills from, and what runs there
    history = await queries.channel_history(team.store, "T1", "C1", project_key("C# model"))
    assert (queries.prefill_base(history, None, REGISTRY.ids()) or cpp).id == sharp.id
    assert await queries.open_evaluation(team.store, "T1", "C2", "C++ model") is None
    assert (await queries.open_evaluation(team.store, "T1", "C2", "C# model") or cpp).id == sharp_open.id

    assert not await redis_client.exists(PROJECTS_REKEYED)  # not settled yet: older replicas may still write
    assert await rekey_projects(team.store) == 0  # nothing more to move
    since = float(text_of(await redis_client.get(REKEY_SINCE) or "0"))
    assert await rekey_projects(team.store, now=since + REKEY_SETTLE_S) == 0
    assert await redis_client.exists(PROJECTS_REKEYED)  # settled: later runs only read the marker


async def test_names_of_punctuation_alone_are_projects_of_their_own(redis_client: aioredis.Redis) -> None:
    team = Team(redis_client)
    with stored_before():
        asked = await team.completed("???")
        shouted = await team.completed("!!!")
    assert asked.project_key == shouted.project_key == "project"
    assert await rekey_projects(team.store) == 2
    assert await team.history("???") == [asked.id]
    assert await team.history("!!!") == [shouted.id]
    assert "project" not in await team.listed_keys()
    assert await redis_client.exists("ftc:proj:T1:project", project_live_key("T1", "project"),
                                     project_channels_key("T1", "project")) == 0
    page = await project_page(team.store, "T1", everyone, offset=0, limit=10)
    assert sorted(p[-1].project for p in page.projects) == ["!!!", "???"]


async def test_a_deleted_evaluation_moves_too(redis_client: aioredis.Redis) -> None:
    """A start reads the project's deleted evaluations ("… was deleted here on …"): they key by their names too."""
    team = Team(redis_client)
    with stored_before():
        gone = await team.completed("C# model")
        await team.engine.discard(gone.id, user="U1")
    assert await rekey_projects(team.store) == 1
    found = await queries.deleted_here(team.store, "T1", "C1", project_key("C# model"))
    assert found is not None and found[0].id == gone.id
    assert await queries.deleted_here(team.store, "T1", "C1", "c-model") is None


async def test_a_run_cut_short_is_finished_by_the_next_start(redis_client: aioredis.Redis) -> None:
    """Cut short after the documents were written but before the old index was cleaned: the next start finishes it,
    and a start after that changes nothing."""
    team = Team(redis_client)
    with stored_before():
        cpp = await team.completed("C++ model")
        plain = await team.completed("C model")
    await team.store.update(cpp.id, lambda ev: setattr(ev, "project_key", "c-++-model"), by="ftcheck")
    await team.store._index((await team.store.get(cpp.id)) or cpp)
    assert await rekey_projects(team.store) == 1
    assert await team.history("C++ model") == [cpp.id] and await team.history("C model") == [plain.id]
    await redis_client.delete(PROJECTS_REKEYED)
    assert await rekey_projects(team.store) == 0
    moved = await team.store.get(cpp.id)
    assert moved is not None and moved.version == cpp.version + 1


async def test_names_that_keep_their_key_are_left_alone(redis_client: aioredis.Redis) -> None:
    team = Team(redis_client)
    with stored_before():
        ev = await team.completed("Ticket router")
    await migrate(team.store)
    assert await redis_client.exists(REKEY_SINCE) and not await redis_client.exists(PROJECTS_REKEYED)
    kept = await team.store.get(ev.id)
    assert kept is not None and kept.version == ev.version and kept.project_key == "ticket-router"
    assert await team.latest("C1", "ticket-router") == ev.id


async def test_what_an_older_replica_writes_during_a_rolling_deploy_is_moved_by_a_later_sweep(
        redis_client: aioredis.Redis) -> None:
    """Fault review: the first new replica's sweep set the marker, an older replica still serving then stored
    "C++ model" under the old key, and no later sweep ran: history and start could not find it. Sweeps now go on
    until one, a settle time after the first, finds nothing to move."""
    team = Team(redis_client)
    with stored_before():
        first = await team.completed("C++ model")
    assert await rekey_projects(team.store, now=1000.0) == 1
    with stored_before():  # an older replica, after the first sweep
        late = await team.completed("C++ model", channel="C2")
    assert late.project_key == "c-model"
    assert await rekey_projects(team.store, now=1600.0) == 1
    assert await team.history("C++ model") == [first.id, late.id]
    assert not await redis_client.exists(PROJECTS_REKEYED)
    assert await rekey_projects(team.store, now=1000.0 + REKEY_SETTLE_S) == 0
    assert await redis_client.exists(PROJECTS_REKEYED)


async def test_a_sweep_that_still_moves_something_does_not_settle(redis_client: aioredis.Redis) -> None:
    team = Team(redis_client)
    assert await rekey_projects(team.store, now=1000.0) == 0
    with stored_before():
        await team.completed("C# model")
    assert await rekey_projects(team.store, now=1000.0 + REKEY_SETTLE_S) == 1  # late, but it moved one: not yet
    assert not await redis_client.exists(PROJECTS_REKEYED)
    assert await rekey_projects(team.store, now=1000.0 + REKEY_SETTLE_S + 600) == 0
    assert await redis_client.exists(PROJECTS_REKEYED)
