"""`ftcheck run` in the terminal: pick the project and evaluation, read a description, walk, clean up."""

from __future__ import annotations

import asyncio
import signal
import sys
from dataclasses import dataclass
from typing import TextIO

from bot.services import make_redis
from bot.store_location import StoreLocation
from bot.terminal.console import Console, LineReader, offer_description, read_paste, short_description_warning
from bot.terminal.session import TEAM, Session, Stop, open_or_start, unloaded
from bot.terminal.walk import Walk
from bot.terminal.words import is_reply, shorten
from conversations.engine import scorecard_of
from conversations.models import Evaluation
from conversations.queries import suggestion_refs
from conversations.store import StoreUnavailable
from scoring.checklist import Registry, UnknownChecklist
from scoring.suggest import DescriptionTooLong, Suggester, render_report_text
from scoring.suggest.pipeline import profile_for

SAVED = "saved — run `make run` again to continue"
NOTHING_STARTED = "Stopped before a project was chosen; nothing was started."
INTERRUPTED = 130  # the shell's code for a program stopped by SIGINT
CONNECT_SLACK = ("To run this in Slack: create an app from deploy/slack-manifest-socket.yaml (Socket Mode) or "
                 "deploy/slack-manifest-http.yaml (HTTP), then set SLACK_BOT_TOKEN and SLACK_APP_TOKEN (or "
                 "SLACK_SIGNING_SECRET) and run `make run` again. The README walks through it.")


@dataclass(frozen=True)
class RunOptions:
    project: str | None = None
    checklist_id: str | None = None
    brief: str | None = None  # description text (from --brief FILE)
    brief_stdin: bool = False  # --brief -: the description comes first on stdin, ended by a "." line
    description_min_chars: int = 400
    redis_timeout_s: float = 2.0


def run_terminal(location: StoreLocation, registry: Registry, suggester: Suggester, options: RunOptions,
                 stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    """Run the walk-through; returns the exit code (130 after Ctrl-C). Stops the embedded Redis in every case."""
    console = Console(out or sys.stdout)
    reader = LineReader(stdin or sys.stdin, console)
    console.say(f"Answers are kept in: {location.label}")
    runner = asyncio.Runner()
    session = Session(runner, make_redis(location.url, options.redis_timeout_s), registry, suggester, console,
                      reader, options.description_min_chars)
    interrupted = False
    outage: StoreUnavailable | None = None
    broken: UnknownChecklist | None = None
    try:
        walk_through(session, options)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        interrupted = True
    except StoreUnavailable as exc:
        outage = exc
    except UnknownChecklist as exc:  # the evaluation resumed uses a team checklist whose file went bad or away
        broken = exc
    finally:
        try:
            session.close()
        finally:
            runner.close()
            location.stop()
    if interrupted:
        console.say(f"\n{SAVED if session.project else NOTHING_STARTED}")
        return INTERRUPTED
    if outage is not None:
        console.say(outage_text(location, outage))
        return 1
    if broken is not None:
        console.say(f"\nThis evaluation uses {unloaded(broken)}. Its answers so far are saved. Fix the file "
                    "and run again (`ftcheck checklists` lists what loads and what was skipped), or pass --checklist "
                    "with another checklist's id to start that one.")
        return 1
    return 0


def outage_text(location: StoreLocation, exc: StoreUnavailable) -> str:
    last = " (the last one may not have been)" if exc.recorded == "unknown" else ""
    refused = exc.reason == "refused"
    check = ("that this Redis is a primary that can write to its disk" if refused else "that this Redis is running")
    return (f"\nThe store {'turned the write down' if refused else 'did not answer'}: {location.label}: "
            f"{str(exc).rstrip('.')}. Answers given before this are saved{last}. Check {check} (or unset REDIS_URL "
            "to use the embedded one) and run `make run` again.")


def walk_through(session: Session, options: RunOptions) -> None:
    walk: Walk | None = None
    try:
        session.project = options.project or ask_project(session)
        ev = open_or_start(session, session.project, options.checklist_id)
        brief = read_paste(session.reader) if options.brief_stdin else options.brief
        walk = Walk(session, use_description(session, ev, brief))
        ev = walk.run()
    except Stop as stop:
        reason = stop.args[0] if stop.args else "eof"
        if reason == "no project":
            session.console.say("No project name given; nothing was started.")
        elif reason == "quit":
            session.console.say(SAVED)
        else:
            session.console.say("\nEnd of input — your answers are saved; run again to continue.")
            if walk is not None:
                show_card(session, walk.ev)
        return
    finish(session, ev, walk.left_open)


def ask_project(session: Session) -> str:
    if not session.reader.interactive:
        return "my project"
    names = sorted({ev.project for ev in session.call(session.store.team_evaluations(TEAM))})
    if names:
        session.console.say("Projects in this store: " + ", ".join(shorten(name, 40) for name in names))
    line = session.reader.line("Project name: ")
    if line is None:
        raise Stop("no project")
    return line.strip() or "my project"


def use_description(session: Session, ev: Evaluation, brief: str | None) -> Evaluation:
    """Suggestions from a description: from --brief, or offered on a terminal before the first answer."""
    checklist = session.checklist(ev)
    supported = profile_for(checklist) is not None
    if brief is None:
        if not (session.reader.interactive and supported and not ev.answers and not ev.suggestions):
            return ev
        brief = offer_description(session.reader, session.console, lambda line: is_reply(line, checklist))
    if not brief.strip():
        return ev
    say = session.console.say
    if not supported:
        say(f"The “{checklist.title}” checklist takes no suggestions from a description; it is not used.")
        return ev
    warning = short_description_warning(brief.strip(), session.description_min_chars)
    if warning:
        say(warning)
    try:
        report = session.call(session.suggester.suggest(brief, checklist))
    except (DescriptionTooLong, ValueError) as exc:
        say(f"Description not used: {exc}")
        return ev
    say(render_report_text(report, checklist).rstrip("\n"))
    ev, _ = session.call(session.engine.suggest(ev.id, suggestion_refs(report, checklist), user=session.user))
    return ev


def show_card(session: Session, ev: Evaluation) -> None:
    session.presenter.show(ev, scorecard_of(ev, session.checklist(ev)))


def finish(session: Session, ev: Evaluation, left_open: set[str]) -> None:
    say = session.console.say
    if ev.status == "completed":
        say(f"\nSaved. `ftcheck export \"{ev.project}\" --format md` writes the decision record; "
            f"`ftcheck history \"{ev.project}\"` shows the project over time.")
        say(CONNECT_SLACK)
        return
    checklist = session.checklist(ev)
    keys = ", ".join(checklist.question(q).key for q in sorted(left_open, key=lambda q: checklist.question(q).number))
    answered = any(ev.value(q.id) is not None for q in checklist.questions)
    kept = "Your answers are saved" if answered else "Nothing is answered yet; your skips are saved"
    if keys:
        say(f"\nStill open: {keys}. {kept}; run `make run` again to answer {'it' if len(left_open) == 1 else 'them'}.")
    else:
        say(f"\n{kept}; run `make run` again to continue.")
    show_card(session, ev)
