"""When Slack answers again after an outage, what failed meanwhile goes out at the next outbox tick, not when each
entry's backoff runs out (up to a minute; 10 minutes for a redraw that ran out of tries). Before, a 30 s outage left
the clicked card and the root out of date and the next card unposted for about a minute after Slack recovered.

During an outage nothing else may call Slack (every entry waits out its backoff), so a probe (``auth.test``) asks
it when the outage has been quiet for a few seconds; its answer ends the outage and wakes the outbox."""

from __future__ import annotations

import time

import redis.asyncio as aioredis
import structlog

from bot.ratelimit import SlackOutage
from conversations.due_queues import OUTBOX_DUE
from tests.bot.harness import retry_at_once, running_bot
from tests.bot.test_deleted_report_owed import the_evaluation
from tests.bot.test_slack_outage_log import Clock
from tests.bot.test_vote_notices import FT, card, started
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

METHODS = ("chat.update", "chat.postMessage", "conversations.replies", "conversations.history", "auth.test")


async def test_what_failed_during_an_outage_goes_out_as_soon_as_slack_answers_again(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot, "Router")
        client = retry_at_once(bot)
        clock = Clock()
        client.outage = SlackOutage(client.outage.where, after_s=0, clock=clock)
        client.outage.on_ended.append(bot.runtime.outbox.wake)
        for method in METHODS:
            slack.fail_next(method, status=500, times=1000)
        with structlog.testing.capture_logs() as logs:
            await bot.click(card(bot, "q1"), "answer_yes", user="U2")
            await bot.settle()
            owed = (await the_evaluation(redis_client, bot)).pending
            assert owed and all(o.attempts >= 1 and o.next_at > time.time() + 1 for o in owed), owed
            await bot.runtime.outbox.tick(now=time.time() + 4)  # past the click's lease: tried again, failed again
            await bot.settle()
            held = await redis_client.zscore(OUTBOX_DUE, (await the_evaluation(redis_client, bot)).id)
            assert held is not None and held > (time.time() + 5) * 1000  # held for the backoff
            probes = len(slack.calls_to("auth.test"))  # Bolt asked it once, at start
            await bot.runtime.probe_slack()  # quiet for less than 5 s: no probe
            assert len(slack.calls_to("auth.test")) == probes
            clock.now += 6
            await bot.runtime.probe_slack()  # Slack still fails: the probe counts as one more failure
            assert [c.status for c in slack.calls_to("auth.test")][-1] == 500
            for method in METHODS:
                slack.fail_next(method, times=0)
            await bot.runtime.outbox.tick()  # Slack answers, but nobody asked it yet: backoff holds
            assert not bot.cards(FT.question("q2").id)
            clock.now += 6
            await bot.runtime.probe_slack()
            await bot.runtime.outbox.tick()  # now, not when the backoff runs out
            await bot.settle()
        assert bot.cards(FT.question("q2").id), "the next card, owed during the outage"
        assert bot.open_card() == card(bot, "q2")  # q1's card was redrawn answered, without its buttons
        events = [e["event"] for e in logs]
        assert events.count("slack_outage_ended") == 1 and "outbox_woken" in events, events
        assert (await the_evaluation(redis_client, bot)).pending == []
