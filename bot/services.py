"""Everything a listener needs, built once per process from the settings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast
from urllib.parse import unquote, urlsplit

import redis.asyncio as aioredis
import structlog
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.driver_info import DriverInfo
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from slack_sdk.web.async_client import AsyncWebClient

from bot.presenter import SlackPresenter
from bot.settings import REDIS_URL_EXAMPLE, Settings, redis_url_problem
from conversations.effects import LEASE_S
from conversations.engine import Engine
from conversations.store import Store
from scoring.checklist import ChecklistError, Registry
from scoring.suggest import SuggestConfig, Suggester, make_suggester

log = structlog.get_logger(__name__)

REDIS_POOL_SIZE = 500  # connections per process; Redis takes 10,000 clients by default
# Shared by every connection: without it redis-py reads its own package metadata for each new connection
# (a few ms of CPU each, paid again whenever the pool grows under load).
DRIVER_INFO = DriverInfo()
# How long what a delivery posted waits to ride on the evaluation's next write before it is written on its own.
# Slack paces a walk's cards about a second apart and the next click often lands while the previous delivery is
# still updating the card and the root, so the record usually rides on the click after that: the wait covers
# one pacing interval. A delivery ends with at least two thirds of the writer's outbox hold left (renewed every
# third of LEASE_S while in flight), so a record written on its own still lands inside that hold.
FOLD_S = LEASE_S / 2


class RedisUrlError(ValueError):
    """REDIS_URL can't be used as written (a setting to fix, not an outage): the message names it and the fix, never
    its password."""


def make_redis(url: str, timeout_s: float = 2.0) -> aioredis.Redis:
    """A pool that fails fast during an outage and reconnects by itself when Redis is back.

    ``redis+cluster://host:port`` (or ``rediss+cluster://``) connects to a Redis Cluster: every key of one
    evaluation shares a hash tag, so the compare-and-set script runs on one node. Lost connections and a
    cluster without a primary for a slot re-read the topology and retry twice; ``TRYAGAIN`` during a slot
    migration is retried by the store within the request budget (``conversations/redis_retry.py``).

    Raises RedisUrlError when the URL can't be used as written. Settings checks REDIS_URL's shape too: this also
    covers a URL from anywhere else, and what only redis-py reads (the database, the query options).
    """
    try:
        problem = redis_url_problem(url) or _database_problem(url)
    except ValueError as exc:  # urlsplit's own ("Invalid IPv6 URL")
        problem = f"REDIS_URL is not a valid URL ({exc}): use e.g. {REDIS_URL_EXAMPLE}"
    if problem:
        raise RedisUrlError(problem)
    try:
        return _client(url, timeout_s)
    except (TypeError, ValueError, RedisError, RedisClusterException) as exc:  # redis-py reading the URL's options
        raise RedisUrlError(_options_problem(exc)) from None


def _client(url: str, timeout_s: float) -> aioredis.Redis:
    retry = Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2)
    scheme, _, rest = url.partition("://")
    if scheme.lower().endswith("+cluster"):
        cluster = RedisCluster.from_url(f"{scheme[:-len('+cluster')]}://{rest}", socket_timeout=timeout_s,
                                        socket_connect_timeout=min(timeout_s, 1.0), retry=retry,
                                        health_check_interval=15)
        # RedisCluster takes the same commands (keys routed by slot); the store is typed for the plain client
        return cast(aioredis.Redis, cluster)
    # A blocking pool: under a burst a call waits (up to timeout_s) for a free connection; redis-py's default
    # pool fails at once with "Too many connections" past 100 calls in flight.
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=REDIS_POOL_SIZE,
        timeout=timeout_s,
        socket_timeout=timeout_s,
        socket_connect_timeout=min(timeout_s, 1.0),
        retry=retry,
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        health_check_interval=15,
        driver_info=DRIVER_INFO,
    )
    # a connection is built without I/O: an option redis-py can't take (?foo=, ?protocol=4) fails here, not at the
    # first command
    pool.connection_class(**pool.connection_kwargs)
    client: aioredis.Redis = aioredis.Redis.from_pool(pool)
    return client


def _database_problem(url: str) -> str | None:
    """A database that is not a number (``/abc``), which redis-py quietly reads as database 0."""
    parts = urlsplit(url)
    database = unquote(parts.path).strip("/")
    if parts.scheme.lower() == "unix" or not database or database.isdigit():
        return None
    return (f"REDIS_URL's database (the part after host:port/) is not a database number: end it with one, e.g. "
            f"{REDIS_URL_EXAMPLE} (percent-encode any / @ : in the password)")


def _options_problem(exc: BaseException) -> str:
    """REDIS_URL's query options or database as redis-py refused them, with the fix (the values are not echoed)."""
    unknown = re.search(r"unexpected keyword argument '(\w+)'", str(exc))
    said = f"?{unknown[1]}= is not an option Redis clients take" if unknown else str(exc).rstrip(".")
    return (f"REDIS_URL cannot be used as written ({said}): correct or remove that part of it, e.g. "
            f"{REDIS_URL_EXAMPLE} (redis+cluster://host:6379, with no database, for a Redis Cluster)")


def build_registry(settings: Settings) -> Registry:
    """The checklists the server offers. A team file that cannot be used is skipped with a warning naming the
    file and its problems, and the server runs on with the rest; a missing FTCHECK_CHECKLIST_DIR stops startup
    with one line naming it (a typo there would otherwise drop every team checklist without a word)."""
    try:
        registry = Registry(settings.checklist_dir)
    except ChecklistError as exc:
        named = "FTCHECK_CHECKLIST_DIR: " if exc.path == settings.checklist_dir else ""
        raise SystemExit(f"ftcheck: {named}{exc}") from None
    for problem in registry.problems:
        log.warning("checklist_file_skipped", file=str(problem.path), problems=problem.problems)
    for checklist in registry.all():
        if checklist.reevaluate_note:
            log.warning("checklist_cadence_not_understood", checklist=checklist.id, note=checklist.reevaluate_note)
    return registry


def suggest_config(settings: Settings) -> SuggestConfig:
    return SuggestConfig(api_key=settings.openai_api_key, base_url=settings.openai_base_url,
                         model=settings.openai_model, timeout_s=settings.openai_timeout_s,
                         max_retries=settings.openai_max_retries, price_input_per_1m=settings.price_input_per_1m,
                         price_output_per_1m=settings.price_output_per_1m)


def ai_helper_host(settings: Settings) -> str | None:
    """Where the AI helper sends descriptions (OPENAI_BASE_URL's host; OpenAI's without one), or None when it is off."""
    if not settings.openai_api_key:
        return None
    return urlsplit(settings.openai_base_url or "https://api.openai.com/v1").hostname or settings.openai_base_url


@dataclass
class Services:
    settings: Settings
    store: Store
    registry: Registry
    client: AsyncWebClient
    engine: Engine
    suggester: Suggester

    @classmethod
    def build(cls, settings: Settings, redis: aioredis.Redis, client: AsyncWebClient) -> Services:
        store = Store(redis, fold_s=FOLD_S)
        registry = build_registry(settings)
        presenter = SlackPresenter(client)
        engine = Engine(store, registry, presenter, recovery=presenter, root_every_s=settings.root_redraw_s)
        return cls(settings=settings, store=store, registry=registry, client=client, engine=engine,
                   suggester=make_suggester(suggest_config(settings)))
