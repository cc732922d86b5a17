"""The bot over HTTP, driven exactly as Slack drives it, against a real redis-server and the Web API stand-in."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest
import redis.asyncio as aioredis

from bot.listeners import commands as commands_listener
from conversations.store import Store
from tests.bot.harness import SECRET, Bot, running_bot
from tests.standins.redis_server import RedisServer
from tests.standins.signing import signed_headers, slash_command_body
from tests.standins.slack_api import SlackStandIn


def texts(blocks: list[dict]) -> str:
    out = []
    for b in blocks:
        if isinstance(b.get("text"), dict):
            out.append(b["text"]["text"])
        out += [el["text"] for el in b.get("elements", []) if isinstance(el, dict) and isinstance(el.get("text"), str)]
    return "\n".join(out)


async def started(bot: Bot, project: str = "Ticket router") -> None:
    status, _ = await bot.command(f"start {project}")
    assert status == 200
    await bot.slack.wait_for(lambda: bot.open_card() is not None, what="first card")
    await bot.settle()  # the start is recorded; a click racing it is covered in tests/conversations


async def test_forged_stale_and_unsigned_requests_are_refused(slack: SlackStandIn, redis_server: RedisServer,
                                                               redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        body = slash_command_body(text="start Secret plan", user_id="U1", channel_id="C1",
                                  response_url=slack.response_url("x"))
        url = f"{bot.url}/slack/events"
        forged = signed_headers("wrong-secret", body)
        stale = signed_headers(SECRET, body, timestamp=int(time.time()) - 6 * 60)
        for headers in (forged, stale, {"Content-Type": "application/x-www-form-urlencoded"}):
            async with bot.session.post(url, data=body, headers=headers) as resp:
                assert resp.status == 401
        await asyncio.sleep(0.2)
        assert slack.calls_to("chat.postMessage") == [] and slack.response_posts == []
        assert await redis_client.keys("ftc:*") == []


async def test_help_and_unknown_subcommand_answer_ephemerally(slack: SlackStandIn, redis_server: RedisServer,
                                                              redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        first = await bot.reply_to("help")  # help answers in the ack itself
        unknown = await bot.reply_to("frobnicate now")
        missing = await bot.reply_to("start")  # start runs after the ack: its words come as a reply
        assert "/ftcheck start &lt;project&gt;" in first
        assert "`frobnicate` is not an ftcheck command" in unknown
        assert "Name the project" in missing
        assert slack.calls_to("chat.postMessage") == []


async def test_status_is_answered_in_the_ack_and_writes_nothing(slack: SlackStandIn, redis_server: RedisServer,
                                                                 redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        calls, keys = len(slack.calls), set(await redis_client.keys("*"))
        status, answer = await bot.command("status")
        assert status == 200 and answer.startswith("*Ticket router*: 0 of 20 answered."), answer
        await bot.settle()
        assert slack.response_posts == []  # no reply, and no Web API call but the workspace's URL (once, for links)
        assert {c.method for c in slack.calls[calls:]} <= {"auth.test"}
        assert set(await redis_client.keys("*")) == keys  # not even a dedupe key: a repeat only answers again
        status, answer = await bot.command("status", channel="C9")
        assert status == 200 and "no evaluation in progress in this channel" in answer, answer


async def test_a_status_slower_than_the_ack_allows_comes_as_a_reply(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commands_listener, "ACK_ANSWER_S", 0.0)  # every answer is too slow for the ack
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        status, answer = await bot.command("status")
        assert status == 200 and answer == ""  # acked empty, on time
        await slack.wait_for(lambda: len(slack.response_posts) == 1, what="the status reply")
        post = slack.response_posts[0]
        assert post.response_type == "ephemeral" and (post.text or "").startswith("*Ticket router*: 0 of 20 answered.")


async def test_unknown_checklist_names_the_available_ones(slack: SlackStandIn, redis_server: RedisServer,
                                                          redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Router --checklist nope")
        await slack.wait_for(lambda: len(slack.response_posts) == 1)
        text = slack.response_posts[0].body["text"]
        assert "unknown checklist 'nope'" in text and "dataset-readiness" in text


async def test_ten_users_click_one_card_at_once(slack: SlackStandIn, redis_server: RedisServer,
                                                redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        card = bot.open_card()
        assert card is not None
        results = await asyncio.gather(*[bot.click(card, "answer_yes" if i % 2 else "answer_no", user=f"U{i}")
                                         for i in range(10)])
        assert all(status == 200 for status, _ in results)
        await slack.wait_for(lambda: len(slack.ephemerals("C1")) == 9, what="nine 'already answered' notes")
        await bot.settle()
        cards = [m for m in bot.thread() if ":card:" in str(m.metadata)]
        assert len(cards) == 2  # q1 answered once, q2 posted once
        answered = texts(cards[0].blocks)
        winner = next(f"U{i}" for i in range(10) if f"<@U{i}>" in answered)
        assert all(f"<@{winner}>" in e.text or "You already answered" in e.text for e in slack.ephemerals("C1"))


async def test_hundred_duplicate_deliveries_one_state_change(slack: SlackStandIn, redis_server: RedisServer,
                                                             redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        card = bot.open_card()
        assert card is not None
        results = await asyncio.gather(*[
            bot.click(card, "answer_yes", action_ts="1700009999.000001",
                      headers={"X-Slack-Retry-Num": str(min(i, 3)), "X-Slack-Retry-Reason": "http_timeout"})
            for i in range(100)])
        assert all(status == 200 for status, _ in results)
        await bot.settle()
        key = (await redis_client.keys("ftc:{e:*}:eval"))[0]
        eid = (key.decode() if isinstance(key, bytes) else key).split(":")[2].rstrip("}")
        raw = await redis_client.lrange(f"ftc:{{e:{eid}}}:audit", 0, -1)
        audit = [json.loads(a) for a in raw]
        assert [a["action"].split(" = ")[0].split(" ")[0] for a in audit].count("answer") == 1
        assert len([m for m in bot.thread() if ":card:" in str(m.metadata)]) == 2
        assert slack.ephemerals("C1") == []  # a retry of one click is silent


async def test_change_note_and_progress_without_a_running_score(slack: SlackStandIn, redis_server: RedisServer,
                                                                redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        card = bot.open_card()
        assert card is not None
        await bot.click(card, "answer_yes", user="U2")
        await slack.wait_for(lambda: "✓ *q1* Yes" in texts(next(m for m in bot.thread() if m.ts == card.ts).blocks))
        await slack.wait_for(lambda: "1 of 20 answered" in texts(slack.messages("C1", top_level=True)[-1].blocks),
                             what="progress on the root message")
        assert "1/20" not in texts(slack.messages("C1", top_level=True)[-1].blocks)  # no running total mid-walk
        answered = next(m for m in bot.thread() if m.ts == card.ts)
        await bot.select(answered, "partly", user="U3")
        await slack.wait_for(lambda: "✓ *q1* Partly" in texts(next(m for m in bot.thread() if m.ts == card.ts).blocks))
        text = texts(next(m for m in bot.thread() if m.ts == card.ts).blocks)
        assert "<@U3>" in text and "changed from Yes" in text
        await bot.select(next(m for m in bot.thread() if m.ts == card.ts), "note", user="U4")
        await slack.wait_for(lambda: bool(slack.calls_to("views.open")), what="note modal")
        view = slack.calls_to("views.open")[-1].params["view"]
        view = json.loads(view) if isinstance(view, str) else view
        await bot.submit_view("note_modal", {"note": {"note_text": {"type": "plain_text_input",
                                                                    "value": "<!channel> 1,200 labeled so far"}}},
                              private_metadata=view["private_metadata"], user="U4")
        await slack.wait_for(lambda: "1,200 labeled so far" in texts(
            next(m for m in bot.thread() if m.ts == card.ts).blocks), what="note on the card")
        text = texts(next(m for m in bot.thread() if m.ts == card.ts).blocks)
        assert "<!channel>" not in text and "&lt;!channel&gt;" in text


async def test_restart_mid_evaluation_loses_nothing(slack: SlackStandIn, redis_server: RedisServer,
                                                    redis_client: aioredis.Redis) -> None:
    answers = {f"q{i}": 1.0 for i in range(1, 21)}
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        await bot.answer_all(answers, limit=7)
        await slack.wait_for(lambda: bot.open_card() is not None, what="card 8 posted")
    async with running_bot(slack, redis_server.url) as bot2:  # a new process on the same Redis
        card = bot2.open_card()
        assert card is not None and "Question 8 of 20" in texts(card.blocks)
        await bot2.answer_all(answers)
        await slack.wait_for(lambda: bot2.scorecard() is not None)
        assert "20/20" in texts(bot2.scorecard().blocks)  # type: ignore[union-attr]


async def test_redis_outage_tells_the_user_and_recovers(slack: SlackStandIn, tmp_path) -> None:
    server = RedisServer(appendonly=True, data_dir=tmp_path)
    server.start()
    try:
        async with running_bot(slack, server.url) as bot:
            await started(bot)
            card = bot.open_card()
            assert card is not None
            await bot.click(card, "answer_yes")
            await slack.wait_for(lambda: bot._closed(card, "C1"), what="first answer")
            await slack.wait_for(lambda: bot.open_card() is not None, what="second card")
            await bot.settle()  # the second card's ts is recorded before Redis goes away
            second = bot.open_card()
            assert second is not None
            server.stop()
            status, _ = await bot.click(second, "answer_no", user="U2")
            assert status == 200  # acknowledged at once, whatever Redis does
            await slack.wait_for(lambda: any("temporarily unavailable" in e.text for e in slack.ephemerals("C1")),
                                 timeout=15, what="outage message")
            note = next(e for e in slack.ephemerals("C1") if "temporarily unavailable" in e.text)
            assert "your earlier answers are safe" in note.text and note.user == "U2"
            async with bot.session.get(f"{bot.url}/healthz") as resp:
                assert resp.status == 503
            server.start()
            async with bot.session.get(f"{bot.url}/healthz") as resp:
                assert resp.status == 200
            status, _ = await bot.click(second, "answer_no", user="U2")
            await slack.wait_for(lambda: bot._closed(second, "C1"), timeout=15, what="answer after recovery")
            await slack.wait_for(lambda: "Question 3 of 20" in texts((bot.open_card() or second).blocks),
                                 what="third card after recovery")
            assert "✓ *q1* Yes" in texts(next(m for m in bot.thread() if m.ts == card.ts).blocks)
    finally:
        server.close()


async def test_malformed_payloads_get_4xx_or_a_message_and_the_bot_stays_up(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        card = bot.open_card()
        assert card is not None
        bad_bodies = [
            ("payload=%7B%22type%22%3A%22block_actions%22", "application/x-www-form-urlencoded"),  # truncated JSON
            ("payload=" + json.dumps({"type": "block_actions", "actions": "nope"}),
             "application/x-www-form-urlencoded"),
            ('{"type": "event_callback", "event": ', "application/json"),
            ("command=%2Fftcheck&text=" + "x" * 200_000, "application/x-www-form-urlencoded"),
        ]
        for body, ctype in bad_bodies:
            status, _ = await bot.post(body, content_type=ctype)
            assert status in (200, 400, 401, 404, 413), (status, body[:60])
        status, _ = await bot.click(card, "answer_maybe", value="garbage")
        assert status == 200
        status, _ = await bot.click(card, "answer_yes", value="nope|q1")
        assert status == 200
        await slack.wait_for(lambda: len(slack.ephemerals("C1")) >= 1, what="a message about the bad click")
        async with bot.session.get(f"{bot.url}/healthz") as resp:
            assert resp.status == 200
        status, _ = await bot.click(card, "answer_yes")
        await slack.wait_for(lambda: bot._closed(card, "C1"), what="normal click still works")


async def test_healthz_and_metrics(slack: SlackStandIn, redis_server: RedisServer,
                                   redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("help")
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{bot.url}/healthz") as resp:
                assert resp.status == 200 and (await resp.json())["redis"] == "up"
            async with session.get(f"{bot.url}/metrics") as resp:
                text = await resp.text()
                assert 'ftcheck_ack_seconds_bucket{kind="command"' in text
                for family in ("ftcheck_redis_errors_total", "ftcheck_reminders_posted_total",
                               "ftcheck_llm_cost_usd_total", "ftcheck_requests_total"):
                    assert family in text


async def test_mention_starts_and_status_reports(slack: SlackStandIn, redis_server: RedisServer,
                                                 redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        status, _ = await bot.event({"type": "app_mention", "channel": "C1", "user": "U3",
                                     "text": "<@UBOT> start Contract clauses", "ts": "1700000001.000001"},
                                    event_id="Ev1")
        assert status == 200
        await slack.wait_for(lambda: bot.open_card() is not None, what="card from a mention")
        root = slack.messages("C1", top_level=True)[-1]
        assert "Contract clauses" in texts(root.blocks) and "<@U3>" in texts(root.blocks)
        await bot.command("start contract CLAUSES", user="U4")
        await slack.wait_for(lambda: len(slack.response_posts) == 1, what="already-running note")
        assert "already in progress" in slack.response_posts[0].body["text"]
        status_text = await bot.reply_to("status", user="U4")  # answered in the ack itself
        assert "0 of 20 answered. Waiting for q1" in status_text and "provisional" not in status_text
        assert len(slack.response_posts) == 1


# -- review findings: a walk left with no card, closed evaluations, starts, typed answers, status ------------------

def card_question(msg: object) -> str:
    return texts(msg.blocks)  # type: ignore[attr-defined]


async def test_a_card_slack_refused_for_good_comes_back_with_start_or_status(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """The bot was removed from the channel while the next card was owed: the outbox gave it up, and nothing asked
    the question again. `/ftcheck start <project>` and `/ftcheck status` now post it again, and say so."""
    async with running_bot(slack, redis_server.url, FTCHECK_ROOT_REDRAW_SECONDS=0) as bot:
        await started(bot)
        slack.fail_next("chat.postMessage", error="not_in_channel", times=1)  # q2's card
        await bot.click(bot.open_card(), "answer_yes", user="U2")  # type: ignore[arg-type]
        await slack.wait_for(lambda: any("could not post" in m.text for m in slack.messages("U1")), what="the DM")
        await bot.settle()
        dm = next(m.text for m in slack.messages("U1") if "could not post" in m.text)
        assert "invite me back to <#C1> with `/invite @ftcheck`, then run `/ftcheck start Ticket router`" in dm
        assert bot.open_card() is None
        said = await bot.reply_to("start Ticket router", user="U3")
        assert "q2 had no card in the thread (Slack refused to post it earlier), so I posted it again" in said, said
        card = bot.open_card()
        assert card is not None and "Question 2 of 20" in card_question(card)
        assert len(slack.messages("C1", top_level=True)) == 1  # no second thread
        slack.fail_next("chat.postMessage", error="not_in_channel", times=1)  # q3's card, this time
        await bot.click(card, "answer_yes", user="U2")
        await slack.wait_for(lambda: sum("could not post" in m.text for m in slack.messages("U1")) == 2)
        await bot.settle()
        status = await bot.reply_to("status")
        assert "Waiting for q3" in status and "so I posted it again" in status, status
        card = bot.open_card()
        assert card is not None and "Question 3 of 20" in card_question(card)
        assert "posted it again" not in await bot.reply_to("status")  # a card is out: nothing to do


async def test_an_evaluation_closed_for_inactivity_refuses_changes_and_says_so(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """Review finding: a change after the close posted a scorecard, and a click was told the evaluation finished."""
    async with running_bot(slack, redis_server.url, FTCHECK_ROOT_REDRAW_SECONDS=0) as bot:
        await started(bot)
        stale = bot.open_card()
        assert stale is not None
        await bot.click(stale, "answer_yes", user="U1")
        await bot.settle()
        stale_q2 = bot.open_card()
        assert stale_q2 is not None
        (ev,) = await Store(redis_client).channel_evaluations("T0001", "C1")
        await bot.runtime.services.engine.abandon(ev)
        await bot.settle()
        q1 = next(m for m in bot.thread() if m.text.startswith("q1 ("))
        await bot.select(q1, "no", user="U3")
        await slack.wait_for(lambda: bool(slack.ephemerals(user="U3")), what="the refusal")
        told = slack.ephemerals(user="U3")[-1].text
        assert "This evaluation was closed for inactivity on <!date^" in told, told
        assert "q1 can no longer be answered or changed here; nothing was recorded" in told
        assert "`/ftcheck start Ticket router` begins a new evaluation, from the first question" in told
        await bot.click(stale_q2, "answer_no", user="U2")
        await slack.wait_for(lambda: bool(slack.ephemerals(user="U2")), what="the refusal of a click")
        clicked = slack.ephemerals(user="U2")[-1].text
        assert "closed for inactivity" in clicked and "finished" not in clicked, clicked
        await bot.settle()
        (ev,) = await Store(redis_client).channel_evaluations("T0001", "C1")
        assert bot.scorecard() is None and ev.status == "abandoned" and ev.value("labeled_examples") == 1.0


async def test_two_starts_of_one_project_at_once_open_one_thread(slack: SlackStandIn, redis_server: RedisServer,
                                                                 redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        results = await asyncio.gather(bot.command("start Ticket router", user="U1"),
                                       bot.command("start Ticket router", user="U2"))
        assert all(s == 200 for s, _ in results)
        await slack.wait_for(lambda: len(slack.response_posts) == 1, what="the second person is told")
        await bot.settle(quiet_s=0.3)
        running = [e for e in await Store(redis_client).channel_evaluations("T0001", "C1") if e.status == "in_progress"]
        assert len(running) == 1 and len(slack.messages("C1", top_level=True)) == 1
        told = slack.response_posts[0].body["text"]
        assert ("already in progress here: <https://" in told and "open the thread>" in told) or \
            "its thread is still being posted here" in told, told


async def test_slack_encoded_text_names_the_project_as_typed(slack: SlackStandIn, redis_server: RedisServer,
                                                             redis_client: aioredis.Redis) -> None:
    """`@ftcheck start R&D router` arrives as ``R&amp;D``: it was shown as "R&amp;D" and keyed as another project."""
    async with running_bot(slack, redis_server.url) as bot:
        status, _ = await bot.event({"type": "app_mention", "channel": "C1", "user": "U1",
                                     "text": "<@UBOT> start R&amp;D router", "ts": "1700000001.000100"},
                                    event_id="EvRD")
        assert status == 200
        await slack.wait_for(lambda: bot.open_card() is not None, what="first card")
        await bot.settle()
        header = bot.thread()[0].blocks[0]["text"]["text"]
        assert "R&amp;D router" in header and "&amp;amp;" not in header, header  # escaped once: Slack shows "R&D"
        (ev,) = await Store(redis_client).channel_evaluations("T0001", "C1")
        assert ev.project == "R&D router"
        for typed in ("start R&amp;D router", "start R&D router"):  # Slack's encoding, or none: one project
            said = await bot.reply_to(typed, user="U2")
            assert said.startswith("An evaluation of *R&amp;D router* is already in progress here"), said


async def test_an_answer_typed_in_the_thread_gets_a_hint_to_click(slack: SlackStandIn, redis_server: RedisServer,
                                                                  redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        root, card = bot.thread()[0], bot.open_card()
        assert card is not None
        for n, text in enumerate(("Yes!", "we checked it, yes", "Not sure.")):
            ts = f"1700000100.00000{n}"
            slack.add_message("C1", text=text, user="U2", thread_ts=root.ts)
            status, _ = await bot.event({"type": "message", "channel": "C1", "user": "U2", "text": text, "ts": ts,
                                         "thread_ts": root.ts, "channel_type": "channel"}, event_id=f"EvT{n}")
            assert status == 200
        await slack.wait_for(lambda: len(slack.ephemerals(user="U2")) == 2, what="two hints")
        await bot.settle()
        hint = slack.ephemerals(user="U2")[0].text
        assert hint.startswith("Answers typed in the thread are not recorded. To answer q1, click a button on <http")
        assert f"p{card.ts.replace('.', '')}" in hint and "|its card>" in hint
        assert len(slack.ephemerals(user="U2")) == 2  # "we checked it, yes" is no answer word: no hint
        assert bot.open_card() is not None and "Question 1 of 20" in card_question(bot.open_card())


async def test_already_running_advice_names_the_project_and_works(slack: SlackStandIn, redis_server: RedisServer,
                                                                  redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        said = await bot.reply_to("start Ticket router", user="U1")
        assert "or delete it first with `/ftcheck delete Ticket router`." in said, said
        await bot.reply_to("delete Ticket router", user="U1")
        evs = await Store(redis_client).channel_evaluations("T0001", "C1")
        assert [e.status for e in evs if e.status == "in_progress"] == []


async def test_start_in_a_direct_message_says_to_use_a_channel(slack: SlackStandIn, redis_server: RedisServer,
                                                               redis_client: aioredis.Redis) -> None:
    slack.set_channel("D0U1U2", is_im=True, members=["U1", "U2"])
    async with running_bot(slack, redis_server.url) as bot:
        slack.fail_next("chat.postMessage", error="channel_not_found", times=1)
        said = await bot.reply_to("start Ticket router", channel="D0U1U2")
        assert said == ("I can't post in a direct message, so nothing was started. Run "
                        "`/ftcheck start Ticket router` in a channel I'm a member of."), said
        slack.fail_next("chat.postMessage", error="not_in_channel", times=1)
        assert "/invite @ftcheck" in await bot.reply_to("start Ticket router", channel="C7")  # a channel: invite


async def test_status_names_every_evaluation_in_progress_here(slack: SlackStandIn, redis_server: RedisServer,
                                                              redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot, "Ticket router")
        await bot.command("start Search ranker", user="U1")
        await slack.wait_for(lambda: len(slack.messages("C1", top_level=True)) == 2 and bot.open_card() is not None)
        await bot.settle()
        lines = (await bot.reply_to("status")).split("\n")
        assert lines[0] == "*2 evaluations in progress in this channel:*", lines
        assert lines[1].startswith("• *Search ranker*: 0 of 20 answered. Waiting for q1.")
        assert lines[2].startswith("• *Ticket router*: 0 of 20 answered. Waiting for q1.")
