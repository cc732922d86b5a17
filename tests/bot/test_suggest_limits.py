"""What bounds the AI helper's cost: an identical description is not read again while its suggestions stand, and
each member has FTCHECK_AI_READINGS_PER_HOUR AI readings an hour, past which the built-in reader reads theirs."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import redis.asyncio as aioredis

from conversations.ai_quota import already_read, description_digest, readings_key, remember_reading, take_reading
from conversations.engine import Engine
from conversations.models import SuggestionRef
from conversations.store import Store
from scoring.checklist import Registry
from tests.bot.harness import Bot, running_bot
from tests.bot.test_slack_surface import started
from tests.bot.test_suggestions_slack import BRIEF, _revision, card_text, paste, readings, report
from tests.conversations.recording import RecordingPresenter
from tests.scoring.test_suggest_llm import GOOD
from tests.standins.openai_api import OpenAIStandin
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

ALREADY = ("This description was already read for *Ticket router*, and its suggestions are still on the cards, so "
           "it was not read again")
# Different descriptions, each holding every quote of GOOD: a new reading each time
OTHER = [BRIEF + f"\n\nNote {n}: the support leads review this brief every Monday." for n in range(1, 4)]


def ai(api: OpenAIStandin, **overrides: Any) -> dict[str, Any]:
    return {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": api.base_url, "FTCHECK_LLM_TIMEOUT": 3,
            "FTCHECK_LLM_RETRIES": 0, **overrides}


def plan(api: OpenAIStandin, answers: int) -> None:
    for _ in range(answers):
        api.respond_json(GOOD, usage=(1200, 300))


def reports(bot: Bot) -> list[str]:
    return [m.text for m in bot.thread() if "from the description given to `" in m.text]


async def test_the_same_description_again_is_not_sent_to_the_ai_helper(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    with OpenAIStandin() as api:
        plan(api, 2)
        async with running_bot(slack, redis_server.url, **ai(api)) as bot:
            await started(bot)
            first = await bot.reply_to(f"suggest {BRIEF}", user="U4")
            assert first.startswith("20 suggestions from the description given to `/ftcheck suggest`"), first
            again = await bot.reply_to("suggest " + "  \n ".join(BRIEF.split()), user="U5")  # other spacing
            assert again.startswith(f"{ALREADY}: <https://"), again
            await bot.settle()
            assert len(api.requests) == 1 and readings(slack) == 1 and len(reports(bot)) == 1
            ev = await bot.runtime.services.store.by_thread("C1", slack.messages("C1", top_level=True)[-1].ts)
            assert ev is not None
            key = f"ftc:{{e:{ev.id}}}:readings"  # in the evaluation's hash tag, and it expires
            assert 29 * 86400 < await redis_client.ttl(key) <= 30 * 86400
            record = str(await redis_client.hgetall(key))
            assert "2,000" not in record and "historical" not in record  # digests only, no words of the description


async def test_a_description_read_again_after_its_suggestions_left_the_cards_is_read(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    with OpenAIStandin() as api:
        plan(api, 2)
        async with running_bot(slack, redis_server.url, **ai(api)) as bot:
            await started(bot)
            first = await paste(bot, BRIEF)
            await slack.wait_for(lambda: report(bot) != "", timeout=15, what="the first reading")
            await paste(bot, BRIEF)
            await slack.wait_for(lambda: bool(slack.ephemerals("C1", user="U2")), what="the repeat is told")
            assert slack.ephemerals("C1", user="U2")[0].text == f"{ALREADY}."
            assert len(api.requests) == 1 and readings(slack) == 1
            root = slack.messages("C1", top_level=True)[-1]
            await bot.event(_revision(root.ts, first, BRIEF, subtype="message_deleted"))
            await slack.wait_for(lambda: "Helper" not in card_text(bot), what="its suggestions leave the cards")
            await paste(bot, BRIEF)  # nothing of it is on the cards now: read as new
            await slack.wait_for(lambda: readings(slack) == 2, what="a second reading")
            await slack.wait_for(lambda: "Helper suggests" in card_text(bot), timeout=15, what="the hints again")
            assert len(api.requests) == 2 and len(slack.ephemerals("C1", user="U2")) == 1


async def test_past_the_hourly_limit_the_built_in_reader_reads_and_says_until_when(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    with OpenAIStandin() as api:
        plan(api, 4)
        async with running_bot(slack, redis_server.url, **ai(api, FTCHECK_AI_READINGS_PER_HOUR=2)) as bot:
            await started(bot)
            for text in OTHER[:2]:
                assert "limit" not in await bot.reply_to(f"suggest {text}", user="U4")
            third = await bot.reply_to(f"suggest {OTHER[2]}", user="U4")
            assert len(api.requests) == 2  # the third was not sent to the AI helper, and not refused either
            assert third.startswith("20 suggestions from the description given to `/ftcheck suggest`, shown on each "
                                    "card. The AI helper's hourly limit for you (2 readings an hour) was reached, so "
                                    "the built-in reader was used; the AI helper is available to you again from "
                                    "<!date^"), third
            assert "(in 60 minutes). It is in the thread of *Ticket router*" in third, third
            line = reports(bot)[-1]
            assert ("The AI helper's hourly limit for the member who gave this description (2 readings an hour) was "
                    "reached, so the built-in reader was used; the AI helper is available to them again from") in line
            at = int(re.findall(r"<!date\^(\d+)\^", line)[0])
            assert abs(at - (time.time() + 3600)) < 30
            ttl = await redis_client.pttl(readings_key("U4"))
            assert 3_500_000 < ttl <= 3_600_000  # the count goes away an hour after the member's first reading
            ev = await bot.runtime.services.store.by_thread("C1", slack.messages("C1", top_level=True)[-1].ts)
            assert ev is not None and {s.engine for s in ev.suggestions.values()} == {"offline"}
            assert "limit" not in await bot.reply_to(f"suggest {BRIEF}", user="U5")  # another member's own count
            assert len(api.requests) == 3


async def test_once_the_count_expires_the_ai_helper_reads_again(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    with OpenAIStandin() as api:
        plan(api, 2)
        async with running_bot(slack, redis_server.url, **ai(api, FTCHECK_AI_READINGS_PER_HOUR=1)) as bot:
            await started(bot)
            await bot.reply_to(f"suggest {OTHER[0]}", user="U4")
            assert "hourly limit for you (1 reading an hour)" in await bot.reply_to(f"suggest {OTHER[1]}", user="U4")
            assert len(api.requests) == 1
            await redis_client.pexpire(readings_key("U4"), 1)  # the hour is up
            while await redis_client.exists(readings_key("U4")):
                await asyncio.sleep(0.01)
            assert "limit" not in await bot.reply_to(f"suggest {OTHER[2]}", user="U4")
            assert len(api.requests) == 2


async def test_a_limit_of_0_counts_nothing(slack: SlackStandIn, redis_server: RedisServer,
                                          redis_client: aioredis.Redis) -> None:
    with OpenAIStandin() as api:
        plan(api, 3)
        async with running_bot(slack, redis_server.url, **ai(api, FTCHECK_AI_READINGS_PER_HOUR=0)) as bot:
            await started(bot)
            for text in OTHER:
                assert "limit" not in await bot.reply_to(f"suggest {text}", user="U4")
            assert len(api.requests) == 3
            assert [k async for k in redis_client.scan_iter(match="ftc:{ai}:*")] == []


async def test_a_count_left_without_expiry_is_given_one(redis_server: RedisServer,
                                                        redis_client: aioredis.Redis) -> None:
    """A count key that somehow lost its TTL (restored from an old snapshot, set by hand) would block its member
    for good: the next reading gives it the hour again."""
    await redis_client.set(readings_key("U4"), 7)
    taken = await take_reading(Store(redis_client), "U4", 3)
    assert not taken.allowed and taken.used == 7
    assert 3_500_000 < await redis_client.pttl(readings_key("U4")) <= 3_600_000


async def test_the_counts_and_the_reading_records_work_on_a_redis_cluster(cluster_client: aioredis.Redis) -> None:
    """Each record is one key (the reading's in its evaluation's hash tag): scripts and pipelines run on a Cluster."""
    engine = Engine(Store(cluster_client), Registry(), RecordingPresenter())
    ev = await engine.start(team="T1", channel="C1", project="Ticket router", checklist_id=None, user="U1")
    hint = SuggestionRef(value=1.0, reason="labels", evidence="2,000 historical tickets", engine="llm")
    ev, stored = await engine.suggest(ev.id, {"labeled_examples": hint}, user="U1")
    digest = description_digest(BRIEF)
    await remember_reading(engine.store, ev, digest, stored)
    assert await already_read(engine.store, ev, description_digest(" ".join(BRIEF.split())))
    taken = [await take_reading(engine.store, "U4", 1) for _ in range(2)]
    assert [t.allowed for t in taken] == [True, False]
    assert 3_500_000 < await cluster_client.pttl(readings_key("U4")) <= 3_600_000
