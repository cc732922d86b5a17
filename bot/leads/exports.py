"""``export``: the decision record of a project's current evaluation, uploaded to the channel (another channel's
to the asker's direct message with ftcheck)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from bot.blocks.common import esc
from bot.blocks.leads import day
from bot.commands import Command, CommandError
from bot.leads.access import Asker, find_in_channel
from bot.links import message_url
from bot.presenter import SlackPresenter
from bot.services import Services
from bot.slack_errors import error_code
from bot.visibility import Visibility
from conversations.effects import DeliveryFailed
from conversations.export import decision_record
from conversations.models import Evaluation

_NOT_IN_CHANNEL = ("not_in_channel", "channel_not_found")


async def export(svc: Services, vis: Visibility, asker: Asker, command: Command) -> str | None:
    """Upload the decision record of the project's evaluation. One of this channel's is shared here; one of another
    channel's goes to the asker alone, in their direct message with ftcheck: only the asker was checked to see that
    channel, and people here may not (guests, the other organization of a Slack Connect channel). Returns what to
    tell the asker besides the file (None: the file in the channel says it)."""
    if asker.here is None:
        raise CommandError("Run `/ftcheck export &lt;project&gt;` in a channel; the file is shared there.")
    found = await find_in_channel(svc, vis, asker, command.project or "")
    ev = found.project.current
    names = await user_names(svc, people_in_record(ev))
    content = decision_record(ev, svc.registry.get(ev.checklist), command.format, names,
                              await message_url(svc.client, ev.channel, ev.thread_ts),
                              tz=ZoneInfo(svc.settings.timezone), channel_name=await channel_name(svc, ev.channel),
                              previous=found.project.previous)
    started = day(ev.started_at, svc.settings.zone).replace("-", "")  # the team's day, as every other date

    async def upload(channel: str, comment: str) -> None:
        await svc.client.files_upload_v2(channel=channel, content=content, initial_comment=comment,
                                         filename=f"ftcheck-{ev.project_key}-{started}.{command.format}",
                                         title=f"Decision record: {ev.project}")

    comment = f"Decision record for {esc(ev.project)}, requested by <@{asker.user}>."
    dm = None if ev.channel == asker.here else await _dm_with(svc, asker, ev)
    if dm is None or dm == asker.here:  # this channel's evaluation (or asked in the asker's own DM with ftcheck)
        try:
            await upload(asker.here, f"{comment} {found.note}".rstrip())
        except SlackApiError as exc:
            if error_code(exc) in _NOT_IN_CHANNEL:
                raise CommandError("I can't share files in this channel yet. Invite me with `/invite @ftcheck` and "
                                   "run the export again.") from None
            raise
        return None
    await upload(dm, f"Decision record for {esc(ev.project)} from <#{ev.channel}>, which you asked for in "
                     f"<#{asker.here}>. It comes to you here instead: people there may not be able to see "
                     f"<#{ev.channel}>.")
    return (f"{found.note} Its decision record is not shared here, where people who cannot see <#{ev.channel}> "
            "could read it: I sent it to you in a direct message from ftcheck.")


async def _dm_with(svc: Services, asker: Asker, ev: Evaluation) -> str:
    """The id of the asker's direct message with ftcheck (``SlackPresenter.dm_channel``), for another channel's
    decision record."""
    try:
        dm = await SlackPresenter(svc.client).dm_channel(asker.user)
    except DeliveryFailed:
        raise CommandError("Slack did not open a direct message with you, so the decision record was not sent. "
                           "Try the export again in a minute.") from None
    if dm is None:  # the app may not open DMs (installed before it asked for im:write)
        raise CommandError(f"The evaluation of *{esc(ev.project)}* is from <#{ev.channel}>, and people here may not "
                           "be able to see that channel, so its decision record would go to you in a direct "
                           "message, which this installation of ftcheck may not send (it lacks the im:write "
                           "permission; whoever runs ftcheck can reinstall it from its manifest). Run the export "
                           f"in <#{ev.channel}> instead.")
    return dm


async def channel_name(svc: Services, channel: str) -> str | None:
    """``#ml-team``: the channel as people know it, for a record read outside Slack; None when Slack will not say
    (the id stays in the record) or for a direct message, which has no name people know."""
    try:
        info = (await svc.client.conversations_info(channel=channel)).get("channel") or {}
    except SlackApiError:
        return None
    name = info.get("name")
    if info.get("is_im") or info.get("is_mpim") or not isinstance(name, str) or not name:
        return None
    return f"#{name}"


def people_in_record(ev: Evaluation) -> set[str]:
    """Everyone the record names: starter, answerers, note authors, and the voters of revealed votes only."""
    people = {ev.started_by}
    for a in ev.answers.values():
        people |= {uid for uid in (a.by, a.note_by, a.settled_by) if uid}
        for past in a.earlier:  # the rounds before a question was asked again
            people |= set(past.votes) | ({past.settled_by} if past.settled_by else set())
    for ballot in ev.ballots.values():
        if ballot.revealed:
            people |= set(ballot.votes) | ({ballot.revealed_by} if ballot.revealed_by else set())
    return people


async def user_names(svc: Services, uids: set[str]) -> dict[str, str]:
    """Slack user ids -> "Real Name (U123)" for the record read outside Slack; the id alone if unknown."""
    out: dict[str, str] = {}
    for uid in sorted(uids):
        try:
            info = (await svc.client.users_info(user=uid)).get("user") or {}
            name = info.get("real_name") or info.get("name")
            out[uid] = f"{name} ({uid})" if name else uid
        except SlackApiError:
            out[uid] = uid
    return out
