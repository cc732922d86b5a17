"""A 429 on a post the outbox can find, while the writer's hold on the evaluation runs out.

Replica A posts a card (or a root); Slack answers 429 with a Retry-After longer than A's hold (LEASE_S, 3 s), and
A's hold renewals do not reach Redis meanwhile (a blip only A sees). Replica B's outbox takes the evaluation over
once the hold has run out, looks for the post (nothing: a 429 applied nothing) and posts it. When A's Retry-After
is over, A must not post it again: it confirms its hold first, finds it lost, and leaves the post to B. (slack_sdk's
RateLimitErrorRetryHandler used to sleep Retry-After and re-send inside the client call: a duplicate.)

With the renewals reaching Redis, A keeps its hold through the same Retry-After and posts the card itself, once.
The Retry-After must outlast the hold, so it is 4 s here (LEASE_S is a constant of 3 s, not a setting).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from conversations.due_queues import OUTBOX_DUE
from tests.bot.harness import Bot, running_bot
from tests.faults.apply_then_fail import real_clock
from tests.faults.test_outbox_faults import ALL_YES, assert_no_duplicates, card_count, click_open, ticking
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Call

pytestmark = pytest.mark.timeout(90)
RETRY_AFTER = 4  # > LEASE_S: A's hold runs out while it waits
SLACK_WAIT_S = RETRY_AFTER + 1.5  # Retry-After, its jitter, and a little more: A's wait is over by then


@contextlib.contextmanager
def outbox_renewals_lost(bot: Bot) -> Iterator[dict[str, bool]]:
    """While ``state["lost"]``: the bot's calls on the outbox's due queue (hold renewals) do not reach Redis; its
    writes (a pipeline) do. The engine shrugs a failed renewal off, so the bot's hold simply runs out."""
    redis = bot.runtime.services.store.redis
    real: Callable[..., Awaitable[Any]] = redis.execute_command
    state = {"lost": True}

    async def execute_command(*args: Any, **kwargs: Any) -> Any:
        if state["lost"] and any(a in (OUTBOX_DUE, OUTBOX_DUE.encode()) for a in args):
            raise RedisConnectionError("the outbox queue is out of reach (test)")
        return await real(*args, **kwargs)

    redis.execute_command = execute_command  # type: ignore[method-assign]
    try:
        yield state
    finally:
        redis.execute_command = real  # type: ignore[method-assign,assignment]


def posted_429(slack: SlackStandIn) -> bool:
    return any(c.status == 429 for c in slack.calls_to("chat.postMessage"))


def after_429(slack: SlackStandIn) -> list[Call]:
    """The Web API calls after the 429 (either bot's; chat.update excepted: redraws are idempotent)."""
    calls = slack.calls
    first = next(i for i, c in enumerate(calls) if c.status == 429)
    return [c for c in calls[first + 1:] if c.method != "chat.update"]


async def test_429_on_a_card_while_the_hold_runs_out_posts_the_card_once(slack: SlackStandIn,
                                                                          redis_server: RedisServer,
                                                                          redis_client: Any) -> None:
    async with running_bot(slack, redis_server.url) as a, running_bot(slack, redis_server.url) as b:
        await a.command("start Ticket router")
        await slack.wait_for(lambda: a.open_card() is not None, what="first card")
        await a.answer_all(ALL_YES, limit=2)
        await slack.wait_for(lambda: card_count(a, 3) == 1 and a.open_card() is not None, what="card 3")
        await a.settle()
        slack.fail_next("chat.postMessage", status=429, retry_after=RETRY_AFTER, times=1)
        with outbox_renewals_lost(a) as renewals:
            async with ticking(b, every=0.1):
                await click_open(a)  # card 3 answered; card 4's post is answered 429
                await slack.wait_for(lambda: posted_429(slack), what="the 429")
                await slack.wait_for(lambda: card_count(a, 4) == 1, timeout=10, what="card 4 posted by B's outbox")
                renewals["lost"] = False  # A's Redis answers again before its Retry-After is over
                await asyncio.sleep(SLACK_WAIT_S)
                await a.settle()
                await b.settle()
        assert card_count(a, 4) == 1, [m.text[:30] for m in a.thread()]
        assert_no_duplicates(a)
        # A left the card to B at once: only B looked for it (A's look would have found B's card and hidden a repeat)
        assert [c.method for c in after_429(slack)] == [
            "conversations.replies", "chat.postMessage"]
        ev = (await a.runtime.services.store.channel_evaluations("T0001", "C1"))[0]
        assert ev.pending == [] and len(ev.open_cards()) == 1
        # the walk goes on from the one card 4
        await a.answer_all(ALL_YES, limit=1)
        await slack.wait_for(lambda: card_count(a, 5) == 1, what="card 5")
        await a.settle()
        assert_no_duplicates(a)


async def test_429_on_a_root_while_the_hold_runs_out_starts_one_thread(slack: SlackStandIn,
                                                                        redis_server: RedisServer,
                                                                        redis_client: Any) -> None:
    """The start's own replica must not adopt the root B posted and then post card 1 beside B's card 1 either:
    the start stands unconfirmed, and B's outbox posts the root and card 1 once."""
    real_clock(slack)  # the root is looked up by time
    async with running_bot(slack, redis_server.url) as a, running_bot(slack, redis_server.url) as b:
        slack.fail_next("chat.postMessage", status=429, retry_after=RETRY_AFTER, times=1)
        with outbox_renewals_lost(a) as renewals:
            async with ticking(b, every=0.1):
                status, _ = await a.command("start Ticket router")
                assert status == 200
                await slack.wait_for(lambda: posted_429(slack), what="the 429")
                await slack.wait_for(lambda: card_count(a, 1) == 1, timeout=10, what="root and card 1 posted by B")
                renewals["lost"] = False
                await asyncio.sleep(SLACK_WAIT_S)
                await a.settle()
                await b.settle()
        # only B looked for the root: A, having found it, would have posted card 1 beside B's
        assert [c.method for c in after_429(slack)] == [
            "conversations.history", "chat.postMessage", "conversations.replies", "chat.postMessage"]
        roots = [m for m in slack.messages("C1", top_level=True) if "Ticket router" in m.text]
        assert len(roots) == 1, [m.text[:40] for m in roots]
        assert card_count(a, 1) == 1, [m.text[:30] for m in a.thread()]
        told = [p.text or "" for p in slack.response_posts]
        assert not any("nothing was started" in t for t in told), told
        await a.answer_all(ALL_YES, limit=1)
        await slack.wait_for(lambda: card_count(a, 2) == 1, what="card 2")
        await a.settle()
        assert_no_duplicates(a)


async def test_429_longer_than_the_hold_with_renewals_kept_the_writer_posts_once(slack: SlackStandIn,
                                                                                 redis_server: RedisServer,
                                                                                 redis_client: Any) -> None:
    """The same Retry-After with A's renewals reaching Redis: A keeps its hold, so B's outbox leaves the evaluation
    alone; A confirms its hold, looks for the card once and posts it once."""
    async with running_bot(slack, redis_server.url) as a, running_bot(slack, redis_server.url) as b:
        await a.command("start Ticket router")
        await slack.wait_for(lambda: a.open_card() is not None, what="first card")
        await a.answer_all(ALL_YES, limit=1)
        await slack.wait_for(lambda: card_count(a, 2) == 1 and a.open_card() is not None, what="card 2")
        await a.settle()
        slack.fail_next("chat.postMessage", status=429, retry_after=RETRY_AFTER, times=1)
        async with ticking(b, every=0.1):
            await click_open(a)
            await slack.wait_for(lambda: posted_429(slack), what="the 429")
            await asyncio.sleep(RETRY_AFTER - 0.5)
            assert card_count(a, 3) == 0  # nobody posted it during Retry-After
            await slack.wait_for(lambda: card_count(a, 3) == 1, timeout=5, what="card 3 after Retry-After")
            await asyncio.sleep(1)
            await a.settle()
            await b.settle()
        assert [c.method for c in after_429(slack)] == ["conversations.replies", "chat.postMessage"]
        assert card_count(a, 3) == 1
        assert_no_duplicates(a)
