"""``delete``: hide a project's latest evaluation (kept in the audit trail) and close its thread."""

from __future__ import annotations

import contextlib

from slack_sdk.errors import SlackApiError

from bot.blocks.common import esc
from bot.leads.access import Asker, denied, find_project, may_manage
from bot.leads.projects import scored
from bot.presenter import deleted_message
from bot.services import Services
from bot.visibility import Visibility
from conversations.models import Evaluation
from conversations.reminders import ReminderQueue
from scoring.checklist import UnknownChecklist
from scoring.render import plural


async def delete(svc: Services, vis: Visibility, asker: Asker, name: str) -> str:
    """The project's latest evaluation in this channel, else its latest anywhere; the reply says which."""
    evaluations = (await find_project(svc, vis, asker, name)).evaluations
    ev = next((e for e in reversed(evaluations) if e.channel == asker.here), evaluations[-1])
    if not await may_manage(svc, asker.user, ev):
        return denied(ev, "delete it")
    ev = await svc.engine.discard(ev.id, user=asker.user)  # a delivery of it in flight here stops posting
    await ReminderQueue(svc.store).cancel(ev.id)
    await close_thread(svc, ev, asker.user)
    return (f"Deleted the {ev.started_at:%Y-%m-%d} evaluation of *{esc(ev.project)}* in <#{ev.channel}> "
            f"({_state(svc, ev)}). It is kept in the audit trail and no longer shows in lists, summaries or "
            f"history. {_thread_words(ev)}")


def _thread_words(ev: Evaluation) -> str:
    """What stays in the thread, as :func:`close_thread` leaves it."""
    if ev.thread_ts is None:
        return ""
    answered = sum(1 for c in ev.cards.values() if not c.open)
    shown = f" The {plural(answered, 'answered card')} there still show their answers." if answered else ""
    return f"Its thread is marked deleted and takes no more answers{' or changes' if answered else ''}.{shown}"


def _state(svc: Services, ev: Evaluation) -> str:
    """How far the deleted evaluation had got, so the person can tell it is the one they meant."""
    try:
        s = scored(svc, ev)
    except UnknownChecklist:  # its checklist file went bad or away: the deletion stands, counted without it
        answered = sum(entry.value is not None for entry in ev.answers.values())
        return f"{plural(answered, 'answer')} recorded" + ("" if ev.completed_at else ", unfinished")
    return f"it scored {s.card.total_text}" if ev.completed_at else f"{s.progress} answered, unfinished"


async def close_thread(svc: Services, ev: Evaluation, by: str) -> None:
    """Take the buttons off a deleted evaluation's open cards, replace its scorecard (its decision and gaps) with
    a line saying it was deleted, and say so on its root message. Answered cards keep showing their answers."""
    text, blocks = deleted_message(ev, by)
    targets = [*ev.open_cards(), *([ev.scorecard_ts] if ev.scorecard_ts else []),
               *([ev.thread_ts] if ev.thread_ts else [])]
    for ts in targets:
        with contextlib.suppress(SlackApiError):  # the message may be gone; the evaluation is deleted either way
            await svc.client.chat_update(channel=ev.channel, ts=ts, text=text, blocks=blocks)
