"""The due-time queues: which evaluations need a look, and when. Sorted sets, one slot each on Redis Cluster.

``ftc:{ob}:due`` — the outbox. Member = evaluation id, score = epoch milliseconds before which nobody but the
holder delivers (a writer holds it for ``LEASE_S`` after owing; the outbox tick holds what it claims). Holds
only ever move the score later (``ZADD GT``), so a hold in flight is never shortened by someone else.

``ftc:{idle}:due`` — idle evaluations. Member = evaluation id, score = the epoch second its quiet spell is
measured from (its last activity, or after the nudge the time that makes it due again for closing).

Both marks are queued on the pipeline of the write that changes the evaluation (``Store._cas``), so they
cost no round trip of their own.
"""

from __future__ import annotations

from typing import Any

from conversations.effects import LEASE_S
from conversations.models import Evaluation

OUTBOX_DUE = "ftc:{ob}:due"
IDLE_DUE = "ftc:{idle}:due"


def hold_score(now: float, seconds: float = LEASE_S) -> int:
    return int((now + seconds) * 1000)


def idle_mark(pipe: Any, ev: Evaluation) -> None:
    """Queue the idle mark of ``ev`` on a pipeline: only in-progress Slack evaluations can be idle."""
    if ev.status == "in_progress" and ev.origin == "slack":
        pipe.zadd(IDLE_DUE, {ev.id: (ev.idle_check_at or ev.last_activity).timestamp()})
    else:
        pipe.zrem(IDLE_DUE, ev.id)
