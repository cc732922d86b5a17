"""Blocks for the helper's suggestions: one line in the thread, and the hint on each open card."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.blocks.common import Block, context, esc, one_line, section
from conversations.models import Evaluation, SuggestionRef
from scoring.checklist import Checklist
from scoring.suggest import SuggestionReport
from scoring.suggest.render import fallback_cause, quotes_not_found

DIFFERS_NAMED = 3  # answered questions the report names where the description reads them otherwise
DIFFERS_QUOTE = 60  # characters of each one's quote


PASTED = "the pasted description"  # where a description came from, as the thread's report line names it


def given_to(command: str) -> str:
    """A description given to a command (``@ftcheck suggest``), as the report line names where it came from."""
    return f"the description given to `{command}`"


def reading_blocks(origin: str = PASTED) -> list[Block]:
    # no mention of who pasted it: a post that names them would notify them of their own message
    return [context(f":hourglass_flowing_sand: Reading {esc(origin)}…")]


def failed_blocks(line: str) -> list[Block]:
    """The placeholder after a failure: what happened to the description and what to do."""
    return [context(f":warning: {esc(line)}")]


def not_kept_blocks(line: str) -> list[Block]:
    """The placeholder of a reading not kept (its description was deleted or edited while the helper read it), or
    the report of a description deleted since: ``line`` is the bot's own words (its backticks format)."""
    return [context(f":information_source: {line}")]


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


@dataclass(frozen=True)
class Differs:
    """An answered question the description reads otherwise: the team's answer stays; the report names it."""

    key: str  # "q1"
    read: str  # the option the description reads ("Yes")
    quote: str  # the words it reads it from, shortened
    team: str  # the team's answer ("No")

    def text(self, mrkdwn: bool) -> str:
        read, quote, team = (esc(w) if mrkdwn else w for w in (self.read, self.quote, self.team))
        return f"{self.key} as {read} (“{quote}”) where the team said {team}"


@dataclass(frozen=True)
class Tally:
    """What a reading put on the cards: ``shown`` answers and ``checks`` (a caution or a conflict, no answer) on
    the questions still open; ``kept``: answers for questions the team had answered (their answer stays, nothing
    is shown for them, nor is a check on them); ``differs``: those the description reads otherwise; ``replaced``:
    suggestions of another description it replaced on the cards."""

    shown: int
    checks: int
    kept: int = 0
    differs: tuple[Differs, ...] = ()
    replaced: int = 0

    @classmethod
    def of_report(cls, report: SuggestionReport) -> Tally:
        """Everything the report holds, as when no question was answered yet."""
        return cls(shown=len(report.suggestions), checks=len(report.conflicts) + len(report.cautions))


def tally(report: SuggestionReport, checklist: Checklist, ev: Evaluation, refs: Mapping[str, SuggestionRef],
          stored: list[str]) -> Tally:
    """What the cards show of ``report`` (``refs``: it as stored suggestions, by question id) once ``stored`` (the
    questions whose suggestion was stored) were saved: counted as the cards draw it (a conflict stands instead of
    an answer)."""
    on_cards = [refs[q] for q in stored if q in refs]
    differs: list[Differs] = []
    kept = 0
    for s in report.suggestions:
        question = checklist.question(s.question)
        if question.id in stored:
            continue
        kept += 1
        entry = ev.answers.get(question.id)
        if entry is not None and entry.value is not None and entry.value != s.answer:
            differs.append(Differs(question.key, checklist.option(s.answer).label,
                                   one_line(s.evidence, DIFFERS_QUOTE, at_word=True),
                                   checklist.option(entry.value).label))
    return Tally(shown=sum(1 for r in on_cards if r.value is not None),
                 checks=sum(1 for r in on_cards if r.value is None), kept=kept, differs=tuple(differs))


def _differs_text(differs: tuple[Differs, ...], mrkdwn: bool) -> str:
    """" The description reads q1 as Yes (“…”) where the team said No; …": at most :data:`DIFFERS_NAMED`."""
    if not differs:
        return ""
    named = "; ".join(d.text(mrkdwn) for d in differs[:DIFFERS_NAMED])
    more = len(differs) - DIFFERS_NAMED
    return f" The description reads {named}" + (f"; and {more} more" if more > 0 else "") + "."


def report_text(report: SuggestionReport, counted: Tally | None = None, *, origin: str = PASTED,
                earlier: bool = False, mrkdwn: bool = False) -> str:
    """The whole report in one line; the detail sits on each question's card. ``counted``: what the cards show
    (:func:`tally`; default: everything in the report, nothing answered yet). Questions the team had answered keep
    their answer; those the description reads otherwise are named, with a quote. ``origin``: where the text came
    from (the bot's words); ``earlier``: the cards still show suggestions from another description. When the
    built-in reader stood in for the AI helper, it says why (and, finding nothing, that it found nothing).
    ``mrkdwn``: for Slack, with what people wrote (the quotes) and the checklist's labels escaped."""
    counted = counted or Tally.of_report(report)
    checks, shown, kept = counted.checks, counted.shown, counted.kept
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
    if counted.replaced and shown:
        line += f" in place of {counted.replaced} from an earlier description"
    if checks:
        line += f"; {_plural(checks, 'question')} marked to check"
    if kept:
        line += (f"; {kept} more for questions already answered, so the team's "
                 + ("answer stays" if kept == 1 else "answers stay"))
    line += _left_out(report)
    if stood_in:
        line += f" ({stood_in}, so the built-in reader made them)"
    return line + "." + _differs_text(counted.differs, mrkdwn)


def report_blocks(text: str) -> list[Block]:
    """The report line in the thread: :func:`report_text` with ``mrkdwn`` (what people wrote in it is escaped)."""
    return [context(f":bulb: {text}")]


def deleted_report_text(origin: str, quoted: bool) -> str:
    """What the report of a description becomes once the description is deleted. ``origin``: where the text came
    from ("the pasted description"); ``quoted``: answers given while its suggestions showed kept its quotes (now
    taken out; the answers stay)."""
    line = f"{origin[0].upper()}{origin[1:]} was deleted, so its suggestions were removed from the cards"
    if quoted:
        line += " and its quotes from the answers already given (they stay as answered)"
    return line + "."


def _quotes(quotes: list[str]) -> str:
    return "\n".join(f"> {esc(q)}" for q in quotes)


def _hint(ref: SuggestionRef, checklist: Checklist) -> list[Block]:
    if ref.conflict:
        return [section(f":bulb: *Helper: the evidence points both ways — check.* {esc(ref.reason)}\n"
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
