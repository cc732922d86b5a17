"""A vote that splits waits for the starter, and a card's redraw notifies nobody: one reply in the thread mentions
them. It is owed through the outbox like every post: one per split, never lost to a Slack fault nor posted twice, and
nothing once the split was settled before it went out. An ordinary vote costs no more round trips. Real Redis."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from conversations import flow, voting
from conversations.effects import DeliveryFailed, PostSplit
from conversations.engine import Engine
from conversations.models import Evaluation
from conversations.outbox import Outbox
from conversations.store import Store
from scoring.checklist import Checklist, Registry
from tests.bot.delivered import Delivered
from tests.conversations.recording import RecordingRecovery

REGISTRY = Registry()
FT = REGISTRY.get()
Q1, Q2 = FT.questions[0].id, FT.questions[1].id


class Slack(RecordingRecovery):
    """Posts land in ``posted`` (by their metadata ref); ``fail``: the next split post fails so, once."""

    def __init__(self) -> None:
        super().__init__()
        self.posted: dict[str, str] = {}
        self.splits: list[str] = []
        self.fail: str | None = None  # "applied": Slack took it and answered 500; "refused": it did not take it

    async def find_posted(self, ev: Evaluation, ref: str, *, but: str | None = None) -> str | None:
        return self.posted.get(ref)

    async def post_split(self, ev: Evaluation, checklist: Checklist, split: PostSplit) -> str:
        fail, self.fail = self.fail, None
        if fail == "refused":
            raise DeliveryFailed("internal_error", permanent=False)
        ts = self._next()
        self.posted[ev.post_ref(split.key)] = ts
        self.splits.append(split.question)
        if fail == "applied":
            raise DeliveryFailed("internal_error", permanent=False)
        return ts


class Votes(Delivered):
    def __init__(self) -> None:
        super().__init__(flow.start(team="T", channel="C", project="P", checklist=FT, user="U1", mode="vote",
                                    quorum=2), FT)

    def vote(self, qid: str, user: str, option: str) -> flow.Outcome:
        value = None if option == flow.SKIP else FT.option(option).value
        out = voting.vote(self.ev, FT, card_ts=self.ev.cards_of(qid)[-1], user=user, value=value)
        self._deliver()
        return out


def _pings(out: flow.Outcome) -> list[PostSplit]:
    return [e for e in out.effects if isinstance(e, PostSplit)]


def test_one_reply_per_split_none_when_the_starters_own_click_split_it_and_again_after_a_re_ask() -> None:
    t = Votes()
    t.vote(Q1, "U2", "yes")
    out = t.vote(Q1, "U3", "no")
    assert [(p.question, p.card) for p in _pings(out)] == [(Q1, t.ev.cards_of(Q1)[0])]
    assert "wait:split->split" in out.moves
    assert _pings(t.vote(Q1, "U4", "yes")) == []  # too late to count: no second reply
    voting.settle(t.ev, FT, question=Q1, user="U1", value=None)  # Not sure: voted on again before the end
    t._deliver()
    t.vote(Q2, "U2", "yes")
    own = t.vote(Q2, "U1", "no")  # the starter's own vote split it: the card shows them at once
    assert flow.card_state(t.ev, Q2) == "split" and _pings(own) == [] and "wait:split->split" not in own.moves
    voting.settle(t.ev, FT, question=Q2, user="U1", value=1.0)
    t._deliver()
    for q in FT.questions[2:]:
        t.vote(q.id, "U2", "yes")
        t.vote(q.id, "U3", "yes")
    t.vote(Q1, "U2", "yes")  # q1 asked again on a new card, and split again: told again
    again = t.vote(Q1, "U3", "no")
    assert [(p.question, p.card) for p in _pings(again)] == [(Q1, t.ev.cards_of(Q1)[-1])]
    assert t.ev.cards_of(Q1)[-1] != t.ev.cards_of(Q1)[0]


async def _split(engine: Engine) -> tuple[Evaluation, int]:
    """A vote that splits q1 (U2 then U3), on an evaluation U1 started; the round trips of the splitting vote."""
    ev = await engine.start(team="T", channel="C", project="P", checklist_id=None, user="U1", mode="vote", quorum=2)
    card = ev.cards_of(Q1)[-1]
    await engine.answer(ev.id, card_ts=card, user="U2", value=1.0)
    before = engine.store.round_trips
    ev, out = await engine.answer(ev.id, card_ts=card, user="U3", value=0.0)
    assert out is not None and out.applied and flow.card_state(ev, Q1) == "split"
    return ev, engine.store.round_trips - before


async def test_the_split_is_told_once_in_the_round_trips_of_an_ordinary_vote(redis_client: aioredis.Redis) -> None:
    slack = Slack()
    engine = Engine(Store(redis_client), REGISTRY, slack, slack)
    ev = await engine.start(team="T", channel="C", project="O", checklist_id=None, user="U1", mode="vote", quorum=3)
    before = engine.store.round_trips
    await engine.answer(ev.id, card_ts=ev.cards_of(Q1)[-1], user="U2", value=1.0)
    ordinary = engine.store.round_trips - before
    ev, splitting = await _split(engine)
    assert (ordinary, splitting) == (2, 2)  # compare-and-set, then the record: the reply rides on the same two
    assert slack.splits == [Q1] and not ev.pending


async def test_a_reply_slack_took_but_failed_is_found_not_posted_again(redis_client: aioredis.Redis) -> None:
    slack = Slack()
    engine = Engine(Store(redis_client), REGISTRY, slack, slack)
    slack.fail = "applied"
    ev, _ = await _split(engine)
    assert [o.key for o in ev.pending] == [f"post_split:{ev.cards_of(Q1)[-1]}"]  # owed still: the outbox looks first
    await Outbox(engine).tick(now=time.time() + 30)
    stored = await engine.store.get(ev.id)
    assert stored is not None and not stored.pending and slack.splits == [Q1]


async def test_a_reply_slack_refused_is_posted_by_the_outbox_once(redis_client: aioredis.Redis) -> None:
    slack = Slack()
    engine = Engine(Store(redis_client), REGISTRY, slack, slack)
    slack.fail = "refused"
    ev, _ = await _split(engine)
    assert slack.splits == [] and len(ev.pending) == 1
    outbox = Outbox(engine)
    await outbox.tick(now=time.time() + 30)
    await outbox.tick(now=time.time() + 60)
    stored = await engine.store.get(ev.id)
    assert stored is not None and not stored.pending and slack.splits == [Q1]


async def test_a_split_settled_before_its_reply_went_out_is_not_told(redis_client: aioredis.Redis) -> None:
    slack = Slack()
    engine = Engine(Store(redis_client), REGISTRY, slack, slack)
    slack.fail = "refused"
    ev, _ = await _split(engine)
    await engine.settle(ev.id, question=Q1, user="U1", value=1.0)
    await Outbox(engine).tick(now=time.time() + 30)
    stored = await engine.store.get(ev.id)
    assert stored is not None and not stored.pending and slack.splits == []
