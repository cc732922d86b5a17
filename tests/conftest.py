"""Shared fixtures: a real redis-server, the Slack Web API stand-in, and the bot served over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import os
import weakref
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.ack_first import GATE
from bot.app import stop_tasks
from bot.services import make_redis
from tests.standins.redis_cluster import RedisCluster
from tests.standins.redis_server import RedisServer
from tests.standins.repo_guard import OutsideReads
from tests.standins.slack_api import SlackStandIn

# Tests may read only what a fresh clone has: any file read outside the repository fails the test that read it.
OUTSIDE_READS = OutsideReads(Path(__file__).resolve().parents[1])
OUTSIDE_READS.install()

# Never let a developer's .env or shell point the tests at a real workspace, model or Redis.
for _var in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "OPENAI_API_KEY", "OPENAI_BASE_URL",
             "REDIS_URL", "FTCHECK_CHECKLIST_DIR",
             # slack_sdk reads these and ignores NO_PROXY: calls to the local stand-ins must not go through one
             "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy",
             # `make test` sets it; the terminal's hints say `make run` only when make started it
             "MAKELEVEL"):
    os.environ.pop(_var, None)


@pytest.fixture(scope="session")
def redis_server_process() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_server(redis_server_process: RedisServer) -> RedisServer:
    """The worker's redis-server, emptied for each test, as the Slack stand-in is: a test that asked for the server
    alone used to meet the evaluations, outbox entries and reminders an earlier test in its worker left behind."""
    with redis_server_process.client() as client:
        client.flushall()
    return redis_server_process


@pytest.fixture
async def redis_client(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client: aioredis.Redis = aioredis.Redis.from_url(redis_server.url)  # on the emptied server
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisCluster]:
    """A real 3-primary Redis Cluster on loopback, started once (about 2-3 s) for the tests that ask for it."""
    with RedisCluster(masters=3) as cluster:
        yield cluster


@pytest.fixture
async def cluster_client(redis_cluster: RedisCluster) -> AsyncIterator[aioredis.Redis]:
    """The bot's own client factory pointed at the cluster (``redis+cluster://``), on an empty cluster."""
    redis_cluster.flushall()
    client = make_redis(redis_cluster.url)
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def slack_session() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def slack(slack_session: SlackStandIn) -> Iterator[SlackStandIn]:
    slack_session.reset()
    slack_session.set_channel("C1", name="ml-team", members=["UBOT", *(f"U{i}" for i in range(10))])
    yield slack_session
    violations = slack_session.violations
    assert not violations, "the bot made calls Slack would reject:\n" + "\n".join(violations)


@pytest.fixture(autouse=True)
def _no_request_left_waiting_for_its_ack() -> Iterator[None]:
    yield
    assert GATE.waiting == 0, "a request's ticket was never released: post-ack work would yield 0.1 s from now on"


@pytest.fixture(autouse=True)
def _no_reads_outside_the_repository() -> Iterator[None]:
    before = OUTSIDE_READS.taken()
    yield
    found = before + OUTSIDE_READS.taken()
    assert not found, f"read outside the repository (a fresh clone would not have it): {found}"


# Every test runs on one event loop (asyncio_default_test_loop_scope = "session"): work a test leaves running goes
# on during the tests after it — a bot's outbox tick, a delivery, a scheduler's jobs, a test's own loop of ticks —
# and so does a whole test whose coroutine pytest-timeout interrupted (its bot, never shut down, keeps delivering).
OWN_CODE = tuple(str(Path(__file__).resolve().parents[1] / top) + os.sep
                 for top in ("bot", "conversations", "scoring", "tests", "tools"))
LEFT_RUNNING_GRACE_S = 2.0  # work still finishing on its own when a test ends (a last write) may take this long

SCHEDULERS: weakref.WeakSet[Any] = weakref.WeakSet()  # every AsyncIOScheduler started, e.g. by bot.serve.start_clock
_start_scheduler = AsyncIOScheduler.start


def _start_tracked(self: AsyncIOScheduler, *args: Any, **kwargs: Any) -> Any:
    SCHEDULERS.add(self)
    return _start_scheduler(self, *args, **kwargs)


AsyncIOScheduler.start = _start_tracked


def _own_frames(task: asyncio.Task[Any]) -> list[str]:
    """Where a task runs this repository's code, outermost first, following its awaits ([] for a library's own)."""
    found: list[str] = []
    coro: Any = task.get_coro()
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None) or getattr(coro, "ag_frame", None)
        if frame is not None and frame.f_code.co_filename.startswith(OWN_CODE):
            where = os.path.relpath(frame.f_code.co_filename, Path(__file__).resolve().parents[1])
            found.append(f"{frame.f_code.co_qualname} ({where}:{frame.f_lineno})")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None) or getattr(coro, "ag_await", None)
    return found


@pytest.fixture(autouse=True)
async def _no_work_left_running() -> AsyncIterator[None]:
    """Fail a test that leaves a task of its own or a scheduler running, and stop them there, so they cannot reach
    into the next tests (their Redis, the shared Slack stand-in)."""
    yield
    me = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() if t is not me and not t.done() and _own_frames(t)]
    if left:
        await asyncio.wait(left, timeout=LEFT_RUNNING_GRACE_S)
        left = [t for t in left if not t.done()]
    found = [" <- ".join(reversed(_own_frames(t))) for t in left]
    for clock in [c for c in SCHEDULERS if c.running]:
        found.append(f"a running scheduler, jobs {[job.id for job in clock.get_jobs()]}")
        clock.shutdown(wait=False)
    if left:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(30):
                await stop_tasks(left, every_s=1.0)  # a test's own task: its finally blocks shut its bot down
    assert not found, "still running after the test:\n" + "\n".join(found)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    found = OUTSIDE_READS.taken()
    if found:
        print(f"\nread outside the repository outside any test (e.g. at import): {found}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
