"""The due-time queues: which evaluations need a look, and when. Sorted sets, one slot each on Redis Cluster.

``ftc:{ob}:due`` — the outbox. Member = evaluation id, score = epoch milliseconds before which nobody but the
holder delivers (a writer holds it for ``LEASE_S`` after owing; the outbox tick holds what it claims). Holds
only ever move the score later (``ZADD GT``), so a hold in flight is never shortened by someone else.

``ftc:{idle}:due`` — idle evaluations. Member = evaluation id, score = the epoch second its quiet spell is
measured from (its last activity, or after the nudge the time that makes it due again for closing).

Both marks are queued on the pipeline of the write that changes the evaluation (``Store._cas``), so they
cost no round trip of their own. So is the release of an outbox mark by the writer that set it, once its
record says nothing is owed any more (:data:`RELEASE`): the tick then has nothing to look at.
"""

from __future__ import annotations

from typing import Any

from conversations.effects import LEASE_S
from conversations.models import Evaluation

OUTBOX_DUE = "ftc:{ob}:due"
IDLE_DUE = "ftc:{idle}:due"


# Drop a member only if nobody holds it beyond the given hold (a later writer's or tick's hold is later).
# The ZADD first changes nothing that matters (XX GT: at most raises the member to the hold being released),
# but Redis refuses it when it is out of memory, which ends the script: a writer's release never outlives its
# write refused for want of memory (that write's owed messages keep their mark for the tick).
# KEYS: the queue. ARGV: member, the hold its releaser set.
RELEASE = """
redis.call('ZADD', KEYS[1], 'XX', 'GT', ARGV[2], ARGV[1])
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if s and tonumber(s) <= tonumber(ARGV[2]) then return redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
"""


def hold_score(now: float, seconds: float = LEASE_S) -> int:
    return int((now + seconds) * 1000)


def idle_mark(pipe: Any, ev: Evaluation) -> None:
    """Queue the idle mark of ``ev`` on a pipeline: only in-progress Slack evaluations can be idle."""
    if ev.status == "in_progress" and ev.origin == "slack":
        pipe.zadd(IDLE_DUE, {ev.id: (ev.idle_check_at or ev.last_activity).timestamp()})
    else:
        pipe.zrem(IDLE_DUE, ev.id)
