"""Project names as people typed and saw them, through the real bot: names that differ in meaning stay apart,
mentions read as the names people saw, names cannot break the bot's own formatting, invisible or odd input gets
the usual words, and `suggest` never guesses which evaluation a description is for."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import redis.asyncio as aioredis

from conversations.models import Evaluation
from conversations.store import Store
from scoring.checklist import Registry
from tests.bot.harness import Bot, message_texts, running_bot
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tools.slack_render.context import RenderContext
from tools.slack_render.mrkdwn import mrkdwn_to_html

ALL_YES = {q.key: 1.0 for q in Registry().get().questions}
BRIEF = " ".join((Path(__file__).parent.parent / "data" / "briefs" / "example4_marketing_subject_lines.md")
                 .read_text().split())
_events = itertools.count(1)


def typed(text: str) -> str:
    """What Slack sends for typed text: & < > as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def channel(redis_client: aioredis.Redis) -> list[Evaluation]:
    return await Store(redis_client).channel_evaluations("T0001", "C1")


async def finished(bot: Bot, name: str) -> None:
    await bot.command(f"start {typed(name)}")
    await bot.answer_all(ALL_YES, users=["U2"])
    await bot.slack.wait_for(lambda: bot.scorecard() is not None, what="the scorecard")
    await bot.settle(0.05)


def root_texts(slack: SlackStandIn) -> list[str]:
    """The evaluations' root messages (not the people's own messages at channel level)."""
    return [m.text for m in slack.messages("C1", top_level=True) if "valuation of" in m.text]


async def mention(bot: Bot, text: str, user: str = "U1") -> list[str]:
    """``@ftcheck …`` as Slack sends it (an app_mention event); returns the replies the person saw."""
    msg = bot.slack.add_message("C1", text=text, user=user)
    before = len(bot.slack.ephemerals())
    await bot.event({"type": "app_mention", "channel": "C1", "user": user, "text": text, "ts": msg.ts,
                     "team": "T0001"}, event_id=f"EvNames{next(_events)}")
    await bot.settle(0.3)
    return [e.text for e in bot.slack.ephemerals()[before:]]


def rendered(text: str) -> str:
    return mrkdwn_to_html(text, RenderContext(users={}, channels={}, viewer=None))


async def test_names_that_differ_in_meaning_are_projects_of_their_own(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await finished(bot, "C++ model")
        replies = len(slack.response_posts)
        await bot.command("start C# model")
        await slack.wait_for(lambda: len(root_texts(slack)) == 2, what="a second thread")
        await bot.settle()
        assert slack.response_posts[replies:] == []  # a first evaluation: no "Re-evaluation of *C++ model*"
        assert root_texts(slack)[-1].startswith("Evaluation of C# model:")
        sharp = (await channel(redis_client))[0]
        assert sharp.project == "C# model" and sharp.previous_id is None and sharp.prefill == {}
        history = await bot.reply_to("history C# model")
        assert history.startswith("*History of C# model in <#C1>* (1 evaluation)"), history
        assert "C++" not in history
        replies = len(slack.response_posts)
        await bot.command("start ???")
        await bot.command("start !!!")
        await slack.wait_for(lambda: len(root_texts(slack)) == 4, what="two more threads")
        await bot.settle()
        assert slack.response_posts[replies:] == []  # not "An evaluation of *???* is already in progress"
        # spellings of one name are still one project
        again = await bot.reply_to("start c#   MODEL")
        assert again.startswith("An evaluation of *C# model* is already in progress here"), again


async def test_suggest_with_several_in_progress_asks_which_and_writes_nothing(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Subject lines")
        await slack.wait_for(lambda: bot.open_card() is not None, what="the first card")
        await bot.command("start Invoice extraction", user="U2")
        await slack.wait_for(lambda: len(root_texts(slack)) == 2, what="a second thread")
        await bot.settle()
        calls = len(slack.calls)
        reply = await bot.reply_to(f"suggest {typed(BRIEF)}")
        assert reply.startswith("2 evaluations are in progress in this channel and I can't tell which one the "
                                "description is for, so I did not read it:"), reply
        assert "• *Invoice extraction*: <https://" in reply and "• *Subject lines*: <https://" in reply
        assert "`/ftcheck suggest Subject lines: &lt;description&gt;`" in reply
        await bot.settle()
        assert all(not ev.suggestions for ev in await channel(redis_client))
        assert [c.method for c in slack.calls[calls:] if c.method.startswith("chat.")] == []  # nothing in a thread

        named = await bot.reply_to(f"suggest subject LINES: {typed(BRIEF)}")
        assert "It is in the thread of *Subject lines*" in named, named
        invoice, subject = await channel(redis_client)
        assert subject.project == "Subject lines" and subject.suggestions and not invoice.suggestions
        assert all("subject LINES:" not in ref.evidence for ref in subject.suggestions.values())


async def test_mentions_read_as_the_names_people_saw(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    slack.set_user("U2", name="dev", real_name="Dev Eloper")
    slack.set_channel("C2", name="data-eng")
    slack.set_usergroup("S1", handle="labelers", name="Labelers")
    async with running_bot(slack, redis_server.url) as bot:
        assert await mention(bot, "<@UBOT> start Helper for <@U2>") == []
        await slack.wait_for(lambda: len(root_texts(slack)) == 1, what="the thread")
        assert root_texts(slack)[0].startswith("Evaluation of Helper for @dev:")
        typed_so = await bot.reply_to("start Helper for @dev")  # the same words through /ftcheck: one project
        assert typed_so.startswith("An evaluation of *Helper for @dev* is already in progress here"), typed_so
        again = await mention(bot, "<@UBOT> history Helper for <@U2>")
        assert again and again[0].startswith("*History of Helper for @dev in <#C1>*"), again
        assert [c.params.get("user") for c in slack.calls_to("users.info")].count("U2") == 1  # asked once
        await mention(bot, "<@UBOT> start Sync with <#C2> and <!subteam^S1> and <@U7Q>")
        await slack.wait_for(lambda: len(root_texts(slack)) == 2, what="a second thread")
        assert root_texts(slack)[-1].startswith("Evaluation of Sync with #data-eng and @labelers and @U7Q:")
        assert {ev.project for ev in await channel(redis_client)} == {
            "Helper for @dev", "Sync with #data-eng and @labelers and @U7Q"}


async def test_names_cannot_break_the_bots_own_formatting(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Router `a")
        await slack.wait_for(lambda: bot.open_card() is not None, what="the first card")
        reply = await bot.reply_to("start Router `a")
        html = rendered(reply)
        assert "<b>Router \u02cba</b>" in html and '<a class="link" href="https://' in html, html
        assert "<code>/ftcheck delete Router \u02cba</code>" in html, html
        root = slack.messages("C1", top_level=True)[-1]
        assert root.blocks[0]["text"]["text"] == "Evaluation: Router `a"  # plain text: as typed
        # the name as shown, copied into a command, is the name
        assert (await bot.reply_to("history Router \u02cba")).startswith("*History of Router \u02cba in <#C1>*")

        await bot.command(f"start {typed('*Launch* ~old~ `v2`')}")
        await slack.wait_for(lambda: len(root_texts(slack)) == 2, what="a second thread")
        html = rendered(await bot.reply_to(f"start {typed('*Launch* ~old~ `v2`')}"))
        assert "<b>\u2217Launch\u2217 \u223cold\u223c \u02cbv2\u02cb</b>" in html, html

        await bot.command("start Retour\u202e v2")  # a bidi override cannot turn the bot's sentences around
        await slack.wait_for(lambda: len(root_texts(slack)) == 3, what="a third thread")
        reversed_ = await bot.reply_to("start Retour\u202e v2")
        assert "\u202e" not in reversed_ and reversed_.startswith("An evaluation of *Retour v2* is already"), reversed_
        assert "Retour v2" in {ev.project for ev in await channel(redis_client)}
        assert slack.violations == []


async def test_a_note_cannot_turn_its_author_around(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Router")
        await slack.wait_for(lambda: bot.open_card() is not None, what="the first card")
        card = bot.open_card()
        assert card is not None
        await bot.click(card, "answer_yes", user="U2")
        await slack.wait_for(lambda: bot._closed(card, "C1"), what="card answered")
        answered = next(m for m in bot.thread() if m.ts == card.ts)
        await bot.select(answered, "note", user="U4")
        await slack.wait_for(lambda: bool(slack.calls_to("views.open")), what="note modal")
        view = slack.calls_to("views.open")[-1].params["view"]
        view = json.loads(view) if isinstance(view, str) else view
        await bot.submit_view("note_modal", {"note": {"note_text": {"type": "plain_text_input",
                                                                    "value": "\u202e1,200 labeled"}}},
                              private_metadata=view["private_metadata"], user="U4")
        await slack.wait_for(lambda: "1,200 labeled" in message_texts(
            next(m for m in bot.thread() if m.ts == card.ts)), what="the note on the card")
        shown = message_texts(next(m for m in bot.thread() if m.ts == card.ts))
        assert "1,200 labeled — <@U4>" in shown and "\u202e" not in shown, shown


async def test_invisible_names_and_odd_digits_get_the_usual_words(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        for blank in ("\u200b", "\u2060\u200b", "\u3164", "\u2800", "\u200b --vote"):
            reply = await bot.reply_to(f"start {blank}")
            assert reply == "Name the project: `/ftcheck start &lt;project name&gt;`.", (blank, reply)
        assert root_texts(slack) == []
        for text, words in [("list \u00b2", "`/ftcheck list` takes a page number"),
                            ("list \u2460", "`/ftcheck list` takes a page number"),
                            ("start Ticket bot --vote --quorum \u00b3", "`--quorum` takes a number of voters")]:
            reply = await bot.reply_to(text)
            assert reply.startswith(words), (text, reply)
        await bot.command("start Router")
        await slack.wait_for(lambda: len(root_texts(slack)) == 1, what="the thread")
        reply = await bot.reply_to("history Router \u00b2")
        assert reply.startswith("No evaluation of *Router \u00b2* that you can see here."), reply
        assert (await bot.reply_to("list \uff12")).startswith("There is 1 project you can see here")  # a full-width 2


async def test_a_name_full_of_ampersands_is_shown_whole_in_the_header(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: aioredis.Redis) -> None:
    name = ("Q&A " * 20).strip()  # 79 characters, within the 80 a name may have
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command(f"start {typed(name)}")
        await slack.wait_for(lambda: len(root_texts(slack)) == 1, what="the thread")
        header = slack.messages("C1", top_level=True)[0].blocks[0]["text"]["text"]
        assert header == f"Evaluation: {name}"
        await bot.command(f"start {typed('<' * 80)}")
        await slack.wait_for(lambda: len(root_texts(slack)) == 2, what="a second thread")
        header = slack.messages("C1", top_level=True)[-1].blocks[0]["text"]["text"]
        assert len(header) <= 150 and header.endswith("&lt;…"), header
