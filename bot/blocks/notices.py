"""What the person who acted is told when their action did not apply (taken, closed, unknown card …)."""

from __future__ import annotations

from conversations.flow import Outcome


def notice_text(outcome: Outcome | None) -> str | None:
    """The ephemeral line for an outcome that did not apply; None when there is nothing to say."""
    if outcome is None or outcome.applied:
        return None
    return outcome.message
