"""A project's evaluations that the asker may see, grouped, and each one scored for display."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.blocks.leads import Scored, dropped_gaps, gone_answers
from bot.replies import checklist_problem
from bot.services import Services
from conversations import queries
from conversations.engine import scorecard_of
from conversations.models import Evaluation
from conversations.voting import agreement
from scoring.checklist import UnknownChecklist


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
        return queries.latest_completed(self.evaluations) or self.latest

    @property
    def previous(self) -> Evaluation | None:
        """The completed evaluation before ``current`` on the same checklist in the same channel: the one its score
        compares with."""
        current = self.current
        done = [ev for ev in self.completed if ev.checklist == current.checklist and ev.channel == current.channel
                and ev.id != current.id]  # each channel's results are its own: never compared across channels
        return done[-1] if done and current.status == "completed" else None

    @property
    def running(self) -> Evaluation | None:
        return queries.running(self.evaluations)

    @property
    def active_at(self) -> datetime:
        return max(ev.completed_at or ev.last_activity for ev in self.evaluations)

    def in_channel(self, channel: str | None) -> Project | None:
        """Its evaluations in ``channel``, or None when it has none there."""
        here = [ev for ev in self.evaluations if ev.channel == channel]
        return Project(here) if here else None

    @property
    def channels(self) -> list[str]:
        """The channels it was evaluated in, the one with the latest evaluation first."""
        return list(dict.fromkeys(ev.channel for ev in reversed(self.evaluations)))


def by_project(evaluations: Iterable[Evaluation]) -> list[Project]:
    """Group evaluations by project, each oldest first; projects with the newest activity first."""
    groups: dict[str, list[Evaluation]] = {}
    for ev in evaluations:
        groups.setdefault(ev.project_key, []).append(ev)
    projects = [Project(sorted(evs, key=lambda e: e.started_at)) for evs in groups.values()]
    return sorted(projects, key=lambda p: p.active_at, reverse=True)


def per_channel(projects: Iterable[Project]) -> list[Project]:
    """Each project's evaluations in each channel that evaluated it: a row of Home and ``list`` each, for each
    channel's result, reminder, comparison and re-evaluation are its own. A project's channels stay together, the
    one with its latest evaluation first."""
    return [part for p in projects for channel in p.channels if (part := p.in_channel(channel)) is not None]


def scored(svc: Services, ev: Evaluation) -> Scored:
    checklist = svc.registry.get(ev.checklist)
    card = scorecard_of(ev, checklist)
    return Scored(ev=ev, card=card, answered=len(checklist.questions) - len(card.unanswered),
                  questions=len(checklist.questions), agreement=agreement(ev, checklist),
                  dropped=tuple(dropped_gaps(ev, checklist)), gone=gone_answers(ev, checklist))


def maybe_scored(svc: Services, ev: Evaluation | None) -> Scored | None:
    return None if ev is None else scored(svc, ev)


def running_of(svc: Services, project: Project) -> tuple[Scored | None, str]:
    """The project's evaluation in progress, scored, and ``""``; or, when its checklist is not loaded (a team file
    that went bad or away; the project's result on another checklist still shows), None and a sentence saying so."""
    try:
        return maybe_scored(svc, project.running), ""
    except UnknownChecklist as exc:
        return None, f"A re-evaluation in progress uses {checklist_problem(exc)}; its answers so far are safe."
