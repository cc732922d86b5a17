"""A year of use (scale review): Home pages cut so every row fits, counts that are true in a busy channel, on a
long project and on the command line past 2,000 evaluations, the list's order said, and Slack's context limit.
Each test starts on an empty Redis (``redis_client`` flushes it)."""

from __future__ import annotations

import itertools
import json
import re
from datetime import timedelta

import redis.asyncio as aioredis

from bot.blocks.common import context
from bot.blocks.leads import HOME_PAGE, HOME_SUMMARY
from bot.terminal.reports import from_slack, list_text
from conversations.models import Evaluation
from conversations.store import Store
from scoring.checklist import Registry
from tests.bot.harness import Bot, running_bot
from tests.bot.test_leads import home_click, open_home, texts
from tests.bot.test_scale import T0, create_all, evaluation
from tests.standins.block_kit import check_blocks
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

NAME = "Cross-team project {:02d} with a fairly long descriptive name for the review"


def people(slack: SlackStandIn, channels: list[str]) -> None:
    slack.set_user("U1")
    for channel in channels:
        slack.set_channel(channel, members=["UBOT", "U1"])


def home_page(bot: Bot) -> tuple[dict[str, object], list[str], str]:
    view = bot.slack.home_view("U1")
    assert view is not None
    blocks = view["blocks"]
    summaries = [e["value"] for b in blocks if b.get("type") == "actions" for e in b["elements"]
                 if e["action_id"] == HOME_SUMMARY]
    return view, summaries, texts(blocks)


async def next_page(bot: Bot, page: int) -> None:
    before = len(bot.slack.calls_to("views.publish"))
    await home_click(bot, "U1", f"{HOME_PAGE}_older", str(page))
    await bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.publish")) > before, what=f"page {page}")


async def test_home_pages_are_cut_by_rows_so_every_row_of_every_project_has_its_buttons(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """31 projects each evaluated in 3 channels (93 rows): each page fits Slack's 100 blocks with every row drawn
    and its buttons; together the pages hold every row once; footers count projects truly."""
    channels = ["C1", "C2", "C3"]
    people(slack, channels)
    evs = [evaluation(i * 3 + k, project=NAME.format(i), channel=c, completed=True)
           for i in range(31) for k, c in enumerate(channels)]
    async with running_bot(slack, redis_server.url) as bot:
        await create_all(bot.runtime.services.store, evs)
        await open_home(bot, "U1")
        seen: list[str] = []
        footers: list[tuple[str, str, str]] = []
        for page in range(1, 20):
            view, summaries, text = home_page(bot)
            assert len(view["blocks"]) <= 100 and "Not shown" not in text, text  # type: ignore[arg-type]
            assert json.loads(str(view["private_metadata"]))["page"] == page
            seen += summaries
            footers += re.findall(r"Showing (\d+)–(\d+) of (\d+) projects", text)
            if "Older →" not in text:
                break
            await next_page(bot, page + 1)
        assert sorted(seen) == sorted(ev.id for ev in evs)  # each row once, with its Summary button
        assert footers[0] == ("1", "10", "31") and footers[-1][1:] == ("31", "31"), footers
        assert all(int(a[1]) + 1 == int(b[0]) for a, b in itertools.pairwise(footers)), footers
        assert slack.violations == []


async def test_summary_in_a_busy_channel_never_gives_a_false_project_count(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """505 evaluations in one channel: 5 projects evaluated only before its 500 latest, then 30 others. The
    summary reads the 500 latest; it says "at least 30", never "30 projects in this channel"."""
    people(slack, ["C1"])
    evs = [evaluation(i, project=f"Old {i}", channel="C1", completed=True) for i in range(5)]
    evs += [evaluation(5 + i, project=f"Busy {i % 30:02d}", channel="C1", completed=True) for i in range(500)]
    async with running_bot(slack, redis_server.url) as bot:
        await create_all(bot.runtime.services.store, evs)
        reply = await bot.reply_to("summary", user="U1", channel="C1")
        listed = await bot.reply_to("list", user="U1", channel="C1")
    assert "(35 projects, showing 1–30)" in listed, listed.split("\n")[0]
    assert "*30 projects in this channel*" not in reply
    assert "*At least 30 projects in this channel*" in reply, reply.split("\n")[0]
    assert "at least 7 more projects in this channel (counted in its 500 latest evaluations)" in reply, reply


async def test_list_counts_every_evaluation_of_a_long_project(slack: SlackStandIn, redis_server: RedisServer,
                                                              redis_client: aioredis.Redis) -> None:
    """60 evaluations of one project in one channel: its `/ftcheck list` line says 60, as `history` does (the page
    reads its latest 50 only)."""
    people(slack, ["C1"])
    async with running_bot(slack, redis_server.url) as bot:
        await create_all(bot.runtime.services.store,
                         [evaluation(i, project="Weekly triage", channel="C1", completed=True) for i in range(60)])
        listed = await bot.reply_to("list", user="U1", channel="C1")
        history = await bot.reply_to("history Weekly triage", user="U1", channel="C1")
    assert "(60 evaluations" in history
    assert listed.rstrip().endswith("· 60 evaluations"), listed


def closed(ev: Evaluation, at_days: int) -> Evaluation:
    at = T0 + timedelta(days=at_days)
    return ev.model_copy(update={"status": "abandoned", "completed_at": at, "last_activity": at, "cards": {}})


async def test_list_says_its_order_and_the_latest_activity_it_sorts_by(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """A completed on day 0 then a re-evaluation closed for inactivity on day 40; B completed on day 20. A is
    listed first (newest activity), and its line says why: the closed re-evaluation and its day."""
    people(slack, ["C1"])
    a = evaluation(0, project="Alpha", channel="C1", completed=True)
    b = evaluation(20 * 24 * 60, project="Beta", channel="C1", completed=True)
    rerun = closed(evaluation(30 * 24 * 60, project="Alpha", channel="C1", completed=False), 40)
    async with running_bot(slack, redis_server.url) as bot:
        await create_all(bot.runtime.services.store, [a, b, rerun])
        lines = (await bot.reply_to("list", user="U1", channel="C1")).split("\n")
    assert "newest activity first" in lines[0], lines[0]
    assert "*Alpha*" in lines[1] and "*Beta*" in lines[2], lines
    day40 = f"{T0 + timedelta(days=40):%Y-%m-%d}"
    assert f"latest activity {day40}: an evaluation closed for inactivity" in lines[1], lines[1]
    assert "latest activity" not in lines[2], lines[2]


async def test_terminal_list_shows_every_project_and_counts_slack_past_2000(redis_client: aioredis.Redis) -> None:
    """1,001 terminal projects (2,002 evaluations) and 2,100 Slack evaluations in one store: `ftcheck list` lists
    all 1,001 and counts 2,100 from Slack (before: read at most 2,000 of each)."""
    store = Store(redis_client)
    terminal = [evaluation(i, project=f"Local {i // 2:04d}", channel="terminal", completed=True)
                .model_copy(update={"team": "terminal"}) for i in range(2002)]
    await create_all(store, [*terminal, *(evaluation(3000 + i, project=f"P{i:04d}", channel=f"C{i % 12:02d}",
                                                     completed=True) for i in range(2100))])
    assert (await from_slack(store)).count == 2100
    text = await list_text(store, Registry())
    assert text.startswith("Projects in this store (1001)"), text[:80]
    assert "  Local 0000:" in text and "2100 evaluations from Slack" in text


def test_the_stand_in_refuses_a_context_text_slack_refuses_and_context_clips_to_it() -> None:
    """Slack's text objects take 3,000 characters, in a context block too; the bot's context() clips to that."""
    long = {"type": "context", "elements": [{"type": "mrkdwn", "text": "x" * 3001}]}
    assert any("context text longer than 3000" in p for p in check_blocks([long], max_blocks=50, where="m"))
    assert check_blocks([context("y" * 5000)], max_blocks=50, where="m") == []
    assert len(context("y" * 5000)["elements"][0]["text"]) == 3000
