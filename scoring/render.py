"""Scorecard renderers: plain text (80 columns unless told), Markdown (the decision log) and JSON; all start from
the verdict."""

from __future__ import annotations

import json
import re
import textwrap
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from scoring.agreement import Agreement, outcome_text, spread_text
from scoring.checklist import Advice, Checklist
from scoring.scorecard import Scorecard, fmt_score
from scoring.verdict import GapRef, situation_advice, situation_lead, tree_line, verdict_of

FORMATS = ("text", "md", "json")
WIDTH = 80


class AnswerRecord(BaseModel):
    """Who gave an answer, when, and what backs it — optional detail for the decision log."""

    by: str | None = None
    at: str | None = None  # as shown, e.g. ISO-8601 or "2030-01-07 10:00 CET"
    note: str | None = None
    note_by: str | None = None  # the note's author, who need not be the one who answered
    suggestion: str | None = None  # e.g. "Yes — \u201c2,000 labeled tickets\u201d"
    answer: str | None = None  # shown when the question has no counted answer, e.g. "Not sure (skipped twice)"
    changed_from: str | None = None  # the answer's label before someone changed it, e.g. "No"
    last_time: str | None = None  # a re-evaluation: last time's answer (its label), whether or not it differs


def signed(value: float) -> str:
    """``+6.5``, ``-1``, ``+0``: a change in score."""
    return f"{'+' if value >= 0 else ''}{fmt_score(value)}"


def bar(score: float, maximum: float, width: int = 10, full: str = "\u2588", empty: str = "\u2591") -> str:
    """A small text bar: ``██████░░░░`` (Slack passes ▰▱, which read as progress rather than as code)."""
    filled = round(width * score / maximum) if maximum else 0
    return full * filled + empty * (width - filled)


def render(card: Scorecard, checklist: Checklist, fmt: str,
           records: Mapping[str, AnswerRecord] | None = None, answers: Mapping[str, float] | None = None,
           project: str | None = None, agreement: Agreement | None = None) -> str:
    if fmt == "json":
        return render_json(card, agreement)
    if fmt == "md":
        return render_markdown(card, checklist, answers or {}, records or {}, project, agreement)
    if fmt == "text":
        return render_text(card, agreement, project)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def render_json(card: Scorecard, agreement: Agreement | None = None) -> str:
    v = verdict_of(card)
    data: dict[str, Any] = card.model_dump(mode="json")
    data["verdict"] = {"decision": v.decision, "line": v.line(), "tone": v.tone, "blocking": v.blocking,
                       "band_alone": v.band_alone, "next_step": v.next_step.question if v.next_step else None,
                       "top_gaps": [g.question for g in v.top_gaps], "recommendation": v.recommendation,
                       "revisit": v.revisit, "sooner": v.sooner}
    if agreement is not None:
        data["agreement"] = {**agreement.model_dump(mode="json"), "share": agreement.share,
                             "below_bar": agreement.below_bar}
    data["band"] = card.band.id
    data["band_name"] = card.band.name
    # what to do follows the decision (the tree's verdict when it overrules the band); the band's own advice apart
    data["recommendation"] = v.recommendation
    data["band_recommendation"] = card.band.recommendation
    data["description"] = card.description
    if card.decision_tree is not None:
        data["decision_tree"] = {
            "path": [step.model_dump(mode="json") for step in card.decision_tree.path],
            "verdict": card.decision_tree.verdict,
            "verdict_text": card.decision_tree.verdict_text,
            "uncertain": card.decision_tree.uncertain,
            "agrees_with_band": card.disagreement is None,
        }
    data["gaps"] = [g.model_dump(mode="json") for g in card.gaps]
    data["situation_advice"] = [a.model_dump(mode="json") for a in situation_advice(card)]
    return json.dumps(data, indent=2, ensure_ascii=False)


def tree_lines(card: Scorecard) -> list[str]:
    """The decision tree's path and verdict as one line (kept as a list for older callers)."""
    line = tree_line(card)
    return [line] if line else []


def wrap(text: str, indent: str = "", first: str | None = None, width: int = WIDTH) -> list[str]:
    """Wrap for a terminal ``width`` columns wide (80 by default); continuation lines get ``indent``. Measured in
    the terminal's columns: ⏳ ✅ ⛔ take two (``textwrap`` counts characters, so a line that starts with one
    came out a column too wide, and the terminal's own wrap then left its last word alone on a line)."""
    head = indent if first is None else first
    if text.strip() and cells_of(head + text + indent) != len(head + text + indent):
        return wrap_cells(text, width, head, indent)
    return textwrap.wrap(text, width=width, initial_indent=head, subsequent_indent=indent,
                         break_on_hyphens=False) or [head.rstrip()]


def cells_of(text: str) -> int:
    """Terminal columns ``text`` takes: East Asian wide and full-width characters (CJK, most emoji) take two,
    combining marks none."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap_cells(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """Word wrapping measured in terminal columns (:func:`cells_of`); the first line starts with ``first``, the
    others with ``rest``. A word wider than the line (CJK text has no spaces) is broken where the line ends."""
    out: list[str] = []
    current = first
    for word in text.split():
        sep = " " if current.strip() else ""
        if cells_of(current + sep + word) <= width:
            current += sep + word
            continue
        if current.strip():
            out.append(current)
            current = rest
        while cells_of(current + word) > width:
            cut = next(n for n in range(len(word), 0, -1) if cells_of(current + word[:n]) <= width or n == 1)
            out.append(current + word[:cut])
            word, current = word[cut:], rest
        current += word
    out.append(current)
    return out


def gap_list(gaps: Sequence[GapRef]) -> str:
    """``q1 (500+ labeled examples): No · q12 (ML engineer): No``."""
    return " · ".join(f"{g.name}: {g.answer}" for g in gaps)


def render_text(card: Scorecard, agreement: Agreement | None = None, project: str | None = None,
                width: int = WIDTH) -> str:
    """The scorecard for a terminal ``width`` columns wide (80 by default): the decision, the next step and top
    gaps, then the detail."""
    v = verdict_of(card)
    title = f"Scorecard: {project} · {card.title}" if project else f"{card.title} scorecard"
    lines = [*wrap(title, "  ", "", width), *wrap(f"{v.line()}.", "  ", "", width)]
    if v.advice:
        lines += wrap(v.advice, "  ", "", width)
    if v.revisit:
        lines += wrap(v.revisit, "  ", "", width)
    if v.sooner:
        lines += wrap(v.sooner, "  ", "", width)
    if card.provisional:
        lines += wrap(f"Unanswered: {', '.join(card.unanswered)}. An unanswered question is never counted "
                      "as 0.", "  ", "", width)
    if v.next_step:
        lines += ["", *wrap(f"Next step for {v.next_step.name}: {v.next_step.next_step}", "  ", "", width)]
    if v.top_gaps:
        lines += ["Top gaps:", *(line for g in v.top_gaps for line in wrap(f"• {g.name}: {g.answer}", "    ", "  ",
                                                                            width))]
    lines += ["", "Sections", *_section_lines(card, width)]
    if v.tree:
        lines += ["", "Decision tree", *wrap(v.tree, "    ", "  ", width)]
    if agreement is not None:
        lines += ["", *agreement_text(agreement, width)]
    lines += _text_gaps(card, v.next_step.question if v.next_step else None, width)
    lines += _text_situations(card, width)
    return "\n".join(lines) + "\n"


SITUATIONS_TITLE = "Your situation \u2192 what to do"


def situation_line(row: Advice) -> str:
    """``Synthetic (LLM-generated) data only \u2192 Treat as high risk; require a human validation step. Synthetic-only
    training rarely produces production-quality models.``: one row of the table, for plain text."""
    return f"{row.situation} \u2192 {row.action}. {row.why}."


def _text_situations(card: Scorecard, width: int = WIDTH) -> list[str]:
    rows = situation_advice(card)
    if not rows:
        return []
    return ["", SITUATIONS_TITLE, *wrap(situation_lead(card), "  ", "  ", width),
            *(line for row in rows for line in wrap(f"\u2022 {situation_line(row)}", "    ", "  ", width))]


def agreement_text(agreement: Agreement, width: int = WIDTH) -> list[str]:
    lines = [f"Team agreement: {agreement.summary}"]
    if agreement.warning:
        lines += wrap(f"⚠ {agreement.warning}", "  ", "  ", width)
    for split in agreement.splits:
        lines += wrap(f"{split.name}: {spread_text(split, str)} — {outcome_text(split, str)}", "      ", "  ", width)
    return lines


def _section_lines(card: Scorecard, width: int) -> list[str]:
    """One line per section, ``  Data & Labeling  █████░░░░░ 3/6  (1 unanswered)``; in a narrow terminal the
    unanswered count goes on a line of its own rather than being wrapped by the terminal under the bar."""
    column = max(len(s.title) for s in card.sections)
    lines: list[str] = []
    for s in card.sections:
        line = f"  {s.title:<{column}}  {bar(s.score, s.max)} {fmt_score(s.score)}/{fmt_score(s.max)}"
        pending = f"({s.unanswered} unanswered)" if s.unanswered else ""
        if pending and cells_of(f"{line}  {pending}") <= width:
            line, pending = f"{line}  {pending}", ""
        lines += [line, *([f"  {' ' * column}  {pending}"] if pending else [])]
    return lines


def _text_gaps(card: Scorecard, first: str | None, width: int = WIDTH) -> list[str]:
    if not card.gaps:
        return []
    count = sum(len(group.gaps) for group in card.gaps)
    lines = ["", *wrap(f"{gaps_title(count)} (weakest section first)", "  ", "", width)]
    for group in card.gaps:
        lines.append(f"  {group.title} ({fmt_score(group.score)}/{fmt_score(group.max)})")
        for gap in group.gaps:
            lines += wrap(f"{gap.question} {gap.answer} — {gap.text}", "        ", "    ", width)
            step = "the next step above" if gap.question == first else gap.next_step
            lines += wrap(f"→ {step}", "        ", "      ", width)
    return lines


def gaps_title(count: int) -> str:
    """``All 9 gaps and next steps``; ``The gap and its next step`` when there is one."""
    return "The gap and its next step" if count == 1 else f"All {count} gaps and next steps"


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 gap``, ``2 gaps``, ``0 gaps``."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


_MD_LINKS = str.maketrans({"\\": "\\\\", "[": "\\[", "]": "\\]", "\r": " "})  # "\[" typed stays text too
_HTML_START = re.compile(r"<(?=[A-Za-z/!?])")  # a tag, a comment or a directive; "< 2%" stays as written


def md_text(text: str) -> str:
    """People's words (a project name, a note, a Slack name, a quote) as Markdown shows them and no more: no HTML
    (``<img onerror=…>`` would run wherever the record is rendered as a web page), no links of their own making
    (``[Signed off by the CTO](https://…)``), no carriage return ending a table row."""
    return _HTML_START.sub("&lt;", text.translate(_MD_LINKS))


def _md_cell(text: str | None) -> str:
    return md_text(text or "").replace("|", "\\|").replace("\n", " ")


def render_markdown(card: Scorecard, checklist: Checklist, answers: Mapping[str, float],
                    records: Mapping[str, AnswerRecord], project: str | None = None,
                    agreement: Agreement | None = None, details: Sequence[str] = (), closed: bool = False,
                    changes: Mapping[str, float] | None = None) -> str:
    """The decision log: the decision first, then the facts, agreement, sections, tree, answers and gaps.

    ``closed``: the evaluation was closed for inactivity, so nobody will answer what is left; the log says so
    first, and a decision only when the answers given already make one. ``changes``: each section's change since
    the previous result (section id -> points), a column of the Sections table.
    """
    v = verdict_of(card)
    title = f"# Decision log: {md_text(project)}" if project else f"# Decision log: {card.title}"
    decision = f"**{v.symbol} {v.decision}** — {v.reason}" + (f"; {v.band_alone}." if v.band_alone else ".")
    out = [title, "", _closed_line(card, checklist, decision if v.tone != "pending" else None) if closed
           else decision]
    if v.advice and not (closed and v.tone == "pending"):
        out += ["", v.advice]
    if v.revisit:
        out += ["", v.revisit]
    if v.sooner:
        out += ["", v.sooner]
    if v.next_step:
        out += ["", f"**Next step for {v.next_step.name}:** {v.next_step.next_step}"]
    if v.top_gaps:
        out += ["", "**Top gaps:**", "", *(f"- {g.name}: {g.answer}" for g in v.top_gaps)]
    out += ["", f"- **Checklist:** {card.title} (`{card.checklist}`)", f"- **Rule:** {card.rule}",
            *([f"- **About the checklist:** {_md_cell(card.description)}"] if card.description else []), *details]
    if card.provisional:
        out.append(f"- **Unanswered:** {', '.join(card.unanswered)} (never counted as 0)")
    if agreement is not None:
        out += ["", "## Team agreement", "", *_md_agreement(agreement)]
    out += ["", "## Sections", "", *_md_sections(card, changes)]
    if card.decision_tree is not None:
        out += ["", "## Decision tree", ""]
        out += [f"{i}. {s.label} — **{s.outcome}** ({s.note})" for i, s in enumerate(card.decision_tree.path, 1)]
        out += ["", f"**Where it ends:** {card.decision_tree.verdict_text}"]
    out += _md_answers(checklist, answers, records)
    if card.gaps:
        out += ["", f"## {gaps_title(v.gap_count)}", ""]
        for group in card.gaps:
            out.append(f"### {group.title} ({fmt_score(group.score)}/{fmt_score(group.max)})")
            out += [f"- **{g.question}** ({g.answer}) {g.text}  \n  Next: {g.next_step}" for g in group.gaps]
            out.append("")
    rows = situation_advice(card)
    if rows:
        out += [] if out[-1] == "" else [""]
        out += [f"## {SITUATIONS_TITLE}", "", situation_lead(card), "",
                "| Your situation | What to do | Why |", "|---|---|---|",
                *(f"| {_md_cell(r.situation)} | {_md_cell(r.action)} | {_md_cell(r.why)} |" for r in rows)]
    return "\n".join(out).rstrip() + "\n"


def _md_sections(card: Scorecard, changes: Mapping[str, float] | None) -> list[str]:
    """The Sections table; with ``changes``, a column of each section's change since the previous result."""
    if changes is None:
        return ["| Section | Score | Max |", "|---|---:|---:|",
                *(f"| {s.title} | {fmt_score(s.score)} | {fmt_score(s.max)} |" for s in card.sections)]
    return ["| Section | Score | Max | Change since previous |", "|---|---:|---:|---:|",
            *(f"| {s.title} | {fmt_score(s.score)} | {fmt_score(s.max)} | {signed(changes.get(s.id, 0.0))} |"
              for s in card.sections)]


def _closed_line(card: Scorecard, checklist: Checklist, decision: str | None) -> str:
    """``**Closed for inactivity** at 8 of 20 answered; …``: an unanswered question will stay so, so a decision
    the rest could still change is none."""
    questions = len(checklist.questions)
    head = f"**Closed for inactivity** at {questions - len(card.unanswered)} of {questions} answered"
    if decision is None:
        return f"{head}; not decided. The answers given so far are below."
    return f"{head}; its answers already decide: {decision}"


def _md_agreement(agreement: Agreement) -> list[str]:
    out = [f"{agreement.summary}."]
    if agreement.warning:
        out += ["", f"> ⚠ {agreement.warning}"]
    if agreement.splits:
        # one column says how each ended: settled by someone, changed since, or agreed when asked again
        out += ["", "| Question | Votes | Team answer |", "|---|---|---|"]
        out += [f"| {_md_cell(s.name)} | {spread_text(s, _md_cell)} | {outcome_text(s, _md_cell, '**')} |"
                for s in agreement.splits]
    return out


def _md_answers(checklist: Checklist, answers: Mapping[str, float], records: Mapping[str, AnswerRecord]) -> list[str]:
    """The Answers table; a re-evaluation's has a Last time column beside the answer, so a reader sees what changed."""
    then = any(r.last_time for r in records.values())
    head = ["#", "Question", "Answer", *(["Last time"] if then else []), "By", "When", "Note", "Suggestion"]
    out = ["", "## Answers", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    rows = [(q.key, _md_cell(q.text), q.id) for q in checklist.questions]
    asked = {q.id for q in checklist.questions}
    # answered, then dropped from the checklist (its text went with it): the answer stays in the record, marked
    rows += [(_md_cell(qid), "_no longer in the checklist_", qid) for qid in dict.fromkeys([*answers, *records])
             if qid not in asked]
    for key, text, qid in rows:
        value = answers.get(qid)
        rec = records.get(qid, AnswerRecord())
        label = checklist.option(value).label if value is not None else _md_cell(rec.answer) or "—"
        if rec.changed_from:
            label += f" (changed from {_md_cell(rec.changed_from)})"
        note = f"{rec.note} — {rec.note_by}" if rec.note and rec.note_by else rec.note
        last = [_md_cell(rec.last_time)] if then else []
        cells = [key, text, label, *last, _md_cell(rec.by), _md_cell(rec.at), _md_cell(note), _md_cell(rec.suggestion)]
        out.append("| " + " | ".join(cells) + " |")
    return out


def list_checklists(checklists: Sequence[Checklist]) -> str:
    lines = []
    for c in checklists:
        lines.append(f"{c.id:<24} {c.title} ({plural(len(c.questions), 'question')}) — {c.rule}")
        if c.reevaluate_note:
            lines.append(f"{'':<24} note: {c.reevaluate_note}")
    return "\n".join(lines) + "\n"
