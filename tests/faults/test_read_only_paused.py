"""A command that only reads, during a Redis that accepts connections but answers nothing (paused): the reply said
"we could not confirm it was saved … check whether it took effect", about `/ftcheck list`, which saves nothing
(README review). It now says the command could not finish and that nothing anyone entered changed; a command that
writes keeps the careful words."""

from __future__ import annotations

import pytest

from tests.bot.harness import running_bot
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn


@pytest.mark.parametrize("verb", ["list", "status", "history Router", "summary Router"])
async def test_a_read_only_command_says_it_could_not_finish(slack: SlackStandIn, verb: str) -> None:
    with RedisServer() as server:
        async with running_bot(slack, server.url, FTCHECK_REDIS_TIMEOUT="0.2") as bot:
            server.pause()
            try:
                told = await bot.reply_to(verb)
            finally:
                server.resume()
    assert told == ("ftcheck's data store stopped answering, so this command could not finish. It changes nothing "
                    "you entered: your answers are as they were. Try again in a minute."), told


async def test_a_command_that_writes_still_cannot_say_it_was_not_saved(slack: SlackStandIn) -> None:
    with RedisServer() as server:
        async with running_bot(slack, server.url, FTCHECK_REDIS_TIMEOUT="0.2") as bot:
            server.pause()
            try:
                told = await bot.reply_to("start Router")
            finally:
                server.resume()
    assert "could not confirm it was saved" in told and "changes nothing" not in told, told


async def test_a_read_only_mention_says_it_could_not_finish_too(slack: SlackStandIn) -> None:
    """`@ftcheck list` is the same command by mention (review of the session: it still said "could not confirm")."""
    with RedisServer() as server:
        async with running_bot(slack, server.url, FTCHECK_REDIS_TIMEOUT="0.2") as bot:
            msg = slack.add_message("C1", text="<@UBOT> list", user="U1")
            server.pause()
            try:
                await bot.event({"type": "app_mention", "channel": "C1", "user": "U1", "text": msg.text,
                                 "ts": msg.ts, "team": "T0001"}, event_id="EvPausedList")
                await slack.wait_for(lambda: slack.ephemerals("C1", "U1") != [], timeout=20, what="told")
            finally:
                server.resume()
    told = slack.ephemerals("C1", "U1")[-1].text
    assert told.startswith("ftcheck's data store stopped answering, so this command could not finish."), told
