"""`ftcheck list`, `ftcheck history` and `ftcheck export` on the terminal's evaluations (no Slack needed).

They read the terminal's evaluations only, and say so when the store holds Slack's too (the server's Redis):
a Slack evaluation is shown in Slack to the people of its channel (a private channel's only to its members), with
their names and the thread's link, which the command line has no Slack identity to check or fetch. So the command
line counts them, names their channels and points at ``/ftcheck list``, ``history`` and ``export`` in Slack."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, tzinfo

from redis.exceptions import RedisError

from bot.blocks.common import plural
from bot.blocks.leads import day
from bot.terminal.invocation import ftcheck_command, run_again
from bot.terminal.session import TEAM, progress, unloaded
from conversations.engine import scorecard_of
from conversations.export import decision_record
from conversations.models import Evaluation, project_key
from conversations.queries import latest_completed
from conversations.read_models import team_totals, text_of
from conversations.store import Store, StoreUnavailable
from scoring.checklist import Registry, UnknownChecklist
from scoring.scorecard import Scorecard, fmt_score
from scoring.verdict import verdict_of

STATUS_WORDS = {"in_progress": "in progress", "abandoned": "closed for inactivity"}


class NotFound(Exception):
    """No evaluation of that project in the store; the message says what to do."""


def _line(ev: Evaluation, registry: Registry, before: Evaluation | None = None, tz: tzinfo = UTC) -> str:
    """``2026-01-05  fine-tuning-readiness  ⚠ Not yet — q7 (…) blocks it; …``: the scorecard's own decision."""
    when = day(ev.completed_at or ev.started_at, tz)
    status = STATUS_WORDS.get(ev.status, ev.status)
    try:
        checklist = registry.get(ev.checklist)
    except UnknownChecklist as exc:  # its team file went bad or away: listed, not scored
        return f"{when}  {ev.checklist}  {status}, uses {unloaded(exc)}"
    card = scorecard_of(ev, checklist)
    if ev.status == "completed":
        delta = ""
        if before is not None:
            delta = _since(card, scorecard_of(before, checklist), day(before.completed_at or before.started_at, tz))
        return f"{when}  {checklist.id}  {verdict_of(card).line()}{delta}"
    return f"{when}  {checklist.id}  {status}, {progress(ev, checklist)}"


def _since(card: Scorecard, then: Scorecard, day_then: str) -> str:
    """`` (+1.5 since 2026-01-05)``; nothing when the checklist changed in between (the totals do not compare)."""
    if not card.comparable(then):
        return ""
    diff = card.total - then.total
    return f" ({'+' if diff >= 0 else ''}{fmt_score(diff)} since {day_then})"


def _running(ev: Evaluation, shown: Evaluation, registry: Registry) -> str:
    """`` · re-evaluation in progress, 2 of 20 answered``: an evaluation running beside the result shown."""
    try:
        checklist = registry.get(ev.checklist)
    except UnknownChecklist as exc:
        return f" · an evaluation in progress on {unloaded(exc)}"
    what = "re-evaluation" if ev.checklist == shown.checklist else f"“{checklist.title}” evaluation"
    return f" · {what} in progress, {progress(ev, checklist)}"


@dataclass
class FromSlack:
    """The Slack evaluations in a store (the server's Redis), which the command line does not show."""

    count: int = 0
    channels: set[str] = field(default_factory=set)

    def where(self) -> str:
        """``3 evaluations from Slack (channel C0123)``"""
        ids = sorted(self.channels)
        shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
        return f"{plural(self.count, 'evaluation')} from Slack ({'channel' if len(ids) == 1 else 'channels'} {shown})"

    def also_here(self) -> str:
        """The line `ftcheck list` adds: they are there, and where to see them."""
        return (f"{self.where()} {'is' if self.count == 1 else 'are'} in this store too: `/ftcheck list` in a Slack "
                "channel lists its own; the command line lists the terminal's only.")


async def slack_teams(store: Store) -> list[str]:
    """The Slack workspaces with evaluations in this store (every team but the terminal's); none when the store
    cannot be scanned (this only adds a hint)."""
    teams: set[str] = set()
    try:
        async for key in store.redis.scan_iter(match="ftc:team:*", count=500):
            teams.add(text_of(key).removeprefix("ftc:team:"))
    except (RedisError, OSError):
        return []
    return sorted(teams - {TEAM})


async def from_slack(store: Store, key: str | None = None) -> FromSlack:
    """The Slack evaluations in the store (of project ``key`` only, when given): all of them counted from the
    project index, no document read; one project's read, for the channels that still have one."""
    found = FromSlack()
    for team in await slack_teams(store):
        try:
            if key is None:
                count, channels = await team_totals(store, team)
            else:
                evaluations = await store.project_history(team, key)
                count, channels = len(evaluations), {ev.channel for ev in evaluations}
        except StoreUnavailable:
            continue
        found.count += count
        found.channels |= channels
    return found


async def project_history(store: Store, name: str, verb: str = "history") -> list[Evaluation]:
    history = await store.project_history(TEAM, project_key(name))
    if history:
        return history
    slack = await from_slack(store, project_key(name))
    if slack.count:
        there = "that channel" if len(slack.channels) == 1 else "its channel"
        raise NotFound(f"no evaluation of “{name}” from the terminal in this store, but {slack.where()}: run "
                       f"`/ftcheck {verb} {name}` in {there} in Slack. The command line reads only the terminal's "
                       f"evaluations (`{ftcheck_command()} list` shows them).")
    raise NotFound(f"no evaluation of “{name}” in this store; `{ftcheck_command()} list` shows the projects "
                   "there are.")


async def history_text(store: Store, registry: Registry, name: str, tz: tzinfo = UTC) -> str:
    history = await project_history(store, name)
    lines = [f"History of {history[-1].project} ({plural(len(history), 'evaluation')}, oldest first)"]
    before: dict[str, Evaluation] = {}
    for ev in history:
        lines.append("  " + _line(ev, registry, before.get(ev.checklist), tz))
        if ev.status == "completed":
            before[ev.checklist] = ev
    return "\n".join(lines)


async def list_text(store: Store, registry: Registry, tz: tzinfo = UTC) -> str:
    """Each project's latest completed result (else its latest evaluation), and what is in progress beside it."""
    evaluations = await store.all_team_evaluations(TEAM)  # newest first, every one
    slack = await from_slack(store)
    if not evaluations and slack.count:
        return f"No evaluations from the terminal in this store yet. {slack.also_here()}"
    if not evaluations:
        return f"No evaluations in this store yet. `{run_again()}` starts one."
    projects: dict[str, list[Evaluation]] = {}
    for ev in evaluations:
        projects.setdefault(ev.project_key, []).append(ev)
    lines = [f"Projects in this store ({len(projects)})"]
    for newest_first in projects.values():
        shown = next((e for e in newest_first if e.status == "completed"), newest_first[0])
        running = [e for e in newest_first if e.status == "in_progress" and e is not shown]
        beside = "".join(_running(e, shown, registry) for e in reversed(running))
        count = plural(len(newest_first), "evaluation")
        lines.append(f"  {shown.project}: {_line(shown, registry, tz=tz)}{beside} · {count}")
    if slack.count:
        lines.append(slack.also_here())
    return "\n".join(lines)


async def export_text(store: Store, registry: Registry, name: str, fmt: str, tz: tzinfo = UTC) -> str:
    """The decision record of the latest completed evaluation (else the latest one), with the result of the
    completed one before it on the same checklist (as ``history`` compares them)."""
    history = await project_history(store, name, verb="export")
    done = [ev for ev in history if ev.status == "completed"]
    ev = done[-1] if done else history[-1]
    previous = latest_completed(done[:-1], ev.checklist) if done else None
    return decision_record(ev, registry.get(ev.checklist), fmt, tz=tz, previous=previous)
