"""``export``: the decision record of a project's current evaluation, uploaded to the channel."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from bot.blocks.common import esc
from bot.blocks.leads import day
from bot.commands import Command, CommandError
from bot.leads.access import Asker, find_in_channel
from bot.links import message_url
from bot.services import Services
from bot.slack_errors import error_code
from bot.visibility import Visibility
from conversations.export import decision_record
from conversations.models import Evaluation

_NOT_IN_CHANNEL = ("not_in_channel", "channel_not_found")


async def export(svc: Services, vis: Visibility, asker: Asker, command: Command) -> None:
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
    comment = f"Decision record for {esc(ev.project)}, requested by <@{asker.user}>."
    try:
        await svc.client.files_upload_v2(
            channel=asker.here, content=content, filename=f"ftcheck-{ev.project_key}-{started}.{command.format}",
            title=f"Decision record: {ev.project}", initial_comment=f"{comment} {found.note}".rstrip())
    except SlackApiError as exc:
        if error_code(exc) in _NOT_IN_CHANNEL:
            raise CommandError("I can't share files in this channel yet. Invite me with `/invite @ftcheck` and "
                               "run the export again.") from None
        raise


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
