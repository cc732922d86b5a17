"""What a line typed at a terminal prompt means, per checklist, and how a line is wrapped (pure: no store, no
process)."""

from __future__ import annotations

import io

import pytest

from bot.terminal.console import Console, cells_of
from bot.terminal.words import Answer, Change, Command, Problem, is_reply, parse_change, parse_input, shorten
from scoring.checklist import Registry

REGISTRY = Registry()
READINESS = REGISTRY.get("fine-tuning-readiness")
GATE = REGISTRY.get("deployment-quality")


@pytest.mark.parametrize(("text", "value"), [("yes", 1.0), ("Y", 1.0), ("partial", 0.5), ("p", 0.5), ("0", 0.0),
                                             ("no", 0.0), ("not sure", None), ("?", None)])
def test_answers_in_the_readiness_checklists_words(text: str, value: float | None) -> None:
    assert parse_input(text, READINESS, default=None) == Answer(value)


def test_a_pass_fail_checklist_takes_pass_and_fail_only() -> None:
    assert parse_input("pass", GATE, default=None) == Answer(1.0)
    assert parse_input("f", GATE, default=None) == Answer(0.0)
    refused = parse_input("yes", GATE, default=None)
    assert isinstance(refused, Problem) and "pass / fail / skip" in refused.message


def test_a_long_bad_answer_is_echoed_short_and_never_in_python_spelling() -> None:
    refused = parse_input("x" * 5000, READINESS, default=None)
    assert isinstance(refused, Problem) and len(refused.message) < 120 and "…" in refused.message
    assert "'True'" not in parse_input("True", READINESS, default=None).message  # type: ignore[union-attr]
    assert shorten("a  b\n c") == "a b c"


def test_enter_takes_the_default_or_asks_again() -> None:
    assert parse_input("", READINESS, default=0.5) == Answer(0.5)
    assert isinstance(parse_input("  ", READINESS, default=None), Problem)


def test_commands_and_changes() -> None:
    assert parse_input("change q3 partly", READINESS, default=None) == Command("change", "q3 partly")
    assert parse_change("q3 partly", READINESS) == Change(READINESS.question("q3").id, 0.5)
    assert isinstance(parse_change("q99 yes", READINESS), Problem)
    assert isinstance(parse_change("q3 skip", READINESS), Problem)
    assert parse_input("exit", READINESS, default=None) == Command("quit")


@pytest.mark.parametrize(("line", "reply"), [("yes", True), ("help", True), ("change q3 no", True),
                                              ("Help desk tickets are routed by hand today.", False),
                                              ("We have 1,400 labeled emails.", False)])
def test_the_first_line_at_the_description_offer(line: str, reply: bool) -> None:
    assert is_reply(line, READINESS) is reply


@pytest.mark.parametrize("text", [
    "Projects in this store: 日本語のプロジェクト, ftcheck 🚀 launch plan for the support team",
    "  Suggested: 日本語日本語日本語日本語日本語日本語日本語日本語 — from the description",
])
def test_lines_with_wide_characters_wrap_to_the_terminal_columns(text: str) -> None:
    wrapped = Console(io.StringIO(), width=30).wrap(text).split("\n")
    assert len(wrapped) > 1 and all(cells_of(line) <= 30 for line in wrapped)
    assert "".join("".join(wrapped).split()) == "".join(text.split())  # nothing lost, only spaces moved
    assert cells_of("日本語") == 6 and cells_of("abc") == 3
