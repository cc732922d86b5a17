"""Every setting ftcheck reads, from the environment and ``.env`` (pydantic-settings).

The README's configuration table is generated from this class's field descriptions
(``ftcheck settings``), so the two cannot drift apart.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Literal, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import platformdirs
from dotenv import dotenv_values
from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from redis.exceptions import AuthenticationError, InvalidResponse

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# What bot.services.make_redis connects to: redis-py's own schemes, and a Redis Cluster with +cluster.
REDIS_SCHEMES = ("redis", "rediss", "unix", "redis+cluster", "rediss+cluster")
REDIS_URL_EXAMPLE = "redis://localhost:6379/0"


def redis_url_problem(url: str) -> str | None:
    """Why ``url`` can't be REDIS_URL, in one line naming the variable, the schemes and an example; None when it can.

    redis-py's own error (``Redis URL must specify one of the following schemes``) comes from deep inside the
    first connection, without naming the setting, and leaves the cluster schemes out."""
    scheme, sep, _ = url.partition("://")
    if not sep or scheme.lower() not in REDIS_SCHEMES:
        # the value is not echoed: without a scheme it may still hold a password (user:pw@host, ?password=…)
        shown = f" (it starts with {scheme!r}://)" if sep and scheme.isalnum() else ""
        return (f"REDIS_URL is not a Redis URL{shown}: it must start with {', '.join(f'{s}://' for s in REDIS_SCHEMES)}"
                f" (e.g. {REDIS_URL_EXAMPLE})")
    parts = urlsplit(url)
    if scheme.lower() == "unix":
        return None if parts.path else "REDIS_URL names no socket file: use unix:///path/to/redis.sock"
    try:
        parts.port  # noqa: B018 -- raises on a port that is not a number (or out of range)
    except ValueError:
        return f"REDIS_URL has a port that is not a number from 1 to 65535: use host:port (e.g. {REDIS_URL_EXAMPLE})"
    return None


def http_url_problem(url: str, example: str) -> str | None:
    """Why ``url`` can't be a Web API base URL (SLACK_API_URL, OPENAI_BASE_URL), in one line with an example; None
    when it can. Without a scheme aiohttp and httpx fail only at the first call, deep in a traceback."""
    scheme, sep, _ = url.strip().partition("://")
    if not sep or scheme.lower() not in ("https", "http"):
        # the value is not echoed: a URL may carry credentials (user:pw@host)
        shown = f" (it starts with {scheme!r}://)" if sep and scheme.isalnum() else ""
        return f"not a web URL{shown}: it must start with https:// (or http:// for a local stand-in), e.g. {example}"
    parts = urlsplit(url.strip())
    try:
        parts.port  # noqa: B018 -- raises on a port that is not a number (or out of range)
    except ValueError:
        return f"its port is not a number from 1 to 65535: use https://host[:port]/path, e.g. {example}"
    if not parts.hostname:
        return f"it names no host: use https://host[:port]/path, e.g. {example}"
    return None


def redis_host(url: str) -> str:
    """Where a Redis URL points, for a log line: ``host:port`` (or the socket file), never the password."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "unix":
        return parts.path
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.hostname or ''}:{port or 6379}"


def redis_has_password(url: str) -> bool:
    """Whether a Redis URL carries a password (``redis://:pw@…``, ``redis://user:pw@…`` or ``?password=``)."""
    parts = urlsplit(url)
    return bool(parts.password) or any(k.lower() == "password" and v for k, v in parse_qsl(parts.query))


def refused_credentials(exc: BaseException) -> bool:
    """Redis turned down REDIS_URL's password (``NOAUTH``, ``WRONGPASS``): redis-py raises AuthenticationError,
    which conversations.store wraps in a StoreUnavailable."""
    return isinstance(exc, AuthenticationError) or isinstance(exc.__cause__, AuthenticationError)


def speaks_no_redis(exc: BaseException) -> bool:
    """What answered is not Redis (an HTTP server, another service on that port): redis-py raises InvalidResponse
    on a reply that is not RESP, which conversations.store wraps in a StoreUnavailable."""
    return isinstance(exc, InvalidResponse) or isinstance(exc.__cause__, InvalidResponse)


def not_redis_problem(where: str) -> str:
    """The one wording of REDIS_URL naming a server that does not speak Redis, with the fix."""
    return (f"REDIS_URL points at {where}, where something that does not speak Redis answers (another service, "
            "e.g. a web server, on that port): check the host and port in REDIS_URL (Redis's default port is 6379)")


def credentials_problem(where: str, has_password: bool) -> str:
    """The one line a server stops with when Redis refuses REDIS_URL's credentials: no retry can help."""
    why = ("WRONGPASS: the user name or password in REDIS_URL is wrong" if has_password
           else "NOAUTH: Redis requires a password and REDIS_URL has none")
    return (f"Redis at {where} refused REDIS_URL's credentials ({why}): use redis://:PASSWORD@host:6379/0 with "
            "Redis's password (requirepass; percent-encode any @ : / in it), or redis://USER:PASSWORD@host:6379/0 "
            "for an ACL user.")


def parse_duration(text: str) -> timedelta:
    """``90d``, ``2w``, ``12h``, ``30m``, ``30s`` -> timedelta; a clear error otherwise."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration; use a number and a unit: 30s, 15m, 12h, 90d or 2w")
    amount, unit = match.groups()
    return timedelta(**{_UNITS[unit]: int(amount)})


class Settings(BaseSettings):
    # Only the documented names (validation_alias) are read: populate_by_name would also take TIMEZONE, LEADS or
    # LOG_LEVEL from a platform's environment, silently, with `ftcheck settings` calling them defaults.
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: str | None = Field(None, validation_alias="SLACK_BOT_TOKEN",
                                        description="Bot token (xoxb-…). Without it `ftcheck run` uses the terminal.")
    slack_signing_secret: str | None = Field(None, validation_alias="SLACK_SIGNING_SECRET",
                                             description="Signing secret; required in HTTP mode.")
    slack_app_token: str | None = Field(None, validation_alias="SLACK_APP_TOKEN",
                                        description="App-level token (xapp-…) with connections:write: Socket Mode.")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL",
                               description="Web API base URL; point it at a local stand-in for tests.")
    posts_per_second: float = Field(1.0, gt=0, validation_alias="FTCHECK_POSTS_PER_SECOND",
                                    description="New messages per channel per second (Slack allows about 1).")
    redis_url: str | None = Field(None, validation_alias="REDIS_URL",
                                  description="Redis URL. Unset: an embedded Redis (terminal only; Slack modes "
                                              "require a real one), or 127.0.0.1:6379 with "
                                              "FTCHECK_PROBE_LOCAL_REDIS.")
    probe_local_redis: bool = Field(False, validation_alias="FTCHECK_PROBE_LOCAL_REDIS",
                                    description="Without REDIS_URL, use 127.0.0.1:6379 if it answers (off: a "
                                                "server you did not name never gets your data).")
    redis_timeout_s: float = Field(2.0, gt=0, validation_alias="FTCHECK_REDIS_TIMEOUT",
                                   description="Seconds before a Redis call counts as an outage.")
    openai_api_key: str | None = Field(None, validation_alias="OPENAI_API_KEY",
                                       description="Enables the LLM suggester; unset = offline suggester.")
    openai_base_url: str | None = Field(None, validation_alias="OPENAI_BASE_URL",
                                        description="Any OpenAI-compatible server (default OpenAI's).")
    openai_model: str = Field("gpt-4o-mini", validation_alias="OPENAI_MODEL", description="Chat model for suggestions.")
    openai_timeout_s: float = Field(20.0, gt=0, validation_alias="FTCHECK_LLM_TIMEOUT",
                                    description="Seconds one LLM request may take. The whole suggestion, retries "
                                    "included, stops after 30 s or this value if longer; then the built-in reader "
                                    "answers.")
    openai_max_retries: int = Field(2, ge=0, validation_alias="FTCHECK_LLM_RETRIES",
                                    description="Retries (with backoff) on 429/5xx/timeouts.")
    ai_readings_per_hour: int = Field(10, ge=0, validation_alias="FTCHECK_AI_READINGS_PER_HOUR",
                                      description="Descriptions the AI helper reads for one member in an hour "
                                                  "(counted from their first); past that the built-in reader "
                                                  "reads theirs until the hour is up. 0 = no limit.")
    price_input_per_1m: float = Field(0.15, validation_alias="FTCHECK_PRICE_INPUT_PER_1M",
                                      description="USD per 1M prompt tokens, for cost estimates.")
    price_output_per_1m: float = Field(0.60, validation_alias="FTCHECK_PRICE_OUTPUT_PER_1M",
                                       description="USD per 1M completion tokens, for cost estimates.")
    checklist_dir: Path | None = Field(None, validation_alias="FTCHECK_CHECKLIST_DIR",
                                       description="Directory of a team's own checklist files (YAML/JSON); a bad file "
                                                   "is skipped with a warning, a missing directory stops startup.")
    description_min_chars: int = Field(400, ge=1, validation_alias="FTCHECK_DESCRIPTION_MIN_CHARS",
                                       description="A thread message at least this long, that the built-in "
                                                   "reader finds answering at least two checklist questions, is "
                                                   "read as a project description (a discussion reply is not).")
    reevaluate_after: str | None = Field(None, validation_alias="FTCHECK_REEVALUATE_AFTER",
                                         description="Re-evaluation reminder after completion, for every checklist: "
                                                     "90d, 2w, 30s … Unset: each checklist's own cadence (quarterly "
                                                     "for readiness, monthly for the deployment gate; 90 days for "
                                                     "one that names none). Days count on the team's clock, and every "
                                                     "due time is moved into working hours, so the date the bot "
                                                     "shows is the day the reminder comes.")
    idle_nudge_after: str = Field("2d", validation_alias="FTCHECK_IDLE_NUDGE_AFTER",
                                  description="One nudge when an evaluation gets no answer for this long: it "
                                              "names the project and the question and mentions who is awaited "
                                              "(the starter; in a vote, who has not voted).")
    abandon_after: str = Field("30d", validation_alias="FTCHECK_ABANDON_AFTER",
                               description="An evaluation with no answer for this long is closed, with a note in "
                                           "its thread (never sooner than this minus FTCHECK_IDLE_NUDGE_AFTER "
                                           "after its nudge, e.g. after downtime).")
    timezone: str = Field("UTC", validation_alias="FTCHECK_TIMEZONE",
                          description="The team's time zone: working hours, and the day of every date the bot "
                                      "shows (last evaluated, next reminder, snoozed until).")
    working_hours: str = Field("Mon-Fri 09:00-17:00", validation_alias="FTCHECK_WORKING_HOURS",
                               description="When reminders may be posted: days Mon–Sun, times 00:00–23:59; "
                                           "`always` disables the window.")
    leads: str = Field("", validation_alias="FTCHECK_LEADS",
                       description="Comma-separated Slack user ids who may delete evaluations and change reminders.")
    tick_s: float = Field(30.0, gt=0, validation_alias="FTCHECK_TICK_SECONDS",
                          description="How often each replica claims due reminders and idle nudges.")
    outbox_tick_s: float = Field(0.5, gt=0, validation_alias="FTCHECK_OUTBOX_TICK_SECONDS",
                                 description="How often each replica delivers messages left owed by a fault.")
    root_redraw_s: float = Field(3.0, ge=0, validation_alias="FTCHECK_ROOT_REDRAW_SECONDS",
                                 description="While an evaluation is in progress, each replica redraws its first "
                                             "message (the progress) at most this often; the newest state is "
                                             "drawn when the interval is up. 0 redraws after every answer.")
    data_dir: Path | None = Field(None, validation_alias="FTCHECK_DATA_DIR",
                                  description="Where the embedded Redis keeps its file (default: user data dir).")
    log_level: str = Field("INFO", validation_alias="FTCHECK_LOG_LEVEL",
                           description="DEBUG, INFO, WARNING, ERROR or CRITICAL.")
    log_json: bool = Field(False, validation_alias=AliasChoices("FTCHECK_LOG_JSON"),
                           description="Log JSON lines instead of console text.")

    @property
    def zone(self) -> ZoneInfo:
        """``FTCHECK_TIMEZONE``: the zone of working hours, and of every date the bot shows."""
        return ZoneInfo(self.timezone)

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        problem = redis_url_problem(value) if value else None  # REDIS_URL= (empty) is unset
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slack_api_url(cls, value: str) -> str:
        problem = http_url_problem(value, "https://slack.com/api/")
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("openai_base_url")
    @classmethod
    def _openai_base_url(cls, value: str | None) -> str | None:
        problem = http_url_problem(value, "https://api.openai.com/v1") if value else None  # empty is unset
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.strip().upper() not in LOG_LEVELS:
            raise ValueError(f"{value!r} is not a log level; use one of {', '.join(LOG_LEVELS)}")
        return value.strip().upper()

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        from conversations.reminders import WorkingHours

        WorkingHours.parse(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone; use an IANA name like Europe/Berlin or UTC") from None
        return value

    @field_validator("reevaluate_after", "idle_nudge_after", "abandon_after")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value:  # FTCHECK_REEVALUATE_AFTER= (empty) is unset
            parse_duration(value)
        return value

    @property
    def reevaluate_delta(self) -> timedelta | None:
        """None: each checklist's own cadence (``conversations.reminders.default_cadence``)."""
        return parse_duration(self.reevaluate_after) if self.reevaluate_after else None

    @property
    def idle_delta(self) -> timedelta:
        return parse_duration(self.idle_nudge_after)

    @property
    def abandon_delta(self) -> timedelta:
        return parse_duration(self.abandon_after)

    @property
    def lead_ids(self) -> set[str]:
        return {u.strip() for u in self.leads.split(",") if u.strip()}

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token)


SECRET_WORDS = ("token", "secret", "api_key")
ENV_FILE = ".env"


class InForce(NamedTuple):
    variable: str
    value: str  # as shown: secrets hidden
    source: Literal["environment", ".env", "default"]


def env_name(name: str) -> str:
    alias = Settings.model_fields[name].validation_alias
    return alias if isinstance(alias, str) else getattr(alias, "choices", [name.upper()])[0]


def hide_password(url: str) -> str:
    """A URL with its password replaced by ***, for printing: in the userinfo, or a ``password`` query parameter
    (redis-py reads ``?password=`` too)."""
    parts = urlsplit(url)
    if parts.password is not None:
        netloc = f"{parts.username or ''}:***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        parts = parts._replace(query=urlencode([(k, "***" if k.lower() == "password" else v) for k, v in pairs],
                                               safe="*"))
    return urlunsplit(parts)


def _shown(name: str, value: object) -> str:
    if value is None and name == "data_dir":
        return f"(not set: {platformdirs.user_data_dir('ftcheck')})"
    if value is None or value == "":
        return "(not set)"
    if any(word in name for word in SECRET_WORDS):
        return "set (hidden)"
    if name.endswith("_url"):  # REDIS_URL, and a proxy's or gateway's user:password in SLACK_API_URL, OPENAI_BASE_URL
        return hide_password(str(value))
    return str(value).lower() if isinstance(value, bool) else str(value)


class UnknownName(NamedTuple):
    variable: str  # as set: FTCHECK_TIMEZON
    closest: str | None  # the known name it most resembles: FTCHECK_TIMEZONE


def unknown_names(environ: Mapping[str, str] | None = None, env_file: str = ENV_FILE) -> list[UnknownName]:
    """FTCHECK_* names in the environment or ``.env`` that are no setting (a misspelling is otherwise ignored
    without a word: pydantic-settings reads only the names it knows), each with the known name closest to it."""
    known = [env_name(name) for name in Settings.model_fields]
    names = {k.upper() for k in (os.environ if environ is None else environ)}
    if Path(env_file).is_file():
        names |= {k.upper() for k in dotenv_values(env_file)}
    odd = sorted(n for n in names if n.startswith(PREFIX) and n not in known)
    return [UnknownName(n, _closest(n, known)) for n in odd]


PREFIX = "FTCHECK_"


def _closest(name: str, known: list[str]) -> str | None:
    """The known name most like ``name``, comparing what follows FTCHECK_ (most names share the prefix)."""
    tails = {k.removeprefix(PREFIX): k for k in known}  # FTCHECK_REDIS_URL: REDIS_URL
    match = difflib.get_close_matches(name.removeprefix(PREFIX), list(tails), n=1, cutoff=0.6)
    return tails[match[0]] if match else None


def unknown_name_problem(unknown: UnknownName) -> str:
    """``FTCHECK_TIMEZON is not a setting, so it is ignored: did you mean FTCHECK_TIMEZONE? …``"""
    guess = f"did you mean {unknown.closest}?" if unknown.closest else "check its spelling;"
    return f"{unknown.variable} is not a setting, so it is ignored: {guess} `ftcheck settings` lists every setting"


def in_force(settings: Settings, env_file: str = ENV_FILE) -> list[InForce]:
    """Every setting's value as this process sees it, and whether it came from the environment, .env or the
    default (the environment wins over .env, as in pydantic-settings)."""
    environ = {k.upper() for k in os.environ}
    from_file = {k.upper() for k, v in dotenv_values(env_file).items() if v is not None} \
        if Path(env_file).is_file() else set()
    rows = []
    for name in Settings.model_fields:
        env = env_name(name)
        source: Literal["environment", ".env", "default"] = (
            "environment" if env.upper() in environ else ".env" if env.upper() in from_file else "default")
        rows.append(InForce(env, _shown(name, getattr(settings, name)), source))
    return rows
