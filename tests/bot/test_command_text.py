"""What `/ftcheck …` text means: project names as typed, formats and schedules checked, user text escaped."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.commands import CommandError, help_text, name_splits, parse, unclear_schedule
from bot.leads.reminders import _spoken
from bot.services import ai_helper_host
from bot.settings import Settings


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
    said = unclear_schedule("Router", ["<!here>"], "Router <!here>")
    assert "&lt;!here&gt;" in said and "<!here>" not in said
    said = unclear_schedule(None, [], "<!here> sometimes")
    assert "&lt;!here&gt;" in said and "<!here>" not in said
    unknown = parse("<!channel>")
    assert unknown.verb == "help"
    assert "`&lt;!channel&gt;` is not an ftcheck command" in help_text(["x"], unknown.unknown)


def test_cadences_are_said_in_words() -> None:
    assert [_spoken(timedelta(days=90)), _spoken(timedelta(days=14)), _spoken(timedelta(days=1)),
            _spoken(timedelta(hours=12))] == ["90 days", "2 weeks", "1 day", "12 hours"]


def test_a_remind_without_a_schedule_leaves_the_name_to_the_lookup() -> None:
    """Where the project's name ends is known only once names are looked up (`remind` does): the parser keeps
    every word, and offers each reading, the longest name first."""
    command = parse("remind Medical Diagnosis Prediction sometimes")
    assert (command.project, command.schedule) == ("Medical Diagnosis Prediction sometimes", None)
    assert name_splits('"Router" every quarter') == [('"Router" every quarter', []), ('"Router" every', ["quarter"]),
                                                    ("Router", ["every", "quarter"])]
    assert all(len(name) <= 80 for name, _ in name_splits("x" * 79 + " y" * 200))
    with pytest.raises(CommandError, match="Name the project before `monthly`"):
        parse("remind monthly")


def test_help_says_which_evaluation_delete_takes_and_who_may() -> None:
    line = next(line for line in help_text(["x"]).split("\n• ") if line.startswith("`/ftcheck delete"))
    assert line == ("`/ftcheck delete &lt;project&gt;` — delete the project's latest evaluation in this channel (only "
                    "its starter,\n  a lead or a workspace admin can)")  # never another channel's


@pytest.mark.parametrize(("text", "mode", "quorum", "fresh"), [
    ("start Router —vote —quorum 2", "vote", 2, False),  # smart punctuation: "--" arrives as an em dash
    # no quorum typed: None, so a re-evaluation of a vote keeps its quorum (the default, 3, otherwise)
    ("start Router –vote", "vote", None, False),  # an en dash
    ("start Router -vote -fresh", "vote", None, True),  # one hyphen
    ("start Router --Vote --FRESH", "vote", None, True),
])
def test_start_options_are_read_however_their_dashes_arrived(text: str, mode: str, quorum: int | None,
                                                             fresh: bool) -> None:
    command = parse(text)
    assert (command.project, command.mode, command.quorum, command.fresh) == ("Router", mode, quorum, fresh)


def test_a_dash_inside_a_name_stays_part_of_it() -> None:
    assert parse("start Router — v2 -draft").project == "Router — v2 -draft"


def test_help_says_where_descriptions_go_when_the_ai_helper_is_on() -> None:
    """People were never told that a description (or a long thread reply) goes to the LLM server (security
    review): help says so, naming the host, when OPENAI_API_KEY is set, and says nothing of it otherwise."""
    on = Settings(_env_file=None, OPENAI_API_KEY="sk-x", OPENAI_BASE_URL="https://llm.internal.example/v1")
    host = ai_helper_host(on)
    assert host == "llm.internal.example"
    assert help_text(["x"], ai_at=host).endswith(
        "The AI helper is on here: a description (and a long thread reply that reads like one) is sent to "
        "llm.internal.example to suggest answers.")
    assert ai_helper_host(Settings(_env_file=None, OPENAI_API_KEY="sk-x")) == "api.openai.com"
    off = ai_helper_host(Settings(_env_file=None, OPENAI_API_KEY=None))
    assert off is None and "AI helper" not in help_text(["x"], ai_at=off)
