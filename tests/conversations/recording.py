"""A Presenter that records what the engine asked the front end to do (the front end, not Redis, is faked)."""

from __future__ import annotations

import itertools

from conversations.effects import PostDecisionChange, PostSplit
from conversations.models import Evaluation
from scoring.checklist import Checklist
from scoring.scorecard import Scorecard


class RecordingPresenter:
    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []
        self._ts = itertools.count(1)

    def _next(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    async def post_root(self, ev: Evaluation, checklist: Checklist) -> str:
        ts = self._next()
        self.log.append(("root", ts))
        return ts

    async def update_root(self, ev: Evaluation, checklist: Checklist) -> None:
        self.log.append(("update_root", ev.status))

    async def post_card(self, ev: Evaluation, checklist: Checklist, question_id: str) -> str:
        ts = self._next()
        self.log.append(("card", question_id))
        return ts

    async def update_card(self, ev: Evaluation, checklist: Checklist, card_ts: str) -> None:
        self.log.append(("update_card", card_ts))

    async def post_scorecard(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> str:
        self.log.append(("scorecard", card.headline if card.provisional else card.total_text))
        return self._next()

    async def update_scorecard(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> None:
        self.log.append(("update_scorecard", card.total_text))

    def kinds(self, kind: str) -> list[str]:
        return [arg for k, arg in self.log if k == kind]


class RecordingRecovery(RecordingPresenter):
    """A RecordingPresenter with the Recovery side (``conversations.engine.Recovery``): nothing found in the thread,
    nothing to delete or tell, and every post Slack takes. A test's fake overrides the part it exercises."""

    async def find_posted(self, ev: Evaluation, ref: str, *, but: str | None = None) -> str | None:
        return None

    async def delete_posted(self, ev: Evaluation, ts: str) -> None:
        return None

    async def tell_undelivered(self, ev: Evaluation, checklist: Checklist, what: str, reason: str) -> None:
        return None

    async def post_note(self, ev: Evaluation, checklist: Checklist, about: str) -> str:
        return self._next()

    async def post_decision_change(self, ev: Evaluation, checklist: Checklist, change: PostDecisionChange) -> str:
        return self._next()

    async def post_split(self, ev: Evaluation, checklist: Checklist, split: PostSplit) -> str:
        return self._next()
