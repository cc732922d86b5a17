"""The outbox woken after a Slack outage never delivers what a writer is still delivering. A backoff hold (a root
redraw that failed during the outage) hides the lease of a click's delivery under it, for holds only go up: a wake
that lowered the score and delivered everything owed posted q2's card a second time while the click's own post of it
waited 5 s for Slack (a review of this session's wake). The wake now retries only what failed before."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import redis.asyncio as aioredis
import structlog
from aiohttp import web

from bot.ratelimit import PacedWebClient, SlackOutage
from conversations.due_queues import OUTBOX_DUE, hold_score
from conversations.effects import Owed, UpdateRoot
from conversations.models import Evaluation
from conversations.store import eval_key
from tests.bot.harness import running_bot
from tests.bot.test_slack_outage_log import Clock
from tests.bot.test_vote_notices import FT, card, started
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn


class SlowPosts(SlackStandIn):
    """The stand-in, answering the next ``slow`` chat.postMessage calls 5 s late (Slack slow after an outage)."""

    slow = 0

    async def _handle_api(self, request: web.Request) -> Any:
        if request.match_info["method"] == "chat.postMessage" and self.slow > 0:
            self.slow -= 1
            await asyncio.sleep(5)
        return await super()._handle_api(request)


async def test_a_wake_leaves_a_delivery_in_flight_to_its_writer(redis_server: RedisServer,
                                                                redis_client: aioredis.Redis) -> None:
    posts = SlowPosts()
    with posts as slack:
        slack.set_channel("C1", name="ml-team", members=["UBOT", *(f"U{i}" for i in range(10))])
        async with running_bot(slack, redis_server.url) as bot:
            await started(bot, "Router")
            client = bot.runtime.services.client
            assert isinstance(client, PacedWebClient)
            clock = Clock()
            client.outage = SlackOutage(client.outage.where, after_s=0, clock=clock)
            client.outage.on_ended.append(bot.runtime.outbox.wake)
            for _ in range(3):
                client.outage.saw("500")  # an outage was logged
            root = slack.messages("C1", top_level=True)[-1]
            ev = await bot.runtime.services.store.by_thread("C1", root.ts)
            assert ev is not None
            doc = Evaluation.model_validate_json(await redis_client.get(eval_key(ev.id)) or b"")
            now = time.time()  # what the outage left: a root redraw that failed twice, held for its backoff
            doc.pending = [Owed(effect=UpdateRoot(), attempts=2, next_at=now + 30, since=doc.version,
                                error="internal_error")]
            await redis_client.set(eval_key(ev.id), doc.model_dump_json())
            await redis_client.zadd(OUTBOX_DUE, {ev.id: hold_score(now, 30)})
            posts.slow = 1
            with structlog.testing.capture_logs() as logs:
                await bot.click(card(bot, "q1"), "answer_yes", user="U2")  # its post of q2's card waits 5 s
                await asyncio.sleep(3.5)  # past the click's first lease: only the backoff hold is left above it
                clock.now += 6
                await bot.runtime.probe_slack()  # Slack answers: the outage ends and the outbox wakes
                await bot.runtime.outbox.tick()
                await asyncio.sleep(6)
                await bot.settle()
        assert "outbox_woken" in [e["event"] for e in logs]
        assert len(bot.cards(FT.question("q2").id)) == 1, "q2's card posted twice"
