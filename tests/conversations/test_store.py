"""The store over a real Redis: compact and legacy documents, dedupe, the document cache, round trips, audit, outbox."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
import redis.asyncio as aioredis

from conversations import flow
from conversations.due_queues import OUTBOX_DUE, hold_score
from conversations.effects import LEASE_S, DeliveryFailed, Owed, PostCard, TellUndelivered, UpdateRoot
from conversations.engine import Engine
from conversations.models import Evaluation
from conversations.store import SEEN_TTL_S, Store, dump, eval_key
from scoring.checklist import Checklist, Registry
from tests.benchmarks.store_figures import TimestampPresenter, complete

REGISTRY = Registry()


class OffsetPresenter(TimestampPresenter):
    """Hands out timestamps from its own range, so two engines never post the same ts."""

    def __init__(self, start: int = 1) -> None:
        super().__init__()
        self._ts = itertools.count(start)


class WatchingPresenter(TimestampPresenter):
    """Looks at the outbox mark while a card is being posted; can hold the mark later (as another writer would)."""

    def __init__(self, redis: aioredis.Redis) -> None:
        super().__init__()
        self.redis = redis
        self.hold_until: int | None = None
        self.marks: list[float | None] = []

    async def post_card(self, ev: Evaluation, checklist: Checklist, question_id: str) -> str:
        self.marks.append(await self.redis.zscore(OUTBOX_DUE, ev.id))
        if self.hold_until is not None:
            await self.redis.zadd(OUTBOX_DUE, {ev.id: self.hold_until}, gt=True)
        return await super().post_card(ev, checklist, question_id)


class RefusingPresenter(TimestampPresenter):
    """Slack refuses every card for good (an archived channel)."""

    async def post_card(self, ev: Evaluation, checklist: Checklist, question_id: str) -> str:
        raise DeliveryFailed("is_archived", permanent=True)


@pytest.fixture
async def engine(redis_client: aioredis.Redis) -> Engine:
    return Engine(Store(redis_client), REGISTRY, OffsetPresenter())


def key(eid: str, part: str) -> str:
    return f"ftc:{{e:{eid}}}:{part}"


async def start(engine: Engine) -> Evaluation:
    return await engine.start(team="T1", channel="C1", project="Ticket router", checklist_id=None, user="U1")


def open_card(ev: Evaluation) -> tuple[str, str]:
    (ts, card), = ev.open_cards().items()
    return ts, card.question


def nulls(value: object, path: str = "$") -> list[str]:
    """Where a JSON value holds ``null``."""
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in nulls(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in nulls(v, f"{path}[{i}]")]
    return []


def epoch_ms(value: object, expected: datetime) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and value == pytest.approx(expected.timestamp() * 1000, abs=0.01))


async def stored_text(redis: aioredis.Redis, eid: str) -> str:
    raw = await redis.get(eval_key(eid))
    assert raw is not None
    return raw.decode() if isinstance(raw, bytes) else str(raw)


async def audit_len(redis: aioredis.Redis, eid: str) -> int:
    return int(await redis.llen(key(eid, "audit")))


def legacy_json(ev: Evaluation) -> str:
    """The document as written before defaults were left out: every field, ISO dates, the question id inside
    each answer (pydantic's compact separators, so the id and version open it as the script expects)."""
    data: dict[str, Any] = ev.model_dump(mode="python")
    data["answers"] = {q: {"question": q, **a} for q, a in data["answers"].items()}

    def iso(value: object) -> str:
        if isinstance(value, datetime):
            return value.isoformat()
        raise TypeError(type(value).__name__)

    return json.dumps(data, default=iso, separators=(",", ":"))


# -- 1. compact documents ----------------------------------------------------------------------------------

async def test_a_completed_evaluation_is_stored_compactly(engine: Engine, redis_client: aioredis.Redis) -> None:
    ev = await complete(engine, 0, channel="C1")
    text = await stored_text(redis_client, ev.id)
    doc = json.loads(text)

    assert text.startswith(f'{{"id":"{ev.id}","version":{ev.version},')
    assert list(doc)[:2] == ["id", "version"] and doc["version"] == ev.version
    assert nulls(doc) == []
    unset = {"pending", "undelivered", "prefill", "suggestions", "ballots", "previous_id", "idle_check_at",
             "idle_nudged", "mode", "quorum", "origin"}
    assert unset.isdisjoint(doc), unset & set(doc)
    assert len(doc["answers"]) == len(ev.answers) == len(REGISTRY.get().questions)
    for qid, entry in doc["answers"].items():
        # the question id stays inside too, so the version before this one still reads the document
        assert set(entry) == {"question", "value", "by", "at"} and entry["question"] == qid, (qid, entry)
        assert epoch_ms(entry["at"], ev.answers[qid].at)
    assert all(card == {"question": card["question"], "open": False} for card in doc["cards"].values())
    for field in ("started_at", "completed_at", "last_activity"):
        expected = getattr(ev, field)
        assert isinstance(expected, datetime) and epoch_ms(doc[field], expected), field

    loaded = await Store(redis_client).get(ev.id)  # a store with nothing cached: parsed from what Redis holds
    assert loaded is not None
    assert loaded == ev
    assert loaded.answers.keys() == ev.answers.keys()
    for qid, entry in ev.answers.items():
        back = loaded.answers[qid]
        assert (back.question, back.value, back.by, back.at) == (qid, entry.value, entry.by, entry.at)
    assert (loaded.started_at, loaded.completed_at, loaded.last_activity) == (
        ev.started_at, ev.completed_at, ev.last_activity)


async def test_an_owed_effect_keeps_its_kind_in_the_compact_document() -> None:
    now = time.time()
    ev = Evaluation(version=7, team="T1", channel="C1", project="P", project_key="p", checklist="c",
                    started_by="U1", pending=[
                        Owed(effect=PostCard(question="budget"), next_at=now + 3, since=6),
                        Owed(effect=UpdateRoot()),
                        Owed(effect=TellUndelivered(what="post_card:timeline", reason="is_archived"), attempts=2,
                             error="ratelimited")])
    text = dump(ev)
    doc = json.loads(text)

    assert text.startswith(f'{{"id":"{ev.id}","version":7,')
    assert [entry["effect"] for entry in doc["pending"]] == [
        {"kind": "post_card", "question": "budget"},
        {"kind": "update_root"},
        {"kind": "tell_undelivered", "what": "post_card:timeline", "reason": "is_archived"}]
    assert doc["pending"][1] == {"effect": {"kind": "update_root"}}  # an entry's own defaults are left out
    back = Evaluation.model_validate_json(text)
    assert back.pending == ev.pending
    assert [type(o.effect) for o in back.pending] == [PostCard, UpdateRoot, TellUndelivered]
    assert back == ev


# -- 2. legacy documents -----------------------------------------------------------------------------------

async def legacy_evaluation(engine: Engine, redis: aioredis.Redis) -> tuple[Evaluation, str]:
    """An evaluation two answers in, then overwritten with the same state in the old full form."""
    ev = await start(engine)
    for value in (1.0, 0.5):
        ts, _ = open_card(ev)
        ev, _ = await engine.answer(ev.id, card_ts=ts, user="U2", value=value)
    legacy = legacy_json(ev)
    assert '":null' in legacy and '"question":' in json.dumps(json.loads(legacy)["answers"])
    assert json.loads(legacy)["started_at"] == ev.started_at.isoformat()
    await redis.set(eval_key(ev.id), legacy)
    return ev, legacy


async def test_a_legacy_document_loads_with_the_same_answers(engine: Engine, redis_client: aioredis.Redis) -> None:
    ev, _ = await legacy_evaluation(engine, redis_client)
    loaded = await Store(redis_client).get(ev.id)
    assert loaded is not None
    assert loaded == ev
    for qid, entry in ev.answers.items():
        back = loaded.answers[qid]
        assert (back.question, back.value, back.by, back.at, back.skips) == (
            qid, entry.value, entry.by, entry.at, entry.skips)


@pytest.mark.parametrize("which", ["fresh store", "store with the compact copy cached"])
async def test_a_no_op_on_a_legacy_document_does_not_write(engine: Engine, redis_client: aioredis.Redis,
                                                           which: str) -> None:
    ev, legacy = await legacy_evaluation(engine, redis_client)
    store = Store(redis_client) if which == "fresh store" else engine.store
    audit_before = await audit_len(redis_client, ev.id)

    got, result, dup = await store.update(ev.id, lambda e: None, by="U9", action="nothing")

    assert (result, dup) == (None, False)
    assert got.version == ev.version and got.answers == ev.answers
    assert await stored_text(redis_client, ev.id) == legacy  # not even rewritten in the compact form
    assert await audit_len(redis_client, ev.id) == audit_before


async def test_a_change_to_a_legacy_document_writes_it_compactly(engine: Engine,
                                                                 redis_client: aioredis.Redis) -> None:
    ev, _ = await legacy_evaluation(engine, redis_client)
    ts, qid = open_card(ev)
    after, outcome = await engine.answer(ev.id, card_ts=ts, user="U3", value=0.0)
    assert outcome is not None and outcome.applied
    assert after.version == ev.version + 2  # the answer, then recording the next card
    text = await stored_text(redis_client, ev.id)
    doc = json.loads(text)
    assert nulls(doc) == [] and all(a["question"] == q for q, a in doc["answers"].items())
    assert isinstance(doc["started_at"], float)  # epoch milliseconds, no longer ISO
    assert after.answers[qid].value == 0.0
    assert {q: a for q, a in after.answers.items() if q != qid} == ev.answers  # the earlier answers kept


async def test_fields_written_by_a_newer_version_survive_a_rewrite(engine: Engine,
                                                                    redis_client: aioredis.Redis) -> None:
    """A rolling deploy: a newer replica recorded fields this version does not know; a click handled here keeps
    them in the document, at the top and inside the records (the answer, the suggestion, the card)."""
    ev = await start(engine)
    ts, qid = open_card(ev)
    ev, _ = await engine.answer(ev.id, card_ts=ts, user="U2", value=1.0)
    doc = json.loads(await stored_text(redis_client, ev.id))
    doc["reviewed_by"] = ["U7"]
    doc["answers"][qid]["confidence"] = "high"
    doc["suggestions"] = {"q2x": {"value": 1.0, "reason": "r", "evidence": "e", "origin": "upload"}}
    doc["cards"][ts]["pinned"] = True
    await redis_client.set(eval_key(ev.id), json.dumps(doc, separators=(",", ":")))

    fresh = Engine(Store(redis_client), REGISTRY, OffsetPresenter(100))
    next_ts, _ = open_card(ev)
    after, outcome = await fresh.answer(ev.id, card_ts=next_ts, user="U3", value=0.5)

    assert outcome is not None and outcome.applied and after.version > ev.version
    kept = json.loads(await stored_text(redis_client, ev.id))
    assert kept["reviewed_by"] == ["U7"]
    assert kept["answers"][qid]["confidence"] == "high"
    assert kept["suggestions"]["q2x"]["origin"] == "upload"
    assert kept["cards"][ts]["pinned"] is True
    assert len(kept["answers"]) == 2


# -- 3. dedupe ---------------------------------------------------------------------------------------------

async def test_one_delivery_delivered_twice_at_once_applies_once(engine: Engine,
                                                                 redis_client: aioredis.Redis) -> None:
    ev = await start(engine)
    ts, qid = open_card(ev)
    audit_before = await audit_len(redis_client, ev.id)

    results = await asyncio.gather(*(engine.answer(ev.id, card_ts=ts, user="U1", value=1.0, seen="tok")
                                     for _ in range(2)))

    outcomes = [o for _, o in results]
    assert sum(1 for o in outcomes if o is not None and o.applied) == 1
    assert sum(1 for o in outcomes if o is None) == 1  # the duplicate: nothing ran, nothing to tell anyone
    stored = await Store(redis_client).get(ev.id)
    assert stored is not None and stored.version == ev.version + 2  # the answer, then recording the next card
    assert stored.answers[qid].value == 1.0
    assert await audit_len(redis_client, ev.id) == audit_before + 1

    _, again = await engine.answer(ev.id, card_ts=ts, user="U1", value=1.0, seen="tok")  # a late redelivery
    assert again is None or not again.applied
    assert (await stored_text(redis_client, ev.id)).startswith(f'{{"id":"{ev.id}","version":{stored.version},')
    assert await audit_len(redis_client, ev.id) == audit_before + 1


@pytest.mark.parametrize("action", ["answer", "change"])
async def test_a_delivery_repeated_after_it_was_applied_is_reported_as_a_duplicate(engine: Engine,
                                                                                   action: str) -> None:
    ev = await start(engine)
    ts, qid = open_card(ev)
    if action == "answer":
        first = await engine.answer(ev.id, card_ts=ts, user="U1", value=1.0, seen="tok")
        again = await engine.answer(ev.id, card_ts=ts, user="U1", value=1.0, seen="tok")
    else:
        await engine.answer(ev.id, card_ts=ts, user="U1", value=1.0)
        first = await engine.change(ev.id, question=qid, user="U2", value=0.5, seen="tok")
        again = await engine.change(ev.id, question=qid, user="U2", value=0.5, seen="tok")
    assert first[1] is not None and first[1].applied
    assert again[1] is None


async def test_delivery_markers_share_one_expiring_hash(engine: Engine, redis_client: aioredis.Redis) -> None:
    ev = await start(engine)
    tokens = []
    for step in range(3):
        ts, _ = open_card(ev)
        tokens.append(f"{ts}:{step}:U1")
        ev, outcome = await engine.answer(ev.id, card_ts=ts, user="U1", value=1.0, seen=tokens[-1])
        assert outcome is not None and outcome.applied

    seen = key(ev.id, "seen")
    assert await redis_client.type(seen) in (b"hash", "hash")
    digests = [d.decode() if isinstance(d, bytes) else d for d in await redis_client.hkeys(seen)]
    assert len(digests) == len(tokens) and all(len(d) == 16 for d in digests)
    assert not any(t in d for t in tokens for d in digests)  # digests, not the tokens themselves
    ttl = await redis_client.ttl(seen)
    assert 0 < ttl <= SEEN_TTL_S == 24 * 3600
    own = {k.decode() if isinstance(k, bytes) else k for k in await redis_client.keys(f"*{ev.id}*")}
    assert own == {eval_key(ev.id), key(ev.id, "audit"), seen}
    assert await redis_client.keys("ftc:once:*") == []


# -- 4. the document cache and stale copies ----------------------------------------------------------------

async def two_engines(redis: aioredis.Redis) -> tuple[Engine, Engine]:
    return (Engine(Store(redis), REGISTRY, OffsetPresenter(1)),
            Engine(Store(redis), REGISTRY, OffsetPresenter(500_000)))


async def test_an_answer_through_a_stale_cache_loses_nothing(redis_client: aioredis.Redis) -> None:
    a, b = await two_engines(redis_client)
    ev = await start(a)
    read_by_b = await b.store.get(ev.id)  # B keeps this JSON
    assert read_by_b is not None
    v = read_by_b.version
    ts1, q1 = open_card(ev)

    ev_a, out_a = await a.answer(ev.id, card_ts=ts1, user="UA", value=1.0)
    assert out_a is not None and out_a.applied and ev_a.version == v + 2
    assert b.store._docs[ev.id].startswith(f'{{"id":"{ev.id}","version":{v},')  # B's copy is stale now
    ts2, q2 = open_card(ev_a)
    assert ts2 not in read_by_b.cards  # the card B is clicked on is not in its copy

    ev_b, out_b = await b.answer(ev.id, card_ts=ts2, user="UB", value=0.5)

    assert out_b is not None and out_b.applied
    stored = await Store(redis_client).get(ev.id)
    assert stored is not None and stored == ev_b
    assert stored.version == v + 4  # two writes per click: the answer, then recording the next card
    assert (stored.answers[q1].value, stored.answers[q1].by) == (1.0, "UA")
    assert (stored.answers[q2].value, stored.answers[q2].by) == (0.5, "UB")
    ts3, _ = open_card(stored)
    assert ts3 not in ev_a.cards and ts3.endswith("500000")  # B posted the third card
    actions = [e.action for e in await a.store.audit(ev.id)]
    assert actions == ["start", f"answer card {ts1} = 1", f"answer card {ts2} = 0.5"]


async def test_a_change_decided_on_a_stale_copy_is_redone_on_what_redis_holds(redis_client: aioredis.Redis
                                                                               ) -> None:
    a, b = await two_engines(redis_client)
    ev = await start(b)  # B wrote it (its scripts are loaded, its copy is at the start's version)
    ts1, q1 = open_card(ev)
    ev_a, _ = await a.answer(ev.id, card_ts=ts1, user="UA", value=1.0)

    before = b.store.round_trips
    ev_b, out_b = await b.answer(ev.id, card_ts=ts1, user="UB", value=0.0)  # card 1 is still open in B's copy

    assert out_b is not None and not out_b.applied and out_b.notice is not None
    assert out_b.notice.kind == "taken" and out_b.notice.by == "UA"
    assert b.store.round_trips - before == 1  # the refused write returned what Redis holds: no read of its own
    assert ev_b == ev_a
    stored = await Store(redis_client).get(ev.id)
    assert stored == ev_a and stored is not None and stored.answers[q1].by == "UA"


async def test_a_no_op_decided_on_a_stale_copy_is_checked_against_redis(redis_client: aioredis.Redis) -> None:
    a, b = await two_engines(redis_client)
    ev = await start(a)
    read_by_b = await b.store.get(ev.id)
    assert read_by_b is not None
    v = read_by_b.version
    ts1, q1 = open_card(ev)
    await a.answer(ev.id, card_ts=ts1, user="UA", value=1.0)  # Redis is at v + 2; B's copy still at v

    saw: list[int] = []

    def note_if_answered(e: Evaluation) -> str:
        saw.append(e.version)
        entry = e.answers.get(q1)
        if entry is None:
            return "not answered"
        entry.note = "checked"
        return "noted"

    got, result, dup = await b.store.update(ev.id, note_if_answered, by="UB", action="note")

    assert saw == [v, v + 2]  # the stale copy said "nothing to do"; Redis had the answer
    assert (result, dup) == ("noted", False)
    assert got.version == v + 3 and got.answers[q1].note == "checked"
    stored = await Store(redis_client).get(ev.id)
    assert stored is not None and stored.version == v + 3 and stored.answers[q1].note == "checked"
    assert stored.answers[q1].by == "UA"


async def test_a_true_no_op_on_a_stale_copy_returns_what_redis_holds(redis_client: aioredis.Redis) -> None:
    a, b = await two_engines(redis_client)
    ev = await start(a)
    await b.store.get(ev.id)
    ts1, q1 = open_card(ev)
    ev_a, _ = await a.answer(ev.id, card_ts=ts1, user="UA", value=1.0)
    audit_before = await audit_len(redis_client, ev.id)

    got, _, _ = await b.store.update(ev.id, lambda e: None, by="UB", action="nothing")

    assert got == ev_a and q1 in got.answers  # not the stale copy
    assert (await stored_text(redis_client, ev.id)).startswith(f'{{"id":"{ev.id}","version":{ev_a.version},')
    assert await audit_len(redis_client, ev.id) == audit_before


async def test_a_copy_found_stale_by_a_no_op_is_replaced_by_what_was_read(redis_client: aioredis.Redis) -> None:
    a, b = await two_engines(redis_client)
    ev = await start(b)
    ts1, _ = open_card(ev)
    ev_a, _ = await a.answer(ev.id, card_ts=ts1, user="UA", value=1.0)
    await b.store.update(ev.id, lambda e: None, by="UB", action="nothing")  # reads what Redis holds

    fresh_copy = b.store._docs[ev.id] == await stored_text(redis_client, ev.id)
    ts2, _ = open_card(ev_a)
    before = b.store.round_trips
    _, outcome = await b.answer(ev.id, card_ts=ts2, user="UB", value=0.5)
    assert outcome is not None and outcome.applied
    assert (fresh_copy, b.store.round_trips - before) == (True, 2)  # as with any warm cache


# -- 5. round trips ----------------------------------------------------------------------------------------

async def test_a_click_costs_two_round_trips_with_a_warm_cache(engine: Engine) -> None:
    ev = await start(engine)
    ts, _ = open_card(ev)
    before = engine.store.round_trips
    ev, outcome = await engine.answer(ev.id, card_ts=ts, user="U1", value=1.0, seen="tok")
    assert outcome is not None and outcome.applied and not outcome.completed
    assert engine.store.round_trips - before == 2  # compare-and-set, then recording the card it posted

    per_answer: list[int] = []
    done = await complete(engine, 1, channel="C2", per_answer=per_answer)
    assert done.status == "completed" and len(per_answer) == len(done.answers)
    assert per_answer[:-1] == [2] * (len(per_answer) - 1)


@pytest.fixture
async def folding(redis_client: aioredis.Redis) -> AsyncIterator[Store]:
    """A store that folds delivery records into the next write, with no timer within the test: only the next
    write or flush() writes. Flushed at the end: its timers would otherwise write during a later test."""
    store = Store(redis_client, fold_s=60)
    yield store
    await store.flush()


async def test_a_quick_next_click_carries_the_previous_delivery_record(redis_client: aioredis.Redis,
                                                                       folding: Store) -> None:
    """Folded bookkeeping: what a delivery posted rides on the evaluation's next write (one round trip a click)."""
    store = folding
    engine = Engine(store, REGISTRY, OffsetPresenter())
    ev = await start(engine)  # a start is recorded at once: its thread must be findable
    first_ts, first_q = open_card(ev)
    before = store.round_trips

    ev, outcome = await engine.answer(ev.id, card_ts=first_ts, user="U1", value=1.0, seen="tok1")

    assert outcome is not None and outcome.applied and store.round_trips - before == 1
    second_ts, second_q = open_card(ev)  # the caller sees the delivery's record …
    assert ev.pending == [] and store.folding == 1
    in_redis = Evaluation.model_validate_json(await stored_text(redis_client, ev.id))
    assert second_ts not in in_redis.cards and in_redis.pending != []  # … Redis has it with the next write
    assert await redis_client.zscore(OUTBOX_DUE, ev.id) is not None  # held for the writer meanwhile
    read = await store.get(ev.id)
    assert read is not None and open_card(read) == (second_ts, second_q)  # this process reads what it wrote

    before = store.round_trips
    ev, outcome = await engine.answer(ev.id, card_ts=second_ts, user="U1", value=0.5, seen="tok2")

    assert outcome is not None and outcome.applied and store.round_trips - before == 1
    in_redis = Evaluation.model_validate_json(await stored_text(redis_client, ev.id))
    assert in_redis.cards[second_ts].question == second_q and not in_redis.cards[second_ts].open
    owed = {o.key for o in in_redis.pending}  # what the second click owes; the first click's are cleared
    assert f"post_card:{second_q}" not in owed and f"update_card:{first_q}" not in owed
    assert f"update_card:{second_q}" in owed
    assert first_q in in_redis.answers and second_q in in_redis.answers

    await store.flush()  # shutdown: the last record is written on its own, without an audit entry
    in_redis = Evaluation.model_validate_json(await stored_text(redis_client, ev.id))
    assert in_redis.pending == [] and store.folding == 0 and in_redis.open_cards().keys() == ev.open_cards().keys()
    assert await redis_client.zscore(OUTBOX_DUE, ev.id) is None  # released by that write
    assert [e.action for e in await store.audit(ev.id)].count("delivered") == 0


async def test_a_folded_record_is_written_on_its_own_when_no_click_follows(redis_client: aioredis.Redis) -> None:
    store = Store(redis_client, fold_s=0.05)
    engine = Engine(store, REGISTRY, OffsetPresenter())
    ev = await start(engine)
    ts, _ = open_card(ev)
    ev, _ = await engine.answer(ev.id, card_ts=ts, user="U1", value=1.0)
    assert store.folding == 1

    deadline = time.monotonic() + 5
    while store.folding and time.monotonic() < deadline:
        await asyncio.sleep(0.02)

    assert store.folding == 0
    in_redis = Evaluation.model_validate_json(await stored_text(redis_client, ev.id))
    assert in_redis.pending == [] and in_redis.open_cards().keys() == ev.open_cards().keys()
    assert await redis_client.zscore(OUTBOX_DUE, ev.id) is None


async def test_bookkeeping_folded_while_a_write_is_in_flight_is_written_later(redis_client: aioredis.Redis) -> None:
    store = Store(redis_client, fold_s=0.05)
    engine = Engine(store, REGISTRY, OffsetPresenter())
    ev = await start(engine)
    second: list[bool] = []

    def first(e: Evaluation) -> None:
        flow.card_posted(e, "task_definition", "1800000000.000001")
        if not second:  # another delivery folds its record while the write carrying this one is under way
            second.append(True)
            store.fold(e.id, lambda e2: flow.card_posted(e2, "task_definition", "1800000000.000002"))

    store.fold(ev.id, first)
    deadline = time.monotonic() + 5
    while store.folding and time.monotonic() < deadline:
        await asyncio.sleep(0.02)

    in_redis = Evaluation.model_validate_json(await stored_text(redis_client, ev.id))
    assert store.folding == 0 and second == [True]
    assert {"1800000000.000001", "1800000000.000002"} <= in_redis.cards.keys()


async def test_a_folded_record_redis_refuses_is_left_to_the_outbox(redis_client: aioredis.Redis,
                                                                    folding: Store) -> None:
    """A full Redis refuses the record: it is dropped (logged), the owed messages stay marked for the outbox,
    which finds the posted ones by their metadata; nothing in this process claims they were recorded."""
    store = folding
    engine = Engine(store, REGISTRY, OffsetPresenter())
    ev = await start(engine)
    ts, _ = open_card(ev)
    ev, _ = await engine.answer(ev.id, card_ts=ts, user="U1", value=1.0)
    await redis_client.config_set("maxmemory", "1")
    try:
        await store.flush()
    finally:
        await redis_client.config_set("maxmemory", "0")

    assert store.folding == 0
    in_redis = Evaluation.model_validate_json(await stored_text(redis_client, ev.id))
    assert in_redis.pending != [] and await redis_client.zscore(OUTBOX_DUE, ev.id) is not None
    read = await store.get(ev.id)
    assert read is not None and read.pending == in_redis.pending  # reads no longer apply the dropped record


async def test_a_failed_delivery_is_recorded_at_once(redis_client: aioredis.Redis, folding: Store) -> None:
    store = folding
    engine = Engine(store, REGISTRY, RefusingPresenter())
    ev = await start(engine)
    assert ev.undelivered == ["post_card:labeled_examples"]
    in_redis = Evaluation.model_validate_json(await stored_text(redis_client, ev.id))
    assert in_redis.undelivered == ev.undelivered


# -- 6. audit ----------------------------------------------------------------------------------------------

async def test_delivery_bookkeeping_leaves_no_audit_entry(engine: Engine, redis_client: aioredis.Redis) -> None:
    ev = await complete(engine, 0, channel="C1")
    n = len(ev.answers)
    audit = await engine.store.audit(ev.id)

    assert len(audit) == 1 + n
    actions = [e.action for e in audit]
    assert actions[0] == "start" and "delivered" not in actions
    assert sum(1 for a in actions if a.startswith("answer card ")) == n
    assert audit[0].at == ev.started_at and audit[-1].at == ev.completed_at
    raw = await redis_client.lrange(key(ev.id, "audit"), 0, -1)
    ats = [json.loads(r)["at"] for r in raw]
    assert all(isinstance(at, int | float) and not isinstance(at, bool) for at in ats)
    assert all(epoch_ms(at, entry.at) for at, entry in zip(ats, audit, strict=True))


async def test_a_delivery_given_up_on_is_audited(redis_client: aioredis.Redis) -> None:
    engine = Engine(Store(redis_client), REGISTRY, RefusingPresenter())
    ev = await start(engine)  # the first card is refused for good
    assert ev.undelivered == ["post_card:labeled_examples"] and ev.pending == []
    audit = await engine.store.audit(ev.id)
    assert [(e.action, e.detail) for e in audit] == [
        ("start", {"project": "Ticket router", "checklist": ev.checklist}),
        ("delivered", {"owes": ["tell_undelivered"]})]  # the notice it owes is worth keeping; the rest is not


# -- 7. the outbox mark ------------------------------------------------------------------------------------

async def test_the_writer_releases_its_outbox_mark(redis_client: aioredis.Redis) -> None:
    presenter = WatchingPresenter(redis_client)
    engine = Engine(Store(redis_client), REGISTRY, presenter)
    ev = await start(engine)
    assert await redis_client.zscore(OUTBOX_DUE, ev.id) is None
    ts, _ = open_card(ev)

    ev, outcome = await engine.answer(ev.id, card_ts=ts, user="U1", value=1.0)

    assert outcome is not None and outcome.applied and ev.pending == []
    mark = presenter.marks[-1]  # while the card was posted, the click's write held the evaluation
    assert mark is not None and mark <= hold_score(time.time())
    assert await redis_client.zscore(OUTBOX_DUE, ev.id) is None  # released by the record write


async def test_a_later_hold_survives_the_writers_release(redis_client: aioredis.Redis) -> None:
    presenter = WatchingPresenter(redis_client)
    engine = Engine(Store(redis_client), REGISTRY, presenter)
    ev = await start(engine)
    ts, _ = open_card(ev)
    far = hold_score(time.time(), 3600)
    presenter.hold_until = far  # someone holds it later, between the click's write and its record write

    ev, outcome = await engine.answer(ev.id, card_ts=ts, user="U1", value=1.0)

    assert outcome is not None and outcome.applied and ev.pending == []
    assert presenter.marks[-1] is not None and presenter.marks[-1] < far
    assert await redis_client.zscore(OUTBOX_DUE, ev.id) == far



class SlowPresenter(OffsetPresenter):
    """Posting a card takes longer than a hold renewal period (a paced channel, a slow Slack)."""

    async def post_card(self, ev: Evaluation, checklist: Checklist, question_id: str) -> str:
        await asyncio.sleep(LEASE_S / 3 + 0.3)
        return await super().post_card(ev, checklist, question_id)


async def test_a_delivery_that_renewed_its_hold_still_releases_its_mark(redis_client: aioredis.Redis) -> None:
    """The renewal raised the mark; the record of the delivery releases it all the same, so the outbox tick has
    nothing to claim and read afterwards (it used to find such an evaluation owing nothing, a hold later)."""
    store = Store(redis_client)
    engine = Engine(store, REGISTRY, OffsetPresenter())
    ev = await start(engine)
    ts, _ = open_card(ev)
    engine.presenter = SlowPresenter(start=1000)
    ev, outcome = await engine.answer(ev.id, card_ts=ts, user="U1", value=1.0, seen="tok1")
    assert outcome is not None and outcome.applied
    stored = await store.get(ev.id)
    assert stored is not None and stored.pending == []
    assert await redis_client.zscore(OUTBOX_DUE, ev.id) is None
