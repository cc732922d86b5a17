"""What the leads' commands say is true (review findings): an evaluation closed for inactivity is not "completed" and
says where its answers are; a mistyped schedule is named, not folded into the project's name; no setting names;
numbers agree with their nouns."""

from __future__ import annotations

import re

import redis.asyncio as aioredis

from bot.blocks.leads import HOME_SUMMARY
from conversations.reminders import ReminderQueue
from conversations.store import Store
from tests.bot.harness import running_bot
from tests.bot.test_home_tab import put, stored
from tests.bot.test_leads import EXAMPLES, ask, home_click, open_home, people, start, texts
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

IDLE = "Idle Project"


async def test_an_evaluation_closed_for_inactivity_is_said_closed_and_where_its_answers_are(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """Review finding: its summary said "Not decided yet … it can end at" and "completed"; the note in the thread
    pointed at `/ftcheck history`, which shows no answers. Every place it is pointed to must hold them."""
    people(slack)
    async with running_bot(slack, redis_server.url, FTCHECK_ROOT_REDRAW_SECONDS=0) as bot:
        await start(bot, IDLE)
        await bot.answer_all(EXAMPLES["example3_code_generation"]["answers"], limit=2)
        await bot.settle(quiet_s=0.05)
        (ev,) = await Store(redis_client).channel_evaluations("T0001", "C1")
        await bot.runtime.services.engine.abandon(ev)
        await slack.wait_for(lambda: any("had no answers for a long time" in m.text for m in bot.thread()),
                             what="the closing note")
        note = next(m.text for m in bot.thread() if "had no answers for a long time" in m.text)
        assert "Nothing is lost: each answer so far stays on its card above." in note, note
        assert "/ftcheck history" not in note  # history shows no answers
        assert f"`/ftcheck start {IDLE}` begins a new evaluation, from the first question." in note
        answered = [m for m in bot.thread() if m.text.startswith(("q1 (", "q2 ("))]
        assert len(answered) == 2 and all("<@U1>" in texts(m.blocks) for m in answered)  # "on its card": true

        summary = await ask(bot, f"summary {IDLE}")
        first, second = summary.splitlines()[:2]
        assert first == f"*{IDLE}* — :lock: *Closed for inactivity* at 2/20 answered; not decided.", first
        assert second == (f"Nobody answered for a long time, so its cards take no more answers. Every answer so far "
                          f"is on its card in the thread, and `/ftcheck export {IDLE}` in <#C1> puts them in a file. "
                          f"`/ftcheck start {IDLE}` in <#C1> begins a new evaluation, from the first question.")
        assert "Not decided yet" not in summary and "it can end at" not in summary and "so far with" not in summary
        assert "completed <!date^" not in summary and "· closed for inactivity <!date^" in summary, summary
        assert "Undecided: the evaluation closed before q7 was answered." in summary
        assert "continue the tree" not in summary  # nothing can be answered here any more

        await bot.command(f"export {IDLE} md")  # what the summary points to holds the answers
        await slack.wait_for(lambda: len(slack.files) == 1, what="the export")
        md = (slack.files[0].content or b"").decode()
        assert "(closed for inactivity) in #ml-team" in md
        assert re.search(r"^\| q1 \| .*\| Yes \| .*U1", md, re.M) and re.search(r"^\| q2 \| .*\| Yes \| .*U1", md, re.M)

        await open_home(bot, "U1")  # the Home tab's Summary says the same, in a modal
        await home_click(bot, "U1", HOME_SUMMARY, ev.id)
        await slack.wait_for(lambda: bool(slack.calls_to("views.open")), what="summary modal")
        modal = texts(slack.calls_to("views.open")[-1].params["view"]["blocks"])
        assert "*Closed for inactivity* at 2/20 answered" in modal and "completed <!date" not in modal

        roots = len(slack.messages("C1", top_level=True))
        await bot.command(f"start {IDLE}")  # "from the first question": nothing carried over
        await slack.wait_for(lambda: len(slack.messages("C1", top_level=True)) > roots and bot.open_card() is not None,
                             what="the new evaluation")
        card = bot.open_card()
        assert card is not None and "Question 1 of 20" in texts(card.blocks)
        assert "prefilled" not in texts(card.blocks).lower() and "last time" not in texts(card.blocks).lower()


async def test_the_summary_bars_are_the_slack_bars_not_red_code(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    await put(redis_client, stored("Router", EXAMPLES["example2_medical_diagnosis"]["answers"]))
    async with running_bot(slack, redis_server.url) as bot:
        summary = await ask(bot, "summary Router")
    sections = summary.partition("*Sections*\n")[2].partition("\n\n")[0].splitlines()
    assert sections == ["▰▰▰▰▰▰▱▱▱▱  3.5/6 Data &amp; Labeling", "▰▰▰▰▰▰▰▰▰▰  5/5 Accuracy &amp; Performance",
                        "▰▰▱▱▱▱▱▱▱▱  1/4 Resources &amp; Timeline", "▰▰▰▰▰▱▱▱▱▱  2.5/5 Organizational"], sections


MEDICAL = "Medical Diagnosis Prediction"


def _remind_cases() -> list[tuple[str, str]]:
    example = f"`/ftcheck remind {MEDICAL} quarterly`"
    return [
        (f"remind {MEDICAL} sometimes",
         f"I don't understand the schedule \u201csometimes\u201d. After the project name say `quarterly`, `monthly`, "
         f"`off` or a date like `2027-03-01`, e.g. {example}."),
        ("remind medical diagnosis prediction every other week",
         "I don't understand the schedule \u201cevery other week\u201d. After the project name say `quarterly`, "
         f"`monthly`, `off` or a date like `2027-03-01`, e.g. {example}."),
        (f"remind {MEDICAL} every quarter",
         f"`every quarter` is not a schedule; did you mean {example}?"),
        (f"remind {MEDICAL} 1/3/2027",
         f"Write the date as YYYY-MM-DD, e.g. `/ftcheck remind {MEDICAL} 2027-03-01`."),
        (f"remind {MEDICAL}",
         f"Say when after the project name: {example} — or `monthly`, `off` or a date like `2027-03-01`."),
        ("remind Nope sometimes",
         "I know no project called *Nope sometimes*, or by its first words, that you can see here. Say it as "
         "`/ftcheck remind &lt;project&gt; quarterly|monthly|off|YYYY-MM-DD`; `/ftcheck list` names the projects "
         "you can see."),
    ]


async def test_a_mistyped_schedule_is_named_and_the_example_works(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """Review finding: "sometimes" was folded into the project's name, and the suggested command failed."""
    people(slack)
    ev = stored(MEDICAL, EXAMPLES["example2_medical_diagnosis"]["answers"])
    await put(redis_client, ev, stored("Medical", {"q1": 1.0}, status="in_progress"))  # a shorter name, too
    async with running_bot(slack, redis_server.url) as bot:
        for typed, said in _remind_cases():
            assert await ask(bot, typed) == said, typed
        suggested = re.findall(r"`/ftcheck (remind [^`]+)`", _remind_cases()[0][1])[-1]
        done = await ask(bot, suggested)  # copying the example works
        assert done.startswith(f"Re-evaluation reminders for *{MEDICAL}*: quarterly."), done
        assert await ReminderQueue(Store(redis_client)).due_at(ev.id) is not None


async def test_who_may_change_things_is_said_without_setting_names(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    await put(redis_client, stored("Router", EXAMPLES["example1_support_intent"]["answers"]))
    async with running_bot(slack, redis_server.url) as bot:
        for verb, what in (("remind Router monthly", "change its reminders"), ("delete Router", "delete it")):
            denied = await ask(bot, verb, user="U2")
            assert denied == (f"Only <@U1> (who started the evaluation of *Router*) or a workspace admin can {what}. "
                              "Ask one of them."), denied  # no leads named: none is mentioned


async def test_a_page_past_the_end_counts_in_words(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    people(slack)
    await put(redis_client, stored("Router", {"q1": 1.0}, status="in_progress"))
    async with running_bot(slack, redis_server.url) as bot:
        said = await ask(bot, "list 5")
    assert said == "There is 1 project you can see here, all on one page (`/ftcheck list`); page 5 is past the end."
