"""What people typed, shown as typed: escaping that formats nothing and turns nothing around, headers cut on what is
shown (never inside an entity), names with nothing visible or numbers that are no numbers refused in words."""

from __future__ import annotations

import re

import pytest

from bot.blocks.common import button, clip, esc, header
from bot.commands import CommandError, parse

V10 = "Q&A & R&D & M&A & P&L & T&E & S&P & AT&T & B&Q & H&M & M&S & P&G & J&J feeds"  # 76 characters


@pytest.mark.parametrize(("typed", "shown"), [
    ("Router `a", "Router \u02cba"),  # a backtick would end the code span around it
    ("*Launch* ~old~ `v2`", "\u2217Launch\u2217 \u223cold\u223c \u02cbv2\u02cb"),
    ("my_model v2~3 a*b", "my_model v2~3 a\u2217b"),  # inside a word _ and ~ format nothing: left as typed
    ("_beta_", "\u02cdbeta\u02cd"),
    ("Retour\u202e v2 \u2066x\u2069", "Retour v2 x"),  # bidi controls
    ("R&D <b>", "R&amp;D &lt;b&gt;"),
])
def test_people_text_formats_nothing_around_it(typed: str, shown: str) -> None:
    assert esc(typed) == shown


@pytest.mark.parametrize("prefix", ["Re-evaluation: ", "Evaluation: ", "Provisional scorecard: "])
def test_a_header_shows_a_name_of_ampersands_whole(prefix: str) -> None:
    text = header(prefix + esc(V10))["text"]["text"]
    assert text == prefix + V10  # plain_text: "&" needs no escaping unless it starts an entity


def test_a_header_too_long_is_cut_on_what_is_shown_never_inside_an_entity() -> None:
    for name in ["<" * 80, "a<" * 40, "&lt;" * 20, "x" * 80 + "&" * 80]:
        text = header("Evaluation of the very long project: " + esc(name) + esc(name))["text"]["text"]
        assert len(text) <= 150 and text.endswith("…"), text
        assert not re.search(r"&[a-z]{1,3}…$", text), text  # no "&l…"
        assert "<" not in text


def test_plain_text_shows_what_was_typed() -> None:
    assert header("Evaluation: " + esc("*Launch* `v2` &lt;b&gt; R&D"))["text"]["text"] == (
        "Evaluation: *Launch* `v2` &amp;lt;b&amp;gt; R&amp;D")  # typed "&lt;" literally: shown as typed
    long = "Start C++ & co " + "x" * 60
    assert button(esc(long), "a", "v")["text"]["text"] == long  # 75 characters as shown; escaped, 79


def test_a_cut_section_never_ends_inside_an_entity() -> None:
    assert clip("abc &amp; def", 8) == "abc …"
    assert clip("by <@U123> and", 7) == "by …"
    assert clip("abc &amp; def", 11) == "abc &amp; …"


@pytest.mark.parametrize("blank", ["\u200b", "\u2060\u200b", "\u3164", "\u2800", "\ufeff", "\u200b\u200d",
                                   '"\u200b"', "\u115f\u1160"])
def test_a_name_with_nothing_visible_is_no_name(blank: str) -> None:
    with pytest.raises(CommandError, match="Name the project"):
        parse(f"start {blank}")
    with pytest.raises(CommandError, match="Name the project"):
        parse(f"history {blank}")


def test_a_name_keeps_what_is_seen_and_loses_what_is_not() -> None:
    assert parse("start \u200bRouter\u202e v2").project == "Router v2"
    assert parse("start 👩\u200d💻 team").project == "👩\u200d💻 team"  # a joiner is part of the emoji
    assert parse("start Router \u02cba\u02cb").project == "Router `a`"  # as the bot showed it: the name


@pytest.mark.parametrize(("text", "words"), [
    ("list \u00b2", "`/ftcheck list` takes a page number"),
    ("list \u2460", "`/ftcheck list` takes a page number"),
    ("start X --vote --quorum \u00b3", "`--quorum` takes a number of voters"),
    ("start X --vote --quorum \u2463", "`--quorum` takes a number of voters"),
])
def test_digits_that_are_no_number_are_refused_in_words(text: str, words: str) -> None:
    with pytest.raises(CommandError, match=re.escape(words)):
        parse(text)


def test_decimal_digits_of_any_script_are_numbers() -> None:
    assert parse("list \uff12").page == 2
    assert parse("start X --vote --quorum \u0664").quorum == 4
