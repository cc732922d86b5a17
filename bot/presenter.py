"""The engine's Presenter for Slack: turns owed effects into Web API calls."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import evaluation as eb
from conversations.models import Evaluation
from scoring.checklist import Checklist
from scoring.scorecard import Scorecard


def _ts(response: object) -> str:
    ts = getattr(response, "get", lambda _k: None)("ts")
    if not isinstance(ts, str):
        raise RuntimeError("Slack did not return a message ts")
    return ts


class SlackPresenter:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def post_root(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> str:
        resp = await self.client.chat_postMessage(channel=ev.channel, text=eb.root_text(ev, card),
                                                  blocks=eb.root_blocks(ev, checklist, card))
        return _ts(resp)

    async def update_root(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> None:
        if ev.thread_ts:
            await self.client.chat_update(channel=ev.channel, ts=ev.thread_ts, text=eb.root_text(ev, card),
                                          blocks=eb.root_blocks(ev, checklist, card))

    async def post_card(self, ev: Evaluation, checklist: Checklist, question_id: str) -> str:
        resp = await self.client.chat_postMessage(channel=ev.channel, thread_ts=ev.thread_ts,
                                                  text=eb.card_text(checklist, question_id),
                                                  blocks=eb.open_card_blocks(ev, checklist, question_id))
        return _ts(resp)

    async def update_card(self, ev: Evaluation, checklist: Checklist, card_ts: str) -> None:
        card = ev.cards.get(card_ts)
        if card is None:
            return
        await self.client.chat_update(channel=ev.channel, ts=card_ts, text=eb.card_text(checklist, card.question),
                                      blocks=eb.card_blocks(ev, checklist, card_ts))

    async def post_scorecard(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> str:
        resp = await self.client.chat_postMessage(channel=ev.channel, thread_ts=ev.thread_ts,
                                                  text=eb.scorecard_text(ev, card),
                                                  blocks=eb.scorecard_blocks(ev, checklist, card))
        return _ts(resp)

    async def post_provisional(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> None:
        await self.post_scorecard(ev, checklist, card)  # same blocks: the scorecard says it is provisional

    async def update_scorecard(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> None:
        if ev.scorecard_ts:
            await self.client.chat_update(channel=ev.channel, ts=ev.scorecard_ts, text=eb.scorecard_text(ev, card),
                                          blocks=eb.scorecard_blocks(ev, checklist, card))
