"""Listeners grouped by Slack feature; each module has ``register(app, services)``."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.listeners import actions, commands, events, home, reminders, views
from bot.services import Services


def register_all(app: AsyncApp, services: Services) -> None:
    for module in (commands, actions, events, views, home, reminders):
        module.register(app, services)
