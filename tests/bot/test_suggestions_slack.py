"""Paste a description in the thread: suggestions appear, and only a person's click scores them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from bot.metrics import LLM_COST
from conversations.store import StoreUnavailable
from scoring.checklist import Checklist
from scoring.suggest import SuggestionReport
from tests.bot.harness import Bot, running_bot
from tests.bot.test_exports_record import export
from tests.bot.test_slack_surface import started, texts
from tests.scoring.test_suggest_llm import GOOD
from tests.standins.openai_api import OpenAIStandin
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

BRIEF = (Path(__file__).parent.parent / "data" / "briefs" / "example1_support_intent.md").read_text()


async def paste(bot: Bot, text: str, user: str = "U2", **extra: Any) -> str:
    """A reply in the evaluation's thread, as the Events API sends it; ``extra``: subtype, files …"""
    root = bot.slack.messages("C1", top_level=True)[-1]
    msg = bot.slack.add_message("C1", text=text, user=user, thread_ts=root.ts)
    status, _ = await bot.event({"type": "message", "channel": "C1", "user": user, "text": text, "ts": msg.ts,
                                 "thread_ts": root.ts, "channel_type": "channel", **extra})
    assert status == 200
    return msg.ts


def is_report(text: str) -> bool:
    """The helper's one-line report: on a pasted description, or on one given to a suggest command."""
    return "from the pasted description" in text or "from the description given to `" in text


def report(bot: Bot) -> str:
    for m in bot.thread():
        if is_report(m.text):
            return texts(m.blocks)
    return ""


async def test_paste_suggests_and_a_click_confirms(slack: SlackStandIn, redis_server: RedisServer,
                                                   redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        await paste(bot, BRIEF)
        await slack.wait_for(lambda: report(bot) != "", timeout=15, what="suggestion report")
        assert any(c.params.get("text") == "Reading the description…" for c in slack.calls_to("chat.postMessage"))
        text = report(bot)
        assert "suggestions from the pasted description, shown on each card" in text and "\n" not in text
        assert "engine" not in text
        await slack.wait_for(
            lambda: "Helper suggests: Yes" in texts((bot.open_card() or slack.messages("C1")[0]).blocks),
            what="card shows the suggestion")
        card = bot.open_card()
        assert card is not None
        yes = bot.element(card, "answer_yes")
        assert yes["text"]["text"] == "Yes (suggested)" and yes.get("style") is None  # marked 💡, not styled
        root = slack.messages("C1", top_level=True)[-1]
        assert "0 of 20 answered" in texts(root.blocks)  # the suggestion alone answers nothing
        await bot.click(card, "answer_yes", user="U3")
        await slack.wait_for(lambda: "1 of 20 answered" in texts(slack.messages("C1", top_level=True)[-1].blocks),
                             what="progress after the click")
        answered = texts(next(m for m in bot.thread() if m.ts == card.ts).blocks)
        assert "✓ *q1* Yes — <@U3>" in answered and "as the helper suggested" in answered


async def test_repasting_refreshes_only_unanswered(slack: SlackStandIn, redis_server: RedisServer,
                                                   redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        card = bot.open_card()
        assert card is not None
        await bot.click(card, "answer_no")
        await slack.wait_for(lambda: bot._closed(card, "C1"))
        await paste(bot, BRIEF)
        await slack.wait_for(lambda: report(bot) != "", timeout=15, what="suggestion report")
        assert "; 1 more for questions already answered, so the team's answer stays" in report(bot)


async def test_oversized_paste_is_refused_with_the_limit(slack: SlackStandIn, redis_server: RedisServer,
                                                         redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        await paste(bot, "We have 2,000 labeled tickets. " * 800)
        await slack.wait_for(lambda: bool(slack.ephemerals("C1")), timeout=15, what="refusal")
        note = slack.ephemerals("C1")[0]
        assert "the limit is 20,000" in note.text and note.user == "U2"
        assert report(bot) == ""


async def test_suggest_command_uses_the_llm_through_an_openai_compatible_server(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    with OpenAIStandin() as api:
        api.respond_json(GOOD, usage=(1200, 300))
        async with running_bot(slack, redis_server.url, OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=api.base_url,
                               FTCHECK_LLM_TIMEOUT=3) as bot:
            await started(bot)
            told = await bot.reply_to(f"suggest {BRIEF}", user="U4")  # the person who ran it hears the report
            assert len(api.requests) == 1
            assert report(bot).endswith("suggestions from the description given to `/ftcheck suggest`, shown on "
                                        "each card."), report(bot)
            assert told.startswith("20 suggestions from the description given to `/ftcheck suggest`"), told
            assert "It is in the thread of *Ticket router*: <https://" in told, told
            assert "engine" not in report(bot) and "tokens" not in report(bot)  # developer words stay out


async def test_a_suggest_command_that_finds_nothing_says_the_earlier_suggestions_stay(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        await paste(bot, BRIEF)
        await slack.wait_for(lambda: "Helper suggests" in card_text(bot), what="the pasted description's hint")
        told = await bot.reply_to("suggest we have a few examples", user="U4")
        line = ("No suggestions from the description given to `/ftcheck suggest`: it does not answer any question "
                "clearly; the earlier suggestions stay on the cards.")
        assert told.startswith(line), told
        assert any(m.text == line for m in bot.thread()), [m.text for m in bot.thread()]
        assert "Helper suggests" in card_text(bot)


# -- what the person typed, not Slack's markup -------------------------------------------------------------------

FILLER = ("The project routes incoming customer requests to one of five queues so the support leads spend "
          "their mornings on the hard cases rather than on triage. The requests arrive through the help "
          "centre form, the shared inbox and the chat widget on the pricing page. This brief collects what "
          "the team knows so far, so the review can focus on the open questions. The budget is $5,000 and we "
          "have eight weeks for the first version. ")  # two facts: a reply that answers none is no description


def slack_encoded(text: str) -> str:
    """What the Events API puts in ``event.text`` for what a person typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def card_text(bot: Bot) -> str:
    card = bot.open_card()
    assert card is not None
    return texts(card.blocks)


def readings(slack: SlackStandIn) -> int:
    return sum(1 for c in slack.calls_to("chat.postMessage") if c.params.get("text") == "Reading the description…")


async def test_quotes_show_what_the_person_typed_escaped_once(slack: SlackStandIn, redis_server: RedisServer,
                                                              redis_client: aioredis.Redis) -> None:
    # typed: "@Ana and our Q&A team labeled 5,000 … (see our data page)", the link made in Slack's editor
    text = ("<@U3> and our Q&amp;A team labeled 5,000 support tickets by hand last quarter (see "
            "<https://wiki.example.com/d|our data page>). " + FILLER)
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        await paste(bot, text)
        await slack.wait_for(lambda: "Helper suggests: Yes" in card_text(bot), what="hint on q1")
        shown = card_text(bot)
        # Slack shows `&amp;` as `&`: the quote reads "Q&A", not "Q&amp;A"; no `<@U3>` markup shown as text
        assert ("> @U3 and our Q&amp;A team labeled 5,000 support tickets by hand last quarter (see our data page "
                "(https://wiki.example.com/d)).") in shown, shown
        assert "&amp;amp;" not in shown and "&lt;@U3&gt;" not in shown and "|our data page" not in shown


async def test_llm_quote_of_what_the_person_typed_is_kept(slack: SlackStandIn, redis_server: RedisServer,
                                                          redis_client: aioredis.Redis) -> None:
    typed = FILLER + "Our Q&A team labeled 2,000 support tickets by hand last quarter."
    out = {"numbers": [{"fact": "labeled_examples", "value": 2000, "upper": None,
                        "evidence": "Our Q&A team labeled 2,000 support tickets by hand"}],
           "statements": [], "answers": []}
    with OpenAIStandin() as api:
        api.respond_json(out, usage=(1200, 300))
        async with running_bot(slack, redis_server.url, OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=api.base_url,
                               FTCHECK_LLM_TIMEOUT=3, FTCHECK_LLM_RETRIES=0) as bot:
            await started(bot)
            await paste(bot, slack_encoded(typed))
            await slack.wait_for(lambda: report(bot) != "", what="report")
            await bot.settle()
            assert typed in api.requests[0]["messages"][1]["content"]  # the model reads what the person typed
            assert "Helper suggests: Yes" in card_text(bot) and "> Our Q&amp;A team labeled 2,000" in card_text(bot)


async def test_fewer_than_500_typed_as_lt_suggests_nothing(slack: SlackStandIn, redis_server: RedisServer,
                                                           redis_client: aioredis.Redis) -> None:
    typed = "We have <500 labeled support tickets so far, all of them from the help centre form. " + FILLER
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        await paste(bot, slack_encoded(typed))
        await slack.wait_for(lambda: report(bot) != "", what="report")
        await bot.settle()
        assert "Helper suggests" not in card_text(bot), card_text(bot)


# -- one run per message, whatever Slack sends for it ------------------------------------------------------------

async def test_mention_suggest_in_the_thread_runs_once(slack: SlackStandIn, redis_server: RedisServer,
                                                       redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        root = slack.messages("C1", top_level=True)[-1]
        text = "<@UBOT> suggest " + BRIEF
        msg = slack.add_message("C1", text=text, user="U2", thread_ts=root.ts)
        base = {"channel": "C1", "user": "U2", "text": text, "ts": msg.ts, "thread_ts": root.ts}
        # both subscribed (deploy/slack-manifest-*.yaml): Slack sends the message and the app_mention
        await bot.event({"type": "message", "channel_type": "channel", **base})
        await bot.event({"type": "app_mention", **base})
        await slack.wait_for(lambda: report(bot) != "", what="report")
        await asyncio.sleep(1)
        await bot.settle()
        reports = [m for m in bot.thread() if is_report(m.text)]
        assert readings(slack) == 1 and len(reports) == 1, (readings(slack), [m.text for m in reports])


async def _two_running(bot: Bot) -> tuple[str, str]:
    """Two evaluations in progress in C1: the roots of the older ("Ticket router") and the newer ("Churn model")."""
    await started(bot)
    await started(bot, "Churn model")
    older, newer = [m.ts for m in bot.slack.messages("C1", top_level=True)][-2:]
    return older, newer


async def _mention_suggest(bot: Bot, text: str, thread_ts: str) -> str:
    msg = bot.slack.add_message("C1", text=text, user="U2", thread_ts=thread_ts)
    await handled(bot, {"type": "app_mention", "channel": "C1", "user": "U2", "text": text, "ts": msg.ts,
                        "thread_ts": thread_ts})
    return msg.ts


async def test_mention_suggest_in_an_older_thread_suggests_for_that_thread(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """A channel running two evaluations: ``@ftcheck suggest …`` in the older one's thread is about the older one,
    not the channel's newest."""
    async with running_bot(slack, redis_server.url) as bot:
        older, newer = await _two_running(bot)
        await _mention_suggest(bot, "<@UBOT> suggest " + BRIEF, older)
        await bot.settle()
        store = bot.runtime.services.store
        got_older, got_newer = await store.by_thread("C1", older), await store.by_thread("C1", newer)
        assert got_older is not None and got_older.project == "Ticket router" and got_older.suggestions
        assert got_newer is not None and got_newer.suggestions == {}
        assert any(m.thread_ts == older and is_report(m.text) for m in slack.messages("C1"))


async def test_mention_suggest_in_a_finished_thread_is_refused_not_read_for_another(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        older, newer = await _two_running(bot)
        store = bot.runtime.services.store
        ev = await store.by_thread("C1", older)
        assert ev is not None
        await bot.runtime.services.engine.abandon(ev)
        await _mention_suggest(bot, "<@UBOT> suggest " + BRIEF, older)
        await bot.settle()
        got_newer = await store.by_thread("C1", newer)
        assert got_newer is not None and got_newer.suggestions == {}
        assert readings(slack) == 0
        told = [str(c.params.get("text")) for c in slack.calls_to("chat.postEphemeral")]
        assert any("The evaluation of *Ticket router* in this thread is finished" in t for t in told), told


async def test_a_suggest_mention_deleted_in_an_older_thread_while_it_is_read_leaves_nothing(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        older, _ = await _two_running(bot)
        gate = _held_reading(bot, "2,000 historical tickets")
        text = "<@UBOT> suggest " + SHORT_BRIEF
        msg = slack.add_message("C1", text=text, user="U2", thread_ts=older)
        await bot.event({"type": "app_mention", "channel": "C1", "user": "U2", "text": text, "ts": msg.ts,
                         "thread_ts": older})
        await asyncio.wait_for(gate.reading.wait(), timeout=10)
        await handled(bot, deleted_event(msg.ts, text, older))
        gate.go.set()
        await slack.wait_for(lambda: any(m.thread_ts == older and m.text.startswith("The description was deleted")
                                         for m in slack.messages("C1")), what="the reading ends")
        await bot.settle()
        stored = await bot.runtime.services.store.by_thread("C1", older)
        assert stored is not None and "2,000 historical tickets" not in stored.model_dump_json()


async def test_a_description_addressed_to_the_bot_without_a_command_is_read(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        await paste(bot, "<@UBOT> here is our brief:\n" + BRIEF)
        await slack.wait_for(lambda: report(bot) != "", what="report")
        assert readings(slack) == 1


@pytest.mark.parametrize("extra", [{"subtype": "thread_broadcast", "root": {}},
                                   {"subtype": "file_share", "files": [{"id": "F1", "name": "arch.png"}]}],
                         ids=["also-sent-to-channel", "with-a-file"])
async def test_description_sent_to_the_channel_too_or_with_a_file_is_read(
        extra: dict[str, Any], slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        await paste(bot, BRIEF, **extra)
        await slack.wait_for(lambda: report(bot) != "", what="report")
        assert "suggestions from the pasted description" in report(bot)


# -- words that say what happened ----------------------------------------------------------------------------------

async def test_checklist_without_rules_says_so_instead_of_blaming_the_description(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        status, _ = await bot.command("start Ticket router --checklist deployment-quality")
        assert status == 200
        await slack.wait_for(lambda: bot.open_card() is not None, what="first card")
        await bot.settle()
        await paste(bot, BRIEF)
        await slack.wait_for(lambda: bool(slack.ephemerals("C1")), what="the person is told")
        await bot.settle()
        told = slack.ephemerals("C1")[0]
        assert told.user == "U2"
        assert told.text == ("The helper has no rules for the “Pre-deployment quality gate” checklist, so it "
                             "suggests no answers from a description here: the team answers each card.")
        assert readings(slack) == 0 and report(bot) == ""


async def test_repaste_after_answering_counts_what_was_stored(slack: SlackStandIn, redis_server: RedisServer,
                                                              redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        await paste(bot, BRIEF)
        await slack.wait_for(lambda: "Helper suggests" in card_text(bot), what="hint")
        card = bot.open_card()
        assert card is not None
        await bot.click(card, "answer_no")  # q1 answered while its (equal) suggestion is stored
        await slack.wait_for(lambda: bot._closed(card, "C1"), what="q1 answered")
        await bot.settle()
        await paste(bot, BRIEF)
        await slack.wait_for(lambda: sum(is_report(m.text) for m in bot.thread()) == 2, what="second report")
        first, second = [m.text for m in bot.thread() if is_report(m.text)]
        total = int(first.split()[0])
        assert second.startswith(f"{total - 1} suggestions from the pasted description, shown on each card"), second
        assert "; 1 more for questions already answered, so the team's answer stays." in second, second


# -- failures after "Reading the description…" ---------------------------------------------------------------------

class _Broken:
    async def suggest(self, description: str, checklist: Checklist) -> SuggestionReport:
        raise RuntimeError("the reader broke")


def reading_lines(bot: Bot) -> list[str]:
    return [m.text for m in bot.thread() if "description" in m.text and m.user == "UBOT"]


async def test_a_failure_while_reading_is_told_and_the_thread_says_nothing_was_saved(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        bot.runtime.services.suggester = _Broken()
        await paste(bot, BRIEF)
        await slack.wait_for(lambda: bool(slack.ephemerals("C1")), what="the person is told")
        await bot.settle()
        told = slack.ephemerals("C1")[0]
        assert told.user == "U2" and "could not handle that message (ref " in told.text
        assert reading_lines(bot) == ["The helper could not read the description, so nothing was saved and the cards "
                                      "are unchanged. Paste it again, or answer the cards yourself."]
        assert "Helper" not in card_text(bot)


async def test_a_store_failure_while_saving_is_told_and_the_thread_says_so(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)

        store = bot.runtime.services.store
        update = store.update

        async def down(eid: str, fn: Any, **kwargs: Any) -> Any:
            if kwargs.get("action") == "suggestions":  # the write that stores what the helper read
                raise StoreUnavailable("timeout", recorded="unknown")
            return await update(eid, fn, **kwargs)

        store.update = down  # type: ignore[method-assign]
        await paste(bot, BRIEF)
        await slack.wait_for(lambda: bool(slack.ephemerals("C1")), what="the person is told")
        await bot.settle()
        told = slack.ephemerals("C1")[0]
        assert told.user == "U2" and "stopped answering while it handled your message" in told.text
        assert reading_lines(bot) == ["The helper read the description, but ftcheck could not confirm the "
                                      "suggestions were saved. If the open card shows no helper hint in a minute, "
                                      "paste the description again."]


async def test_redis_stalling_while_the_model_reads_leaves_no_reading_line(
        slack: SlackStandIn, redis_client: aioredis.Redis) -> None:
    own = RedisServer()
    own.start()
    try:
        with OpenAIStandin() as api:
            api.respond_delay(2.0, then=GOOD)
            async with running_bot(slack, own.url, OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=api.base_url,
                                   FTCHECK_LLM_TIMEOUT=10, FTCHECK_LLM_RETRIES=0, FTCHECK_REDIS_TIMEOUT=1.0) as bot:
                await started(bot)
                await paste(bot, BRIEF)
                await slack.wait_for(lambda: readings(slack) == 1, what="reading")
                own.pause()  # a failover while the model reads: the write after its answer times out
                await slack.wait_for(lambda: bool(slack.ephemerals("C1")), timeout=20, what="the person is told")
                own.resume()
                await bot.settle()
                assert "Reading the description…" not in reading_lines(bot)
                assert any("could not confirm the suggestions were saved" in t for t in reading_lines(bot))
    finally:
        own.resume()
        own.close()


async def test_cost_of_a_malformed_llm_answer_is_counted(slack: SlackStandIn, redis_server: RedisServer,
                                                         redis_client: aioredis.Redis) -> None:
    with OpenAIStandin() as api:
        api.respond_text('{"numbers": [', usage=(100_000, 20_000))
        async with running_bot(slack, redis_server.url, OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=api.base_url,
                               FTCHECK_LLM_TIMEOUT=3, FTCHECK_LLM_RETRIES=0) as bot:
            await started(bot)
            before = LLM_COST._value.get()
            await paste(bot, BRIEF)
            await slack.wait_for(lambda: report(bot) != "", what="report")
            assert "the AI helper could not answer, so the built-in reader made them" in report(bot)
            # 100k prompt tokens at $0.15/1M + 20k completion tokens at $0.60/1M
            assert LLM_COST._value.get() - before == pytest.approx(0.027)


# -- an edited or deleted description ------------------------------------------------------------------------------

def _revision(root_ts: str, ts: str, text: str, *, subtype: str, now: str | None = None) -> dict[str, Any]:
    before = {"type": "message", "user": "U2", "text": text, "ts": ts, "thread_ts": root_ts}
    event: dict[str, Any] = {"type": "message", "subtype": subtype, "channel": "C1", "hidden": True,
                             "ts": f"{float(ts) + 100:.6f}", "previous_message": before}
    if subtype == "message_deleted":
        return {**event, "deleted_ts": ts, "thread_ts": root_ts}
    return {**event, "message": {**before, "text": now, "edited": {"user": "U2", "ts": event["ts"]}}}


async def test_deleting_the_description_takes_its_quotes_off_the_cards(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        ts = await paste(bot, BRIEF)
        await slack.wait_for(lambda: "2,000 historical tickets" in card_text(bot), what="hint")
        root = slack.messages("C1", top_level=True)[-1]
        await bot.event(_revision(root.ts, ts, BRIEF, subtype="message_deleted"))
        await slack.wait_for(lambda: "Helper" not in card_text(bot), what="the hint leaves the card")
        stored = await bot.runtime.services.store.by_thread("C1", root.ts)
        assert stored is not None and stored.suggestions == {}


async def test_an_edited_description_is_read_again_and_a_link_preview_is_not(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        ts = await paste(bot, BRIEF)
        await slack.wait_for(lambda: "Helper suggests: Yes" in card_text(bot), what="hint")
        await bot.settle()
        root = slack.messages("C1", top_level=True)[-1]
        await bot.event(_revision(root.ts, ts, BRIEF, subtype="message_changed", now=BRIEF))  # an unfurl
        await bot.settle()
        assert readings(slack) == 1
        fixed = BRIEF.replace("We have 2,000 historical tickets", "We have 200 historical tickets")
        await bot.event(_revision(root.ts, ts, BRIEF, subtype="message_changed", now=fixed))
        await slack.wait_for(lambda: "Helper suggests: No" in card_text(bot), what="the edit is read")
        assert readings(slack) == 2 and "2,000 historical tickets" not in card_text(bot)


# -- a description deleted or edited while the helper reads it; a deleted one's quotes leave the record -----------

class _Held:
    """The bot's own suggester, held before it reads a description naming ``held`` until the test lets it go."""

    def __init__(self, inner: Any, held: str) -> None:
        self.inner, self.held = inner, held
        self.reading, self.go = asyncio.Event(), asyncio.Event()

    async def suggest(self, description: str, checklist: Checklist) -> SuggestionReport:
        if self.held in description:
            self.reading.set()
            await asyncio.wait_for(self.go.wait(), timeout=10)
        report: SuggestionReport = await self.inner.suggest(description, checklist)
        return report


def _listeners() -> set[asyncio.Task[Any]]:
    return {t for t in asyncio.all_tasks() if "ListenerRunner" in repr(t.get_coro()) and not t.done()}


async def handled(bot: Bot, event: dict[str, Any]) -> None:
    """Send ``event`` and wait until the bot's work on it after the ack is done (it may make no Slack call)."""
    before = _listeners()
    status, _ = await bot.event(event)
    assert status == 200
    started_now = _listeners() - before
    assert started_now, "the event started no listener"
    _, pending = await asyncio.wait(started_now, timeout=10)
    assert not pending, "the event's listener did not finish"


def _held_reading(bot: Bot, held: str) -> _Held:
    services = bot.runtime.services
    gate = _Held(services.suggester, held)
    services.suggester = gate
    return gate


async def test_a_description_deleted_while_it_is_read_leaves_nothing_behind(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        gate = _held_reading(bot, "2,000 historical tickets")
        ts = await paste(bot, BRIEF)
        await asyncio.wait_for(gate.reading.wait(), timeout=10)
        root = slack.messages("C1", top_level=True)[-1]
        await handled(bot, _revision(root.ts, ts, BRIEF, subtype="message_deleted"))  # before the reading ends
        gate.go.set()
        await slack.wait_for(lambda: "Reading the description…" not in reading_lines(bot), what="the reading ends")
        await bot.settle()
        assert reading_lines(bot) == ["The description was deleted while the helper read it, so nothing from it "
                                      "was kept."]
        assert "Helper" not in card_text(bot)
        stored = await bot.runtime.services.store.by_thread("C1", root.ts)
        assert stored is not None and stored.suggestions == {}


async def test_an_older_reading_finishing_after_the_edit_does_not_overwrite_it(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        gate = _held_reading(bot, "2,000 historical tickets")  # only the first text is held
        ts = await paste(bot, BRIEF)
        await asyncio.wait_for(gate.reading.wait(), timeout=10)
        root = slack.messages("C1", top_level=True)[-1]
        fixed = BRIEF.replace("We have 2,000 historical tickets", "We have 200 historical tickets")
        await bot.event(_revision(root.ts, ts, BRIEF, subtype="message_changed", now=fixed))
        await slack.wait_for(lambda: "Helper suggests: No" in card_text(bot), what="the edit is read")
        gate.go.set()  # the reading of the older text ends last
        await slack.wait_for(lambda: "Reading the description…" not in reading_lines(bot), what="both readings end")
        await bot.settle()
        assert "Helper suggests: No" in card_text(bot) and "2,000 historical tickets" not in card_text(bot)
        stored = await bot.runtime.services.store.by_thread("C1", root.ts)
        assert stored is not None
        assert "200 historical tickets" in stored.suggestions["labeled_examples"].evidence
        assert "The description was edited while the helper read it, so this reading of the older text was not " \
               "kept; the edited text counts." in reading_lines(bot)


async def test_deleting_the_description_removes_its_quotes_from_confirmed_answers_and_exports(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    quote = "2,000 historical tickets"
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        ts = await paste(bot, BRIEF)
        await slack.wait_for(lambda: quote in card_text(bot), what="hint")
        root = slack.messages("C1", top_level=True)[-1]  # before the exports: each is a message in the channel
        card = bot.open_card()
        assert card is not None
        await bot.click(card, "answer_yes", user="U3")  # confirmed from the suggestion: the quote is kept with it
        await slack.wait_for(lambda: bot._closed(card, "C1"), what="q1 answered")
        await bot.settle()
        assert quote in await export(bot, slack, "Ticket router", "json")  # the record quoted it
        await handled(bot, _revision(root.ts, ts, BRIEF, subtype="message_deleted"))
        await bot.settle()
        for fmt in ("json", "md", "csv"):
            assert quote not in await export(bot, slack, "Ticket router", fmt), fmt
        data = json.loads(await export(bot, slack, "Ticket router", "json"))
        q1 = next(a for a in data["answers"] if a["question"] == "q1")
        assert q1["answer"] == 1.0 and "U3" in q1["by"] and q1["suggested"] == 1.0
        assert q1["suggestion_quote"] is None
        assert q1["suggestion_reason"] == "quote removed: the description it came from was deleted"
        stored = await bot.runtime.services.store.by_thread("C1", root.ts)
        assert stored is not None and stored.answers["labeled_examples"].value == 1.0
        assert quote not in stored.model_dump_json()


SHORT_BRIEF = ("We have 2,000 historical tickets labeled with the correct queue, all real customer tickets exported "
               "from Zendesk and spanning the last 18 months.")


def deleted_event(msg_ts: str, text: str, thread_ts: str | None = None) -> dict[str, Any]:
    before: dict[str, Any] = {"type": "message", "user": "U2", "text": text, "ts": msg_ts}
    event: dict[str, Any] = {"type": "message", "subtype": "message_deleted", "channel": "C1", "hidden": True,
                             "ts": f"{float(msg_ts) + 100:.6f}", "deleted_ts": msg_ts, "previous_message": before}
    if thread_ts:
        before["thread_ts"] = event["thread_ts"] = thread_ts
    return event


async def test_a_short_suggest_command_deleted_while_it_is_read_leaves_nothing(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    """``@ftcheck suggest …`` has no length minimum: its deletion is recorded whatever its length."""
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        gate = _held_reading(bot, "2,000 historical tickets")
        root = slack.messages("C1", top_level=True)[-1]
        text = "<@UBOT> suggest " + SHORT_BRIEF
        msg = slack.add_message("C1", text=text, user="U2", thread_ts=root.ts)
        await bot.event({"type": "app_mention", "channel": "C1", "user": "U2", "text": text, "ts": msg.ts,
                         "thread_ts": root.ts})
        await asyncio.wait_for(gate.reading.wait(), timeout=10)
        await handled(bot, deleted_event(msg.ts, text, root.ts))
        gate.go.set()
        await slack.wait_for(lambda: "Reading the description…" not in reading_lines(bot), what="reading ends")
        await bot.settle()
        stored = await bot.runtime.services.store.by_thread("C1", root.ts)
        assert stored is not None and "2,000 historical tickets" not in stored.model_dump_json()
        assert reading_lines(bot)[-1] == ("The description was deleted while the helper read it, so nothing from "
                                          "it was kept."), reading_lines(bot)


async def test_a_suggest_command_in_the_channel_deleted_afterwards_takes_its_quotes_back(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await started(bot)
        text = "<@UBOT> suggest " + SHORT_BRIEF
        msg = slack.add_message("C1", text=text, user="U2")
        await bot.event({"type": "app_mention", "channel": "C1", "user": "U2", "text": text, "ts": msg.ts})
        store = bot.runtime.services.store

        async def stored_quote() -> bool:
            evs = await store.channel_evaluations("T0001", "C1")
            return "2,000 historical tickets" in evs[0].model_dump_json()

        for _ in range(100):
            if await stored_quote():
                break
            await asyncio.sleep(0.1)
        assert await stored_quote(), "the reading was never stored"
        await bot.settle()
        await handled(bot, deleted_event(msg.ts, text))
        await bot.settle()
        assert not await stored_quote(), "a deleted @ftcheck suggest kept its quote on the card and in exports"
