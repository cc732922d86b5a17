"""`ftcheck run`: "C# model" is not "C++ model" (their keys were one before), also in a store written before."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from bot.terminal.session import CHANNEL, TEAM
from conversations.engine import Engine
from conversations.store import Store
from scoring.checklist import Registry
from tests.bot.test_terminal import flat, run
from tests.conversations.recording import RecordingPresenter
from tests.conversations.test_project_rekey import stored_before
from tests.conversations.test_reminders import walk
from tests.standins.redis_server import RedisServer

pytestmark = pytest.mark.timeout(120)


def test_another_project_whose_name_differs_in_a_symbol_starts_fresh(redis_server: RedisServer,
                                                                      redis_client: aioredis.Redis) -> None:
    env = {"REDIS_URL": redis_server.url}
    first = run(["--project", "C++ model"], "yes\n" * 20, env)
    assert first.returncode == 0, first.stderr
    other = run(["--project", "C# model"], "quit\n", env)
    assert other.returncode == 0, other.stderr
    assert "earlier evaluation" not in flat(other.stdout) and "re-evaluation" not in flat(other.stdout), other.stdout
    again = run(["--project", "c++ MODEL"], "quit\n", env)
    assert "c++ MODEL: 1 earlier evaluation in this store" in flat(again.stdout), again.stdout


async def test_a_store_written_before_is_read_under_todays_keys(redis_server: RedisServer,
                                                                 redis_client: aioredis.Redis) -> None:
    """A store only the terminal uses has no server to migrate it: the run does it before it looks."""
    engine = Engine(Store(redis_client), Registry(), RecordingPresenter())
    with stored_before():
        done = await engine.start(team=TEAM, channel=CHANNEL, project="C++ model", checklist_id=None, user="ana",
                                  origin="terminal")
        await walk(engine, done)
        await engine.start(team=TEAM, channel=CHANNEL, project="C# model", checklist_id=None, user="ana",
                           origin="terminal")
    env = {"REDIS_URL": redis_server.url}
    sharp = run(["--project", "C# model"], "quit\n", env)
    assert sharp.returncode == 0, sharp.stderr
    assert "Resuming the evaluation started" in flat(sharp.stdout), sharp.stdout
    assert "earlier evaluation" not in flat(sharp.stdout)
    cpp = run(["--project", "C++ model"], "quit\n", env)
    assert "C++ model: 1 earlier evaluation in this store" in flat(cpp.stdout), cpp.stdout
