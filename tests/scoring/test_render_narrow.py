"""The text scorecard in a narrow terminal: no line the terminal would have to wrap itself."""

from __future__ import annotations

import pytest

from scoring.checklist import Checklist
from scoring.render import cells_of, render_text
from scoring.scorecard import score


def _some_unanswered(checklist: Checklist) -> dict[str, float]:
    """Yes, Partly, No and unanswered in turn, so every section has gaps and an unanswered question."""
    cycle: list[float | None] = [1, 0.5, 0, None]
    given = {q.id: cycle[i % 4] for i, q in enumerate(checklist.questions)}
    return {qid: value for qid, value in given.items() if value is not None}


@pytest.mark.parametrize("width", [80, 60, 55, 50, 45])
def test_no_line_wider_than_the_terminal(checklist: Checklist, width: int) -> None:
    text = render_text(score(checklist, _some_unanswered(checklist)), width=width)
    too_wide = [line for line in text.splitlines() if cells_of(line) > width]
    assert too_wide == []


def test_unanswered_count_moves_under_its_bar_when_it_does_not_fit(checklist: Checklist) -> None:
    card = score(checklist, _some_unanswered(checklist))
    wide = render_text(card, width=80).splitlines()
    narrow = render_text(card, width=55).splitlines()
    organizational = next(i for i, line in enumerate(narrow) if line.startswith("  Organizational "))
    assert any(line.startswith("  Organizational ") and line.endswith("(2 unanswered)") for line in wide)
    assert narrow[organizational].endswith("1.5/5")
    assert narrow[organizational + 1].strip() == "(2 unanswered)"
