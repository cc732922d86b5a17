"""Project keys keep every script: names in Cyrillic, Arabic or emoji are projects of their own."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations.models import project_key


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
    assert project_key(name) == ascii_key_before(name)
