"""A walk-through driven by the pure transitions, with a front end that delivers every owed post at once (each post
gets the next ts), for tests of what cards and scorecards say at each step."""

from __future__ import annotations

import itertools

from bot.blocks.common import Block
from conversations import flow
from conversations.effects import PostCard, PostRoot
from conversations.models import Evaluation
from scoring.checklist import Checklist


class Delivered:
    """``ev`` begun, its root and cards posted; subclasses call :meth:`_deliver` after each move."""

    def __init__(self, ev: Evaluation, checklist: Checklist) -> None:
        self.ev = ev
        self._ts = (f"100.{n:06d}" for n in itertools.count(1))
        flow.begin(self.ev, checklist)
        self._deliver()

    def _deliver(self) -> None:
        for owed in list(self.ev.pending):
            if isinstance(owed.effect, PostRoot):
                flow.root_posted(self.ev, next(self._ts))
            elif isinstance(owed.effect, PostCard):
                flow.card_posted(self.ev, owed.effect.question, next(self._ts))
            flow.delivered(self.ev, owed.key)


def block_text(blocks: list[Block]) -> str:
    """The texts of blocks (sections, their fields, contexts), one per line, as the card reads."""
    out = []
    for b in blocks:
        if isinstance(b.get("text"), dict):
            out.append(b["text"]["text"])
        out += [e["text"] for e in b.get("elements", []) if isinstance(e.get("text"), str)]
        out += [f["text"] for f in b.get("fields", [])]
    return "\n".join(out)
