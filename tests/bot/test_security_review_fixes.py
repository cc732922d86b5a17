"""Security review fixes, through the real bot (real Redis, the Slack stand-in):

- a team vote's Reveal before the quorum takes two votes, unless the starter, a lead or an admin clicks it: one member
  voted and revealed every card alone ("Strong go 20/20", "0 of 20 questions unanimous"), and later voters were told
  they came too late;
- `/ftcheck export` of another channel's evaluation goes to the asker's DM, not into the channel asked in, where people
  who cannot see the evaluation's channel (guests, a Slack Connect channel's other organization) read it;
- a private channel mentioned without a label is not named with the bot's own access;
- a card's buttons (and its note dialog) refuse a click from another channel than the evaluation's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from bot import commands as cmd
from bot.blocks.evaluation import card_blocks
from bot.blocks.views import NOTE_ACTION_ID, NOTE_BLOCK, NOTE_CALLBACK
from bot.leads.access import Asker, visibility
from bot.leads.exports import export
from conversations import flow, voting
from conversations.models import Evaluation
from scoring.checklist import Registry
from tests.bot.delivered import Delivered, block_text
from tests.bot.harness import Bot, message_texts, ref_of, running_bot
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Message

FT = Registry().get()
Q1, Q2, Q3 = (FT.question(k).id for k in ("q1", "q2", "q3"))
ALL_YES = {q.key: 1.0 for q in FT.questions}
_events = itertools.count(1)


def card_of(bot: Bot, qid: str, channel: str = "C1") -> Message:
    cards = bot.cards(qid, channel)
    assert cards, f"no card for {qid} in {channel}"
    return cards[-1]


def posted(bot: Bot, qid: str) -> Callable[[], bool]:
    return lambda: bool(bot.cards(qid))


def card_says(bot: Bot, qid: str, text: str, channel: str = "C1") -> Callable[[], bool]:
    return lambda: text in message_texts(card_of(bot, qid, channel))


def told(slack: SlackStandIn, user: str, channel: str = "C1") -> list[str]:
    return [e.text for e in slack.ephemerals(channel, user)]


async def stored(bot: Bot, card: Message) -> Evaluation:
    ev = await bot.runtime.services.store.get(ref_of(card).split(":")[0])
    assert ev is not None
    return ev


# -- 1. Reveal votes before the quorum ---------------------------------------------------------------------------

LONE = ("Nothing was revealed: q1 has only your vote so far, and one person's vote alone does not become the team's "
        "answer. Reveal votes works once 2 people have voted (3 votes reveal the card by themselves); only the "
        "evaluation's starter (<@U1>), a lead or a workspace admin can reveal it sooner.")


async def test_a_member_cannot_decide_a_team_vote_alone(slack: SlackStandIn, redis_server: RedisServer,
                                                        redis_client: object) -> None:
    """U3 votes and clicks Reveal: nothing is revealed and U3 is told why; U2's vote still counts, and with two
    votes anyone reveals. The starter and a lead reveal a lone vote (a small team)."""
    async with running_bot(slack, redis_server.url, FTCHECK_LEADS="U7") as bot:
        await bot.command("start Team decision --vote --quorum 3", user="U1")
        await slack.wait_for(lambda: bot.open_card() is not None, what="the first card")
        await bot.click(card_of(bot, Q1), "answer_yes", user="U3")
        await slack.wait_for(lambda: "1 of 3 have voted" in message_texts(card_of(bot, Q1)), what="U3's vote")
        await bot.click(card_of(bot, Q1), "reveal_votes", user="U3")
        await bot.settle()
        assert told(slack, "U3")[-1] == LONE
        card = message_texts(card_of(bot, Q1))
        assert "1 of 3 have voted (<@U3>)" in card and "✓" not in card, card
        ev = await stored(bot, card_of(bot, Q1))
        assert not ev.ballots[Q1].revealed and Q1 not in ev.answers

        await bot.click(card_of(bot, Q1), "answer_yes", user="U2")  # counted: no "too late"
        await slack.wait_for(lambda: "2 of 3 have voted" in message_texts(card_of(bot, Q1)), what="U2's vote")
        assert not any("too late" in t for t in told(slack, "U2"))
        await bot.click(card_of(bot, Q1), "reveal_votes", user="U3")  # two votes: anyone may reveal
        await slack.wait_for(lambda: "✓ *q1* Yes — agreed: <@U3>, <@U2>" in message_texts(card_of(bot, Q1)),
                             what="q1 revealed")

        for qid, voter, revealer in ((Q2, "U4", "U1"), (Q3, "U5", "U7")):  # the starter, then a lead
            await slack.wait_for(posted(bot, qid), what=f"the card of {qid}")
            await bot.click(card_of(bot, qid), "answer_no", user=voter)
            await slack.wait_for(card_says(bot, qid, "1 of 3 have voted"), what=f"{voter}'s vote")
            await bot.click(card_of(bot, qid), "reveal_votes", user=revealer)
            await slack.wait_for(card_says(bot, qid, f"✓ *{FT.question(qid).key}* No — only <@{voter}> voted"),
                                 what=f"{qid} revealed by {revealer}")
        await bot.settle()
        assert told(slack, "U1") == [] and told(slack, "U7") == []


class _Vote(Delivered):
    def __init__(self, quorum: int) -> None:
        super().__init__(flow.start(team="T", channel="C1", project="P", checklist=FT, user="U1", mode="vote",
                                    quorum=quorum), FT)

    def vote(self, user: str) -> str:
        voting.vote(self.ev, FT, card_ts=self.ev.cards_of(Q1)[-1], user=user, value=1.0)
        self._deliver()
        return self.tally()

    def tally(self) -> str:
        return next(line for line in block_text(card_blocks(self.ev, FT, self.ev.cards_of(Q1)[-1])).splitlines()
                    if line.startswith("Team vote:"))


def test_the_vote_cards_tally_says_what_reveals_it() -> None:
    """The card's line under the question stays true: a Reveal by anyone needs two votes."""
    three = _Vote(3)
    assert three.tally() == ("Team vote: nobody has voted yet. Votes stay hidden until 3 people have voted, or until "
                             "2 have and someone clicks Reveal votes (the starter, a lead or an admin may reveal "
                             "sooner).")
    assert three.vote("U2") == ("Team vote: 1 of 3 have voted (<@U2>). Votes stay hidden until 2 more people vote, or "
                                "until one more has and someone clicks Reveal votes (the starter, a lead or an admin "
                                "may reveal them now).")
    assert three.vote("U3") == ("Team vote: 2 of 3 have voted (<@U2>, <@U3>). Votes stay hidden until one more person "
                                "votes or someone clicks Reveal votes.")  # as before
    two = _Vote(2)
    assert two.vote("U2") == ("Team vote: 1 of 2 have voted (<@U2>). Votes stay hidden until one more person votes or "
                              "the starter, a lead or an admin clicks Reveal votes.")
    assert _Vote(1).tally() == "Team vote: nobody has voted yet. The first vote reveals the card."
    assert "<@U1>" not in three.tally()  # the card is posted with it: a mention of the starter would notify them


# -- 2. export of another channel's evaluation --------------------------------------------------------------------

async def test_an_export_of_another_channels_evaluation_goes_to_the_askers_dm(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: object) -> None:
    slack.set_channel("C2", name="pricing", members=["UBOT", "U1", "U5"])
    slack.set_channel("G3", name="with-guests", is_private=True, members=["UBOT", "U1", "UG"])
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Pricing model", user="U5", channel="C2")
        await bot.answer_all(ALL_YES, users=["U5"], channel="C2")
        await slack.wait_for(lambda: bot.scorecard("C2") is not None, what="the scorecard")
        await bot.settle()

        in_g3 = len(slack.messages("G3"))
        await bot.command("export Pricing model md", user="U1", channel="G3")
        await slack.wait_for(lambda: len(slack.files) == 1, what="the export")
        await bot.settle()
        dm = slack.dm_channel("U1")
        [record] = slack.files
        assert dm is not None and record.channel_id == dm, record.channel_id
        assert record.initial_comment == ("Decision record for Pricing model from <#C2>, which you asked for in <#G3>. "
                                          "It comes to you here instead: people there may not be able to see <#C2>.")
        assert "/archives/C2/" in (record.content or b"").decode()
        assert len(slack.messages("G3")) == in_g3  # nothing shared where the guest reads

        # what the asker is told besides the file (the verb replies it)
        services = bot.runtime.services
        said = await export(services, visibility(services), Asker(user="U1", team="T0001", here="G3"),
                            cmd.parse("export Pricing model md"))
        assert said == ("No evaluation of *Pricing model* in this channel. This is its evaluation in <#C2>. Its "
                        "decision record is not shared here, where people who cannot see <#C2> could read it: I sent "
                        "it to you in a direct message from ftcheck.")

        await bot.command("export Pricing model csv", user="U1", channel="C2")  # its own channel: shared there
        await slack.wait_for(lambda: len(slack.files) == 3, what="the export in C2")
        assert slack.files[2].channel_id == "C2"
        assert slack.files[2].initial_comment == "Decision record for Pricing model, requested by <@U1>."


# -- 3. a private channel mentioned --------------------------------------------------------------------------------

async def test_a_private_channel_mentioned_is_not_named(slack: SlackStandIn, redis_server: RedisServer,
                                                        redis_client: object) -> None:
    """``<#C9>`` of a private channel the bot is in: the project reads "#C9", as for a channel the bot cannot see;
    a public channel is still named."""
    slack.set_channel("C9", name="acquisition-of-acme", is_private=True, members=["UBOT", "U5"])
    slack.set_channel("C5", name="design-review", members=["UBOT", "U5"])
    async with running_bot(slack, redis_server.url) as bot:
        for text in ("<@UBOT> start Review for <#C9>", "<@UBOT> start Review for <#C5>"):
            msg = slack.add_message("C1", text=text, user="U2")
            await bot.event({"type": "app_mention", "channel": "C1", "user": "U2", "text": text, "ts": msg.ts,
                             "team": "T0001"}, event_id=f"EvSec{next(_events)}")
            await bot.settle(0.3)
        roots = [m.text for m in slack.messages("C1", top_level=True) if m.text.startswith("Evaluation of")]
        assert [r.partition(":")[0] for r in roots] == ["Evaluation of Review for #C9",
                                                        "Evaluation of Review for #design-review"], roots
        assert not any("acquisition" in m.text for m in slack.messages("C1"))


# -- 4. a card's buttons clicked from another channel --------------------------------------------------------------

ELSEWHERE = ("That button belongs to a card in another channel, so nothing was changed. Use the card in its "
             "evaluation's thread.")


async def _submit_note(bot: Bot, private_metadata: str, text: str, user: str) -> None:
    values = {NOTE_BLOCK: {NOTE_ACTION_ID: {"type": "plain_text_input", "value": text}}}
    await bot.submit_view(NOTE_CALLBACK, values, private_metadata=private_metadata, user=user)
    await bot.settle()


async def test_card_buttons_refuse_a_click_from_another_channel(slack: SlackStandIn, redis_server: RedisServer,
                                                                 redis_client: object) -> None:
    """G1 is private; a signed click from C2 carrying G1's card value (answer, change, note, the note dialog) changes
    nothing and names nothing; the same clicks in G1 work."""
    slack.set_channel("G1", name="secret", is_private=True, members=["UBOT", "U1"])
    slack.set_channel("C2", name="elsewhere", members=["UBOT", "U1", "U5"])
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Secret project", user="U1", channel="G1")
        await slack.wait_for(lambda: bot.open_card("G1") is not None, what="the first card")
        await bot.settle()
        card = card_of(bot, Q1, "G1")
        await bot.click(card, "answer_no", user="U5", channel="C2")
        await bot.settle()
        assert told(slack, "U5", "C2") == [ELSEWHERE]
        assert (await stored(bot, card)).answers == {}

        await bot.click(card, "answer_yes", user="U1", channel="G1")  # the real click
        await slack.wait_for(lambda: "✓ *q1* Yes" in message_texts(card_of(bot, Q1, "G1")), what="q1 answered")
        answered = card_of(bot, Q1, "G1")
        views = len(slack.calls_to("views.open"))
        await bot.select(answered, "no", user="U5", channel="C2")  # Change answer
        await bot.select(answered, "note", user="U5", channel="C2")  # Add a note… opens no dialog
        value = bot.element(answered, "change_answer")["options"][0]["value"].rpartition("|")[0]
        await _submit_note(bot, f"{value}|C2", "planted", "U5")  # a note dialog that names another channel
        await bot.settle()
        assert len(slack.calls_to("views.open")) == views
        ev = await stored(bot, answered)
        assert (ev.answers[Q1].value, ev.answers[Q1].by, ev.answers[Q1].note) == (1.0, "U1", None)
        assert told(slack, "U5", "C2") == [ELSEWHERE] * 3 + [f"{ELSEWHERE} Your note, not saved: “planted”"]
        assert told(slack, "U1", "G1") == []


async def test_vote_buttons_refuse_a_click_from_another_channel(slack: SlackStandIn, redis_server: RedisServer,
                                                                 redis_client: object) -> None:
    """Reveal votes and a team answer from C2 on G1's card change nothing, even by the starter; in G1 they work."""
    slack.set_channel("G1", name="secret", is_private=True, members=["UBOT", "U1", "U2", "U3"])
    slack.set_channel("C2", name="elsewhere", members=["UBOT", "U1", "U5"])
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Secret vote --vote --quorum 3", user="U1", channel="G1")
        await slack.wait_for(lambda: bot.open_card("G1") is not None, what="the first card")
        for voter, option in (("U2", "yes"), ("U3", "no")):
            await bot.click(card_of(bot, Q1, "G1"), f"answer_{option}", user=voter, channel="G1")
            await bot.settle()
        await bot.click(card_of(bot, Q1, "G1"), "reveal_votes", user="U5", channel="C2")
        await bot.settle()
        assert not (await stored(bot, card_of(bot, Q1, "G1"))).ballots[Q1].revealed
        await bot.click(card_of(bot, Q1, "G1"), "reveal_votes", user="U2", channel="G1")
        await slack.wait_for(lambda: "*Split*" in message_texts(card_of(bot, Q1, "G1")), what="q1 split")
        await bot.click(card_of(bot, Q1, "G1"), "settle_answer_yes", user="U1", channel="C2")
        await bot.settle()
        assert flow.card_state(await stored(bot, card_of(bot, Q1, "G1")), Q1) == "split"
        assert told(slack, "U5", "C2") == [ELSEWHERE] and told(slack, "U1", "C2") == [ELSEWHERE]
        await bot.click(card_of(bot, Q1, "G1"), "settle_answer_yes", user="U1", channel="G1")
        await slack.wait_for(lambda: "settled by <@U1>" in message_texts(card_of(bot, Q1, "G1")), what="q1 settled")
