"""Two replicas redraw the same message; the one whose draw lands late must not leave an older state drawn.

chat.update is last-write-wins, and nothing orders the replicas' draws: replica A's redraw of an older state (a
vote, a change) that Slack holds back (a 429's Retry-After, a slow link) lands after replica B drew a newer one, and
B's record already cleared what was owed. A delivery whose redraw landed late reads the evaluation again and draws
what moved (``Engine._moved``). And a post that lands after its delivery's hold ran out (the process was paused,
its request waited in the network) yields to the copy the outbox that took over posted (``Engine.find_or_post``).

Replica A talks to Slack through a proxy here (slow chat.update, or a post held back); B talks to it directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from scoring.checklist import Registry
from tests.bot.harness import Bot, ref_of, running_bot
from tests.bot.harness import message_texts as texts
from tests.faults.test_429_hold_lapse import outbox_renewals_lost
from tests.faults.test_outbox_faults import ticking
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Message

pytestmark = pytest.mark.timeout(90)
FT = Registry().get()
ALL_YES = {f"q{n}": 1.0 for n in range(1, 21)}
SLOW_S = 1.5  # A's chat.update reaches Slack this late: past the engine's LATE_DRAW_S


class SlackLink:
    """Replica A's link to the Slack stand-in: chat.update delayed while ``slow``; the next call of ``hold_next``
    held until ``release`` is set (a request waiting in the network)."""

    def __init__(self, upstream: str, delay: float = SLOW_S) -> None:
        self.upstream = upstream.rstrip("/")
        self.delay = delay
        self.slow = False
        self.hold_next: str | None = None
        self.held = asyncio.Event()
        self.release = asyncio.Event()
        self.in_flight = 0

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._forward)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        async with aiohttp.ClientSession() as self.session:
            try:
                yield f"http://127.0.0.1:{port}/api/"
            finally:
                self.release.set()
                await runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await request.read()
        self.in_flight += 1
        try:
            if self.slow and method == "chat.update":
                await asyncio.sleep(self.delay)
            if self.hold_next == method:
                self.hold_next = None
                self.held.set()
                await self.release.wait()
            headers = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "content-type")}
            async with self.session.request(request.method, f"{self.upstream}/{method}", data=body, headers=headers,
                                            params=request.query) as resp:
                return web.Response(body=await resp.read(), status=resp.status,
                                    headers={"Content-Type": resp.headers.get("Content-Type", "application/json")})
        finally:
            self.in_flight -= 1


async def quiet(slack: SlackStandIn, link: SlackLink | None, quiet_s: float = 0.5, timeout: float = 30) -> None:
    """No call held in A's link and none made to Slack for ``quiet_s`` (the bots' work after their acks is done)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen = -1
    while loop.time() < deadline:
        count = len(slack.calls) + len(slack.response_posts)
        busy = link is not None and link.in_flight > 0
        if count == seen and not busy:
            return
        seen = -1 if busy else count
        await asyncio.sleep(quiet_s)
    raise AssertionError("the bots kept calling Slack")


def card_for(bot: Bot, key: str) -> Message:
    found = bot.cards(FT.question(key).id)
    assert found, f"no card for {key}"
    return found[-1]


def cards_of(bot: Bot, key: str) -> list[Message]:
    return bot.cards(FT.question(key).id)


def root(slack: SlackStandIn) -> Message:
    return slack.messages("C1", top_level=True)[-1]


async def stored(redis_client: Any) -> dict[str, Any]:
    (key,) = await redis_client.keys("ftc:{e:*}:eval")
    doc: dict[str, Any] = json.loads(await redis_client.get(key))
    return doc


async def test_a_vote_redraw_held_back_by_a_429_does_not_reopen_the_card_revealed_meanwhile(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: Any) -> None:
    async with running_bot(slack, redis_server.url) as a, running_bot(slack, redis_server.url) as b:
        await b.command("start Team vote --vote --quorum 3", user="U1")
        await slack.wait_for(lambda: b.open_card() is not None, what="card 1")
        await b.settle()
        card = b.open_card()
        assert card is not None
        slack.fail_next("chat.update", status=429, retry_after=2, times=1)
        await a.click(card, "answer_yes", user="U2")  # A's redraw (1 of 3 voted) is told to wait 2 s
        await slack.wait_for(lambda: any(c.status == 429 for c in slack.calls_to("chat.update")), what="the 429")
        await b.click(card, "answer_yes", user="U3")
        await b.click(card, "answer_yes", user="U4")  # the quorum: revealed (Yes), card 2 posted
        await slack.wait_for(lambda: cards_of(b, "q2") != [], what="card 2")
        throttled = next(c for c in slack.calls_to("chat.update") if c.status == 429)
        await slack.wait_for(lambda: any(c.ok and c.time > throttled.time + 2 and c.params.get("ts") == card.ts
                                         for c in slack.calls_to("chat.update")), timeout=10,
                             what="A's redraw sent again after Retry-After")
        await quiet(slack, None)
        shown = texts(card_for(b, "q1"))
        assert "Team vote" not in shown and "q1 (500+ labeled examples): Yes" in shown, shown
        assert "agreed: <@U2>, <@U3>, <@U4>" in shown, shown
        assert len(cards_of(b, "q2")) == 1 and "Question 2 of 20" in texts(cards_of(b, "q2")[0])


async def test_a_slow_replica_does_not_leave_an_older_tally_drawn(slack: SlackStandIn, redis_server: RedisServer,
                                                                   redis_client: Any) -> None:
    link = SlackLink(slack.base_url)
    async with link.running() as url, running_bot(slack, redis_server.url, SLACK_API_URL=url) as a, \
            running_bot(slack, redis_server.url) as b:
        await b.command("start Team vote --vote --quorum 5", user="U1")
        await slack.wait_for(lambda: b.open_card() is not None, what="card 1")
        await b.settle()
        card = b.open_card()
        assert card is not None
        link.slow = True
        await a.click(card, "answer_yes", user="U2")  # A draws "1 of 5", slowly
        await asyncio.sleep(0.3)
        await b.click(card, "answer_no", user="U3")  # B draws "2 of 5" at once; A's draw lands after it
        await asyncio.sleep(SLOW_S)
        await quiet(slack, link)
        doc = await stored(redis_client)
        assert sorted(next(iter(doc["ballots"].values()))["votes"]) == ["U2", "U3"]
        assert "2 of 5 have voted (<@U2>, <@U3>)" in texts(card_for(b, "q1"))
        assert "Voted on q1: <@U2>, <@U3>" in texts(root(slack))


async def test_a_draw_a_little_slower_than_the_other_replicas_does_not_leave_an_older_tally_drawn(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: Any) -> None:
    """Below LATE_DRAW_S nobody reads again after a draw: A's draw (0.6 s) lands after B's draw of a vote that came
    0.1 s later. B's vote raced A's (its last activity was A's, that recent): B draws again once A's has landed."""
    link = SlackLink(slack.base_url, delay=0.6)
    async with link.running() as url, running_bot(slack, redis_server.url, SLACK_API_URL=url) as a, \
            running_bot(slack, redis_server.url) as b:
        await b.command("start Team vote --vote --quorum 5", user="U1")
        await slack.wait_for(lambda: b.open_card() is not None, what="card 1")
        await b.settle()
        card = b.open_card()
        assert card is not None
        link.slow = True
        await a.click(card, "answer_yes", user="U2")
        await asyncio.sleep(0.1)
        await b.click(card, "answer_no", user="U3")
        await slack.wait_for(lambda: "2 of 5" in texts(card_for(b, "q1")), what="B's draw")
        await quiet(slack, link)
        assert "2 of 5 have voted (<@U2>, <@U3>)" in texts(card_for(b, "q1"))
        assert "Voted on q1: <@U2>, <@U3>" in texts(root(slack))
        assert b.runtime.services.engine.rechecks.booked == 0


async def test_a_slow_replica_does_not_leave_an_older_total_on_the_scorecard_or_root(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: Any) -> None:
    link = SlackLink(slack.base_url)
    async with link.running() as url, running_bot(slack, redis_server.url, SLACK_API_URL=url) as a, \
            running_bot(slack, redis_server.url) as b:
        await b.command("start Ticket router", user="U1")
        await slack.wait_for(lambda: b.open_card() is not None, what="card 1")
        await b.answer_all(ALL_YES)
        await slack.wait_for(lambda: b.scorecard() is not None, what="the scorecard")
        await b.settle()
        link.slow = True
        await a.select(card_for(b, "q3"), "no")  # A: q3 No (19/20), drawn slowly
        await asyncio.sleep(0.3)
        await b.select(card_for(b, "q5"), "no")  # B: q5 No (18/20), drawn at once; A's draws land after
        await asyncio.sleep(SLOW_S)
        await quiet(slack, link)
        answers = (await stored(redis_client))["answers"]
        assert sum(e["value"] for e in answers.values()) == 18
        scorecard = b.scorecard()
        assert scorecard is not None
        assert "18/20" in texts(scorecard) and "18/20" in texts(root(slack)), (texts(scorecard), texts(root(slack)))
        assert "q3 (written task definition): No" in texts(card_for(b, "q3"))
        assert "q5 (real-world data): No" in texts(card_for(b, "q5"))


async def test_a_click_on_a_revealed_card_drawn_open_again_redraws_it(slack: SlackStandIn, redis_server: RedisServer,
                                                                      redis_client: Any) -> None:
    """The window a late read does not cover: two draws landing within LATE_DRAW_S of their writes, the older one
    last (here: another replica's draw of the card before the reveal, sent by hand). Whoever clicks its stale vote
    buttons is told it was revealed, and the card is drawn again as it is."""
    async with running_bot(slack, redis_server.url) as b:
        await b.command("start Team vote --vote --quorum 2", user="U1")
        await slack.wait_for(lambda: b.open_card() is not None, what="card 1")
        card = b.open_card()
        assert card is not None
        await b.click(card, "answer_yes", user="U2")
        await slack.wait_for(lambda: "1 of 2 have voted" in texts(card_for(b, "q1")), what="U2's vote drawn")
        stale = card_for(b, "q1")
        await b.click(stale, "answer_yes", user="U3")  # the quorum: revealed
        await slack.wait_for(lambda: cards_of(b, "q2") != [], what="card 2")
        await b.settle()
        client = AsyncWebClient(token="xoxb-test-token", base_url=slack.base_url)
        await client.chat_update(channel="C1", ts=stale.ts, text=stale.text, blocks=stale.blocks)  # the late draw
        assert "Team vote" in texts(card_for(b, "q1"))
        await b.click(card_for(b, "q1"), "answer_no", user="U4")
        await slack.wait_for(lambda: "Team vote" not in texts(card_for(b, "q1")), timeout=5, what="card 1 redrawn")
        assert "q1 (500+ labeled examples): Yes" in texts(card_for(b, "q1"))


async def test_a_quick_vote_on_a_slow_link_with_nothing_newer_is_drawn_once(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: Any) -> None:
    """A late draw with nothing newer stored costs one read and no second draw."""
    link = SlackLink(slack.base_url)
    async with link.running() as url, running_bot(slack, redis_server.url, SLACK_API_URL=url) as a:
        await a.command("start Team vote --vote --quorum 5", user="U1")
        await slack.wait_for(lambda: a.open_card() is not None, what="card 1")
        await a.settle()
        card = a.open_card()
        assert card is not None
        link.slow = True
        before = len(slack.calls_to("chat.update"))
        await a.click(card, "answer_yes", user="U2")
        await asyncio.sleep(SLOW_S)
        await quiet(slack, link)
        drawn = [c.params.get("ts") for c in slack.calls_to("chat.update")[before:]]
        assert drawn.count(card.ts) == 1, drawn
        assert "1 of 5 have voted (<@U2>)" in texts(card_for(a, "q1"))


async def test_a_card_post_that_lands_after_its_hold_ran_out_yields_to_the_outbox_copy(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: Any) -> None:
    """A's post of card 2 waits in the network while A's hold runs out (its renewals do not land); B's outbox takes
    over, finds nothing and posts card 2. A's post lands later: A finds B's card and deletes its own."""
    link = SlackLink(slack.base_url)
    async with link.running() as url, running_bot(slack, redis_server.url, SLACK_API_URL=url) as a, \
            running_bot(slack, redis_server.url) as b:
        await b.command("start Ticket router", user="U1")
        await slack.wait_for(lambda: b.open_card() is not None, what="card 1")
        await b.settle()
        card = b.open_card()
        assert card is not None
        link.hold_next = "chat.postMessage"
        with outbox_renewals_lost(a) as renewals:
            async with ticking(b, every=0.1):
                await a.click(card, "answer_yes", user="U2")
                await asyncio.wait_for(link.held.wait(), 10)
                await slack.wait_for(lambda: cards_of(b, "q2") != [], timeout=10, what="card 2 by B's outbox")
                renewals["lost"] = False
                link.release.set()  # A's post of card 2 lands now
                await quiet(slack, link)
        assert len(cards_of(b, "q2")) == 1, [ref_of(m) for m in b.thread()]
        assert len(slack.calls_to("chat.delete")) == 1  # A's copy, posted and deleted
        doc = await stored(redis_client)
        assert [c["question"] for c in doc["cards"].values()].count(FT.question("q2").id) == 1
        await b.click(cards_of(b, "q2")[0], "answer_yes", user="U2")
        await slack.wait_for(lambda: cards_of(b, "q3") != [], what="card 3")
        await b.settle()
        assert len(cards_of(b, "q3")) == 1


async def test_a_post_is_not_begun_once_the_hold_ran_out(slack: SlackStandIn, redis_server: RedisServer,
                                                          redis_client: Any) -> None:
    """The completing click on A: its redraw of card 20 waits in the network while A's hold runs out, and B's outbox
    posts the scorecard. When A goes on, its hold is lost: it leaves the scorecard to that outbox (none posted)."""
    link = SlackLink(slack.base_url)
    async with link.running() as url, running_bot(slack, redis_server.url, SLACK_API_URL=url) as a, \
            running_bot(slack, redis_server.url) as b:
        await b.command("start Ticket router", user="U1")
        await slack.wait_for(lambda: b.open_card() is not None, what="card 1")
        await b.answer_all(ALL_YES, limit=19)
        await slack.wait_for(lambda: cards_of(b, "q20") != [], what="card 20")
        await b.settle()
        link.hold_next = "chat.update"
        with outbox_renewals_lost(a) as renewals:
            async with ticking(b, every=0.1):
                await a.click(card_for(b, "q20"), "answer_yes", user="U2")
                await asyncio.wait_for(link.held.wait(), 10)
                await slack.wait_for(lambda: b.scorecard() is not None, timeout=10, what="the scorecard by B")
                renewals["lost"] = False
                link.release.set()
                await quiet(slack, link)
        scorecards = [m for m in b.thread() if ref_of(m).endswith(":scorecard")]
        assert len(scorecards) == 1 and "20/20" in texts(scorecards[0])
        assert slack.calls_to("chat.delete") == []  # A never posted one
        assert (await stored(redis_client)).get("pending", []) == []


async def test_a_refused_late_vote_is_told_at_once_and_the_card_redrawn_once_after(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: Any) -> None:
    """Review finding: a vote refused because the card was revealed a moment before waited for a redraw of the card
    before its notice went out, and a 429 on that chat.update held the notice back by its Retry-After (3.2 s)."""
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Team vote --vote --quorum 2", user="U1")
        await slack.wait_for(lambda: bot.open_card() is not None, what="card 1")
        card = bot.open_card()
        assert card is not None
        await bot.click(card, "answer_yes", user="U2")
        await bot.click(card, "answer_yes", user="U3")
        await slack.wait_for(lambda: cards_of(bot, "q2") != [], what="card 2")
        await bot.settle()
        updates = len(slack.calls_to("chat.update"))
        told = len(slack.response_posts) + len(slack.ephemerals("C1"))
        slack.fail_next("chat.update", status=429, retry_after=3, times=1)
        began = loop_time()
        await bot.click(card, "answer_no", user="U4")
        await slack.wait_for(lambda: len(slack.response_posts) + len(slack.ephemerals("C1")) > told, timeout=10,
                             what="the refusal notice")
        assert loop_time() - began < 1.5
        await slack.wait_for(lambda: any(c.status == 200 for c in slack.calls_to("chat.update")[updates:]),
                             timeout=10, what="the card redrawn after the 429's wait")
        assert "q1 (500+ labeled examples): Yes" in texts(card_for(bot, "q1"))


async def test_a_429_on_the_clicked_cards_redraw_does_not_hold_back_the_next_question(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: Any) -> None:
    """Review finding on a change of the delivery order (the clicked card before the next card): chat.update is the
    call a busy vote rate-limits, and slack_sdk waits its Retry-After inline, so the next question waited 3.9 s.
    The next card goes out first; only the redraws wait."""
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Ticket router", user="U1")
        await slack.wait_for(lambda: bot.open_card() is not None, what="card 1")
        await bot.settle()
        card = bot.open_card()
        assert card is not None
        slack.fail_next("chat.update", status=429, retry_after=3, times=1)
        began = loop_time()
        await bot.click(card, "answer_yes", user="U2")
        await slack.wait_for(lambda: cards_of(bot, "q2") != [], timeout=10, what="card 2")
        assert loop_time() - began < 1.5
        await bot.settle()


def loop_time() -> float:
    return asyncio.get_running_loop().time()
