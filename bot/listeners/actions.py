"""Clicks on question cards: an answer button, the "Change answer" select, the "Add note" button."""

from __future__ import annotations

import re
from typing import Any, Literal

import aiohttp
import structlog
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.evaluation import ANSWER_ACTION, CHANGE_ACTION, NOTE_ACTION, NOTE_OPTION, stale_card
from bot.blocks.notices import (
    DELETED,
    late_vote,
    not_saved,
    notice_text_of,
    older_card,
    stale_card_words,
    team_answer_refusal,
)
from bot.blocks.scorecard import answerers
from bot.blocks.views import note_modal
from bot.commands import CommandError
from bot.leads.access import OtherChannel, in_its_channel, may_manage
from bot.links import message_url
from bot.payloads import AnswerClick, BlockAction
from bot.presenter import post_metadata
from bot.replies import after_ack, tell_notice, tell_text
from bot.services import Services
from bot.slack_errors import error_code
from conversations import flow
from conversations.models import Evaluation
from conversations.store import StoreUnavailable

log = structlog.get_logger(__name__)

ANSWER_PATTERN = re.compile(rf"^{ANSWER_ACTION}_[a-z0-9_-]+$")
# no record at all: nobody deleted it (a deleted evaluation is kept, marked deleted), so the words must not say so
NO_RECORD = ("ftcheck has no record of this evaluation any more, so nothing was recorded: its stored data was lost "
             "(for example, Redis was restarted without persistence). `/ftcheck start &lt;project&gt;` begins a "
             "new one.")


async def existing(services: Services, eid: str, *, channel: str) -> Evaluation:
    """The evaluation a card's button (or its note dialog) names, clicked in ``channel``: refused when it is not
    stored, when the click comes from another channel than the evaluation's (``access.in_its_channel``; said before
    anything about the evaluation, so a copied button value learns nothing), and when it was deleted."""
    ev = await stored(services, eid)
    if ev is None:
        raise CommandError(NO_RECORD)
    in_its_channel(ev, channel)
    if ev.status == "deleted":
        raise CommandError(DELETED)
    return ev


async def stored(services: Services, eid: str) -> Evaluation | None:
    """The evaluation as Redis holds it, read before a click's write. A read records nothing: when Redis fails it,
    the person is told that nothing was recorded, whatever the failure."""
    try:
        return await services.store.get(eid)
    except StoreUnavailable as exc:
        raise StoreUnavailable(str(exc), recorded="no", reason=exc.reason) from exc


async def clicked_here(services: Services, click: BlockAction) -> Evaluation | None:
    """The evaluation a card's click names, when stored, refused (``access.in_its_channel``) unless the click comes
    from its channel; None when it is not stored (the click's write says so, as before)."""
    ev = await stored(services, click.ref.evaluation)
    return None if ev is None else in_its_channel(ev, click.channel.id)


@after_ack()
async def on_answer(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    await ack()
    click = AnswerClick.model_validate(body)
    try:
        ev, outcome = await services.engine.answer(
            click.ref.evaluation, card_ts=click.message_ts, user=click.user.id, option=click.option(ANSWER_ACTION),
            question=click.ref.question, seen=click.seen_token(), channel=click.channel.id)
    except KeyError:
        await existing(services, click.ref.evaluation, channel=click.channel.id)  # the store's "no such evaluation"
        raise
    notice = outcome.notice if outcome is not None else None
    if notice is not None and notice.kind == "other_channel":  # checked in the write: no read of its own
        raise OtherChannel()
    if outcome is not None and notice is not None and notice.kind == "unknown_card" and notice.detail != "asked_again":
        await tell_not_saved(services, client, body, click, ev, outcome, "vote" if ev.mode == "vote" else "click")
        return
    if notice is not None and ev.mode == "vote" and notice.kind in ("revealed", "unknown_card"):
        await tell_text(client, body, await _vote_refusal(services, client, ev, click, notice))
        return
    await tell_notice(client, body, outcome)
    if notice is not None and notice.kind == "closed" and click.message_ts not in ev.cards:
        # a card the saved evaluation does not hold, of one that is over: it stops offering buttons too
        link = await message_url(client, ev.channel, ev.scorecard_ts, ev.thread_ts)
        await _draw_stale(services, client, ev, click, stale_card_words(notice, link))


async def _vote_refusal(services: Services, client: AsyncWebClient, ev: Evaluation, click: AnswerClick,
                        notice: flow.Notice) -> str:
    """A vote that did not count, in words for the voter: a late one says what this person may do about the answer
    (only the starter, a lead or an admin changes the team's); one on an earlier card of a question asked again
    links its newest card."""
    card = ev.cards.get(click.message_ts)
    if card is None or (notice.kind == "unknown_card" and notice.detail != "asked_again"):
        return notice_text_of(notice)
    if notice.kind == "unknown_card":
        link = await message_url(client, ev.channel, ev.card_for(card.question), ev.thread_ts)
        return older_card(notice, notice.round, link)
    team = bool(notice.team)
    may_change = team and await may_manage(services, click.user.id, ev)
    return late_vote(notice, may_change=may_change, team_answer=team, answerers_are=answerers(ev))


async def tell_not_saved(services: Services, client: AsyncWebClient, body: dict[str, Any], click: BlockAction,
                         ev: Evaluation, outcome: flow.Outcome, what: Literal["click", "vote", "change"]) -> None:
    """A click on a card the saved evaluation does not hold (``flow.not_saved``): the thread is ahead of what is
    stored. The person is told why nothing was recorded and which card asks now (the engine draws what is stored
    again a moment later: ``Outcome.redraw``, so that card gets its buttons back, the root its count); and the card
    clicked, when the saved evaluation does not hold it, stops offering
    buttons that cannot work."""
    notice = outcome.notice
    assert notice is not None
    asking = [ts for q in flow.waiting(ev) if (ts := ev.card_for(q)) is not None and ev.cards[ts].open]
    link = await message_url(client, ev.channel, asking[0], ev.thread_ts) if asking else None
    await tell_text(client, body, not_saved(notice, link, what))
    if click.message_ts not in ev.cards:
        await _draw_stale(services, client, ev, click, stale_card_words(notice, link))


async def _draw_stale(services: Services, client: AsyncWebClient, ev: Evaluation, click: BlockAction,
                      words: str) -> None:
    """Redraw the clicked message without buttons. Its metadata is renamed, so that looking for the card it was
    (``card:<question>:<n>``) never adopts it: a card of that question posted later is the one that asks."""
    text, blocks = stale_card(services.registry.get(ev.checklist), click.ref.question, words)
    ref = f"{ev.id}:stale:{click.ref.question}:{click.message_ts}"
    try:
        await client.chat_update(channel=click.channel.id, ts=click.message_ts, text=text, blocks=blocks,
                                 metadata=post_metadata(ev.id, ref))
    except (SlackApiError, SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
        # the person was told already; the card keeps its buttons, and a click on it is refused the same way
        log.warning("stale_card_not_redrawn", evaluation=ev.id, card=click.message_ts,
                    error=error_code(exc) if isinstance(exc, SlackApiError) else type(exc).__name__)


@after_ack()
async def on_change(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    """The select beside an answered card: "Change to …", or "Add a note…" (opens the note dialog)."""
    await ack()
    click = BlockAction.model_validate(body)
    ref = click.ref
    if ref.option == NOTE_OPTION:
        await open_note(click, client, services)
        return
    ev = await existing(services, ref.evaluation, channel=click.channel.id)
    if ref.option is None:
        raise ValueError("change_answer without an option")
    checklist = services.registry.get(ev.checklist)
    if (retired := flow.retired_choice(checklist, ref.question, ref.option)) is not None:
        raise CommandError(retired)
    # who may change a team's answer is asked here (Slack knows the admins); whether it is one, on the write
    may_override = ev.mode == "vote" and await may_manage(services, click.user.id, ev)
    value = checklist.option(ref.option).value
    stored, outcome = await services.engine.change(ev.id, question=ref.question, user=click.user.id, value=value,
                                                   seen=click.seen_token(), may_override=may_override)
    if outcome is not None and outcome.notice is not None and outcome.notice.kind == "team_answer":
        raise CommandError(team_answer_refusal(stored, checklist, checklist.question(ref.question).id))
    if outcome is not None and outcome.notice is not None and outcome.notice.kind == "unknown_card":
        await tell_not_saved(services, client, body, click, stored, outcome, "change")
        return
    await tell_notice(client, body, outcome)


@after_ack()
async def on_note_button(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    await ack()
    await open_note(BlockAction.model_validate(body), client, services)


async def open_note(click: BlockAction, client: AsyncWebClient, services: Services) -> None:
    ev = await existing(services, click.ref.evaluation, channel=click.channel.id)
    if not click.trigger_id:
        raise ValueError("add_note without a trigger id")
    checklist = services.registry.get(ev.checklist)
    if (retired := flow.retired_choice(checklist, click.ref.question, None)) is not None:
        raise CommandError(retired)  # dropped from the team's checklist while its card was out
    entry = ev.answers.get(checklist.question(click.ref.question).id)
    try:
        await client.views_open(trigger_id=click.trigger_id,
                                view=note_modal(ev, checklist, click.ref.question, click.channel.id,
                                                entry.note if entry else None))
    except SlackApiError as exc:
        raise CommandError(f"Slack did not open the note dialog ({error_code(exc)}), so nothing was changed. "
                           "Try adding the note again.") from exc


def register(app: AsyncApp) -> None:
    app.action(ANSWER_PATTERN)(on_answer)
    app.action(CHANGE_ACTION)(on_change)
    app.action(NOTE_ACTION)(on_note_button)
