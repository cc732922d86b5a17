"""Events: pasted descriptions in an evaluation thread (posted, edited, deleted), and `@ftcheck …` mentions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import MENTION, VERBS, first_word
from bot.links import message_url
from bot.payloads import MessageEnvelope, PostedMessage, ReplyTarget, SlashCommand
from bot.replies import Reply, after_ack, ephemeral
from bot.services import Services
from bot.slack_text import plain_text, typed_text
from bot.suggestions import (
    forget_description,
    forget_suggest_command,
    is_description,
    run_suggestions,
    was_read,
    withdraw_description,
)
from bot.verbs import run_command
from conversations.models import Evaluation
from scoring.checklist import Checklist

# a thread reply also sent to the channel, and a reply with a file attached, are descriptions like any other
_DESCRIPTION_SUBTYPES = (None, "thread_broadcast", "file_share")
# a reply that is only an answer ("Yes", "not sure!"): the buttons record answers, typed words do not
_ANSWER_WORDS = frozenset({"yes", "partly", "no", "not sure", "skip"})
_ANSWER_MAX = 20


async def first_delivery(services: Services, envelope: MessageEnvelope) -> bool:
    return envelope.event_id is None or await services.store.once(f"evt:{envelope.event_id}")


def replier(client: AsyncWebClient, body: dict[str, Any]) -> Reply:
    return ephemeral(client, ReplyTarget.of(body))


def command_to(text: str, bot_user_id: str | None) -> bool:
    """``@ftcheck suggest …``: a mention of this bot followed by a verb, which on_mention runs.

    Slack sends such a message twice (a ``message`` and an ``app_mention`` event, different ids): the message
    listener leaves it to on_mention. "@ftcheck here is our brief: …" is no command, so it is read as a description.
    """
    found = MENTION.match(text)
    return found is not None and found.group(1) == bot_user_id and first_word(text[found.end():]) in VERBS


def description(services: Services, text: str, bot_user_id: str | None) -> str | None:
    """The plain text of a thread message the helper may read, or None: too short, or a command to the bot. Only
    one that reads as a description is read (:func:`bot.suggestions.is_description`, once the thread is known to be
    an evaluation's)."""
    if command_to(text, bot_user_id):
        return None
    plain = plain_text(text)
    return plain if len(plain) >= services.settings.description_min_chars else None


@after_ack()
async def on_message(body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext,
                     services: Services) -> None:
    envelope = MessageEnvelope.model_validate(body)
    msg = envelope.event
    if msg.subtype == "message_changed":
        await on_edit(services, envelope, replier(client, body), context.bot_user_id)
        return
    if msg.subtype == "message_deleted":
        await on_delete(services, envelope, context.bot_user_id)
        return
    if msg.subtype not in _DESCRIPTION_SUBTYPES or msg.bot_id or not msg.thread_ts or msg.thread_ts == msg.ts:
        return
    text = description(services, msg.text, context.bot_user_id)
    if text is None:
        await hint_typed_answer(services, envelope, client, body)
        return
    ev = await services.store.by_thread(msg.channel, msg.thread_ts)
    if ev is None or not await is_description(services, text) or not await first_delivery(services, envelope):
        return  # a discussion reply, however long, is no description: nothing is posted about it
    text = await typed_text(client, msg.text)  # its quotes name people as they were shown ("@dev", not "@U3")
    await run_suggestions(services, ev, text, msg.user or "", replier(client, body), source=msg.ts)


def typed_answer(text: str, checklists: Iterable[Checklist]) -> bool:
    """True for a reply that is only an answer word: Yes, partly, No!, not sure…, or an option of one of
    ``checklists``."""
    words = " ".join(re.sub(r"[^\w\s]", " ", plain_text(text)).lower().split())
    return words in _ANSWER_WORDS or any(words in (o.key, o.label.lower()) for c in checklists for o in c.options)


async def hint_typed_answer(services: Services, envelope: MessageEnvelope, client: AsyncWebClient,
                            body: dict[str, Any]) -> None:
    """An answer typed in an evaluation thread is not recorded: tell its writer, privately, where to click."""
    msg = envelope.event
    if len(msg.text) > _ANSWER_MAX or not msg.thread_ts or not msg.user:
        return
    if not typed_answer(msg.text, services.registry.all()):  # most short replies: no Redis read for them
        return
    ev = await services.store.by_thread(msg.channel, msg.thread_ts)
    if ev is None or ev.status != "in_progress" or not ev.open_cards():
        return
    if not await first_delivery(services, envelope):  # before the checklist: one that is not loaded is told once
        return
    if not typed_answer(msg.text, [services.registry.get(ev.checklist)]):
        return
    card_ts = max(ev.open_cards(), key=lambda ts: (len(ts), ts))
    key = services.registry.get(ev.checklist).question(ev.cards[card_ts].question).key
    url = await message_url(client, ev.channel, card_ts, ev.thread_ts)
    card = f"<{url}|its card>" if url else "its card in this thread"
    act = f"vote on {key}" if ev.mode == "vote" else f"answer {key}"
    await replier(client, body)(f"Answers typed in the thread are not recorded. To {act}, click a button on {card}.")


async def on_edit(services: Services, envelope: MessageEnvelope, reply: Reply, bot_user_id: str | None) -> None:
    """An edited description is read again; one edited into a non-description takes its suggestions back. A
    discussion reply edited (still no description) costs nothing.

    Slack also sends ``message_changed`` when a link preview is added: the text is the same, nothing happens.
    """
    msg, now = envelope.event, envelope.event.message
    if now is None or not now.is_reply or now.bot_id or not now.thread_ts:
        return
    new = description(services, now.text, bot_user_id)
    old = description(services, msg.previous_message.text, bot_user_id) if msg.previous_message else ""
    if new == old:
        return
    ev = await services.store.by_thread(msg.channel, now.thread_ts)
    if ev is None or ev.status != "in_progress" or not await first_delivery(services, envelope):
        return
    revision = (now.edited.ts if now.edited else None) or msg.ts  # the edit's time: a later edit counts over it
    if new is not None and not await is_description(services, new):
        new = None
    if new is None:
        if await _was_read(services, ev, now.ts, old):  # its older text may be being read, or its quotes shown
            await withdraw_description(services, ev, source=now.ts, revision=revision, user=now.user or "")
        return
    new = await typed_text(services.client, now.text)  # as on_message: mentions named as they were shown
    await run_suggestions(services, ev, new, now.user or "", reply, source=now.ts, revision=revision)


async def _was_read(services: Services, ev: Evaluation, ts: str, old: str | None) -> bool:
    """Whether the message ``ts``, whose text before the edit was ``old`` (None: not a description by length), was
    read as a description: the evaluation holds something of it, or its older text read as one."""
    return was_read(ev, ts) or (old is not None and await is_description(services, old))


async def on_delete(services: Services, envelope: MessageEnvelope, bot_user_id: str | None) -> None:
    """A deleted description (pasted by mistake, perhaps confidential): its quotes leave the evaluation. So do an
    ``@ftcheck suggest …``'s, in a thread (read for that thread's evaluation) or in the channel (read for the
    channel's open evaluation)."""
    msg = envelope.event
    before: PostedMessage | None = msg.previous_message
    thread_ts = (before.thread_ts if before else None) or msg.thread_ts
    if not msg.deleted_ts:
        return
    user, text = (before.user if before else None) or "", before.text if before else None
    if text is not None and _suggest_command(text, bot_user_id):
        await forget_suggest_command(services, envelope.team, msg.channel, msg.deleted_ts, user=user,
                                     thread_ts=thread_ts if thread_ts != msg.deleted_ts else None,
                                     text=await _suggest_text(services, text))
    elif thread_ts and thread_ts != msg.deleted_ts:
        await forget_description(services, msg.channel, thread_ts, msg.deleted_ts, user=user, text=text)


async def _suggest_text(services: Services, text: str) -> str:
    """What followed ``@ftcheck suggest``, read as ``bot.verbs.read`` reads a command (mentions by name): a
    project's name may lead it (``Invoice extraction: …``)."""
    found = MENTION.match(text)
    rest = text[found.end():] if found else text
    return (await typed_text(services.client, rest)).strip().partition(" ")[2]


def _suggest_command(text: str, bot_user_id: str | None) -> bool:
    found = MENTION.match(text)
    return command_to(text, bot_user_id) and found is not None and first_word(text[found.end():]) == "suggest"


@after_ack()
async def on_mention(body: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    envelope = MessageEnvelope.model_validate(body)
    msg = envelope.event
    if not msg.user or not await first_delivery(services, envelope):
        return
    request = SlashCommand(text=MENTION.sub("", msg.text), user_id=msg.user, channel_id=msg.channel,
                           team_id=envelope.team, message_ts=msg.ts,
                           thread_ts=msg.thread_ts if msg.thread_ts != msg.ts else None)
    await run_command(services, request, replier(client, body))


def register(app: AsyncApp) -> None:
    app.event("message")(on_message)
    app.event("app_mention")(on_mention)
