"""Why Redis at REDIS_URL turned it down in a way no retry mends (a database it lacks, a cluster named as one
server, one server named as a cluster), in one line with the fix, for the CLI and start-up. Outages and refused
credentials are worded where they are met (``bot.settings.credentials_problem``, the commands' own replies)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.connection import parse_url
from redis.exceptions import MovedError, RedisClusterException, RedisError, ResponseError

from bot.services import make_redis
from bot.settings import redis_host


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from or while handling (redis-py and the store wrap Redis's reply)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is not None and id(current) not in seen:
            seen.add(id(current))
            yield current
            todo += [current.__cause__, current.__context__]


def redis_refusal(exc: BaseException, url: str) -> str | None:
    """The one line, with its fix, when Redis turned REDIS_URL down in a way no retry mends: a database it does not
    have, a Redis Cluster named as one server or one server named as a cluster. None for anything else: an outage, or
    refused credentials (``bot.settings.credentials_problem`` words those)."""
    where, scheme = redis_host(url), urlsplit(url).scheme.lower().removesuffix("+cluster")
    for error in _chain(exc):
        said = str(error)
        if isinstance(error, MovedError) or (isinstance(error, ResponseError) and "in cluster mode" in said):
            return _cluster_named_as_server(url)
        if isinstance(error, ResponseError) and "cluster support disabled" in said:
            return (f"Redis at {where} is not a Redis Cluster (cluster support is disabled there), which REDIS_URL's "
                    f"+cluster scheme asks for: start REDIS_URL with {scheme}:// instead, e.g. {scheme}://{where}/0")
        if isinstance(error, ResponseError) and "DB index" in said:
            example = f"unix://{where}?db=0" if scheme == "unix" else f"{scheme}://{where}/0"
            return (f"Redis at {where} has no database {_database(url)} ({said}): name one it has in REDIS_URL, e.g. "
                    f"{example} (a Redis server has databases 0 to 15 unless its `databases` setting says otherwise)")
    return None


def _cluster_named_as_server(url: str) -> str:
    where, scheme = redis_host(url), urlsplit(url).scheme.lower()
    return (f"Redis at {where} is a Redis Cluster node, which REDIS_URL names as one server: start REDIS_URL with "
            f"{scheme}+cluster:// and name no database, e.g. {scheme}+cluster://{where}")


def _database(url: str) -> int | str:
    """The database a plain Redis URL names, as redis-py reads it (``?db=`` before the path)."""
    try:
        return parse_url(url).get("db", 0)
    except ValueError:
        return "?"


async def redis_refusal_at(url: str, timeout_s: float) -> str | None:
    """Ask Redis at ``url`` once whether it takes REDIS_URL as written: :func:`redis_refusal`'s line when it does not,
    else None (also when Redis does not answer, or refuses the credentials: each command words those its own way).
    Raises RedisUrlError when the URL can't be used as written."""
    client = make_redis(url, timeout_s)
    try:
        async with asyncio.timeout(timeout_s * 2):
            await client.ping()
            if not urlsplit(url).scheme.lower().endswith("+cluster") and await _cluster_node(client):
                return _cluster_named_as_server(url)  # else MOVED at the first key of another node
    except (RedisError, RedisClusterException, OSError, TimeoutError) as exc:
        return redis_refusal(exc, url)
    finally:
        await client.aclose()
    return None


async def _cluster_node(client: aioredis.Redis) -> bool:
    """Whether Redis is a cluster node (INFO cluster); False where INFO is not allowed (an ACL, a renamed command)."""
    try:
        return bool((await client.info("cluster")).get("cluster_enabled"))
    except ResponseError:
        return False
