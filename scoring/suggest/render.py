"""Plain-text rendering of a report for the CLI and terminals (no Slack markup)."""

from __future__ import annotations

from scoring.checklist import Checklist
from scoring.suggest.models import SuggestionReport


def _label(checklist: Checklist, value: float) -> str:
    try:
        return f"{checklist.option(value).label} ({value:g})"
    except KeyError:
        return f"{value:g}"


def render_report_text(report: SuggestionReport, checklist: Checklist) -> str:
    engine = "LLM" if report.engine == "llm" else "offline suggester"
    lines = [
        f"Suggested answers for {checklist.title} — {len(report.suggestions)} of "
        f"{len(checklist.questions)} questions ({engine}). People confirm every answer."
    ]
    if report.notice:
        lines.append(f"Note: {report.notice}")
    for s in report.suggestions:
        q = checklist.question(s.question)
        lines += [
            "",
            f"{q.key}. {q.text}",
            f"    {_label(checklist, s.answer)} — {s.reason} [{s.origin}]",
            f'    "{s.evidence}"',
        ]
        if s.caution:
            lines.append(f"    Check: {s.caution}")
    lines.append("")
    if report.no_evidence:
        lines.append("No evidence — ask the team: " + ", ".join(f"q{n}" for n in report.no_evidence))
    else:
        lines.append("Every question has a suggestion or a conflict to resolve.")
    if report.dropped:
        lines.append(
            f"Dropped: {len(report.dropped)} suggestion(s) whose quote did not hold up "
            f"({'; '.join(sorted({d.why for d in report.dropped}))})."
        )
    for w in report.cautions:
        lines.append(f'Check {w.question} (no answer suggested): {w.note} "{w.quote}"')
    for c in report.conflicts:
        quotes = " / ".join(f'"{q}"' for q in c.quotes)
        lines.append(f"Conflict on {c.question}: {c.note} {quotes}")
    u = report.usage
    if u.calls:
        lines.append(
            f"Usage: {u.calls} call, {u.prompt_tokens:,} prompt + {u.completion_tokens:,} completion = "
            f"{u.total_tokens:,} tokens, estimated ${u.estimated_cost_usd:.4f}"
        )
    else:
        lines.append("Usage: no model calls (offline), $0.00")
    return "\n".join(lines)
