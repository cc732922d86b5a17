"""Re-evaluation reminders: ``/ftcheck remind``, and the buttons on a reminder or the Home tab."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.blocks.common import esc
from bot.blocks.leads import day, reminder_blocks, reminder_text
from bot.commands import Command, CommandError
from bot.leads.access import Asker, clicked_evaluation, denied, find_project, may_manage
from bot.leads.home import publish_home
from bot.links import thread_link
from bot.payloads import EvaluationClick
from bot.replies import Reply
from bot.services import Services
from bot.visibility import Visibility
from conversations import queries
from conversations.engine import scorecard_of
from conversations.models import Evaluation
from conversations.reminders import SCHEDULES, SNOOZE, ReminderQueue, WorkingHours
from scoring.render import plural

START_LOCK_S = 15  # two people clicking Start at once get one re-evaluation


def working_hours(svc: Services) -> WorkingHours:
    return WorkingHours.parse(svc.settings.working_hours, svc.settings.timezone)


def next_due(svc: Services, schedule: str, now: datetime) -> tuple[datetime, timedelta | None]:
    """When the next reminder falls due, and the cadence after it (None = the default interval)."""
    if schedule in SCHEDULES:
        return now + SCHEDULES[schedule], SCHEDULES[schedule]
    try:
        day = date.fromisoformat(schedule)
    except ValueError:
        raise CommandError(f"`{schedule}` is not a date; use YYYY-MM-DD, e.g. 2027-03-01.") from None
    hours = working_hours(svc)
    due = hours.next_open(datetime.combine(day, hours.start, tzinfo=hours.tz))
    if due <= now:
        raise CommandError(f"{schedule} is in the past; pick a future date.")
    return due, None


def _off_text(ev: Evaluation) -> str:
    return (f"Re-evaluation reminders for *{esc(ev.project)}* are off. "
            f"`/ftcheck remind {esc(ev.project)} quarterly` turns them back on.")


async def remind(svc: Services, vis: Visibility, asker: Asker, command: Command) -> str:
    project = await find_project(svc, vis, asker, command.project or "")
    if not project.completed:
        raise CommandError(f"*{esc(project.latest.project)}* has no completed evaluation yet; its reminders start "
                           "when it completes.")
    ev = project.current
    if not await may_manage(svc, asker.user, ev):
        return denied(ev, "change its reminders")
    queue = ReminderQueue(svc.store)
    schedule = command.schedule or "quarterly"
    if schedule == "off":
        await queue.cancel(ev.id)
        return _off_text(ev)
    due, every = next_due(svc, schedule, datetime.now(UTC))
    await queue.cancel(ev.id)  # drops an earlier cadence too
    await queue.schedule(ev.id, due)
    if every is not None:
        await queue.set_every(ev.id, every)
    then = _spoken(svc.settings.reevaluate_delta)
    cadence = schedule if every is not None else f"once on {schedule}, then every {then}"
    return (f"Re-evaluation reminders for *{esc(ev.project)}*: {cadence}. Next one {day(due, svc.settings.zone)}, "
            "posted in its thread within working hours.")


async def after_click(svc: Services, click: EvaluationClick, ev: Evaluation, outcome: str) -> None:
    """Show what happened on the reminder message (its buttons go), or refresh the Home tab."""
    if click.from_home:
        await publish_home(svc, click.team_id or ev.team, click.user.id)
        return
    channel, ts = click.container.channel_id, click.container.message_ts
    if channel and ts:
        card = scorecard_of(ev, svc.registry.get(ev.checklist))
        await svc.client.chat_update(channel=channel, ts=ts, text=reminder_text(ev, card),
                                     blocks=reminder_blocks(ev, card, tz=svc.settings.zone, outcome=outcome))


async def start_reevaluation(svc: Services, click: EvaluationClick, reply: Reply) -> None:
    clicked = await clicked_evaluation(svc, click)
    user = click.user.id
    previous = await queries.reevaluation_base(svc.store, clicked)
    if await _reevaluated_since(svc, clicked, previous, click, reply):
        return
    running = await queries.open_evaluation(svc.store, previous.team, previous.channel, previous.project)
    if running is not None or not await svc.store.once(f"reeval:{previous.id}", ttl_s=START_LOCK_S):
        link = await thread_link(svc.client, running) if running else f"in <#{previous.channel}>"
        await reply(f"A re-evaluation of *{esc(previous.project)}* is already under way: {link}.")
        return
    queue = ReminderQueue(svc.store)
    every = await queue.every(previous.id)
    await queue.cancel(previous.id)
    new = await svc.engine.start(team=previous.team, channel=previous.channel, project=previous.project,
                                 checklist_id=previous.checklist, user=user, previous=previous)
    if every is not None:
        await queue.set_every(new.id, every)  # the new evaluation keeps the cadence a lead chose
    await after_click(svc, click, clicked,
                      f"Re-evaluation started by <@{user}>: {await thread_link(svc.client, new)}")


async def _reevaluated_since(svc: Services, clicked: Evaluation, newest: Evaluation, click: EvaluationClick,
                             reply: Reply) -> bool:
    """An old reminder clicked after the project was re-evaluated, before the newer one's reminder: say so (and
    how to start anyway) instead of opening another evaluation minutes after the last one finished."""
    due = await ReminderQueue(svc.store).due_at(newest.id)
    if newest.id == clicked.id or newest.completed_at is None or due is None or due <= datetime.now(UTC):
        return False
    card = scorecard_of(newest, svc.registry.get(newest.checklist))
    done, tz = day(newest.completed_at, svc.settings.zone), svc.settings.zone
    await reply(f"*{esc(newest.project)}* was re-evaluated on {done} ({card.total_text}); "
                f"its next reminder comes on {day(due, tz)}. To start another now: "
                f"`/ftcheck start {esc(newest.project)}`.")
    await after_click(svc, click, clicked, f"Re-evaluated since, on {done}: {await thread_link(svc.client, newest)}")
    return True


async def change_reminders(svc: Services, click: EvaluationClick, reply: Reply, *, snooze: bool) -> None:
    clicked = await clicked_evaluation(svc, click)
    ev = await queries.reevaluation_base(svc.store, clicked)  # an old reminder acts on the project's newest
    user = click.user.id
    if not await may_manage(svc, user, ev):
        await reply(denied(ev, "change its reminders"))
        return
    queue = ReminderQueue(svc.store)
    if snooze:
        due = datetime.now(UTC) + SNOOZE
        await queue.schedule(ev.id, due)
        shown = day(due, svc.settings.zone)
        await reply(f"Snoozed: the next reminder for *{esc(ev.project)}* comes on {shown}.")
        await after_click(svc, click, clicked, f"Snoozed by <@{user}> until {shown}.")
    else:
        await queue.cancel(ev.id)
        await reply(f"Reminders for *{esc(ev.project)}* are off. "
                    f"`/ftcheck remind {esc(ev.project)} quarterly` turns them back on.")
        await after_click(svc, click, clicked, f"Reminders stopped by <@{user}>.")


def _spoken(delta: timedelta) -> str:
    """A cadence as people say it: "90 days", "2 weeks", "12 hours"."""
    if delta.days and delta.days % 7 == 0 and delta.days < 70:
        return plural(delta.days // 7, "week")
    if delta.days:
        return plural(delta.days, "day")
    return plural(max(1, round(delta.total_seconds() / 3600)), "hour")
