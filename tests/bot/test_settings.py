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


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "rediss://:pw@redis.example:6380/0", "unix:///tmp/r.sock",
                                 "redis+cluster://10.0.0.1:7000", "rediss+cluster://u:pw@node:7000", ""])
def test_every_documented_redis_url_form_is_accepted(url: str) -> None:
    assert Settings(_env_file=None, REDIS_URL=url).redis_url == url


@pytest.mark.parametrize("url", ["localhost:6379", "127.0.0.1:6379", "http://redis:6379", "redis:/host",
                                 "redis://host:port/0", "unix://"])
def test_a_malformed_redis_url_is_refused_in_one_line_naming_the_setting(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, REDIS_URL=url)
    message = caught.value.errors()[0]["msg"]
    assert "REDIS_URL" in message and "\n" not in message, message
    assert "redis://localhost:6379/0" in message or "unix:///" in message, message


@pytest.mark.parametrize("url", ["default:S3cret@redis.example:6379", "redis.example:6379/0?password=S3cret",
                                 "http://u:S3cret@redis.example:6379"])
def test_a_refused_redis_url_never_echoes_a_password(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, REDIS_URL=url)
    message = caught.value.errors()[0]["msg"]
    assert "S3cret" not in message and "redis+cluster://" in message, message


def test_every_path_that_connects_by_url_checks_it() -> None:
    from bot.services import make_redis

    with pytest.raises(ValueError, match="REDIS_URL is not a Redis URL"):
        make_redis("localhost:6379")


@pytest.mark.parametrize("level", ["verbose", "trace", "warn ing"])
def test_an_unknown_log_level_is_refused_with_the_levels_listed(level: str) -> None:
    with pytest.raises(ValidationError, match="DEBUG, INFO, WARNING, ERROR, CRITICAL"):
        Settings(_env_file=None, FTCHECK_LOG_LEVEL=level)
    assert Settings(_env_file=None, FTCHECK_LOG_LEVEL=" debug").log_level == "DEBUG"


def test_a_password_in_any_url_setting_is_hidden_by_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy's or gateway's user:password in SLACK_API_URL or OPENAI_BASE_URL was printed in clear (security
    review); REDIS_URL's already was hidden."""
    for name, url in (("SLACK_API_URL", "https://u:APIPASS@slack.proxy.example/api/"),
                      ("OPENAI_BASE_URL", "https://user:BASEPASS@llm.example/v1"),
                      ("REDIS_URL", "redis://:RPASS@redis.example:6379/0")):
        monkeypatch.setenv(name, url)
    shown = {row.variable: row.value for row in in_force(Settings(_env_file=None))}
    assert shown["SLACK_API_URL"] == "https://u:***@slack.proxy.example/api/"
    assert shown["OPENAI_BASE_URL"] == "https://user:***@llm.example/v1"
    assert not any(p in " ".join(shown.values()) for p in ("APIPASS", "BASEPASS", "RPASS"))
