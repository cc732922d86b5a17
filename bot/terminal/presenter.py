"""The engine's Presenter for the terminal: prints the header and scorecards; question prompts are the walk's."""

from __future__ import annotations

from bot.blocks.scorecard import since_last_time
from bot.terminal.console import Console
from bot.terminal.words import option_words
from conversations.flow import previous_result
from conversations.models import Evaluation
from scoring.checklist import Checklist
from scoring.render import WIDTH, render_text, wrap
from scoring.scorecard import Scorecard
from scoring.verdict import verdict_of


class TerminalPresenter:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.shown: tuple[object, ...] | None = None  # the answers whose scorecard is on screen

    async def post_root(self, ev: Evaluation, checklist: Checklist) -> str:
        self.console.say(f"\n== {checklist.title}: {ev.project} ==")
        self.console.say(f"Answer each question: {option_words(checklist)} (skip = not sure, asked again "
                         "later). Type help for commands.")
        return f"root-{ev.id}"

    async def update_root(self, ev: Evaluation, checklist: Checklist) -> None:
        return None

    async def post_card(self, ev: Evaluation, checklist: Checklist, question_id: str) -> str:
        return f"t{len(ev.cards) + 1}"

    async def update_card(self, ev: Evaluation, checklist: Checklist, card_ts: str) -> None:
        return None

    async def post_scorecard(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> str:
        self.show(ev, card, since(ev, card, checklist))
        return f"score-{ev.id}"

    async def update_scorecard(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> None:
        if not card.provisional:  # a provisional card redrawn after each change would bury the question
            self.show(ev, card, since(ev, card, checklist))

    def show(self, ev: Evaluation, card: Scorecard, since: str | None = None) -> None:
        """Print a scorecard, once for the same answers; ``since``: the change since last time, under the decision."""
        key = (ev.id, ev.status, *sorted((q, a.value, a.skips) for q, a in ev.answers.items()))
        if self.shown == key:
            return
        self.shown = key
        self.console.show(lambda width: "\n" + with_since(render_text(card, width=width).rstrip("\n"), card, since,
                                                          width))


def since(ev: Evaluation, card: Scorecard, checklist: Checklist | None = None) -> str | None:
    """The line Slack's scorecard has under the decision for a re-evaluation: ``+2.5 since last time (12.5/20).``
    (:func:`bot.blocks.scorecard.since_last_time`). None for a first evaluation, and for a provisional card (its
    total leaves questions out). ``checklist``: the one ``card`` was scored with, which tells whether a result kept
    before results recorded their totals fingerprint compares (:func:`conversations.flow.previous_result`)."""
    then = ev.previous_result if checklist is None else previous_result(ev, checklist)
    if card.provisional or then is None:
        return None
    return since_last_time(card, then)


def with_since(text: str, card: Scorecard, since: str | None, width: int = WIDTH) -> str:
    """``text`` (a rendered scorecard, ``width`` columns wide) with ``since`` wrapped in right under its decision
    line."""
    if not since:
        return text
    decision = "\n".join(wrap(f"{verdict_of(card).line()}.", "  ", "", width))
    at = text.find(decision)
    end = at + len(decision) if at >= 0 else text.find("\n")  # after the decision, else after the title
    end = len(text) if end < 0 else end
    return text[:end] + "\n" + "\n".join(wrap(since, "  ", "", width)) + text[end:]
