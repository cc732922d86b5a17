"""`/ftcheck` slash command: the quick verbs answered in the ack itself; the rest acked at once, then run (see
:mod:`bot.verbs`)."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot import commands as cmd
from bot.payloads import SlashCommand
from bot.replies import Reply, after_ack, command_reply, words_for
from bot.services import Services
from bot.verbs import VERBS, parse, run_command

# Verbs answered in a few Redis reads: their answer is the ack's text, which Slack shows to the person alone as it
# shows an ephemeral reply (and no dedupe key: a repeat would only answer again). `status` writes only to post a
# card Slack refused for good again, which a repeat finds done.
ANSWERED_IN_ACK = frozenset({"help", "status"})
# Not ready by then (a slow Redis, a busy loop): the ack goes out empty and the answer follows as a reply. Short,
# so a quick answer never holds the ack much longer than acking at once would (1 s doubled the slowest command ack
# at 200 concurrent evaluations in make bench).
ACK_ANSWER_S = 0.25


@after_ack()
async def on_ftcheck(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, services: Services) -> None:
    quick = _quick(command)
    if quick is not None:
        await answer_in_ack(ack, *quick, _reply(services, quick[0], respond), services)
        return
    await ack()
    request = SlashCommand.model_validate(command)
    if request.trigger_id and not await services.store.once(f"cmd:{request.trigger_id}"):
        return  # the same command delivered twice
    await run_command(services, request, _reply(services, request, respond))


def _quick(command: dict[str, Any]) -> tuple[SlashCommand, cmd.Command] | None:
    """The request and its parsed command when it is one of :data:`ANSWERED_IN_ACK` (bad input: the usual path)."""
    try:
        request = SlashCommand.model_validate(command)
        parsed = parse(request)
    except ValueError:  # a pydantic ValidationError or a CommandError: worded by the usual path
        return None
    return (request, parsed) if parsed.verb in ANSWERED_IN_ACK else None


async def answer_in_ack(ack: AsyncAck, request: SlashCommand, parsed: cmd.Command, reply: Reply,
                        services: Services) -> None:
    """Run a quick verb and ack with its answer, or ack empty after :data:`ACK_ANSWER_S` and reply when it is done.

    The verb is waited for, never cancelled (a cancelled redis-py call can leave its connection mid-reply). A
    failure other than our own words for the person goes to the listener's error handler, after the ack.
    """
    said: list[str] = []

    async def keep(text: str) -> None:
        said.append(text)

    task = asyncio.ensure_future(VERBS[parsed.verb](services, request, parsed, keep))
    done, _ = await asyncio.wait({task}, timeout=ACK_ANSWER_S)
    error = task.exception() if done else None
    if done and (error is None or isinstance(error, cmd.CommandError)):
        await ack(text="\n".join(said) if error is None else words_for(error, "command")[0])
        return
    await ack()
    try:
        await task
    except cmd.CommandError as exc:
        said = [words_for(exc, "command")[0]]
    for text in said:
        await reply(text)


def _reply(services: Services, request: SlashCommand, respond: AsyncRespond) -> Reply:
    """An ephemeral reply through the command's response_url, on the pooled session (Bolt's ``respond`` else)."""
    if request.response_url:
        return command_reply(services.client, request.response_url)

    async def reply(text: str) -> None:
        await respond(text=text, response_type="ephemeral", replace_original=False)

    return reply


def register(app: AsyncApp) -> None:
    app.command("/ftcheck")(on_ftcheck)
