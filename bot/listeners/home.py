"""The App Home tab and its Summary button."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot import leads
from bot.blocks.leads import HOME_SUMMARY, home_view, summary_modal
from bot.payloads import BlockAction, SlashCommand
from bot.services import Services
from bot.visibility import Visibility
from conversations.engine import scorecard_of
from conversations.models import Evaluation
from conversations.reminders import ReminderQueue
from conversations.store import StoreUnavailable
from scoring.scorecard import Scorecard


async def home_rows(svc: Services, team: str, user: str) -> list[tuple[Evaluation, Scorecard, Scorecard | None,
                                                                          Any]]:
    """Latest evaluation per project the user can see, with its previous scorecard and next reminder."""
    vis = Visibility(svc.client)
    queue = ReminderQueue(svc.store)
    latest: dict[str, list[Evaluation]] = {}
    for ev in await svc.store.team_evaluations(team):  # newest first
        if await vis.can_see(user, ev.channel):
            latest.setdefault(ev.project_key, []).append(ev)
    rows = []
    for evs in latest.values():
        ev = evs[0]
        before = scorecard_of(evs[1], svc.registry.get(evs[1].checklist)) if len(evs) > 1 else None
        rows.append((ev, scorecard_of(ev, svc.registry.get(ev.checklist)), before, await queue.due_at(ev.id)))
    return rows


def register(app: AsyncApp, svc: Services) -> None:
    @app.event("app_home_opened")
    async def on_home(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") not in (None, "home"):
            return
        user = str(event.get("user") or "")
        team = str(body.get("team_id") or "")
        try:
            rows = await home_rows(svc, team, user)
        except StoreUnavailable:
            return  # the tab keeps its last content; the next open retries
        await svc.client.views_publish(user_id=user, view=home_view(rows))

    @app.action(HOME_SUMMARY)
    async def on_summary(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        click = BlockAction.model_validate({**body, "channel": body.get("channel") or {"id": "home"},
                                            "container": body.get("container") or {}})
        ev = await svc.store.get(click.action.value or "")
        if ev is None or not click.trigger_id:
            return
        request = SlashCommand(text="", user_id=click.user.id, channel_id="home", team_id=ev.team)
        try:
            text = await leads.summary_text(svc, Visibility(svc.client), request, ev.project)
        except (KeyError, ValueError) as exc:
            text = str(exc)
        await svc.client.views_open(trigger_id=click.trigger_id, view=summary_modal("Summary", text))
