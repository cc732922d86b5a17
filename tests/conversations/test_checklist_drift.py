"""A team's checklist changes between evaluations (other options, questions dropped or added), over a real Redis:
a completed evaluation keeps the result it was decided with, a re-evaluation pre-fills only what still fits, and
nothing that reads an old answer fails on a value that is no longer an option."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bot.blocks.evaluation import not_prefilled_notice, root_blocks
from bot.terminal.reports import history_text
from bot.terminal.session import TEAM
from conversations import flow
from conversations.engine import Engine, scorecard_of
from conversations.export import decision_record
from conversations.models import Evaluation
from conversations.store import Store, eval_key
from scoring.checklist import Registry
from scoring.verdict import CHANGED_SINCE, verdict_of
from tests.conversations.recording import RecordingPresenter

HEAD = """id: team-gate
title: "Team gate"
description: "A small team gate."
rule: "{rule}"
reevaluate: quarterly
sections:
  - {{id: s, title: "Stuff"}}
bands:
  - {{id: go, name: "Go", recommendation: "Go ahead.", go: true, min_score: 2}}
  - {{id: nogo, name: "No go", recommendation: "Wait.", go: false, min_score: 0}}
options:
"""
YES_PARTLY_NO = """  - {key: "yes", label: "Yes", value: 1}
  - {key: partly, label: "Partly", value: 0.5}
  - {key: "no", label: "No", value: 0}
"""
PASS_FAIL = """  - {key: pass, label: "Pass", value: 1}
  - {key: fail, label: "Fail", value: 0}
"""


def gate_dir(root: Path, name: str, options: str, questions: tuple[str, ...]) -> Path:
    """A team checklist directory holding the review's ``team-gate`` with these options and questions."""
    lines = [f'  - {{id: {q}, number: {n}, section: s, text: "{q.title()} ready?", short: "{q}", why: "because", '
             f'if_not: "fix {q}"}}' for n, q in enumerate(questions, 1)]
    folder = root / name
    folder.mkdir()
    rule = "Pass = 1, Fail = 0." if options == PASS_FAIL else "Yes = 1, Partly = 0.5, No = 0."
    (folder / "team.yaml").write_text(HEAD.format(rule=rule) + options + "questions:\n" + "\n".join(lines) + "\n")
    return folder


@pytest.fixture
def registries(tmp_path: Path) -> dict[str, Registry]:
    """The review's cl1 (Yes/Partly/No; alpha, beta, gamma), cl2 (Pass/Fail; beta dropped, delta added), cl3
    (Yes/Partly/No; beta dropped, delta added) and cl4 (Pass/Fail; the same questions as cl1)."""
    return {
        "cl1": Registry(gate_dir(tmp_path, "cl1", YES_PARTLY_NO, ("alpha", "beta", "gamma"))),
        "cl2": Registry(gate_dir(tmp_path, "cl2", PASS_FAIL, ("alpha", "gamma", "delta"))),
        "cl3": Registry(gate_dir(tmp_path, "cl3", YES_PARTLY_NO, ("alpha", "gamma", "delta"))),
        "cl4": Registry(gate_dir(tmp_path, "cl4", PASS_FAIL, ("alpha", "beta", "gamma"))),
    }


def engine_with(redis_client: aioredis.Redis, registry: Registry) -> Engine:
    return Engine(Store(redis_client), registry, RecordingPresenter())


async def walk(engine: Engine, values: list[float | None], previous: Evaluation | None = None) -> Evaluation:
    """Start the project (a re-evaluation of ``previous``) on the terminal and answer the cards in turn."""
    ev = await engine.start(team=TEAM, channel="terminal", project="Gate", checklist_id="team-gate", user="ana",
                            origin="terminal", previous=previous)
    for value in values:
        (ts, _), = ev.open_cards().items()
        ev, outcome = await engine.answer(ev.id, card_ts=ts, user="ana", value=value)
        assert outcome is not None and outcome.applied, outcome
    return ev


async def test_history_keeps_the_result_decided_with_the_checklist_then(
        redis_client: aioredis.Redis, registries: dict[str, Registry]) -> None:
    done = await walk(engine_with(redis_client, registries["cl1"]), [0.5, 0.0, 1.0])  # Partly, No, Yes
    assert done.status == "completed" and done.decided is not None
    assert done.decided.fingerprint == registries["cl1"].get("team-gate").fingerprint
    store = Store(redis_client)
    assert (await history_text(store, registries["cl1"], "Gate")).endswith("team-gate  ⛔ No go — 1.5/3")
    for name in ("cl2", "cl3"):  # beta dropped, delta added (cl2 also Pass/Fail): re-scored it was "Not decided yet"
        text = await history_text(store, registries[name], "Gate")
        assert text.endswith(f"team-gate  ⛔ No go — 1.5/3 ({CHANGED_SINCE})"), text
        assert "Not decided" not in text
    root = json.dumps(root_blocks(done, registries["cl3"].get("team-gate")), ensure_ascii=False)
    assert f"*No go* — 1.5/3 ({CHANGED_SINCE})" in root  # the thread's root, redrawn, says the same
    record = decision_record(done, registries["cl2"].get("team-gate"), "md")  # raised KeyError on 0.5 before
    assert f"**⛔ No go** — 1.5/3 ({CHANGED_SINCE})." in record
    assert "| q1 | Alpha ready? | 0.5 (no longer an option) |" in record


async def test_a_change_after_completion_is_decided_anew_with_todays_checklist(
        redis_client: aioredis.Redis, registries: dict[str, Registry]) -> None:
    done = await walk(engine_with(redis_client, registries["cl1"]), [0.5, 0.0, 1.0])
    cl4 = registries["cl4"].get("team-gate")
    ev, outcome = await engine_with(redis_client, registries["cl4"]).change(done.id, question="q2", user="bo",
                                                                              value=1.0)
    assert outcome is not None and outcome.applied
    assert ev.decided is not None and ev.decided.fingerprint == cl4.fingerprint
    card = scorecard_of(ev, cl4)
    assert card.decided is None and verdict_of(card).line() == "✅ Go — 2.5/3"


async def test_a_reevaluation_prefills_only_what_the_checklist_still_offers(
        redis_client: aioredis.Redis, registries: dict[str, Registry]) -> None:
    done = await walk(engine_with(redis_client, registries["cl1"]), [0.5, 0.0, 1.0])
    cl2 = registries["cl2"].get("team-gate")
    again = await engine_with(redis_client, registries["cl2"]).start(
        team=TEAM, channel="terminal", project="Gate", checklist_id=None, user="ana", origin="terminal",
        previous=done)
    assert again.prefill == {"gamma": 1.0}  # alpha's Partly is no option of Pass/Fail; beta is gone
    assert flow.not_carried(done.scored(), cl2) == (["alpha"], 1)
    assert not_prefilled_notice(again, cl2, mrkdwn=False) == (
        "Not pre-filled from last time (the checklist has changed since): q1 (alpha), as its answer then (0.5) is no "
        "longer an option; 1 answer, as its question is no longer in the checklist.")
    cl1 = registries["cl1"].get("team-gate")
    same = flow.start(team=TEAM, channel="terminal", project="Gate", checklist=cl1, user="ana", previous=done)
    assert not_prefilled_notice(same, cl1) is None  # every answer carries: nothing to say


async def test_the_checklist_changing_during_a_reevaluation_stops_offering_what_it_no_longer_has(
        redis_client: aioredis.Redis, registries: dict[str, Registry]) -> None:
    done = await walk(engine_with(redis_client, registries["cl1"]), [0.5, 0.0, 1.0])
    running = await walk(engine_with(redis_client, registries["cl1"]), [], previous=done)
    assert running.prefill == {"alpha": 0.5, "beta": 0.0, "gamma": 1.0}
    now = engine_with(redis_client, registries["cl4"])  # Pass/Fail from here on
    (ts, card), = running.open_cards().items()
    assert card.question == "alpha"
    ev, outcome = await now.answer(running.id, card_ts=ts, user="ana", value=0.5)  # Enter on last time's Partly
    assert outcome is not None and not outcome.applied and outcome.notice is not None
    assert outcome.notice.detail == ("0.5 is not an answer to q1 any more (the checklist has changed); answer "
                                     "Pass / Fail.")
    ev, outcome = await now.answer(running.id, card_ts=ts, user="ana", value=1.0)
    assert outcome is not None and outcome.applied
    assert ev.prefill == {"beta": 0.0, "gamma": 1.0}  # the next cards offer only what is still an option


async def test_older_documents_without_a_kept_result_still_load_and_are_scored_as_before(
        redis_client: aioredis.Redis, registries: dict[str, Registry]) -> None:
    done = await walk(engine_with(redis_client, registries["cl1"]), [0.5, 0.0, 1.0])
    stored = await redis_client.get(eval_key(done.id))
    assert stored is not None
    raw = json.loads(stored)
    kept = raw.pop("decided")
    assert len(json.dumps(kept, ensure_ascii=False, separators=(",", ":")).encode()) < 300  # ≤ 8 KiB per evaluation
    await redis_client.set(eval_key(done.id), json.dumps(raw))
    store = Store(redis_client)
    old = await store.get(done.id)
    assert old is not None and old.decided is None
    # nothing kept to go by: scored with today's checklist, as before results were kept (and without a KeyError)
    assert verdict_of(scorecard_of(old, registries["cl2"].get("team-gate"))).decision == "Not decided yet"
    assert "⏳ Not decided yet — 1.5/3 so far" in await history_text(store, registries["cl2"], "Gate")


async def test_history_compares_totals_only_with_the_same_checklist(
        redis_client: aioredis.Redis, registries: dict[str, Registry]) -> None:
    done = await walk(engine_with(redis_client, registries["cl1"]), [0.5, 0.0, 1.0])
    again = await walk(engine_with(redis_client, registries["cl3"]), [1.0, 1.0, 1.0], previous=done)
    assert again.status == "completed"
    lines = (await history_text(Store(redis_client), registries["cl3"], "Gate")).splitlines()
    assert lines[1].endswith(f"⛔ No go — 1.5/3 ({CHANGED_SINCE})")
    assert lines[2].endswith("✅ Go — 3/3")  # no "+1.5 since": the first was scored with other questions
