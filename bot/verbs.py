"""What each ``/ftcheck`` verb does: one table from verb to handler, shared by the slash command and @mentions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot import commands as cmd
from bot.blocks.common import esc
from bot.leads.access import Asker, visibility
from bot.leads.deletion import delete
from bot.leads.exports import export
from bot.leads.reminders import remind
from bot.leads.summaries import history_text, list_text, status_text, summary
from bot.links import thread_link
from bot.payloads import SlashCommand
from bot.replies import Reply
from bot.services import Services
from bot.slack_text import plain_text
from bot.suggestions import run_suggestions
from bot.visibility import Visibility
from conversations.effects import DeliveryFailed
from conversations.models import Evaluation
from conversations.queries import open_evaluation

Handler = Callable[[Services, SlashCommand, cmd.Command, Reply], Awaitable[None]]


async def run_command(svc: Services, request: SlashCommand, reply: Reply) -> None:
    """Parse one command's text and run it."""
    command = cmd.parse(request.text)
    await VERBS[command.verb](svc, request, command, reply)


async def _help(svc: Services, request: SlashCommand, command: cmd.Command, reply: Reply) -> None:
    await reply(cmd.help_text(svc.registry.ids(), command.unknown))


async def _open_here(svc: Services, request: SlashCommand) -> Evaluation:
    ev = await open_evaluation(svc.store, request.team_id, request.channel_id)
    if ev is None:
        raise cmd.CommandError("There is no evaluation in progress in this channel. "
                               "Start one with `/ftcheck start &lt;project&gt;`.")
    return ev


async def _suggest(svc: Services, request: SlashCommand, command: cmd.Command, reply: Reply) -> None:
    # Slack's markup (``&amp;``, ``<@U3>``, ``<https://…|label>``) read as what the person typed
    await run_suggestions(svc, await _open_here(svc, request), plain_text(command.text or ""), request.user_id, reply,
                          source=request.message_ts)


async def _status(svc: Services, request: SlashCommand, command: cmd.Command, reply: Reply) -> None:
    await reply(await status_text(svc, await _open_here(svc, request)))


async def _start(svc: Services, request: SlashCommand, command: cmd.Command, reply: Reply) -> None:
    try:
        svc.registry.get(command.checklist)
    except KeyError as exc:
        raise cmd.CommandError(f"{esc(str(exc.args[0]))}. Example: `/ftcheck start {esc(command.project)} "
                               f"--checklist {svc.registry.DEFAULT}`.") from None
    project = command.project or ""
    running = await open_evaluation(svc.store, request.team_id, request.channel_id, project)
    if running is not None:
        await reply(f"An evaluation of *{esc(running.project)}* is already in progress here: "
                    f"{await thread_link(svc.client, running)} — answer in that thread, or `/ftcheck delete` it "
                    "first.")
        return
    try:
        await svc.engine.start(team=request.team_id, channel=request.channel_id, project=project,
                               checklist_id=command.checklist, user=request.user_id, mode=command.mode,
                               quorum=command.quorum)
    except DeliveryFailed as exc:
        if exc.reason in ("not_in_channel", "channel_not_found"):
            await reply("I can't post in this channel yet. Invite me with `/invite @ftcheck` and run the "
                        "command again.")
            return
        await reply(f"Slack did not take the evaluation's first message (`{esc(exc.reason)}`), so nothing was "
                    "started. Try `/ftcheck start` again in a minute.")


def _asked(svc: Services, request: SlashCommand) -> tuple[Visibility, Asker]:
    return visibility(svc), Asker.of(request)


async def _list(svc: Services, request: SlashCommand, command: cmd.Command, reply: Reply) -> None:
    await reply(await list_text(svc, *_asked(svc, request), command.page))


async def _summary(svc: Services, request: SlashCommand, command: cmd.Command, reply: Reply) -> None:
    await reply(await summary(svc, *_asked(svc, request), command.project))


async def _history(svc: Services, request: SlashCommand, command: cmd.Command, reply: Reply) -> None:
    await reply(await history_text(svc, *_asked(svc, request), command.project or ""))


async def _export(svc: Services, request: SlashCommand, command: cmd.Command, reply: Reply) -> None:
    await export(svc, *_asked(svc, request), command)


async def _remind(svc: Services, request: SlashCommand, command: cmd.Command, reply: Reply) -> None:
    await reply(await remind(svc, *_asked(svc, request), command))


async def _delete(svc: Services, request: SlashCommand, command: cmd.Command, reply: Reply) -> None:
    await reply(await delete(svc, *_asked(svc, request), command.project or ""))


VERBS: dict[str, Handler] = {
    "help": _help, "start": _start, "suggest": _suggest, "status": _status, "list": _list, "summary": _summary,
    "history": _history, "export": _export, "remind": _remind, "delete": _delete,
}
