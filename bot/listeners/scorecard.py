"""The scorecard's button: every gap and its next step, in a dialog."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.scorecard import GAPS_ACTION, gaps_modal
from bot.leads.access import clicked_evaluation
from bot.payloads import EvaluationClick
from bot.services import Services
from conversations.engine import scorecard_of


async def on_gaps(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    await ack()
    click = EvaluationClick.model_validate(body)
    ev = await clicked_evaluation(services, click)  # a guessed id from outside the channel reveals nothing
    if not click.trigger_id:
        raise ValueError("scorecard_gaps without a trigger id")
    card = scorecard_of(ev, services.registry.get(ev.checklist))
    await client.views_open(trigger_id=click.trigger_id, view=gaps_modal(ev, card))


def register(app: AsyncApp) -> None:
    app.action(GAPS_ACTION)(on_gaps)
