"""The App Home tab and its Summary button."""

from __future__ import annotations

from typing import Any

import structlog
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot import leads
from bot.blocks.leads import HOME_SUMMARY, home_view, summary_modal
from bot.commands import CommandError
from bot.services import Services
from bot.visibility import Visibility
from conversations.store import StoreUnavailable

log = structlog.get_logger(__name__)


async def publish_home(svc: Services, team: str, user: str) -> None:
    """(Re)draw one user's App Home tab; on a Redis outage the tab keeps its last content."""
    try:
        rows = await leads.home_rows(svc, team, user)
    except StoreUnavailable:
        log.warning("home_not_refreshed", user=user)
        return
    await svc.client.views_publish(user_id=user, view=home_view(rows))


def click_ids(body: dict[str, Any]) -> tuple[str, str, str]:
    """(value of the clicked button, user id, team id) of a block_actions payload."""
    action = (body.get("actions") or [{}])[0]
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""
    return str(action.get("value") or ""), str((body.get("user") or {}).get("id") or ""), str(team)


def register(app: AsyncApp, svc: Services) -> None:
    @app.event("app_home_opened")
    async def on_home(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") not in (None, "home"):
            return
        user = str(event.get("user") or "")
        team = str(body.get("team_id") or "")
        if user and team:
            await publish_home(svc, team, user)

    @app.action(HOME_SUMMARY)
    async def on_summary(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        eid, user, team = click_ids(body)
        trigger = body.get("trigger_id")
        if not trigger:
            return
        ev = await svc.store.get(eid)
        asker = leads.Asker(user=user, team=team or (ev.team if ev else ""), here=None)
        try:
            if ev is None or ev.status == "deleted":
                raise CommandError("That evaluation no longer exists; the Home tab has been refreshed.")
            text = await leads.summary(svc, Visibility(svc.client), asker, ev.project)
        except (CommandError, StoreUnavailable) as exc:
            text = str(exc)
        await svc.client.views_open(trigger_id=str(trigger), view=summary_modal("Summary", text))
        if ev is None or ev.status == "deleted":
            await publish_home(svc, asker.team, user)
