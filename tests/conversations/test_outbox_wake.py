"""``Outbox.wake``: once Slack answers again, the next tick retries what failed meanwhile without waiting out each
entry's backoff, but never takes an evaluation a delivery in flight holds (its lease), and keeps a Retry-After's hold
(an entry that failed ``ratelimited``). Real Redis; the front end records its redraws."""

from __future__ import annotations

import time

import redis.asyncio as aioredis
import structlog

from conversations.due_queues import OUTBOX_DUE, hold_score
from conversations.effects import LEASE_S, Owed, UpdateRoot
from conversations.engine import Engine
from conversations.models import Evaluation
from conversations.outbox import Outbox
from conversations.store import Store, eval_key
from scoring.checklist import Registry
from tests.conversations.recording import RecordingRecovery

REGISTRY = Registry()


async def owing_a_failed_redraw(engine: Engine, redis_client: aioredis.Redis, project: str, *, error: str,
                                held_for: float) -> str:
    """An evaluation whose root redraw (owed by an earlier write) failed with ``error`` twice and is retried in 30 s;
    held in the due queue for ``held_for`` seconds."""
    ev = await engine.start(team="T1", channel=f"C-{project}", project=project, checklist_id=None, user="U1")
    raw = await redis_client.get(eval_key(ev.id))
    assert raw is not None
    doc = Evaluation.model_validate_json(raw)
    now = time.time()
    doc.pending = [Owed(effect=UpdateRoot(), attempts=2, next_at=now + 30, since=doc.version - 1, error=error)]
    await redis_client.set(eval_key(ev.id), doc.model_dump_json())
    await redis_client.zadd(OUTBOX_DUE, {ev.id: hold_score(now, held_for)})
    return ev.id


async def test_a_wake_retries_backoffs_now_but_not_a_live_lease_nor_a_retry_after(
        redis_client: aioredis.Redis) -> None:
    slack = RecordingRecovery()
    engine = Engine(Store(redis_client), REGISTRY, slack, slack)
    backoff = await owing_a_failed_redraw(engine, redis_client, "Backoff", error="internal_error", held_for=30)
    leased = await owing_a_failed_redraw(engine, redis_client, "Leased", error="internal_error", held_for=LEASE_S)
    limited = await owing_a_failed_redraw(engine, redis_client, "Limited", error="ratelimited", held_for=30)
    outbox = Outbox(Engine(Store(redis_client), REGISTRY, slack, slack))
    slack.log = []
    assert await outbox.tick() == 0  # every one is held: nothing is looked at
    lease = await redis_client.zscore(OUTBOX_DUE, leased)
    outbox.wake()
    assert await outbox.tick() == 2
    assert slack.log == [("update_root", "in_progress")]  # the backoff's redraw, at once
    stored = {eid: Evaluation.model_validate_json(await redis_client.get(eval_key(eid)) or b"")
              for eid in (backoff, leased, limited)}
    assert stored[backoff].pending == []
    assert [o.attempts for o in stored[leased].pending] == [2]  # its holder delivers it
    assert await redis_client.zscore(OUTBOX_DUE, leased) == lease  # and its lease is as it set it
    assert [o.attempts for o in stored[limited].pending] == [2]  # Slack said when: not before
    assert (await redis_client.zscore(OUTBOX_DUE, limited) or 0) >= hold_score(time.time(), 25)  # held again
    slack.log = []
    assert await outbox.tick() == 0 and slack.log == []  # the wake is over: backoffs are kept again


async def test_a_wake_ends_after_one_claim_when_every_hold_is_kept(redis_client: aioredis.Redis) -> None:
    """60 evaluations held for a Retry-After (or a checklist not loaded): each is held again past the threshold
    when looked at, and a wake that lasted while 50 or more were claimed re-read the same 50 at every tick, two
    `outbox_woken` lines a second, until the holds ran out (for a checklist, until a restart). One claim per wake."""
    slack = RecordingRecovery()
    engine = Engine(Store(redis_client), REGISTRY, slack, slack)
    for i in range(60):
        await owing_a_failed_redraw(engine, redis_client, f"Limited{i}", error="ratelimited", held_for=30)
    outbox = Outbox(Engine(Store(redis_client), REGISTRY, slack, slack))
    slack.log = []
    outbox.wake()
    with structlog.testing.capture_logs() as logs:
        looked = [await outbox.tick() for _ in range(20)]
    assert looked == [60] + [0] * 19
    assert [e["event"] for e in logs].count("outbox_woken") == 1 and slack.log == []
