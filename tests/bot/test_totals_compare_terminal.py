"""The first re-evaluation after the upgrade that changed the readiness checklist's decision tree, on the terminal:
the earlier evaluation was completed (and stored) with the checklist's former fingerprint and no totals fingerprint,
and its 20 questions and Yes/Partly/No values are today's, so the re-evaluation's scorecard, `ftcheck history` and
`ftcheck export` say the change since (before, "the checklist has changed since, so the totals do not compare")."""

from __future__ import annotations

import json

import pytest
import redis.asyncio as aioredis

from conversations.store import Store, eval_key
from scoring.scorecard import CHANGED_SINCE_LAST
from tests.bot.test_terminal_review2_fixes import run
from tests.scoring.test_totals_compare import FORMER
from tests.standins.redis_server import RedisServer

pytestmark = pytest.mark.timeout(120)

FIRST = ["yes"] * 12 + ["no"] * 8  # 12/20


async def as_before_the_upgrade(redis_client: aioredis.Redis, fingerprint: str) -> str:
    """Rewrite the project's completed evaluation as the release before stored it: the checklist's fingerprint then,
    no totals fingerprint. Returns the day it was completed."""
    (done,) = await Store(redis_client).team_evaluations("terminal")
    key = eval_key(done.id)
    raw = await redis_client.get(key)
    assert raw is not None
    data = json.loads(raw)
    data["decided"].pop("totals", None)
    data["decided"]["fingerprint"] = fingerprint
    await redis_client.set(key, json.dumps(data))
    assert done.completed_at is not None
    return done.completed_at.strftime("%Y-%m-%d")


@pytest.mark.parametrize("former", FORMER)
async def test_the_first_reevaluation_after_the_upgrade_says_the_change_since(
        redis_server: RedisServer, redis_client: aioredis.Redis, former: str) -> None:
    env = {"REDIS_URL": redis_server.url, "TZ": "UTC"}
    first = run(["run", "--project", "Router"], "\n".join(FIRST) + "\n", env)
    assert first.returncode == 0, first.stderr
    day = await as_before_the_upgrade(redis_client, former)
    again = run(["run", "--project", "Router"], "\n" * 12 + "yes\n" + "\n" * 8, env)  # Enter keeps; q13 now Yes
    assert again.returncode == 0, again.stderr
    assert "Starting a re-evaluation" in again.stdout, again.stdout
    assert "+1 since last time (12/20)." in again.stdout, again.stdout[-3000:]
    assert CHANGED_SINCE_LAST not in again.stdout
    kept_last = again.stdout.index("q20: No (last time's answer)")  # said under its prompt, before the scorecard
    assert kept_last < again.stdout.index("+1 since last time"), again.stdout[-3000:]
    history = run(["history", "Router"], "", env)
    assert history.returncode == 0, history.stderr
    assert f"(+1 since {day})" in history.stdout, history.stdout
    md = run(["export", "Router"], "", env)
    assert md.returncode == 0, md.stderr
    assert "- **Change since then:** +1 in total" in md.stdout, md.stdout
    assert "do not compare" not in md.stdout
    data = json.loads(run(["export", "Router", "--format", "json"], "", env).stdout)
    assert data["previous"]["change"] == 1 and data["previous"]["total"] == 12
