"""The App Home tab: every project the person may see, and its Summary button."""

from __future__ import annotations

import structlog

from bot.blocks.leads import HOME_MAX_ROWS, HomeRow, UnavailableRow, home_view, summary_modal
from bot.commands import CommandError
from bot.leads.access import Asker, NotVisible, clicked_evaluation, visibility, visible_page
from bot.leads.projects import by_project, maybe_scored, running_of, scored
from bot.leads.summaries import summary
from bot.payloads import EvaluationClick
from bot.replies import checklist_problem, unavailable_text
from bot.services import Services
from conversations.reminders import ReminderQueue
from conversations.store import StoreUnavailable
from scoring.checklist import UnknownChecklist

log = structlog.get_logger(__name__)


async def home_rows(svc: Services, team: str, user: str, page_no: int = 1
                    ) -> tuple[list[HomeRow | UnavailableRow], int]:
    """One page of the projects the user may see from their App Home, newest activity first, and the total."""
    page = await visible_page(svc, visibility(svc), Asker(user=user, team=team, here=None), page=page_no,
                              size=HOME_MAX_ROWS)
    projects = by_project(ev for history in page.projects for ev in history)
    dues = await ReminderQueue(svc.store).due_many([p.current.id for p in projects if p.current.status == "completed"])
    rows: list[HomeRow | UnavailableRow] = []
    for p in projects:
        took_part = any(ev.started_by == user or any(a.by == user for a in ev.answers.values())
                        or any(user in ballot.votes for ballot in ev.ballots.values()) for ev in p.evaluations)
        try:
            running, problem = running_of(svc, p)
            rows.append(HomeRow(current=scored(svc, p.current), previous=maybe_scored(svc, p.previous),
                                running=running, due=dues.get(p.current.id), took_part=took_part,
                                running_problem=problem))
        except UnknownChecklist as exc:  # its team checklist file went bad or away: said on its row
            rows.append(UnavailableRow(ev=p.current, problem=checklist_problem(exc)))
    return rows, page.total


async def publish_home(svc: Services, team: str, user: str, page: int = 1) -> None:
    """(Re)draw one user's App Home tab; on a Redis outage the tab keeps its last content."""
    try:
        rows, total = await home_rows(svc, team, user, page)
        if not rows and page > 1:  # projects went away since the page was drawn: show the last page there is
            page = max(1, -(-total // HOME_MAX_ROWS))
            rows, total = await home_rows(svc, team, user, page)
    except StoreUnavailable:
        log.warning("home_not_refreshed", user=user)
        return
    await svc.client.views_publish(user_id=user, view=home_view(rows, svc.settings.zone, total, page))


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
