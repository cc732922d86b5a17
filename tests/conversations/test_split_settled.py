"""The reply that told the starter of a split (``PostSplit``) is edited once the split no longer waits: settled by
the starter, a lead or an admin, or sent back to the team with Not sure. The edit is owed in the settle's own write
(``UpdateSplit``), so a Slack failure leaves it to the outbox, a reply whose record was lost is found by its metadata,
a repeat of the click edits nothing twice, and the settle click costs the round trips it did. Real Redis."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from conversations import flow, voting
from conversations.effects import DeliveryFailed, PostSplit, UpdateSplit
from conversations.engine import Engine
from conversations.models import Evaluation
from conversations.outbox import Outbox
from conversations.store import Store
from scoring.checklist import Checklist, Registry
from tests.conversations.recording import RecordingRecovery
from tests.conversations.test_split_ping import Votes

REGISTRY = Registry()
FT = REGISTRY.get()
Q1, Q2 = FT.questions[0].id, FT.questions[1].id
YES, NO = FT.option("yes").value, FT.option("no").value


class Slack(RecordingRecovery):
    """Split replies by their metadata ref (``posted``) and what each says (``says``: "asks" until it is edited to
    how the split ended). ``fail_post``: the next split reply is taken but answered 500, once; ``fail_edits``: that
    many edits fail."""

    def __init__(self) -> None:
        super().__init__()
        self.posted: dict[str, str] = {}
        self.says: dict[str, str] = {}
        self.edits: list[str] = []  # the ts of every edit Slack took
        self.fail_post = False
        self.fail_edits = 0

    async def find_posted(self, ev: Evaluation, ref: str, *, but: str | None = None) -> str | None:
        return self.posted.get(ref)

    async def post_split(self, ev: Evaluation, checklist: Checklist, split: PostSplit) -> str:
        ts = self._next()
        self.posted[ev.post_ref(split.key)] = ts
        self.says[ts] = "asks"
        if self.fail_post:
            self.fail_post = False
            raise DeliveryFailed("internal_error", permanent=False)
        return ts

    async def update_split(self, ev: Evaluation, checklist: Checklist, split: UpdateSplit, ts: str) -> None:
        if self.fail_edits:
            self.fail_edits -= 1
            raise DeliveryFailed("internal_error", permanent=False)
        choice = "not sure" if split.value is None else FT.option(split.value).key
        self.says[ts] = f"{choice} by {split.by}" + ("" if split.value is not None or split.again else ", left open")
        self.edits.append(ts)


async def _split(engine: Engine, slack: Slack) -> tuple[Evaluation, str]:
    """q1 split by U2 and U3 on an evaluation U1 started; returns it and the reply's ts."""
    ev = await engine.start(team="T", channel="C", project="P", checklist_id=None, user="U1", mode="vote", quorum=2)
    card = ev.cards_of(Q1)[-1]
    await engine.answer(ev.id, card_ts=card, user="U2", value=YES)
    ev, _ = await engine.answer(ev.id, card_ts=card, user="U3", value=NO)
    assert flow.card_state(ev, Q1) == "split"
    return ev, slack.posted[ev.post_ref(f"post_split:{card}")]


async def _stored(engine: Engine, eid: str) -> Evaluation:
    stored = await engine.store.get(eid)
    assert stored is not None
    return stored


async def test_the_reply_says_who_settled_it_in_the_settles_own_round_trips(redis_client: aioredis.Redis) -> None:
    slack = Slack()
    engine = Engine(Store(redis_client), REGISTRY, slack, slack)
    ev, reply = await _split(engine, slack)
    assert ev.cards[ev.cards_of(Q1)[-1]].split_reply == reply  # recorded with the reply's delivery
    before = engine.store.round_trips
    ev, out = await engine.settle(ev.id, question=Q1, user="U1", value=YES)
    assert out is not None and out.applied
    assert engine.store.round_trips - before == 2  # compare-and-set, then the record, as before: the edit rides on them
    assert slack.says[reply] == "yes by U1" and slack.edits == [reply]
    assert [e for e in out.effects if isinstance(e, UpdateSplit)] == [
        UpdateSplit(question=Q1, card=ev.cards_of(Q1)[-1], by="U1", value=YES, counts=((YES, 1), (NO, 1)))]
    assert not (await _stored(engine, ev.id)).pending


async def test_asked_again_then_left_open_each_edit_their_own_reply() -> None:
    t = Votes()
    t.vote(Q1, "U2", "yes")
    t.vote(Q1, "U3", "no")
    first = t.ev.cards_of(Q1)[-1]
    flow.split_reply_posted(t.ev, first, "200.000001")
    out = voting.settle(t.ev, FT, question=Q1, user="U1", value=None)
    edit = [e for e in out.effects if isinstance(e, UpdateSplit)]
    assert [(e.card, e.value, e.again, e.by) for e in edit] == [(first, None, True, "U1")]
    assert edit[0].counts == ((YES, 1), (NO, 1)) and edit[0].key in [o.key for o in t.ev.pending]
    t._deliver()
    for q in FT.questions[1:]:
        t.vote(q.id, "U2", "yes")
        t.vote(q.id, "U3", "yes")
    t.vote(Q1, "U2", "partly")  # asked again: a fresh vote, which splits again
    t.vote(Q1, "U3", "yes")
    second = t.ev.cards_of(Q1)[-1]
    assert second != first and not flow.split_told(t.ev, second)  # this deliverer records no reply
    flow.split_reply_posted(t.ev, second, "200.000002")
    again = voting.settle(t.ev, FT, question=Q1, user="U7", value=None)  # a lead: left open, voted on twice
    edit = [e for e in again.effects if isinstance(e, UpdateSplit)]
    partly = FT.option("partly").value
    assert [(e.card, e.value, e.again, e.by, e.counts) for e in edit] == [
        (second, None, False, "U7", ((partly, 1), (YES, 1)))]


async def test_a_split_no_reply_told_owes_no_edit() -> None:
    t = Votes()
    t.vote(Q1, "U2", "yes")
    t.vote(Q1, "U1", "no")  # the starter's own click split it: no reply
    out = voting.settle(t.ev, FT, question=Q1, user="U1", value=YES)
    assert out.applied and not [e for e in out.effects if isinstance(e, UpdateSplit)]


async def test_an_edit_slack_failed_is_owed_in_the_settles_write_and_the_outbox_makes_it_once(
        redis_client: aioredis.Redis) -> None:
    slack = Slack()
    engine = Engine(Store(redis_client), REGISTRY, slack, slack)
    ev, reply = await _split(engine, slack)
    slack.fail_edits = 1
    ev, _ = await engine.settle(ev.id, question=Q1, user="U1", value=None, seen="click-1")
    card = ev.cards_of(Q1)[0]
    stored = await _stored(engine, ev.id)
    assert [o.key for o in stored.pending] == [f"update_split:{card}"] and stored.pending[0].attempts == 1
    assert slack.says[reply] == "asks"
    await engine.settle(ev.id, question=Q1, user="U1", value=None, seen="click-1")  # Slack sends the click again
    assert slack.edits == []
    outbox = Outbox(engine)
    await outbox.tick(now=time.time() + 30)
    assert slack.says[reply] == "not sure by U1" and slack.edits == [reply]
    await outbox.tick(now=time.time() + 60)
    assert slack.edits == [reply] and not (await _stored(engine, ev.id)).pending
    assert len(slack.posted) == 1  # the reply was edited, never posted again


async def test_a_reply_whose_record_was_lost_is_found_and_edited_by_the_outbox(redis_client: aioredis.Redis) -> None:
    slack = Slack()
    engine = Engine(Store(redis_client), REGISTRY, slack, slack)
    slack.fail_post = True  # Slack took the reply but answered 500: its ts is not recorded, its post stays owed
    ev, reply = await _split(engine, slack)
    card = ev.cards_of(Q1)[-1]
    assert ev.cards[card].split_reply is None
    ev, _ = await engine.settle(ev.id, question=Q1, user="U1", value=YES)
    assert slack.edits == []  # the writer leaves it: the reply's post may still be under way
    assert {f"post_split:{card}", f"update_split:{card}"} <= {o.key for o in (await _stored(engine, ev.id)).pending}
    await Outbox(engine).tick(now=time.time() + 30)
    stored = await _stored(engine, ev.id)
    assert slack.says[reply] == "yes by U1" and slack.edits == [reply] and len(slack.posted) == 1
    assert stored.cards[card].split_reply == reply and not stored.pending
