"""Who asks, from where, what they may see, and who may change an evaluation.

Deleting an evaluation or changing its reminders is for its starter, the leads in ``FTCHECK_LEADS`` and
workspace admins.

A button carries only an evaluation id, which anyone could guess: before it says anything about the
evaluation, the person must be able to see its channel; otherwise the answer is the same as for an id
that does not exist, so a guess reveals nothing (not the project, not its starter, not that it exists). A card's
buttons carry the evaluation and question: their click must come from the evaluation's own channel
(:func:`in_its_channel`), where the card is.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from bot.blocks.common import esc, user
from bot.blocks.leads import day
from bot.blocks.notices import OTHER_CHANNEL
from bot.commands import CommandError
from bot.leads.projects import Project
from bot.payloads import EvaluationClick, SlashCommand
from bot.services import Services
from bot.visibility import Visibility
from conversations import queries
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
    """Every evaluation of the project the asker may see from where they ask, in every channel."""
    history = [ev for ev in await svc.store.project_history(asker.team, project_key(name))
               if await vis.shown(asker.user, ev.channel, asker.here)]
    if history:
        return Project(history)
    gone = await deleted_words(svc, asker, name, asker.here)
    if gone:
        raise CommandError(f"{gone} There is no other evaluation of it that you can see. `/ftcheck start "
                           f"{esc(name)}` begins a new one here; the deleted one stays in the audit trail.")
    raise CommandError(f"No evaluation of *{esc(name)}* that you can see here. `/ftcheck list` shows what "
                       "there is (evaluations from a private channel are only shown inside it).")


@dataclass(frozen=True)
class Found:
    """A project's evaluations in one channel, as ``summary``, ``history`` and ``export`` show them: a result is
    compared only with the results before it in its own channel."""

    project: Project
    note: str  # "" when they are the channel asked about; else which channel they are from, and why
    elsewhere: list[str]  # the other channels the asker may see evaluations of it in

    @property
    def channel(self) -> str:
        return self.project.latest.channel


async def find_in_channel(svc: Services, vis: Visibility, asker: Asker, name: str,
                          channel: str | None = None) -> Found:
    """The project's evaluations in ``channel`` (else the one the command is run in) when the asker may see any
    there, as ``remind`` and ``delete`` pick; else those in the channel of its latest result, and a note saying so."""
    everywhere = await find_project(svc, vis, asker, name)
    want = channel or asker.here
    here = everywhere.in_channel(want)
    shown = here or everywhere.in_channel(everywhere.current.channel) or everywhere
    elsewhere = [c for c in everywhere.channels if c != shown.latest.channel]
    if here is not None or want is None:
        return Found(shown, "", elsewhere)
    stored = esc(shown.latest.project)
    gone = await deleted_words(svc, asker, name, want) or f"No evaluation of *{stored}* in this channel."
    return Found(shown, f"{gone} This is its evaluation in <#{shown.latest.channel}>.", elsewhere)


async def deleted_words(svc: Services, asker: Asker, name: str, channel: str | None) -> str:
    """``The latest evaluation of *X* here was deleted on 2026-11-02 by @who.`` when it was; else ""."""
    found = None if channel is None else await queries.deleted_here(svc.store, asker.team, channel,
                                                                    project_key(name))
    if found is None:
        return ""
    ev, at = found
    who = f" by {user(ev.deleted_by)}" if ev.deleted_by else ""
    return f"The latest evaluation of *{esc(ev.project)}* here was deleted on {day(at, svc.settings.zone)}{who}."


async def may_manage(svc: Services, user: str, ev: Evaluation) -> bool:
    """The starter, a lead named in FTCHECK_LEADS, or a workspace admin/owner (asked of Slack)."""
    if user == ev.started_by or user in svc.settings.lead_ids:
        return True
    try:
        info = (await svc.client.users_info(user=user)).get("user") or {}
    except SlackApiError:
        return False
    return bool(info.get("is_admin") or info.get("is_owner"))


LEADS_NAMED = 5  # a "not allowed" reply names this many leads, then says how many more


def denied(svc: Services, ev: Evaluation, what: str) -> str:
    """Who may: the starter, a workspace admin, and the leads whoever runs ftcheck named (``FTCHECK_LEADS``), by
    name; people here never see the setting's name."""
    starter = f"<@{ev.started_by}> (who started the evaluation of *{esc(ev.project)}*)"
    leads = sorted(svc.settings.lead_ids - {ev.started_by})
    if not leads:
        return f"Only {starter} or a workspace admin can {what}. Ask one of them."
    named = ", ".join(user(uid) for uid in leads[:LEADS_NAMED])
    if len(leads) > LEADS_NAMED:
        named += f" and {len(leads) - LEADS_NAMED} more"
    who = f"the ftcheck lead {named}" if len(leads) == 1 else f"one of the ftcheck leads ({named})"
    return f"Only {starter}, a workspace admin or {who} can {what}. Ask one of them."


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


class OtherChannel(CommandError):
    """A card's button clicked in a channel that is not its evaluation's. A card lives in its evaluation's thread,
    so a real click comes from there; one from elsewhere carries a value copied from another channel's card. The
    words name nothing of that evaluation."""

    def __init__(self) -> None:
        super().__init__(OTHER_CHANNEL)


def in_its_channel(ev: Evaluation, channel: str | None) -> Evaluation:
    """``ev`` when a card's click (or its note dialog) came from the evaluation's own channel; else
    :class:`OtherChannel`, as :func:`clicked_evaluation` refuses the buttons that carry only an evaluation id."""
    if channel != ev.channel:
        raise OtherChannel()
    return ev
