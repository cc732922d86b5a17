"""The walk-through, declared in one place: states, the events that move them, and what each move owes.

Read this table to know the whole walk; ``conversations/flow.py`` implements each row as a pure
transition and takes the effects a row owes from here (``owes``), so the two cannot drift apart. The
Mermaid diagram in ``docs/ARCHITECTURE.md`` is generated from this table (``mermaid()``) and a test checks
that it is current.

A *card* is one question's card in the thread; an *evaluation* is the whole walk. In vote mode a card
collects hidden votes while ``asked``; the reveal makes it ``answered`` (unanimous) or ``split``.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

CardState = Literal["unasked", "asked", "skipped", "split", "answered"]
EvalState = Literal["new", "in_progress", "completed", "abandoned", "deleted"]
Event = Literal["start", "ask", "answer", "skip", "change", "note", "suggest", "vote", "reveal", "settle",
                "complete", "stall", "abandon", "discard", "reevaluate", "redecide", "wait"]
EffectKind = Literal["post_root", "update_root", "post_card", "update_card", "post_scorecard", "post_note",
                     "book_reminder", "post_decision_change", "post_split", "update_split"]


class Row(NamedTuple):
    event: Event
    source: str
    target: str
    owes: tuple[EffectKind, ...]
    says: str


CARD: tuple[Row, ...] = (
    Row("ask", "unasked", "asked", ("post_card", "update_root"), "the next question gets its card"),
    Row("answer", "asked", "answered", ("update_card", "update_root"), "quick mode: the first click wins"),
    Row("skip", "asked", "skipped", ("update_card", "update_root"),
        "Not sure: asked again once before the end; a second skip leaves it to the team"),
    Row("ask", "skipped", "asked", ("post_card", "update_card", "update_root"),
        "re-ask a question skipped once; the card above says it was asked again below"),
    Row("answer", "skipped", "answered", ("update_card", "update_root"), "Change answer on a skipped card"),
    Row("change", "answered", "answered", ("update_card", "update_root"), "Change answer"),
    Row("note", "answered", "answered", ("update_card",), "Add, replace or remove a note"),
    Row("suggest", "asked", "asked", ("update_card",), "a pasted description suggests an answer"),
    Row("vote", "asked", "asked", ("update_card", "update_root"), "vote mode: hidden until the reveal"),
    Row("reveal", "asked", "answered", ("update_card", "update_root"), "quorum or Reveal: all votes agree"),
    Row("reveal", "asked", "skipped", ("update_card", "update_root"), "everyone voted Not sure"),
    Row("reveal", "asked", "split", ("update_card", "update_root"), "votes differ: the starter or a lead settles"),
    Row("wait", "split", "split", ("post_split",),
        "the split waits for the starter: one reply mentions them, unless their own click split it"),
    Row("settle", "split", "answered", ("update_card", "update_root", "update_split"),
        "Team answer, kept with the spread; the reply that asked the starter says so (when there was one)"),
    Row("settle", "split", "skipped", ("update_card", "update_root", "update_split"),
        "Not sure as the team answer: asked again (a fresh vote) before the end; the reply says so"),
)

EVALUATION: tuple[Row, ...] = (
    Row("start", "new", "in_progress", ("post_root",), "the root message opens the thread"),
    Row("complete", "in_progress", "completed", ("post_scorecard", "update_root", "book_reminder"),
        "every question answered: scorecard; open cards close; the next re-evaluation reminder is booked"),
    Row("stall", "in_progress", "in_progress", ("post_scorecard", "update_root"),
        "only twice-skipped questions left: provisional scorecard"),
    Row("change", "completed", "completed", ("post_scorecard", "update_root"), "the scorecard follows a change"),
    Row("redecide", "completed", "completed", ("post_decision_change",),
        "a change that changes the decision or the band: one short reply in the thread says so"),
    Row("note", "completed", "completed", ("post_scorecard",), "the scorecard shows the note"),
    Row("abandon", "in_progress", "abandoned", ("post_note", "update_root"),
        "quiet long after the nudge: closed with a note; open cards close"),
    Row("discard", "in_progress", "deleted", (), "/ftcheck delete (kept for the audit trail)"),
    Row("discard", "completed", "deleted", (), "/ftcheck delete of a finished evaluation"),
    Row("discard", "abandoned", "deleted", (), "/ftcheck delete of an evaluation closed for inactivity"),
    Row("reevaluate", "completed", "new", (), "a new evaluation, pre-filled with these answers"),
)

TABLE: tuple[Row, ...] = CARD + EVALUATION


def owes(event: Event, source: str, target: str) -> tuple[EffectKind, ...]:
    """The effects a move owes; a move not in the table is a programming error."""
    for row in TABLE:
        if row.event == event and row.source == source and row.target == target:
            return row.owes
    raise LookupError(f"the walk has no move {event}: {source} -> {target}")


def row_id(event: str, source: str, target: str) -> str:
    return f"{event}:{source}->{target}"


def markdown_table() -> str:
    """The table as Markdown, for docs/ARCHITECTURE.md (a test checks the doc holds the current one)."""
    lines = ["| thing | event | from | to | owes | what it means |", "|---|---|---|---|---|---|"]
    for title, rows in (("card", CARD), ("evaluation", EVALUATION)):
        for r in rows:
            owed = ", ".join(f"`{k}`" for k in r.owes) or "—"
            lines.append(f"| {title} | `{r.event}` | {r.source} | {r.target} | {owed} | {r.says} |")
    return "\n".join(lines)


def mermaid() -> str:
    """The table as two Mermaid state diagrams (cards, evaluation)."""
    lines = ["```mermaid", "stateDiagram-v2", "    direction LR"]
    for title, rows in (("Card", CARD), ("Evaluation", EVALUATION)):
        lines.append(f"    state {title} {{")
        for r in rows:
            src = "[*]" if r.source in ("unasked", "new") else f"{title[0]}_{r.source}"
            dst = "[*]" if r.target in ("deleted", "new") else f"{title[0]}_{r.target}"
            owed = ", ".join(r.owes) or "nothing"
            lines.append(f"        {src} --> {dst}: {r.event} / {owed}")
        lines.append("    }")
    lines.append("```")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table(), mermaid(), sep="\n\n")
