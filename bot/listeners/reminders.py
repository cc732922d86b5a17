"""Buttons on a re-evaluation reminder (and the Home tab): Start re-evaluation, Snooze 2 weeks, Stop reminders."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.leads import REEVAL_SNOOZE, REEVAL_START, REEVAL_STOP
from bot.leads.reminders import change_reminders, start_reevaluation
from bot.payloads import EvaluationClick
from bot.replies import after_ack, ephemeral_replier
from bot.services import Services


@after_ack()
async def on_start(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    await ack()
    await start_reevaluation(services, EvaluationClick.model_validate(body), ephemeral_replier(client, body))


@after_ack()
async def on_snooze(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    await ack()
    await change_reminders(services, EvaluationClick.model_validate(body), ephemeral_replier(client, body),
                           snooze=True)


@after_ack()
async def on_stop(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    await ack()
    await change_reminders(services, EvaluationClick.model_validate(body), ephemeral_replier(client, body),
                           snooze=False)


def register(app: AsyncApp) -> None:
    app.action(REEVAL_START)(on_start)
    app.action(REEVAL_SNOOZE)(on_snooze)
    app.action(REEVAL_STOP)(on_stop)
