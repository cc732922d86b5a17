"""Listeners grouped by Slack feature. Each module holds module-level listener functions and ``register(app)``.

A listener takes what Bolt injects by argument name — ``ack``, ``body``, ``client``, ``respond`` — plus
``services``, which :func:`bot.app.build_app`'s middleware puts into the request context (Bolt injects
context keys by name too). It validates its body into one model of :mod:`bot.payloads` and raises on
failure: the one ``@app.error`` handler (:func:`bot.replies.on_error`) tells the person.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.listeners import actions, commands, events, home, reminders, scorecard, views, votes


def register_all(app: AsyncApp) -> None:
    for module in (commands, actions, votes, scorecard, events, views, home, reminders):
        module.register(app)
