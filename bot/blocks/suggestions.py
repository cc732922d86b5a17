"""Blocks for the helper's suggestions: one line in the thread, and the hint on each open card."""

from __future__ import annotations

from bot.blocks.common import Block, context, esc, section, user
from conversations.models import Evaluation, SuggestionRef
from scoring.checklist import Checklist
from scoring.suggest import SuggestionReport


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


def report_text(report: SuggestionReport, kept: int = 0, *, origin: str = "the pasted description",
                earlier: bool = False) -> str:
    """The whole report in one line; the detail sits on each question's card. ``kept``: suggestions for
    questions the team had already answered (their answer stays, nothing is shown for them). ``origin``: where
    the text came from; ``earlier``: the cards still show suggestions from another description."""
    checks = len(report.conflicts) + len(report.cautions)
    shown = len(report.suggestions) - kept
    if not report.suggestions and not checks:
        line = f"No suggestions from {origin}: it does not answer any question clearly"
        if earlier:
            line += "; the earlier suggestions stay on the cards"
    else:
        line = (f"{_plural(shown, 'suggestion')} from {origin}, shown on each card" if shown
                else f"No new suggestions from {origin} for the questions still open")
        if checks:
            line += f"; {_plural(checks, 'question')} marked to check"
        if kept:
            line += (f"; {kept} more for questions already answered, so the team's "
                     + ("answer stays" if kept == 1 else "answers stay"))
    if report.notice and report.usage.calls:
        line += " (the AI helper could not answer, so the built-in reader made them)"
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
