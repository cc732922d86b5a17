"""Review finding (r2): the texts about a question asked again promised what the walk no longer does.

- A question's second split: the ping and the split card said Not sure would send it back for a fresh vote, but
  ``voting.settle`` asks a question again only once; a second Not sure leaves it for the starter or a lead.
- The idle nudge on a question asked again after one Not sure said the team skipped it twice and pointed at the ⋯
  menu ("can vote from the ⋯ menu", which has no voting), while its new card takes answers (votes).
- The idle nudge on a vote-mode question left open by a second Not sure listed who was "still to vote" and said
  anyone could answer, though no vote is possible and only the starter, a lead or an admin may pick its answer.

Over signed requests to a running bot (real Redis, the Slack stand-in)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from scoring.checklist import Registry
from tests.bot.harness import Bot, message_texts, ref_of, running_bot
from tests.bot.test_votes import _card_for, _card_has
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

FT = Registry().get()
AGAIN = "Not sure to vote on it again before the end"
LEFT = "leave it without an answer (it was voted on twice)"


def _pings(bot: Bot) -> list[str]:
    return [m.text for m in bot.thread() if ":post_split:" in ref_of(m)]


def _skip_label(bot: Bot) -> str:
    card = _card_for(bot, "q1")
    block = next(b for b in card.blocks if str(b.get("block_id", "")).startswith("settle:"))
    return str(block["elements"][-1]["text"]["text"])


async def _nudges(bot: Bot) -> list[str]:
    n = len(bot.slack.calls)
    await bot.runtime.reminders.tick(datetime.now(UTC) + timedelta(minutes=61))
    await bot.settle()
    return [c.params["text"] for c in bot.slack.calls[n:] if c.method == "chat.postMessage"]


async def _split(bot: Bot, pings: int) -> None:
    await bot.click(_card_for(bot, "q1"), "answer_yes", user="U2")
    await bot.slack.wait_for(_card_has(bot, "q1", "<@U2>"), what="U2's vote counted")
    await bot.click(_card_for(bot, "q1"), "answer_no", user="U3")
    await bot.slack.wait_for(lambda: len(_pings(bot)) == pings, what=f"split ping {pings}")
    await bot.settle()


async def _vote_through_the_rest(bot: Bot) -> None:
    """q2…q20, two agreeing votes each; then q1 is asked again."""
    for n in range(2, 21):
        await bot.slack.wait_for(lambda k=n: bool(bot.cards(FT.question(f"q{k}").id)),  # type: ignore[misc]
                                 what=f"card q{n}")
        card = bot.cards(FT.question(f"q{n}").id)[-1]
        await bot.click(card, "answer_yes", user="U2")
        await bot.slack.wait_for(_card_has(bot, f"q{n}", "<@U2>"), what=f"U2's vote on q{n}")
        await bot.click(card, "answer_yes", user="U3")
    await bot.slack.wait_for(lambda: len(bot.cards(FT.question("q1").id)) == 2, what="q1 asked again")
    await bot.settle()


async def _asked_again(bot: Bot) -> None:
    """q1 of a vote splits, its starter chooses Not sure, the rest is voted on, and q1 is asked again."""
    assert (await bot.command("start Router --vote --quorum 2", user="U1"))[0] == 200
    await bot.slack.wait_for(lambda: bot.open_card() is not None, what="first card")
    await _split(bot, 1)
    await bot.click(_card_for(bot, "q1"), "settle_answer_skip", user="U1")
    await _vote_through_the_rest(bot)


async def test_the_first_split_says_not_sure_votes_on_it_again(slack: SlackStandIn, redis_server: RedisServer,
                                                                redis_client: object) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        assert (await bot.command("start Router --vote --quorum 2", user="U1"))[0] == 200
        await slack.wait_for(lambda: bot.open_card() is not None, what="first card")
        await _split(bot, 1)
        assert AGAIN in _pings(bot)[0] and AGAIN in message_texts(_card_for(bot, "q1"))
        assert _skip_label(bot) == "Not sure — ask again later"


async def test_a_second_split_says_not_sure_leaves_it_open(slack: SlackStandIn, redis_server: RedisServer,
                                                           redis_client: object) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await _asked_again(bot)
        await _split(bot, 2)
        ping, card = _pings(bot)[-1], message_texts(_card_for(bot, "q1"))
        assert "vote on it again" not in ping and "vote on it again" not in card, (ping, card)
        assert f"or Not sure to {LEFT} until you, a lead or an admin pick it from the ⋯ menu." in ping, ping
        assert f"or Not sure to {LEFT} until one of them picks it from the ⋯ menu" in card, card
        assert _skip_label(bot) == "Not sure — leave it open"
        await bot.click(_card_for(bot, "q1"), "settle_answer_skip", user="U1")
        await asyncio.sleep(0.5)
        await bot.settle()
        assert len(bot.cards(FT.question("q1").id)) == 2  # what the texts now say: no third card


async def test_a_vote_asked_again_is_nudged_to_its_card(slack: SlackStandIn, redis_server: RedisServer,
                                                        redis_client: object) -> None:
    async with running_bot(slack, redis_server.url, FTCHECK_IDLE_NUDGE_AFTER="1h") as bot:
        await _asked_again(bot)
        (text,) = await _nudges(bot)  # its new card takes votes: no ⋯ menu, no "skipped twice"
    assert "still to vote: <@U1>, <@U2> and <@U3>." in text, text
    assert "Anyone in the channel can vote on <" in text and text.endswith("|its card>."), text
    assert "⋯" not in text and "twice" not in text, text


async def test_a_vote_left_open_is_nudged_to_the_starter_and_the_leads(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: object) -> None:
    async with running_bot(slack, redis_server.url, FTCHECK_IDLE_NUDGE_AFTER="1h") as bot:
        await _asked_again(bot)
        await _split(bot, 2)
        await bot.click(_card_for(bot, "q1"), "settle_answer_skip", user="U1")
        await asyncio.sleep(0.5)
        await bot.settle()
        (text,) = await _nudges(bot)
    assert text.startswith("Router is waiting for q1 (500+ labeled examples), <@U1>: "), text
    assert "still to vote" not in text and "Anyone" not in text, text
    assert "You, a lead or an admin can pick its answer from the ⋯ menu on <" in text, text


async def test_a_quick_question_asked_again_is_nudged_to_its_card(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: object) -> None:
    async with running_bot(slack, redis_server.url, FTCHECK_IDLE_NUDGE_AFTER="1h") as bot:
        await bot.command("start Reask", user="U1")
        await slack.wait_for(lambda: bot.open_card() is not None, what="first card")
        answers: dict[str, float | None] = {f"q{n}": 1.0 for n in range(1, 21)}
        answers["q1"] = None
        await bot.answer_all(answers, users=["U2"], limit=20)
        await slack.wait_for(lambda: len(bot.cards(FT.question("q1").id)) == 2, what="q1 asked again")
        await bot.settle()
        (text,) = await _nudges(bot)
    assert text.startswith("Reask is waiting for q1 (500+ labeled examples), <@U1>: "), text
    assert text.endswith("|its card>.") and "Anyone in the channel can answer on <" in text, text
    assert "⋯" not in text and "twice" not in text, text
