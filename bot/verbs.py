"""What each ``/ftcheck`` verb does: one table from verb to handler, shared by the slash command and @mentions."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from bot import commands as cmd
from bot.blocks.common import esc
from bot.blocks.leads import day
from bot.leads.access import Asker, visibility
from bot.leads.deletion import delete
from bot.leads.exports import export
from bot.leads.reminders import reevaluate, remind
from bot.leads.summaries import history_text, list_text, status_lines, summary
from bot.links import thread_link
from bot.payloads import SlashCommand
from bot.replies import Reply, checklist_fix, checklist_problem
from bot.services import Services, ai_helper_host
from bot.slack_text import plain_text, typed_text
from bot.suggestions import run_suggestions
from bot.visibility import Visibility
from conversations import queries
from conversations.effects import DeliveryFailed
from conversations.engine import scorecard_of
from conversations.flow import unasked
from conversations.models import Evaluation, project_key
from conversations.queries import (
    START_LOCK_S,
    channel_history,
    open_evaluation,
    open_evaluations,
    prefill_base,
    start_lock,
    suggest_for,
)
from conversations.store import StoreUnavailable
from scoring.checklist import UnknownChecklist
from scoring.render import plural

Handler = Callable[[Services, SlashCommand, cmd.Command, Reply], Awaitable[None]]

START_WAIT_S = 3.0  # how long the second one waits for the first one's thread, to link it
STATUS_MAX = 10  # `/ftcheck status`: this many evaluations in progress, one line each


def parse(request: SlashCommand) -> cmd.Command:
    """The command a request's text forms, mentions Slack sent without a label named by their ids (enough to tell
    the verb: the quick verbs take no names). :func:`read` is what the person saw."""
    return cmd.parse(plain_text(request.text))


async def read(svc: Services, request: SlashCommand) -> cmd.Command:
    """The command a request's text forms, read as what the person saw.

    Slack sends both a slash command's text and a mention's in its markup (``R&D`` arrives as ``R&amp;D``, a picked
    ``@dev`` as ``<@U2>``); it is read once, here, with the names people saw for mentions
    (:func:`bot.slack_text.typed_text`), so a project started either way is one project.
    """
    return cmd.parse(await typed_text(svc.client, request.text))


async def run_command(svc: Services, request: SlashCommand, reply: Reply) -> None:
    """Read one command's text and run it."""
    command = await read(svc, request)
    await VERBS[command.verb](svc, request, command, reply)


async def _help(svc: Services, request: SlashCommand, command: cmd.Command, reply: Reply) -> None:
    await reply(cmd.help_text(svc.registry.ids(), command.unknown, ai_helper_host(svc.settings)))


NOTHING_HERE = ("There is no evaluation in progress in this channel. Start one with "
                "`/ftcheck start &lt;project&gt;`.")


async def _open_here(svc: Services, request: SlashCommand) -> Evaluation:
    ev = await open_evaluation(svc.store, request.team_id, request.channel_id)
    if ev is None:
        raise cmd.CommandError(NOTHING_HERE)
    return ev


async def _suggest(svc: Services, request: SlashCommand, command: cmd.Command, reply: Reply) -> None:
    # Slack's markup (``&amp;``, ``<@U3>``, ``<https://…|label>``) was read as what the person typed in run_command
    target = await suggest_for(svc.store, request.team_id, request.channel_id, request.thread_ts, command.text or "")
    if target.evaluation is None:
        raise cmd.CommandError(await _which_one(svc, target.in_progress) if target.in_progress else NOTHING_HERE)
    if not target.text:
        raise cmd.CommandError(f"Paste the project description after the name: `/ftcheck suggest "
                               f"{esc(target.evaluation.project)}: &lt;description&gt;`.")
    await run_suggestions(svc, target.evaluation, target.text, request.user_id, reply, source=request.message_ts,
                          command="@ftcheck suggest" if request.message_ts else "/ftcheck suggest")


SUGGEST_CHOICES = 10  # evaluations named when `suggest` cannot tell which one a description is for


async def _which_one(svc: Services, running: list[Evaluation]) -> str:
    """Several evaluations in progress here and the description named none: which they are, and how to say which
    one it is for. Nothing was read or written."""
    shown = running[:SUGGEST_CHOICES]
    lines = [f"• *{esc(ev.project)}*: {await thread_link(svc.client, ev)}" for ev in shown]
    if len(running) > len(shown):
        lines.append("• … and more: `/ftcheck status` lists them.")
    example = esc(shown[-1].project)
    return (f"{len(running)}{'+' if len(running) >= queries.SUGGEST_NAMED else ''} evaluations are in progress in "
            "this channel and I can't tell which one the description is for, so I did not read it:\n"
            + "\n".join(lines) + "\nSay which: paste the description in that evaluation's thread, or put the "
            f"project's name and a colon before it: `/ftcheck suggest {example}: &lt;description&gt;`.")


async def _status(svc: Services, request: SlashCommand, command: cmd.Command, reply: Reply) -> None:
    """Every evaluation in progress here, one line each (a channel may run several: naming one would hide the
    others); a walk whose card Slack refused for good gets it posted again."""
    running = await open_evaluations(svc.store, request.team_id, request.channel_id, limit=STATUS_MAX + 1)
    if not running:
        await _open_here(svc, request)  # raises the "nothing in progress" advice
    shown: list[tuple[Evaluation, str]] = []
    for ev in running[:STATUS_MAX]:
        try:
            ev, asked = await _ask_again(svc, ev, request.user_id)
        except UnknownChecklist:  # its line says which checklist cannot be loaded, and why
            asked = None
        shown.append((ev, _asked_again_text(svc, ev, asked, "/ftcheck status") if asked else ""))
    await reply(await status_lines(svc, shown, more=len(running) > STATUS_MAX))


async def _ask_again(svc: Services, ev: Evaluation, user: str) -> tuple[Evaluation, str | None]:
    """Post the waiting question's card again if Slack refused it for good; returns the question id, or None.

    Raises :class:`UnknownChecklist` when the evaluation's checklist is not loaded (nothing is written)."""
    if unasked(ev, svc.registry.get(ev.checklist)) is None:
        return ev, None  # a card is out or on its way (the usual case): no write
    return await svc.engine.resume(ev.id, user=user)


def _asked_again_text(svc: Services, ev: Evaluation, question: str, again: str) -> str:
    key = svc.registry.get(ev.checklist).question(question).key
    if any(c.question == question for c in ev.open_cards().values()):
        return (f"{key} had no card in the thread (Slack refused to post it earlier), so I posted it again: "
                "answer it there.")
    return (f"{key} has no card in the thread: I tried to post it again, but Slack did not take it. If I was "
            f"removed from this channel, invite me back with `/invite @ftcheck`, then run `{again}` again.")


async def _start(svc: Services, request: SlashCommand, command: cmd.Command, reply: Reply) -> None:
    try:
        svc.registry.get(command.checklist)
    except KeyError as exc:
        raise cmd.CommandError(f"{esc(str(exc.args[0]))}. Example: `/ftcheck start {esc(command.project)} "
                               f"--checklist {svc.registry.DEFAULT}`.") from None
    project = command.project or ""
    running = await open_evaluation(svc.store, request.team_id, request.channel_id, project)
    if running is not None:
        await reply(await _already_running(svc, running, request.user_id))
        return
    lock = start_lock(request.team_id, request.channel_id, project)
    if not await svc.store.once(lock, ttl_s=START_LOCK_S):
        await reply(await _being_started(svc, request, project))
        return
    history = await channel_history(svc.store, request.team_id, request.channel_id, project_key(project))
    running = queries.running(history)
    if running is not None:  # started by someone whose lock was released between our check and our lock
        await svc.store.release(lock)
        await reply(await _already_running(svc, running, request.user_id))
        return
    last = prefill_base(history, command.checklist, svc.registry.ids())
    previous = None if command.fresh else last
    try:
        if previous is None:  # a first evaluation, or --fresh: its scorecard still compares with the last result
            await svc.engine.start(team=request.team_id, channel=request.channel_id, project=project,
                                   checklist_id=command.checklist, user=request.user_id,
                                   mode=command.mode or "quick", quorum=command.quorum or cmd.DEFAULT_QUORUM,
                                   fresh_after=last)
        else:
            new = await reevaluate(svc, previous, request.user_id, mode=command.mode, quorum=command.quorum)
            await reply(await _prefilled(svc, new, previous))
    except DeliveryFailed as exc:
        await reply(_not_started(request, project, exc))
    finally:
        with contextlib.suppress(StoreUnavailable):  # the lock expires on its own
            await svc.store.release(lock)


async def _prefilled(svc: Services, new: Evaluation, previous: Evaluation) -> str:
    """Tells the starter that the thread offers last time's answers, and how to start without them."""
    checklist = svc.registry.get(previous.checklist)
    then = day(previous.completed_at or previous.started_at, svc.settings.zone)
    name = esc(new.project)
    total, link = scorecard_of(previous, checklist).total_text, await thread_link(svc.client, new)
    return (f"Re-evaluation of *{name}* started: {link}.{_scored_otherwise(new, previous)}"
            f" Each card shows last time's answer (the result of {then}: {total}) as a default to confirm or change. "
            f"To start without them instead, delete this one (`/ftcheck delete {name}`) and run "
            f"`/ftcheck start {name} --fresh`.")


def _scored_otherwise(new: Evaluation, previous: Evaluation) -> str:
    """How the team scores this time, when it is not how it did last time ("" when it is). A re-evaluation scores
    as the last one did unless the command said otherwise (``reevaluate``), so a difference is what was asked for."""
    if new.mode == previous.mode and (new.mode == "quick" or new.quorum == previous.quorum):
        return ""
    return f" Last time {_scored(previous, past=True)}; this time {_scored(new, past=False)}, as you asked."


def _scored(ev: Evaluation, *, past: bool) -> str:
    if ev.mode == "vote":
        return f"the team {'voted' if past else 'votes'} (reveal at {plural(ev.quorum, 'vote')})"
    return f"the first answer {'counted' if past else 'counts'}"


async def _already_running(svc: Services, running: Evaluation, user: str) -> str:
    name = esc(running.project)
    try:
        running, asked = await _ask_again(svc, running, user)
    except UnknownChecklist as exc:  # it cannot take answers now: say why, and that deleting it is the other way
        return (f"An evaluation of *{name}* is already in progress here: {await thread_link(svc.client, running)}, "
                f"but it uses {checklist_problem(exc)}. Its answers so far are safe. {checklist_fix(exc)} Or "
                f"delete it with `/ftcheck delete {name}` and start again.")
    text = (f"An evaluation of *{name}* is already in progress here: {await thread_link(svc.client, running)} — "
            f"answer in that thread, or delete it first with `/ftcheck delete {name}`.")
    return f"{text} {_asked_again_text(svc, running, asked, f'/ftcheck start {name}')}" if asked else text


async def _being_started(svc: Services, request: SlashCommand, project: str) -> str:
    """Someone else's `/ftcheck start` of this project is running right now: link its thread once it is posted."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_WAIT_S
    while loop.time() < deadline:
        await asyncio.sleep(0.2)
        running = await open_evaluation(svc.store, request.team_id, request.channel_id, project)
        if running is not None and running.thread_ts is not None:
            return await _already_running(svc, running, request.user_id)
    return (f"Someone started an evaluation of *{esc(project)}* in this channel a moment ago; its thread is still "
            "being posted here, so answer there once it appears. If no thread appears within a minute, run "
            f"`/ftcheck start {esc(project)}` again.")


def _not_started(request: SlashCommand, project: str, exc: DeliveryFailed) -> str:
    if exc.unconfirmed:  # Slack may have posted the root: the evaluation stands and the outbox finishes its start
        return (f"Slack did not confirm the first message of the evaluation of *{esc(project)}* "
                f"(`{esc(exc.reason)}`), and I could not check whether it arrived. The evaluation is started: its "
                "thread appears here within a minute (if it is here already, answer there). Run `/ftcheck status` "
                "to see where it stands.")
    if exc.reason in ("not_in_channel", "channel_not_found"):
        if _direct_message(request):
            return ("I can't post in a direct message, so nothing was started. Run "
                    f"`/ftcheck start {esc(project)}` in a channel I'm a member of.")
        return "I can't post in this channel yet. Invite me with `/invite @ftcheck` and run the command again."
    # a root Slack may have applied was looked for (by its metadata) before this: it is not in the channel
    return (f"Slack did not take the evaluation's first message (`{esc(exc.reason)}`), so nothing was started. "
            "Try `/ftcheck start` again in a minute.")


def _direct_message(request: SlashCommand) -> bool:
    """A DM or group DM: no `/invite` there. Slack names them in the command's channel_name."""
    name = request.channel_name or ""
    return request.channel_id.startswith("D") or name == "directmessage" or name.startswith("mpdm-")


def _asked(svc: Services, request: SlashCommand) -> tuple[Visibility, Asker]:
    return visibility(svc), Asker.of(request)


async def _list(svc: Services, request: SlashCommand, command: cmd.Command, reply: Reply) -> None:
    await reply(await list_text(svc, *_asked(svc, request), command.page))


async def _summary(svc: Services, request: SlashCommand, command: cmd.Command, reply: Reply) -> None:
    await reply(await summary(svc, *_asked(svc, request), command.project))


async def _history(svc: Services, request: SlashCommand, command: cmd.Command, reply: Reply) -> None:
    await reply(await history_text(svc, *_asked(svc, request), command.project or ""))


async def _export(svc: Services, request: SlashCommand, command: cmd.Command, reply: Reply) -> None:
    said = await export(svc, *_asked(svc, request), command)
    if said:
        await reply(said)


async def _remind(svc: Services, request: SlashCommand, command: cmd.Command, reply: Reply) -> None:
    await reply(await remind(svc, *_asked(svc, request), command))


async def _delete(svc: Services, request: SlashCommand, command: cmd.Command, reply: Reply) -> None:
    await reply(await delete(svc, *_asked(svc, request), command.project or ""))


VERBS: dict[str, Handler] = {
    "help": _help, "start": _start, "suggest": _suggest, "status": _status, "list": _list, "summary": _summary,
    "history": _history, "export": _export, "remind": _remind, "delete": _delete,
}
