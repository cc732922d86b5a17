"""The terminal while the AI helper reads a description: it says it is reading (up to how long, and that Ctrl-C
stops), and no log line of the helper's retries or HTTP requests lands in the walk-through. Before, the screen stayed
still for 20-30 s and then showed ``[info] suggest.llm.retry …`` and ``HTTP Request: POST …`` between the questions.
A log level set on purpose (FTCHECK_LOG_LEVEL) is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot.test_terminal import BRIEFS, flat, run
from tests.standins.openai_api import OpenAIStandin
from tests.standins.redis_server import RedisServer

pytestmark = pytest.mark.timeout(120)


def _env(api: OpenAIStandin, redis_server: RedisServer, **more: str) -> dict[str, str]:
    return {"REDIS_URL": redis_server.url, "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": api.base_url,
            "FTCHECK_LLM_MAX_RETRIES": "2", **more}


@pytest.mark.parametrize("level", [None, "INFO"])
def test_the_wait_is_announced_and_the_helpers_logs_stay_off_the_screen(
        redis_server: RedisServer, redis_client: object, tmp_path: Path, level: str | None) -> None:
    brief = tmp_path / "brief.md"
    brief.write_text((BRIEFS / "example1_support_intent.md").read_text())
    with OpenAIStandin() as api:
        for _ in range(3):
            api.respond_status(500)  # each try fails: retried, then the built-in reader answers
        env = _env(api, redis_server, **({"FTCHECK_LOG_LEVEL": level} if level else {}))
        proc = run(["--project", "Router", "--brief", str(brief)], "yes\n", env)
    assert proc.returncode == 0, proc.stderr
    shown = flat(proc.stdout + proc.stderr)
    assert "Reading the description with the AI helper (up to 30 s; Ctrl-C stops)…" in shown
    assert "Question 1 of 20" in shown
    chatter = [line for line in (proc.stdout + proc.stderr).splitlines()
               if "suggest.llm" in line or "HTTP Request" in line]
    if level is None:
        assert chatter == []
    else:
        assert chatter, "FTCHECK_LOG_LEVEL=INFO asks for the info lines"
