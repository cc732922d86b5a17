"""Over signed Slack requests: a vote that splits while the starter is not among the voters. Edits notify nobody, so
one reply in the thread mentions the starter and links the card; the card's and the root's texts (what notifications
and screen readers read) say that the split waits for them."""

from __future__ import annotations

import asyncio

from tests.bot.harness import ref_of, running_bot
from tests.bot.test_votes import _card_for, _card_has
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn


async def test_a_split_mentions_the_starter_once_and_its_texts_say_it_waits(slack: SlackStandIn,
                                                                            redis_server: RedisServer) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        assert (await bot.command("start Router --vote --quorum 2", user="U1"))[0] == 200
        await slack.wait_for(lambda: bot.open_card() is not None, what="first card")
        await bot.click(_card_for(bot, "q1"), "answer_yes", user="U2")
        await slack.wait_for(_card_has(bot, "q1", "<@U2>"), what="U2's vote counted")
        before = _card_for(bot, "q1")  # with its answer buttons, as a late voter still sees it
        await bot.click(before, "answer_no", user="U3")
        await slack.wait_for(lambda: any(":post_split:" in ref_of(m) for m in bot.thread()), what="the reply")
        await bot.click(before, "answer_yes", user="U4")  # too late to count: no second reply
        await slack.wait_for(lambda: "split" in slack.messages("C1", top_level=True)[-1].text, timeout=10,
                             what="the paced root draw")
        await bot.settle()
        await asyncio.sleep(0.5)
        card = _card_for(bot, "q1")
        replies = [m for m in bot.thread() if ":post_split:" in ref_of(m)]
        assert len(replies) == 1, [m.text for m in replies]
        text = replies[0].text
        assert text.startswith("<@U1>: q1 (500+ labeled examples) split — Yes 1 · No 1.") and len(text) < 300, text
        assert f"/p{card.ts.replace('.', '')}" in text  # links the card
        assert card.text == ("Question 1 of 20: split, waiting for <@U1> to choose the team answer · "
                             "500+ labeled examples")
        root = slack.messages("C1", top_level=True)[-1]
        assert root.text == "Evaluation of Router: q1 split, waiting for <@U1> · 0 of 20 answered"
