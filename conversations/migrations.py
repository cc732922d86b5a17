"""One-off data migrations, run by each server soon after it starts and every few minutes after
(``bot.serve.start_clock``).

Each one is idempotent (run again, or by two replicas at once, it changes nothing more) and sets a marker once it
has finished, so later runs skip it; a server looks for migrations not done every :data:`MIGRATE_EVERY_S`, so one
cut short (Redis went away) runs again within minutes, not at the next start.
"""

from __future__ import annotations

import re
import time

import structlog

from conversations.models import Evaluation, project_key
from conversations.read_models import project_channels_key, project_live_key, projects_key, text_of
from conversations.reminders import LATEST, latest_field, split_latest_by_channel
from conversations.store import CorruptRecord, Store, eval_key

log = structlog.get_logger(__name__)

NAMES_DECODED = "ftc:migrated:project-names-decoded"
READ_MODELS_BUILT = "ftc:migrated:read-models-built"
PROJECTS_REKEYED = "ftc:migrated:project-keys-keep-symbols"
REKEY_SINCE = "ftc:migrated:project-keys-keep-symbols:since"  # when the first sweep ran (epoch seconds)
# Sweeps go on (every MIGRATE_EVERY_S of a server's clock) until one this long after the first finds nothing to move:
# a replica of the version before, still serving during a rolling deploy, keeps writing the old keys meanwhile.
REKEY_SETTLE_S = 1800
MIGRATE_EVERY_S = 600  # how often a server looks for migrations not done (one that was cut short is run again)
_LOCK = "migrate"  # a ``Store.once`` token: one replica at a time does the work
_LOCK_S = 300  # a lock a replica left (it lost Redis mid-run) is free again by a later run
_ENTITY = re.compile(r"&(lt|gt|amp);")  # Slack's encoding of & < >, which bot/slack_text.py decodes in new text
_DECODED = {"lt": "<", "gt": ">", "amp": "&"}
_ENCODED_KEY = re.compile(r"(?:^|-)(?:amp|lt|gt)(?:-|$)")  # "r-amp-d-router": the key of "R&amp;D router"


async def migrate(store: Store) -> None:
    """Every migration not done yet, in order, by one replica at a time (the others skip this turn)."""
    if not await store.once(_LOCK, ttl_s=_LOCK_S):
        return
    try:
        await build_read_models(store)
        await decode_project_names(store)
        await split_latest_by_channel(store)
        await rekey_projects(store)
    finally:
        await store.release(_LOCK)


async def build_read_models(store: Store) -> int:
    """The read models (``read_models.py``: the team's project index behind Home and ``list``) for evaluations
    indexed before they existed, which Home and ``list`` did not show; derived from the documents once."""
    if await store._call(lambda: store.redis.exists(READ_MODELS_BUILT)):
        return 0
    count = await store.rebuild_indexes()
    await store._call(lambda: store.redis.set(READ_MODELS_BUILT, "1"))
    log.info("read_models_built", evaluations=count)
    return count


async def decode_project_names(store: Store) -> int:
    """Project names stored as Slack sent them ("R&amp;D router"), before command text was decoded, become the
    names as typed, under the key a typed name finds ("r-d-router", not "r-amp-d-router"): summary, history and
    remind find them again, and a new start of the project joins its history. Their index entries and the
    project's reminder move with them. Returns how many evaluations were renamed (0 once done)."""
    if await store._call(lambda: store.redis.exists(NAMES_DECODED)):
        return 0
    renamed = 0
    # the histories themselves, not the read model: evaluations indexed before it existed are only here
    async for history in store.redis.scan_iter(match="ftc:proj:*", count=500):
        team, _, old = text_of(history).removeprefix("ftc:proj:").partition(":")
        if _ENCODED_KEY.search(old):
            renamed += await _move_project(store, team, old)
    await store._call(lambda: store.redis.set(NAMES_DECODED, "1"))
    log.info("project_names_decoded", evaluations=renamed)
    return renamed


def _decode_name(ev: Evaluation) -> None:
    if ev.origin == "slack" and _ENTITY.search(ev.project):  # the terminal never encoded what was typed
        ev.project = _ENTITY.sub(lambda m: _DECODED[m.group(1)], ev.project)
        ev.project_key = project_key(ev.project)


async def _move_project(store: Store, team: str, old: str) -> int:
    """Rename the evaluations indexed under the key ``old`` whose names were stored encoded; index them under
    their new key and take them out of the old one (which goes once nothing else is under it)."""
    history = f"ftc:proj:{team}:{old}"
    renamed: list[Evaluation] = []
    for eid in await store._ids(history, limit=100_000):
        try:
            ev, _, _ = await store.update(eid, _decode_name, by="ftcheck", action="project_name_decoded")
        except KeyError:  # gone since it was indexed
            continue
        if ev.project_key != old:
            await store._index(ev)
            renamed.append(ev)
    if not renamed:
        return 0
    ids = [ev.id for ev in renamed]
    # the previous version's field, then one per channel (reminders.latest_field)
    fields = [f"{team}:{old}", *(latest_field(team, c, old) for c in sorted({ev.channel for ev in renamed}))]

    async def untangle() -> list[object]:
        pipe = store.redis.pipeline(transaction=False)
        pipe.zrem(history, *ids)
        pipe.srem(project_live_key(team, old), *ids)
        pipe.zcard(history)
        pipe.hmget(LATEST, fields)
        return list(await pipe.execute())

    _, _, left, latest = await store._call(untangle)
    if not left:
        await store._call(lambda: store.redis.delete(project_channels_key(team, old), project_live_key(team, old)))
        await store._call(lambda: store.redis.zrem(projects_key(team), old))
    for field, value in zip(fields, latest, strict=True):
        if value is not None:
            await _move_latest(store, field, field.removesuffix(old) + renamed[0].project_key, text_of(value))
    return len(renamed)


async def _move_latest(store: Store, old: str, new: str, value: str) -> None:
    """The project's reminder bookkeeping (``reminders.LATEST``): ``<started epoch s>|<id>``, the later one kept."""
    current = await store._call(lambda: store.redis.hget(LATEST, new))
    if current is None or float(text_of(current).partition("|")[0]) < float(value.partition("|")[0]):
        await store._call(lambda: store.redis.hset(LATEST, new, value))
    await store._call(lambda: store.redis.hdel(LATEST, old))


async def rekey_projects(store: Store, now: float | None = None) -> int:
    """Project keys that kept only letters and digits merged names that differ in meaning: "C++ model", "C# model"
    and "C model" were one project (``c-model``), and so its history, its pre-fill and its reminder. Each
    evaluation moves to the key its own name has now (:func:`project_key`): a merged project splits into one per
    name; its index entries and the reminder bookkeeping of each channel (its ``latest`` field) follow. A reminder
    that the merge superseded (completing "C model" replaced "C++ model"'s) is not booked again: that needs the
    server's cadence settings, and a lead can set one with ``/ftcheck remind``. Returns how many evaluations moved.

    Not one sweep but several: the marker is set only by a sweep that moves nothing, :data:`REKEY_SETTLE_S` or more
    after the first, so what a replica of the version before wrote under an old key during a rolling deploy, and
    what a sweep cut short left, are moved by a later one (a server sweeps every :data:`MIGRATE_EVERY_S`)."""
    if await store._call(lambda: store.redis.exists(PROJECTS_REKEYED)):
        return 0
    now = time.time() if now is None else now
    await store._call(lambda: store.redis.set(REKEY_SINCE, str(now), nx=True))
    since = float(text_of(await store._call(lambda: store.redis.get(REKEY_SINCE))) or now)
    moved = 0
    async for history in store.redis.scan_iter(match="ftc:proj:*", count=500):
        team, _, old = text_of(history).removeprefix("ftc:proj:").partition(":")
        moved += await _rekey(store, team, old)
    if not moved and now - since >= REKEY_SETTLE_S:  # settled: older replicas are long gone
        await store._call(lambda: store.redis.set(PROJECTS_REKEYED, "1"))
    (log.info if moved else log.debug)("project_keys_rekeyed", evaluations=moved)  # a terminal's new store: quiet
    return moved


def _rekeyed(ev: Evaluation) -> None:
    ev.project_key = project_key(ev.project)


async def _rekey(store: Store, team: str, old: str) -> int:
    """Move the evaluations of the history ``old`` whose names key elsewhere now (deleted ones too: a start reads
    them); what stays under ``old`` gets its channels, activity and reminder bookkeeping from what is left."""
    history = f"ftc:proj:{team}:{old}"
    stay: list[Evaluation] = []
    moved: list[Evaluation] = []
    for ev in await _documents(store, await store._ids(history, limit=100_000)):
        if ev.project_key != project_key(ev.project):
            try:
                ev, _, _ = await store.update(ev.id, _rekeyed, by="ftcheck", action="project_rekeyed")
            except KeyError:  # gone since it was indexed
                continue
        if ev.project_key == old:
            stay.append(ev)
            continue
        await store._index(ev)  # also when an earlier, cut short run wrote the document
        moved.append(ev)
    if moved:
        await _untangle(store, team, old, moved, stay)
        for channel in sorted({ev.channel for ev in moved}):
            keys = {old} | {ev.project_key for ev in moved if ev.channel == channel}
            for key in sorted(keys):
                await _set_latest(store, team, channel, key)
    return len(moved)


async def _documents(store: Store, ids: list[str]) -> list[Evaluation]:
    """The evaluations ``ids`` name, deleted ones included (``Store._many`` leaves those out); corrupt ones are
    logged by the store and left where they are."""
    if not ids:
        return []

    async def read() -> list[object]:
        pipe = store.redis.pipeline(transaction=False)
        for eid in ids:
            pipe.get(eval_key(eid))
        return list(await pipe.execute())

    found = []
    for eid, raw in zip(ids, await store._call(read), strict=True):
        try:
            ev = store._parse(raw if isinstance(raw, bytes | str) else None, eval_key(eid))
        except CorruptRecord:
            continue
        if ev is not None:
            found.append(ev)
    return found


async def _untangle(store: Store, team: str, old: str, moved: list[Evaluation], stay: list[Evaluation]) -> None:
    """Take ``moved`` out of the project ``old``'s history and read model; what ``stay``s there is all it lists."""
    ids = [ev.id for ev in moved]

    async def write() -> list[object]:
        pipe = store.redis.pipeline(transaction=False)
        pipe.zrem(f"ftc:proj:{team}:{old}", *ids)
        pipe.srem(project_live_key(team, old), *ids)
        pipe.delete(project_channels_key(team, old))
        if stay:
            pipe.sadd(project_channels_key(team, old), *{ev.channel for ev in stay})
            latest = max((ev.completed_at or ev.last_activity).timestamp() for ev in stay)
            pipe.zadd(projects_key(team), {old: latest})
        else:
            pipe.delete(project_live_key(team, old))
            pipe.zrem(projects_key(team), old)
        return list(await pipe.execute())

    await store._call(write)


async def _set_latest(store: Store, team: str, channel: str, key: str) -> None:
    """The project's reminder bookkeeping in a channel (``reminders.LATEST``), from its evaluations there: its
    latest-started completed one, or none."""
    done = [ev for ev in await store.project_history(team, key) if ev.channel == channel and ev.status == "completed"]
    field = latest_field(team, channel, key)
    if not done:
        await store._call(lambda: store.redis.hdel(LATEST, field))
        return
    latest = max(done, key=lambda ev: ev.started_at)
    value = f"{latest.started_at.timestamp()!r}|{latest.id}"
    await store._call(lambda: store.redis.hset(LATEST, field, value))
