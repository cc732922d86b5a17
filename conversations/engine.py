"""The engine: runs flow transitions against the store and hands the owed effects to a front end.

A front end (Slack, terminal) implements the narrow :class:`Presenter` interface; it never touches the
store or decides what comes next. Only the caller whose transition was written owns its effects, so
concurrent clicks cannot post the same card twice; effects still owed after a crash are replayed by
:meth:`Engine.repair`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Literal, Protocol

import structlog

from conversations import flow
from conversations.models import Evaluation, SuggestionRef, project_key, utcnow
from conversations.store import Store
from scoring.checklist import Checklist, Registry
from scoring.scorecard import Scorecard, score

log = structlog.get_logger(__name__)


class Presenter(Protocol):
    async def post_root(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> str: ...
    async def update_root(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> None: ...
    async def post_card(self, ev: Evaluation, checklist: Checklist, question_id: str) -> str: ...
    async def update_card(self, ev: Evaluation, checklist: Checklist, card_ts: str) -> None: ...
    async def post_scorecard(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> str: ...
    async def update_scorecard(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> None: ...
    async def post_provisional(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> None: ...


def scorecard_of(ev: Evaluation, checklist: Checklist) -> Scorecard:
    return score(checklist, ev.scored())


class Engine:
    def __init__(self, store: Store, registry: Registry, presenter: Presenter) -> None:
        self.store = store
        self.registry = registry
        self.presenter = presenter
        self.on_completed: list[Callable[[Evaluation], Awaitable[object]]] = []

    def checklist(self, ev: Evaluation) -> Checklist:
        return self.registry.get(ev.checklist)

    async def start(self, *, team: str, channel: str, project: str, checklist_id: str | None, user: str,
                    origin: Literal["slack", "terminal"] = "slack",
                    previous: Evaluation | None = None) -> Evaluation:
        checklist = self.registry.get(checklist_id or (previous.checklist if previous else None))
        ev = flow.start(team=team, channel=channel, project=project, checklist=checklist, user=user,
                        origin=origin, previous=previous)
        outcome = flow.begin(ev, checklist)
        ev = await self.store.create(ev, by=user)
        try:
            return await self.carry_out(ev, outcome.effects)
        except Exception:
            # no root message means no thread anyone could answer in: don't leave a ghost behind
            stored = await self.store.get(ev.id)
            if stored is not None and stored.thread_ts is None:
                await self.store.update(ev.id, flow.discard, by=user, action="discard (root not posted)")
            raise

    async def find_open(self, team: str, channel: str, project: str) -> Evaluation | None:
        key = project_key(project)
        for ev in await self.store.channel_evaluations(team, channel):
            if ev.status == "in_progress" and ev.project_key == key:
                return ev
        return None

    async def answer(self, eid: str, *, card_ts: str, user: str, value: float | None = None,
                     option: str | None = None, question: str | None = None,
                     seen: str | None = None) -> tuple[Evaluation, flow.Outcome | None]:
        """Answer a card with a ``value``, or with an ``option`` key ("yes", "pass"; "skip" = Not sure).

        An option key is resolved against the evaluation's own checklist inside the transition, so a click
        needs no read of its own.
        """
        label = option or ("skip" if value is None else f"{value:g}")

        def transition(ev: Evaluation) -> flow.Outcome:
            checklist = self.checklist(ev)
            chosen = value if option is None else (None if option == flow.SKIP else checklist.option(option).value)
            return flow.answer(ev, checklist, card_ts=card_ts, user=user, value=chosen, question=question)

        return await self._transition(eid, transition, by=user, action=f"answer card {card_ts} = {label}", seen=seen)

    async def change(self, eid: str, *, question: str, user: str, value: float,
                     seen: str | None = None) -> tuple[Evaluation, flow.Outcome | None]:
        return await self._transition(
            eid, lambda ev: flow.change(ev, self.checklist(ev), question=question, user=user, value=value),
            by=user, action=f"change {question} = {value:g}", seen=seen)

    async def note(self, eid: str, *, question: str, user: str, text: str,
                   seen: str | None = None) -> tuple[Evaluation, flow.Outcome | None]:
        return await self._transition(
            eid, lambda ev: flow.add_note(ev, self.checklist(ev), question=question, user=user, note=text),
            by=user, action=f"note {question}", seen=seen)

    async def suggest(self, eid: str, suggestions: dict[str, SuggestionRef], *, user: str) -> tuple[
            Evaluation, list[str]]:
        """Store suggestions (unanswered questions only) and refresh the open cards that show them."""
        ev, refreshed, _ = await self.store.update(
            eid, lambda e: flow.apply_suggestions(e, suggestions), by=user, action="suggestions")
        effects = [e for e in ev.pending if e.startswith("card:")]
        ev = await self.carry_out(ev, effects)
        return ev, refreshed or []

    async def _transition(self, eid: str, fn: Callable[[Evaluation], flow.Outcome], *, by: str, action: str,
                          seen: str | None) -> tuple[Evaluation, flow.Outcome | None]:
        ev, outcome, dup = await self.store.update(eid, fn, by=by, action=action, seen=seen)
        if dup or outcome is None:
            return ev, None
        if outcome.applied:
            ev = await self.carry_out(ev, outcome.effects)
            if outcome.completed:
                for hook in self.on_completed:
                    await hook(ev)
        return ev, outcome

    async def carry_out(self, ev: Evaluation, effects: list[str]) -> Evaluation:
        """Post/update what the transition owes, then record the new message ts in one write."""
        checklist = self.checklist(ev)
        card = scorecard_of(ev, checklist)
        view = ev.model_copy(deep=True)  # what the front end sees; ``ev`` stays the stored version
        posted_cards: list[tuple[str, str]] = []
        done: list[str] = []
        for effect in effects:
            kind, _, arg = effect.partition(":")
            if kind == "root":
                if view.thread_ts is None:
                    view.thread_ts = await self.presenter.post_root(view, checklist, card)
                    await self.store.link_thread(ev.id, ev.channel, view.thread_ts)
                else:
                    await self.presenter.update_root(view, checklist, card)
            elif kind == "ask":
                posted_cards.append((arg, await self.presenter.post_card(view, checklist, arg)))
            elif kind == "card":
                await self.presenter.update_card(view, checklist, arg)
            elif kind == "scorecard":
                if view.scorecard_ts is None:
                    view.scorecard_ts = await self.presenter.post_scorecard(view, checklist, card)
                else:
                    await self.presenter.update_scorecard(view, checklist, card)
            elif kind == "provisional":
                await self.presenter.post_provisional(view, checklist, card)
            done.append(effect)

        def record(e: Evaluation) -> None:
            if view.thread_ts and not e.thread_ts:
                flow.root_posted(e, view.thread_ts)
            if view.scorecard_ts and not e.scorecard_ts:
                flow.scorecard_posted(e, view.scorecard_ts)
            for qid, ts in posted_cards:
                flow.card_posted(e, qid, ts)
            for effect in done:
                flow.effect_done(e, effect)

        ev, _, _ = await self.store.update(ev.id, record, by="ftcheck", action="posted", known=ev)
        return ev

    async def repair(self, older_than: timedelta = timedelta(seconds=30)) -> int:
        """Replay effects left owed by a crash between saving a transition and posting its messages."""
        repaired = 0
        cutoff = utcnow() - older_than
        for ev in await self.store.active():
            if ev.pending and ev.last_activity < cutoff and ev.origin == "slack":
                log.info("repair_pending", evaluation=ev.id, effects=ev.pending)
                await self.carry_out(ev, list(ev.pending))
                repaired += 1
        return repaired
