"""``status``, ``summary``, ``list`` and ``history``: what the asker may see, as text."""

from __future__ import annotations

import contextlib
from datetime import datetime

from bot.blocks.common import esc, user
from bot.blocks.evaluation import split_wait
from bot.blocks.leads import (
    Scored,
    channel_summary_line,
    day,
    evaluated_at,
    history_line,
    list_line,
    summary_text,
    vote_wait,
)
from bot.commands import CommandError, whole_number
from bot.leads.access import Asker, Found, find_in_channel, visible_page
from bot.leads.projects import Project, by_project, maybe_scored, per_channel, running_of, scored
from bot.links import thread_link
from bot.replies import checklist_fix, checklist_problem
from bot.services import Services
from bot.visibility import Visibility
from conversations.flow import card_state, gone_cards
from conversations.models import Evaluation
from conversations.queries import waiting_question
from conversations.read_models import ProjectPage
from conversations.reminders import ReminderQueue
from conversations.voting import hidden_votes
from scoring.checklist import Checklist, UnknownChecklist
from scoring.render import plural

FULL_SUMMARIES = 3  # `/ftcheck summary` without a project: this many in full (decided ones first), then …
SUMMARY_LINES = 20  # … this many in one line each; the rest are counted and left to `/ftcheck list`
SUMMARY_CHARS = 12_000  # the full summaries together (a long checklist's gaps run long); Slack takes 40,000
HISTORY_PAGE = 20  # `/ftcheck history <project> 2`: the 20 evaluations before the latest 20
LIST_PAGE = 30  # projects a page of `/ftcheck list` (text: no block limit; Home cuts its pages by rows)
CHANNEL_READ = 500  # `/ftcheck summary` reads a channel's latest evaluations, this many


def unavailable_line(ev: Evaluation, exc: UnknownChecklist) -> str:
    """One evaluation whose checklist is not loaded (its team file went bad or away after it started)."""
    return (f"*{esc(ev.project)}*: uses {checklist_problem(exc)}. Its answers so far are safe. "
            f"{checklist_fix(exc)}")


async def status_text(svc: Services, ev: Evaluation, extra: str = "") -> str:
    """One evaluation in progress on one line; ``extra``: a sentence to add (its card was posted again …)."""
    try:
        checklist = svc.registry.get(ev.checklist)
    except UnknownChecklist as exc:
        return f"{unavailable_line(ev, exc)} {await thread_link(svc.client, ev)}"
    s = scored(svc, ev)
    # like the root: progress only, no running total (a score counts once the team has answered everything)
    line = (f"*{esc(ev.project)}*: {s.answered} of {s.questions} answered.{_waiting(ev, checklist)} "
            f"{await thread_link(svc.client, ev)}")
    return f"{line} {extra}" if extra else line


def _waiting(ev: Evaluation, checklist: Checklist) -> str:
    """`` Waiting for q3.``; an open card whose question the team dropped from its checklist file since is said as
    such (a click on it goes on without it: ``flow.changed_under``)."""
    if gone_cards(ev, checklist):
        return (" Its open card asks a question that is no longer in the checklist; a click on any of that card's "
                "buttons goes on without it.")
    nxt = waiting_question(ev, checklist)
    if nxt is None:
        return ""
    key = checklist.question(nxt).key
    if card_state(ev, nxt) == "split":
        return f" {key} is split: {split_wait(ev)}."
    votes = hidden_votes(ev, nxt)
    return f" {vote_wait(key, *votes)}" if votes is not None and votes[0] else f" Waiting for {key}."


async def status_lines(svc: Services, shown: list[tuple[Evaluation, str]], *, more: bool = False) -> str:
    """`/ftcheck status`: each evaluation in progress in the channel, newest first, one line each."""
    lines = [await status_text(svc, ev, extra) for ev, extra in shown]
    if len(lines) == 1 and not more:
        return lines[0]
    head = f"*{len(lines)}{'+' if more else ''} evaluations in progress in this channel:*"
    tail = ["… and more, not shown: `/ftcheck list` names every project."] if more else []
    return "\n".join([head, *(f"• {line}" for line in lines), *tail])


async def project_summary(svc: Services, project: Project) -> str:
    running, problem = running_of(svc, project)
    link = await thread_link(svc.client, project.running) if project.running else None
    text = summary_text(scored(svc, project.current), maybe_scored(svc, project.previous), running,
                        link=await thread_link(svc.client, project.current), tz=svc.settings.zone, running_link=link)
    return f"{text}\n:warning: {problem} {link}" if problem else text


async def summary(svc: Services, vis: Visibility, asker: Asker, name: str | None, *,
                  channel: str | None = None) -> str:
    """One project's latest result in this channel (``channel``: the one a Home tab row is about), or the
    channel's projects."""
    if name:
        found = await find_in_channel(svc, vis, asker, name, channel)
        return framed(found, await project_summary(svc, found.project), "summary")
    if asker.here is None:
        raise CommandError("Name the project: `/ftcheck summary &lt;project&gt;`.")
    return await channel_summary(svc, asker)


def framed(found: Found, text: str, verb: str) -> str:
    """``text`` about one channel's evaluations, headed by which channel they are from when it is not this one,
    and followed by the other channels that evaluated the project."""
    parts = [f":information_source: {found.note}", text] if found.note else [text]
    if found.elsewhere:
        name = esc(found.project.latest.project)
        there = ", ".join(f"<#{c}>" for c in found.elsewhere)
        parts.append(f"Also evaluated in {there}, with results of its own: `/ftcheck {verb} {name}` there shows "
                     "them.")  # plain: Slack does not italicise across a code span
    return "\n\n".join(parts)


async def channel_summary(svc: Services, asker: Asker) -> str:
    """`/ftcheck summary` in a channel: its latest decided projects in full, then one line each, at most
    ``SUMMARY_LINES`` of them; how many more there are, and where to see them. It reads the channel's latest
    ``CHANNEL_READ`` evaluations: in a channel with more, the projects are counted as "at least" (older ones may
    have been evaluated only before those)."""
    read, stored = await svc.store.channel_evaluations_counted(asker.team, asker.here or "", CHANNEL_READ)
    projects = by_project(read)  # this channel's own
    if not projects:
        return "No evaluations in this channel yet. Start one with `/ftcheck start &lt;project&gt;`."
    decided = [p for p in projects if p.current.status == "completed"]
    first = (decided + [p for p in projects if p.current.status != "completed"])[:FULL_SUMMARIES]
    parts, full = await _full_summaries(svc, first)
    rest = [p for p in projects if all(p is not f for f in full)]
    lines = rest[:SUMMARY_LINES]
    if lines:
        parts.append("*Also in this channel* (`/ftcheck summary &lt;project&gt;` for the full scorecard)\n"
                     + "\n".join([await _channel_line(svc, p) for p in lines]))
    hidden, partial = len(rest) - len(lines), stored > CHANNEL_READ
    if not hidden and not partial:
        return "\n\n".join(parts)
    which = "latest decided" if all(p.current.status == "completed" for p in full) else "latest"
    in_full = f"the {which} one in full" if len(full) == 1 else f"the {len(full)} {which} in full"
    many = f"At least {plural(len(projects), 'project')}" if partial else plural(len(projects), "project")
    head = (f"*{many} in this channel*, {len(full) + len(lines)} shown here: {in_full}, then "
            f"{len(lines)} in a line each.")
    return "\n\n".join([head, *parts, _channel_tail(hidden, partial=partial)])


def _channel_tail(hidden: int, *, partial: bool) -> str:
    """How many projects of the channel are not shown, and where they are; ``partial``: only its latest
    ``CHANNEL_READ`` evaluations were read, so that is a floor."""
    if not hidden:
        what = (f"Projects evaluated in this channel only before its {CHANNEL_READ} latest evaluations are not "
                "counted here")
    elif partial:
        what = (f"… and at least {plural(hidden, 'more project')} in this channel (counted in its {CHANNEL_READ} "
                "latest evaluations), not shown")
    else:
        what = f"… and {plural(hidden, 'more project')} in this channel, not shown"
    return (f"{what}. `/ftcheck list` names every project you can see with its result ({LIST_PAGE} a page); "
            "`/ftcheck summary &lt;project&gt;` shows one in full.")


async def _full_summaries(svc: Services, projects: list[Project]) -> tuple[list[str], list[Project]]:
    """The full summaries of ``projects`` that fit in ``SUMMARY_CHARS`` together (the first always does), and the
    projects they are of; the others get a line each, as the rest of the channel's projects."""
    parts: list[str] = []
    full: list[Project] = []
    for p in projects:
        text = await _channel_summary(svc, p)
        if parts and sum(map(len, parts)) + len(text) > SUMMARY_CHARS:
            break
        parts.append(text)
        full.append(p)
    return parts, full


# A listing of several projects shows one whose checklist is not loaded (its team file went bad or away after it
# started) as a line saying so: it must not take the others down.

async def _channel_summary(svc: Services, p: Project) -> str:
    try:
        return await project_summary(svc, p)
    except UnknownChecklist as exc:
        return f"{unavailable_line(p.current, exc)} {await thread_link(svc.client, p.current)}"


async def _channel_line(svc: Services, p: Project) -> str:
    link = await thread_link(svc.client, p.current)
    try:
        running, problem = running_of(svc, p)
        return channel_summary_line(scored(svc, p.current), maybe_scored(svc, p.previous), running, link,
                                    svc.settings.zone) + (f" · {problem}" if problem else "")
    except UnknownChecklist as exc:
        return f"• {unavailable_line(p.current, exc)} {link}"


def _list_line(svc: Services, p: Project, due: datetime | None, found: ProjectPage) -> str:
    count, exact = found.evaluations_in(p.current.project_key, p.current.channel, len(p.evaluations))
    try:
        running, problem = running_of(svc, p)
        line = list_line(scored(svc, p.current), running, count, due, svc.settings.zone, exact=exact,
                         latest=max(p.evaluations, key=evaluated_at))
        return f"{line} · {problem}" if problem else line
    except UnknownChecklist as exc:
        return f"• {unavailable_line(p.current, exc)} In <#{p.current.channel}>."


def past_the_end(total: int, page: int) -> str:
    """`/ftcheck list 5` with fewer pages: how many projects there are, and the last page to ask for."""
    there = f"{'There is' if total == 1 else 'There are'} {plural(total, 'project')} you can see here"
    last = -(-total // LIST_PAGE)
    pages = "all on one page (`/ftcheck list`)" if last == 1 else f"on {last} pages (the last: `/ftcheck list {last}`)"
    return f"{there}, {pages}; page {page} is past the end."


async def list_text(svc: Services, vis: Visibility, asker: Asker, page: int = 1) -> str:
    found = await visible_page(svc, vis, asker, page=page, size=LIST_PAGE)
    projects = by_project(ev for history in found.projects for ev in history)
    if not found.total:
        return "No evaluations you can see here yet. Start one with `/ftcheck start &lt;project&gt;`."
    if not projects:
        return past_the_end(found.total, page)
    parts = per_channel(projects)  # a line for each channel that evaluated a project: its own result and reminder
    dues = await ReminderQueue(svc.store).due_many([p.current.id for p in parts if p.current.status == "completed"])
    first = found.offset + 1
    showing = f", showing {first}–{found.offset + len(projects)}" if found.total > len(projects) else ""
    several = "; a line for each channel that evaluated one" if len(parts) > len(projects) else ""
    lines = [f"*Evaluations you can see here*, newest activity first ({plural(found.total, 'project')}{showing}"
             f"{several})"]
    lines += [_list_line(svc, p, dues.get(p.current.id), found) for p in parts]
    if found.offset + len(projects) < found.total:
        lines.append(f"… and {found.total - found.offset - len(projects)} more: `/ftcheck list {page + 1}`.")
    return "\n".join(lines)


async def history_text(svc: Services, vis: Visibility, asker: Asker, typed: str) -> str:
    """A project's evaluations in this channel, a page of the latest ``HISTORY_PAGE`` at a time, each with its
    change (Δ) since the result before it there, the first one shown included."""
    found, page = await _history_page(svc, vis, asker, typed)
    evaluations, name = found.project.evaluations, esc(found.project.latest.project)
    pages = -(-len(evaluations) // HISTORY_PAGE)
    if page > pages:
        raise CommandError(f"*{name}* has {plural(len(evaluations), 'evaluation')} in <#{found.channel}>, "
                           f"{_on_pages(name, pages)}; page {page} is past the end.")
    end = len(evaluations) - (page - 1) * HISTORY_PAGE
    first = max(0, end - HISTORY_PAGE)
    span = f", showing {first + 1}–{end}" if pages > 1 else ""
    lines = [f"*History of {name} in <#{found.channel}>* ({plural(len(evaluations), 'evaluation')}{span})"]
    lines += await _history_lines(svc, evaluations[first:end], _last_done(svc, evaluations[:first]))
    if first:
        lines.append(f"{plural(first, 'earlier evaluation')}: `/ftcheck history {name} {page + 1}`.")
    if page > 1:
        lines.append(f"Later ones: `/ftcheck history {name}{f' {page - 1}' if page > 2 else ''}`.")
    return framed(found, "\n".join(lines), "history")


def _on_pages(name: str, pages: int) -> str:
    if pages == 1:
        return f"all on one page (`/ftcheck history {name}`)"
    return f"on {pages} pages (the earliest: `/ftcheck history {name} {pages}`)"


async def _history_page(svc: Services, vis: Visibility, asker: Asker, typed: str) -> tuple[Found, int]:
    """The project ``typed`` names, and the page asked for: `Many 2` is page 2 of *Many*, unless a project is called
    *Many 2* (the whole name wins, as it is typed)."""
    try:
        return await find_in_channel(svc, vis, asker, typed), 1
    except CommandError as exc:
        missing = exc
    name, _, page = typed.rpartition(" ")
    number = whole_number(page)
    if name.strip() and number is not None and number >= 1:
        with contextlib.suppress(CommandError):
            return await find_in_channel(svc, vis, asker, name), number
    raise missing  # said about the name as typed


def _last_done(svc: Services, evaluations: list[Evaluation]) -> Scored | None:
    """The latest completed of ``evaluations`` (those before a page), scored: the first one shown is compared with
    it; None when there is none, or its checklist is not loaded."""
    done = [ev for ev in evaluations if ev.status == "completed"]
    try:
        return maybe_scored(svc, done[-1] if done else None)
    except UnknownChecklist:
        return None


async def _history_lines(svc: Services, shown: list[Evaluation], before: Scored | None) -> list[str]:
    lines = []
    for ev in shown:
        link = await thread_link(svc.client, ev)
        try:
            entry = scored(svc, ev)
        except UnknownChecklist as exc:  # the others are still listed
            lines.append(f"• {day(ev.started_at, svc.settings.zone)} — uses {checklist_problem(exc)}; its answers "
                         f"so far are safe · started by {user(ev.started_by)} · {link}")
            continue
        lines.append(history_line(entry, before, link, svc.settings.zone))
        if entry.done:
            before = entry
    return lines
