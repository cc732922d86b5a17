"""`/ftcheck` slash command: ack at once, parse, delegate."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError

from bot import commands as cmd
from bot import leads
from bot.payloads import SlashCommand
from bot.replies import guarded
from bot.services import Services
from bot.suggestions import run_suggestions
from conversations.models import Evaluation


def register(app: AsyncApp, svc: Services) -> None:
    @app.command("/ftcheck")
    async def ftcheck(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()

        async def reply(text: str) -> None:
            await respond(text=text, response_type="ephemeral", replace_original=False)

        async def work() -> None:
            request = SlashCommand.model_validate(command)
            if request.trigger_id and not await svc.store.once(f"cmd:{request.trigger_id}"):
                return  # the same command delivered twice
            await handle(svc, request, reply)

        await guarded(reply, work, what="command")


async def handle(svc: Services, request: SlashCommand, reply: leads.Reply) -> None:
    """Run one parsed command; shared by the slash command and @mentions."""
    command = cmd.parse(request.text)
    if command.verb == "help":
        await reply(cmd.help_text(svc.registry.ids(), command.unknown))
    elif command.verb == "start":
        await start(svc, request, command, reply)
    elif command.verb == "suggest":
        ev = await open_evaluation(svc, request.team_id, request.channel_id)
        await run_suggestions(svc, ev, command.text or "", request.user_id, reply)
    elif command.verb == "status":
        ev = await open_evaluation(svc, request.team_id, request.channel_id)
        await reply(await leads.status_text(svc, ev))
    else:
        await leads.handle(svc, request, command, reply)


async def open_evaluation(svc: Services, team: str, channel: str) -> Evaluation:
    for ev in await svc.store.channel_evaluations(team, channel):
        if ev.status == "in_progress":
            return ev
    raise cmd.CommandError("There is no evaluation in progress in this channel. "
                           "Start one with `/ftcheck start <project>`.")


async def start(svc: Services, request: SlashCommand, command: cmd.Command, reply: leads.Reply) -> None:
    try:
        svc.registry.get(command.checklist)
    except KeyError as exc:
        raise cmd.CommandError(f"{exc.args[0]}. Example: `/ftcheck start {command.project} "
                               f"--checklist {svc.registry.DEFAULT}`.") from None
    project = command.project or ""
    running = await svc.engine.find_open(request.team_id, request.channel_id, project)
    if running is not None:
        link = await leads.permalink(svc, running)
        await reply(f"An evaluation of *{running.project}* is already in progress here: {link} — "
                    "answer in that thread, or `/ftcheck delete` it first.")
        return
    try:
        await svc.engine.start(team=request.team_id, channel=request.channel_id, project=project,
                               checklist_id=command.checklist, user=request.user_id)
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else "unknown"
        if error in ("not_in_channel", "channel_not_found"):
            await reply("I can't post in this channel yet. Invite me with `/invite @ftcheck` and run the "
                        "command again.")
            return
        raise
