"""A deleted description's report line (which quotes it) is redrawn to say so by an effect of the evaluation's outbox,
owed in the very write that records the deletion: a Slack failure or a restart leaves it owed, and the outbox redraws
it. Real Redis; the front end is faked."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest
import redis.asyncio as aioredis
import structlog

from conversations import flow
from conversations.effects import DeliveryFailed, TellUndelivered, UpdateRoot
from conversations.engine import Engine
from conversations.models import Evaluation, SuggestionRef
from conversations.outbox import Outbox
from conversations.store import Store, eval_key
from scoring.checklist import Registry
from tests.conversations.recording import RecordingPresenter, RecordingRecovery

if TYPE_CHECKING:
    from conversations.effects import RedrawDeletedReport

REGISTRY = Registry()
SECRET = "Project Nightjar has 2,000 labeled tickets"  # what the pasted, then deleted, description said
SOURCE = "5.0"  # the description's ts
KEY = f"redraw_deleted_report:{SOURCE}"


async def stored(redis_client: aioredis.Redis, eid: str) -> tuple[Evaluation, str]:
    """The evaluation as Redis holds it (not as a process folded it), and its JSON."""
    raw = await redis_client.get(eval_key(eid))
    assert isinstance(raw, bytes)
    return Evaluation.model_validate_json(raw), raw.decode()


class Slack(RecordingRecovery):
    """The front end, with the Recovery side and report lines: each redraw of a report line reads what Redis holds
    at that moment (the delivery runs after the write that owed it, before it records anything)."""

    def __init__(self, redis_client: aioredis.Redis) -> None:
        super().__init__()
        self.redis = redis_client
        self.failure: DeliveryFailed | None = None
        self.redrawn: list[tuple[str, str, str]] = []  # (source, revision, via) per redraw that landed
        self.stored_then: list[tuple[Evaluation, str]] = []

    async def redraw_deleted_report(self, ev: Evaluation, report: RedrawDeletedReport) -> None:
        self.stored_then.append(await stored(self.redis, ev.id))
        if self.failure is not None:
            raise self.failure
        self.redrawn.append((report.source, report.revision, report.via))


def ref(evidence: str) -> SuggestionRef:
    return SuggestionRef(value=1.0, reason=f"because {evidence}", evidence=evidence, source=SOURCE)


async def read(engine: Engine) -> Evaluation:
    """An evaluation whose open card shows a hint quoting the description of message 5.0, read and reported on."""
    ev = await engine.start(team="T1", channel="C1", project="Ticket router", checklist_id=None, user="U1")
    ev, stored_now = await engine.suggest(ev.id, {"labeled_examples": ref(SECRET)}, user="U2", source=SOURCE,
                                          revision=SOURCE)
    assert stored_now == ["labeled_examples"] and ev.read_revisions == {SOURCE: SOURCE}
    return ev


@pytest.fixture
def slack(redis_client: aioredis.Redis) -> Slack:
    return Slack(redis_client)


async def test_the_deletion_and_the_owed_redraw_are_one_write(slack: Slack, redis_client: aioredis.Redis) -> None:
    engine = Engine(Store(redis_client), REGISTRY, slack, slack)
    ev = await read(engine)
    before, _ = await stored(redis_client, ev.id)
    await engine.forget_source(ev.id, SOURCE, user="U2")
    assert len(slack.stored_then) == 1, "the report line was not redrawn"
    then, raw = slack.stored_then[0]
    assert then.version == before.version + 1  # the deletion's write, and nothing since
    assert then.deleted_sources == [SOURCE] and SECRET not in raw
    assert KEY in [o.key for o in then.pending]
    assert slack.redrawn == [(SOURCE, SOURCE, "paste")]
    after, _ = await stored(redis_client, ev.id)
    assert KEY not in [o.key for o in after.pending]  # delivered: owed no more


async def test_a_redraw_slack_fails_stays_owed_and_the_outbox_redraws_it(
        slack: Slack, redis_client: aioredis.Redis) -> None:
    engine = Engine(Store(redis_client), REGISTRY, slack, slack)
    ev = await read(engine)
    slack.failure = DeliveryFailed("internal_error", permanent=False)
    await engine.forget_source(ev.id, SOURCE, user="U2", via="command")
    owed, _ = await stored(redis_client, ev.id)
    (entry,) = [o for o in owed.pending if o.key == KEY]
    assert entry.attempts == 1 and entry.error == "internal_error" and slack.redrawn == []
    slack.failure = None
    restarted = Engine(Store(redis_client), REGISTRY, slack, slack)  # another process, on the same Redis
    await Outbox(restarted).tick(now=time.time() + 60)
    assert slack.redrawn == [(SOURCE, SOURCE, "command")]
    done, _ = await stored(redis_client, ev.id)
    assert KEY not in [o.key for o in done.pending]


async def test_a_permanent_refusal_is_done_with_one_warning(slack: Slack, redis_client: aioredis.Redis) -> None:
    engine = Engine(Store(redis_client), REGISTRY, slack, slack)
    ev = await read(engine)
    slack.failure = DeliveryFailed("is_archived", permanent=True)
    with structlog.testing.capture_logs() as logs:
        await engine.forget_source(ev.id, SOURCE, user="U2")
    warned = [e for e in logs if e["event"] == "deleted_report_not_redrawn"]
    assert len(warned) == 1 and warned[0]["log_level"] == "warning" and warned[0]["error"] == "is_archived"
    done, _ = await stored(redis_client, ev.id)
    assert KEY not in [o.key for o in done.pending] and done.undelivered == []


async def test_a_front_end_without_report_lines_owes_nothing_after_it(redis_client: aioredis.Redis) -> None:
    """The terminal shows no report line: the redraw is done at once, nothing is left owed."""
    engine = Engine(Store(redis_client), REGISTRY, RecordingPresenter())
    ev = await read(engine)
    await engine.forget_source(ev.id, SOURCE, user="U2")
    done, _ = await stored(redis_client, ev.id)
    assert done.deleted_sources == [SOURCE] and done.pending == []


async def test_a_report_drawn_after_the_deletion_is_owed_its_redraw_again(
        slack: Slack, redis_client: aioredis.Redis) -> None:
    """The report replaced "Reading the description…" after the deletion had redrawn that: owed again, one write;
    a report drawn for a description still there costs no write."""
    engine = Engine(Store(redis_client), REGISTRY, slack, slack)
    ev = await read(engine)
    before, _ = await stored(redis_client, ev.id)
    await engine.report_drawn(ev.id, source=SOURCE, revision=SOURCE)
    unchanged, _ = await stored(redis_client, ev.id)
    assert unchanged.version == before.version and slack.redrawn == []
    await engine.forget_source(ev.id, SOURCE, user="U2")
    await engine.report_drawn(ev.id, source=SOURCE, revision=SOURCE)
    assert slack.redrawn == [(SOURCE, SOURCE, "paste")] * 2
    assert KEY not in [o.key for o in (await stored(redis_client, ev.id))[0].pending]


def test_a_deletion_owes_the_redraw_once_and_only_for_a_reading_that_was_stored() -> None:
    checklist = REGISTRY.get()
    ev = flow.start(team="T", channel="C", project="P", checklist=checklist, user="U1")
    assert [e.key for e in flow.forget_source(ev, "9.0").effects] == []  # never read: no report line
    flow.apply_suggestions(ev, {"labeled_examples": ref(SECRET)}, source=SOURCE, revision="5.5")  # an edit read
    assert KEY.replace(SOURCE, "5.5") in [e.key for e in flow.forget_source(ev, SOURCE).effects]
    assert [o.key for o in ev.pending if o.key.startswith("redraw_deleted_report")] == ["redraw_deleted_report:5.5"]
    assert flow.forget_source(ev, SOURCE).effects == []  # the same deletion again (Slack retried its event)


async def test_deleting_the_evaluation_keeps_the_owed_redraw_and_nothing_else(
        slack: Slack, redis_client: aioredis.Redis) -> None:
    """The evaluation is deleted while Slack still fails the redraw: what its thread was owed is given up (a card,
    the root), but not the line that quotes the deleted description; the outbox redraws it, and draws nothing else."""
    engine = Engine(Store(redis_client), REGISTRY, slack, slack)
    ev = await read(engine)
    slack.failure = DeliveryFailed("internal_error", permanent=False)
    await engine.forget_source(ev.id, SOURCE, user="U2")
    await redis_client.set(eval_key(ev.id), _owing_a_card_too((await stored(redis_client, ev.id))[0]))
    await engine.discard(ev.id, user="U1")
    deleted, _ = await stored(redis_client, ev.id)
    assert deleted.status == "deleted" and [o.key for o in deleted.pending] == [KEY]
    slack.failure, slack.log = None, []
    await Outbox(Engine(Store(redis_client), REGISTRY, slack, slack)).tick(now=time.time() + 120)
    assert slack.redrawn == [(SOURCE, SOURCE, "paste")] and slack.log == []
    done, _ = await stored(redis_client, ev.id)
    assert done.pending == []


def _owing_a_card_too(ev: Evaluation) -> str:
    """``ev`` also owing its root's redraw, as a click whose delivery failed would leave it."""
    flow.owe(ev, [UpdateRoot()])
    return ev.model_dump_json()


def test_a_deleted_evaluation_still_owes_only_the_report_lines_and_their_notice() -> None:
    checklist = REGISTRY.get()
    ev = flow.start(team="T", channel="C", project="P", checklist=checklist, user="U1")
    flow.apply_suggestions(ev, {"labeled_examples": ref(SECRET)}, source=SOURCE, revision=SOURCE)
    flow.forget_source(ev, SOURCE)
    flow.owe(ev, [TellUndelivered(what=KEY, reason="internal_error")])
    flow.discard(ev, "U1")
    assert [o.key for o in ev.pending] == [KEY, "tell_undelivered"]
    other = flow.start(team="T", channel="C", project="P", checklist=checklist, user="U1")
    flow.owe(other, [UpdateRoot(), TellUndelivered(what="update_root", reason="internal_error")])
    flow.discard(other, "U1")
    assert other.pending == []
