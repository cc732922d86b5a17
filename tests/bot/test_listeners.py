"""Listeners and the HTTP edge: called directly without HTTP, the one error handler's words, and the edge's
refusals (garbled signatures, empty actions, slow clients), against real Redis and the Slack stand-in."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import redis.asyncio as aioredis

from bot import commands as cmd
from bot.listeners import actions
from bot.replies import unavailable_text
from bot.verbs import VERBS
from conversations.store import Store, StoreUnavailable
from tests.bot.harness import SECRET, Bot, running_bot
from tests.bot.test_leads import PRIVATE, people, start
from tests.bot.test_slack_surface import started
from tests.standins.redis_server import RedisServer
from tests.standins.signing import (
    block_actions_body,
    decode_payload,
    payload_form,
    signed_headers,
    slash_command_body,
)
from tests.standins.slack_api import SlackStandIn


def test_every_verb_has_a_handler() -> None:
    assert set(VERBS) == set(cmd.VERBS)


def test_outage_words_say_recorded_only_when_the_store_knows() -> None:
    down = unavailable_text(StoreUnavailable("refused"))
    paused = unavailable_text(StoreUnavailable("timeout", recorded="unknown"))
    full = unavailable_text(StoreUnavailable("OOM", reason="full"))
    busy = unavailable_text(StoreUnavailable("busy", reason="busy"))
    assert "nothing from this click was recorded" in down and "temporarily unavailable" in down
    assert "could not confirm it was saved" in paused and "nothing" not in paused and "Look at the card" in paused
    assert "full" in full and "memory limit" in full and "was not saved" in full
    assert "nothing from this click was recorded" in busy
    command = unavailable_text(StoreUnavailable("timeout", recorded="unknown"), "command")
    assert "your command" in command and "click" not in command


async def test_a_listener_runs_without_http(slack: SlackStandIn, redis_server: RedisServer,
                                            redis_client: aioredis.Redis) -> None:
    """A module-level listener takes what Bolt injects; here a test injects it."""
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        card = bot.open_card()
        assert card is not None
        body = decode_payload(block_actions_body(
            user_id="U7", channel_id="C1", message_ts=card.ts, thread_ts=card.thread_ts, action_id="answer_yes",
            value=bot.element(card, "answer_yes")["value"], response_url=slack.response_url("direct"),
            action_ts="1700000123.000001"))
        acked: list[bool] = []

        async def ack() -> None:
            acked.append(True)

        services = bot.runtime.services
        await actions.on_answer(ack=ack, body=body, client=services.client, services=services)
        assert acked == [True]
        await slack.wait_for(lambda: bot._closed(card, "C1"), what="the card answered by a direct call")


async def test_an_invalid_payload_gets_an_apology_never_the_exception(slack: SlackStandIn, redis_server: RedisServer,
                                                                      redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        body = slash_command_body(text="help", user_id="", channel_id="C1",
                                  response_url=slack.response_url("bad", channel="C1", user="U1"))
        status, _ = await bot.post(body)
        assert status == 200
        await slack.wait_for(lambda: len(slack.response_posts) == 1, what="an apology")
        text = slack.response_posts[0].text or ""
        assert text.startswith("Sorry — ftcheck could not handle that command (ref ")
        for leak in ("validation", "Field", "user_id", "String should", "pydantic"):
            assert leak not in text, text


async def test_the_edge_refuses_garbled_timestamps_empty_actions_and_slow_clients(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url, read_timeout_s=1.0) as bot:
        url = f"{bot.url}/slack/events"
        body = slash_command_body(text="help", user_id="U1", channel_id="C1", response_url=slack.response_url("t"))
        for stamp in ("soon", "１２３", "", "1e9"):
            headers = signed_headers(SECRET, body) | {"X-Slack-Request-Timestamp": stamp}
            async with bot.session.post(url, data=body, headers=headers) as resp:
                assert resp.status == 401, stamp
        payload = decode_payload(block_actions_body(user_id="U1", channel_id="C1", message_ts="1.1", thread_ts=None,
                                                    action_id="answer_yes", value="x|y", response_url=""))
        payload["actions"] = []
        status, text = await bot.post(payload_form(payload))
        assert status == 400 and "without actions" in text
        await assert_slow_clients_are_dropped(bot, count=200, within_s=5.0)
        async with bot.session.get(f"{bot.url}/healthz") as resp:
            assert resp.status == 200  # the server still serves


async def assert_slow_clients_are_dropped(bot: Bot, *, count: int, within_s: float) -> None:
    """Open ``count`` connections that send half a request line and stall; all must be closed by the server."""
    host, port = bot.url.removeprefix("http://").split(":")
    streams = [await asyncio.open_connection(host, int(port)) for _ in range(count)]
    for _, writer in streams:
        writer.write(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Le")
        await writer.drain()
    started_at = time.monotonic()

    async def closed(reader: asyncio.StreamReader) -> bool:
        try:
            while await asyncio.wait_for(reader.read(1024), timeout=within_s):
                pass
            return True  # EOF: the server closed it
        except (TimeoutError, ConnectionResetError):
            return False

    results = await asyncio.gather(*(closed(reader) for reader, _ in streams))
    for _, writer in streams:
        writer.close()
    assert all(results), f"{results.count(False)} of {count} slow connections still open"
    assert time.monotonic() - started_at < within_s


async def test_a_guessed_evaluation_id_reveals_nothing_to_a_non_member(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url) as bot:
        await start(bot, "Secret launch", channel=PRIVATE, user="U1")
        await bot.settle()
        (ev,) = await Store(redis_client).channel_evaluations("T0001", PRIVATE)
        replies: list[str] = []
        for action, eid in (("reeval_snooze", ev.id), ("reeval_stop", ev.id), ("reeval_start", ev.id),
                            ("reeval_snooze", "0123456789ab")):
            before = len(slack.ephemerals("C1", user="U3"))
            status, _ = await bot.post(block_actions_body(
                user_id="U3", channel_id="C1", message_ts="1700000000.000001", thread_ts=None, action_id=action,
                value=eid, response_url=slack.response_url(f"guess-{action}")))
            assert status == 200, (action, eid, len(replies))
            await slack.wait_for(lambda b=before: len(slack.ephemerals("C1", user="U3")) > b,  # type: ignore[misc]
                                 what=f"the answer to {action}")
            replies.append(slack.ephemerals("C1", user="U3")[-1].text)
        assert len(set(replies)) == 1, replies  # a real id and a made-up one get the same answer
        assert "Secret" not in replies[0] and "<@U1>" not in replies[0] and "cannot see" in replies[0]
        assert (await Store(redis_client).get(ev.id)) is not None and len(slack.messages(PRIVATE, top_level=True)) == 1


async def test_a_full_redis_turns_healthz_503_and_says_so(slack: SlackStandIn, redis_server: RedisServer,
                                                         redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        card = bot.open_card()
        assert card is not None
        await redis_client.config_set("maxmemory", "1")
        try:
            async with bot.session.get(f"{bot.url}/healthz") as resp:
                assert resp.status == 503 and (await resp.json())["redis"] == "up, refusing writes"
            await bot.click(card, "answer_yes", user="U2")
            await slack.wait_for(lambda: bool(slack.ephemerals("C1", user="U2")), what="the words for a full store")
            text = slack.ephemerals("C1", user="U2")[-1].text
            assert "full" in text and "was not saved" in text and "Something went wrong" not in text
        finally:
            await redis_client.config_set("maxmemory", "0")
        async with bot.session.get(f"{bot.url}/healthz") as resp:
            assert resp.status == 200


@pytest.mark.parametrize("failure", [{"error": "expired_trigger_id"}, {"status": 500, "times": 4}],
                         ids=["expired-trigger", "5xx-past-retries"])
async def test_a_note_dialog_slack_would_not_open_is_not_called_a_recorded_answer(
        failure: dict[str, Any], slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        card = bot.open_card()
        assert card is not None
        await bot.click(card, "answer_yes")
        await slack.wait_for(lambda: bot.open_card() not in (None, card), what="card 1 answered")
        await bot.settle()
        answered = next(m for m in bot.thread() if m.ts == card.ts)
        slack.fail_next("views.open", **failure)
        status, _ = await bot.select(answered, "note")
        assert status == 200
        await slack.wait_for(lambda: slack.ephemerals("C1", "U1") != [], timeout=15, what="told")
        told = slack.ephemerals("C1", "U1")[-1].text
        assert told.startswith("Slack did not open the note dialog (") and "nothing was changed" in told, told
        assert "recorded" not in told
