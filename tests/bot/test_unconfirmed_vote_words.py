"""A click whose write the store could not confirm (Redis stopped answering mid-write) tells the person to look at
the card. A hidden vote never shows on the card (only who has voted, until the reveal): the voter was told "if it
shows your answer, it was recorded", which it never does. Reproduced with Redis paused (SIGSTOP) for 10 s while a
team voted; the reply now says what the card does show."""

from __future__ import annotations

import pytest

from bot.replies import unavailable_text
from conversations.store import StoreUnavailable
from tests.bot.harness import running_bot
from tests.bot.test_vote_notices import card, started, told
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

UNCONFIRMED = ("ftcheck's data store stopped answering while it handled your click, so we could not confirm it was "
               "saved. ")
ANSWER = "Look at the card in a minute: if it shows your answer, it was recorded; if not, click again."
VOTE = ("Look at the card in a minute: it lists who has voted, never what. If it lists you, your vote was recorded "
        "(click the same answer again to see it); if not, vote again.")
REVEAL = ("Look at the card in a minute: if it shows the votes, they were revealed; if not, click Reveal votes "
          "again.")


def test_the_words_name_what_the_card_shows_for_each_kind_of_click() -> None:
    unsure = StoreUnavailable("timeout", recorded="unknown")
    assert unavailable_text(unsure) == UNCONFIRMED + ANSWER
    assert unavailable_text(unsure, clicked="vote") == UNCONFIRMED + VOTE
    assert unavailable_text(unsure, clicked="reveal") == UNCONFIRMED + REVEAL
    assert "lists who has voted, never what" in VOTE and "shows your answer" not in VOTE
    # not about a card: unchanged whatever was clicked
    assert unavailable_text(unsure, "command", clicked="vote").endswith(
        "Wait a minute and check whether it took effect before you try again.")


@pytest.mark.parametrize(("args", "action", "method", "expected"), [
    ("Router", "answer_yes", "answer", ANSWER),
    ("Router --vote --quorum 3", "answer_yes", "answer", VOTE),
    ("Router --vote --quorum 3", "answer_skip", "answer", VOTE),  # Not sure is a vote too
    ("Router --vote --quorum 3", "reveal_votes", "reveal", REVEAL),
])
async def test_a_click_the_store_could_not_confirm_is_told_what_to_look_for_on_the_card(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: object, monkeypatch: pytest.MonkeyPatch,
        args: str, action: str, method: str, expected: str) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot, args)

        async def stalled(*args: object, **kwargs: object) -> None:
            raise StoreUnavailable("Timeout reading from socket", recorded="unknown")

        monkeypatch.setattr(bot.runtime.services.engine, method, stalled)
        q1 = card(bot, "q1")
        await bot.click(q1, action, user="U2", value=bot.element(q1, action)["value"])
        await bot.settle()
        assert told(slack, "U2") == [UNCONFIRMED + expected]
