"""What naming the mentions in a command costs Slack and the person: one users.info per person however many commands
ask at once, a refusal asked again only after a while, a rate-limited lookup never holding the reply for long, and a
name seen once still shown (the same project) while Slack fails to say it again."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
import redis.asyncio as aioredis
from slack_sdk.web.async_client import AsyncWebClient

from bot import slack_text
from bot.slack_text import mention_names
from conversations.store import Store
from tests.bot.harness import running_bot
from tests.bot.test_names_in_slack import ALL_YES
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

PEOPLE = [f"UX{i:02d}" for i in range(20)]
TWENTY = "history Sync with " + " ".join(f"<@{u}>" for u in PEOPLE)


def everyone_known(slack: SlackStandIn) -> None:
    for i, user in enumerate(PEOPLE):
        slack.set_user(user, name=f"person{i}", real_name=f"Person {i}")


def users_info(slack: SlackStandIn) -> list[str]:
    return [str(c.params.get("user")) for c in slack.calls_to("users.info")]


async def test_commands_at_once_share_one_lookup_per_person(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    everyone_known(slack)
    async with running_bot(slack, redis_server.url) as bot:
        replies = await asyncio.gather(*(bot.reply_to(TWENTY, user=f"U{i}") for i in range(10)))
        assert sorted(users_info(slack)) == sorted(PEOPLE)  # 20 calls, not 200
        assert all(r.startswith("No evaluation of *Sync with @person0 @person1 ") for r in replies), replies


async def test_the_clients_of_one_process_share_the_names(slack: SlackStandIn) -> None:
    """Bolt hands each request a client of its own sharing the process's session (a pasted description is read
    with it): the names are asked once for them all."""
    slack.set_user("U2", name="dev", real_name="Dev Person")
    async with aiohttp.ClientSession() as session:
        clients = [AsyncWebClient(token="xoxb-test", base_url=slack.base_url, session=session) for _ in range(3)]
        found = await asyncio.gather(*(mention_names(c, "for <@U2>") for c in clients))
        found.append(await mention_names(clients[0], "and <@U2>"))
    assert found == [{"U2": "dev"}] * 4
    assert users_info(slack) == ["U2"]


async def test_a_refusal_is_remembered_for_a_while(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis,
        monkeypatch: pytest.MonkeyPatch) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        for _ in range(5):
            reply = await bot.reply_to("history Sync with <@UGONE1> <@UGONE2>")
            assert reply.startswith("No evaluation of *Sync with @UGONE1 @UGONE2*"), reply
        assert sorted(users_info(slack)) == ["UGONE1", "UGONE2"]  # user_not_found, asked once each
        assert {slack.calls_to("users.info")[0].response.get("error")} == {"user_not_found"}

        slack.set_usergroup("S1", handle="labelers")
        for _ in range(3):
            await bot.reply_to("history Sync with <!subteam^S1> <!subteam^SGONE>")
        assert len(slack.calls_to("usergroups.list")) == 1  # SGONE is in no list: not listed again for it

        monkeypatch.setattr(slack_text, "REFUSED_TTL_S", 0.2, raising=False)
        await bot.reply_to("history Sync with <@UGONE3>")
        await asyncio.sleep(0.3)
        slack.set_user("UGONE3", name="newcomer", real_name="New Comer")  # joined since
        reply = await bot.reply_to("history Sync with <@UGONE3>")
        assert reply.startswith("No evaluation of *Sync with @newcomer*"), reply


async def test_a_rate_limited_lookup_does_not_hold_the_reply(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    everyone_known(slack)
    async with running_bot(slack, redis_server.url) as bot:
        slack.fail_next("users.info", status=429, retry_after=10, times=40)
        started = time.monotonic()
        reply = await bot.reply_to(TWENTY)
        took = time.monotonic() - started
        assert took < slack_text.LOOKUP_S + 1.5, f"the reply came {took:.1f}s after the command"
        assert reply.startswith("No evaluation of *Sync with @UX00 @UX01 "), reply  # the ids, not nothing
        asked = len(slack.calls_to("users.info"))
        again = await bot.reply_to(TWENTY)  # Slack said wait: not asked again at once
        assert again.startswith("No evaluation of *Sync with @UX00 @UX01 "), again
        assert len(slack.calls_to("users.info")) == asked
        await asyncio.sleep(0.1)
        assert slack_text._remembered and all(not n.asking for n in slack_text._remembered.values())


async def test_a_name_seen_once_is_shown_while_slack_fails_to_say_it_again(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis,
        monkeypatch: pytest.MonkeyPatch) -> None:
    slack.set_user("U2", name="dev", real_name="Dev Person")
    monkeypatch.setattr(slack_text, "NAMES_TTL_S", 0.5)
    monkeypatch.setattr(slack_text, "FAILED_TTL_S", 0.3, raising=False)
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Helper for <@U2>")
        await slack.wait_for(lambda: bot.open_card() is not None, what="the first card")
        await bot.answer_all(ALL_YES, users=["U1"])
        await slack.wait_for(lambda: bot.scorecard() is not None, what="the scorecard")
        await bot.settle()
        await asyncio.sleep(0.6)  # the name is due to be asked again
        slack.fail_next("users.info", status=500, times=4)  # the call and the client's 3 retries
        reply = await bot.reply_to("start Helper for <@U2>")
        assert reply.startswith("Re-evaluation of *Helper for @dev* started"), reply
        await asyncio.sleep(0.4)
        slack.fail_next("users.info", error="missing_scope")  # a refusal: the name seen before is still shown
        history = await bot.reply_to("history Helper for <@U2>")
        assert history.startswith("*History of Helper for @dev in <#C1>* (2 evaluations)"), history
        assert [c.response.get("error") for c in slack.calls_to("users.info")][-1] == "missing_scope"
        evs = await Store(redis_client).channel_evaluations("T0001", "C1")
        assert {e.project for e in evs} == {"Helper for @dev"} and len({e.project_key for e in evs}) == 1


async def test_a_start_again_right_after_a_failed_lookup_is_the_same_project(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """A name never seen that Slack fails to give is the id for a few seconds: the same start typed again at once
    (Slack answering by then) finds the evaluation it started instead of making another project."""
    slack.set_user("U2", name="dev", real_name="Dev Person")
    async with running_bot(slack, redis_server.url) as bot:
        slack.fail_next("users.info", status=500, times=4)  # the call and the client's 3 retries
        await bot.command("start Helper for <@U2>")
        await slack.wait_for(lambda: bot.open_card() is not None, what="the first card")
        again = await bot.reply_to("start Helper for <@U2>")
        assert again.startswith("An evaluation of *Helper for @U2* is already in progress here"), again
        evs = await Store(redis_client).channel_evaluations("T0001", "C1")
        assert [e.project for e in evs] == ["Helper for @U2"]


async def test_names_in_use_stay_when_too_many_are_remembered(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis,
        monkeypatch: pytest.MonkeyPatch) -> None:
    everyone_known(slack)
    slack.set_user("U2", name="dev", real_name="Dev Person")
    monkeypatch.setattr(slack_text, "NAMES_MAX", 4)
    monkeypatch.setattr(slack_text, "NAMES_TTL_S", 0.3)
    async with running_bot(slack, redis_server.url) as bot:
        await bot.reply_to("history Helper for <@U2>")
        for person in PEOPLE[:6]:  # others come and go; the team's own project is named every time
            await bot.reply_to(f"history Sync with <@{person}>")
            await bot.reply_to("history Helper for <@U2>")
        await asyncio.sleep(0.4)  # every name is due to be asked again
        await bot.reply_to("history Sync with <@UX10>")  # one more to remember
        slack.fail_next("users.info", status=500, times=4)
        reply = await bot.reply_to("history Helper for <@U2>")
        assert [c.status for c in slack.calls_to("users.info") if c.params.get("user") == "U2"][-1] == 500
        assert reply.startswith("No evaluation of *Helper for @dev*"), reply
