"""``export``: the decision record of a project's current evaluation, uploaded to the channel."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot.blocks.common import esc
from bot.commands import Command, CommandError
from bot.leads.access import Asker, find_project
from bot.links import message_url
from bot.services import Services
from bot.visibility import Visibility
from conversations.export import decision_record

_NOT_IN_CHANNEL = ("not_in_channel", "channel_not_found")


async def export(svc: Services, vis: Visibility, asker: Asker, command: Command) -> None:
    if asker.here is None:
        raise CommandError("Run `/ftcheck export &lt;project&gt;` in a channel; the file is shared there.")
    ev = (await find_project(svc, vis, asker, command.project or "")).current
    voters = {uid for ballot in ev.ballots.values() for uid in ballot.votes}
    names = await user_names(svc, {a.by for a in ev.answers.values()} | {ev.started_by} | voters)
    content = decision_record(ev, svc.registry.get(ev.checklist), command.format, names,
                              await message_url(svc.client, ev.channel, ev.thread_ts))
    try:
        await svc.client.files_upload_v2(
            channel=asker.here, content=content,
            filename=f"ftcheck-{ev.project_key}-{ev.started_at:%Y%m%d}.{command.format}",
            title=f"Decision record: {ev.project}",
            initial_comment=f"Decision record for {esc(ev.project)}, requested by <@{asker.user}>.")
    except SlackApiError as exc:
        if exc.response is not None and exc.response.get("error") in _NOT_IN_CHANNEL:
            raise CommandError("I can't share files in this channel yet. Invite me with `/invite @ftcheck` and "
                               "run the export again.") from None
        raise


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
