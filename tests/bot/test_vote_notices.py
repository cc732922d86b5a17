"""What a person is told privately about their clicks in a team vote, and what says a vote waits (vote-mode review):
a late voter was sent to a ⋯ menu that then refused them; a card short of its quorum waited in silence; a split sent
back to the team was called "settled"; "0 of 0 unanimous (100%)" before any reveal; a private "You voted …" on every
card; clicks on the first card of a question asked again were called "not part of this evaluation" or "not split";
a note on a question dropped from the checklist, or a Reveal click on its card, failed with an apology and a ref; a
note typed in the dialog was lost when saving it was refused."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.blocks.common import esc
from bot.blocks.scorecard import agreement_mrkdwn
from bot.blocks.views import NOTE_ACTION_ID, NOTE_BLOCK, NOTE_CALLBACK
from conversations.store import StoreUnavailable
from scoring.agreement import Agreement
from scoring.checklist import Registry
from tests.bot.harness import Bot, running_bot
from tests.conversations.test_checklist_drift import YES_PARTLY_NO, gate_dir
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Message

FT = Registry().get()
GATE = ("alpha", "beta", "gamma")  # a three-question team checklist: a question asked again comes back quickly


def card(bot: Bot, key: str, checklist: Any = FT) -> Message:
    found = bot.cards(checklist.question(key).id)
    assert found, f"no card for {key}"
    return found[-1]


async def vote(bot: Bot, key: str, user: str, option: str, *, msg: Message | None = None,
               checklist: Any = FT) -> None:
    if msg is None:
        await bot.slack.wait_for(lambda: bool(bot.cards(checklist.question(key).id)), what=f"card {key}")
    await bot.click(msg or card(bot, key, checklist), f"answer_{option}", user=user)
    await bot.settle()


async def act(bot: Bot, msg: Message, action: str, user: str) -> None:
    await bot.click(msg, action, user=user, value=Bot.element(msg, action)["value"])
    await bot.settle()


def told(slack: SlackStandIn, user: str) -> list[str]:
    return [e.text for e in slack.ephemerals("C1", user)]


async def started(bot: Bot, args: str) -> None:
    await bot.command(f"start {args}", user="U1")
    await bot.slack.wait_for(lambda: bot.open_card() is not None, what="first card")
    await bot.settle()


# -- a late vote says what this person can do --------------------------------------------------------------

async def test_a_late_voter_is_sent_to_the_menu_only_when_it_will_take_their_change(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: object) -> None:
    async with running_bot(slack, redis_server.url, FTCHECK_LEADS="U9") as bot:
        await started(bot, "Router --vote --quorum 4")
        await vote(bot, "q1", "U2", "yes")
        await vote(bot, "q1", "U3", "yes")
        stale = copy.deepcopy(card(bot, "q1"))  # as the late voters' clients still show it
        await act(bot, card(bot, "q1"), "reveal_votes", "U1")
        await vote(bot, "q1", "U4", "no", msg=stale)
        (lee,) = told(slack, "U4")
        assert lee == ("The votes on q1 were already revealed, so this vote came too late to count. The answer is the "
                       "team's: only the starter (<@U1>), a lead or a workspace admin can change it. To say why it "
                       "should change, ask one of them, or use *Add a note…* in the ⋯ menu on the card.")
        await vote(bot, "q1", "U9", "no", msg=stale)  # a lead: the menu takes their change
        assert told(slack, "U9") == ["The votes on q1 were already revealed, so this vote came too late to count. If "
                                     "the team's answer should change, use the ⋯ menu on the card (“Change to …”)."]
        await bot.select(card(bot, "q1"), "no", user="U9")
        await slack.wait_for(lambda: "✓ *q1* No" in " ".join(b.get("text", {}).get("text", "")
                                                             for b in card(bot, "q1").blocks), what="U9's change")
        await bot.settle()
        assert len(told(slack, "U9")) == 1


# -- a card short of its quorum says what moves it on ----------------------------------------------------------

async def test_status_and_the_nudge_say_the_card_waits_for_one_more_vote_or_a_reveal(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: object) -> None:
    wait = "q1 has 3 of 4 votes: one more vote, or Reveal votes on {where}, moves it on."
    async with running_bot(slack, redis_server.url, FTCHECK_IDLE_NUDGE_AFTER="1h") as bot:
        await started(bot, "Router --vote --quorum 4")
        for voter in ("U1", "U2", "U3"):
            await vote(bot, "q1", voter, "yes")
        status = await bot.reply_to("status", user="U2")
        assert wait.format(where="its card") in status and "Waiting for q1" not in status
        await bot.runtime.reminders.tick(datetime.now(UTC) + timedelta(minutes=61))
        await slack.wait_for(lambda: any(m.text.startswith("Router is waiting") for m in bot.thread()), what="nudge")
        nudge = next(m.text for m in bot.thread() if m.text.startswith("Router is waiting"))
        assert "Anyone in the channel can answer" not in nudge
        assert re.sub(r"<https://[^|>]+\|its card>", "its card", nudge).endswith(wait.format(where="its card"))


# -- a split sent back to the team was never settled ----------------------------------------------------------

async def test_the_menu_on_a_split_sent_back_to_the_team_does_not_call_it_settled(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: object) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot, "Router --vote --quorum 2")
        await vote(bot, "q1", "U2", "yes")
        await vote(bot, "q1", "U3", "no")
        await act(bot, card(bot, "q1"), "settle_answer_skip", "U1")
        await bot.select(card(bot, "q1"), "yes", user="U2")
        await slack.wait_for(lambda: any("changed nothing" in t for t in told(slack, "U2")), what="U2 told")
        assert told(slack, "U2")[-1] == (
            "q1 split and <@U1> chose to ask it again, so it has no answer yet: the team votes on it again before the "
            "scorecard. Until then only the starter (<@U1>), a lead or a workspace admin can give it an answer, so "
            "your click changed nothing. To say what it should be, vote when it is asked again, or use *Add a note…* "
            "in the same menu.")


# -- no agreement figure before any reveal -----------------------------------------------------------------

def test_an_agreement_over_no_revealed_question_gives_no_figure() -> None:
    none = Agreement(questions=0, unanimous=0)
    assert none.share is None and none.percent is None and not none.below_bar and none.warning is None
    assert agreement_mrkdwn(none) == "*Team agreement:* no votes revealed yet"
    assert Agreement(questions=4, unanimous=3).summary == "3 of 4 questions unanimous (75%)"


async def test_summary_list_and_history_give_no_agreement_figure_while_votes_are_hidden(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: object) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot, "Router --vote --quorum 4")
        await vote(bot, "q1", "U2", "partly")
        await vote(bot, "q1", "U3", "no")
        for verb in ("summary", "list", "history Router"):
            said = await bot.reply_to(verb, user="U4")
            assert "100%" not in said and "0 of 0" not in said, (verb, said)
            assert "no votes revealed yet" in said, (verb, said)


# -- votes are quiet ---------------------------------------------------------------------------------------------

FIRST = ("You voted *{label}* on q1. Votes stay hidden until the reveal, on this card and the next ones: each card "
         "lists who has voted, never what. To see your vote, click the same answer again (only you see the reply); "
         "another answer changes it. Your next votes get no message like this one.")


async def test_only_a_first_vote_a_check_and_a_change_are_answered_privately(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: object) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot, "Router --vote --quorum 3")
        await vote(bot, "q1", "U2", "yes")
        await vote(bot, "q1", "U2", "yes")  # to check it
        await vote(bot, "q1", "U2", "no")
        await vote(bot, "q1", "U2", "yes")
        await vote(bot, "q1", "U3", "yes")
        await vote(bot, "q1", "U4", "yes")  # completes the vote: the card shows it
        await slack.wait_for(lambda: bool(bot.cards(FT.question("q2").id)), what="card q2")
        await vote(bot, "q2", "U2", "no")  # a later vote: nothing
        await vote(bot, "q2", "U3", "partly")
        assert told(slack, "U2") == [FIRST.format(label="Yes"), "Your vote on q1 is *Yes* (hidden until the reveal).",
                                     "Changed your vote on q1 to *No*.", "Changed your vote on q1 to *Yes*."]
        assert told(slack, "U3") == [FIRST.format(label="Yes")]
        assert told(slack, "U4") == []


# -- the first card of a question asked again ------------------------------------------------------------------

async def _split_asked_again(bot: Bot, gate: Any) -> tuple[Message, Message]:
    """q1 splits, the starter sends it back to the team, q2 and q3 agree, q1 is asked again: the first q1 card as a
    client showed it open, and as it showed it split."""
    await started(bot, "Gate --checklist team-gate --vote --quorum 2")
    open_q1 = copy.deepcopy(card(bot, "q1", gate))
    await vote(bot, "q1", "U2", "yes", checklist=gate)
    await vote(bot, "q1", "U3", "no", checklist=gate)
    split_q1 = copy.deepcopy(card(bot, "q1", gate))
    await act(bot, split_q1, "settle_answer_skip", "U1")
    for key in ("q2", "q3"):
        await vote(bot, key, "U2", "yes", checklist=gate)
        await vote(bot, key, "U3", "yes", checklist=gate)
    await bot.slack.wait_for(lambda: len(bot.cards(gate.question("q1").id)) == 2, what="q1 asked again")
    await bot.settle()
    return open_q1, split_q1


async def test_clicks_on_the_first_card_of_a_question_asked_again_point_to_its_newest_card(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: object, tmp_path: Path) -> None:
    folder = gate_dir(tmp_path, "gate", YES_PARTLY_NO, GATE)
    gate = Registry(folder).get("team-gate")
    async with running_bot(slack, redis_server.url, FTCHECK_CHECKLIST_DIR=str(folder)) as bot:
        open_q1, split_q1 = await _split_asked_again(bot, gate)
        newest = card(bot, "q1", gate)
        await vote(bot, "q1", "U4", "no", msg=open_q1)
        (lee,) = told(slack, "U4")
        assert lee.startswith("That card holds round 1 of the votes on q1, which was asked again, so your vote was "
                              "not counted there. Vote on <https://")
        assert f"/p{newest.ts.replace('.', '')}" in lee and lee.endswith("|its newest card>.")
        await act(bot, split_q1, "settle_answer_yes", "U1")
        maya = told(slack, "U1")[-1]
        assert maya.startswith("You chose to ask q1 again after its votes split (<!date^")
        assert maya.endswith("so there is no team answer to choose on that card: the team votes on it again on its "
                             "newest card, further down the thread.")
        assert "not split" not in maya


async def test_a_team_answer_chosen_just_after_the_starter_sent_the_split_back_says_so(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: object) -> None:
    async with running_bot(slack, redis_server.url, FTCHECK_LEADS="U9") as bot:
        await started(bot, "Router --vote --quorum 2")
        await vote(bot, "q1", "U2", "yes")
        await vote(bot, "q1", "U3", "no")
        split = copy.deepcopy(card(bot, "q1"))
        await act(bot, split, "settle_answer_skip", "U1")
        await act(bot, split, "settle_answer_yes", "U9")  # the lead's client still shows the split
        (lead,) = told(slack, "U9")
        assert lead.startswith("<@U1> chose “Not sure — ask again later” on q1 (<!date^")
        assert lead.endswith("so the team votes on it again before the scorecard. To give it an answer now, use the ⋯ "
                             "menu on its card (“Change to …”).")
        assert "already answered" not in lead


# -- a question dropped from the team's checklist while its card was out ----------------------------------------

GONE = ("This card's question is no longer in the checklist (the team changed its checklist after the card was "
        "posted), so nothing was changed")


async def _note_dialog(bot: Bot, msg: Message, user: str) -> dict[str, Any]:
    before = len(bot.slack.calls_to("views.open"))
    await bot.select(msg, "note", user=user)
    await bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.open")) > before, what="note dialog")
    view = bot.slack.calls_to("views.open")[-1].params["view"]
    return dict(json.loads(view) if isinstance(view, str) else view)


async def _save_note(bot: Bot, view: dict[str, Any], text: str, user: str) -> tuple[int, str]:
    values = {NOTE_BLOCK: {NOTE_ACTION_ID: {"type": "plain_text_input", "value": text}}}
    status, body = await bot.submit_view(NOTE_CALLBACK, values, private_metadata=view["private_metadata"],
                                         user=user, blocks=view["blocks"])
    await bot.settle()
    return status, body


async def test_a_note_or_a_reveal_on_a_dropped_question_says_it_was_dropped(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: object, tmp_path: Path) -> None:
    before = str(gate_dir(tmp_path, "v1", YES_PARTLY_NO, GATE))
    after = str(gate_dir(tmp_path, "v2", YES_PARTLY_NO, ("gamma", "delta")))  # alpha and beta dropped
    async with running_bot(slack, redis_server.url, FTCHECK_CHECKLIST_DIR=before) as bot:
        await started(bot, "Gate --checklist team-gate --vote --quorum 1")
        alpha = bot.open_card()
        assert alpha is not None
        await bot.click(alpha, "answer_yes", user="U2")
        await slack.wait_for(lambda: bot._closed(alpha, "C1"), what="alpha answered")
        await bot.settle()
        answered = next(m for m in bot.thread() if m.ts == alpha.ts)
        view = await _note_dialog(bot, answered, "U2")
        beta = bot.open_card()
        assert beta is not None and beta.ts != alpha.ts
    async with running_bot(slack, redis_server.url, FTCHECK_CHECKLIST_DIR=after) as bot:
        await bot.select(answered, "note", user="U2")
        await bot.settle()
        await _save_note(bot, view, "Legal signed off on 3 March", "U2")
        await bot.click(beta, "reveal_votes", user="U3")
        await bot.settle()
        assert told(slack, "U2") == [f"{GONE}.", f"{GONE}. Your note, not saved: “Legal signed off on 3 March”"]
        assert told(slack, "U3") == [f"{GONE}; the evaluation goes on without it."]
        assert not any("could not handle" in e.text for e in slack.ephemerals("C1"))


# -- a note not saved is quoted back ---------------------------------------------------------------------------

NOTE = "Legal signed off on the 2023 tickets <PII scrubbed> & checked by Dana"


async def test_a_note_refused_after_the_dialog_closed_is_quoted_back(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: object, monkeypatch: pytest.MonkeyPatch) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot, "Router")
        first = bot.open_card()
        assert first is not None
        await bot.click(first, "answer_yes", user="U2")
        await slack.wait_for(lambda: bot._closed(first, "C1"), what="q1 answered")
        await bot.settle()
        view = await _note_dialog(bot, next(m for m in bot.thread() if m.ts == first.ts), "U2")

        async def outage(*args: object, **kwargs: object) -> None:
            raise StoreUnavailable("redis down")

        with monkeypatch.context() as patched:
            patched.setattr(bot.runtime.services.engine, "note", outage)
            status, body = await _save_note(bot, view, NOTE, "U2")
        assert status == 200 and not body.strip()  # the dialog closed: the words are all that is left of it
        quoted = f"Your note, not saved: “{esc(NOTE)}”"
        assert told(slack, "U2")[-1].endswith(f"nothing from this note was recorded.) {quoted}")
        await bot.command("delete Router", user="U1")
        await bot.settle()
        await _save_note(bot, view, NOTE, "U2")
        assert told(slack, "U2")[-1] == f"This evaluation was deleted, so nothing was recorded. {quoted}"


def test_a_note_quoted_back_is_escaped_and_cut_only_to_fit() -> None:
    from bot.replies import UNSAVED_MAX, unsaved_note  # here: the file's other tests run on code without it

    assert unsaved_note("a <b> & c") == "Your note, not saved: “a &lt;b&gt; &amp; c”"
    long = unsaved_note("&" * UNSAVED_MAX)
    assert long.endswith("&amp;…”") and len(long) < UNSAVED_MAX + 40
    assert unsaved_note("saved?", sure=False) == "Your note, in case it was not saved: “saved?”"
