"""The leads' commands as a reviewer drove them: one channel's results are not mixed with another's, a channel's
summary has a size, a deleted evaluation is said to be deleted, history pages, the team's day in every date, and a
"not allowed" reply names the leads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from bot.leads import reminders as lead_reminders
from conversations.models import Evaluation
from conversations.store import Store
from tests.bot.harness import running_bot
from tests.bot.test_home_tab import AT, put, stored
from tests.bot.test_leads import EXAMPLES, ask, evaluate, people
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

TREE = ("q1", "q7", "q8", "q13", "q14")  # the decision tree's questions: all Yes, so the total decides


def scoring(total: float) -> dict[str, float | None]:
    """Answers adding up to ``total`` (of 20), the decision tree's questions answered Yes."""
    answers: dict[str, float | None] = dict.fromkeys(TREE, 1.0)
    rest = total - len(TREE)
    for key in (f"q{i}" for i in range(1, 21) if f"q{i}" not in TREE):
        answers[key] = 1.0 if rest >= 1 else 0.5 if rest >= 0.5 else 0.0
        rest -= answers[key] or 0.0
    return answers


def channels(slack: SlackStandIn) -> None:
    people(slack)
    slack.set_channel("C2", name="product-ai", members=["UBOT", "U1", "U2", "U9"])
    slack.set_channel("C3", name="bulk", members=["UBOT", "U1", "U2", "U9"])


async def test_a_project_in_two_channels_is_shown_channel_by_channel(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """*Shared* scored 20/20 in C1, then 7.5/20 in C2: C1's summary, history and export are C1's own, never
    compared with C2's; a channel that never evaluated it says whose result it shows."""
    channels(slack)
    await put(redis_client, stored("Shared", scoring(20), channel="C1"),
              stored("Shared", scoring(7.5), channel="C2", at=AT + timedelta(days=1), by="U2"))
    async with running_bot(slack, redis_server.url) as bot:
        summary = await ask(bot, "summary Shared", channel="C1")
        assert summary.startswith("*Shared* — :white_check_mark: *Strong go* — 20/20"), summary
        assert "since" not in summary and "-12.5" not in summary, summary
        assert "Also evaluated in <#C2>, with results of its own: `/ftcheck summary Shared` there shows them." \
            in summary, summary
        history = await ask(bot, "history Shared", channel="C1")
        assert history.startswith("*History of Shared in <#C1>* (1 evaluation)\n• 2030-01-07"), history
        assert "Δ" not in history and "7.5/20" not in history, history

        await bot.command("export Shared csv", channel="C1")
        await slack.wait_for(lambda: len(slack.files) == 1, what="the export")
        assert "/archives/C1/" in (slack.files[0].content or b"").decode()  # C1's record, not C2's

        elsewhere = await ask(bot, "summary Shared", channel="C3")
        assert elsewhere.startswith(":information_source: No evaluation of *Shared* in this channel. This is its "
                                    "evaluation in <#C2>.\n\n*Shared* — :no_entry: *Don't fine-tune yet*"), elsewhere
        assert "Also evaluated in <#C1>" in elsewhere and "since" not in elsewhere, elsewhere
        await bot.command("export Shared md", channel="C3")  # C2's record goes to the asker alone, not into C3
        await slack.wait_for(lambda: len(slack.files) == 2, what="the second export")
        assert slack.files[1].channel_id == slack.dm_channel("U1")
        assert "from <#C2>, which you asked for in <#C3>" in (slack.files[1].initial_comment or "")


async def test_a_channel_summary_is_capped_and_gives_decided_projects_in_full(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """40 projects: 30 barely started (the newest activity) and 10 decided. The full scorecards go to the latest
    decided ones; the message stays well inside Slack's 40,000 characters and says how many it leaves out."""
    channels(slack)
    running = [stored(f"Started {i:02d}", {"q1": 1.0}, status="in_progress", at=AT + timedelta(hours=i))
               for i in range(30)]
    decided = [stored(f"Decided {i:02d}", scoring(16 + i % 5), at=AT - timedelta(days=i)) for i in range(10)]
    await put(redis_client, *running, *decided)
    async with running_bot(slack, redis_server.url) as bot:
        summary = await ask(bot, "summary")
    assert len(summary) < 20_000, len(summary)
    head, first, *_ = summary.split("\n\n")
    assert head == ("*40 projects in this channel*, 23 shown here: the 3 latest decided in full, then 20 in a line "
                    "each."), head
    assert first.startswith("*Decided 00* — "), first
    assert summary.count("*Sections*") == 3 and "*Decided 02* — " in summary, summary
    assert summary.endswith("… and 17 more projects in this channel, not shown. `/ftcheck list` names every project "
                            "you can see with its result (30 a page); `/ftcheck summary &lt;project&gt;` shows one "
                            "in full."), summary[-400:]


@pytest.fixture
def deleted_at(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """The moment deletions happen: 07:00 UTC on 2031-02-01, still 2031-01-31 in Los Angeles."""
    at = datetime(2031, 2, 1, 7, 0, tzinfo=UTC)
    monkeypatch.setattr(lead_reminders, "time_now", lambda: at)
    return at


async def test_after_a_delete_the_commands_say_it_was_deleted(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis, deleted_at: datetime) -> None:
    """Not "…from a private channel…" (false here): when, by whom, and what to do instead."""
    channels(slack)
    await put(redis_client, stored("Gone", scoring(12)), stored("Both", scoring(12)),
              stored("Both", scoring(16), channel="C2"))
    async with running_bot(slack, redis_server.url, FTCHECK_TIMEZONE="America/Los_Angeles",
                           FTCHECK_LEADS="U9") as bot:
        for project in ("Gone", "Both"):
            assert "Deleted the" in await ask(bot, f"delete {project}", user="U9")
        said = ("The latest evaluation of *Gone* here was deleted on 2031-01-31 by <@U9>. There is no other "
                "evaluation of it that you can see. `/ftcheck start Gone` begins a new one here; the deleted one "
                "stays in the audit trail.")
        for verb in ("summary Gone", "history Gone", "export Gone"):
            assert await ask(bot, verb) == said
        both = await ask(bot, "summary Both")
        assert both.startswith(":information_source: The latest evaluation of *Both* here was deleted on 2031-01-31 "
                               "by <@U9>. This is its evaluation in <#C2>.\n\n*Both* — "), both
        assert slack.files == []


def many(count: int) -> list[Evaluation]:
    """*Many*, evaluated monthly: 8/20, 9/20 … 19/20, then 8/20 again."""
    start = AT - timedelta(days=30 * count)
    return [stored("Many", scoring(8 + i % 12), at=start + timedelta(days=30 * i)) for i in range(count)]


async def test_history_pages_and_compares_its_first_entry_with_the_one_before(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    channels(slack)
    await put(redis_client, *many(25), stored("Many 3", scoring(20)))
    async with running_bot(slack, redis_server.url) as bot:
        latest = (await ask(bot, "history Many")).split("\n")
        assert latest[0] == "*History of Many in <#C1>* (25 evaluations, showing 6–25)", latest[0]
        assert "Conditional go* — 13/20" in latest[1] and latest[2].startswith("    Δ total +1 · "), latest[1:3]
        assert latest[-1] == "5 earlier evaluations: `/ftcheck history Many 2`.", latest[-1]

        earlier = (await ask(bot, "history Many 2")).split("\n")
        assert earlier[0] == "*History of Many in <#C1>* (25 evaluations, showing 1–5)", earlier[0]
        assert sum(line.startswith("• ") for line in earlier) == 5 and "Δ" not in earlier[2]  # the very first
        assert earlier[-1] == "Later ones: `/ftcheck history Many`.", earlier[-1]

        assert await ask(bot, "history Many 4") == ("*Many* has 25 evaluations in <#C1>, on 2 pages (the earliest: "
                                                    "`/ftcheck history Many 2`); page 4 is past the end.")
        # a project whose name ends in a number is that project, as typed
        assert (await ask(bot, "history many 3")).startswith("*History of Many 3 in <#C1>* (1 evaluation)")


async def test_delete_and_export_use_the_teams_day(slack: SlackStandIn, redis_server: RedisServer,
                                                   redis_client: aioredis.Redis) -> None:
    """Started 2026-11-03 04:30 UTC: 2026-11-02 in Los Angeles, as history says."""
    channels(slack)
    await put(redis_client, stored("Late", scoring(20), at=datetime(2026, 11, 3, 5, 30, tzinfo=UTC)))
    async with running_bot(slack, redis_server.url, FTCHECK_TIMEZONE="America/Los_Angeles") as bot:
        assert "• 2026-11-02 — " in await ask(bot, "history Late")
        await bot.command("export Late md")
        await slack.wait_for(lambda: len(slack.files) == 1, what="the export")
        assert slack.files[0].filename == "ftcheck-late-20261102.md"
        assert (await ask(bot, "delete Late")).startswith("Deleted the 2026-11-02 evaluation of *Late* in <#C1>")


@pytest.mark.parametrize(("leads", "who"), [
    ("U9", ", a workspace admin or the ftcheck lead <@U9> can delete it."),
    ("U9, U8,U1", ", a workspace admin or one of the ftcheck leads (<@U8>, <@U9>) can delete it."),
    ("", " or a workspace admin can delete it."),
])
async def test_not_allowed_names_the_leads(leads: str, who: str, slack: SlackStandIn, redis_server: RedisServer,
                                           redis_client: aioredis.Redis) -> None:
    channels(slack)
    await put(redis_client, stored("Router", scoring(12)))
    async with running_bot(slack, redis_server.url, FTCHECK_LEADS=leads) as bot:
        denied = await ask(bot, "delete Router", user="U2")
    assert denied == f"Only <@U1> (who started the evaluation of *Router*){who} Ask one of them.", denied
    assert "FTCHECK_LEADS" not in denied


async def test_a_delete_run_again_does_not_reach_into_another_channel(slack: SlackStandIn, redis_server: RedisServer,
                                                                      redis_client: aioredis.Redis) -> None:
    channels(slack)
    async with running_bot(slack, redis_server.url) as bot:
        await evaluate(bot, "Beta", EXAMPLES["example1_support_intent"]["answers"], channel="C1")
        await evaluate(bot, "Beta", EXAMPLES["example1_support_intent"]["answers"], channel="C2")
        first = await ask(bot, "delete Beta", channel="C1")
        assert "in <#C1> (it scored " in first, first
        again = await ask(bot, "delete Beta", channel="C1")  # the lead thought the first did not go through
        assert "Nothing was deleted" in again and "run `/ftcheck delete Beta` there" in again, again
        assert again.startswith("The latest evaluation of *Beta* here was deleted on "), again
        store = Store(redis_client)
        assert [ev.status for ev in await store.channel_evaluations("T0001", "C2")] == ["completed"]


async def test_the_export_of_a_reevaluation_carries_the_result_before_it_in_this_channel(
        slack: SlackStandIn, redis_server: RedisServer) -> None:
    channels(slack)
    answers = EXAMPLES["example1_support_intent"]["answers"]
    async with running_bot(slack, redis_server.url) as bot:
        await evaluate(bot, "Beta", {**answers, "q1": 0.0}, channel="C1")
        await evaluate(bot, "Beta", answers, channel="C2")  # another channel's result: not this one's "before"
        await evaluate(bot, "Beta", answers, channel="C1")
        await bot.command("export Beta md", channel="C1")
        await slack.wait_for(lambda: len(slack.files) == 1, what="the upload")
        md = (slack.files[0].content or b"").decode()
        assert "- **Previous result:** " in md and "- **Change since then:** +1 in total" in md, md[:1500]
