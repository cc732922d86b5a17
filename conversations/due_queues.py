"""The outbox's due queue: which evaluations owe messages, and when the outbox tick should look at them.

``ftc:{ob}:due`` is a sorted set: member = evaluation id, score = epoch milliseconds before which nobody but
the holder delivers (a writer holds it for ``LEASE_S`` after owing; the tick holds what it claims). Holds
only ever move the score later (``ZADD GT``), so a hold in flight is never shortened by someone else.
"""

from __future__ import annotations

from conversations.effects import LEASE_S

OUTBOX_DUE = "ftc:{ob}:due"


def hold_score(now: float, seconds: float = LEASE_S) -> int:
    return int((now + seconds) * 1000)
