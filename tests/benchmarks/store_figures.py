"""Redis round trips per answered question and Redis memory per completed evaluation, in-process.

The engine runs against the real redis-server with a presenter that only hands out message
timestamps (no Slack), so what is counted is the engine and the store alone:

* round trips: ``Store.round_trips`` (one per ``Store._call``: a command, a script call or a pipeline)
  before and after each ``engine.answer(...)``, which includes writing the answer and recording the
  posted cards (``carry_out``);
* memory: ``INFO memory`` ``used_memory`` before and after completing N evaluations, divided by N;
  plus ``MEMORY USAGE`` of one evaluation's own keys (document and audit list), which is what stays
  once the 24-hour dedupe markers have expired.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass

import redis.asyncio as aioredis

from conversations.engine import Engine
from conversations.models import Evaluation
from conversations.store import Store, eval_key
from scoring.checklist import Checklist, Registry
from scoring.scorecard import Scorecard

ANSWERS = (1.0, 0.5, 0.0)


class TimestampPresenter:
    """The engine's Presenter doing no I/O: every post gets a fresh Slack-shaped ts."""

    def __init__(self) -> None:
        self._ts = itertools.count(1)

    def _next(self) -> str:
        value = next(self._ts)
        return f"{1_700_000_000 + value // 1_000_000}.{value % 1_000_000:06d}"

    async def post_root(self, ev: Evaluation, checklist: Checklist) -> str:
        return self._next()

    async def update_root(self, ev: Evaluation, checklist: Checklist) -> None:
        return None

    async def post_card(self, ev: Evaluation, checklist: Checklist, question_id: str) -> str:
        return self._next()

    async def update_card(self, ev: Evaluation, checklist: Checklist, card_ts: str) -> None:
        return None

    async def post_scorecard(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> str:
        return self._next()

    async def update_scorecard(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> None:
        return None

    async def post_provisional(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> None:
        return None


def engine_for(client: aioredis.Redis) -> Engine:
    return Engine(Store(client), Registry(), TimestampPresenter())


async def complete(engine: Engine, n: int, *, channel: str = "CMEM", per_answer: list[int] | None = None
                   ) -> Evaluation:
    """Start and answer one evaluation through the engine (users rotate; every click has a dedupe token)."""
    ev = await engine.start(team="T0001", channel=channel, project=f"memory {n}", checklist_id=None, user="U1")
    for step in itertools.count():
        open_cards = ev.open_cards()
        if not open_cards:
            break
        card_ts = next(iter(open_cards))
        before = engine.store.round_trips
        ev, _ = await engine.answer(ev.id, card_ts=card_ts, user=f"U{step % 3 + 1}",
                                    value=ANSWERS[(n + step) % len(ANSWERS)], seen=f"{card_ts}:{step}:U")
        if per_answer is not None:
            per_answer.append(engine.store.round_trips - before)
    if ev.status != "completed":
        raise RuntimeError(f"evaluation {ev.id} did not complete: {ev.status}")
    return ev


@dataclass(frozen=True)
class StoreFigures:
    answers: int
    round_trips_mean: float
    round_trips_max: int
    round_trips_modal: int
    evaluations: int
    used_memory_per_eval: float  # bytes
    own_keys_bytes: int  # MEMORY USAGE of one evaluation's document + audit list
    doc_bytes: int  # the JSON document's length


async def measure(redis_url: str, evaluations: int) -> StoreFigures:
    client: aioredis.Redis = aioredis.Redis.from_url(redis_url)
    try:
        await client.flushall()
        engine = engine_for(client)
        await complete(engine, 0, channel="CWARM")  # loads the CAS script once, warms the pool
        per_answer: list[int] = []
        for n in range(3):
            await complete(engine, n, channel="CRT", per_answer=per_answer)

        await client.flushall()
        engine = engine_for(client)
        await complete(engine, 0, channel="CWARM")
        before = int((await client.info("memory"))["used_memory"])
        last: Evaluation | None = None
        for n in range(evaluations):
            last = await complete(engine, n, channel=f"CM{n % 50:03d}")
        after = int((await client.info("memory"))["used_memory"])
        assert last is not None
        own = 0
        for key in (eval_key(last.id), f"ftc:{{e:{last.id}}}:audit"):
            own += int(await client.memory_usage(key) or 0)
        doc = len(await client.get(eval_key(last.id)) or b"")
        await client.flushall()
    finally:
        await client.aclose()
    return StoreFigures(
        answers=len(per_answer), round_trips_mean=statistics.fmean(per_answer), round_trips_max=max(per_answer),
        round_trips_modal=statistics.mode(per_answer), evaluations=evaluations,
        used_memory_per_eval=(after - before) / evaluations, own_keys_bytes=own, doc_bytes=doc)
