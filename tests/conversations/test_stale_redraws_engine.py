"""The engine's late redraws over a real Redis: two engines (two replicas) draw one card, last write wins.

Replica A's card redraw lands late, after replica B recorded and drew a newer vote: A reads the evaluation again and
draws it anew; when every draw of A keeps landing over a newer state, A owes the redraw and the outbox draws it.
(The front end is recorded, as in test_engine; Slack's last-write-wins message is a dict of what was drawn.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest
import redis.asyncio as aioredis

from conversations import engine as engine_module
from conversations.engine import CATCH_UPS, Engine
from conversations.models import Evaluation
from conversations.outbox import Outbox
from conversations.store import Store
from scoring.checklist import Checklist, Registry
from tests.conversations.recording import RecordingPresenter

REGISTRY = Registry()
LATE_S = 0.05  # the engine's LATE_DRAW_S in these tests: a stalled draw is late, an ordinary one is not


class Drawing(RecordingPresenter):
    """Draws each card's tally into ``drawn`` (the message as Slack shows it: the last draw to land wins). While
    ``stalls`` last, a card redraw waits for ``meanwhile`` (another replica votes and draws) before it lands."""

    def __init__(self, drawn: dict[str, int]) -> None:
        super().__init__()
        self.drawn = drawn
        self.stalls = 0
        self.meanwhile: Callable[[], Awaitable[object]] | None = None
        self.draws: list[int] = []
        self.late_by = LATE_S  # how much longer a stalled draw takes than ``meanwhile``

    async def update_card(self, ev: Evaluation, checklist: Checklist, card_ts: str) -> None:
        ballot = ev.ballots.get(ev.cards[card_ts].question)
        voters = len(ballot.votes) if ballot is not None else 0
        if self.stalls > 0 and self.meanwhile is not None:
            self.stalls -= 1
            await self.meanwhile()
            await asyncio.sleep(self.late_by)
        self.draws.append(voters)
        self.drawn[card_ts] = voters


@pytest.fixture(autouse=True)
def late_soon(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "LATE_DRAW_S", LATE_S)


async def two_replicas(redis_client: aioredis.Redis, *, started_on_a: bool = False
                       ) -> tuple[Engine, Drawing, Engine, Evaluation, str]:
    drawn: dict[str, int] = {}
    a, b = Drawing(drawn), Drawing(drawn)
    engine_a = Engine(Store(redis_client), REGISTRY, a)
    engine_b = Engine(Store(redis_client), REGISTRY, b)
    starter = engine_a if started_on_a else engine_b
    ev = await starter.start(team="T1", channel="C1", project="Ticket router", checklist_id=None, user="U1",
                             mode="vote", quorum=10)
    (ts, _), = ev.open_cards().items()
    return engine_a, a, engine_b, ev, ts


def votes_on_b(engine_b: Engine, ev: Evaluation, ts: str) -> Callable[[], Awaitable[object]]:
    voters = iter(range(3, 20))

    async def vote() -> None:
        n = next(voters)
        await engine_b.answer(ev.id, card_ts=ts, user=f"U{n}", option="yes", seen=f"b{n}")

    return vote


async def test_a_redraw_landing_late_over_a_newer_vote_is_drawn_again_from_what_is_stored(
        redis_client: aioredis.Redis) -> None:
    engine_a, a, engine_b, ev, ts = await two_replicas(redis_client, started_on_a=True)
    a.stalls, a.meanwhile = 1, votes_on_b(engine_b, ev, ts)
    await engine_a.answer(ev.id, card_ts=ts, user="U2", option="yes", seen="a2")
    assert a.draws == [1, 2]  # the draw of U2's vote landed over U3's; drawn again from what is stored
    assert a.drawn[ts] == 2
    await engine_b.aclose()  # B's vote raced A's: B draws it once more a moment later


async def test_redraws_landing_late_again_and_again_are_left_to_the_outbox(redis_client: aioredis.Redis) -> None:
    engine_a, a, engine_b, ev, ts = await two_replicas(redis_client, started_on_a=True)
    a.stalls, a.meanwhile = CATCH_UPS + 1, votes_on_b(engine_b, ev, ts)  # a vote lands during every draw of A
    await engine_a.answer(ev.id, card_ts=ts, user="U2", option="yes", seen="a2")
    assert a.draws == [1, 2, 3] and a.drawn[ts] == 3  # B's fourth vote is stored, drawn by B, overwritten by A
    stored = await engine_a.store.get(ev.id)
    assert stored is not None
    owed = [o for o in stored.pending if o.key.startswith("update_card:")]
    assert len(owed) == 1 and owed[0].since == stored.version - 1  # owed by A's last write
    assert await Outbox(engine_b).tick(now=time.time() + 60) == 1
    assert a.drawn[ts] == 4
    done = await engine_b.store.get(ev.id)
    assert done is not None and done.pending == []
    engine_b.rechecks.cancel()


async def test_a_late_redraw_with_nothing_newer_stored_is_drawn_once(redis_client: aioredis.Redis) -> None:
    engine_a, a, _, ev, ts = await two_replicas(redis_client, started_on_a=True)

    async def nothing() -> None:
        return None

    await engine_a.answer(ev.id, card_ts=ts, user="U2", option="yes", seen="a2")  # A's cache is warm from here
    trips = []
    for user, stalls in (("U3", 1), ("U4", 0)):
        a.stalls, a.meanwhile = stalls, nothing
        before = engine_a.store.round_trips
        await engine_a.answer(ev.id, card_ts=ts, user=user, option="yes", seen=user)
        trips.append(engine_a.store.round_trips - before)
    assert a.draws == [1, 2, 3]  # the late draw was not drawn again: nothing newer was stored
    assert trips[0] == trips[1] + 1  # it cost one read; the ordinary click none


async def test_a_vote_right_after_another_replicas_is_drawn_again_once_both_draws_landed(
        redis_client: aioredis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    """Draws landing within LATE_DRAW_S are not read again; the older one can still land last (A's here). The vote
    that came right after another replica's (its last activity was A's, that recent) is drawn again by B after
    LATE_DRAW_S, from what is stored: over A's. Votes one replica takes one after another book nothing."""
    monkeypatch.setattr(engine_module, "LATE_DRAW_S", 0.5)  # A's held draw is not late
    engine_a, a, engine_b, ev, ts = await two_replicas(redis_client, started_on_a=True)
    gate = asyncio.Event()

    async def held() -> None:  # A's draw of U2's vote is held in the network until B's vote is drawn
        await gate.wait()

    a.stalls, a.meanwhile, a.late_by = 1, held, 0
    first = asyncio.create_task(engine_a.answer(ev.id, card_ts=ts, user="U2", option="yes", seen="a2"))
    for _ in range(200):  # until U2's vote is stored
        stored = await engine_b.store.get(ev.id)
        if stored is not None and stored.ballots:
            break
        await asyncio.sleep(0.01)
    await engine_b.answer(ev.id, card_ts=ts, user="U3", option="yes", seen="b3")
    assert a.drawn[ts] == 2 and engine_b.rechecks.booked == 1
    gate.set()
    await first
    assert a.drawn[ts] == 1  # A's older draw landed last
    for _ in range(200):
        if engine_b.rechecks.booked == 0 and a.drawn[ts] == 2:
            break
        await asyncio.sleep(0.01)
    assert a.drawn[ts] == 2 and engine_b.rechecks.booked == 0
    await engine_a.answer(ev.id, card_ts=ts, user="U4", option="yes", seen="a4")
    assert engine_a.rechecks.booked == 1  # U4's vote came right after B's
    engine_a.rechecks.cancel()
    await engine_a.answer(ev.id, card_ts=ts, user="U5", option="yes", seen="a5")
    assert engine_a.rechecks.booked == 0  # U5's right after A's own
    await engine_a.aclose()
    await engine_b.aclose()


async def test_a_late_vote_after_the_reveal_on_one_replica_costs_no_extra_card_redraw(
        redis_client: aioredis.Redis) -> None:
    """Default quorum 3, a bigger team: the votes that come just after the reveal are refused ("revealed"). On one
    replica this process drew the revealed card itself (newest last). Each refusal redrew the card before its notice
    went out (a 429 held the notice back by its Retry-After); now one redraw follows a burst, from what is stored."""
    p = RecordingPresenter()
    engine = Engine(Store(redis_client), REGISTRY, p)
    ev = await engine.start(team="T1", channel="C1", project="Router", checklist_id=None, user="U1",
                            mode="vote", quorum=2)
    (ts, _), = ev.open_cards().items()
    await engine.answer(ev.id, card_ts=ts, user="U2", option="yes", seen="s2")
    await engine.answer(ev.id, card_ts=ts, user="U3", option="yes", seen="s3")  # quorum: revealed
    before = p.kinds("update_card").count(ts)
    for n in (4, 5, 6):  # three teammates who clicked a moment too late
        _, outcome = await engine.answer(ev.id, card_ts=ts, user=f"U{n}", option="no", seen=f"s{n}")
        assert outcome is not None and outcome.notice is not None and outcome.notice.kind == "revealed"
    assert p.kinds("update_card").count(ts) == before, p.log[-6:]  # the notices did not wait for a redraw
    await asyncio.sleep(LATE_S * 4)
    assert p.kinds("update_card").count(ts) == before + 1, p.log[-6:]  # one redraw for the three, from what is stored
    await engine.aclose()


class RootDrawing(RecordingPresenter):
    """The root as Slack shows it: the voters on q1 of the last root draw to land. While ``stall`` is set, the next
    root draw first runs it (another replica votes and draws meanwhile), then lands."""

    def __init__(self, shown: dict[str, int]) -> None:
        super().__init__()
        self.shown = shown
        self.stall: Callable[[], Awaitable[object]] | None = None

    async def update_root(self, ev: Evaluation, checklist: Checklist) -> None:
        voters = sum(len(b.votes) for b in ev.ballots.values())
        if self.stall is not None:
            stall, self.stall = self.stall, None
            await stall()
            await asyncio.sleep(0.05)  # a little slower than B's draw: far below LATE_DRAW_S
        self.shown["root"] = voters


async def test_a_trailing_root_draw_racing_another_replicas_vote_does_not_stay_over_it(
        redis_client: aioredis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    """Production numbers (root drawn at most every 3 s, RACING_S 2 s, LATE_DRAW_S 1 s). A's trailing root draw
    (booked by U3's vote 0.3 s after U2's) reads 2 voters; U4 votes on B meanwhile (2.7 s after U3: not "racing")
    and B draws 3; A's draw lands 50 ms later. Nobody read again: the root said 2 of the 3 stored votes. Now B's vote,
    which found the root owed by another replica, draws the root again a moment later."""
    monkeypatch.setattr(engine_module, "LATE_DRAW_S", 1.0)  # production's (this file makes draws late sooner)
    shown: dict[str, int] = {}
    a, b = RootDrawing(shown), RootDrawing(shown)
    engine_a = Engine(Store(redis_client), REGISTRY, a, root_every_s=3.0)
    engine_b = Engine(Store(redis_client), REGISTRY, b, root_every_s=3.0)
    ev = await engine_a.start(team="T1", channel="C1", project="Router", checklist_id=None, user="U1",
                              mode="vote", quorum=10)
    (ts, _), = ev.open_cards().items()
    await engine_a.answer(ev.id, card_ts=ts, user="U2", option="yes", seen="a2")  # root drawn now (1)
    await asyncio.sleep(0.3)
    await engine_a.answer(ev.id, card_ts=ts, user="U3", option="yes", seen="a3")  # root left to the trailing draw

    async def vote_on_b() -> None:
        await engine_b.answer(ev.id, card_ts=ts, user="U4", option="yes", seen="b4")

    a.stall = vote_on_b
    await asyncio.sleep(3.2)  # the trailing draw has run (and any recheck booked 1 s after B's vote)
    for _ in range(60):  # until nothing is booked or drawing on either replica (a busy machine runs late)
        if all(e.rechecks.booked == 0 and e.root_pace.booked == 0 and not e._drawing for e in (engine_a, engine_b)):
            break
        await asyncio.sleep(0.1)
    stored = await engine_a.store.get(ev.id)
    assert stored is not None and sum(len(x.votes) for x in stored.ballots.values()) == 3
    assert shown["root"] == 3, f"root shows {shown['root']} voters, 3 stored"
    await engine_a.aclose()
    await engine_b.aclose()
