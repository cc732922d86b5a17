"""Re-evaluation reminders and idle nudges end to end: the real bot, real Redis, the Slack stand-in, a clock we
control (``Reminders.tick(now=…)``) or short real durations with APScheduler running the clock."""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis

from bot.blocks.common import esc
from bot.serve import start_clock
from conversations.models import Evaluation
from conversations.reminders import SCHEDULES, ReminderQueue
from conversations.store import Store
from tests.bot.harness import Bot, running_bot
from tests.bot.test_leads import CHECKLIST, EXAMPLES, ask, evaluate, people, start, texts
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Message

EX2 = EXAMPLES["example2_medical_diagnosis"]  # 12/20, Conditional go, with gaps
EX3 = EXAMPLES["example3_code_generation"]  # 18.5/20, Strong go


def quarter_after(at: datetime) -> datetime:
    """The built-in readiness checklist asks to re-evaluate quarterly: three calendar months on, on the clock of
    ``at``'s zone (the bot's zone is UTC unless a test sets FTCHECK_TIMEZONE)."""
    zone = at.tzinfo or UTC
    return SCHEDULES["quarterly"].after(at, zone).astimezone(zone)


def reminders(slack: SlackStandIn, channel: str = "C1") -> list[Message]:
    return [m for m in slack.messages(channel) if m.text.startswith("Time to re-evaluate")]


async def evaluations(redis_client: aioredis.Redis, channel: str = "C1") -> list[Evaluation]:
    """Newest first."""
    return await Store(redis_client).channel_evaluations("T0001", channel)


async def reminder_after_a_quarter(bot: Bot) -> Message:
    later = quarter_after(datetime.now(UTC)) + timedelta(minutes=1)
    assert await bot.runtime.reminders.tick(later) == 1
    found = reminders(bot.slack)
    assert found
    return found[-1]


async def test_a_completed_evaluation_gets_exactly_one_reminder_after_the_interval(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url) as bot:
        await evaluate(bot, EX2["title"], EX2["answers"])
        root = slack.messages("C1", top_level=True)[-1]
        now = datetime.now(UTC)
        assert await bot.runtime.reminders.tick(quarter_after(now) - timedelta(hours=1)) == 0
        assert reminders(slack) == []

        due = quarter_after(now) + timedelta(minutes=1)
        assert await bot.runtime.reminders.tick(due) == 1
        assert await bot.runtime.reminders.tick(due + timedelta(minutes=1)) == 0
        (msg,) = reminders(slack)
        assert msg.thread_ts == root.ts and msg.reply_broadcast  # in the thread, also sent to the channel
        body = texts(msg.blocks)
        assert f"Time to re-evaluate {EX2['title']}" in body
        assert ("*Not yet* — q1 (500+ labeled examples) blocks it; the score alone, 12/20, would be "
                "Conditional go") in body
        assert f"*q1 (500+ labeled examples): No* — {esc(CHECKLIST.question('q1').text)}" in body
        assert "*q5 (real-world data): Partly*" not in body  # the top 3 gaps only (review fix), the rest counted
        assert "…and 6 more: `/ftcheck summary " in body, body
        assert [el["action_id"] for b in msg.blocks if b["type"] == "actions" for el in b["elements"]] == [
            "reeval_start", "reeval_snooze", "reeval_stop"]
        (ev,) = await evaluations(redis_client)
        after = await ReminderQueue(Store(redis_client)).due_at(ev.id)
        assert after is not None and abs(after - quarter_after(due)).total_seconds() < 1  # the next one, a quarter on


async def test_snooze_reschedules_two_weeks_out_and_stop_cancels(slack: SlackStandIn, redis_server: RedisServer,
                                                                 redis_client: aioredis.Redis) -> None:
    people(slack)
    queue = ReminderQueue(Store(redis_client))
    async with running_bot(slack, redis_server.url) as bot:
        await evaluate(bot, EX2["title"], EX2["answers"], user="U1")
        (ev,) = await evaluations(redis_client)
        msg = await reminder_after_a_quarter(bot)
        scheduled = await queue.due_at(ev.id)

        await bot.click(msg, "reeval_snooze", user="U3")  # not the starter, not a lead, not an admin
        await slack.wait_for(lambda: len(slack.ephemerals("C1", user="U3")) == 1, what="denial")
        assert slack.ephemerals("C1", user="U3")[0].text.startswith("Only <@U1>")
        assert await queue.due_at(ev.id) == scheduled

        await bot.click(msg, "reeval_snooze", user="U1")
        await slack.wait_for(lambda: "Snoozed by <@U1>" in texts(reminders(slack)[0].blocks), what="snoozed")
        snoozed = await queue.due_at(ev.id)
        assert snoozed is not None and abs(snoozed - (datetime.now(UTC) + timedelta(days=14))).total_seconds() < 5
        assert not [b for b in reminders(slack)[0].blocks if b["type"] == "actions"]  # the buttons are gone

        assert await bot.runtime.reminders.tick(snoozed - timedelta(minutes=1)) == 0
        assert await bot.runtime.reminders.tick(snoozed + timedelta(minutes=1)) == 1
        second = reminders(slack)[-1]
        await bot.click(second, "reeval_stop", user="U1")
        await slack.wait_for(lambda: "Reminders stopped by <@U1>" in texts(reminders(slack)[-1].blocks),
                             what="stopped")
        assert await queue.due_at(ev.id) is None
        assert await bot.runtime.reminders.tick(datetime.now(UTC) + timedelta(days=800)) == 0
        assert len(reminders(slack)) == 2


async def test_reevaluation_is_prefilled_and_adds_a_history_entry(slack: SlackStandIn, redis_server: RedisServer,
                                                                  redis_client: aioredis.Redis) -> None:
    people(slack)
    queue = ReminderQueue(Store(redis_client))
    async with running_bot(slack, redis_server.url) as bot:
        await evaluate(bot, EX2["title"], EX2["answers"])
        (first,) = await evaluations(redis_client)
        msg = await reminder_after_a_quarter(bot)

        # two people click Start at once: one re-evaluation
        await asyncio.gather(bot.click(msg, "reeval_start", user="U2"), bot.click(msg, "reeval_start", user="U3"))
        await slack.wait_for(lambda: bot.open_card() is not None, what="first card of the re-evaluation")
        await bot.settle(quiet_s=0.05)
        roots = [m for m in slack.messages("C1", top_level=True)
                 if m.text.startswith(("Evaluation of", "Re-evaluation of"))]
        assert len(roots) == 2 and "Re-evaluation: " + EX2["title"] in texts(roots[-1].blocks)
        assert "0 of 20 answered" in texts(roots[-1].blocks)  # pre-filled, yet nothing counts until people click
        assert "Re-evaluation started by" in texts(reminders(slack)[0].blocks)
        assert any("already under way" in e.text for e in slack.ephemerals("C1"))
        assert await queue.due_at(first.id) is not None  # kept while this one runs (deferred), in case it is dropped

        for _ in range(2):  # the card shows last time's answer and makes its button primary
            await slack.wait_for(lambda: bot.open_card() is not None, what="next card")
            card = bot.open_card()
            assert card is not None
            qid = next(b["block_id"] for b in card.blocks if str(b.get("block_id", "")).startswith("answer:"))[7:]
            q = CHECKLIST.question(qid)
            last = CHECKLIST.option(EX2["answers"][q.key])
            assert f"Last time: *{last.label}*" in texts(card.blocks)
            styles = {el["action_id"]: el.get("style") for el in bot.element_list(card)}
            assert styles[f"answer_{last.key}"] == "primary"
            assert [k for k, v in styles.items() if v == "primary"] == [f"answer_{last.key}"]
            await bot.answer_all({q.key: EX3["answers"][q.key]}, limit=1)

        await bot.answer_all(EX3["answers"], users=["U2"])
        await slack.wait_for(lambda: bot.scorecard() is not None, what="re-evaluation scorecard")
        await bot.settle(quiet_s=0.05)
        history = await ask(bot, f"history {EX2['title']}")
        assert len([line for line in history.splitlines() if line.startswith("• ")]) == 2
        assert "the score alone, 12/20, would be Conditional go" in history and "*Strong go* — 18.5/20" in history
        assert "Δ total +6.5" in history
        second, _ = await evaluations(redis_client)
        assert second.previous_id == first.id and second.started_by in ("U2", "U3")  # whoever won the race
        assert await queue.due_at(first.id) is None  # the old evaluation stops reminding once this one completes
        due = await queue.due_at(second.id)
        assert due is not None and abs(due - quarter_after(datetime.now(UTC))).total_seconds() < 10


async def test_three_bots_post_each_reminder_exactly_once(slack: SlackStandIn, redis_server: RedisServer,
                                                          redis_client: aioredis.Redis) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url) as a, running_bot(slack, redis_server.url) as b, \
            running_bot(slack, redis_server.url) as c:
        for bot, name in ((a, "Alpha"), (b, "Beta"), (c, "Gamma")):
            await evaluate(bot, name, EX3["answers"])
        later = quarter_after(datetime.now(UTC)) + timedelta(minutes=1)
        for _ in range(3):
            await asyncio.gather(*(bot.runtime.reminders.tick(later) for bot in (a, b, c)))
        posted = sorted(m.text.split(":")[0] for m in reminders(slack))
        assert posted == ["Time to re-evaluate Alpha", "Time to re-evaluate Beta", "Time to re-evaluate Gamma"]


async def test_three_bots_with_their_own_clocks_post_once(slack: SlackStandIn, redis_server: RedisServer,
                                                          redis_client: aioredis.Redis) -> None:
    """APScheduler runs each replica's clock (every 0.1 s); the reminder falls due 1 s after completion."""
    people(slack)
    fast: dict[str, Any] = {"FTCHECK_REEVALUATE_AFTER": "1s", "FTCHECK_TICK_SECONDS": 0.1}
    async with running_bot(slack, redis_server.url, **fast) as a, running_bot(slack, redis_server.url, **fast) as b, \
            running_bot(slack, redis_server.url, **fast) as c:
        clocks = [start_clock(bot.runtime) for bot in (a, b, c)]
        try:
            await evaluate(a, "Alpha", EX3["answers"], user="U1")
            await slack.wait_for(lambda: len(reminders(slack)) >= 1, timeout=5, what="the reminder")
            await a.click(reminders(slack)[0], "reeval_stop", user="U1")  # before the next one falls due
            await asyncio.sleep(1.5)
        finally:
            for clock in clocks:
                clock.shutdown(wait=False)
        assert len(reminders(slack)) == 1


async def test_a_reminder_due_while_every_bot_was_down_is_posted_once_after_restart(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url, FTCHECK_REEVALUATE_AFTER="1s") as bot:
        await evaluate(bot, "Alpha", EX3["answers"])
    await asyncio.sleep(1.2)  # due while nothing runs
    assert reminders(slack) == []
    async with running_bot(slack, redis_server.url, FTCHECK_REEVALUATE_AFTER="1s") as restarted:
        assert await restarted.runtime.reminders.tick() == 1
        assert await restarted.runtime.reminders.tick() == 0
    assert len(reminders(slack)) == 1


async def test_reminders_wait_for_working_hours(slack: SlackStandIn, redis_server: RedisServer,
                                                redis_client: aioredis.Redis) -> None:
    people(slack)
    berlin = ZoneInfo("Europe/Berlin")
    async with running_bot(slack, redis_server.url, FTCHECK_WORKING_HOURS="Mon-Fri 09:00-17:00",
                           FTCHECK_TIMEZONE="Europe/Berlin") as bot:
        await evaluate(bot, "Alpha", EX3["answers"])
        due = quarter_after(datetime.now(berlin)) + timedelta(days=1)
        saturday = (due + timedelta(days=(5 - due.weekday()) % 7)).replace(hour=12, minute=0)
        monday = saturday + timedelta(days=2)
        assert await bot.runtime.reminders.tick(saturday) == 0
        assert await bot.runtime.reminders.tick(monday.replace(hour=8, minute=59)) == 0
        assert reminders(slack) == []
        assert await bot.runtime.reminders.tick(monday.replace(hour=9, minute=1)) == 1


async def test_an_idle_evaluation_gets_one_gentle_nudge(slack: SlackStandIn, redis_server: RedisServer,
                                                        redis_client: aioredis.Redis) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url, FTCHECK_IDLE_NUDGE_AFTER="1h") as bot:
        await start(bot, "Alpha")
        await bot.answer_all(EX3["answers"], limit=2)
        await bot.settle(quiet_s=0.05)
        now = datetime.now(UTC)

        def nudges() -> list[Message]:
            return [m for m in bot.thread() if m.text.startswith("Alpha is waiting")]

        await bot.runtime.reminders.tick(now + timedelta(minutes=59))
        assert nudges() == []
        for minutes in (61, 90, 180):
            await bot.runtime.reminders.tick(now + timedelta(minutes=minutes))
        (nudge,) = nudges()
        q3 = CHECKLIST.question("q3")
        assert nudge.text.startswith(f"Alpha is waiting for {q3.name}, <@U1>: “{esc(q3.text)}”"), nudge.text
        assert "/archives/C1/p" in nudge.text

        await bot.answer_all(EX3["answers"], limit=1)  # an answer ends the quiet spell; the next one may nudge again
        await bot.settle(quiet_s=0.05)
        await bot.runtime.reminders.tick(datetime.now(UTC) + timedelta(minutes=61))
        assert [m.text.split(" (")[0] for m in nudges()] == ["Alpha is waiting for q3", "Alpha is waiting for q4"]


async def test_a_provisional_scorecard_gets_a_nudge_naming_what_was_skipped_twice(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """Only q20 is left (the team was not sure twice): the nudge names it, and the closing note is true."""
    people(slack)
    async with running_bot(slack, redis_server.url, FTCHECK_IDLE_NUDGE_AFTER="1h",
                           FTCHECK_ABANDON_AFTER="2h") as bot:
        await start(bot, "Alpha")
        await bot.answer_all({**EX3["answers"], "q20": None})
        await slack.wait_for(lambda: bot.scorecard() is not None, what="provisional scorecard")
        await bot.settle(quiet_s=0.05)
        now = datetime.now(UTC)
        await bot.runtime.reminders.tick(now + timedelta(minutes=61))
        (nudge,) = [m.text for m in bot.thread() if m.text.startswith("Alpha is waiting")]
        assert "waiting for q20" in nudge and "from the ⋯ menu on <" in nudge and "skipped it twice" in nudge
        await bot.runtime.reminders.tick(now + timedelta(minutes=125))
        await slack.wait_for(lambda: any("closed" in m.text for m in bot.thread()), what="closing note")
        closing = next(m.text for m in bot.thread() if "is closed" in m.text)
        assert "even after a nudge here" in closing and "after its reminder" not in closing


async def test_an_old_reminder_clicked_after_a_reevaluation_acts_on_the_newest_and_starts_nothing(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """Someone whose Slack still shows the old reminder's buttons clicks them after the re-evaluation finished."""
    people(slack)
    queue = ReminderQueue(Store(redis_client))
    async with running_bot(slack, redis_server.url) as bot:
        await evaluate(bot, EX2["title"], EX2["answers"])
        stale = copy.deepcopy(await reminder_after_a_quarter(bot))  # as it was shown, buttons and all
        await bot.click(stale, "reeval_start", user="U1")
        await slack.wait_for(lambda: bot.open_card() is not None, what="re-evaluation")
        await bot.answer_all(EX3["answers"], users=["U1"])
        await slack.wait_for(lambda: bot.scorecard() is not None, what="re-evaluation scorecard")
        await bot.settle(quiet_s=0.05)
        newest, _ = await evaluations(redis_client)

        await bot.click(stale, "reeval_snooze", user="U1")
        await slack.wait_for(lambda: any("Snoozed" in e.text for e in slack.ephemerals("C1", user="U1")),
                             what="snoozed")
        snoozed = await queue.due_at(newest.id)  # the reminder that will actually come moved
        assert snoozed is not None and abs(snoozed - (datetime.now(UTC) + timedelta(days=14))).total_seconds() < 5

        roots = len(slack.messages("C1", top_level=True))
        await bot.click(stale, "reeval_start", user="U2")
        await slack.wait_for(lambda: any("was re-evaluated on" in e.text for e in slack.ephemerals("C1", user="U2")),
                             what="told it was re-evaluated")
        told = next(e.text for e in slack.ephemerals("C1", user="U2") if "was re-evaluated on" in e.text)
        assert "18.5/20" in told and f"/ftcheck start {EX2['title']}" in told
        await bot.settle(quiet_s=0.05)
        assert len(slack.messages("C1", top_level=True)) == roots  # no third evaluation
