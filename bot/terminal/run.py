"""`ftcheck run` in the terminal: pick the project and evaluation, read a description, walk, clean up."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, tzinfo
from types import FrameType, TracebackType
from typing import Any, TextIO

from bot.commands import NAME_MAX
from bot.services import make_redis
from bot.settings import (
    credentials_problem,
    not_redis_problem,
    redis_has_password,
    redis_host,
    refused_credentials,
    speaks_no_redis,
)
from bot.store_location import StoreLocation
from bot.terminal.console import Console, LineReader, offer_description, read_paste, short_description_warning
from bot.terminal.invocation import ftcheck_command, run_again, shell_word
from bot.terminal.session import TEAM, TEAM_VOTE_IN_SLACK, Session, Stop, drop_if_empty, open_or_start, unloaded
from bot.terminal.walk import Walk
from bot.terminal.words import is_reply, shorten
from conversations.engine import scorecard_of
from conversations.models import Evaluation
from conversations.queries import suggestion_refs
from conversations.store import StoreUnavailable
from scoring.checklist import Registry, UnknownChecklist
from scoring.suggest import DescriptionTooLong, Suggester, render_report_text
from scoring.suggest.pipeline import profile_for

NOTHING_STARTED = "Stopped before a project was chosen; nothing was started."
INTERRUPTED = 130  # the shell's code for a program stopped by SIGINT
CONNECT_SLACK = ("To run this in Slack: create an app from deploy/slack-manifest-socket.yaml (Socket Mode) or "
                 "deploy/slack-manifest-http.yaml (HTTP), then set SLACK_BOT_TOKEN and SLACK_APP_TOKEN (or "
                 "SLACK_SIGNING_SECRET) and run `make run` again. The README walks through it.")


def saved(again: str) -> str:
    """``again``: how to continue (:meth:`Session.run_again`)."""
    return f"saved — run `{again}` again to continue"


def team_vote_refused() -> str:
    """What `ftcheck run --vote` (or ``--quorum N``) says: the terminal has one person at the keyboard."""
    return (f"--vote and --quorum start a team vote, which the terminal does not run: it records one person's "
            f"answers. {TEAM_VOTE_IN_SLACK} To answer here, run `{ftcheck_command()} run` without them.")


@dataclass(frozen=True)
class RunOptions:
    project: str | None = None
    checklist_id: str | None = None
    fresh: bool = False  # --fresh: a new evaluation is not pre-filled with the project's last result
    brief: str | None = None  # description text (from --brief FILE)
    brief_stdin: bool = False  # --brief -: the description comes first on stdin, ended by a "." line
    description_min_chars: int = 400
    redis_timeout_s: float = 2.0
    timezone: tzinfo = UTC  # FTCHECK_TIMEZONE: the zone of the dates shown


class StopSignals:
    """SIGHUP (the terminal window closed) and SIGTERM stop the run the way Ctrl-C does: they are passed on as SIGINT,
    so a prompt raises KeyboardInterrupt and an engine call is cancelled by the event loop's own Ctrl-C handling;
    the embedded Redis is then stopped and everything recorded stays saved. ``received``: the signal, if one came."""

    STOPPING = (signal.SIGHUP, signal.SIGTERM)

    def __init__(self) -> None:
        self.received: int | None = None
        self._before: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            self._before = {n: signal.getsignal(n) for n in (signal.SIGINT, *self.STOPPING)}
            for signum in self.STOPPING:
                signal.signal(signum, self._stop)
        return self

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        if self.received is not None:
            return
        self.received = signum
        if not callable(signal.getsignal(signal.SIGINT)):  # ignored (started in the background): stop all the same
            raise KeyboardInterrupt
        signal.raise_signal(signal.SIGINT)

    def calm(self) -> None:
        """From here on (the clean-up) a second Ctrl-C, a hang-up or SIGTERM can't cut it short."""
        if self._before:
            for signum in (signal.SIGINT, *self.STOPPING):
                signal.signal(signum, signal.SIG_IGN)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for signum, handler in self._before.items():
            signal.signal(signum, handler)


@dataclass
class Ending:
    interrupted: bool = False  # Ctrl-C, a hang-up or SIGTERM
    dropped: str | None = None  # what to say when the evaluation this run started was left empty, and not kept
    outage: StoreUnavailable | None = None
    broken: UnknownChecklist | None = None
    refused: str | None = None  # --project over Slack's limit, for a project this store does not have yet


def run_terminal(location: StoreLocation, registry: Registry, suggester: Suggester, options: RunOptions,
                 stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    """Run the walk-through; returns the exit code (130 after Ctrl-C, 128+n after SIGHUP or SIGTERM). Stops the
    embedded Redis in every case."""
    console = Console(out or sys.stdout)
    reader = LineReader(stdin or sys.stdin, console)
    console.say(f"Answers are kept in: {location.label}")
    runner = asyncio.Runner()
    session = Session(runner, make_redis(location.url, options.redis_timeout_s), registry, suggester, console,
                      reader, options.description_min_chars, tz=options.timezone)
    ending = Ending()
    with StopSignals() as signals:
        try:
            walk_through(session, options)
        except KeyboardInterrupt:
            signals.calm()
            ending.interrupted = True
            with contextlib.suppress(StoreUnavailable, KeyError):
                ending.dropped = drop_if_empty(session)
        except StoreUnavailable as exc:
            ending.outage = exc
        except UnknownChecklist as exc:  # the evaluation resumed uses a team checklist whose file went bad or away
            ending.broken = exc
        except NameRefused as exc:
            ending.refused = str(exc)
        except OSError:
            if signals.received != signal.SIGHUP:
                raise
            ending.interrupted = True  # the terminal is gone; what was recorded stays saved
        finally:
            signals.calm()
            try:
                session.close()
            finally:
                try:
                    runner.close()
                finally:  # the embedded Redis is stopped whatever closing the rest raised
                    location.stop()
        try:
            code = tell_ending(session, location, ending)
        except OSError:  # nobody to tell: the terminal hung up
            if signals.received != signal.SIGHUP:
                raise
            code = INTERRUPTED
    return 128 + signals.received if signals.received else code


def tell_ending(session: Session, location: StoreLocation, ending: Ending) -> int:
    console = session.console
    if ending.refused is not None:  # as the command line refuses a bad option: on stderr, exit code 2
        print(f"ftcheck: {ending.refused} Give a shorter --project.", file=sys.stderr, flush=True)
        return 2
    if ending.interrupted:
        console.say(f"\n{ending.dropped or (saved(session.run_again()) if session.project else NOTHING_STARTED)}")
        return INTERRUPTED
    if ending.outage is not None:
        console.say(outage_text(location, ending.outage, session.recorded, session.writing, session.run_again()))
        return 1
    if ending.broken is not None:
        console.say(f"\nThis evaluation uses {unloaded(ending.broken)}. Its answers so far are saved. Fix the file "
                    f"and run again (`{ftcheck_command()} checklists` lists what loads and what was skipped), or pass "
                    "--checklist with another checklist's id to start that one.")
        return 1
    return 0


def outage_text(location: StoreLocation, exc: StoreUnavailable, recorded: int = 0, writing: str | None = None,
                again: str | None = None) -> str:
    """What failed, what is recorded (this run's answers; the one on its way), and what to do, for this store;
    ``again``: how to continue (:meth:`Session.run_again`)."""
    kept = kept_text(exc, recorded, writing)
    again = again or run_again()
    where = redis_host(location.url)
    if refused_credentials(exc):  # no retry helps: the fix is REDIS_URL's, worded as `list` and `serve` word it
        problem = credentials_problem(where, redis_has_password(location.url))
        return f"\n{problem} {kept} Then run `{again}` again."
    if speaks_no_redis(exc):
        return (f"\nThe store did not answer as Redis does: {location.label}: {str(exc).rstrip('.')}. {kept} "
                f"{not_redis_problem(where)}; then run `{again}` again.")
    refused = exc.reason == "refused"
    return (f"\nThe store {'turned the write down' if refused else 'did not answer'}: {location.label}: "
            f"{str(exc).rstrip('.')}. {kept} {fix_text(location, refused, again)}")


def kept_text(exc: StoreUnavailable, recorded: int, writing: str | None) -> str:
    if recorded == 0:
        done = "No answer was recorded in this run." if writing else "Nothing was answered in this run."
    elif recorded == 1:
        done = "The answer you gave earlier in this run is recorded."
    else:
        done = f"The {recorded} answers you gave earlier in this run are recorded."
    if writing is None:
        return done
    if exc.recorded == "unknown":
        return f"{done} The {writing} just given may or may not have been recorded; `list` shows it when you run again."
    return f"{done} The {writing} just given was not recorded; give it again."


def fix_text(location: StoreLocation, refused: bool, again: str | None = None) -> str:
    again = again or run_again()
    if location.source == "embedded" and location.embedded is not None:
        if refused:
            return f"Check that {location.embedded.directory} has room and can be written, and run `{again}` again."
        return f"Run `{again}` again: it starts the embedded Redis anew if it stopped."
    check = "that this Redis is a primary that can write to its disk" if refused else "that this Redis is running"
    other = {"REDIS_URL": " (or unset REDIS_URL to use the embedded one)",
             "FTCHECK_PROBE_LOCAL_REDIS": " (or unset FTCHECK_PROBE_LOCAL_REDIS to use the embedded one)"}
    return f"Check {check}{other.get(location.source or '', '')} and run `{again}` again."


def walk_through(session: Session, options: RunOptions) -> None:
    walk: Walk | None = None
    try:
        session.project, session.checklist_id = options.project or ask_project(session), options.checklist_id
        if options.project is not None:
            refuse_new_long_name(session, options.project)
        ev = open_or_start(session, session.project, options.checklist_id, fresh=options.fresh)
        brief = read_paste(session.reader) if options.brief_stdin else options.brief
        walk = Walk(session, use_description(session, ev, brief))
        ev = walk.run()
    except Stop as stop:
        reason = stop.args[0] if stop.args else "eof"
        dropped = None if reason == "no project" else drop_if_empty(session)
        if reason == "no project":
            session.console.say("No project name given; nothing was started.")
        elif dropped is not None:
            session.console.say(dropped)
        elif reason == "quit":
            session.console.say(saved(session.run_again()))
        else:
            if walk is not None:  # the how-to-continue line last, under the scorecard's some 70 lines
                show_card(session, walk.ev)
            session.console.say(f"\nEnd of input — your answers are saved; run `{session.run_again()}` again to "
                                "continue.")
        return
    finish(session, ev, walk.left_open)


DEFAULT_PROJECT = "my project"


def ask_project(session: Session) -> str:
    """The project to evaluate; Enter takes ``my project``, which the prompt shows (the usual ``[default]``), so a
    first try starts at once and nobody is surprised by the name later."""
    if not session.reader.interactive:
        return DEFAULT_PROJECT
    names = sorted({ev.project for ev in session.call(session.store.team_evaluations(TEAM))})
    if names:
        session.console.say("Projects in this store: " + ", ".join(shorten(name, 40) for name in names))
    while True:
        line = session.reader.line(f"Project name [{DEFAULT_PROJECT}]: ")
        if line is None:
            raise Stop("no project")
        name = line.strip() or DEFAULT_PROJECT
        problem = name_too_long(name)
        if problem is None:
            return name
        session.console.say(f"  {problem} Type a shorter name.")


class NameRefused(Exception):
    """--project names a new project over Slack's limit (:func:`name_too_long`): nothing was started."""


def refuse_new_long_name(session: Session, name: str) -> None:
    """Raise NameRefused for a name over Slack's limit, unless this store has the project already: one named before
    the limit was kept here can still be continued."""
    problem = name_too_long(name)
    if problem and all(ev.project != name for ev in session.call(session.store.team_evaluations(TEAM))):
        raise NameRefused(problem)


def name_too_long(name: str) -> str | None:
    """What `/ftcheck start` says of a name over Slack's limit (``bot.commands.NAME_MAX``), so a project started
    here can be named in Slack too; None when ``name`` is within it."""
    if len(name) <= NAME_MAX:
        return None
    return f"Project names are limited to {NAME_MAX} characters (this one has {len(name)})."


def use_description(session: Session, ev: Evaluation, brief: str | None) -> Evaluation:
    """Suggestions from a description: from --brief, or offered on a terminal before the first answer."""
    checklist = session.checklist(ev)
    supported = profile_for(checklist) is not None
    if brief is None:
        if not (session.reader.interactive and supported and not ev.answers and not ev.suggestions):
            return ev
        brief = offer_description(session.reader, session.console, lambda line: is_reply(line, checklist),
                                  session.description_min_chars)
    if not brief.strip():
        return ev
    say = session.console.say
    if not supported:
        say(f"The “{checklist.title}” checklist takes no suggestions from a description; it is not used.")
        return ev
    warning = short_description_warning(brief.strip(), session.description_min_chars)
    if warning:
        say(warning)
    deadline = getattr(session.suggester, "deadline_s", None)  # the AI helper's; the built-in reader takes no time
    if isinstance(deadline, int | float):
        say(f"Reading the description with the AI helper (up to {deadline:.0f} s; Ctrl-C stops)…")
    try:
        report = session.call(session.suggester.suggest(brief, checklist))
    except (DescriptionTooLong, ValueError) as exc:
        say(f"Description not used: {exc}")
        return ev
    session.console.show(lambda width: render_report_text(report, checklist, width).rstrip("\n"))
    ev, _ = session.call(session.engine.suggest(ev.id, suggestion_refs(report, checklist), user=session.user))
    return ev


def show_card(session: Session, ev: Evaluation) -> None:
    session.presenter.show(ev, scorecard_of(ev, session.checklist(ev)))


def finish(session: Session, ev: Evaluation, left_open: set[str]) -> None:
    say = session.console.say
    if ev.status not in ("completed", "in_progress"):  # deleted or closed meanwhile: its notice said so
        return
    if ev.status == "completed":
        ftcheck = ftcheck_command()
        say(f"\nSaved. `{ftcheck} export {shell_word(ev.project)} --format md` writes the decision record; "
            f"`{ftcheck} history {shell_word(ev.project)}` shows the project over time.")
        say(CONNECT_SLACK)
        return
    checklist = session.checklist(ev)
    keys = ", ".join(checklist.question(q).key for q in sorted(left_open, key=lambda q: checklist.question(q).number))
    answered = any(ev.value(q.id) is not None for q in checklist.questions)
    kept = "Your answers are saved" if answered else "Nothing is answered yet; your skips are saved"
    show_card(session, ev)  # first: how to continue is the last thing on the screen, not scrolled away above it
    if keys:
        them = "it" if len(left_open) == 1 else "them"
        say(f"\nStill open: {keys}. {kept}; run `{session.run_again()}` again to answer {them}.")
    else:
        say(f"\n{kept}; run `{session.run_again()}` again to continue.")
