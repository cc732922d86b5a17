"""Cost independent of data: a big team's Home tab and a crowded channel's `start`, on real Redis and the stand-in."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis

from bot.blocks.leads import HOME_MAX_ROWS
from bot.leads.home import publish_home
from conversations.effects import Owed, PostCard
from conversations.models import Card, Evaluation, project_key
from conversations.outbox import Outbox
from conversations.store import Store
from scoring.checklist import Registry
from tests.bot.harness import running_bot
from tests.bot.test_leads import ask, texts
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

T0 = datetime(2026, 1, 1, tzinfo=UTC)
FIRST_QUESTION = Registry().get().questions[0].id
PUBLIC = [f"CPUB{i:02d}" for i in range(40)]
PRIVATE = [f"GPRIV{i:02d}" for i in range(10)]


def evaluation(i: int, *, project: str, channel: str, completed: bool) -> Evaluation:
    at = T0 + timedelta(minutes=i)
    return Evaluation(team="T0001", channel=channel, project=project, project_key=project_key(project),
                      checklist="fine-tuning-readiness", started_by="U1", started_at=at, last_activity=at,
                      status="completed" if completed else "in_progress", completed_at=at if completed else None,
                      thread_ts=f"{1700000000 + i}.000100",  # an evaluation in progress has its first card out
                      cards={} if completed else {f"{1700000000 + i}.000200": Card(question=FIRST_QUESTION)})


async def create_all(store: Store, evaluations: list[Evaluation], chunk: int = 40) -> None:
    for i in range(0, len(evaluations), chunk):
        await asyncio.gather(*(store.create(ev, by="U1") for ev in evaluations[i:i + chunk]))


async def test_a_team_with_5000_evaluations_opens_home_in_bounded_round_trips_and_slack_calls(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    slack.set_user("U1")
    for channel in PUBLIC:
        slack.set_channel(channel, members=["UBOT", "U1"])
    for channel in PRIVATE:
        slack.set_channel(channel, is_private=True, members=["UBOT"])  # U1 is not a member
    channels = PUBLIC + PRIVATE
    evaluations = [evaluation(i, project=f"Project {i % 2500:04d}", channel=channels[(i % 2500) % len(channels)],
                              completed=i < 2500) for i in range(5000)]
    async with running_bot(slack, redis_server.url) as bot:
        services = bot.runtime.services
        await create_all(services.store, evaluations)
        visible_projects = sum(1 for p in range(2500) if channels[p % len(channels)] in PUBLIC)

        figures = []
        for _ in range(2):  # a cold open (Slack asked once per channel), then a warm one (Slack's answers cached)
            trips, calls = services.store.round_trips, len(slack.calls)
            await publish_home(services, "T0001", "U1")
            figures.append((services.store.round_trips - trips, len(slack.calls) - calls))
        (cold_trips, cold_calls), (warm_trips, warm_calls) = figures
        print(f"\nHome at 5,000 evaluations: cold {cold_trips} Redis round trips, {cold_calls} Slack calls; "
              f"warm {warm_trips} round trips, {warm_calls} Slack calls")
        assert cold_trips <= 12 and warm_trips <= 8, figures
        assert cold_calls <= 1 + 1 + len(channels) * 2, figures  # users.info, views.publish, info+members each
        assert warm_calls == 1, figures  # views.publish only

        view = slack.home_view("U1")
        assert view is not None
        shown = texts(view["blocks"])
        assert f"Showing 1–{HOME_MAX_ROWS} of {visible_projects} projects" in shown
        assert not any(c in shown for c in PRIVATE)  # a private channel's projects never show to a non-member
        page2 = await ask(bot, "list 2", channel=PUBLIC[0])
        assert f"({visible_projects} projects, showing {HOME_MAX_ROWS + 1}–{2 * HOME_MAX_ROWS})" in page2
        assert "`/ftcheck list 3`" in page2


async def test_start_of_the_oldest_project_in_a_channel_of_1100_links_its_thread(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    # only the oldest is still open: `status` must page past the newest 1,099 to find it
    evaluations = [evaluation(i, project=f"Crowded {i:04d}", channel="C1", completed=i > 0) for i in range(1100)]
    async with running_bot(slack, redis_server.url) as bot:
        await create_all(bot.runtime.services.store, evaluations)
        oldest = evaluations[0]
        text = await ask(bot, f"start {oldest.project}")
        assert "already in progress here" in text, text
        assert f"/archives/C1/p{oldest.thread_ts.replace('.', '')}|open the thread>" in text  # type: ignore[union-attr]
        status = await ask(bot, "status")
        assert status.startswith(f"*{oldest.project}*: 0 of 20 answered."), status
        assert len(slack.messages("C1", top_level=True)) == 0  # no second evaluation was started


async def test_the_newest_of_1100_open_evaluations_gets_its_lost_card_from_a_bounded_tick(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """The outbox reads what is due, not what exists: 1,100 open evaluations cost the tick nothing."""
    evaluations = [evaluation(i, project=f"Open {i:04d}", channel="C1", completed=False) for i in range(1100)]
    newest = evaluations[-1]
    newest.cards, newest.pending = {}, [Owed(effect=PostCard(question="labeled_examples"))]  # lost in a crash
    async with running_bot(slack, redis_server.url) as bot:
        store = bot.runtime.services.store
        await create_all(store, evaluations)
        slack.add_message("C1", text="root", user="UBOT", ts=newest.thread_ts)
        before = store.round_trips
        looked_at = await Outbox(bot.runtime.services.engine).tick(now=time.time() + 10)
        trips = store.round_trips - before
        assert looked_at == 1  # only the evaluation that owes something
        cards = [m for m in slack.thread("C1", newest.thread_ts or "") if ":card:" in str(m.metadata)]
        assert len(cards) == 1 and "Question 1 of 20" in cards[0].text
        assert trips <= 6, trips  # claim, read, record (+ the thread link): independent of the 1,100
