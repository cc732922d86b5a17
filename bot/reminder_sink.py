"""Posts reminders and idle nudges for :class:`conversations.reminders.Reminders`.

Both are posted once though Slack may apply a post and still fail it (a 5xx, a dropped connection, an answer after
the client gave up): each carries Slack message metadata naming it, and is looked for, not repeated blindly
(:meth:`bot.presenter.SlackPresenter.post_once`). So is the DM that tells the starter a reminder is paused, in the DM
itself (:meth:`bot.presenter.SlackPresenter.tell_dm`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.common import esc
from bot.blocks.evaluation import split_wait
from bot.blocks.leads import IdleWait, idle_text, reminder_blocks, reminder_text
from bot.leads.reminders import own_cadence, turn_on_again
from bot.links import message_url
from bot.presenter import SlackPresenter
from conversations.effects import DeliveryFailed
from conversations.flow import asked_again, card_state, left_open_by
from conversations.models import Evaluation, utcnow
from conversations.reminders import (
    UNSAID,
    Cadence,
    ReminderQueue,
    ReminderUndeliverable,
    default_cadence,
    reminder_attempt,
)
from conversations.store import Store
from conversations.voting import hidden_votes, still_to_vote
from scoring.checklist import Registry, UnknownChecklist
from scoring.scorecard import Scorecard

log = structlog.get_logger(__name__)

# Errors that mean the bot cannot post in the channel any more: retrying a minute (or a quarter) later would fail the
# same way, unseen. The reminder is paused and its starter told by DM, as the outbox does (bot/presenter.py).
CHANNEL_GONE = frozenset({"channel_not_found", "is_archived", "not_in_channel", "restricted_action"})


class SlackReminderSink:
    def __init__(self, client: AsyncWebClient, registry: Registry, zone: tzinfo, *, store: Store | None = None,
                 after: timedelta | None = None) -> None:
        """``store``, ``after`` (``FTCHECK_REEVALUATE_AFTER``): for the cadence the paused-reminder DM names (the one
        a lead chose, read from the reminder queue; without ``store``, the checklist's own)."""
        self.client = client
        self.presenter = SlackPresenter(client)  # posts once: findable by metadata, looked for after a failure
        self.registry = registry
        self.zone = zone  # the team's zone, for the reminder's "Last time (<day>)"
        self.store = store
        self.after = after

    async def post_reminder(self, ev: Evaluation, card: Scorecard) -> None:
        """A reply in the evaluation's thread, also sent to the channel, with the three buttons; in the channel when
        the thread is gone. A channel the bot cannot post in any more pauses it (:class:`ReminderUndeliverable`),
        once its starter was told; any other failure is raised for the queue to retry a minute later (that retry
        looks for what this try may have posted: the reminder is named by its first try)."""
        attempt = reminder_attempt()
        since = attempt.since if attempt is not None else utcnow()
        again = attempt is not None and attempt.again
        ref, look_first = f"{ev.id}:reminder:{since.timestamp():.0f}", again
        thread = ev.thread_ts
        # today's checklist: it says which answers a re-evaluation cannot pre-fill, should the team have changed it
        blocks = reminder_blocks(ev, card, tz=self.zone, checklist=self.registry.get(ev.checklist))
        for _ in range(2):
            try:
                await self.presenter.post_once(ev, ref, look_first=look_first, since=since, thread_ts=thread,
                                               reply_broadcast=True if thread else None,
                                               text=reminder_text(ev, card), blocks=blocks)
                return
            except DeliveryFailed as exc:
                if exc.reason == "thread_not_found" and thread:  # its root was deleted: the channel still takes it
                    log.info("reminder_thread_gone", evaluation=ev.id)
                    thread, look_first = None, False  # looked for already (in the channel too)
                    continue
                if exc.reason not in CHANNEL_GONE:
                    raise
                await self._tell_paused(ev, exc.reason, since, again)
                raise ReminderUndeliverable(exc.reason) from exc

    async def _tell_paused(self, ev: Evaluation, reason: str, since: datetime, again: bool) -> None:
        """Once, by DM to the evaluation's starter (nobody in the channel can read it any more): named by the
        reminder's first try, like the reminder; a retry of that try looks for it first."""
        try:
            text = paused_text(ev, reason, await self._cadence(ev))
            await self.presenter.tell_dm(ev, ev.started_by, f"{ev.id}:paused:{since.timestamp():.0f}", text,
                                         look_first=again)
        except DeliveryFailed as exc:  # not posted, or not known to be: never posted twice (the pause stands)
            log.warning("reminder_pause_not_told", evaluation=ev.id, error=exc.reason, unconfirmed=exc.unconfirmed)

    async def _cadence(self, ev: Evaluation) -> Cadence:
        if self.store is None:
            try:
                return default_cadence(self.after, self.registry.get(ev.checklist))
            except UnknownChecklist:
                return UNSAID
        return await own_cadence(ReminderQueue(self.store), self.after, self.registry, ev)

    async def post_idle_nudge(self, ev: Evaluation, question_id: str) -> None:
        """One gentle reply in the thread naming the project and the question it waits for, linking its card, and
        mentioning who can move it on: the starter, or in a team vote whoever is still to vote (``still_to_vote``).

        Not sent to the channel (no ``reply_broadcast``, unlike the quarterly reminder): a nudge comes after every
        quiet spell of every evaluation waiting in the channel, which would be noise there; the mention reaches the
        people it is for, whether or not they follow the thread, and the thread's followers see it as before."""
        checklist = self.registry.get(ev.checklist)
        if not ev.thread_ts or not checklist.asks(question_id):  # its question was dropped: nothing to nudge about
            return
        q = checklist.question(question_id)
        link = await self._card_link(ev, question_id)
        try:
            state, entry = card_state(ev, question_id), ev.answers.get(question_id)
            split = split_wait(ev) if state == "split" else None
            # left without an answer (no card takes answers or votes): by the starter's Not sure on a second split,
            # for them or a lead to answer; else skipped twice, for anyone. A question skipped once is asked again
            left = state == "skipped" and entry is not None and not asked_again(entry.skips)
            chosen = left and left_open_by(ev, question_id) is not None
            votes = hidden_votes(ev, question_id)  # None unless its card takes votes
            missing = still_to_vote(ev, question_id) if votes is not None else []
            wait = IdleWait(project=ev.project, key=q.key, question=q.name, text=q.text,
                            people=missing or [ev.started_by], link=link)
            text = idle_text(wait, skipped=left and not chosen, split=split, votes=votes, to_vote=bool(missing),
                             left_open=chosen)
            # named by the write that recorded this nudge (``ev.version``): a nudge of a later quiet spell is another
            await self.presenter.post_once(ev, f"{ev.id}:nudge:{question_id}:{ev.version}", thread_ts=ev.thread_ts,
                                           text=text)
        except DeliveryFailed as exc:  # not posted, or not known to be: never posted twice (it is recorded as done)
            log.warning("idle_nudge_failed", evaluation=ev.id, error=exc.reason, unconfirmed=exc.unconfirmed)

    async def _card_link(self, ev: Evaluation, question_id: str) -> str | None:
        return await message_url(self.client, ev.channel, ev.card_for(question_id), ev.thread_ts)


def paused_text(ev: Evaluation, reason: str, cadence: Cadence = UNSAID) -> str:
    """What the starter is told when a reminder cannot be posted in its channel, and how to turn it back on (at
    ``cadence``, its own)."""
    name, channel = esc(ev.project), f"<#{ev.channel}>"
    turn_on = f"then run {turn_on_again(ev, cadence)} there to resume them"
    if reason == "is_archived":
        how = f"Once {channel} is unarchived, invite me back with `/invite @ftcheck`, {turn_on}."
    elif reason == "restricted_action":
        how = f"Once I may post in {channel} again, {turn_on.removeprefix('then ')}."
    else:
        how = f"Invite me back to {channel} with `/invite @ftcheck`, {turn_on}."
    return (f"I could not post the re-evaluation reminder for *{name}* in {channel} (Slack said `{esc(reason)}`), so "
            f"its reminders are paused: I will not try again until someone resumes them. {how}")
