"""The bot itself (signed HTTP, the Slack stand-in) on a real Redis Cluster: a walk-through, then the Home tab."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from scoring.checklist import Registry
from tests.bot.harness import running_bot
from tests.bot.test_leads import open_home
from tests.standins.redis_cluster import RedisCluster
from tests.standins.slack_api import SlackStandIn

ALL_YES = {q.key: 1.0 for q in Registry().get().questions}
pytestmark = pytest.mark.timeout(90)


async def test_walkthrough_and_home_on_the_cluster(slack: SlackStandIn, redis_cluster: RedisCluster,
                                                   cluster_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_cluster.url) as bot:  # the bot's own make_redis, redis+cluster:// URL
        for project in ("Ticket router", "Invoice parser"):
            status, _ = await bot.command(f"start {project}")
            assert status == 200
            await slack.wait_for(lambda: bot.open_card() is not None, what=f"first card of {project}")
            await bot.settle()
            await bot.answer_all(ALL_YES)
            await slack.wait_for(lambda: bot.scorecard() is not None, what=f"scorecard of {project}")
        home = await open_home(bot, "U1")
    assert "*Ticket router* in <#C1>" in home and "*Invoice parser* in <#C1>" in home
    assert home.count("20/20") >= 2
    assert await cluster_client.dbsize() > 0  # the records are in the cluster (dbsize sums every primary)
