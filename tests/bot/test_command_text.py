"""What `/ftcheck …` text means: project names as typed, formats and schedules checked, user text escaped."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.commands import CommandError, help_text, parse
from bot.leads.reminders import _spoken


@pytest.mark.parametrize(("text", "project"), [
    ("start Ann's and Bob's model", "Ann's and Bob's model"),
    ("start C:\\models\\v2", "C:\\models\\v2"),
    ('start The "big" one', 'The "big" one'),
    ('start "Ticket router" --vote', "Ticket router"),  # quotes around the whole name are not part of it
    ("history Ann's and Bob's model", "Ann's and Bob's model"),
    ("delete   Ann's   model ", "Ann's model"),
    ("export Ann's model csv", "Ann's model"),
    ("remind Ann's model quarterly", "Ann's model"),
])
def test_project_names_keep_what_was_typed(text: str, project: str) -> None:
    assert parse(text).project == project


def test_an_export_format_that_does_not_exist_is_named_not_taken_for_the_project() -> None:
    with pytest.raises(CommandError) as bad:
        parse("export Router pdf")
    assert "`pdf` is not an export format; use md, csv or json" in str(bad.value)
    assert parse("export Router markdown").format == "md" and parse("export Router .json").format == "json"


def test_typed_text_in_error_replies_is_escaped() -> None:
    with pytest.raises(CommandError) as bad:
        parse("remind Router <!here>")
    assert "&lt;!here&gt;" in str(bad.value) and "<!here>" not in str(bad.value)
    unknown = parse("<!channel>")
    assert unknown.verb == "help"
    assert "`&lt;!channel&gt;` is not an ftcheck command" in help_text(["x"], unknown.unknown)


def test_cadences_are_said_in_words() -> None:
    assert [_spoken(timedelta(days=90)), _spoken(timedelta(days=14)), _spoken(timedelta(days=1)),
            _spoken(timedelta(hours=12))] == ["90 days", "2 weeks", "1 day", "12 hours"]
