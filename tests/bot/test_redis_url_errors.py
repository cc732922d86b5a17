"""A REDIS_URL that can't work is one line naming what is wrong and the fix, never a traceback, wherever Redis is
used: `ftcheck list` / `export`, `ftcheck run` (the terminal) and `ftcheck serve` (HTTP and Socket Mode) at start.
Each test runs the real CLI as a process against the suite's redis-server (or its Redis Cluster).

Before: a database the server does not have ("DB index is out of range"), a query option redis-py can't read, a
+cluster URL at a plain server and a plain URL at a cluster node ended in a traceback; a database that is not a number
quietly used database 0; `list` with nothing at REDIS_URL said what failed but not what to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.standins.redis_cluster import RedisCluster
from tests.standins.redis_server import RedisServer, free_port

pytestmark = pytest.mark.timeout(90)
REPO = Path(__file__).parents[2]
PASSWORD = "s3cret-pw"  # in the URLs below: never printed


def ftcheck(args: list[str], redis_url: str, tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "FTCHECK_", "REDIS_"))}
    env.update({"REDIS_URL": redis_url, "HOME": str(tmp_path), "PYTHONPATH": str(REPO), "COLUMNS": "200", **extra})
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True, timeout=60,
                          check=False, cwd=tmp_path, input="yes\n")


# serve stops before it calls Slack, so SLACK_API_URL points where nothing listens (never at slack.com)
SLACK = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "shh", "SLACK_APP_TOKEN": "xapp-1-A1-test",
         "SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/"}
# every entry point that touches Redis
COMMANDS = {
    "list": (["list"], {}),
    "export": (["export", "Router"], {}),
    "run": (["run", "--project", "Router"], {}),
    "serve --http": (["serve", "--http", "--host", "127.0.0.1", "--port", str(free_port())], SLACK),
    "serve --socket": (["serve", "--socket"], SLACK),
}


def said_once(proc: subprocess.CompletedProcess[str], code: int) -> str:
    """ftcheck's one line on stderr (after `list`'s "Store: …" line), with no traceback and no password."""
    everything = proc.stdout + proc.stderr
    assert "Traceback" not in everything and "╭" not in everything, everything
    assert PASSWORD not in everything, everything
    assert proc.returncode == code, everything
    lines = [line for line in proc.stderr.splitlines() if line.strip() and not line.startswith("Store: ")]
    assert len(lines) == 1 and lines[0].startswith("ftcheck: "), proc.stderr
    return lines[0].removeprefix("ftcheck: ")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_database_the_server_does_not_have(command: str, redis_server: RedisServer, tmp_path: Path) -> None:
    args, extra = COMMANDS[command]
    where = f"127.0.0.1:{redis_server.port}"
    line = said_once(ftcheck(args, f"redis://:{PASSWORD}@{where}/99", tmp_path, **extra), code=1)
    assert line == (f"Redis at {where} has no database 99 (DB index is out of range): name one it has in REDIS_URL, "
                    f"e.g. redis://{where}/0 (a Redis server has databases 0 to 15 unless its `databases` setting says "
                    "otherwise)"), line


def test_the_database_as_a_query_option_is_named_too(redis_server: RedisServer, tmp_path: Path) -> None:
    line = said_once(ftcheck(["list"], f"redis://127.0.0.1:{redis_server.port}?db=42", tmp_path), code=1)
    assert line.startswith(f"Redis at 127.0.0.1:{redis_server.port} has no database 42 "), line


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_cluster_url_at_a_plain_server(command: str, redis_server: RedisServer, tmp_path: Path) -> None:
    args, extra = COMMANDS[command]
    where = f"127.0.0.1:{redis_server.port}"
    line = said_once(ftcheck(args, f"redis+cluster://:{PASSWORD}@{where}", tmp_path, **extra), code=1)
    assert line == (f"Redis at {where} is not a Redis Cluster (cluster support is disabled there), which REDIS_URL's "
                    f"+cluster scheme asks for: start REDIS_URL with redis:// instead, e.g. redis://{where}/0"), line


@pytest.mark.parametrize("command", ["list", "run", "serve --http"])
def test_a_plain_url_at_a_cluster_node(command: str, redis_cluster: RedisCluster, tmp_path: Path) -> None:
    """list met MOVED (another node's slot) as a traceback; run and serve are told before the first key."""
    args, extra = COMMANDS[command]
    redis_cluster.flushall()
    where = redis_cluster.url.removeprefix("redis+cluster://").split("/")[0]
    line = said_once(ftcheck(args, f"redis://{where}/0", tmp_path, **extra), code=1)
    assert line == (f"Redis at {where} is a Redis Cluster node, which REDIS_URL names as one server: start REDIS_URL "
                    f"with redis+cluster:// and name no database, e.g. redis+cluster://{where}"), line


OPTION_PROBLEM = ("REDIS_URL cannot be used as written {}: correct or remove that part of it, e.g. "
                  "redis://localhost:6379/0 (redis+cluster://host:6379, with no database, for a Redis Cluster)")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_option_redis_py_can_not_read(command: str, redis_server: RedisServer, tmp_path: Path) -> None:
    args, extra = COMMANDS[command]
    url = f"redis://:{PASSWORD}@127.0.0.1:{redis_server.port}/0?socket_timeout=abc"
    line = said_once(ftcheck(args, url, tmp_path, **extra), code=2)
    assert line == OPTION_PROBLEM.format("(Invalid value for 'socket_timeout' in connection URL)"), line


@pytest.mark.parametrize(("option", "said"), [("frobnicate=1", "(?frobnicate= is not an option Redis clients take)"),
                                              ("protocol=4", "(protocol must be either 2 or 3)")])
def test_an_option_redis_py_does_not_take(option: str, said: str, redis_server: RedisServer, tmp_path: Path) -> None:
    """Before: a TypeError traceback, and "the store did not answer" for a protocol it does not speak."""
    url = f"redis://:{PASSWORD}@127.0.0.1:{redis_server.port}/0?{option}"
    line = said_once(ftcheck(["list"], url, tmp_path), code=2)
    assert line == OPTION_PROBLEM.format(said), line


@pytest.mark.parametrize("command", ["list", "run", "serve --http"])
def test_a_database_in_a_cluster_url(command: str, redis_server: RedisServer, tmp_path: Path) -> None:
    args, extra = COMMANDS[command]
    line = said_once(ftcheck(args, f"redis+cluster://127.0.0.1:{redis_server.port}/3", tmp_path, **extra), code=2)
    assert line == OPTION_PROBLEM.format("(Argument 'db' must be 0 or None in cluster mode)"), line


@pytest.mark.parametrize("command", ["list", "run", "serve --http"])
def test_a_database_that_is_not_a_number(command: str, redis_server: RedisServer, tmp_path: Path) -> None:
    """Before: redis-py read /zero as database 0 without a word (list answered from database 0)."""
    args, extra = COMMANDS[command]
    line = said_once(ftcheck(args, f"redis://127.0.0.1:{redis_server.port}/zero", tmp_path, **extra), code=2)
    assert line == ("REDIS_URL's database (the part after host:port/) is not a database number: end it with one, "
                    "e.g. redis://localhost:6379/0 (percent-encode any / @ : in the password)"), line


def test_list_with_nothing_at_redis_url_says_what_to_do(tmp_path: Path) -> None:
    port = free_port()
    proc = ftcheck(["list"], f"redis://:{PASSWORD}@127.0.0.1:{port}/0", tmp_path)
    line = said_once(proc, code=1)
    assert line.startswith(f"the store did not answer: Redis at redis://:***@127.0.0.1:{port}/0 (REDIS_URL): "), line
    assert line.endswith("Check that this Redis is running (or unset REDIS_URL to use the embedded one) and run "
                         "`ftcheck list` again."), line
