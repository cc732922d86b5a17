"""Buttons on a re-evaluation reminder (and the Home tab): start, snooze, stop."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.blocks.leads import REEVAL_SNOOZE, REEVAL_START, REEVAL_STOP
from bot.leads import may_manage
from bot.replies import guarded
from bot.services import Services
from bot.visibility import Visibility
from conversations.reminders import SNOOZE, ReminderQueue


def register(app: AsyncApp, svc: Services) -> None:
    def replier(body: dict[str, Any]) -> Any:
        async def reply(text: str) -> None:
            uid = (body.get("user") or {}).get("id")
            channel = (body.get("channel") or {}).get("id")
            if uid and channel:
                await svc.client.chat_postEphemeral(channel=channel, user=uid, text=text)
            elif uid:  # from the Home tab: a DM from the app
                await svc.client.chat_postMessage(channel=uid, text=text)
        return reply

    def ids(body: dict[str, Any]) -> tuple[str, str]:
        action = (body.get("actions") or [{}])[0]
        return str(action.get("value") or ""), str((body.get("user") or {}).get("id") or "")

    @app.action(REEVAL_START)
    async def on_start(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        reply = replier(body)

        async def work() -> None:
            eid, user = ids(body)
            previous = await svc.store.get(eid)
            if previous is None:
                raise KeyError("That evaluation no longer exists.")
            if not await Visibility(svc.client).can_see(user, previous.channel):
                raise KeyError("That evaluation is in a channel you are not in.")
            running = await svc.engine.find_open(previous.team, previous.channel, previous.project)
            if running is not None:
                await reply(f"A re-evaluation of *{previous.project}* is already in progress in <#{running.channel}>.")
                return
            await ReminderQueue(svc.store).cancel(eid)
            await svc.engine.start(team=previous.team, channel=previous.channel, project=previous.project,
                                   checklist_id=previous.checklist, user=user, previous=previous)

        await guarded(reply, work, what="reevaluate")

    async def manage(body: dict[str, Any], snooze: bool) -> None:
        reply = replier(body)

        async def work() -> None:
            eid, user = ids(body)
            ev = await svc.store.get(eid)
            if ev is None:
                raise KeyError("That evaluation no longer exists.")
            if not await may_manage(svc, user, ev):
                await reply(f"Only <@{ev.started_by}>, the leads or a workspace admin can change these reminders.")
                return
            queue = ReminderQueue(svc.store)
            if snooze:
                due = datetime.now(UTC) + SNOOZE
                await queue.schedule(eid, due)
                await reply(f"Snoozed: the next reminder for *{ev.project}* comes on {due:%Y-%m-%d}.")
            else:
                await queue.cancel(eid)
                await reply(f"Reminders for *{ev.project}* are off. `/ftcheck remind {ev.project} quarterly` "
                            "turns them back on.")

        await guarded(reply, work, what="reminder")

    @app.action(REEVAL_SNOOZE)
    async def on_snooze(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await manage(body, snooze=True)

    @app.action(REEVAL_STOP)
    async def on_stop(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await manage(body, snooze=False)
