"""A command that only reads, during a Redis that accepts connections but answers nothing (paused): the reply said
"we could not confirm it was saved … check whether it took effect", about `/ftcheck list`, which saves nothing
(README review). It now says the command could not finish and that nothing anyone entered changed, by slash command
and by @mention; a command that writes keeps the careful words."""

from __future__ import annotations

from tests.bot.harness import running_bot
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

COULD_NOT_FINISH = ("ftcheck's data store stopped answering, so this command could not finish. It changes nothing "
                    "you entered: your answers are as they were. Try again in a minute.")


async def test_read_only_commands_say_they_could_not_finish_and_a_write_does_not(slack: SlackStandIn) -> None:
    with RedisServer() as server:
        async with running_bot(slack, server.url, FTCHECK_REDIS_TIMEOUT="0.2") as bot:
            msg = slack.add_message("C1", text="<@UBOT> list", user="U9")
            server.pause()
            try:
                told = {verb: await bot.reply_to(verb) for verb in ("list", "status", "history Router", "start Router")}
                await bot.event({"type": "app_mention", "channel": "C1", "user": "U9", "text": msg.text,
                                 "ts": msg.ts, "team": "T0001"}, event_id="EvPausedList")
                await slack.wait_for(lambda: slack.ephemerals("C1", "U9") != [], timeout=20, what="the mention told")
            finally:
                server.resume()
    for verb in ("list", "status", "history Router"):
        assert told[verb] == COULD_NOT_FINISH, (verb, told[verb])
    assert slack.ephemerals("C1", "U9")[-1].text == COULD_NOT_FINISH  # `@ftcheck list` is the same command
    assert "could not confirm it was saved" in told["start Router"] and "changes nothing" not in told["start Router"]
