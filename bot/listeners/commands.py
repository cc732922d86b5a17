"""`/ftcheck` slash command: ack at once, validate, run the verb (see :mod:`bot.verbs`)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.payloads import SlashCommand
from bot.replies import after_ack, command_reply
from bot.services import Services
from bot.verbs import run_command


@after_ack()
async def on_ftcheck(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, services: Services) -> None:
    await ack()
    request = SlashCommand.model_validate(command)
    if request.trigger_id and not await services.store.once(f"cmd:{request.trigger_id}"):
        return  # the same command delivered twice

    async def reply(text: str) -> None:
        await respond(text=text, response_type="ephemeral", replace_original=False)

    await run_command(services, request, command_reply(services.client, request.response_url)
                      if request.response_url else reply)


def register(app: AsyncApp) -> None:
    app.command("/ftcheck")(on_ftcheck)
