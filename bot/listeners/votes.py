"""Vote mode's buttons on a question card: Reveal votes, and the team answer of a split card."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.common import user
from bot.blocks.evaluation import REVEAL_ACTION, SETTLE_ACTION, early_reveal_refused
from bot.commands import CommandError
from bot.leads.access import may_manage
from bot.listeners.actions import clicked_here, existing
from bot.payloads import BlockAction
from bot.replies import after_ack, ephemeral_replier, tell_notice, tell_text
from bot.services import Services
from conversations import flow
from conversations.flow import SKIP
from conversations.voting import early_reveal_short, hidden_tally


@after_ack()
async def on_reveal(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    """Reveal votes before the quorum: by anyone once the card holds ``voting.EARLY_REVEAL_VOTES`` votes, by the
    starter, a lead or an admin with any (``voting.early_reveal_short``; who may manage is asked of Slack only when
    the rule would refuse the click)."""
    await ack()
    click = BlockAction.model_validate(body)
    ev = await clicked_here(services, click)
    if ev is not None:
        checklist = services.registry.get(ev.checklist)
        votes = early_reveal_short(ev, checklist, click.ref.question)
        if votes is not None and not await may_manage(services, click.user.id, ev):
            qid = checklist.question(click.ref.question).id
            voted = click.user.id in hidden_tally(ev.ballots.get(qid))
            await tell_text(client, body, early_reveal_refused(ev, checklist.question(qid).key, votes, voted=voted))
            return
    _, outcome = await services.engine.reveal(click.ref.evaluation, question=click.ref.question,
                                              user=click.user.id, seen=click.seen_token())
    await tell_notice(client, body, outcome)


@after_ack()
async def on_settle(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    """Only the starter, a lead (FTCHECK_LEADS) or a workspace admin chooses the answer of a split card."""
    await ack()
    click = BlockAction.model_validate(body)
    ref = click.ref
    ev = await existing(services, ref.evaluation, channel=click.channel.id)
    if ref.option is None:
        raise ValueError("settle_answer without an option")
    if (retired := flow.retired_choice(services.registry.get(ev.checklist), ref.question, ref.option)) is not None:
        raise CommandError(retired)
    if not await may_manage(services, click.user.id, ev):
        qid = services.registry.get(ev.checklist).question(ref.question).id
        voted = click.user.id in hidden_tally(ev.ballots.get(qid))
        await ephemeral_replier(client, body)(
            f"The team answer of a split card is chosen by the evaluation's starter ({user(ev.started_by)}), "
            "a lead or a workspace admin, so your click changed nothing."
            + (" Your vote is among those shown on the card." if voted else ""))
        return
    value = None if ref.option == SKIP else services.registry.get(ev.checklist).option(ref.option).value
    _, outcome = await services.engine.settle(ev.id, question=ref.question, user=click.user.id, value=value,
                                              seen=click.seen_token())
    await tell_notice(client, body, outcome)


def register(app: AsyncApp) -> None:
    app.action(REVEAL_ACTION)(on_reveal)
    app.action(re.compile(rf"^{SETTLE_ACTION}_[a-z0-9_-]+$"))(on_settle)
