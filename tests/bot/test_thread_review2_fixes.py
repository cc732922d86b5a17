"""Second review of the thread: a split left open said "skipped twice" and its refusal "settled by"; a deleted
evaluation's answered cards kept their ⋯ menus and promises, and its reply counted a Not sure as an answer; a
unanimous answer the starter changed said "settled by"; a re-evaluation's card did not say last time's other answer.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.blocks.common import Block
from bot.blocks.evaluation import card_blocks, root_blocks
from bot.blocks.notices import team_answer_refusal
from bot.blocks.scorecard import scorecard_blocks
from conversations import flow, voting
from conversations.engine import scorecard_of
from conversations.flow import SKIP
from conversations.models import AnswerEntry, Evaluation, Mode
from scoring.checklist import Registry
from tests.bot.delivered import Delivered, block_text
from tests.bot.harness import Bot, message_texts, running_bot
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Message

FT = Registry().get()
TEAM = ("U1", "U2", "U3")


class Walk(Delivered):
    """An evaluation of the fine-tuning checklist whose owed posts are delivered after every move."""

    def __init__(self, mode: Mode = "quick", previous: Evaluation | None = None) -> None:
        super().__init__(flow.start(team="T", channel="C", project="P", checklist=FT, user="U1", mode=mode, quorum=3,
                                    previous=previous), FT)

    def open_key(self) -> str | None:
        cards = list(self.ev.open_cards().values())
        return FT.question(cards[0].question).key if cards else None

    def answer(self, key: str, option: str) -> None:
        value = None if option == SKIP else FT.option(option).value
        flow.answer(self.ev, FT, card_ts=self.ev.cards_of(FT.question(key).id)[-1], user="U1", value=value)
        self._deliver()

    def votes(self, key: str, *options: str) -> None:
        for uid, option in zip(TEAM, options, strict=True):
            value = None if option == SKIP else FT.option(option).value
            voting.vote(self.ev, FT, card_ts=self.ev.cards_of(FT.question(key).id)[-1], user=uid, value=value)
        self._deliver()

    def settle(self, key: str, option: str) -> None:
        value = None if option == SKIP else FT.option(option).value
        voting.settle(self.ev, FT, question=FT.question(key).id, user="U1", value=value)
        self._deliver()

    def card(self, key: str) -> str:
        return block_text(card_blocks(self.ev, FT, self.ev.cards_of(FT.question(key).id)[-1]))




# -- 1. a split left open twice names who left it open and who answers it ------------------------------------------

def _split_left_open(*also_open: str) -> Walk:
    """Vote mode: q1 splits twice and the starter leaves it open both times; ``also_open``: questions everyone
    was not sure of twice (anyone may answer those); every other question agreed Yes."""
    t = Walk(mode="vote")
    while (key := t.open_key()) is not None:
        if key == "q1":
            t.votes(key, "yes", "no", "partly")
            t.settle(key, SKIP)
        else:
            t.votes(key, *((SKIP,) * 3 if key in also_open else ("yes",) * 3))
    return t


def test_a_split_left_open_says_so_on_its_card_the_root_the_scorecard_and_the_refusal() -> None:
    t = _split_left_open()
    q1 = FT.question("q1").id
    assert t.ev.status == "in_progress" and t.ev.answers[q1].value is None
    card = t.card("q1")
    assert "split twice and left open by <@U1>" in card, card
    assert "the starter (<@U1>), a lead or a workspace admin picks its answer from the ⋯ menu" in card, card
    assert "left for the team" not in card and "chose Not sure" not in card
    root = block_text(root_blocks(t.ev, FT))
    assert ("Only q1 (500+ labeled examples) is left: it split and was left open by <@U1>, so the starter (<@U1>), "
            "a lead or a workspace admin picks its answer from the ⋯ menu on its card.") in root, root
    assert "skipped twice" not in root
    provisional = block_text(scorecard_blocks(t.ev, FT, scorecard_of(t.ev, FT), agreement=voting.agreement(t.ev, FT)))
    assert ("Unanswered: q1. It split and was left open by <@U1>, so the starter (<@U1>), a lead or a workspace "
            "admin picks its answer from the ⋯ menu on its card. An unanswered question") in provisional, provisional
    refused = team_answer_refusal(t.ev, FT, q1)
    assert refused.startswith("q1 split and was left open by <@U1>, so it has no answer yet; only the starter "
                              "(<@U1>), a lead or a workspace admin picks its answer"), refused
    assert "settled" not in refused


def test_a_split_left_open_beside_questions_anyone_may_answer_names_each_group() -> None:
    t = _split_left_open("q4", "q6")
    root = block_text(root_blocks(t.ev, FT))
    assert ("Only q1 (500+ labeled examples), q4 (labeler agreement) and q6 (relabeling commitment) are left: q1 "
            "split and was left open by <@U1>, so the starter (<@U1>), a lead or a workspace admin picks its answer "
            "from the ⋯ menu on its card; q4 and q6 were skipped twice, so anyone may answer them from the ⋯ menu on "
            "their cards.") in root, root


def test_quick_mode_keeps_its_skipped_twice_words_with_the_right_number() -> None:
    t = Walk()
    while (key := t.open_key()) is not None:
        t.answer(key, SKIP if key == "q3" else "yes")
    assert ("Only q3 (written task definition) is left: it was skipped twice, so anyone may answer it from the ⋯ "
            "menu on its card.") in block_text(root_blocks(t.ev, FT))
    assert "Unanswered: q3. Answer it from the ⋯ menu on its card to finish" \
        in block_text(scorecard_blocks(t.ev, FT, scorecard_of(t.ev, FT)))


# -- 3. a unanimous answer the starter changed was changed, not settled ---------------------------------------------

def test_a_unanimous_answer_changed_by_the_starter_says_changed_by_on_the_card_and_in_the_refusal() -> None:
    t = Walk(mode="vote")
    t.votes("q1", "yes", "yes", "yes")
    q1 = FT.question("q1").id
    flow.change(t.ev, FT, question=q1, user="U1", value=FT.option("partly").value, may_override=True)
    card = t.card("q1")
    assert "✓ *q1* Partly — changed by <@U1> · *Yes:* <@U1>, <@U2>, <@U3>" in card, card
    assert "settled" not in card
    assert team_answer_refusal(t.ev, FT, q1).startswith("q1's team answer was changed to Partly by <@U1>; only")


def test_a_split_settled_by_the_starter_still_says_settled_by() -> None:
    t = Walk(mode="vote")
    t.votes("q1", "yes", "no", "no")
    t.settle("q1", "partly")
    assert "✓ *q1* Partly — settled by <@U1>" in t.card("q1")


# -- 4. a re-evaluation's answered card says last time's answer when it differs -----------------------------------

def _previous() -> Evaluation:
    ev = Walk().ev
    at = datetime(2030, 1, 1, tzinfo=UTC)
    ev.answers = {q.id: AnswerEntry(question=q.id, value=1.0, by="U2", at=at) for q in FT.questions}
    ev.answers[FT.question("q2").id].value = 0.0
    ev.status = "completed"
    return ev


def test_a_re_evaluation_card_says_last_times_answer_only_when_it_differs() -> None:
    t = Walk(previous=_previous())
    t.answer("q1", "partly")
    t.answer("q2", "no")
    t.answer("q3", SKIP)
    assert "was *Yes* last time" in t.card("q1"), t.card("q1")
    assert "last time" not in t.card("q2"), t.card("q2")
    assert "last time" not in t.card("q3"), t.card("q3")  # a Not sure is no answer to compare


# -- 2. a deleted evaluation's thread: no menus, no promises, counts that agree -----------------------------------

def _menus(msg: Message) -> list[Block]:
    return [b for b in msg.blocks if (b.get("accessory") or {}).get("type") == "overflow"]


async def _answer_four_then_delete(bot: Bot, slack: SlackStandIn) -> tuple[list[str], dict[str, Message], str]:
    """Yes, Not sure, No, Partly on the first four cards, then the delete: the cards' ts, the thread just before the
    delete, and the reply."""
    await bot.command("start Doomed bot", user="U1")
    answered = []
    for key in ("yes", "skip", "no", "partly"):
        await slack.wait_for(lambda: bot.open_card() is not None, what="card")
        await bot.settle()
        card = bot.open_card()
        assert card is not None
        answered.append(card.ts)
        await bot.click(card, f"answer_{key}", user="U2")
        await bot.settle()
    await slack.wait_for(lambda: bot.open_card() is not None, what="fifth card")
    before = {m.ts: m for m in bot.thread()}
    told = await bot.reply_to("delete Doomed bot", user="U1")
    await bot.settle()
    return answered, before, told


async def test_a_deleted_evaluations_answered_cards_drop_their_menus_and_promises(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: object) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        answered, before, told = await _answer_four_then_delete(bot, slack)
        assert "(3/20 answered, unfinished)" in told and "3 answers and 1 Not sure" in told, told
        assert "4 answered cards" not in told
        now = {m.ts: m for m in bot.thread()}
        for ts in answered:
            assert _menus(before[ts]) and not _menus(now[ts]), message_texts(now[ts])
            assert "asked again" not in message_texts(now[ts])
        assert "Not sure" in message_texts(now[answered[1]])
        seen = len(slack.ephemerals("C1"))
        await bot.select(before[answered[0]], "no", user="U1")  # a click from a copy drawn before the delete
        await slack.wait_for(lambda: len(slack.ephemerals("C1")) > seen, what="the refusal")
        assert slack.ephemerals("C1")[-1].text == "This evaluation was deleted, so nothing was recorded."
