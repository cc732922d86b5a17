"""The Markdown decision record shows people's words as text (security review): a project name, a note or a Slack
name carrying HTML or a link of its own making went into the file as is (``<img src=… onerror=…>``, ``[Signed off
by the CTO](https://evil.example/phish)``), so a wiki or docs site rendering the record ran or showed them; a
carriage return in a note split its table row. The checklist's own words ("improvement < 2%") stay as written."""

from __future__ import annotations

from datetime import UTC, datetime

from conversations.export import decision_record
from tests.conversations.test_export_review_fixes import FT, completed

IMG = "<img src=https://evil.example/p.gif onerror=alert(1)>"
LINK = "[Signed off by the CTO](https://evil.example/phish)"


def test_html_and_links_from_people_are_text_in_the_markdown() -> None:
    ev = completed({}, datetime(2030, 1, 7, 9, tzinfo=UTC))
    ev.project = f"Router {IMG}"
    q1 = FT.question("q1").id
    ev.answers[q1].note = f"{LINK} {IMG}\rsecond line"
    ev.answers[q1].by = "UMAL"
    md = decision_record(ev, FT, "md", names={"UMAL": "Mallory](https://evil.example/x) <b>", "U1": "Ann"})
    assert "<img" not in md and "<b>" not in md and "](https://evil" not in md.replace("\\](https://evil", "")
    assert "# Decision log: Router &lt;img src=https://evil.example/p.gif onerror=alert(1)>" in md
    assert "\\[Signed off by the CTO\\](https://evil.example/phish)" in md
    row = next(line for line in md.splitlines() if line.startswith(f"| {FT.question('q1').key} "))
    assert "second line" in row and "\r" not in md
    assert "(improvement < 2% over 5 iterations)" in md  # the checklist's own "<" is not escaped


def test_a_backslash_typed_before_a_bracket_does_not_bring_the_link_back() -> None:
    """``\\[Approved by legal\\](https://…)`` in a note: escaping the brackets alone turned ``\\[`` into ``\\\\[``,
    whose backslash escaped itself and left the bracket live (review of md_text)."""
    ev = completed({}, datetime(2030, 1, 7, 9, tzinfo=UTC))
    ev.answers[FT.question("q1").id].note = "\\[Approved by legal\\](https://evil.example/phish)"
    md = decision_record(ev, FT, "md")
    assert "\\\\\\[Approved by legal\\\\\\](https://evil.example/phish)" in md
