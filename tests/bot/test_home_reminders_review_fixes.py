"""Review findings on the App Home tab and reminders: a row per project per channel; Start from Home says where the
new thread is; a reminder's opening fits last time's result and names the top gaps only; turning reminders back on
names the evaluation's own cadence; a date's reply reads as sentences; closing a re-evaluation for inactivity says
what comes back and what a start pre-fills."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as aioredis

import bot.leads.reminders as lead_reminders
from bot.blocks.leads import (
    HOME_MAX_ROWS,
    REEVAL_START,
    HomeRow,
    Scored,
    UnavailableRow,
    home_view,
    reminder_blocks,
    summary_text,
)
from conversations.engine import scorecard_of
from conversations.models import Evaluation
from conversations.reminders import Cadence, ReminderQueue
from conversations.store import Store
from scoring.checklist import Registry
from tests.bot.harness import running_bot
from tests.bot.test_home_tab import AT, put, stored
from tests.bot.test_leads import EXAMPLES, PRIVATE, ask, evaluate, home_click, open_home, people, start, texts
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

EX2 = EXAMPLES["example2_medical_diagnosis"]["answers"]  # Not yet, 9 gaps
EX3 = EXAMPLES["example3_code_generation"]["answers"]  # Strong go
REGISTRY = Registry()
LA = ZoneInfo("America/Los_Angeles")


def buttons(view: dict[str, object] | None) -> list[tuple[str, str]]:
    blocks = (view or {}).get("blocks", [])
    assert isinstance(blocks, list)
    return [(el["text"]["text"], el["value"]) for b in blocks if b["type"] == "actions" for el in b["elements"]]


def a_scored(ev: Evaluation) -> Scored:
    checklist = REGISTRY.get(ev.checklist)
    return Scored(ev=ev, card=scorecard_of(ev, checklist), answered=len(ev.answers),
                  questions=len(checklist.questions))


async def test_home_and_list_show_a_row_per_channel_each_with_its_own_result_and_buttons(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """Gamma evaluated in #C1 (Not yet) and #C2 (Strong go); then re-evaluated in #C1: only #C1's row says so."""
    people(slack)
    slack.set_channel("C2", name="platform", members=["UBOT", "U1", "U2", "U3"])
    c1 = stored("Gamma", EX2, channel="C1")
    c2 = stored("Gamma", EX3, channel="C2", at=AT + timedelta(days=1))
    await put(redis_client, c1, c2)
    async with running_bot(slack, redis_server.url) as bot:
        home = await open_home(bot, "U1")
        assert "*Gamma* in <#C1>" in home and "*Gamma* in <#C2>" in home, home
        assert "Not yet" in home and "Strong go" in home, home
        starts = [value for text, value in buttons(slack.home_view("U1")) if text == "Start re-evaluation"]
        assert sorted(starts) == sorted([c1.id, c2.id])
        listing = await ask(bot, "list")
        assert "*Gamma* in <#C1>" in listing and "*Gamma* in <#C2>" in listing, listing

        running = stored("Gamma", {"q1": 1.0}, channel="C1", status="in_progress", at=AT + timedelta(days=2))
        await put(redis_client, running)
        home = await open_home(bot, "U1")
        c1_row, c2_row = (home.split("*Gamma* in <#C1>")[1].split("*Gamma*")[0],
                          home.split("*Gamma* in <#C2>")[1].split("*Gamma*")[0])
        assert "re-evaluation in progress" in c1_row and "re-evaluation in progress" not in c2_row, home
        starts = [value for text, value in buttons(slack.home_view("U1")) if text == "Start re-evaluation"]
        assert starts == [c2.id], starts


async def test_a_private_channels_row_shows_only_to_its_members(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    await put(redis_client, stored("Shared", EX2, channel="C1"),
              stored("Shared", EX3, channel=PRIVATE, at=AT + timedelta(days=1)))
    async with running_bot(slack, redis_server.url) as bot:
        member = await open_home(bot, "U1")
        assert f"*Shared* in <#{PRIVATE}>" in member and "*Shared* in <#C1>" in member, member
        outsider = await open_home(bot, "U3")
        assert f"<#{PRIVATE}>" not in outsider and "Strong go" not in outsider, outsider
        assert "*Shared* in <#C1>" in outsider


def test_a_page_of_projects_with_rows_in_many_channels_fits_slacks_100_blocks_and_names_the_rest() -> None:
    """30 projects, each evaluated in 3 channels: 90 rows. The page still counts projects, every row is drawn or
    named, and Slack's limit of 100 blocks holds."""
    rows: list[HomeRow | UnavailableRow] = [
        HomeRow(current=a_scored(stored(f"P{i}", EX3, channel=f"C{c}")), previous=None, running=None, due=None,
                took_part=False) for i in range(HOME_MAX_ROWS) for c in range(3)]
    view = home_view(rows, UTC, total=31, projects=HOME_MAX_ROWS)
    assert len(view["blocks"]) <= 100
    text = texts(view["blocks"])
    assert f"Showing 1–{HOME_MAX_ROWS} of 31 projects (a project evaluated in several channels has a row for each)" \
        in text, text
    assert all(f"*P{i}* in <#C{c}>" in text for i in range(HOME_MAX_ROWS) for c in range(3)), text
    assert "Not shown for lack of room: " in text


async def test_start_from_home_tells_the_clicker_where_the_new_thread_is(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url) as bot:
        await evaluate(bot, "Router", EX2)
        (done,) = await Store(redis_client).channel_evaluations("T0001", "C1")
        await open_home(bot, "U3")
        posts = len(slack.calls_to("chat.postMessage"))
        await home_click(bot, "U3", REEVAL_START, done.id)
        await slack.wait_for(lambda: any(c.params.get("channel") == "U3"
                                         for c in slack.calls_to("chat.postMessage")[posts:]), what="the DM")
        (dm,) = [c.params["text"] for c in slack.calls_to("chat.postMessage")[posts:] if c.params["channel"] == "U3"]
        assert dm.startswith("Re-evaluation of *Router* started in <#C1>: <") and "|open the thread>." in dm, dm
        await slack.wait_for(lambda: "re-evaluation in progress" in texts((slack.home_view("U3") or {})["blocks"]),
                             what="home redrawn")
        home = texts((slack.home_view("U3") or {})["blocks"])
        assert "re-evaluation in progress: 0/20 answered · <" in home and "|open the thread>" in home, home


def test_a_reminder_after_a_go_does_not_say_not_yet() -> None:
    go = stored("Alpha", EX3)
    text = texts(reminder_blocks(go, scorecard_of(go, REGISTRY.get()), tz=UTC))
    assert "not yet" not in text.lower() and "Check the go still holds" in text, text
    not_yet = stored("Beta", EX2)
    assert "What was not ready then may be ready now." in texts(
        reminder_blocks(not_yet, scorecard_of(not_yet, REGISTRY.get()), tz=UTC))


def test_a_reminder_names_the_top_three_gaps_and_counts_the_rest() -> None:
    ev = stored("Beta", EX2)
    text = texts(reminder_blocks(ev, scorecard_of(ev, REGISTRY.get()), tz=UTC))
    bullets = [line for line in text.splitlines() if line.startswith("• ")]
    assert len(bullets) == 3, text
    assert "\n…and 6 more: `/ftcheck summary Beta` here lists every gap." in text, text


async def test_turning_reminders_back_on_names_the_evaluations_own_cadence(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """A monthly checklist (deployment-quality) says monthly; a cadence a lead chose is kept; the paused DM too."""
    people(slack)
    deploy = REGISTRY.get("deployment-quality")
    now = datetime.now(UTC)
    ev = stored("Deploy", {q.key: 1.0 for q in deploy.questions}, checklist="deployment-quality", at=now)
    router = stored("Router", EX2, at=now)
    await put(redis_client, ev, router)
    async with running_bot(slack, redis_server.url) as bot:
        due = await bot.runtime.reminders.on_completed(ev, now)
        assert due is not None and await bot.runtime.reminders.tick(due + timedelta(minutes=1)) == 1
        msg = [m for m in slack.messages("C1") if m.text.startswith("Time to re-evaluate")][-1]
        await bot.click(msg, "reeval_stop", user="U1")
        await slack.wait_for(lambda: bool(slack.ephemerals("C1", user="U1")), what="stopped")
        stopped = slack.ephemerals("C1", user="U1")[-1].text
        assert "`/ftcheck remind Deploy monthly` turns them back on" in stopped, stopped
        assert "`/ftcheck remind Deploy monthly` turns them back on" in await ask(bot, "remind Deploy off")

        await ask(bot, "remind Router monthly")  # a lead's choice on the quarterly checklist
        from bot.leads.reminders import own_cadence  # new with the fix

        queue = ReminderQueue(Store(redis_client))
        assert await own_cadence(queue, None, REGISTRY, router) == Cadence(months=1)
        assert "`/ftcheck remind Router monthly` turns them back on" in await ask(bot, "remind Router off")

    from bot.reminder_sink import paused_text
    told = paused_text(ev, "not_in_channel", Cadence(months=1))
    assert "`/ftcheck remind Deploy monthly` there to resume them" in told, told


async def test_a_date_the_hours_move_reads_as_sentences_with_the_commands_word(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis,
        monkeypatch: pytest.MonkeyPatch) -> None:
    people(slack)
    await put(redis_client, stored("Router", EX2))
    friday = datetime(2027, 1, 8, 16, 58, tzinfo=LA)
    monkeypatch.setattr(lead_reminders, "time_now", lambda: friday.astimezone(UTC))
    async with running_bot(slack, redis_server.url, FTCHECK_TIMEZONE="America/Los_Angeles",
                           FTCHECK_WORKING_HOURS="Mon-Fri 09:00-17:00") as bot:
        reply = await ask(bot, "remind Router 2027-01-08")
    assert reply == ("Re-evaluation reminders for *Router*: once, then quarterly. Today's working hours "
                     "(Mon-Fri 09:00-17:00) end in a few minutes; it comes on Monday 2027-01-11, in its thread."), reply


async def test_a_reevaluation_closed_for_inactivity_says_its_reminder_comes_back_and_start_prefills(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url, FTCHECK_ROOT_REDRAW_SECONDS=0) as bot:
        await evaluate(bot, "Idle", EX2)
        await start(bot, "Idle")
        await bot.answer_all(EX3, limit=2)
        await bot.settle(quiet_s=0.05)
        again = next(ev for ev in await Store(redis_client).channel_evaluations("T0001", "C1")
                     if ev.status == "in_progress")
        await bot.runtime.services.engine.abandon(again)
        await slack.wait_for(lambda: any("had no answers for a long time" in m.text for m in bot.thread()),
                             what="the closing note")
        note = next(m.text for m in bot.thread() if "had no answers for a long time" in m.text)
    assert note.endswith("`/ftcheck start Idle` begins a new one pre-filled with last time's answers (add "
                         "`--fresh` to start from the first question). The reminder to re-evaluate the previous "
                         "result comes back, as it was set."), note


def test_a_closed_first_evaluation_still_starts_from_the_first_question() -> None:
    ev = stored("Idle", {"q1": 1.0}, status="abandoned")
    ev.completed_at = AT
    text = summary_text(a_scored(ev), None, None, link="", tz=UTC)
    assert "`/ftcheck start Idle` in <#C1> begins a new evaluation, from the first question." in text, text
