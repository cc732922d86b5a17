"""Re-evaluation reminders: ``/ftcheck remind``, and the buttons on a reminder or the Home tab."""

from __future__ import annotations

import contextlib
from calendar import month_name, monthrange
from datetime import UTC, date, datetime, timedelta

import structlog

from bot.blocks.common import esc
from bot.blocks.leads import day, reminder_blocks, reminder_text
from bot.commands import DEFAULT_QUORUM, Command, CommandError, name_splits, unclear_schedule
from bot.leads.access import Asker, clicked_evaluation, denied, find_project, may_manage
from bot.leads.home import publish_home
from bot.leads.projects import Project
from bot.links import thread_link
from bot.payloads import EvaluationClick
from bot.replies import Reply
from bot.services import Services
from bot.visibility import Visibility
from conversations import queries
from conversations.engine import scorecard_of
from conversations.models import Evaluation, Mode
from conversations.queries import START_LOCK_S
from conversations.reminders import (
    SCHEDULES,
    SNOOZE,
    UNSAID,
    Cadence,
    ReminderQueue,
    WorkingHours,
    default_cadence,
)
from conversations.store import StoreUnavailable
from scoring.checklist import Registry, UnknownChecklist
from scoring.render import plural

log = structlog.get_logger(__name__)



def time_now() -> datetime:
    """The time a command or click happens (tests set it)."""
    return datetime.now(UTC)


def working_hours(svc: Services) -> WorkingHours:
    return WorkingHours.parse(svc.settings.working_hours, svc.settings.timezone)


def next_due(svc: Services, schedule: str, now: datetime) -> tuple[datetime, Cadence | None]:
    """When the next reminder is posted (inside working hours), and the cadence after it (None = the default)."""
    hours = working_hours(svc)
    if schedule in SCHEDULES:
        return hours.after(now, SCHEDULES[schedule]), SCHEDULES[schedule]
    asked = date_of(schedule)
    today = now.astimezone(hours.tz).date()
    if asked < today:
        raise CommandError(f"{asked} is in the past (today is {today} in {svc.settings.timezone}); pick today or a "
                           "later date.")
    # today means the next open moment today: now, if inside working hours
    return hours.due(max(datetime.combine(asked, hours.start, tzinfo=hours.tz), now)), None


def date_of(text: str) -> date:
    """A ``YYYY-MM-DD`` date (the parser checked the shape), or what is wrong with it."""
    year, month, number = (int(part) for part in text.split("-"))
    if not 1 <= month <= 12:
        raise CommandError(f"`{text}` has no month {month}: months go from 01 to 12, e.g. 2027-03-01.")
    if year < 1:
        raise CommandError(f"{text} is in the past; pick today or a later date.")
    days = monthrange(year, month)[1]
    if not 1 <= number <= days:
        raise CommandError(f"`{text}` is not a day: {month_name[month]} {year} has {days} days; pick one from 01 to "
                           f"{days}.")
    return date(year, month, number)


def _once(svc: Services, then: str, asked: date, due: datetime, now: datetime) -> str:
    """What a one-off date means: the day asked for, or the day it really comes and why; ``then``: what follows
    ("quarterly", "every 90 days")."""
    tz = svc.settings.zone
    if due.astimezone(tz).date() == asked:
        return f"once on {asked}, then {then}. Next one {day(due, tz)}, posted in its thread within working hours."
    why = _why_later(svc, asked, now)
    return (f"once, then {then}. {why[:1].upper()}{why[1:]}; it comes on {due.astimezone(tz):%A} {day(due, tz)}, "
            "in its thread.")


def _why_later(svc: Services, asked: date, now: datetime) -> str:
    hours, spec = working_hours(svc), svc.settings.working_hours
    if hours.days is not None and asked.weekday() not in hours.days:
        return f"{asked} is a {asked:%A}, outside working hours ({spec})"
    if asked != now.astimezone(hours.tz).date():
        return f"{asked} has no working hours ({spec}) left"
    if hours.contains(now):
        return f"today's working hours ({spec}) end in a few minutes"
    return f"today's working hours ({spec}) are over"


def schedule_word(cadence: Cadence) -> str:
    """The `/ftcheck remind` word for ``cadence``: "monthly" or "quarterly" (for a length in days, the nearer)."""
    return next((word for word, known in SCHEDULES.items() if known == cadence),
                "monthly" if not cadence.months and cadence.length < timedelta(days=45) else "quarterly")


def then_words(cadence: Cadence) -> str:
    """What follows a one-off date: "quarterly", "monthly", or "every 90 days"."""
    word = schedule_word(cadence)
    return word if SCHEDULES[word] == cadence else f"every {_every(cadence)}"


async def own_cadence(queue: ReminderQueue, after: timedelta | None, registry: Registry, ev: Evaluation) -> Cadence:
    """The cadence ``ev``'s reminders follow: the one a lead chose, else its checklist's (``reevaluate``), or
    ``FTCHECK_REEVALUATE_AFTER`` (``after``) when set; 90 days when its checklist is not loaded."""
    chosen = await queue.cadence(ev.id)
    if chosen is not None:
        return chosen
    try:
        return default_cadence(after, registry.get(ev.checklist))
    except UnknownChecklist:
        return UNSAID


def turn_on_again(ev: Evaluation, cadence: Cadence) -> str:
    """How to turn ``ev``'s reminders back on, at their own cadence."""
    return f"`/ftcheck remind {esc(ev.project)} {schedule_word(cadence)}`"


def _off_text(ev: Evaluation, cadence: Cadence, where: str = "") -> str:
    return (f"Re-evaluation reminders for *{esc(ev.project)}*{where} are off. {turn_on_again(ev, cadence)} turns "
            "them back on.")


def reminded(project: Project, here: str | None) -> Evaluation:
    """The result whose reminders ``remind`` changes: the project's latest in this channel (each channel that
    evaluated a project has its own reminder, in its own thread), else its latest anywhere."""
    return queries.latest_completed([ev for ev in project.evaluations if ev.channel == here]) or project.current


async def remind(svc: Services, vis: Visibility, asker: Asker, command: Command) -> str:
    if command.schedule is None:  # the last words are no schedule: say which project and what was not understood
        raise CommandError(await _unclear_schedule(svc, vis, asker, command.project or ""))
    project = await find_project(svc, vis, asker, command.project or "")
    if not project.completed:
        raise CommandError(f"*{esc(project.latest.project)}* has no completed evaluation yet; its reminders start "
                           "when it completes.")
    ev = reminded(project, asker.here)
    if not await may_manage(svc, asker.user, ev):
        return denied(svc, ev, "change its reminders")
    where = "" if ev.channel == asker.here else f" in <#{ev.channel}>"
    queue = ReminderQueue(svc.store)
    await queue.lead_chose(ev.id)  # first: a booking of its completion that comes late must not undo this
    if command.schedule == "off":
        own = await own_cadence(queue, svc.settings.reevaluate_delta, svc.registry, ev)  # before it is dropped
        await queue.turn_off(ev)
        return _off_text(ev, own, where)
    now = time_now()
    due, cadence = next_due(svc, command.schedule, now)
    # a date is followed by the evaluation's own cadence; read before any write (its checklist may not be loaded)
    then = None if cadence else then_words(default_cadence(svc.settings.reevaluate_delta,
                                                           svc.registry.get(ev.checklist)))
    await queue.cancel(ev.id)  # drops an earlier cadence too
    await queue.turn_on(ev)
    await queue.schedule(ev.id, due)
    if cadence is None:
        once = _once(svc, then or "", date_of(command.schedule), due, now)
        return f"Re-evaluation reminders for *{esc(ev.project)}*{where}: {once}"
    await queue.set_every(ev.id, cadence.stored)
    return (f"Re-evaluation reminders for *{esc(ev.project)}*{where}: {command.schedule}. Next one "
            f"{day(due, svc.settings.zone)}, posted in its thread within working hours.")


SCHEDULE_WORDS_MAX = 4  # "every other quarter please": longer tails are not read as a mistyped schedule


async def _unclear_schedule(svc: Services, vis: Visibility, asker: Asker, typed: str) -> str:
    """The longest first words of ``typed`` that name a project the asker can see are the project; the rest was
    meant as the schedule (`remind Medical Diagnosis Prediction sometimes`)."""
    if not typed:
        return "Say when: `/ftcheck remind &lt;project&gt; quarterly|monthly|off|YYYY-MM-DD`."
    for name, rest in name_splits(typed)[:SCHEDULE_WORDS_MAX + 1]:  # one lookup each: a schedule is a few words
        try:
            project = await find_project(svc, vis, asker, name)
        except CommandError:
            continue
        return unclear_schedule(project.latest.project, rest, typed)
    return unclear_schedule(None, [], typed)


async def after_click(svc: Services, click: EvaluationClick, ev: Evaluation, outcome: str) -> None:
    """Show what happened on the reminder message (its buttons go), or refresh the Home tab.

    A checklist that is not loaded (a team file that went bad or away) leaves the message or the tab as it is: the
    click was recorded and the person told, so this must not raise as if it had not been."""
    try:
        await _show_outcome(svc, click, ev, outcome)
    except UnknownChecklist as exc:
        log.warning("reminder_outcome_not_shown", evaluation=ev.id, checklist=exc.checklist_id, reason=exc.reason)


async def _show_outcome(svc: Services, click: EvaluationClick, ev: Evaluation, outcome: str) -> None:
    if click.from_home:
        await publish_home(svc, click.team_id or ev.team, click.user.id, click.home_page)
        return
    channel, ts = click.container.channel_id, click.container.message_ts
    if channel and ts:
        checklist = svc.registry.get(ev.checklist)
        card = scorecard_of(ev, checklist)
        await svc.client.chat_update(channel=channel, ts=ts, text=reminder_text(ev, card),
                                     blocks=reminder_blocks(ev, card, tz=svc.settings.zone, outcome=outcome,
                                                            checklist=checklist))


async def start_reevaluation(svc: Services, click: EvaluationClick, reply: Reply) -> None:
    clicked = await clicked_evaluation(svc, click)
    user = click.user.id
    previous = await queries.reevaluation_base(svc.store, clicked)
    if await _reevaluated_since(svc, clicked, previous, click, reply):
        return
    svc.registry.get(previous.checklist)  # not loaded: UnknownChecklist says so before anything changes
    # the reminder's own lock (a second click on it), then the one every start of the project here takes (a
    # `/ftcheck start` at the same moment), then a last look: one thread opens, and whoever else clicked is told
    lock = queries.start_lock(previous.team, previous.channel, previous.project)
    if (await _running(svc, previous) is not None
            or not await svc.store.once(f"reeval:{previous.id}", ttl_s=START_LOCK_S)
            or not await svc.store.once(lock, ttl_s=START_LOCK_S)):
        await _under_way(svc, previous, click, clicked, reply)
        return
    try:
        if await _running(svc, previous) is not None:
            await _under_way(svc, previous, click, clicked, reply)
            return
        new = await reevaluate(svc, previous, user)
    finally:
        with contextlib.suppress(StoreUnavailable):  # the lock expires on its own
            await svc.store.release(lock)
    link = await thread_link(svc.client, new)
    await after_click(svc, click, clicked, f"Re-evaluation started by <@{user}>: {link}")
    if click.from_home:  # the tab only redraws: say where it is, as a refusal is said (a DM from the app)
        await reply(f"Re-evaluation of *{esc(new.project)}* started in <#{new.channel}>: {link}.")


async def _running(svc: Services, previous: Evaluation) -> Evaluation | None:
    return await queries.open_evaluation(svc.store, previous.team, previous.channel, previous.project)


async def _under_way(svc: Services, previous: Evaluation, click: EvaluationClick, clicked: Evaluation,
                     reply: Reply) -> None:
    """Someone started the re-evaluation already (by this button, another reminder's or `/ftcheck start`): say
    where, and take the buttons off the message clicked, as the click that started it does (the same words, so
    two clicks on one reminder at once draw it alike)."""
    running = await _running(svc, previous)
    link = await thread_link(svc.client, running) if running else f"in <#{previous.channel}>"
    await reply(f"A re-evaluation of *{esc(previous.project)}* is already under way: {link}.")
    if running is not None and running.thread_ts:  # no thread yet: its starter's click draws the message
        await after_click(svc, click, clicked, f"Re-evaluation started by <@{running.started_by}>: {link}")


def scoring(previous: Evaluation, mode: Mode | None, quorum: int | None) -> tuple[Mode, int]:
    """How a re-evaluation of ``previous`` is scored: as last time (a vote stays a vote, with its quorum) unless
    ``mode`` says otherwise; ``quorum`` when one was asked for, else last time's for a vote again, else 3."""
    mode = mode or previous.mode
    if quorum is None:
        quorum = previous.quorum if mode == previous.mode == "vote" else DEFAULT_QUORUM
    return mode, quorum


async def reevaluate(svc: Services, previous: Evaluation, user: str, *, mode: Mode | None = None,
                     quorum: int | None = None) -> Evaluation:
    """The re-evaluation itself, pre-filled with ``previous``'s answers: the team scores the way it did last time
    (a vote stays a vote, with its quorum) unless ``mode`` (with ``quorum``) says otherwise (:func:`scoring`), and
    keeps the cadence a lead chose. The previous result keeps its reminder, deferred while this one is open (it
    moves to this one's result when it completes, and comes back if this one is deleted or closed for
    inactivity)."""
    queue = ReminderQueue(svc.store)
    every = await queue.every(previous.id)
    mode, quorum = scoring(previous, mode, quorum)
    new = await svc.engine.start(team=previous.team, channel=previous.channel, project=previous.project,
                                 checklist_id=previous.checklist, user=user, previous=previous, mode=mode,
                                 quorum=quorum)
    if every is not None:
        await queue.set_every(new.id, every)  # the new evaluation keeps the cadence a lead chose
    return new


async def _reevaluated_since(svc: Services, clicked: Evaluation, newest: Evaluation, click: EvaluationClick,
                             reply: Reply) -> bool:
    """An old reminder clicked after the project was re-evaluated, before the newer one's reminder: say so (and
    how to start anyway) instead of opening another evaluation minutes after the last one finished."""
    due = await ReminderQueue(svc.store).due_at(newest.id)
    if newest.id == clicked.id or newest.completed_at is None or due is None or due <= time_now():
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
        await reply(denied(svc, ev, "change its reminders"))
        return
    queue = ReminderQueue(svc.store)
    if snooze:
        due = working_hours(svc).after(time_now(), SNOOZE)
        await queue.turn_on(ev)
        await queue.schedule(ev.id, due)
        shown = day(due, svc.settings.zone)
        await reply(f"Snoozed: the next reminder for *{esc(ev.project)}* comes on {shown}.")
        await after_click(svc, click, clicked, f"Snoozed by <@{user}> until {shown}.")
    else:
        cadence = await own_cadence(queue, svc.settings.reevaluate_delta, svc.registry, ev)  # before it is dropped
        await queue.turn_off(ev)
        await reply(_off_text(ev, cadence))
        await after_click(svc, click, clicked, f"Reminders stopped by <@{user}>.")


def _every(cadence: Cadence) -> str:
    """What follows "then every": "month", "3 months", or the length ("90 days")."""
    if cadence.months:
        return "month" if cadence.months == 1 else f"{cadence.months} months"
    return _spoken(cadence.length)


def _spoken(delta: timedelta) -> str:
    """A duration as people say it, and exactly: "90 days", "2 weeks", "36 hours", "90 minutes", "30 seconds"."""
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    if days and not rest:
        return plural(days // 7, "week") if days % 7 == 0 and days < 70 else plural(days, "day")
    for size, unit in ((3600, "hour"), (60, "minute")):
        if seconds >= size and seconds % size == 0:
            return plural(seconds // size, unit)
    return plural(seconds, "second")
