"""The App Home tab: every project the person may see, a row for each channel that evaluated it, and its buttons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog

from bot.blocks.leads import HOME_MAX_ROWS, HOME_ROWS, HomeRow, UnavailableRow, home_view, summary_modal
from bot.commands import CommandError
from bot.leads.access import Asker, NotVisible, clicked_evaluation, visibility
from bot.leads.projects import Project, by_project, maybe_scored, per_channel, running_of, scored
from bot.leads.summaries import summary
from bot.links import thread_link
from bot.payloads import EvaluationClick
from bot.replies import checklist_problem, unavailable_text
from bot.services import Services
from conversations.read_models import project_page
from conversations.reminders import ReminderQueue
from conversations.store import StoreUnavailable
from scoring.checklist import UnknownChecklist

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class HomePage:
    """One page of the projects a person may see, a row per project per channel, and how many projects in all."""

    rows: list[HomeRow | UnavailableRow]
    projects: int  # on this page (a project evaluated in several channels has a row for each)
    total: int
    offset: int = 0  # projects on the pages before this one
    pages: int = 1


async def home_rows(svc: Services, team: str, user: str, page_no: int = 1) -> HomePage:
    """One page of the projects the user may see from their App Home, newest activity first: a row for each
    channel that evaluated one (its own result, reminder and re-evaluation); private channels' only for members.
    Pages are cut so that each one's rows fit a Home view (:data:`HOME_ROWS`), so none is left out."""
    vis, asker = visibility(svc), Asker(user=user, team=team, here=None)

    async def shown(channels: set[str]) -> set[str]:  # as access.visible_page
        await vis.prefetch(asker.user, channels)
        async with vis.batch():
            return {c for c in channels if await vis.shown(asker.user, c, asker.here)}

    page = await project_page(svc.store, team, shown, limit=HOME_MAX_ROWS, page=page_no, rows=HOME_ROWS)
    projects = by_project(ev for history in page.projects for ev in history)
    parts = per_channel(projects)
    dues = await ReminderQueue(svc.store).due_many([p.current.id for p in parts if p.current.status == "completed"])
    rows = [await _row(svc, p, user, dues.get(p.current.id)) for p in parts]
    return HomePage(rows=rows, projects=len(projects), total=page.total, offset=page.offset, pages=page.pages)


async def _row(svc: Services, p: Project, user: str, due: datetime | None) -> HomeRow | UnavailableRow:
    """One project in one channel; its checklist not loaded (its team file went bad or away) is said on its row."""
    took_part = any(ev.started_by == user or any(a.by == user for a in ev.answers.values())
                    or any(user in ballot.votes for ballot in ev.ballots.values()) for ev in p.evaluations)
    try:
        running, problem = running_of(svc, p)
        link = await thread_link(svc.client, p.running) if p.running is not None else None
        return HomeRow(current=scored(svc, p.current), previous=maybe_scored(svc, p.previous), running=running,
                       due=due, took_part=took_part, running_problem=problem, running_link=link)
    except UnknownChecklist as exc:
        return UnavailableRow(ev=p.current, problem=checklist_problem(exc))


async def publish_home(svc: Services, team: str, user: str, page: int = 1) -> None:
    """(Re)draw one user's App Home tab; on a Redis outage the tab keeps its last content."""
    try:
        shown = await home_rows(svc, team, user, page)
        if not shown.rows and page > 1:  # projects went away since the page was drawn: show the last page there is
            page = max(1, shown.pages)
            shown = await home_rows(svc, team, user, page)
    except StoreUnavailable:
        log.warning("home_not_refreshed", user=user)
        return
    view = home_view(shown.rows, svc.settings.zone, shown.total, page, projects=shown.projects,
                     offset=shown.offset)
    await svc.client.views_publish(user_id=user, view=view)


async def summary_from_home(svc: Services, click: EvaluationClick) -> None:
    """The Summary button: the project's summary in a modal (or why there is none), never in a channel."""
    if not click.trigger_id:
        return
    gone = False
    try:
        ev = await clicked_evaluation(svc, click)
        asker = Asker(user=click.user.id, team=click.team_id or ev.team, here=None)
        text = await summary(svc, visibility(svc), asker, ev.project, channel=ev.channel)  # that row's channel
    except NotVisible as exc:
        text, gone = str(exc), True
    except CommandError as exc:
        text = str(exc)
    except StoreUnavailable as exc:
        text = unavailable_text(exc, "request")
    await svc.client.views_open(trigger_id=click.trigger_id, view=summary_modal("Summary", text))
    if gone:  # a row that is no longer there: redraw the tab without it
        await publish_home(svc, click.team_id, click.user.id, click.home_page)
