"""`ftcheck run --vote` / `--quorum N`: the terminal has one person at the keyboard; a team vote is Slack's."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.cli import app


@pytest.mark.parametrize("args", [["--vote"], ["--quorum", "4"], ["--vote", "--quorum", "x"]])
def test_run_with_vote_options_says_a_team_vote_needs_the_slack_app(args: list[str]) -> None:
    result = CliRunner().invoke(app, ["run", "--project", "X", *args])
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "No such option" not in said
    assert "records one person's answers" in said and "needs the Slack app" in said, said
