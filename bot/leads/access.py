"""Who asks, from where, what they may see, and who may change an evaluation.

Deleting an evaluation or changing its reminders is for its starter, the leads in ``FTCHECK_LEADS`` and
workspace admins.

A button carries only an evaluation id, which anyone could guess: before it says anything about the
evaluation, the person must be able to see its channel; otherwise the answer is the same as for an id
that does not exist, so a guess reveals nothing (not the project, not its starter, not that it exists).
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from bot.blocks.common import esc
from bot.commands import CommandError
from bot.leads.projects import Project
from bot.payloads import EvaluationClick, SlashCommand
from bot.services import Services
from bot.visibility import Visibility
from conversations.models import Evaluation, project_key
from conversations.read_models import ProjectPage, project_page


@dataclass(frozen=True)
class Asker:
    """Who asks and from where: a channel id, or None for the App Home tab."""

    user: str
    team: str
    here: str | None

    @classmethod
    def of(cls, request: SlashCommand) -> Asker:
        return cls(user=request.user_id, team=request.team_id, here=request.channel_id)


def visibility(svc: Services) -> Visibility:
    """Slack's answers about channels for one request, remembered briefly in Redis across requests."""
    return Visibility(svc.client, svc.store)


async def visible_page(svc: Services, vis: Visibility, asker: Asker, *, page: int, size: int) -> ProjectPage:
    """One page of the projects the asker may see from where they ask, newest activity first, with the total."""

    async def shown(channels: set[str]) -> set[str]:
        await vis.prefetch(asker.user, channels)
        async with vis.batch():
            return {c for c in channels if await vis.shown(asker.user, c, asker.here)}

    return await project_page(svc.store, asker.team, shown, offset=(page - 1) * size, limit=size)


async def find_project(svc: Services, vis: Visibility, asker: Asker, name: str) -> Project:
    history = [ev for ev in await svc.store.project_history(asker.team, project_key(name))
               if await vis.shown(asker.user, ev.channel, asker.here)]
    if not history:
        raise CommandError(f"No evaluation of *{esc(name)}* that you can see here. `/ftcheck list` shows what "
                           "there is (evaluations from a private channel are only shown inside it).")
    return Project(history)


async def may_manage(svc: Services, user: str, ev: Evaluation) -> bool:
    """The starter, a lead named in FTCHECK_LEADS, or a workspace admin/owner (asked of Slack)."""
    if user == ev.started_by or user in svc.settings.lead_ids:
        return True
    try:
        info = (await svc.client.users_info(user=user)).get("user") or {}
    except SlackApiError:
        return False
    return bool(info.get("is_admin") or info.get("is_owner"))


def denied(ev: Evaluation, what: str) -> str:
    """In the channel's words: who runs ftcheck names its leads (``FTCHECK_LEADS``); people here never see that."""
    return (f"Only <@{ev.started_by}> (who started the evaluation of *{esc(ev.project)}*), a workspace admin or a "
            f"lead named by whoever runs ftcheck can {what}. Ask one of them.")


class NotVisible(CommandError):
    """A button names an evaluation the person cannot see (or none at all); the words name nothing."""

    def __init__(self) -> None:
        super().__init__("That button belongs to an evaluation you cannot see: it was deleted or is no longer stored, "
                         "or it runs in a channel you are not a member of. Ask someone in that channel.")


async def clicked_evaluation(svc: Services, click: EvaluationClick) -> Evaluation:
    """The evaluation a button names, if the person who clicked may see it; else :class:`NotVisible`."""
    ev = await svc.store.get(click.evaluation)
    if ev is None or ev.status == "deleted" or not await visibility(svc).can_see(click.user.id, ev.channel):
        raise NotVisible()
    return ev
