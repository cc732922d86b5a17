"""Plain-text rendering of a report for the CLI and terminals (no Slack markup)."""

from __future__ import annotations

from typing import Literal

from scoring.checklist import Checklist
from scoring.render import wrap
from scoring.suggest.models import Dropped, SuggestionReport

# Why the LLM's answer was replaced by the offline reader's: the LLM suggester writes the reason into the notice
# with these two helpers, and :func:`fallback_cause` reads it back for the Slack line (one module owns both).
FallbackCause = Literal["failed", "slow", "quotes"]
_SLOW = "no answer within"
TIMED_OUT = "timed out"  # one request timed out, with no time left to try again
_QUOTES = "held up"


def slow_reason(seconds: float) -> str:
    return f"{_SLOW} {seconds:g} s"


def quotes_reason(dropped: int) -> str:
    return f"none of its {dropped} quote{'' if dropped == 1 else 's'} {_QUOTES}"


def fallback_cause(report: SuggestionReport) -> FallbackCause | None:
    """Why the offline reader answered after a model call, or None when it did not (no call, or the LLM's answer
    was used)."""
    if report.engine != "offline" or not report.usage.calls or not report.notice:
        return None
    if _SLOW in report.notice or f"({TIMED_OUT})" in report.notice:
        return "slow"
    if _QUOTES in report.notice:
        return "quotes"
    return "failed"


NOT_FOUND = "not found"


def quotes_not_found(dropped: list[Dropped]) -> bool:
    """Every dropped quote was missing from the description (rather than off the point)."""
    return bool(dropped) and all(NOT_FOUND in d.why for d in dropped)


def _label(checklist: Checklist, value: float) -> str:
    try:
        return f"{checklist.option(value).label} ({value:g})"
    except KeyError:
        return f"{value:g}"


def render_report_text(report: SuggestionReport, checklist: Checklist, width: int | None = None) -> str:
    """The report as text, quotes in “ ” as the question cards show them; with ``width`` (a terminal's columns) a
    suggested question's line that wraps hangs under its key."""
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
            *(wrap(f"{q.key}. {q.text}", "  ", "", width) if width else [f"{q.key}. {q.text}"]),
            f"    {_label(checklist, s.answer)} — {s.reason}",
            f"    “{s.evidence}”",
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
        lines.append(f"Check {w.question} (no answer suggested): {w.note} “{w.quote}”")
    for c in report.conflicts:
        quotes = " / ".join(f"“{q}”" for q in c.quotes)
        lines.append(f"Conflict on {c.question}: {c.note} {quotes}")
    u = report.usage
    if u.calls:
        lines.append(
            f"Usage: {u.calls} call{'' if u.calls == 1 else 's'}, {u.prompt_tokens:,} prompt + "
            f"{u.completion_tokens:,} completion = "
            f"{u.total_tokens:,} tokens, estimated ${u.estimated_cost_usd:.4f}"
        )
    else:
        lines.append("Usage: no model calls (offline), $0.00")
    return "\n".join(lines)
