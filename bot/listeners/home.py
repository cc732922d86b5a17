"""The App Home tab and its Summary button."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.blocks.leads import HOME_PAGE, HOME_SUMMARY
from bot.leads.home import publish_home, summary_from_home
from bot.payloads import EvaluationClick, HomeOpenedEnvelope, HomePageClick
from bot.replies import after_ack
from bot.services import Services


@after_ack()
async def on_home_opened(body: dict[str, Any], services: Services) -> None:
    opened = HomeOpenedEnvelope.model_validate(body)
    if opened.event.tab not in (None, "home") or not opened.event.user or not opened.team_id:
        return
    await publish_home(services, opened.team_id, opened.event.user)


@after_ack()
async def on_summary(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    await ack()
    await summary_from_home(services, EvaluationClick.model_validate(body))


@after_ack()
async def on_page(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    await ack()
    click = HomePageClick.model_validate(body)
    await publish_home(services, click.team_id, click.user.id, click.page)


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(on_home_opened)
    app.action(HOME_SUMMARY)(on_summary)
    app.action(re.compile(rf"^{HOME_PAGE}_(newer|older)$"))(on_page)
