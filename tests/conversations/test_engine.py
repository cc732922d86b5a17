"""The engine over a real Redis: atomic answers, dedupe, skips, changes, notes, crash repair."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest
import redis.asyncio as aioredis
from redis.crc import key_slot

from conversations.effects import DeliveryFailed
from conversations.engine import Engine
from conversations.models import Evaluation, SuggestionRef
from conversations.outbox import Outbox
from conversations.store import Store, StoreUnavailable
from conversations.voting import hidden_tally
from scoring.checklist import Checklist, Registry
from scoring.scorecard import Scorecard
from tests.conversations.recording import RecordingPresenter

REGISTRY = Registry()
FT = REGISTRY.get()


@pytest.fixture
async def engine(redis_client: aioredis.Redis) -> Engine:
    return Engine(Store(redis_client), REGISTRY, RecordingPresenter())


def open_card(ev: Evaluation) -> tuple[str, str]:
    (ts, card), = ev.open_cards().items()
    return ts, card.question


async def start(engine: Engine) -> Evaluation:
    return await engine.start(team="T1", channel="C1", project="Ticket router", checklist_id=None, user="U1")


async def test_start_posts_root_then_first_card(engine: Engine) -> None:
    ev = await start(engine)
    presenter = engine.presenter
    assert isinstance(presenter, RecordingPresenter)
    assert [k for k, _ in presenter.log] == ["root", "card"]
    assert ev.thread_ts and open_card(ev)[1] == "labeled_examples" and ev.pending == []
    stored = await engine.store.get(ev.id)
    assert stored == ev
    assert await engine.store.by_thread("C1", ev.thread_ts) == ev


async def test_ten_simultaneous_clicks_record_exactly_one_answer(engine: Engine) -> None:
    ev = await start(engine)
    ts, qid = open_card(ev)
    results = await asyncio.gather(*[
        engine.answer(ev.id, card_ts=ts, user=f"U{i}", value=1.0 if i % 2 else 0.0, seen=f"{ts}:{i}:U{i}")
        for i in range(10)])
    outcomes = [o for _, o in results]
    assert sum(1 for o in outcomes if o is not None and o.applied) == 1
    losers = [o for o in outcomes if o is not None and not o.applied]
    assert len(losers) == 9 and all(o.notice is not None and o.notice.kind == "taken" for o in losers)
    final = await engine.store.get(ev.id)
    assert final is not None
    winner = final.answers[qid]
    assert all(o.notice is not None and o.notice.by == winner.by for o in losers)
    assert engine.presenter.kinds("card") == ["labeled_examples", "diverse_examples"]  # type: ignore[attr-defined]


async def test_hundred_duplicate_deliveries_change_state_once(engine: Engine) -> None:
    ev = await start(engine)
    ts, _ = open_card(ev)
    version_before = (await engine.store.get(ev.id)).version  # type: ignore[union-attr]
    results = await asyncio.gather(*[
        engine.answer(ev.id, card_ts=ts, user="U1", value=1.0, seen="same-delivery") for _ in range(100)])
    applied = [o for _, o in results if o is not None and o.applied]
    assert len(applied) == 1
    after = await engine.store.get(ev.id)
    assert after is not None and after.version == version_before + 2  # the answer, then recording the next card
    audit = await engine.store.audit(ev.id)
    assert [a.action for a in audit].count("answer card " + ts + " = 1") == 1


async def test_skip_is_asked_again_before_the_scorecard(engine: Engine) -> None:
    ev = await start(engine)
    for _ in range(20):
        ts, qid = open_card(ev)
        ev, _ = await engine.answer(ev.id, card_ts=ts, user="U1", value=None if qid == "task_definition" else 1.0)
    ts, qid = open_card(ev)
    assert qid == "task_definition"  # the skipped question comes back
    ev, outcome = await engine.answer(ev.id, card_ts=ts, user="U2", value=0.5)
    assert outcome is not None and outcome.completed and ev.status == "completed"
    assert engine.presenter.kinds("scorecard") == ["19.5/20"]  # type: ignore[attr-defined]


async def test_skipped_twice_leaves_a_provisional_scorecard_then_change_completes(engine: Engine) -> None:
    ev = await start(engine)
    while ev.open_cards():
        ts, qid = open_card(ev)
        ev, _ = await engine.answer(ev.id, card_ts=ts, user="U1", value=None if qid == "budget" else 1.0)
    assert ev.status == "in_progress" and ev.answers["budget"].skips == 2
    assert engine.presenter.kinds("scorecard") == [  # type: ignore[attr-defined]
        "provisional: 19/20 with 1 unanswered, range 19–20"]
    ev, outcome = await engine.change(ev.id, question="q14", user="U3", value=0.0)
    assert outcome is not None and outcome.completed and ev.status == "completed"


async def test_change_and_note_after_completion_update_the_scorecard(engine: Engine) -> None:
    ev = await start(engine)
    while ev.open_cards():
        ts, _ = open_card(ev)
        ev, _ = await engine.answer(ev.id, card_ts=ts, user="U1", value=1.0)
    ev, outcome = await engine.change(ev.id, question="q4", user="U2", value=0.5)
    assert outcome is not None and outcome.applied
    assert ev.answers["labeler_agreement"].previous == 1.0 and ev.answers["labeler_agreement"].by == "U2"
    ev, outcome = await engine.note(ev.id, question="q4", user="U3", text="Only 50 items tested so far")
    assert ev.answers["labeler_agreement"].note == "Only 50 items tested so far"
    assert engine.presenter.kinds("update_scorecard")[-1] == "19.5/20"  # type: ignore[attr-defined]
    _, same = await engine.change(ev.id, question="q4", user="U2", value=0.5)
    assert same is not None and same.status == "unchanged"


async def test_suggestions_never_score_and_refresh_only_unanswered(engine: Engine) -> None:
    ev = await start(engine)
    ts, _ = open_card(ev)
    ev, _ = await engine.answer(ev.id, card_ts=ts, user="U1", value=0.0)
    refs = {q: SuggestionRef(value=1.0, reason="r", evidence="e") for q in ("labeled_examples", "diverse_examples")}
    ev, refreshed = await engine.suggest(ev.id, refs, user="U2")
    assert refreshed == ["diverse_examples"]
    assert ev.scored() == {"labeled_examples": 0.0}  # nothing scored by the suggestion
    ts, qid = open_card(ev)
    ev, _ = await engine.answer(ev.id, card_ts=ts, user="U3", value=1.0)
    entry = ev.answers[qid]
    assert entry.suggestion is not None and entry.suggestion.value == 1.0 and entry.by == "U3"


async def test_crash_between_save_and_post_is_repaired(engine: Engine) -> None:
    ev = await start(engine)
    ts, _ = open_card(ev)

    class Crash(Exception):
        pass

    presenter = engine.presenter
    real_post = presenter.post_card

    async def crash(*args: object) -> str:
        raise Crash

    setattr(presenter, "post_card", crash)  # noqa: B010
    ev, outcome = await engine.answer(ev.id, card_ts=ts, user="U1", value=1.0)
    assert outcome is not None and outcome.applied  # the answer is recorded; the card is owed
    setattr(presenter, "post_card", real_post)  # noqa: B010
    stored = await engine.store.get(ev.id)
    assert stored is not None and "post_card:diverse_examples" in {o.key for o in stored.pending}
    assert not stored.open_cards()
    assert await Outbox(engine).tick(now=time.time() + 60) == 1
    repaired = await engine.store.get(ev.id)
    assert repaired is not None and repaired.pending == [] and open_card(repaired)[1] == "diverse_examples"


async def test_all_keys_of_an_evaluation_share_a_hash_tag(engine: Engine, redis_client: aioredis.Redis) -> None:
    ev = await start(engine)
    ts, _ = open_card(ev)
    await engine.answer(ev.id, card_ts=ts, user="U1", value=1.0, seen="x")
    keys = [k.decode() if isinstance(k, bytes) else k for k in await redis_client.keys(f"*{ev.id}*")]
    assert {k.split("}")[0] + "}" for k in keys if k.startswith("ftc:{")} == {f"ftc:{{e:{ev.id}}}"}
    assert len([k for k in keys if k.startswith("ftc:{")]) == 3  # eval, audit, seen marker
    assert len({key_slot(k.encode()) for k in keys if k.startswith("ftc:{")}) == 1  # one Redis Cluster slot


async def test_click_on_a_card_whose_ts_was_never_recorded_is_adopted_once(engine: Engine) -> None:
    ev = await start(engine)
    ts, _ = open_card(ev)
    store_update = engine.store.update

    async def flaky_update(*args, **kwargs):  # Redis goes away between posting card 2 and recording it
        if kwargs.get("action") == "delivered":
            raise StoreUnavailable("redis down", recorded="unknown")
        return await store_update(*args, **kwargs)

    setattr(engine.store, "update", flaky_update)  # noqa: B010
    ev, outcome = await engine.answer(ev.id, card_ts=ts, user="U1", value=1.0)
    assert outcome is not None and outcome.applied  # recorded; only the card's own record failed
    setattr(engine.store, "update", store_update)  # noqa: B010
    stored = await engine.store.get(ev.id)
    assert stored is not None and "post_card:diverse_examples" in {o.key for o in stored.pending}
    assert engine.presenter.kinds("card") == ["labeled_examples", "diverse_examples"]  # type: ignore[attr-defined]
    posted_ts = "1700000000.000003"  # what Slack returned for card 2, never written to Redis
    ev, outcome = await engine.answer(ev.id, card_ts=posted_ts, user="U2", value=0.0, question="diverse_examples")
    assert outcome is not None and outcome.applied
    assert "post_card:diverse_examples" not in {o.key for o in ev.pending}
    await Outbox(engine).tick(now=time.time() + 60)
    assert engine.presenter.kinds("card").count("diverse_examples") == 1  # type: ignore[attr-defined]


async def test_thread_is_findable_as_soon_as_its_root_is_posted(engine: Engine) -> None:
    presenter = engine.presenter
    seen: list[Evaluation | None] = []
    real_post_card = presenter.post_card

    async def post_card_and_look(ev: Evaluation, checklist, question_id: str) -> str:
        assert ev.thread_ts is not None
        seen.append(await engine.store.by_thread(ev.channel, ev.thread_ts))  # a paste arriving right now
        return await real_post_card(ev, checklist, question_id)

    setattr(presenter, "post_card", post_card_and_look)  # noqa: B010
    ev = await start(engine)
    assert seen and seen[0] is not None and seen[0].id == ev.id


class GatedPresenter(RecordingPresenter):
    """Records how many votes each redraw showed; the first card redraw waits until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.held = asyncio.Event()
        self.shown: list[tuple[str, int]] = []

    async def update_card(self, ev: Evaluation, checklist: Checklist, card_ts: str) -> None:
        if not self.held.is_set():
            self.held.set()
            await self.gate.wait()
        self.shown.append(("card", len(hidden_tally(ev.ballots.get(ev.cards[card_ts].question)))))

    async def update_root(self, ev: Evaluation, checklist: Checklist) -> None:
        self.shown.append(("root", sum(len(b.votes) for b in ev.ballots.values())))


async def test_overlapping_votes_leave_the_card_and_root_showing_the_newest_tally(redis_client: aioredis.Redis) -> None:
    """Two votes a moment apart: the second delivery's card redraw waits for the first one's in flight, and the
    first delivery leaves the root to the second (drawing it last would put the older tally back)."""
    presenter = GatedPresenter()
    engine = Engine(Store(redis_client), REGISTRY, presenter)
    ev = await engine.start(team="T1", channel="C1", project="Ticket router", checklist_id=None, user="U1",
                            mode="vote", quorum=3)
    ts, qid = open_card(ev)
    first = asyncio.create_task(engine.answer(ev.id, card_ts=ts, user="U1", option="yes", seen="v1"))
    await asyncio.wait_for(presenter.held.wait(), 5)  # the first vote is recorded; its card redraw is in flight
    second = asyncio.create_task(engine.answer(ev.id, card_ts=ts, user="U2", option="no", seen="v2"))
    for _ in range(200):  # until the second vote is recorded too
        stored = await engine.store.get(ev.id)
        if stored is not None and len(stored.ballots[qid].votes) == 2:
            break
        await asyncio.sleep(0.01)
    presenter.gate.set()
    await asyncio.wait_for(asyncio.gather(first, second), 5)
    assert presenter.shown == [("card", 1), ("card", 2), ("root", 2)]  # and no ("root", 1) after it
    stored = await engine.store.get(ev.id)
    assert stored is not None and stored.pending == []
    assert engine.redraws.in_flight == 0  # no lock left behind


class ProgressPresenter(RecordingPresenter):
    """Records the progress each root draw showed: (status, questions answered)."""

    def __init__(self) -> None:
        super().__init__()
        self.roots: list[tuple[str, int]] = []

    async def update_root(self, ev: Evaluation, checklist: Checklist) -> None:
        self.roots.append((ev.status, len(ev.answers)))


async def answer_open(engine: Engine, ev: Evaluation, n: int) -> Evaluation:
    for i in range(n):
        ts, _ = open_card(ev)
        ev, _ = await engine.answer(ev.id, card_ts=ts, user="U1", option="yes", seen=f"{ts}:{i}")
    return ev


async def wait_until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def test_a_brisk_walk_redraws_the_root_at_its_pace_and_the_newest_state_last(
        redis_client: aioredis.Redis) -> None:
    presenter = ProgressPresenter()
    engine = Engine(Store(redis_client), REGISTRY, presenter, root_every_s=0.4)
    ev = await answer_open(engine, await start(engine), 6)  # six clicks well inside one interval
    assert len(presenter.roots) <= 2 and presenter.roots[-1] != ("in_progress", 6)  # paced: the newest is owed
    stored = await engine.store.get(ev.id)
    assert stored is not None and "update_root" in {o.key for o in stored.pending}

    async def drawn() -> bool:
        done = await engine.store.get(ev.id)
        return bool(presenter.roots) and presenter.roots[-1] == ("in_progress", 6) and done is not None \
            and done.pending == []

    await wait_until(drawn, "the trailing draw of the root")
    assert len(presenter.roots) <= 3 and engine.root_pace.booked == 0


async def test_the_completing_click_draws_the_root_at_once(redis_client: aioredis.Redis) -> None:
    presenter = ProgressPresenter()
    engine = Engine(Store(redis_client), REGISTRY, presenter, root_every_s=60)
    ev = await answer_open(engine, await start(engine), 20)
    assert ev.status == "completed" and presenter.roots[-1] == ("completed", 20)
    assert presenter.roots.count(("in_progress", 19)) == 0  # 19 clicks inside one interval drew no progress
    stored = await engine.store.get(ev.id)
    assert stored is not None and stored.pending == []
    engine.root_pace.cancel()


async def test_a_root_left_owed_by_a_crash_is_drawn_by_the_outbox(redis_client: aioredis.Redis) -> None:
    engine = Engine(Store(redis_client), REGISTRY, ProgressPresenter(), root_every_s=60)
    ev = await answer_open(engine, await start(engine), 3)
    engine.root_pace.cancel()  # the process stops before its trailing draw
    presenter = ProgressPresenter()
    other = Engine(Store(redis_client), REGISTRY, presenter, root_every_s=60)  # another replica
    assert await Outbox(other).tick(now=time.time() + 60) == 1
    assert presenter.roots == [("in_progress", 3)]
    stored = await other.store.get(ev.id)
    assert stored is not None and stored.pending == []


class SlowScorecard(RecordingPresenter):
    """Slack taking a while to redraw the scorecard, so the deliveries of simultaneous changes overlap."""

    async def update_scorecard(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> None:
        await asyncio.sleep(0.05)
        await super().update_scorecard(ev, checklist, card)


async def test_simultaneous_changes_after_completion_leave_the_scorecard_on_the_final_total(
        redis_client: aioredis.Redis) -> None:
    engine = Engine(Store(redis_client), REGISTRY, SlowScorecard())
    ev = await start(engine)
    while ev.status != "completed":
        ts, _ = open_card(ev)
        ev, _ = await engine.answer(ev.id, card_ts=ts, user="U1", value=1.0)
    presenter = engine.presenter
    assert isinstance(presenter, RecordingPresenter) and presenter.kinds("scorecard") == ["20/20"]
    changes = [(FT.questions[0].id, 0.5), (FT.questions[1].id, 0.0), (FT.questions[2].id, 0.5)]
    await asyncio.gather(*[engine.change(ev.id, question=q, user=f"U{n}", value=v)
                           for n, (q, v) in enumerate(changes, start=2)])
    assert presenter.kinds("update_scorecard")[-1] == "18/20"  # the last redraw shows every change, at once
    stored = await engine.store.get(ev.id)
    assert stored is not None and not [o.key for o in stored.pending if o.key == "post_scorecard"]  # nothing left


class RefusingCards(RecordingPresenter):
    """Slack refuses the next ``refuse`` card posts for good (the bot was removed from the channel)."""

    def __init__(self) -> None:
        super().__init__()
        self.refuse = 0

    async def post_card(self, ev: Evaluation, checklist: Checklist, question_id: str) -> str:
        if self.refuse:
            self.refuse -= 1
            raise DeliveryFailed("not_in_channel", permanent=True)
        return await super().post_card(ev, checklist, question_id)


async def test_a_card_given_up_on_is_posted_again_by_resume_once(redis_client: aioredis.Redis) -> None:
    """Review finding: a card Slack refused for good left the walk with no card and nothing that asked again."""
    presenter = RefusingCards()
    engine = Engine(Store(redis_client), REGISTRY, presenter)
    ev = await start(engine)
    ts, _ = open_card(ev)
    presenter.refuse = 1
    await engine.answer(ev.id, card_ts=ts, user="U2", value=1.0)
    stuck = await engine.store.get(ev.id)
    assert stuck is not None and stuck.open_cards() == {} and stuck.undelivered == ["post_card:diverse_examples"]
    resumed, asked = await engine.resume(ev.id, user="U3")
    assert asked == "diverse_examples" and open_card(resumed)[1] == "diverse_examples"
    assert presenter.kinds("card") == ["labeled_examples", "diverse_examples"]
    _, asked = await engine.resume(ev.id, user="U3")
    assert asked is None and presenter.kinds("card") == ["labeled_examples", "diverse_examples"]
    stored = await engine.store.get(ev.id)
    assert stored is not None and open_card(stored)[1] == "diverse_examples"
