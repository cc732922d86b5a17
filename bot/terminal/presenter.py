"""The engine's Presenter for the terminal: prints the header and scorecards; question prompts are the walk's."""

from __future__ import annotations

from bot.terminal.console import Console
from bot.terminal.words import option_words
from conversations.models import Evaluation
from scoring.checklist import Checklist
from scoring.render import render_text
from scoring.scorecard import Scorecard


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
        self.show(ev, card)
        return f"score-{ev.id}"

    async def update_scorecard(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> None:
        if not card.provisional:  # a provisional card redrawn after each change would bury the question
            self.show(ev, card)

    def show(self, ev: Evaluation, card: Scorecard) -> None:
        """Print a scorecard, once for the same answers."""
        key = (ev.id, ev.status, *sorted((q, a.value, a.skips) for q, a in ev.answers.items()))
        if self.shown == key:
            return
        self.shown = key
        self.console.say("\n" + render_text(card).rstrip("\n"))
