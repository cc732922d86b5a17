"""Blocks for the suggestion report posted in an evaluation thread."""

from __future__ import annotations

from bot.blocks.common import Block, context, esc, limit_blocks, section, user
from conversations.models import Evaluation
from scoring.checklist import Checklist
from scoring.suggest import SuggestionReport


def reading_blocks(uid: str) -> list[Block]:
    return [context(f":hourglass_flowing_sand: Reading the description {user(uid)} pasted…")]


def report_text(report: SuggestionReport) -> str:
    return f"Suggested answers for {len(report.suggestions)} questions — people confirm each one on its card."


def report_blocks(report: SuggestionReport, checklist: Checklist, ev: Evaluation,
                  refreshed: list[str]) -> list[Block]:
    blocks: list[Block] = [section(
        f"*Suggested answers for {len(report.suggestions)} of {len(checklist.questions)} questions* "
        "— nothing is scored until someone clicks an answer on the question's card.")]
    if report.notice:
        blocks.append(context(f":information_source: {esc(report.notice)}"))
    lines = []
    for s in report.suggestions:
        q = checklist.question(s.question)
        kept = "" if q.id in refreshed else " _(already answered — kept the team's answer)_"
        lines.append(f"*{q.key}* {checklist.option(s.answer).label} — {esc(s.reason)}{kept}\n> {esc(s.evidence)}")
    for chunk in _chunks(lines):
        blocks.append(section(chunk))
    if report.no_evidence:
        keys = ", ".join(f"q{n}" for n in report.no_evidence)
        blocks.append(section(f"*No evidence — ask the team:* {keys}"))
    for conflict in report.conflicts:
        blocks.append(context(f":warning: {conflict.question}: {esc(conflict.note)}"))
    extra = []
    if report.dropped:
        extra.append(f"{len(report.dropped)} suggestion(s) dropped: their quote was not in the description")
    if report.usage.calls:
        extra.append(f"{report.usage.total_tokens} tokens, about ${report.usage.estimated_cost_usd:.4f}")
    extra.append(f"engine: {report.engine}")
    blocks.append(context(" · ".join(extra)))
    return limit_blocks(blocks)


def _chunks(lines: list[str], limit: int = 2900) -> list[str]:
    out: list[str] = []
    current = ""
    for line in lines:
        if current and len(current) + len(line) + 2 > limit:
            out.append(current)
            current = ""
        current = f"{current}\n\n{line}" if current else line[:limit]
    if current:
        out.append(current)
    return out
