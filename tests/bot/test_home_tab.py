"""The App Home tab and the leads' text commands, on what they say about time, status, trend and who took part."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis

from bot.blocks.leads import HOME_MAX_ROWS, HOME_PAGE, HOME_SUMMARY, REEVAL_START
from bot.payloads import EvaluationClick
from conversations.models import AnswerEntry, Ballot, Evaluation, Vote, project_key
from conversations.reminders import ReminderQueue
from conversations.store import Store
from scoring.checklist import Registry
from tests.bot.harness import Bot, running_bot
from tests.bot.test_leads import EXAMPLES, PRIVATE, ask, home_click, open_home, people, texts
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

REGISTRY = Registry()
AT = datetime(2030, 1, 7, 10, 0, tzinfo=UTC)


def stored(project: str, answers: dict[str, float | None], *, checklist: str = "fine-tuning-readiness",
           channel: str = "C1", status: str = "completed", by: str = "U1", at: datetime = AT,
           **extra: Any) -> Evaluation:
    """An evaluation document as the engine stores it, keyed by question key (q1 …)."""
    ch = REGISTRY.get(checklist)
    entries = {ch.question(k).id: AnswerEntry(question=ch.question(k).id, value=v, by=by, at=at)
               for k, v in answers.items()}
    return Evaluation(team="T0001", channel=channel, thread_ts=f"{at.timestamp():.6f}", project=project,
                      project_key=project_key(project), checklist=checklist, started_by="U1",
                      started_at=at - timedelta(hours=1), status=status,
                      completed_at=at if status == "completed" else None, last_activity=at, answers=entries,
                      **extra)


async def put(redis_client: aioredis.Redis, *evs: Evaluation) -> None:
    store = Store(redis_client)
    for ev in evs:
        await store.create(ev, ev.started_by)


async def test_dates_are_the_teams_days_not_utc_days(slack: SlackStandIn, redis_server: RedisServer,
                                                     redis_client: aioredis.Redis) -> None:
    """Completed on Monday 2030-01-07 22:00 UTC: Tuesday already in Auckland, where the team works."""
    people(slack)
    ev = stored("Router", EXAMPLES["example1_support_intent"]["answers"], at=AT.replace(hour=22))
    await put(redis_client, ev)
    due = datetime(2031, 3, 2, 20, 0, tzinfo=UTC)  # 2031-03-03 09:00 in Auckland
    await ReminderQueue(Store(redis_client)).schedule(ev.id, due)
    async with running_bot(slack, redis_server.url, FTCHECK_TIMEZONE="Pacific/Auckland") as bot:
        listing = await ask(bot, "list")
        assert "last evaluated 2030-01-08" in listing and "next reminder 2031-03-03" in listing, listing
        assert "Next re-evaluation: 2031-03-03" in await open_home(bot, "U1")
        assert "• 2030-01-08 — " in await ask(bot, "history Router")  # started 21:00 UTC, 10:00 on the 8th there


async def test_an_evaluation_closed_for_inactivity_is_not_in_progress(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    await put(redis_client, stored("Dormant", {f"q{i}": 1.0 for i in range(1, 6)}, status="abandoned"))
    async with running_bot(slack, redis_server.url) as bot:
        home = await open_home(bot, "U1")
        assert "closed for inactivity, 5/20 answered" in home and "in progress" not in home, home
        assert "Next re-evaluation" not in home  # reminders start once an evaluation completes
        listing = await ask(bot, "list")
        assert "closed for inactivity, 5/20 answered · started 2030-01-07 · 1 evaluation" in listing, listing
        assert "last evaluated" not in listing and "reminder" not in listing  # it was never evaluated
        assert "done" not in listing and "in progress" not in listing


async def test_a_running_first_evaluation_shows_its_progress_once(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    await put(redis_client, stored("Fresh", {"q1": 1.0}, status="in_progress"))
    async with running_bot(slack, redis_server.url) as bot:
        home = await open_home(bot, "U1")
        assert home.count("1/20 answered") == 1, home
        listing = await ask(bot, "list")
        assert listing.count("1/20") == 1 and "done" not in listing, listing


async def test_trend_compares_only_evaluations_on_the_same_checklist(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """18.5/20 on readiness, then 3/3 on the dataset gate: no "-15.5" drop; the next readiness run compares."""
    people(slack)
    first = stored("Router", EXAMPLES["example3_code_generation"]["answers"])
    gate = stored("Router", {"q1": 1.0, "q2": 1.0, "q3": 1.0}, checklist="dataset-readiness",
                  at=AT + timedelta(days=30))
    await put(redis_client, first, gate)
    async with running_bot(slack, redis_server.url) as bot:
        home = await open_home(bot, "U1")
        assert "3/3" in home and "trend" not in home, home
        assert "Next re-evaluation: none scheduled" in home  # stored without a reminder
        assert "since" not in (await ask(bot, "summary Router")).splitlines()[0]
        again = stored("Router", EXAMPLES["example2_medical_diagnosis"]["answers"], at=AT + timedelta(days=60))
        await put(redis_client, again)
        assert "trend ▼ -6.5 since 2030-01-07" in await open_home(bot, "U1")


async def test_a_team_vote_credits_every_voter(slack: SlackStandIn, redis_server: RedisServer,
                                               redis_client: aioredis.Redis) -> None:
    """Quorum 3: U2, U3 and U4 voted on every card; the reveal records the last voter (U4) as the answer's author."""
    people(slack)
    checklist = REGISTRY.get()
    ev = stored("Voted", {q.key: 1.0 for q in checklist.questions}, by="U4", mode="vote", quorum=3)
    ev.ballots = {q.id: Ballot(revealed=True, votes={u: Vote(value=1.0, at=AT + timedelta(seconds=i))
                                                     for i, u in enumerate(("U2", "U3", "U4"))})
                  for q in checklist.questions}
    await put(redis_client, ev)
    async with running_bot(slack, redis_server.url) as bot:
        assert "· you took part" in await open_home(bot, "U2")
        summary = await ask(bot, "summary Voted")
        assert "Voted by <@U2> (20 votes), <@U3> (20 votes), <@U4> (20 votes)" in summary, summary
        assert "Answered by" not in summary


async def test_home_pages_through_projects_a_channel_list_would_not_show(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """U2 sees 20 public and 11 private projects from Home; the oldest is on Home's second page."""
    people(slack)
    start = datetime(2030, 1, 1, tzinfo=UTC)
    evs = [stored(f"Pub {i}", {"q1": 1.0}, status="in_progress", at=start + timedelta(hours=i)) for i in range(20)]
    evs += [stored(f"Priv {i}", {"q1": 1.0}, channel=PRIVATE, status="in_progress",
                   at=start + timedelta(hours=30 + i)) for i in range(11)]
    await put(redis_client, *evs)
    async with running_bot(slack, redis_server.url) as bot:
        home = await open_home(bot, "U2")
        assert f"Showing 1–{HOME_MAX_ROWS} of 31 projects" in home and "*Pub 0*" not in home, home
        await home_click(bot, "U2", f"{HOME_PAGE}_older", "2")
        await slack.wait_for(lambda: "Showing 31–31 of 31" in str(slack.home_view("U2")), what="page 2")
        view = slack.home_view("U2") or {}
        labels = [el["text"]["text"] for b in view["blocks"] if b["type"] == "actions" for el in b["elements"]]
        assert "*Pub 0*" in str(view) and "← Newer" in labels and "Older →" not in labels, labels


async def test_a_middle_page_of_home_has_both_buttons_and_slack_takes_it(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """61 projects: page 2 of 3 offers Newer and Older in one block, so their action ids must differ."""
    people(slack)
    start = datetime(2030, 1, 1, tzinfo=UTC)
    await put(redis_client, *[stored(f"P {i}", {"q1": 1.0}, status="in_progress", at=start + timedelta(hours=i))
                              for i in range(61)])
    async with running_bot(slack, redis_server.url) as bot:
        await open_home(bot, "U1")
        await home_click(bot, "U1", f"{HOME_PAGE}_older", "2")
        await slack.wait_for(lambda: "Showing 31–60 of 61" in str(slack.home_view("U1")), what="page 2")
        view = slack.home_view("U1") or {}
        labels = [el["text"]["text"] for b in view["blocks"] if b["type"] == "actions" for el in b["elements"]
                  if b.get("block_id") == "home:pages"]
        assert labels == ["← Newer", "Older →"], labels
        await home_click(bot, "U1", f"{HOME_PAGE}_newer", "1")
        await slack.wait_for(lambda: "Showing 1–30 of 61" in str(slack.home_view("U1")), what="back to page 1")


async def click_on_home(bot: Bot, user: str, action_id: str, value: str) -> None:
    """A button on the App Home tab, and wait for the tab to be published again."""
    before = len(bot.slack.calls_to("views.publish"))
    await home_click(bot, user, action_id, value)
    await bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.publish")) > before, what=f"home after {action_id}")
    await bot.settle(quiet_s=0.05)


def home_buttons(bot: Bot, user: str) -> dict[str, list[tuple[str, str]]]:
    """The Home tab's actions blocks by block id: each button's label and value."""
    view = bot.slack.home_view(user) or {}
    return {b["block_id"]: [(el["text"]["text"], el["value"]) for el in b["elements"]]
            for b in view.get("blocks", []) if b["type"] == "actions"}


async def on_third_page(bot: Bot, user: str) -> str:
    """61 projects: open Home and page Older twice, to the last page (one project, the oldest)."""
    await open_home(bot, user)
    await click_on_home(bot, user, f"{HOME_PAGE}_older", "2")
    await click_on_home(bot, user, f"{HOME_PAGE}_older", "3")
    home = texts((bot.slack.home_view(user) or {})["blocks"])
    assert "Showing 61–61 of 61 projects" in home and "*P 0*" in home, home
    return home


async def test_a_click_on_home_page_3_redraws_page_3(slack: SlackStandIn, redis_server: RedisServer,
                                                    redis_client: aioredis.Redis) -> None:
    """Start re-evaluation on the one project of page 3: P 0 moves up (newest activity), page 3 now shows P 1."""
    people(slack)
    start = datetime(2020, 1, 1, tzinfo=UTC)  # before the re-evaluation starts, so P 0 moves to the top
    evs = [stored(f"P {i}", {"q1": 1.0}, at=start + timedelta(hours=i)) for i in range(61)]
    await put(redis_client, *evs)
    async with running_bot(slack, redis_server.url) as bot:
        await on_third_page(bot, "U1")
        await click_on_home(bot, "U1", REEVAL_START, evs[0].id)
        await slack.wait_for(lambda: "Re-evaluation: P 0" in texts(slack.messages("C1", top_level=True)[-1].blocks),
                             what="re-evaluation thread")
        home = texts((slack.home_view("U1") or {})["blocks"])
        assert "Showing 61–61 of 61 projects" in home, f"Home went back to another page after the click:\n{home}"
        assert "*P 1*" in home and "*P 0*" not in home, home
        assert home_buttons(bot, "U1")["home:pages"] == [("← Newer", "2")]


async def test_a_row_gone_from_the_last_home_page_redraws_the_page_before(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """P 0, alone on page 3, is deleted meanwhile: its Summary says so and Home shows page 2, now the last."""
    people(slack)
    start = datetime(2030, 1, 1, tzinfo=UTC)
    evs = [stored(f"P {i}", {"q1": 1.0}, status="in_progress", at=start + timedelta(hours=i)) for i in range(61)]
    await put(redis_client, *evs)
    async with running_bot(slack, redis_server.url) as bot:
        await on_third_page(bot, "U1")
        assert "Deleted the" in await ask(bot, "delete P 0")
        await click_on_home(bot, "U1", HOME_SUMMARY, evs[0].id)
        assert "it was deleted" in texts(slack.calls_to("views.open")[-1].params["view"]["blocks"])
        home = texts((slack.home_view("U1") or {})["blocks"])
        assert "Showing 31–60 of 60 projects" in home, f"Home is not on the last page there is:\n{home}"
        assert "*P 0*" not in home and "*P 1*" in home and "*P 30*" in home, home
        assert home_buttons(bot, "U1")["home:pages"] == [("← Newer", "1")]


@pytest.mark.parametrize(("metadata", "page"), [('{"page": 3}', 3), ("", 1), ("3", 1), ('{"page": 0}', 1),
                                                 ("not json", 1), (None, 1)])
def test_a_home_click_reads_its_page_from_the_view_and_falls_back_to_page_1(metadata: str | None, page: int) -> None:
    """A tab drawn before pages were recorded (no metadata), or anything unexpected there, means page 1."""
    body: dict[str, Any] = {"user": {"id": "U1"}, "container": {"type": "view"},
                            "actions": [{"action_id": HOME_SUMMARY, "value": "ev1"}]}
    if metadata is not None:
        body["view"] = {"id": "V1", "type": "home", "private_metadata": metadata}
    assert EvaluationClick.model_validate(body).home_page == page
