"""One terminal session: the engine and store on one event loop, driven by blocking reads between calls.

Input is read outside the event loop, so one Ctrl-C at a prompt raises KeyboardInterrupt at once; during
an engine call ``asyncio.Runner`` turns the first Ctrl-C into KeyboardInterrupt too.
"""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any, TypeVar

import redis.asyncio as aioredis

from bot.blocks.common import plural
from bot.blocks.evaluation import not_prefilled_notice
from bot.blocks.leads import day
from bot.terminal.console import Console, LineReader
from bot.terminal.invocation import ftcheck_command, run_again, shell_word
from bot.terminal.presenter import TerminalPresenter
from conversations import flow
from conversations.engine import Engine
from conversations.migrations import rekey_projects
from conversations.models import Evaluation, project_key
from conversations.queries import prefill_base
from conversations.store import Store
from scoring.checklist import Checklist, Registry, UnknownChecklist
from scoring.suggest import Suggester

T = TypeVar("T")

TEAM = "terminal"
CHANNEL = "terminal"
TEAM_VOTE_IN_SLACK = ("A team vote (everyone votes on each question, hidden until the quorum has voted) needs the "
                      "Slack app: `/ftcheck start <project> --vote [--quorum N]` there.")


class Stop(Exception):
    """The person typed quit (or the input ended): answers so far are saved."""


@dataclass
class Session:
    runner: asyncio.Runner
    redis: aioredis.Redis
    registry: Registry
    suggester: Suggester
    console: Console
    reader: LineReader
    description_min_chars: int = 400
    user: str = ""
    project: str | None = None  # once chosen, an evaluation of it is resumed or started (Ctrl-C: "saved")
    checklist_id: str | None = None  # --checklist, when given: named again in how to run again
    started: Evaluation | None = None  # the evaluation this run started (None: it resumed one, or none yet)
    started_from: str | None = None  # a re-evaluation's: the day of the result it starts from
    recorded: int = 0  # answers (and changes) the store took in this run
    writing: str | None = None  # "answer", "change" or "note" while one is on its way to the store
    tz: tzinfo = UTC  # FTCHECK_TIMEZONE: the zone of every date shown
    migrated: bool = False  # projects were re-keyed (:meth:`history`)

    def __post_init__(self) -> None:
        self.store = Store(self.redis)
        self.presenter = TerminalPresenter(self.console)
        self.engine = Engine(self.store, self.registry, self.presenter)
        self.user = self.user or getpass.getuser()

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(coro)

    def history(self, project: str) -> list[Evaluation]:
        """The project's terminal evaluations, oldest first. The first look re-keys projects stored under the keys
        of an earlier version, as a server does at its start (a store only the terminal uses has no server): "C#
        model" is not found under "C++ model"'s key, and both are found under their own."""
        if not self.migrated:
            self.call(rekey_projects(self.store))
            self.migrated = True
        return self.call(self.store.project_history(TEAM, project_key(project)))

    def checklist(self, ev: Evaluation) -> Checklist:
        return self.registry.get(ev.checklist)

    def run_again(self) -> str:
        """How to continue this evaluation from this shell: the command with this run's project (and checklist)."""
        return run_again(self.project, self.checklist_id)

    def close(self) -> None:
        self.call(self.redis.aclose())


def progress(ev: Evaluation, checklist: Checklist) -> str:
    answered = sum(1 for q in checklist.questions if ev.value(q.id) is not None)
    return f"{answered} of {len(checklist.questions)} answered"


def deliver_owed(session: Session, ev: Evaluation) -> Evaluation:
    """Deliver what the evaluation still owes (a terminal run has no outbox tick): the next question's card
    after a run stopped, or after a delivery that failed, so the walk can go on."""
    if not ev.pending:
        return ev
    ev, _ = session.call(session.engine.deliver(ev, [owed.effect for owed in ev.pending]))
    return ev


def unloaded(exc: UnknownChecklist) -> str:
    """``the checklist “Team gate”, which can't be loaded (its file team-gate.yaml failed validation)``: an
    evaluation's team checklist file went bad or away after it started."""
    return f"the checklist “{exc.name}”, which can't be loaded ({exc.reason})"


def _described(session: Session, ev: Evaluation) -> str:
    """``a “Title” evaluation in progress (3 of 20 answered)``, or why its checklist is not loaded."""
    try:
        checklist = session.registry.get(ev.checklist)
    except UnknownChecklist as exc:
        return f"an evaluation in progress on {unloaded(exc)}"
    return f"a “{checklist.title}” evaluation in progress ({progress(ev, checklist)})"


def open_or_start(session: Session, project: str, checklist_id: str | None, *, fresh: bool = False) -> Evaluation:
    """Resume the project's evaluation in progress (of ``checklist_id`` when given), else start one, pre-filled
    with the project's last result (:func:`conversations.queries.prefill_base`) unless ``fresh``.

    An evaluation in progress of another checklist stays as it is; the person is told how to get back to it.
    """
    history = session.history(project)
    say = session.console.say
    wanted = session.registry.get(checklist_id).id if checklist_id else None  # KeyError names the choices
    running = [e for e in history if e.status == "in_progress"]
    chosen = [e for e in running if wanted is None or e.checklist == wanted]
    others = [e for e in running if e not in chosen[-1:]]
    for other in others:
        say(f"{other.project} also has {_described(session, other)}; it stays saved: "
            f"`{ftcheck_command()} run --project {shell_word(other.project)} --checklist {other.checklist}` "
            "continues it.")
    done = [e for e in history if e.status == "completed"]
    if done:
        say(f"{project}: {plural(len(done), 'earlier evaluation')} in this store "
            f"(`{ftcheck_command()} history {shell_word(project)}`).")
    if chosen:
        ev = chosen[-1]
        say(f"Resuming the evaluation started {ev.started_at.astimezone(session.tz):%Y-%m-%d %H:%M %Z} "
            f"({progress(ev, session.checklist(ev))}).")
        ev = without_stale_prefill(session, ev)
        return deliver_owed(session, ev)  # a run stopped between saving an answer and showing the next question
    last = prefill_base(done, wanted, session.registry.ids())
    previous = None if fresh else last
    if wanted and others:
        say(f"Starting a new “{session.registry.get(wanted).title}” evaluation of {project}.")
    if previous is not None:
        session.started_from = day(previous.completed_at or previous.started_at, session.tz)
        say(f"Starting a re-evaluation: the answers of {session.started_from} are the defaults (Enter keeps each).")
        if previous.mode == "vote":
            say(f"The evaluation of {session.started_from} was a team vote; this one records one person's answers, "
                f"yours. {TEAM_VOTE_IN_SLACK}")
    session.started = session.call(session.engine.start(
        team=TEAM, channel=CHANNEL, project=project, checklist_id=wanted, user=session.user, origin="terminal",
        previous=previous, fresh_after=last if fresh else None))
    changed = not_prefilled_notice(session.started, session.checklist(session.started), mrkdwn=False)
    if changed:
        say(changed)
    return session.started


def without_stale_prefill(session: Session, ev: Evaluation) -> Evaluation:
    """A re-evaluation resumed after its checklist changed: last time's answers that the checklist no longer
    offers stop being defaults (stored, so Enter never offers one), and the person is told which."""
    checklist = session.checklist(ev)
    stale = flow.stale_prefill(ev, checklist)
    if not stale:
        return ev
    ev, _, _ = session.call(session.store.update(
        ev.id, lambda e: flow.drop_stale_prefill(e, checklist), by=session.user,
        action="drop defaults the checklist no longer offers"))
    changed = not_prefilled_notice(ev, checklist, mrkdwn=False)  # what the thread's first message says in Slack
    if changed:
        session.console.say(changed)
    return ev


def drop_if_empty(session: Session) -> str | None:
    """Leaving before the first answer: the evaluation this run started is not kept when nothing was given to it
    (no answer or skip, no suggestion), here or in another session meanwhile; a re-evaluation left so would hide
    the result it re-evaluates. Returns what to tell the person, or None when it is kept."""
    if session.started is None:
        return None

    def discard_if_empty(ev: Evaluation) -> bool:
        if ev.status != "in_progress" or ev.answers or ev.suggestions:
            return False
        flow.discard(ev)
        return True

    _, dropped, _ = session.call(session.store.update(
        session.started.id, discard_if_empty, by=session.user, action="discard (left before the first answer)"))
    if not dropped:
        return None
    if session.started_from is not None:
        return (f"Nothing was answered, so the re-evaluation was not kept; the result of {session.started_from} "
                f"stands. Run `{session.run_again()}` again to re-evaluate.")
    return f"Nothing was answered, so the evaluation was not kept; run `{session.run_again()}` again to start it."
