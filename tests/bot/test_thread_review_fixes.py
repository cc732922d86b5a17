"""Review of a thread walked as a new team: a question asked again showed the same record line on both of its cards,
a reveal before the quorum did not say who revealed it, and a re-evaluation's card did not show last time's note."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from bot.blocks.common import Block
from bot.blocks.evaluation import card_blocks, open_card_blocks
from conversations import flow, voting
from conversations.flow import SKIP
from conversations.models import AnswerEntry, Evaluation, Mode
from scoring.checklist import Registry
from tests.bot.delivered import Delivered, block_text
from tests.bot.harness import running_bot
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

FT = Registry().get()


class Walk(Delivered):
    """An evaluation of the fine-tuning checklist whose owed posts are delivered after every click."""

    def __init__(self, mode: Mode = "quick", quorum: int = 3, previous: Evaluation | None = None) -> None:
        super().__init__(flow.start(team="T", channel="C", project="P", checklist=FT, user="U1", mode=mode,
                                    quorum=quorum, previous=previous), FT)

    def cards(self, key: str) -> list[str]:
        return self.ev.cards_of(FT.question(key).id)

    def answer(self, key: str, user: str, option: str) -> None:
        value = None if option == SKIP else FT.option(option).value
        flow.answer(self.ev, FT, card_ts=self.cards(key)[-1], user=user, value=value)
        self._deliver()

    def vote(self, key: str, user: str, option: str) -> None:
        value = None if option == SKIP else FT.option(option).value
        voting.vote(self.ev, FT, card_ts=self.cards(key)[-1], user=user, value=value)
        self._deliver()

    def settle(self, key: str, user: str, option: str) -> None:
        value = None if option == SKIP else FT.option(option).value
        voting.settle(self.ev, FT, question=FT.question(key).id, user=user, value=value)
        self._deliver()

    def blocks(self, ts: str) -> list[Block]:
        return card_blocks(self.ev, FT, ts)




def _menus(blocks: list[Block]) -> list[Block]:
    return [b["accessory"] for b in blocks if b.get("accessory", {}).get("type") == "overflow"]


def _buttons(blocks: list[Block]) -> list[str]:
    return [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


# -- 1. a question asked again: the earlier card keeps what happened there ---------------------------------------

def _quick_walk_with_q5_asked_again() -> Walk:
    t = Walk()
    users = itertools.cycle(("U1", "U2", "U3"))
    for n in range(1, 21):
        t.answer(f"q{n}", next(users), SKIP if n == 5 else "yes")
    t.answer("q5", "U3", "partly")  # asked again before the end
    assert t.ev.status == "completed"
    return t


def test_quick_mode_the_earlier_card_says_not_sure_and_asked_again_below_the_later_one_the_answer() -> None:
    """Review: after Not sure on q5 and Partly when asked again, both cards read "✓ q5 Partly — @sam"."""
    t = _quick_walk_with_q5_asked_again()
    first, later = (t.blocks(ts) for ts in t.cards("q5"))
    above = block_text(first)
    assert above.startswith("… *q5* Not sure") and "· asked again below · real-world data" in above
    assert "Partly" not in block_text(first) and not _menus(first)  # changing the answer is done on the later card
    assert block_text(later).startswith("✓ *q5* Partly — <@U3> · _asked again after Not sure (above)_ · ")
    assert [o["text"]["text"] for o in _menus(later)[0]["options"]][:2] == ["Change to Yes", "Change to No"]


def test_quick_mode_the_earlier_card_names_who_was_not_sure_where_the_record_keeps_it() -> None:
    """``AnswerEntry.skipped_on`` (card ts -> who chose Not sure there); a permalink to the later card links "below"."""
    t = _quick_walk_with_q5_asked_again()
    first, _ = t.cards("q5")
    qid = FT.question("q5").id
    t.ev.answers[qid] = t.ev.answers[qid].model_copy(update={"skipped_on": {first: "U2"}})
    line = block_text(card_blocks(t.ev, FT, first, later_link="https://x.slack.com/archives/C/p100"))
    assert line.startswith("… *q5* Not sure — <@U2> · asked again <https://x.slack.com/archives/C/p100|below> · ")


def _vote_walk_with_q1_split_then_agreed() -> Walk:
    t = Walk(mode="vote")
    for voter, option in (("U1", "yes"), ("U2", "no"), ("U3", "partly")):
        t.vote("q1", voter, option)
    t.settle("q1", "U1", SKIP)  # "Not sure — ask again later"
    for n in [*range(2, 21), 1]:
        for voter in ("U1", "U2", "U3"):
            t.vote(f"q{n}", voter, "yes")
    assert t.ev.status == "completed"
    return t


def test_vote_mode_the_earlier_card_keeps_the_split_and_the_later_one_the_agreed_answer() -> None:
    """Review: q14 split and was sent back; both its cards then read "✓ q14 Yes — agreed: … · split first (…)"."""
    t = _vote_walk_with_q1_split_then_agreed()
    first, later = (t.blocks(ts) for ts in t.cards("q1"))
    assert block_text(first).startswith(
        "… *q1* Split (Yes: <@U1> · No: <@U2> · Partly: <@U3>) — asked again by <@U1> below · ")
    assert not _menus(first) and not _buttons(first)
    assert block_text(later).startswith(
        "✓ *q1* Yes — agreed: <@U1>, <@U2>, <@U3> · _asked again after a split (above)_")
    assert "Partly: <@U3>" not in block_text(later)  # said once, on the card above
    assert _menus(later)


def test_vote_mode_a_second_split_shows_its_settle_buttons_on_the_later_card_only() -> None:
    t = Walk(mode="vote", quorum=2)
    t.vote("q1", "U1", "yes")
    t.vote("q1", "U2", "no")
    t.settle("q1", "U1", SKIP)
    for n in range(2, 21):
        for voter in ("U1", "U2"):
            t.vote(f"q{n}", voter, "yes")
    t.vote("q1", "U1", "yes")
    t.vote("q1", "U2", "no")  # split again
    first, later = (t.blocks(ts) for ts in t.cards("q1"))
    assert not _buttons(first) and block_text(first).startswith("… *q1* Split (Yes: <@U1> · No: <@U2>)")
    assert _buttons(later)[0] == "Yes — team answer" and "*Question 1 of 20* · *Split*" in block_text(later)


async def test_slack_thread_of_a_question_asked_again_has_no_two_identical_records(
        slack: SlackStandIn, redis_server: RedisServer, redis_client) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Router", user="U1")
        seen: set[str] = set()
        for i in itertools.count():
            await slack.wait_for(lambda: bot.open_card() is not None or bot.scorecard() is not None, what="card")
            card = bot.open_card()
            if card is None:
                break
            block = next(b for b in card.blocks if str(b.get("block_id", "")).startswith("answer:"))
            key = FT.question(block["block_id"].split(":", 1)[1]).key
            option = "skip" if key in ("q5", "q11") and key not in seen else "partly" if key == "q5" else "yes"
            seen.add(key)
            await bot.click(card, f"answer_{option}", user=("U1", "U2", "U3")[i % 3])
            await slack.wait_for(lambda c=card: bot._closed(c, "C1"), what=f"{key} answered")  # type: ignore[misc]
        await bot.settle()
        records = [block_text(m.blocks) for m in bot.thread() if m.text.startswith(("q", "Question"))]
        assert len(records) == 22 and len(set(records)) == 22, records
        q5 = [block_text(m.blocks) for m in bot.cards(FT.question("q5").id)]
        assert q5[0].startswith("… *q5* Not sure") and q5[1].startswith("✓ *q5* Partly")
        assert not slack.violations


# -- 2. a reveal before the quorum says who revealed it, with how many votes -------------------------------------

def test_a_split_revealed_before_the_quorum_says_who_revealed_it_with_how_many_votes() -> None:
    t = Walk(mode="vote")
    t.vote("q1", "U1", "partly")
    t.vote("q1", "U2", "no")
    voting.reveal(t.ev, FT, question=FT.question("q1").id, user="U3")
    split = block_text(t.blocks(t.cards("q1")[0]))
    assert "*Partly:* <@U1> · *No:* <@U2> · _revealed by <@U3> with 2 of 3 votes_" in split
    t.settle("q1", "U1", "partly")
    assert "revealed by <@U3> with 2 of 3 votes" in block_text(t.blocks(t.cards("q1")[0]))  # the record keeps it


def test_a_vote_the_quorum_revealed_says_nothing_of_a_reveal() -> None:
    t = Walk(mode="vote", quorum=2)
    t.vote("q1", "U1", "yes")
    t.vote("q1", "U2", "no")
    assert "revealed by" not in block_text(t.blocks(t.cards("q1")[0]))


# -- 3. a re-evaluation shows last time's note beside last time's answer -----------------------------------------

def _previous(note: str) -> Evaluation:
    ev = Walk().ev
    at = datetime(2030, 1, 1, tzinfo=UTC)
    ev.answers = {q.id: AnswerEntry(question=q.id, value=1.0, by="U2", at=at) for q in FT.questions}
    ev.answers[FT.question("q1").id].note = note
    ev.status, ev.completed_at = "completed", at
    return ev


def test_a_re_evaluation_card_shows_last_times_note_beside_last_times_answer() -> None:
    t = Walk(previous=_previous("the 85% target comes from the ops lead"))
    text = block_text(open_card_blocks(t.ev, FT, FT.question("q1").id))
    then = "<@U2>, <!date^1893456000^{date_short_pretty}|2030-01-01>"  # whose it was, and when (the day it ended)
    note = "the 85% target comes from the ops lead"
    assert f"Last time: *Yes* ({then}; note: “{note}”) — confirm it or change it." in text
    assert "Question 1 of 20" in text
    assert f"Last time: *Yes* ({then}) — confirm it or change it." in block_text(
        open_card_blocks(t.ev, FT, FT.question("q2").id))


def test_last_times_note_is_escaped_on_one_line_and_cut_short() -> None:
    long = "<!channel> see\n\nthe sheet " + "numbers " * 100
    t = Walk(previous=_previous(long))
    line = next(x for x in block_text(open_card_blocks(t.ev, FT, FT.question("q1").id)).splitlines()
                if x.startswith("Last time"))
    quoted = line.split("“", 1)[1].split("”", 1)[0]
    assert quoted.startswith("&lt;!channel&gt; see the sheet numbers") and quoted.endswith("numbers…")
    assert len(quoted) <= 200 + len("&lt;&gt;") * 2 and "\n" not in quoted  # a reminder, not the whole note
