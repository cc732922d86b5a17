"""Vote mode end to end over signed Slack requests: hidden votes, the reveal, splits settled by the starter."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from scoring.checklist import Registry
from tests.bot.harness import Bot, message_texts, running_bot
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Message

EXAMPLES = json.loads((Path(__file__).parent.parent / "data" / "worked_examples.json").read_text())["examples"]
FT = Registry().get()
VOTERS = ["U1", "U2", "U3"]  # U1 starts the evaluation
SPLIT = {"q4", "q9", "q15"}  # U3 disagrees on these


def _card_for(bot: Bot, key: str) -> Message:
    cards = bot.cards(FT.question(key).id)
    assert cards, f"no card for {key}"
    return cards[-1]


def _card_has(bot: Bot, key: str, text: str) -> Callable[[], bool]:
    return lambda: text in message_texts(_card_for(bot, key))


def _card_posted(bot: Bot, key: str) -> Callable[[], bool]:
    qid = FT.question(key).id
    return lambda: any(f":card:{qid}:" in str(m.metadata) for m in bot.thread())


def _other(value: float) -> str:
    return "no" if value != 0 else "yes"


async def _vote_round(bot: Bot, slack: SlackStandIn, key: str, value: float) -> None:
    option = FT.option(value).key
    for i, voter in enumerate(VOTERS):
        card = _card_for(bot, key)
        choice = _other(value) if key in SPLIT and voter == "U3" else option
        status, _ = await bot.click(card, f"answer_{choice}", user=voter)
        assert status == 200
        if i < len(VOTERS) - 1:
            await slack.wait_for(_card_has(bot, key, f"<@{voter}>"), what=f"{voter} counted")
            shown = message_texts(_card_for(bot, key)) + message_texts(slack.messages("C1", top_level=True)[-1])
            assert f"{i + 1} of 3 have voted" in shown
            assert "*Yes:*" not in shown and "*No:*" not in shown and "*Partly:*" not in shown  # never what


async def test_three_voters_hidden_reveal_splits_settled_by_the_starter(slack: SlackStandIn,
                                                                        redis_server: RedisServer,
                                                                        redis_client) -> None:
    example = EXAMPLES["example3_code_generation"]
    async with running_bot(slack, redis_server.url) as bot:
        assert (await bot.command(f"start {example['title']} --vote --quorum 3", user="U1"))[0] == 200
        await slack.wait_for(lambda: bot.open_card() is not None, what="first card")
        first = bot.open_card()
        assert first is not None and "Question 1 of 20" in message_texts(first)
        labels = [el["text"]["text"] for el in bot.element_list(first)]
        assert [lbl.split()[0] for lbl in labels][:4] == ["Yes", "Partly", "No", "Not"]
        for n in range(1, 21):
            key = f"q{n}"
            value = example["answers"][key]
            await slack.wait_for(
                _card_posted(bot, key),
                what=f"card {key}")
            await _vote_round(bot, slack, key, value)
            if key in SPLIT:
                await slack.wait_for(_card_has(bot, key, "Split"), what=f"{key} split")
                split = _card_for(bot, key)
                assert "<@U3>" in message_texts(split) and "*Split*" in message_texts(split)
                assert f"Question {n} of 20" in message_texts(split)  # the anchor: number, and answer-first buttons
                assert [el["text"]["text"] for el in bot.element_list(split)] == [
                    *(f"{o.label} — team answer" for o in FT.options), "Not sure — ask again later"]
                settle = f"settle_answer_{FT.option(value).key}"
                assert (await bot.click(split, settle, user="U2"))[0] == 200  # not the starter: refused
                await slack.wait_for(lambda: any("chosen by the evaluation's starter" in e.text
                                                 for e in slack.ephemerals("C1", "U2")), what="U2 told")
                told = [e.text for e in slack.ephemerals("C1", "U2") if "chosen by the evaluation's starter" in e.text]
                assert "Your vote is among those shown on the card." in told[-1] and "Add note" not in told[-1]
                assert "Split" in message_texts(_card_for(bot, key))
                assert (await bot.click(_card_for(bot, key), settle, user="U1"))[0] == 200
            await slack.wait_for(_card_has(bot, key, "✓ *q"), what=f"{key} answered")
        await slack.wait_for(lambda: bot.scorecard() is not None, what="scorecard")
        card = bot.scorecard()
        assert card is not None
        text = message_texts(card)
        assert "18.5/20" in text
        assert "17 of 20 questions unanimous (85%)" in text
        # a vote is quiet: each voter heard once, privately, about their own first vote (how hidden votes work);
        # U3's votes always completed the vote, which the card shows, so U3 heard nothing
        for voter in VOTERS:
            own = [e.text for e in slack.ephemerals("C1", voter) if "vote" in e.text and "split card" not in e.text]
            assert own == ([] if voter == "U3" else [f"You voted *{FT.option(example['answers']['q1']).label}* on q1. "
                                                     "Votes stay hidden until the reveal, on this card and the next "
                                                     "ones: each card lists who has voted, never what. To see your "
                                                     "vote, click the same answer again (only you see the reply); "
                                                     "another answer changes it. Your next votes get no message like "
                                                     "this one."]), voter
        settled = message_texts(_card_for(bot, "q4"))
        assert "settled by <@U1>" in settled
        # only the starter (or a lead, an admin) may overturn a settled answer; U2's change is refused and said so
        assert (await bot.select(_card_for(bot, "q4"), _other(example["answers"]["q4"]), user="U2"))[0] == 200
        await slack.wait_for(lambda: any("only the starter" in e.text for e in slack.ephemerals("C1", "U2")),
                             what="U2's change refused")
        assert message_texts(_card_for(bot, "q4")) == settled and "18.5/20" in message_texts(bot.scorecard() or card)
        # summary and the exported decision record carry the agreement too
        before = len(slack.response_posts)
        await bot.command(f"summary {example['title']}", user="U2")
        await slack.wait_for(lambda: len(slack.response_posts) > before, what="summary")
        assert "17 of 20 questions unanimous (85%)" in (slack.response_posts[before].text or "")
        await bot.command(f"export {example['title']} md", user="U2")
        await slack.wait_for(lambda: len(slack.files) == 1, what="export")
        assert "17 of 20 questions unanimous (85%)" in (slack.files[0].content or b"").decode()


async def test_vote_nudge_names_who_has_not_voted(slack: SlackStandIn, redis_server: RedisServer,
                                                  redis_client) -> None:
    from datetime import UTC, datetime, timedelta

    async with running_bot(slack, redis_server.url, FTCHECK_IDLE_NUDGE_AFTER="1h") as bot:
        await bot.command("start Quiet vote --vote", user="U1")
        await slack.wait_for(lambda: bot.open_card() is not None, what="first card")
        for voter in VOTERS:
            await bot.click(_card_for(bot, "q1"), "answer_yes", user=voter)
            await slack.wait_for(_card_has(bot, "q1", f"<@{voter}>"), what="vote counted")
        await slack.wait_for(lambda: any(":card:" in str(m.metadata) and "Question 2 of 20" in m.text
                                         for m in bot.thread()), what="card 2")
        await bot.click(_card_for(bot, "q2"), "answer_no", user="U2")
        await bot.settle()
        await bot.runtime.reminders.tick(datetime.now(UTC) + timedelta(minutes=61))
        await slack.wait_for(lambda: any(m.text.startswith("Quiet vote is waiting") for m in bot.thread()),
                             what="nudge")
        nudge = next(m.text for m in bot.thread() if m.text.startswith("Quiet vote is waiting"))
        assert "still to vote: <@U1> and <@U3>." in nudge and "<@U2>" not in nudge, nudge


async def test_a_lone_vote_revealed_is_not_agreement(slack: SlackStandIn, redis_server: RedisServer,
                                                      redis_client) -> None:
    """One vote and the starter's Reveal click: the card says only that person voted, never "agreed" (a Reveal of
    a lone vote is the starter's, a lead's or an admin's: test_security_review_fixes)."""
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Lone vote --vote", user="U1")
        await slack.wait_for(lambda: bot.open_card() is not None, what="first card")
        assert (await bot.click(_card_for(bot, "q1"), "answer_partly", user="U2"))[0] == 200
        await slack.wait_for(_card_has(bot, "q1", "<@U2>"), what="vote counted")
        assert (await bot.click(_card_for(bot, "q1"), "reveal_votes", user="U1"))[0] == 200
        await slack.wait_for(_card_has(bot, "q1", "✓ *q1*"), what="q1 revealed")
        line = message_texts(_card_for(bot, "q1"))
        assert "✓ *q1* Partly — only <@U2> voted" in line and "agreed" not in line


async def test_the_starter_can_settle_a_split_as_not_sure(slack: SlackStandIn, redis_server: RedisServer,
                                                          redis_client) -> None:
    """Not sure on a split card: the question is skipped and the walk goes on (asked again before the end)."""
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Unsure split --vote --quorum 2", user="U1")
        await slack.wait_for(lambda: bot.open_card() is not None, what="first card")
        await bot.click(_card_for(bot, "q1"), "answer_yes", user="U2")
        await slack.wait_for(_card_has(bot, "q1", "<@U2>"), what="vote counted")
        await bot.click(_card_for(bot, "q1"), "answer_no", user="U3")
        await slack.wait_for(_card_has(bot, "q1", "*Split*"), what="q1 split")
        assert (await bot.click(_card_for(bot, "q1"), "settle_answer_skip", user="U1"))[0] == 200
        await slack.wait_for(_card_has(bot, "q1", "chose Not sure on a split"), what="q1 skipped")
        await slack.wait_for(_card_posted(bot, "q2"), what="card q2")
        assert "asked again before the end" in message_texts(_card_for(bot, "q1"))
