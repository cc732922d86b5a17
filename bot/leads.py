"""Leads' commands: status, summary, list, history, export, remind, delete — filtered by what the asker can see.

Every read goes through :class:`bot.visibility.Visibility` (asked of Slack): an evaluation from a private
conversation never shows up in another channel or in a non-member's App Home. Deleting an evaluation or
changing its reminders is for its starter, the leads in ``FTCHECK_LEADS`` and workspace admins.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from slack_sdk.errors import SlackApiError

from bot.blocks.common import context, esc, section
from bot.blocks.leads import (
    HomeRow,
    Scored,
    channel_summary_line,
    history_line,
    list_line,
    summary_text,
)
from bot.commands import Command, CommandError
from bot.payloads import SlashCommand
from bot.replies import Reply
from bot.services import Services
from bot.visibility import Visibility
from conversations import flow
from conversations.engine import scorecard_of
from conversations.export import decision_record
from conversations.models import Evaluation, project_key
from conversations.reminders import SCHEDULES, ReminderQueue, WorkingHours

__all__ = ["Asker", "Reply", "handle", "permalink", "status_text"]

FULL_SUMMARIES = 3  # `/ftcheck summary` without a project: this many in full, the rest one line each
HISTORY_MAX = 20
LIST_MAX = 60


@dataclass(frozen=True)
class Asker:
    """Who asks and from where: a channel id, or None for the App Home tab."""

    user: str
    team: str
    here: str | None

    @classmethod
    def of(cls, request: SlashCommand) -> Asker:
        return cls(user=request.user_id, team=request.team_id, here=request.channel_id)


@dataclass
class Project:
    """One project's evaluations that the asker may see, oldest first (never empty)."""

    evaluations: list[Evaluation]

    @property
    def latest(self) -> Evaluation:
        return self.evaluations[-1]

    @property
    def completed(self) -> list[Evaluation]:
        return [ev for ev in self.evaluations if ev.status == "completed"]

    @property
    def current(self) -> Evaluation:
        """What a summary reports: the latest completed evaluation, else the latest one."""
        done = self.completed
        return done[-1] if done else self.latest

    @property
    def previous(self) -> Evaluation | None:
        done = self.completed
        return done[-2] if len(done) > 1 else None

    @property
    def running(self) -> Evaluation | None:
        return next((ev for ev in reversed(self.evaluations) if ev.status == "in_progress"), None)

    @property
    def active_at(self) -> datetime:
        return max(ev.completed_at or ev.last_activity for ev in self.evaluations)


def scored(svc: Services, ev: Evaluation) -> Scored:
    checklist = svc.registry.get(ev.checklist)
    card = scorecard_of(ev, checklist)
    return Scored(ev=ev, card=card, answered=len(checklist.questions) - len(card.unanswered),
                  questions=len(checklist.questions))


def maybe_scored(svc: Services, ev: Evaluation | None) -> Scored | None:
    return None if ev is None else scored(svc, ev)


async def permalink(svc: Services, ev: Evaluation) -> str:
    if not ev.thread_ts:
        return "(thread not posted yet)"
    try:
        resp = await svc.client.chat_getPermalink(channel=ev.channel, message_ts=ev.thread_ts)
        return f"<{resp['permalink']}|open the thread>"
    except SlackApiError:
        return f"(thread in <#{ev.channel}>)"


async def status_text(svc: Services, ev: Evaluation) -> str:
    checklist = svc.registry.get(ev.checklist)
    s = scored(svc, ev)
    # the open card is what the thread waits for; next_question() names the card after it
    nxt = next((c.question for c in ev.open_cards().values()), None) or flow.next_question(ev, checklist)
    waiting = f" Waiting for {checklist.question(nxt).key}." if nxt else ""
    return (f"*{esc(ev.project)}*: {s.progress} answered, {esc(s.card.headline)}.{waiting} "
            f"{await permalink(svc, ev)}")


async def handle(svc: Services, request: SlashCommand, command: Command, reply: Reply) -> None:
    asker, vis = Asker.of(request), Visibility(svc.client)
    if command.verb == "list":
        await reply(await list_text(svc, vis, asker))
    elif command.verb == "summary":
        await reply(await summary(svc, vis, asker, command.project))
    elif command.verb == "history":
        await reply(await history_text(svc, vis, asker, command.project or ""))
    elif command.verb == "export":
        await export(svc, vis, asker, command)
    elif command.verb == "remind":
        await reply(await remind(svc, vis, asker, command))
    elif command.verb == "delete":
        await reply(await delete(svc, vis, asker, command.project or ""))


# -- what the asker may see -------------------------------------------------------------------------------

async def visible(svc: Services, vis: Visibility, asker: Asker) -> list[Evaluation]:
    """The team's evaluations the asker may see from where they ask, newest first."""
    return [ev for ev in await svc.store.team_evaluations(asker.team)
            if await vis.shown(asker.user, ev.channel, asker.here)]


def by_project(evaluations: Iterable[Evaluation]) -> list[Project]:
    """Group evaluations by project, each oldest first; projects with the newest activity first."""
    groups: dict[str, list[Evaluation]] = {}
    for ev in evaluations:
        groups.setdefault(ev.project_key, []).append(ev)
    projects = [Project(sorted(evs, key=lambda e: e.started_at)) for evs in groups.values()]
    return sorted(projects, key=lambda p: p.active_at, reverse=True)


async def find_project(svc: Services, vis: Visibility, asker: Asker, name: str) -> Project:
    history = [ev for ev in await svc.store.project_history(asker.team, project_key(name))
               if await vis.shown(asker.user, ev.channel, asker.here)]
    if not history:
        raise CommandError(f"No evaluation of *{esc(name)}* that you can see here. `/ftcheck list` shows what "
                           "there is (evaluations from a private channel are only shown inside it).")
    return Project(history)


# -- summary, list, history -------------------------------------------------------------------------------

async def project_summary(svc: Services, project: Project) -> str:
    running = project.running
    return summary_text(scored(svc, project.current), maybe_scored(svc, project.previous),
                        maybe_scored(svc, running), link=await permalink(svc, project.current),
                        running_link=await permalink(svc, running) if running else None)


async def summary(svc: Services, vis: Visibility, asker: Asker, name: str | None) -> str:
    if name:
        return await project_summary(svc, await find_project(svc, vis, asker, name))
    if asker.here is None:
        raise CommandError("Name the project: `/ftcheck summary <project>`.")
    projects = by_project(await svc.store.channel_evaluations(asker.team, asker.here))  # this channel's own
    if not projects:
        return "No evaluations in this channel yet. Start one with `/ftcheck start <project>`."
    parts = [await project_summary(svc, p) for p in projects[:FULL_SUMMARIES]]
    rest = projects[FULL_SUMMARIES:]
    if rest:
        lines = [channel_summary_line(scored(svc, p.current), maybe_scored(svc, p.previous),
                                      maybe_scored(svc, p.running), await permalink(svc, p.current))
                 for p in rest]
        parts.append("*Also in this channel* (`/ftcheck summary <project>` for the full scorecard)\n"
                     + "\n".join(lines))
    return "\n\n".join(parts)


async def list_text(svc: Services, vis: Visibility, asker: Asker) -> str:
    projects = by_project(await visible(svc, vis, asker))
    if not projects:
        return "No evaluations you can see here yet. Start one with `/ftcheck start <project>`."
    queue = ReminderQueue(svc.store)
    lines = [f"*Evaluations you can see here* ({len(projects)} projects)"]
    for p in projects[:LIST_MAX]:
        due = await queue.due_at(p.current.id) if p.current.status == "completed" else None
        lines.append(list_line(scored(svc, p.current), maybe_scored(svc, p.running), len(p.evaluations), due))
    if len(projects) > LIST_MAX:
        lines.append(f"… and {len(projects) - LIST_MAX} more.")
    return "\n".join(lines)


async def history_text(svc: Services, vis: Visibility, asker: Asker, name: str) -> str:
    project = await find_project(svc, vis, asker, name)
    shown = project.evaluations[-HISTORY_MAX:]
    lines = [f"*History of {esc(project.latest.project)}* ({len(project.evaluations)} evaluations)"]
    if len(project.evaluations) > len(shown):
        lines.append(f"_{len(project.evaluations) - len(shown)} earlier evaluations not shown._")
    before: Scored | None = None
    for ev in shown:
        entry = scored(svc, ev)
        lines.append(history_line(entry, before, await permalink(svc, ev)))
        if entry.done:
            before = entry
    return "\n".join(lines)


# -- export -----------------------------------------------------------------------------------------------

async def export(svc: Services, vis: Visibility, asker: Asker, command: Command) -> None:
    if asker.here is None:
        raise CommandError("Run `/ftcheck export <project>` in a channel; the file is shared there.")
    ev = (await find_project(svc, vis, asker, command.project or "")).current
    names = await _names(svc, {a.by for a in ev.answers.values()} | {ev.started_by})
    content = decision_record(ev, svc.registry.get(ev.checklist), command.format, names,
                              await _thread_url(svc, ev))
    try:
        await svc.client.files_upload_v2(
            channel=asker.here, content=content, filename=f"ftcheck-{ev.project_key}-{ev.started_at:%Y%m%d}."
                                                          f"{command.format}",
            title=f"Decision record: {ev.project}",
            initial_comment=f"Decision record for {esc(ev.project)}, requested by <@{asker.user}>.")
    except SlackApiError as exc:
        if exc.response is not None and exc.response.get("error") in ("not_in_channel", "channel_not_found"):
            raise CommandError("I can't share files in this channel yet. Invite me with `/invite @ftcheck` and "
                               "run the export again.") from None
        raise


async def _names(svc: Services, uids: set[str]) -> dict[str, str]:
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


async def _thread_url(svc: Services, ev: Evaluation) -> str | None:
    if not ev.thread_ts:
        return None
    try:
        resp = await svc.client.chat_getPermalink(channel=ev.channel, message_ts=ev.thread_ts)
        return str(resp["permalink"])
    except SlackApiError:
        return None


# -- who may change things: remind, delete ----------------------------------------------------------------

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
    return (f"Only <@{ev.started_by}> (who started the evaluation of *{esc(ev.project)}*), the leads named in "
            f"FTCHECK_LEADS or a workspace admin can {what}. Ask one of them.")


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
        return (f"Re-evaluation reminders for *{esc(ev.project)}* are off. "
                f"`/ftcheck remind {esc(ev.project)} quarterly` turns them back on.")
    due, every = next_due(svc, schedule, datetime.now(UTC))
    await queue.cancel(ev.id)  # drops an earlier cadence too
    await queue.schedule(ev.id, due)
    if every is not None:
        await queue.set_every(ev.id, every)
    local = due.astimezone(working_hours(svc).tz)
    cadence = schedule if every is not None else f"once on {schedule}, then every {svc.settings.reevaluate_after}"
    return (f"Re-evaluation reminders for *{esc(ev.project)}*: {cadence}. Next one {local:%Y-%m-%d}, "
            "posted in its thread within working hours.")


async def delete(svc: Services, vis: Visibility, asker: Asker, name: str) -> str:
    ev = (await find_project(svc, vis, asker, name)).latest
    if not await may_manage(svc, asker.user, ev):
        return denied(ev, "delete it")
    ev, _, _ = await svc.store.update(ev.id, flow.discard, by=asker.user, action="delete")
    await ReminderQueue(svc.store).cancel(ev.id)
    await _close_thread(svc, ev, asker.user)
    return (f"Deleted the {ev.started_at:%Y-%m-%d} evaluation of *{esc(ev.project)}* "
            "(kept in the audit trail, hidden everywhere).")


async def _close_thread(svc: Services, ev: Evaluation, by: str) -> None:
    """Take the buttons off a deleted evaluation's open cards and say so on its root message."""
    note = [context(f"This evaluation was deleted by <@{by}>.")]
    targets = list(ev.open_cards()) + ([ev.thread_ts] if ev.thread_ts else [])
    for ts in targets:
        with contextlib.suppress(SlackApiError):  # the message may be gone; the evaluation is deleted either way
            await svc.client.chat_update(channel=ev.channel, ts=ts, text=f"Deleted evaluation of {ev.project}",
                                         blocks=[section(f"~{esc(ev.project)}~ — deleted"), *note])


# -- App Home ---------------------------------------------------------------------------------------------

async def home_rows(svc: Services, team: str, user: str) -> list[HomeRow]:
    """Every project the user may see from their App Home, newest activity first."""
    vis = Visibility(svc.client)
    queue = ReminderQueue(svc.store)
    rows = []
    for p in by_project(await visible(svc, vis, Asker(user=user, team=team, here=None))):
        took_part = any(ev.started_by == user or any(a.by == user for a in ev.answers.values())
                        for ev in p.evaluations)
        due = await queue.due_at(p.current.id) if p.current.status == "completed" else None
        rows.append(HomeRow(current=scored(svc, p.current), previous=maybe_scored(svc, p.previous),
                            running=maybe_scored(svc, p.running), due=due, took_part=took_part))
    return rows
