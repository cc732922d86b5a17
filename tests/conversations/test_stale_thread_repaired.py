"""Slack failing every redraw for minutes (its 5xx): the thread's scorecard was left showing a result the answers no
longer gave, for good, with two notices that called an update a failed post. A redraw that runs out of tries now
stays owed and is tried every ten minutes, so the thread is redrawn once Slack answers again; people are told once.
Real Redis."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from conversations.effects import DeliveryFailed
from conversations.engine import REDRAW_LATER_S, Engine, scorecard_of
from conversations.models import Evaluation
from conversations.outbox import Outbox
from conversations.store import Store
from scoring.checklist import Checklist
from scoring.scorecard import Scorecard
from tests.conversations.recording import RecordingRecovery
from tests.conversations.test_reminder_gaps import REGISTRY, evaluated
from tests.standins.redis_server import RedisServer


class SlackDown(RecordingRecovery):
    """Every redraw fails with Slack's 500 while ``down``."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.told: list[tuple[str, str]] = []

    def _fail(self) -> None:
        if self.down:
            raise DeliveryFailed("internal_error", permanent=False)

    async def update_root(self, ev: Evaluation, checklist: Checklist) -> None:
        self._fail()
        await super().update_root(ev, checklist)

    async def update_card(self, ev: Evaluation, checklist: Checklist, card_ts: str) -> None:
        self._fail()
        await super().update_card(ev, checklist, card_ts)

    async def update_scorecard(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> None:
        self._fail()
        await super().update_scorecard(ev, checklist, card)

    # the Recovery side: what the people in the thread are told
    async def tell_undelivered(self, ev: Evaluation, checklist: Checklist, what: str, reason: str) -> None:
        self.told.append((what, reason))


async def test_redraws_slack_kept_failing_are_drawn_once_it_answers_and_told_once(
        redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    store = Store(redis_client)
    slack = SlackDown()
    engine = Engine(store, REGISTRY, slack, slack)
    ev = await evaluated(engine, "Router")
    slack.down = True
    q1 = next(iter(ev.answers))
    await engine.change(ev.id, question=q1, user="U1", value=0.0)  # the scorecard now owes a lower total
    outbox, ticks = Outbox(engine), 0
    while not slack.told and ticks < 20:  # the outbox's tries, each once its backoff has passed
        ticks += 1
        await outbox.tick(now=time.time() + REDRAW_LATER_S * ticks)
    stored = await store.get(ev.id)
    assert stored is not None and slack.told == [("post_scorecard", "internal_error")]  # once, Slack's own words
    assert {o.key for o in stored.pending} >= {"post_scorecard", "update_root"}  # still owed: not given up
    for more in range(3):  # Slack still down: tried again every ten minutes, nobody told again
        await outbox.tick(now=time.time() + REDRAW_LATER_S * (ticks + 1 + more))
    assert len(slack.told) == 1
    slack.down = False
    await outbox.tick(now=time.time() + REDRAW_LATER_S * (ticks + 5))
    repaired = await store.get(ev.id)
    assert repaired is not None and not repaired.pending and not repaired.undelivered
    now_total = scorecard_of(repaired, REGISTRY.get(repaired.checklist)).total_text
    assert slack.kinds("update_scorecard")[-1] == now_total != slack.kinds("scorecard")[-1]  # the changed total
