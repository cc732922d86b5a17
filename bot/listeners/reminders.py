"""Buttons on a re-evaluation reminder (and the Home tab): Start re-evaluation, Snooze 2 weeks, Stop reminders."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot import leads
from bot.blocks.common import esc
from bot.blocks.leads import REEVAL_SNOOZE, REEVAL_START, REEVAL_STOP, reminder_blocks, reminder_text
from bot.listeners.home import click_ids, publish_home
from bot.replies import Reply, ephemeral_replier, guarded
from bot.services import Services
from bot.visibility import Visibility
from conversations.engine import scorecard_of
from conversations.models import Evaluation
from conversations.reminders import SNOOZE, ReminderQueue

START_LOCK_S = 15  # two people clicking Start at once get one re-evaluation


async def after_click(svc: Services, body: dict[str, Any], ev: Evaluation, outcome: str) -> None:
    """Show what happened on the reminder message (its buttons go), or refresh the Home tab."""
    container = body.get("container") or {}
    if container.get("type") == "view":
        _, user, team = click_ids(body)
        await publish_home(svc, team or ev.team, user)
        return
    channel, ts = container.get("channel_id"), container.get("message_ts")
    if channel and ts:
        card = scorecard_of(ev, svc.registry.get(ev.checklist))
        await svc.client.chat_update(channel=channel, ts=ts, text=reminder_text(ev, card),
                                     blocks=reminder_blocks(ev, card, outcome=outcome))


async def latest_completed(svc: Services, ev: Evaluation) -> Evaluation:
    """Re-evaluate from the project's newest completed evaluation, even when an older reminder was clicked."""
    history = await svc.store.project_history(ev.team, ev.project_key)
    done = [e for e in history if e.status == "completed" and e.channel == ev.channel]
    return done[-1] if done else ev


async def start_reevaluation(svc: Services, body: dict[str, Any], reply: Reply) -> None:
    eid, user, _ = click_ids(body)
    clicked = await svc.store.get(eid)
    if clicked is None or clicked.status == "deleted":
        raise KeyError("That evaluation was deleted, so there is nothing to re-evaluate.")
    if not await Visibility(svc.client).can_see(user, clicked.channel):
        raise KeyError("That evaluation is in a channel you are not in; ask a member to start the re-evaluation.")
    previous = await latest_completed(svc, clicked)
    running = await svc.engine.find_open(previous.team, previous.channel, previous.project)
    if running is not None or not await svc.store.once(f"reeval:{previous.id}", ttl_s=START_LOCK_S):
        link = await leads.permalink(svc, running) if running else f"in <#{previous.channel}>"
        await reply(f"A re-evaluation of *{esc(previous.project)}* is already under way: {link}.")
        return
    queue = ReminderQueue(svc.store)
    every = await queue.every(previous.id)
    await queue.cancel(previous.id)
    new = await svc.engine.start(team=previous.team, channel=previous.channel, project=previous.project,
                                 checklist_id=previous.checklist, user=user, previous=previous)
    if every is not None:
        await queue.set_every(new.id, every)  # the new evaluation keeps the cadence a lead chose
    await after_click(svc, body, clicked,
                      f"Re-evaluation started by <@{user}>: {await leads.permalink(svc, new)}")


async def change_reminders(svc: Services, body: dict[str, Any], reply: Reply, *, snooze: bool) -> None:
    eid, user, _ = click_ids(body)
    ev = await svc.store.get(eid)
    if ev is None or ev.status == "deleted":
        raise KeyError("That evaluation was deleted; it has no reminders any more.")
    if not await leads.may_manage(svc, user, ev):
        await reply(leads.denied(ev, "change its reminders"))
        return
    queue = ReminderQueue(svc.store)
    if snooze:
        due = datetime.now(UTC) + SNOOZE
        await queue.schedule(eid, due)
        await reply(f"Snoozed: the next reminder for *{esc(ev.project)}* comes on {due:%Y-%m-%d}.")
        await after_click(svc, body, ev, f"Snoozed by <@{user}> until {due:%Y-%m-%d}.")
    else:
        await queue.cancel(eid)
        await reply(f"Reminders for *{esc(ev.project)}* are off. "
                    f"`/ftcheck remind {esc(ev.project)} quarterly` turns them back on.")
        await after_click(svc, body, ev, f"Reminders stopped by <@{user}>.")


def register(app: AsyncApp, svc: Services) -> None:
    @app.action(REEVAL_START)
    async def on_start(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        reply = ephemeral_replier(svc.client, body)
        await guarded(reply, lambda: start_reevaluation(svc, body, reply), what="reevaluate")

    @app.action(REEVAL_SNOOZE)
    async def on_snooze(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        reply = ephemeral_replier(svc.client, body)
        await guarded(reply, lambda: change_reminders(svc, body, reply, snooze=True), what="snooze")

    @app.action(REEVAL_STOP)
    async def on_stop(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        reply = ephemeral_replier(svc.client, body)
        await guarded(reply, lambda: change_reminders(svc, body, reply, snooze=False), what="stop reminders")
