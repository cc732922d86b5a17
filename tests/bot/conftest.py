"""Fixtures of the bot's tests that more than one file uses."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.bot.terminal_pty import PtyRun


@pytest.fixture
def terminal() -> Iterator[Callable[[list[str], dict[str, str]], PtyRun]]:
    """Starts `ftcheck run` in a pseudo-terminal; whatever a test leaves running is stopped afterwards."""
    started: list[PtyRun] = []

    def start(args: list[str], env: dict[str, str]) -> PtyRun:
        started.append(PtyRun(args, env))
        return started[-1]

    yield start
    for run in started:
        run.close()
