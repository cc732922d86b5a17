"""Settings: only the documented variables are read, values that would stall the bot are refused, and
passwords never reach a printed URL."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bot.settings import Settings, hide_password, in_force


def test_undocumented_unprefixed_names_are_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """A platform's TIMEZONE, LEADS or LOG_LEVEL must not change the bot (nor be shown as a default)."""
    for name, value in {"TIMEZONE": "Europe/Berlin", "LEADS": "U1", "LOG_LEVEL": "DEBUG", "TICK_S": "1"}.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)
    assert (settings.timezone, settings.leads, settings.log_level, settings.tick_s) == ("UTC", "", "INFO", 30.0)
    monkeypatch.setenv("FTCHECK_TIMEZONE", "Asia/Kolkata")
    shown = {row.variable: row for row in in_force(Settings(_env_file=None), env_file="/nonexistent")}
    assert shown["FTCHECK_TIMEZONE"].value == "Asia/Kolkata" and shown["FTCHECK_TIMEZONE"].source == "environment"


@pytest.mark.parametrize("variable, value", [
    ("FTCHECK_OUTBOX_TICK_SECONDS", "-1"), ("FTCHECK_OUTBOX_TICK_SECONDS", "0"), ("FTCHECK_TICK_SECONDS", "0"),
    ("FTCHECK_REDIS_TIMEOUT", "0"), ("FTCHECK_LLM_TIMEOUT", "0"), ("FTCHECK_LLM_RETRIES", "-1"),
    ("FTCHECK_DESCRIPTION_MIN_CHARS", "0")])
def test_values_that_would_spin_or_time_out_every_call_are_refused(variable: str, value: str) -> None:
    values: dict[str, Any] = {variable: value}
    with pytest.raises(ValidationError, match=variable):
        Settings(_env_file=None, **values)


def test_a_redis_password_is_hidden_in_the_userinfo_and_in_the_query() -> None:
    assert hide_password("redis://user:S3cret@host:6380/0") == "redis://user:***@host:6380/0"
    shown = hide_password("rediss://default@redis.example:6380/0?password=S3cret&ssl_cert_reqs=none")
    assert "S3cret" not in shown and "password=***" in shown and "ssl_cert_reqs=none" in shown
    assert hide_password("redis://host:6379/0") == "redis://host:6379/0"
