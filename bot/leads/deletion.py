"""``delete``: hide a project's latest evaluation (kept in the audit trail) and close its thread."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from bot.blocks.common import esc
from bot.blocks.leads import day
from bot.commands import CommandError
from bot.leads import reminders as lead_reminders
from bot.leads.access import Asker, deleted_words, denied, find_project, may_manage
from bot.leads.projects import scored
from bot.leads.reminders import working_hours
from bot.presenter import SlackPresenter
from bot.services import Services
from bot.visibility import Visibility
from conversations import queries
from conversations.effects import DeliveryFailed
from conversations.models import Evaluation
from conversations.reminders import UNSAID, Cadence, ReminderQueue, default_cadence
from scoring.checklist import UnknownChecklist
from scoring.render import plural


async def delete(svc: Services, vis: Visibility, asker: Asker, name: str) -> str:
    """The project's latest evaluation in this channel (anywhere, from outside a channel); the reply says which.
    Never another channel's from a channel: a delete run twice must not reach past this channel's last one."""
    evaluations = (await find_project(svc, vis, asker, name)).evaluations
    here = [e for e in evaluations if e.channel == asker.here]
    if asker.here is not None and not here:
        there = evaluations[-1]
        gone = await deleted_words(svc, asker, name, asker.here) or f"No evaluation of *{esc(there.project)}* here."
        raise CommandError(f"{gone} Nothing was deleted. Its latest evaluation is in <#{there.channel}>: to delete "
                           f"that one, run `/ftcheck delete {esc(there.project)}` there.")
    ev = (here or evaluations)[-1]
    if not await may_manage(svc, asker.user, ev):
        return denied(svc, ev, "delete it")
    # a delivery of it in flight here stops posting
    ev = await svc.engine.discard(ev.id, user=asker.user, now=lead_reminders.time_now())
    reminders = await hand_back_reminder(svc, ev)
    await close_thread(svc, ev)
    return (f"Deleted the {day(ev.started_at, svc.settings.zone)} evaluation of *{esc(ev.project)}* in "
            f"<#{ev.channel}> "
            f"({_state(svc, ev)}). It is kept in the audit trail and no longer shows in lists, summaries or "
            f"history. {_thread_words(ev)}{reminders}")


async def hand_back_reminder(svc: Services, deleted: Evaluation) -> str:
    """Drop the deleted evaluation's reminder; when it held the project's reminder in its channel, the result there
    before it (the current one again) takes it over: due a cadence after that result completed, or at the next
    working hours if that has passed. Returns what to add to the reply ("" when the reminders did not change)."""
    history = [e for e in await svc.store.project_history(deleted.team, deleted.project_key)
               if e.channel == deleted.channel and e.id != deleted.id]
    current = queries.latest_completed(history)
    queue = ReminderQueue(svc.store)
    if current is None:
        await queue.hand_back(deleted, None, None, None)
        return ""
    every = await queue.every(deleted.id) or await queue.every(current.id)
    own, now = _reminder_from(svc, current, every), lead_reminders.time_now()
    hours = working_hours(svc)
    handed = await queue.hand_back(deleted, current, max(own, hours.due(now)), every)
    due = await queue.due_at(current.id)
    name, done, tz = esc(current.project), day(current.completed_at, svc.settings.zone), svc.settings.zone
    if due is None:
        return (f" There are no re-evaluation reminders for *{name}* in <#{current.channel}> now (its {done} result, "
                f"the current one again, has none): `/ftcheck remind {name} quarterly` there turns them on.")
    if handed != 1:
        return ""
    late = f" (it was due on {day(own, tz)})" if own <= now else ""
    return (f" Re-evaluation reminders go back to the {done} result, the latest in <#{current.channel}> again: the "
            f"next one comes on {day(due, tz)}{late}, in its thread.")


def _reminder_from(svc: Services, ev: Evaluation, every: timedelta | None) -> datetime:
    """When ``ev``'s reminder falls due, counted from its completion, at its cadence."""
    try:
        cadence = (Cadence.stored_as(every) if every
                   else default_cadence(svc.settings.reevaluate_delta, svc.registry.get(ev.checklist)))
    except UnknownChecklist:  # its checklist file went bad or away: the tick waits for it; the due time stands
        cadence = UNSAID
    return working_hours(svc).after(ev.completed_at or ev.last_activity, cadence)


def _thread_words(ev: Evaluation) -> str:
    """What stays in the thread, as :func:`close_thread` leaves it: the answers and Not sure given there, counted
    as the reply's progress counts them (answers only)."""
    if ev.thread_ts is None:
        return ""
    answers = sum(entry.value is not None for entry in ev.answers.values())
    unsure = len(ev.answers) - answers
    given = [*([plural(answers, "answer")] if answers else []), *([f"{unsure} Not sure"] if unsure else [])]
    if not given:
        return "Its thread is marked deleted and takes no more answers."
    return (f"Its thread is marked deleted and takes no more answers or changes; its cards still show what was "
            f"given there: {' and '.join(given)}.")


def _state(svc: Services, ev: Evaluation) -> str:
    """How far the deleted evaluation had got, so the person can tell it is the one they meant."""
    try:
        s = scored(svc, ev)
    except UnknownChecklist:  # its checklist file went bad or away: the deletion stands, counted without it
        answered = sum(entry.value is not None for entry in ev.answers.values())
        return f"{plural(answered, 'answer')} recorded" + ("" if ev.completed_at else ", unfinished")
    return f"it scored {s.card.total_text}" if ev.completed_at else f"{s.progress} answered, unfinished"


async def close_thread(svc: Services, ev: Evaluation) -> None:
    """Take the buttons off a deleted evaluation's open cards, replace its scorecard (its decision and gaps) with
    a line saying it was deleted, and say so on its root message. Answered cards keep showing their answers, redrawn
    without their ⋯ menus and without what was still to come ("asked again before the end")."""
    presenter = SlackPresenter(svc.client)
    targets = [*ev.open_cards(), *([ev.scorecard_ts] if ev.scorecard_ts else []),
               *([ev.thread_ts] if ev.thread_ts else [])]
    for ts in targets:
        with contextlib.suppress(DeliveryFailed):  # the message may be gone; the evaluation is deleted either way
            await presenter.strike(ev, ts)
    try:
        checklist = svc.registry.get(ev.checklist)
    except UnknownChecklist:  # its checklist file went bad or away: the cards stay as they were; clicks are refused
        return
    for ts in _answered_cards(ev):
        with contextlib.suppress(DeliveryFailed):
            await presenter.update_card(ev, checklist, ts)


def _answered_cards(ev: Evaluation) -> list[str]:
    """The closed cards that hold their question's record and its ⋯ menu (a card above a re-ask has neither)."""
    return [ts for ts, card in ev.cards.items() if not card.open and ev.card_for(card.question) == ts]
