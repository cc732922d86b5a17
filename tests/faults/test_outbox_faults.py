"""The outbox under faults, each bounded in time: Redis paused, killed and full; Slack 429, 500s, an archived
channel and a message Slack refuses. Owed messages arrive once, people hear the truth, nothing blocks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from bot.app import stop_tasks
from bot.serve import start_clock
from scoring.checklist import Registry
from tests.bot.harness import Bot, running_bot
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

pytestmark = pytest.mark.timeout(150)
ALL_YES = {f"q{n}": 1.0 for n in range(1, 21)}
FT = Registry().get()


@contextlib.asynccontextmanager
async def ticking(bot: Bot, every: float = 0.3) -> AsyncIterator[None]:
    """The outbox clock, as `ftcheck serve` runs it (APScheduler every second), a little faster."""

    async def loop() -> None:
        while True:
            await bot.runtime.deliver_owed()
            await asyncio.sleep(every)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        await stop_tasks([task])  # cancelled until it ends: one cancellation can be lost (see stop_tasks)
        if not task.cancelled():
            task.result()  # a loop that failed: its error


def card_refs(bot: Bot, channel: str = "C1") -> list[str]:
    refs = [str((m.metadata or {}).get("event_payload", {}).get("ref")) for m in bot.thread(channel)]
    return [r for r in refs if ":card:" in r]


def assert_no_duplicates(bot: Bot, channel: str = "C1") -> None:
    refs = card_refs(bot, channel)
    assert len(refs) == len(set(refs)), refs
    questions = [r.split(":")[2] for r in refs]
    assert len(questions) == len(set(questions)), questions


def card_count(bot: Bot, n: int, channel: str = "C1") -> int:
    return sum(1 for m in bot.thread(channel) if f"Question {n} of 20" in m.text or f"q{n}:" in m.text)


async def healthz(bot: Bot) -> int:
    async with bot.session.get(f"{bot.url}/healthz") as resp:
        return resp.status


async def start_and_answer(bot: Bot, slack: SlackStandIn, clicks: int, channel: str = "C1") -> None:
    await bot.command("start Ticket router", channel=channel)
    await slack.wait_for(lambda: bot.open_card(channel) is not None, what="first card")
    await bot.answer_all(ALL_YES, limit=clicks, channel=channel)
    await slack.wait_for(lambda: bot.open_card(channel) is not None, what="the next card")
    await bot.settle()


async def click_open(bot: Bot, user: str = "U1", channel: str = "C1") -> None:
    card = bot.open_card(channel)
    assert card is not None
    status, _ = await bot.click(card, "answer_yes", user=user, channel=channel)
    assert status == 200


async def finish(bot: Bot, slack: SlackStandIn) -> None:
    await bot.answer_all(ALL_YES)
    await slack.wait_for(lambda: bot.scorecard() is not None, what="scorecard")
    await bot.settle()
    assert_no_duplicates(bot)
    assert sum(1 for m in bot.thread() if m.text.startswith("Scorecard for")) == 1


async def test_redis_paused_says_it_could_not_confirm_and_delivers_once(slack: SlackStandIn) -> None:
    with RedisServer() as server:
        async with running_bot(slack, server.url) as bot, ticking(bot):
            await start_and_answer(bot, slack, 2)
            server.pause()
            try:
                await click_open(bot)
                await slack.wait_for(lambda: slack.ephemerals("C1", "U1") != [], timeout=20, what="told")
            finally:
                server.resume()
            told = slack.ephemerals("C1", "U1")[-1].text
            assert "could not confirm" in told and "nothing from this click was recorded" not in told
            await slack.wait_for(lambda: bot.open_card() is not None and card_count(bot, 3) >= 1, timeout=15,
                                 what="card 3 or 4 open after the pause")
            await finish(bot, slack)


async def test_redis_killed_says_nothing_was_recorded_and_health_turns_503(slack: SlackStandIn) -> None:
    with RedisServer(appendonly=True) as server:
        async with running_bot(slack, server.url) as bot, ticking(bot):
            await start_and_answer(bot, slack, 2)
            server.kill()
            await click_open(bot)
            await slack.wait_for(lambda: slack.ephemerals("C1", "U1") != [], timeout=20, what="told")
            assert "nothing from this click was recorded" in slack.ephemerals("C1", "U1")[-1].text
            assert await healthz(bot) == 503
            async with bot.session.get(f"{bot.url}/readyz") as resp:
                assert resp.status == 200  # the pod stays in the Service: people get the words above, not a 503
            server.start()
            assert await healthz(bot) == 200
            await finish(bot, slack)


async def test_redis_full_refuses_with_the_right_words_and_owes_no_duplicate(slack: SlackStandIn) -> None:
    with RedisServer() as server, server.client() as admin:
        async with running_bot(slack, server.url) as bot, ticking(bot):
            await start_and_answer(bot, slack, 2)
            admin.config_set("maxmemory", "1")
            try:
                await click_open(bot)
                await slack.wait_for(lambda: slack.ephemerals("C1", "U1") != [], timeout=20, what="told")
                told = slack.ephemerals("C1", "U1")[-1].text
                assert "full" in told and "was not saved" in told
                assert await healthz(bot) == 503
                await asyncio.sleep(2)  # ticks keep running against a full Redis
            finally:
                admin.config_set("maxmemory", "0")
            assert await healthz(bot) == 200
            await finish(bot, slack)


async def test_post_landed_but_its_record_failed_is_found_not_repeated(slack: SlackStandIn) -> None:
    """Redis fills up between Slack taking card 4 and the write that records it; the outbox adopts the card."""
    with RedisServer() as server, server.client() as admin:
        async with running_bot(slack, server.url) as bot:
            await start_and_answer(bot, slack, 2)
            store = bot.runtime.services.store
            real_update = store.update

            async def fill_then_update(*args, **kwargs):
                if kwargs.get("action") == "delivered":
                    admin.config_set("maxmemory", "1")
                return await real_update(*args, **kwargs)

            store.update = fill_then_update  # type: ignore[method-assign]
            await click_open(bot)
            await slack.wait_for(lambda: card_count(bot, 4) == 1, what="card 4 posted")
            store.update = real_update  # type: ignore[method-assign]
            async with ticking(bot):
                await asyncio.sleep(2)  # full: the outbox cannot even claim; it posts nothing meanwhile
                assert card_count(bot, 4) == 1
                admin.config_set("maxmemory", "0")
                for _ in range(60):
                    ev = (await store.channel_evaluations("T0001", "C1"))[0]
                    if not ev.pending:
                        break
                    await asyncio.sleep(0.2)
                assert ev.pending == [] and len(ev.cards_of(FT.question("q4").id)) == 1
                assert card_count(bot, 4) == 1
                await finish(bot, slack)


async def test_slack_429_retry_after_30_posts_the_card_once(slack: SlackStandIn, redis_server: RedisServer,
                                                            redis_client) -> None:
    async with running_bot(slack, redis_server.url) as bot, ticking(bot):
        await start_and_answer(bot, slack, 2)
        slack.fail_next("chat.postMessage", status=429, retry_after=30, times=1)
        await click_open(bot)
        await asyncio.sleep(10)  # the outbox ticks all along; the delivery in flight holds its entry
        assert card_count(bot, 4) == 0
        await slack.wait_for(lambda: card_count(bot, 4) == 1, timeout=40, what="card 4 after Retry-After")
        await asyncio.sleep(2)
        assert card_count(bot, 4) == 1
        await finish(bot, slack)


async def test_slack_500s_for_60_seconds_then_the_card_arrives_once(slack: SlackStandIn, redis_server: RedisServer,
                                                                    redis_client) -> None:
    async with running_bot(slack, redis_server.url) as bot, ticking(bot):
        await start_and_answer(bot, slack, 2)
        slack.fail_next("chat.postMessage", status=500, times=100_000)
        await click_open(bot)
        await asyncio.sleep(60)
        assert card_count(bot, 4) == 0
        slack.fail_next("chat.postMessage", status=500, times=0)
        await slack.wait_for(lambda: card_count(bot, 4) == 1, timeout=60, what="card 4 after the outage")
        await finish(bot, slack)


async def test_archived_channel_is_given_up_while_another_is_repaired(slack: SlackStandIn,
                                                                      redis_server: RedisServer,
                                                                      redis_client) -> None:
    slack.set_channel("C2", name="archived-soon", members=["UBOT", "U1", "U2"])
    async with running_bot(slack, redis_server.url) as bot:
        await start_and_answer(bot, slack, 1, channel="C2")
        await start_and_answer(bot, slack, 1, channel="C1")
        slack.set_channel("C2", name="archived-soon", members=["UBOT", "U1", "U2"], is_archived=True)
        await click_open(bot, channel="C2")  # its next card can never be posted
        slack.fail_next("chat.postMessage", status=500, times=1)  # C1's next card fails once, inline
        await click_open(bot, channel="C1")
        async with ticking(bot):
            await slack.wait_for(lambda: card_count(bot, 3, "C1") == 1, timeout=10, what="C1 repaired on time")
            await slack.wait_for(lambda: any("could not post" in m.text for m in slack.messages("U1")), timeout=10,
                                 what="the starter told by DM")
            await asyncio.sleep(2)
        dms = [m for m in slack.messages("U1") if "could not post" in m.text]
        assert len(dms) == 1 and "is_archived" in dms[0].text
        assert card_count(bot, 3, "C2") == 0


async def test_an_error_page_instead_of_slacks_json_is_repaired_like_any_5xx(slack: SlackStandIn,
                                                                             redis_server: RedisServer,
                                                                             redis_client) -> None:
    """A load balancer or proxy in front of Slack answers 503 with a page (slack_sdk hands a text/plain body over as
    a string): the card is owed and posted once Slack is back, as after any 5xx."""
    async with running_bot(slack, redis_server.url) as bot:
        await start_and_answer(bot, slack, 1)
        slack.fail_next("chat.postMessage", status=503, times=1, page="text/plain")  # left to the outbox
        await click_open(bot)
        await bot.settle()
        assert card_count(bot, 3) == 0
        async with ticking(bot):
            await slack.wait_for(lambda: card_count(bot, 3) == 1, timeout=10, what="the owed card posted")
            await asyncio.sleep(1)
        assert_no_duplicates(bot)
        failures = [c for c in slack.calls_to("chat.postMessage") if c.status == 503]
        assert len(failures) == 1


async def test_message_slack_refuses_is_given_up_once_and_people_told(slack: SlackStandIn,
                                                                       redis_server: RedisServer,
                                                                       redis_client) -> None:
    async with running_bot(slack, redis_server.url) as bot, ticking(bot):
        await start_and_answer(bot, slack, 2)
        slack.fail_next("chat.postMessage", error="msg_too_long", times=1)
        before = len(slack.calls_to("chat.postMessage"))
        await click_open(bot)
        await slack.wait_for(lambda: any("could not post a question card" in m.text for m in bot.thread()),
                             what="people told in the thread")
        await asyncio.sleep(3)
        notices = [m for m in bot.thread() if "could not post" in m.text]
        assert len(notices) == 1 and "msg_too_long" in notices[0].text
        assert len(slack.calls_to("chat.postMessage")) - before == 2  # the refused card, the notice: no repeats


async def test_a_cancelled_outbox_tick_is_cancelled_not_swallowed(slack: SlackStandIn, redis_server: RedisServer,
                                                                  redis_client) -> None:
    """A server stopping cancels the tick in flight: the cancellation must end the task (a tick that swallowed it
    left ``ticking``'s loop, and a scheduler's job, running for good)."""
    async with running_bot(slack, redis_server.url) as bot:
        stuck = asyncio.Event()

        async def slow_tick(now: float | None = None) -> int:
            await stuck.wait()
            return 0

        bot.runtime.outbox.tick = slow_tick  # type: ignore[method-assign]
        task = asyncio.create_task(bot.runtime.deliver_owed())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=2)


def losing_its_cancellation(sent: asyncio.Future[None], calls: list[bool], closed: list[bool]):
    """A stand-in outbox tick whose first run waits in ``asyncio.wait_for`` as redis-py waits for every command's
    send. On Python 3.11, ``wait_for`` returns instead of raising when a cancellation arrives in the loop turn the
    send completes (``sent.set_result`` in the same turn as the cancel): the tick goes on, delivering. ``calls``
    records each run and each step of work, with whether the runtime was closed by then (``closed``)."""

    async def tick(now: float | None = None) -> int:
        calls.append(bool(closed))
        if not sent.done():
            await asyncio.wait_for(sent, timeout=10)
            for _ in range(5):  # the rest of the tick: claims, posts, records
                await asyncio.sleep(0.05)
                calls.append(bool(closed))
        return 0

    return tick


async def test_ticking_stops_even_when_a_tick_loses_its_cancellation(slack: SlackStandIn,
                                                                     redis_server: RedisServer,
                                                                     redis_client) -> None:
    """``ticking`` cancelled its loop once and awaited it: a lost cancellation left it waiting for a loop that
    never ends (a test hung until its 150 s timeout, and its bot kept delivering into the tests after it)."""
    async with running_bot(slack, redis_server.url) as bot:
        sent: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        calls: list[bool] = []
        bot.runtime.outbox.tick = losing_its_cancellation(sent, calls, [])  # type: ignore[method-assign]
        loop = asyncio.get_running_loop()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5), ticking(bot, every=0.01):  # 5 s: the hang ends here, not at 150 s
                await slack.wait_for(lambda: calls != [], timeout=5, what="a tick in flight")
                sent.set_result(None)  # the send completes in the turn ``ticking`` cancels its loop
                stopping = loop.time()
        took = loop.time() - stopping
        stopped = len(calls)
        await asyncio.sleep(0.5)
        assert len(calls) == stopped, f"the outbox kept ticking after ticking() returned: {len(calls) - stopped} runs"
        assert took < 2, f"ticking() took {took:.1f} s to stop its loop"


async def test_a_stopped_bot_delivers_nothing_after_aclose(slack: SlackStandIn, redis_server: RedisServer,
                                                           redis_client) -> None:
    """``ftcheck serve`` stops its clock (APScheduler cancels a tick in flight, without waiting for it), then closes
    the runtime. A tick that lost its cancellation went on delivering after ``Runtime.aclose`` (reopening the
    Slack session and the Redis pool aclose had closed); a tick started after it delivers nothing either."""
    async with running_bot(slack, redis_server.url, FTCHECK_OUTBOX_TICK_SECONDS=0.05) as bot:
        runtime = bot.runtime
        sent: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        calls: list[bool] = []
        closed: list[bool] = []
        runtime.outbox.tick = losing_its_cancellation(sent, calls, closed)  # type: ignore[method-assign]
        scheduler = start_clock(runtime)
        try:
            await slack.wait_for(lambda: calls != [], timeout=5, what="a tick in flight")
        finally:
            sent.set_result(None)  # the send completes in the turn the clock is stopped
            scheduler.shutdown(wait=False)
        await runtime.aclose()
        closed.append(True)
        await runtime.deliver_owed()  # a clock that outlived the server
        await asyncio.sleep(0.5)
        assert True not in calls, f"{calls.count(True)} tick steps ran after Runtime.aclose() returned"
