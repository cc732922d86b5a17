"""Stored suggestions: what a re-paste stored, and what an edited or deleted description takes back."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from conversations.engine import Engine
from conversations.models import Evaluation, SuggestionRef
from conversations.store import Store
from scoring.checklist import Registry
from tests.conversations.recording import RecordingPresenter

REGISTRY = Registry()


@pytest.fixture
async def engine(redis_client: aioredis.Redis) -> Engine:
    return Engine(Store(redis_client), REGISTRY, RecordingPresenter())


def ref(evidence: str, source: str | None = None, value: float = 1.0) -> SuggestionRef:
    return SuggestionRef(value=value, reason="r", evidence=evidence, source=source)


async def answered_first(engine: Engine) -> Evaluation:
    ev = await engine.start(team="T1", channel="C1", project="Ticket router", checklist_id=None, user="U1")
    (ts, _), = ev.open_cards().items()
    ev, _ = await engine.answer(ev.id, card_ts=ts, user="U1", value=0.0)  # labeled_examples answered "No"
    return ev


async def test_a_question_answered_with_an_equal_suggestion_stored_counts_as_answered(engine: Engine) -> None:
    ev = await engine.start(team="T1", channel="C1", project="Ticket router", checklist_id=None, user="U1")
    same = {"labeled_examples": ref("We have 2,000"), "diverse_examples": ref("every style")}
    ev, stored = await engine.suggest(ev.id, same, user="U2")
    (ts, _), = ev.open_cards().items()
    ev, _ = await engine.answer(ev.id, card_ts=ts, user="U1", value=0.0)
    _, stored = await engine.suggest(ev.id, same, user="U2")  # the same paste again
    assert stored == ["diverse_examples"]


async def test_a_deleted_source_takes_back_only_its_own_suggestions(engine: Engine) -> None:
    ev = await answered_first(engine)
    refs = {"labeled_examples": ref("2,000", "5.0"), "diverse_examples": ref("every style", "5.0"),
            "task_definition": ref("routing guide", "6.0")}
    ev, _ = await engine.suggest(ev.id, refs, user="U2")
    assert set(ev.suggestions) == {"diverse_examples", "task_definition"}  # q1 was answered first
    presenter = engine.presenter
    assert isinstance(presenter, RecordingPresenter)
    before = len(presenter.log)
    ev, stored = await engine.suggest(ev.id, {}, user="U2", source="5.0")
    assert stored == [] and set(ev.suggestions) == {"task_definition"}
    assert (await engine.store.get(ev.id)) == ev
    assert [k for k, _ in presenter.log[before:]] == ["update_card"]  # the open q2 card drops its hint


async def test_an_edited_source_replaces_what_it_said_and_redraws_the_open_card(engine: Engine) -> None:
    ev = await engine.start(team="T1", channel="C1", project="Ticket router", checklist_id=None, user="U1")
    ev, _ = await engine.suggest(ev.id, {"labeled_examples": ref("2,000", "5.0"),
                                         "diverse_examples": ref("every style", "5.0")}, user="U2")
    presenter = engine.presenter
    assert isinstance(presenter, RecordingPresenter)
    before = len(presenter.log)
    ev, stored = await engine.suggest(ev.id, {"diverse_examples": ref("one style only", "5.0", 0.0)}, user="U2",
                                      source="5.0")
    assert stored == ["diverse_examples"] and set(ev.suggestions) == {"diverse_examples"}
    assert ev.suggestions["diverse_examples"].evidence == "one style only"
    assert [k for k, _ in presenter.log[before:]] == ["update_card"]  # the open q1 card drops its hint


def test_documents_written_before_sources_still_load() -> None:
    old = SuggestionRef.model_validate({"value": 1.0, "reason": "r", "evidence": "e", "engine": "offline"})
    assert old.source is None
