"""Re-evaluation reminders in the cases where they used to go quiet or wrong: a deleted re-evaluation, a channel the
bot cannot post in, a team vote re-evaluated, one project name in two channels, an evaluation already running."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from bot.leads import reminders as lead_reminders
from conversations.reminders import LEASE, ReminderQueue
from conversations.store import Store
from tests.bot.harness import Bot, running_bot
from tests.bot.test_leads import EXAMPLES, LEAD, ask, evaluate, people, start, texts
from tests.bot.test_reminders_slack import evaluations, quarter_after, reminder_after_a_quarter, reminders
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

EX2 = EXAMPLES["example2_medical_diagnosis"]  # 12/20
EX3 = EXAMPLES["example3_code_generation"]  # 18.5/20
MEMBERS = ["UBOT", *(f"U{i}" for i in range(10))]


async def reevaluate_from_reminder(bot: Bot, answers: dict[str, float | None], channel: str = "C1") -> None:
    """A quarter on: the reminder's Start button, then every card answered through to the new scorecard."""
    msg = await reminder_after_a_quarter(bot)
    scorecards = len([m for m in bot.thread() if m.text.startswith("Scorecard for")])
    await bot.click(msg, "reeval_start", user="U1")
    await bot.slack.wait_for(lambda: bot.open_card(channel) is not None, what="re-evaluation card")
    await bot.answer_all(answers, users=["U1"], channel=channel)
    await bot.slack.wait_for(lambda: len([m for m in bot.thread() if m.text.startswith("Scorecard for")])
                             > scorecards, what="re-evaluation scorecard")
    await bot.settle(quiet_s=0.05)


async def test_deleting_a_reevaluation_hands_its_reminder_back_to_the_result_before(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    queue = ReminderQueue(Store(redis_client))
    async with running_bot(slack, redis_server.url) as bot:
        await evaluate(bot, "DelProj", EX2["answers"])
        await reevaluate_from_reminder(bot, EX3["answers"])
        second, first = await evaluations(redis_client)
        assert await queue.due_at(first.id) is None and await queue.due_at(second.id) is not None

        deleted = await ask(bot, "delete DelProj")
        due = await queue.due_at(first.id)
        assert first.completed_at is not None and due is not None
        assert abs(due - quarter_after(first.completed_at)) < timedelta(seconds=1)  # its own rhythm
        assert (f"Re-evaluation reminders go back to the {first.completed_at:%Y-%m-%d} result, the latest in <#C1> "
                f"again: the next one comes on {due:%Y-%m-%d}, in its thread.") in deleted, deleted
        assert await queue.due_at(second.id) is None

        before = len(reminders(slack))
        assert await bot.runtime.reminders.tick(due + timedelta(minutes=1)) == 1
        (came,) = reminders(slack)[before:]
        assert came.thread_ts == first.thread_ts and "12/20" in texts(came.blocks)


async def test_a_reminder_handed_back_when_its_own_date_has_passed_comes_at_once(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis,
        monkeypatch: pytest.MonkeyPatch) -> None:
    people(slack)
    queue = ReminderQueue(Store(redis_client))
    async with running_bot(slack, redis_server.url) as bot:
        await evaluate(bot, "LateProj", EX2["answers"])
        await reevaluate_from_reminder(bot, EX3["answers"])
        _, first = await evaluations(redis_client)
        assert first.completed_at is not None
        own = quarter_after(first.completed_at)
        now = own + timedelta(days=40)
        monkeypatch.setattr(lead_reminders, "time_now", lambda: now)

        deleted = await ask(bot, "delete LateProj")
        due = await queue.due_at(first.id)
        assert due is not None and abs(due - now) < timedelta(seconds=1)  # working hours are "always" here
        assert f"the next one comes on {now:%Y-%m-%d} (it was due on {own:%Y-%m-%d}), in its thread." in deleted
        assert await bot.runtime.reminders.tick(now + timedelta(seconds=1)) == 1


async def test_deleting_a_result_whose_reminders_were_off_says_they_are_off(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    queue = ReminderQueue(Store(redis_client))
    async with running_bot(slack, redis_server.url) as bot:
        await evaluate(bot, "OffProj", EX2["answers"])
        await reevaluate_from_reminder(bot, EX3["answers"])
        assert "are off" in await ask(bot, "remind OffProj off")
        _, first = await evaluations(redis_client)

        deleted = await ask(bot, "delete OffProj")
        assert (f"There are no re-evaluation reminders for *OffProj* in <#C1> now (its {first.completed_at:%Y-%m-%d} "
                "result, the current one again, has none): `/ftcheck remind OffProj quarterly` there turns them on."
                ) in deleted, deleted
        assert await queue.due_at(first.id) is None  # a lead turned them off: they stay off


async def test_a_reminder_in_an_archived_channel_is_paused_and_the_starter_told_once(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    queue = ReminderQueue(Store(redis_client))
    async with running_bot(slack, redis_server.url) as bot:
        await evaluate(bot, "ArchProj", EX2["answers"])
        (ev,) = await evaluations(redis_client)
        slack.set_channel("C1", name="ml-team", members=MEMBERS, is_archived=True)
        later = quarter_after(datetime.now(UTC)) + timedelta(minutes=1)
        assert await bot.runtime.reminders.tick(later) == 0  # nothing was posted, and nothing says so
        (dm,) = [m.text for m in slack.messages("U1") if "could not post" in m.text]
        assert dm == ("I could not post the re-evaluation reminder for *ArchProj* in <#C1> (Slack said `is_archived`),"
                      " so its reminders are paused: I will not try again until someone resumes them. Once <#C1> "
                      "is unarchived, invite me back with `/invite @ftcheck`, then run `/ftcheck remind ArchProj "
                      "quarterly` there to resume them.")
        assert await queue.due_at(ev.id) is None and await redis_client.zscore(LEASE, ev.id) is None
        for months in (3, 6, 24):  # paused: no more silent attempts, no more DMs
            assert await bot.runtime.reminders.tick(later + timedelta(days=30 * months)) == 0
        assert len([m for m in slack.messages("U1") if "could not post" in m.text]) == 1

        slack.set_channel("C1", name="ml-team", members=MEMBERS)  # unarchived
        assert "quarterly. Next one" in await ask(bot, "remind ArchProj quarterly")
        due = await queue.due_at(ev.id)
        assert due is not None
        assert await bot.runtime.reminders.tick(due + timedelta(minutes=1)) == 1
        assert len(reminders(slack)) == 1


async def test_a_reminder_the_bot_was_removed_from_says_how_to_invite_it_back(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url) as bot:
        await evaluate(bot, "GoneProj", EX2["answers"])
        slack.fail_next("chat.postMessage", status=200, error="not_in_channel")
        assert await bot.runtime.reminders.tick(quarter_after(datetime.now(UTC)) + timedelta(minutes=1)) == 0
        (dm,) = [m.text for m in slack.messages("U1") if "could not post" in m.text]
        assert "(Slack said `not_in_channel`)" in dm and "Invite me back to <#C1> with `/invite @ftcheck`" in dm


async def test_a_deleted_thread_root_gets_the_reminder_in_the_channel(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url) as bot:
        await evaluate(bot, "RootGone", EX2["answers"])
        slack.fail_next("chat.postMessage", status=200, error="thread_not_found")
        assert await bot.runtime.reminders.tick(quarter_after(datetime.now(UTC)) + timedelta(minutes=1)) == 1
        (came,) = reminders(slack)
        assert came.thread_ts is None
        assert not [m for m in slack.messages("U1") if "could not post" in m.text]


async def test_a_team_votes_reevaluation_is_a_team_vote_with_its_quorum(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start VoteProj --vote --quorum 1")
        await slack.wait_for(lambda: bot.open_card() is not None, what="card")
        await bot.answer_all(EX3["answers"], users=["U1"])
        await slack.wait_for(lambda: bot.scorecard() is not None, what="scorecard")
        await bot.settle(quiet_s=0.05)
        msg = await reminder_after_a_quarter(bot)
        await bot.click(msg, "reeval_start", user="U2")
        await slack.wait_for(lambda: bot.open_card() is not None, what="re-evaluation card")
        await bot.settle(quiet_s=0.05)
        new, first = await evaluations(redis_client)
        assert new.previous_id == first.id and (new.mode, new.quorum) == ("vote", 1)
        assert "team vote, reveal at 1 vote ·" in texts(slack.messages("C1", top_level=True)[-1].blocks)


async def test_one_project_name_in_two_channels_keeps_a_reminder_in_each(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    slack.set_channel("C2", name="support", members=MEMBERS)
    queue = ReminderQueue(Store(redis_client))
    async with running_bot(slack, redis_server.url, FTCHECK_LEADS=LEAD) as bot:
        await evaluate(bot, "Chatbot", EX2["answers"], channel="C1")
        await evaluate(bot, "Chatbot", EX3["answers"], channel="C2")
        (c1,), (c2,) = await evaluations(redis_client, "C1"), await evaluations(redis_client, "C2")
        assert await queue.due_at(c1.id) is not None and await queue.due_at(c2.id) is not None

        # remind acts on the channel it is run in
        assert "Chatbot*: monthly" in await ask(bot, "remind Chatbot monthly", channel="C2", user=LEAD)
        assert await queue.cadence(c2.id) is not None and await queue.cadence(c1.id) is None

        later = quarter_after(datetime.now(UTC)) + timedelta(minutes=1)
        assert await bot.runtime.reminders.tick(later) == 2  # C2's came a month in, and C1's now
        assert len(reminders(slack, "C1")) == 1 and len(reminders(slack, "C2")) == 1

        slack.set_channel("C3", name="elsewhere", members=MEMBERS)  # no evaluation here: the latest anywhere, named
        assert "Re-evaluation reminders for *Chatbot* in <#C2> are off." in await ask(
            bot, "remind Chatbot off", channel="C3", user=LEAD)
        assert await queue.due_at(c2.id) is None and await queue.due_at(c1.id) is not None


async def test_no_reminder_while_the_project_is_being_evaluated_and_it_follows_the_new_result(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    queue = ReminderQueue(Store(redis_client))
    async with running_bot(slack, redis_server.url, FTCHECK_LEADS=LEAD) as bot:
        await evaluate(bot, "ManProj", EX2["answers"])
        (first,) = await evaluations(redis_client)
        await ask(bot, "remind ManProj monthly", user=LEAD)
        await start(bot, "ManProj")  # a new evaluation of the project, started by hand
        await bot.answer_all(EX3["answers"], users=["U1"], limit=3)
        await bot.settle(quiet_s=0.05)

        later = quarter_after(datetime.now(UTC)) + timedelta(minutes=1)
        assert await bot.runtime.reminders.tick(later) == 0
        assert reminders(slack) == []
        deferred = await queue.due_at(first.id)
        assert deferred is not None and timedelta(hours=23) < deferred - later <= timedelta(days=1, minutes=1)

        await bot.answer_all(EX3["answers"], users=["U1"])
        await slack.wait_for(lambda: "18.5/20" in getattr(bot.scorecard(), "text", ""), what="the new scorecard")
        await bot.settle(quiet_s=0.05)
        second, _ = await evaluations(redis_client)
        assert await queue.due_at(first.id) is None  # the reminder follows the new result, at the lead's cadence
        assert await queue.due_at(second.id) is not None and await queue.every(second.id) == timedelta(days=30)


async def test_a_deferred_reminder_comes_once_the_running_evaluation_is_deleted(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url) as bot:
        await evaluate(bot, "DropProj", EX2["answers"])
        msg = await reminder_after_a_quarter(bot)
        await bot.click(msg, "reeval_start", user="U1")
        await slack.wait_for(lambda: bot.open_card() is not None, what="re-evaluation card")
        await bot.settle(quiet_s=0.05)
        half = quarter_after(quarter_after(datetime.now(UTC))) + timedelta(minutes=2)
        assert await bot.runtime.reminders.tick(half) == 0  # under way: no nudge to start it

        deleted = await ask(bot, "delete DropProj")
        assert "reminders" not in deleted  # the result before it kept its reminder all along
        assert await bot.runtime.reminders.tick(half + timedelta(days=1, minutes=1)) == 1
        assert len(reminders(slack)) == 2
