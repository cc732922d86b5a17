"""Acks first: post-ack work yields while other requests wait for their ack, and is never starved."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import redis.asyncio as aioredis

from bot.ack_first import GATE, AckFirst, Ticket
from bot.blocks.views import NOTE_CALLBACK
from tests.bot.harness import Bot, running_bot
from tests.bot.test_slack_surface import started
from tests.standins.redis_server import RedisServer
from tests.standins.signing import decode_payload, payload_form, view_submission_body
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Message


def test_nothing_waits_when_no_request_waits() -> None:
    gate = AckFirst()
    step = gate.yield_to_acks()
    with pytest.raises(StopIteration):  # finished on its first step: it never suspended
        step.send(None)


async def test_yield_lasts_until_the_last_waiting_request_is_acknowledged() -> None:
    gate = AckFirst(max_yield_s=30)
    first, second = gate.take(), gate.take()
    work = asyncio.create_task(gate.yield_to_acks())
    for ticket in (first, second):
        for _ in range(5):
            await asyncio.sleep(0)
        assert not work.done()
        ticket.release()
        ticket.release()  # twice: counted once
    await asyncio.wait_for(work, 5)
    assert gate.waiting == 0


async def test_yield_is_bounded_while_requests_keep_waiting() -> None:
    gate = AckFirst(max_yield_s=0.05)
    held = gate.take()
    work = asyncio.create_task(gate.yield_to_acks())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not work.done()  # it does yield
    await asyncio.wait_for(work, 5)  # and returns although the request still waits
    assert gate.waiting == 1
    held.release()


async def test_work_that_yielded_goes_before_work_acked_after_it() -> None:
    gate = AckFirst(max_yield_s=30)
    order: list[str] = []
    first_click = gate.take()
    second_click = gate.take()

    async def acked(ticket: Ticket, name: str) -> None:
        ticket.release()
        await gate.yield_to_acks()
        order.append(name)

    earlier = asyncio.create_task(acked(first_click, "first"))
    for _ in range(3):
        await asyncio.sleep(0)
    assert not earlier.done()  # the second click still waits for its ack
    await acked(second_click, "second")  # the last ack: nothing waits, yet the earlier work goes first
    await earlier
    assert order == ["first", "second"]


@asynccontextmanager
async def at_first_card(slack: SlackStandIn, redis_server: RedisServer) -> AsyncIterator[tuple[Bot, Message]]:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        card = bot.open_card()
        assert card is not None
        yield bot, card


async def test_a_click_is_acknowledged_before_its_answer_is_written_while_another_request_waits(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(GATE, "max_yield_s", 30.0)
    async with at_first_card(slack, redis_server) as (bot, card):
        store = bot.runtime.services.store
        (ev,) = await store.channel_evaluations("T0001", "C1")
        updates = len(slack.calls_to("chat.update"))
        waiting = GATE.take()  # a request of another team that has not been acknowledged yet
        try:
            status, _ = await bot.click(card, "answer_yes")
            assert status == 200
            await asyncio.sleep(0.3)
            stored = await store.get(ev.id)
            assert stored is not None and not stored.answers  # the write waits for the other request's ack
            assert len(slack.calls_to("chat.update")) == updates
        finally:
            waiting.release()
        await bot.next_card(card)
        stored = await store.get(ev.id)
        assert stored is not None and [a.value for a in stored.answers.values()] == [1.0]


async def test_post_ack_work_is_not_starved_by_a_request_that_never_acks(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(GATE, "max_yield_s", 0.2)
    async with at_first_card(slack, redis_server) as (bot, card):
        stuck = GATE.take()
        try:
            status, _ = await bot.click(card, "answer_yes")
            assert status == 200
            await bot.next_card(card, timeout=10)
        finally:
            stuck.release()


async def test_a_request_leaves_the_gate_when_its_listener_fails_before_acking(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        payload = decode_payload(view_submission_body(user_id="U1", callback_id=NOTE_CALLBACK, values={}))
        payload["user"] = {"name": "someone"}  # no id: the listener's payload model refuses it before any ack
        submit = asyncio.create_task(bot.post(payload_form(payload)))
        await asyncio.sleep(1.0)  # the listener fails at once; Bolt waits 3 s for an ack that will not come
        assert not submit.done()
        assert GATE.waiting == 0  # yet the request no longer holds back anyone's post-ack work
        await asyncio.wait_for(submit, 10)
        status, _ = await bot.post("not a signed request", headers={"X-Slack-Signature": "v0=0"})
        assert status == 401
        assert GATE.waiting == 0
