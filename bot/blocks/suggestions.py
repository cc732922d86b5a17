"""Blocks for the helper's suggestions: one line in the thread, and the hint on each open card."""

from __future__ import annotations

from bot.blocks.common import Block, context, esc, section, user
from conversations.models import Evaluation, SuggestionRef
from scoring.checklist import Checklist
from scoring.suggest import SuggestionReport
from scoring.suggest.render import fallback_cause, quotes_not_found


def reading_blocks(uid: str) -> list[Block]:
    return [context(f":hourglass_flowing_sand: Reading the description {user(uid)} pasted…")]


def failed_blocks(line: str) -> list[Block]:
    """The placeholder after a failure: what happened to the description and what to do."""
    return [context(f":warning: {esc(line)}")]


def not_kept_blocks(line: str) -> list[Block]:
    """The placeholder of a reading not kept: its description was deleted or edited while the helper read it."""
    return [context(f":information_source: {esc(line)}")]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _quotes_failed(report: SuggestionReport, *, past: bool) -> str:
    """What was wrong with the AI helper's dropped quotes: not in the text, not backing the answer, or either."""
    missing = sum(1 for d in report.dropped if quotes_not_found([d]))
    absent = "could not be found in your text" if past else "are not in your text"
    off = "did not back its answers" if past else "do not back them"
    if missing == len(report.dropped):
        return absent
    return off if not missing else f"{absent} or {off}"


def _fallback_why(report: SuggestionReport) -> str | None:
    """Why the built-in reader answered instead of the AI helper, or None when it did not stand in."""
    cause = fallback_cause(report)
    if cause is None:
        return None
    if cause == "slow":
        return "the AI helper took too long"
    if cause == "quotes":
        n = len(report.dropped)
        return f"the AI helper's {'quote' if n == 1 else f'{n} quotes'} {_quotes_failed(report, past=True)}"
    return "the AI helper could not answer"


def _left_out(report: SuggestionReport) -> str:
    """The AI helper's answers left out because their quote did not hold up (not in the text, or off the point)."""
    n = len(report.dropped)
    if report.engine != "llm" or not n:
        return ""
    return f"; {n} of the AI helper's answers left out because their quotes {_quotes_failed(report, past=False)}"


def report_text(report: SuggestionReport, kept: int = 0, *, origin: str = "the pasted description",
                earlier: bool = False) -> str:
    """The whole report in one line; the detail sits on each question's card. ``kept``: suggestions for
    questions the team had already answered (their answer stays, nothing is shown for them). ``origin``: where
    the text came from; ``earlier``: the cards still show suggestions from another description. When the
    built-in reader stood in for the AI helper, it says why (and, finding nothing, that it found nothing)."""
    checks = len(report.conflicts) + len(report.cautions)
    shown = len(report.suggestions) - kept
    stood_in = _fallback_why(report)
    if not report.suggestions and not checks:
        line = f"No suggestions from {origin}: " + (
            f"{stood_in}, and the built-in reader found nothing it could quote either" if stood_in
            else "it does not answer any question clearly")
        if earlier:
            line += "; the earlier suggestions stay on the cards"
        return line + _left_out(report) + "."
    line = (f"{_plural(shown, 'suggestion')} from {origin}, shown on each card" if shown
            else f"No new suggestions from {origin} for the questions still open")
    if checks:
        line += f"; {_plural(checks, 'question')} marked to check"
    if kept:
        line += (f"; {kept} more for questions already answered, so the team's "
                 + ("answer stays" if kept == 1 else "answers stay"))
    line += _left_out(report)
    if stood_in:
        line += f" ({stood_in}, so the built-in reader made them)"
    return line + "."


def kept_count(report: SuggestionReport, checklist: Checklist, stored: list[str]) -> int:
    """Suggestions that were not stored: the team had answered those questions already."""
    return sum(1 for s in report.suggestions if checklist.question(s.question).id not in stored)


def report_blocks(report: SuggestionReport, checklist: Checklist, ev: Evaluation,
                  stored: list[str], *, origin: str = "the pasted description", earlier: bool = False) -> list[Block]:
    text = report_text(report, kept_count(report, checklist, stored), origin=origin, earlier=earlier)
    return [context(f":bulb: {esc(text)}")]


def _quotes(quotes: list[str]) -> str:
    return "\n".join(f"> {esc(q)}" for q in quotes)


def _hint(ref: SuggestionRef, checklist: Checklist) -> list[Block]:
    if ref.conflict:
        return [section(f":bulb: *Helper: the description disagrees with itself — check.* {esc(ref.reason)}\n"
                        f"{_quotes(ref.conflict)}")]
    if ref.value is None:
        return [section(f":bulb: *Helper: {esc(ref.caution or ref.reason)}*\n{_quotes([ref.evidence])}")]
    label = checklist.option(ref.value).label
    blocks = [section(f":bulb: *Helper suggests: {label}* — {esc(ref.reason)}\n{_quotes([ref.evidence])}")]
    if ref.caution:
        blocks.append(context(f":warning: {esc(ref.caution)}"))
    return blocks


def suggestion_hint_blocks(ev: Evaluation, checklist: Checklist, question_id: str) -> list[Block]:
    """The helper's hint on an open card: its answer, reason and quote, a caution or a conflict with both
    quotes; nothing when the helper has nothing on this question. People still pick the answer."""
    ref = ev.suggestions.get(question_id)
    if ref is None:
        return []
    return [*_hint(ref, checklist), context("_The helper's reading of the description: pick the answer yourself._")]
