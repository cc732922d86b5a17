"""Project names stored as Slack sent them ("R&amp;D router") are found again by the name as typed."""

from __future__ import annotations

from datetime import timedelta

import redis.asyncio as aioredis

from conversations.engine import Engine
from conversations.migrations import (
    NAMES_DECODED,
    PROJECTS_REKEYED,
    READ_MODELS_BUILT,
    decode_project_names,
    migrate,
)
from conversations.models import Evaluation, project_key
from conversations.read_models import project_channels_key, project_live_key, project_page, projects_key, text_of
from conversations.reminders import LATEST, Reminders, WorkingHours
from conversations.store import Store
from scoring.checklist import Registry
from tests.conversations.recording import RecordingPresenter
from tests.conversations.test_project_rekey import stored_before
from tests.conversations.test_reminders import Sink, walk

REGISTRY = Registry()


async def everyone(channels: set[str]) -> set[str]:
    return channels


async def evaluated(engine: Engine, project: str, origin: str = "slack") -> Evaluation:
    ev = await engine.start(team="T1", channel="C1", project=project, checklist_id="dataset-readiness", user="U1",
                            origin="terminal" if origin == "terminal" else "slack")
    return await walk(engine, ev)


async def test_encoded_names_move_to_the_key_a_typed_name_finds(redis_client: aioredis.Redis) -> None:
    await names_decoded(redis_client)


async def names_decoded(redis_client: aioredis.Redis) -> None:
    """Also run on a Redis Cluster (tests/cluster): the team's keys and each evaluation's are in other slots."""
    store = Store(redis_client)
    engine = Engine(store, REGISTRY, RecordingPresenter())
    reminders = Reminders(store, REGISTRY, Sink(), after=timedelta(days=90), idle_after=timedelta(days=2),
                          hours=WorkingHours.parse("always"))
    # what the version before decoding stored for "/ftcheck start R&D router" (twice) and for "Q&A <beta>", under
    # the keys of then
    with stored_before():
        before = [await evaluated(engine, "R&amp;D router") for _ in range(2)]
        qa = await evaluated(engine, "Q&amp;A &lt;beta&gt;")
        await reminders.on_completed(before[1])
        kept = await evaluated(engine, "amp lab", origin="terminal")  # a key with "amp" in it, but nothing encoded
    assert before[0].project_key == "r-amp-d-router"

    assert await decode_project_names(store) == 3

    history = await store.project_history("T1", project_key("R&D router"))
    assert [ev.id for ev in history] == [ev.id for ev in before]
    assert {ev.project for ev in history} == {"R&D router"}
    assert [ev.project for ev in await store.project_history("T1", project_key("Q&A <beta>"))] == ["Q&A <beta>"]
    assert await store.project_history("T1", "r-amp-d-router") == []
    keys = {text_of(k) for k in await redis_client.zrange(projects_key("T1"), 0, -1)}  # type: ignore[arg-type]
    assert keys == {project_key("R&D router"), project_key("Q&A <beta>"), "amp-lab"}
    page = await project_page(store, "T1", everyone, offset=0, limit=10)
    assert sorted(p[-1].project for p in page.projects) == ["Q&A <beta>", "R&D router", "amp lab"]
    assert await redis_client.hget(LATEST, "T1:C1:r-amp-d-router") is None
    field = f"T1:C1:{project_key('R&D router')}"
    assert text_of(await redis_client.hget(LATEST, field) or "").endswith(f"|{before[1].id}")
    assert (await store.get(kept.id) or kept).project == "amp lab"
    assert [a.action for a in await store.audit(qa.id)][-1] == "project_name_decoded"

    assert await redis_client.exists(NAMES_DECODED)
    assert await decode_project_names(store) == 0  # done once; a later start skips it


async def test_a_second_pass_changes_nothing(redis_client: aioredis.Redis) -> None:
    """Cut short before its marker was set (Redis went away), the next start runs it again harmlessly."""
    store = Store(redis_client)
    engine = Engine(store, REGISTRY, RecordingPresenter())
    with stored_before():
        ev = await evaluated(engine, "R&amp;D router")
    assert await decode_project_names(store) == 1
    await redis_client.delete(NAMES_DECODED)
    assert await decode_project_names(store) == 0
    moved = await store.get(ev.id)
    assert moved is not None and (moved.project, moved.version) == ("R&D router", ev.version + 1)


async def test_evaluations_indexed_before_the_read_models_are_listed_and_renamed(redis_client: aioredis.Redis) -> None:
    store = Store(redis_client)
    engine = Engine(store, REGISTRY, RecordingPresenter())
    with stored_before():
        ev = await evaluated(engine, "R&amp;D router")
    # data written before the read models existed: the documents and their ftc:proj:* histories only
    await redis_client.delete(projects_key("T1"), project_channels_key("T1", ev.project_key),
                              project_live_key("T1", ev.project_key))
    assert (await project_page(store, "T1", everyone, offset=0, limit=10)).projects == []
    await migrate(store)
    assert [e.project for e in await store.project_history("T1", project_key("R&D router"))] == ["R&D router"]
    page = await project_page(store, "T1", everyone, offset=0, limit=10)
    assert [p[-1].project for p in page.projects] == ["R&D router"]
    assert await redis_client.exists(READ_MODELS_BUILT, NAMES_DECODED) == 2
    assert not await redis_client.exists(PROJECTS_REKEYED)  # settles on a later run (test_project_rekey.py)
