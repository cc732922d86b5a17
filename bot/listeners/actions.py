"""Button clicks and selects on question cards."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.blocks.evaluation import ANSWER_ACTION, CHANGE_ACTION, NOTE_ACTION
from bot.blocks.views import note_modal
from bot.payloads import BlockAction
from bot.replies import Reply, ephemeral_replier, guarded
from bot.services import Services
from conversations.flow import Outcome


def register(app: AsyncApp, svc: Services) -> None:
    def replier(body: dict[str, Any]) -> Reply:
        return ephemeral_replier(svc.client, body)

    async def tell(body: dict[str, Any], outcome: Outcome | None) -> None:
        if outcome is not None and outcome.message and not outcome.applied:
            await replier(body)(outcome.message)

    @app.action(re.compile(rf"^{ANSWER_ACTION}_[a-z0-9_-]+$"))
    async def on_answer(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()

        async def work() -> None:
            click = BlockAction.model_validate(body)
            key = click.action.action_id.removeprefix(f"{ANSWER_ACTION}_")
            _, outcome = await svc.engine.answer(click.ref.evaluation, card_ts=click.message_ts, user=click.user.id,
                                                 option=key, question=click.ref.question, seen=click.seen_token())
            await tell(body, outcome)

        await guarded(replier(body), work, what="answer")

    @app.action(CHANGE_ACTION)
    async def on_change(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()

        async def work() -> None:
            click = BlockAction.model_validate(body)
            ref = click.ref
            ev = await svc.store.get(ref.evaluation)
            if ev is None or ref.option is None:
                raise KeyError("That evaluation no longer exists.")
            value = svc.registry.get(ev.checklist).option(ref.option).value
            _, outcome = await svc.engine.change(ev.id, question=ref.question, user=click.user.id, value=value,
                                                 seen=click.seen_token())
            await tell(body, outcome)

        await guarded(replier(body), work, what="change")

    @app.action(NOTE_ACTION)
    async def on_note(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()

        async def work() -> None:
            click = BlockAction.model_validate(body)
            ev = await svc.store.get(click.ref.evaluation)
            if ev is None or not click.trigger_id:
                raise KeyError("That evaluation no longer exists.")
            checklist = svc.registry.get(ev.checklist)
            entry = ev.answers.get(checklist.question(click.ref.question).id)
            await svc.client.views_open(trigger_id=click.trigger_id,
                                        view=note_modal(ev, checklist, click.ref.question, click.channel.id,
                                                        entry.note if entry else None))

        await guarded(replier(body), work, what="note")
