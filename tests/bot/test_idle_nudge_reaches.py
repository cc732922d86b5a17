"""Review finding: the idle nudge named no project, mentioned nobody and reached only the thread's followers. Two
evaluations waiting in one channel got the same "Gentle nudge: this evaluation is waiting for q1 — …", and Slack's
notifications show only a message's text, cut at about 80 characters. It now starts with the project and the
question and mentions who can move it on (the starter; in a team vote, whoever is still to vote), in the thread
(not sent to the channel: a nudge per quiet spell per evaluation would be noise there)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from scoring.checklist import Registry
from tests.bot.harness import Bot, message_texts, running_bot
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

FT = Registry().get()
SEEN = 80  # what a push notification shows of a message's text


def _card_has(bot: Bot, voter: str) -> Callable[[], bool]:
    return lambda: f"<@{voter}>" in message_texts(bot.cards(FT.question("q1").id)[-1])


def _roots(bot: Bot, n: int) -> Callable[[], bool]:
    return lambda: len(bot.slack.messages("C1", top_level=True)) >= n and bot.open_card() is not None


def nudge_posts(bot: Bot, since: int) -> list[dict[str, Any]]:
    """The nudges' chat.postMessage parameters, posted since the ``since``-th call."""
    return [c.params for c in bot.slack.calls[since:] if c.method == "chat.postMessage"]


async def test_each_nudge_starts_with_its_project_and_mentions_the_starter_in_the_thread(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: object) -> None:
    async with running_bot(slack, redis_server.url, FTCHECK_IDLE_NUDGE_AFTER="1h") as bot:
        for i, name in enumerate(("Alpha router", "Beta summariser"), start=1):
            await bot.command(f"start {name}", user="U1")
            await slack.wait_for(_roots(bot, i), what=f"{name}'s first card")
            await bot.settle()
        n = len(slack.calls)
        await bot.runtime.reminders.tick(datetime.now(UTC) + timedelta(minutes=61))
        await bot.settle()
        posts = nudge_posts(bot, n)
    assert [p["text"][:SEEN].split(",")[0] for p in posts] == [
        "Alpha router is waiting for q1 (500+ labeled examples)",
        "Beta summariser is waiting for q1 (500+ labeled examples)"], posts
    for p in posts:
        assert "<@U1>" in p["text"][:SEEN], p["text"]
        assert p.get("thread_ts") and not p.get("reply_broadcast"), p
        assert "<!channel>" not in p["text"] and "<!here>" not in p["text"]
        assert "“Do you have 500+ labeled examples or the budget to create them?”" in p["text"]
        assert p["text"].endswith("|its card>.") and "Anyone in the channel can answer on <" in p["text"]


async def test_a_vote_nudge_mentions_who_is_still_to_vote_where_the_notification_shows_it(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: object) -> None:
    async with running_bot(slack, redis_server.url, FTCHECK_IDLE_NUDGE_AFTER="1h") as bot:
        await bot.command("start Quiet vote --vote", user="U1")
        await slack.wait_for(lambda: bot.open_card() is not None, what="first card")
        for voter in ("U1", "U2", "U3"):
            await bot.click(bot.cards(FT.question("q1").id)[-1], "answer_yes", user=voter)
            await slack.wait_for(_card_has(bot, voter), what="vote counted")
        await slack.wait_for(lambda: bool(bot.cards(FT.question("q2").id)), what="card 2")
        await bot.click(bot.cards(FT.question("q2").id)[-1], "answer_no", user="U2")
        await bot.settle()
        n = len(slack.calls)
        await bot.runtime.reminders.tick(datetime.now(UTC) + timedelta(minutes=61))
        await bot.settle()
        (post,) = nudge_posts(bot, n)
    text = post["text"]
    q2 = FT.question("q2").name
    assert text.startswith(f"Quiet vote is waiting for {q2}, still to vote: <@U1> and <@U3>."), text
    assert "<@U3>" in text[:SEEN] and "<@U2>" not in text, text
    assert "q2 has 1 of 3 votes" in text and not post.get("reply_broadcast")


def test_the_project_name_is_escaped_and_a_long_list_of_voters_is_counted() -> None:
    from bot.blocks.leads import IdleWait, idle_text  # here: the other tests fail before, not error

    wait = IdleWait(project="R&D <!channel> *router*", key="q1", question="q1 (500+ labeled examples)",
                    text="Do you have 500+?", people=["U1", "U2", "U3", "U4", "U5"])
    text = idle_text(wait, votes=(0, 3), to_vote=True)
    assert text.startswith("R&amp;D &lt;!channel&gt;"), text
    assert "<!channel>" not in text
    assert "still to vote: <@U1>, <@U2>, <@U3> and 2 more." in text, text
    assert text.endswith("Anyone in the channel can vote on its card."), text
    split = idle_text(wait, split="waiting for <@U1> (or a lead) to choose the team answer")
    assert split.startswith("R&amp;D &lt;!channel&gt; ∗router∗ is waiting for <@U1> (or a lead) to choose the "
                            "team answer to q1 (500+ labeled examples): the votes split on its card."), split
