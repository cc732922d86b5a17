"""A deleted pasted description: its words leave the evaluation (cards, confirmed answers, exports), and a reading
of it, or of an older text of an edited one, that ends afterwards stores nothing. Real Redis, no Slack."""

from __future__ import annotations

import json

import pytest
import redis.asyncio as aioredis

from conversations import flow
from conversations.effects import UpdateCard
from conversations.engine import Engine
from conversations.export import decision_record
from conversations.models import Evaluation, SuggestionRef
from conversations.store import Store, eval_key
from scoring.checklist import Registry
from tests.conversations.recording import RecordingPresenter

REGISTRY = Registry()
FT = REGISTRY.get()
SECRET = "Project Nightjar has 2,000 labeled tickets"  # what the pasted, then deleted, description said


@pytest.fixture
async def engine(redis_client: aioredis.Redis) -> Engine:
    return Engine(Store(redis_client), REGISTRY, RecordingPresenter())


def ref(evidence: str, source: str | None, value: float | None = 1.0, **extra: object) -> SuggestionRef:
    return SuggestionRef.model_validate({"value": value, "reason": f"because {evidence}", "evidence": evidence,
                                         "source": source, **extra})


def evaluation() -> Evaluation:
    return Evaluation(team="T1", channel="C1", thread_ts="1.0", project="Ticket router", project_key="ticket-router",
                      checklist=FT.id, started_by="U1")


async def stored_json(redis_client: aioredis.Redis, eid: str) -> str:
    raw = await redis_client.get(eval_key(eid))
    assert isinstance(raw, bytes)
    return raw.decode()


async def confirmed_then_deleted(engine: Engine) -> tuple[Evaluation, flow.Outcome]:
    """q1 answered Yes from the description of message 5.0; q2's card shows its hint; 6.0, another paste, stays."""
    ev = await engine.start(team="T1", channel="C1", project="Ticket router", checklist_id=None, user="U1")
    ev, _ = await engine.suggest(ev.id, {"labeled_examples": ref(SECRET, "5.0"),
                                         "diverse_examples": ref("Nightjar tickets come in every style", "5.0",
                                                                 conflict=["every style", "one style"]),
                                         "task_definition": ref("our routing guide", "6.0")}, user="U2")
    (ts, _), = ev.open_cards().items()
    ev, _ = await engine.answer(ev.id, card_ts=ts, user="U3", value=1.0)
    assert ev.answers["labeled_examples"].suggestion is not None  # the quote was kept with the confirmed answer
    ev, outcome, _ = await engine.store.update(ev.id, lambda e: flow.forget_source(e, "5.0"), by="U2",
                                               action="description deleted")
    assert outcome is not None
    return ev, outcome


async def test_a_deleted_description_leaves_confirmed_answers_without_its_words(
        engine: Engine, redis_client: aioredis.Redis) -> None:
    ev, outcome = await confirmed_then_deleted(engine)
    q1 = ev.answers["labeled_examples"]
    assert q1.value == 1.0 and q1.by == "U3" and ev.scored()["labeled_examples"] == 1.0  # the score stays
    assert q1.suggestion is not None and q1.suggestion.value == 1.0 and q1.suggestion.removed == "description_deleted"
    assert q1.suggestion.evidence == "" and q1.suggestion.reason == "" and q1.suggestion.conflict == []
    assert set(ev.suggestions) == {"task_definition"}  # q2's hint left; the other paste's stays
    assert outcome.effects == [UpdateCard(question="diverse_examples")]  # the open q2 card is redrawn
    assert "Nightjar" not in await stored_json(redis_client, ev.id) and ev.deleted_sources == ["5.0"]
    assert flow.quotes_from(ev, "5.0") is False and flow.quotes_from(ev, "6.0") is True


async def test_exports_of_a_deleted_description_hold_none_of_its_words(engine: Engine) -> None:
    ev, _ = await confirmed_then_deleted(engine)
    for fmt in ("md", "json", "csv"):
        assert "Nightjar" not in decision_record(ev, FT, fmt), fmt
    row = next(a for a in json.loads(decision_record(ev, FT, "json"))["answers"] if a["question"] == "q1")
    assert row["answer"] == 1.0 and row["suggested"] == 1.0 and row["suggestion_quote"] is None
    assert row["suggestion_reason"] == "quote removed: the description it came from was deleted"
    md_q1 = next(line for line in decision_record(ev, FT, "md").splitlines() if line.startswith("| q1 |"))
    assert "Yes — quote removed: the description it came from was deleted" in md_q1


def test_a_reading_that_ends_after_the_deletion_stores_nothing() -> None:
    ev = evaluation()
    flow.forget_source(ev, "5.0")  # the deletion arrived while the helper still read message 5.0
    outcome = flow.apply_suggestions(ev, {"labeled_examples": ref(SECRET, "5.0")}, source="5.0", revision="5.0")
    assert outcome.status == "unchanged" and ev.suggestions == {}
    assert flow.source_state(ev, "5.0", "5.0") == "deleted"
    other = flow.apply_suggestions(ev, {"labeled_examples": ref("our guide", "6.0")}, source="6.0", revision="6.0")
    assert other.applied and set(ev.suggestions) == {"labeled_examples"}  # another message is read as usual


def test_an_older_text_read_after_its_edit_does_not_overwrite_the_edit() -> None:
    ev = evaluation()
    edited = flow.apply_suggestions(ev, {"labeled_examples": ref("we have 200", "5.0", 0.0)}, source="5.0",
                                    revision="105.000000")
    older = flow.apply_suggestions(ev, {"labeled_examples": ref("we have 2,000", "5.0"),
                                        "diverse_examples": ref("every style", "5.0")}, source="5.0",
                                   revision="5.000000")
    assert edited.applied and older.status == "unchanged"
    assert set(ev.suggestions) == {"labeled_examples"} and ev.suggestions["labeled_examples"].evidence == "we have 200"
    assert flow.source_state(ev, "5.0", "5.000000") == "superseded"
    later = flow.apply_suggestions(ev, {"diverse_examples": ref("every style", "5.0")}, source="5.0",
                                   revision="205.000000")
    assert later.applied and set(ev.suggestions) == {"diverse_examples"}  # a later edit replaces it as before


def test_an_edit_into_no_description_also_outranks_the_older_reading() -> None:
    ev = evaluation()
    flow.apply_suggestions(ev, {}, source="5.0", revision="105.000000")  # edited into "thanks, see above"
    older = flow.apply_suggestions(ev, {"labeled_examples": ref(SECRET, "5.0")}, source="5.0", revision="5.000000")
    assert older.status == "unchanged" and ev.suggestions == {}


async def test_a_deletion_written_by_another_replica_wins_over_a_reading_stored_here(
        engine: Engine, redis_client: aioredis.Redis) -> None:
    ev = await engine.start(team="T1", channel="C1", project="Ticket router", checklist_id=None, user="U1")
    await engine.store.get(ev.id)  # this replica keeps a copy from before the deletion
    other = Store(redis_client)
    await other.update(ev.id, lambda e: flow.forget_source(e, "5.0"), by="U2", action="description deleted")
    stored, outcome, _ = await engine.store.update(
        ev.id, lambda e: flow.apply_suggestions(e, {"labeled_examples": ref(SECRET, "5.0")}, source="5.0",
                                                revision="5.0"), by="U2", action="suggestions")
    assert outcome is not None and outcome.status == "unchanged" and stored.suggestions == {}
    assert "Nightjar" not in await stored_json(redis_client, ev.id)


def test_documents_written_before_deleted_descriptions_still_load() -> None:
    doc = evaluation().model_dump(mode="json", exclude={"read_revisions", "deleted_sources"})
    doc["suggestions"] = {"labeled_examples": {"value": 1.0, "reason": "r", "evidence": "e", "source": "5.0"}}
    old = Evaluation.model_validate(doc)
    assert old.deleted_sources == [] and old.read_revisions == {}
    assert old.suggestions["labeled_examples"].removed is None
    assert flow.source_state(old, "5.0", "5.0") == "current"
