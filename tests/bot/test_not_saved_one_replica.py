"""A one-replica deployment: the replica that wrote the lost click takes the click after the restore. It drew a
later version before, yet it must redraw the restored state (``Store.on_set_back``)."""
from __future__ import annotations

import redis.asyncio as aioredis

from tests.bot.harness import running_bot
from tests.bot.test_not_saved_cards_slack import has_buttons, now, one_click_lost, reply_to
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn


async def test_the_replica_that_wrote_the_lost_click_redraws_the_restored_state(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        bot.runtime.services.store.fold_s = 0
        q4, q5 = await one_click_lost(bot, redis_client, "start Router", 3)
        told = await reply_to(bot, q5, "answer_yes", "U3")
        assert "q4 is asked again on its card" in told
        await slack.wait_for(lambda: has_buttons(now(bot, q4)), timeout=5, what="q4's card with its buttons again")
