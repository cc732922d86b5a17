"""Scorecard renderers: plain text, Markdown (a decision-log record, seed 004) and JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from scoring.checklist import Checklist
from scoring.scorecard import Scorecard, fmt_score

FORMATS = ("text", "md", "json")


class AnswerRecord(BaseModel):
    """Who gave an answer, when, and what backs it — optional detail for the decision log."""

    by: str | None = None
    at: str | None = None  # ISO-8601
    note: str | None = None
    suggestion: str | None = None  # e.g. "Yes — \u201c2,000 labeled tickets\u201d"


def bar(score: float, maximum: float, width: int = 10) -> str:
    """A small text bar: ``██████░░░░``."""
    filled = round(width * score / maximum) if maximum else 0
    return "\u2588" * filled + "\u2591" * (width - filled)


def render(card: Scorecard, checklist: Checklist, fmt: str,
           records: Mapping[str, AnswerRecord] | None = None, answers: Mapping[str, float] | None = None,
           project: str | None = None) -> str:
    if fmt == "json":
        return render_json(card)
    if fmt == "md":
        return render_markdown(card, checklist, answers or {}, records or {}, project)
    if fmt == "text":
        return render_text(card)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def render_json(card: Scorecard) -> str:
    data: dict[str, Any] = card.model_dump(mode="json")
    data["band"] = card.band.id
    data["band_name"] = card.band.name
    data["recommendation"] = card.band.recommendation
    if card.decision_tree is not None:
        data["decision_tree"] = {
            "path": [step.model_dump(mode="json") for step in card.decision_tree.path],
            "verdict": card.decision_tree.verdict,
            "verdict_text": card.decision_tree.verdict_text,
            "uncertain": card.decision_tree.uncertain,
            "agrees_with_band": card.disagreement is None,
        }
    data["gaps"] = [g.model_dump(mode="json") for g in card.gaps]
    return json.dumps(data, indent=2, ensure_ascii=False)


def tree_lines(card: Scorecard) -> list[str]:
    tree = card.decision_tree
    if tree is None:
        return []
    steps = [f"{s.label} {s.outcome} ({s.note})" for s in tree.path]
    return [" → ".join(steps), f"Verdict: {tree.verdict_text}"]


def render_text(card: Scorecard) -> str:
    lines = [f"{card.title}: {card.headline}"]
    if card.provisional:
        lines.append(f"Band so far: {card.band.name} (unanswered: {', '.join(card.unanswered)})")
    lines.append(card.band.recommendation)
    lines.append("")
    lines.append("Sections")
    width = max(len(s.title) for s in card.sections)
    for s in card.sections:
        pending = f"  ({s.unanswered} unanswered)" if s.unanswered else ""
        lines.append(f"  {s.title:<{width}}  {bar(s.score, s.max)} {fmt_score(s.score)}/{fmt_score(s.max)}{pending}")
    if card.decision_tree is not None:
        lines += ["", "Decision tree", *(f"  {line}" for line in tree_lines(card))]
    if card.disagreement:
        lines += ["", f"⚠ {card.disagreement}"]
    if card.gaps:
        lines += ["", "Gaps and next steps (weakest section first)"]
        for group in card.gaps:
            lines.append(f"  {group.title} ({fmt_score(group.score)}/{fmt_score(group.max)})")
            for gap in group.gaps:
                lines.append(f"    {gap.question} [{gap.answer}] {gap.text}")
                lines.append(f"        → {gap.next_step}")
    return "\n".join(lines) + "\n"


def _md_cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def render_markdown(card: Scorecard, checklist: Checklist, answers: Mapping[str, float],
                    records: Mapping[str, AnswerRecord], project: str | None = None) -> str:
    title = f"# Decision log: {project}" if project else f"# Decision log: {card.title}"
    out = [title, "", f"- **Checklist:** {card.title} (`{card.checklist}`)",
           f"- **Score:** {card.headline}", f"- **Band:** {card.band.name} — {card.band.recommendation}",
           f"- **Rule:** {card.rule}"]
    if card.disagreement:
        out.append(f"- **⚠ Disagreement:** {card.disagreement}")
    out += ["", "## Sections", "", "| Section | Score | Max |", "|---|---:|---:|"]
    out += [f"| {s.title} | {fmt_score(s.score)} | {fmt_score(s.max)} |" for s in card.sections]
    if card.decision_tree is not None:
        out += ["", "## Decision tree", ""]
        out += [f"{i}. {s.label} — **{s.outcome}** ({s.note})" for i, s in enumerate(card.decision_tree.path, 1)]
        out += ["", f"**Verdict:** {card.decision_tree.verdict_text}"]
    out += ["", "## Answers", "", "| # | Question | Answer | By | When | Note | Suggestion |",
            "|---|---|---|---|---|---|---|"]
    for q in checklist.questions:
        value = answers.get(q.id)
        label = checklist.option(value).label if value is not None else "—"
        rec = records.get(q.id, AnswerRecord())
        out.append(f"| {q.key} | {_md_cell(q.text)} | {label} | {_md_cell(rec.by)} | {_md_cell(rec.at)} "
                   f"| {_md_cell(rec.note)} | {_md_cell(rec.suggestion)} |")
    if card.gaps:
        out += ["", "## Gaps and next steps", ""]
        for group in card.gaps:
            out.append(f"### {group.title} ({fmt_score(group.score)}/{fmt_score(group.max)})")
            out += [f"- **{g.question}** ({g.answer}) {g.text}  \n  Next: {g.next_step}" for g in group.gaps]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def list_checklists(checklists: Sequence[Checklist]) -> str:
    lines = []
    for c in checklists:
        lines.append(f"{c.id:<24} {c.title} ({len(c.questions)} questions) — {c.rule}")
    return "\n".join(lines) + "\n"
