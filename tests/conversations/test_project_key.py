"""Project keys keep every script: names in Cyrillic, Arabic or emoji are projects of their own."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from conversations.models import KEY_SYMBOLS, project_key


def ascii_key_before(name: str) -> str:
    """The rule keys were stored under before Unicode was kept (ASCII names must not move)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "project"


def test_names_in_other_scripts_get_distinct_keys() -> None:
    names = ["🚀🔥", "مشروع التذاكر", "Проект Б", "Проект В", "Ticket router", "👩‍💻 team"]
    keys = [project_key(n) for n in names]
    assert len(set(keys)) == len(names), keys
    assert "project" not in keys
    assert project_key("Проект Б") == "проект-б"


@pytest.mark.parametrize(("one", "other"), [
    ("Проект  Б", "проект б"),  # whitespace collapsed, case folded
    ("ＡＢＣ Launch", "abc launch"),  # NFKC: full-width letters are the plain ones
    ("Straße", "STRASSE"),  # case folding, not just lowercasing
    ("مشروع\u00a0التذاكر", "مشروع التذاكر"),  # a no-break space is a space
    ("Café", "Cafe\u0301"),  # composed and decomposed é
])
def test_spellings_of_one_name_share_a_key(one: str, other: str) -> None:
    assert project_key(one) == project_key(other)


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_ascii_names_keep_the_keys_they_were_stored_under(name: str) -> None:
    """Unless they hold a symbol that carries meaning ("C++", "R&D"), or no letter or digit at all ("???"): those
    were merged with others, and moved by a migration (``migrations.rekey_projects``)."""
    assume(not set(name) & set(KEY_SYMBOLS) and any(ch.isalnum() for ch in name))
    assert project_key(name) == ascii_key_before(name)


@pytest.mark.parametrize("names", [
    ["C++ model", "C# model", "C model", "C+ model"],
    ["???", "!!!", "...", "project"],
    ["R&D router", "RD router", "R D router"],
    ["100% labeled", "100 labeled"],
    ["Team @ Berlin", "Team Berlin"],
])
def test_names_that_differ_in_meaning_get_keys_of_their_own(names: list[str]) -> None:
    keys = [project_key(n) for n in names]
    assert len(set(keys)) == len(names), dict(zip(names, keys, strict=True))


@pytest.mark.parametrize(("one", "other"), [
    ("C++ model", "c ++ Model"),  # case and spacing
    ("R & D router", "R&D router"),
    ("Ticket router", "ticket_router"),
    ("Ticket router v2.0", "ticket-router/v2 0"),  # the separators
    ("Router (v2)!", "router v2"),  # punctuation around the name and its words
    ('"Ticket router"', "Ticket router?"),
    ("C# model", "C＃ model"),  # a full-width sign is the sign
    ("*Launch* ~old~", "Launch old"),  # formatting characters are no meaning
])
def test_names_that_differ_only_in_form_share_a_key(one: str, other: str) -> None:
    assert project_key(one) == project_key(other)


@given(st.text(max_size=40))
def test_a_key_never_holds_what_would_break_a_redis_key_or_a_file_name(name: str) -> None:
    key = project_key(name)
    assert key and not set(key) & set('{}:/\\*?"<>|') and not any(ch.isspace() for ch in key)
