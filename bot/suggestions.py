"""Pasted description -> suggestions in the thread. People still confirm every answer on its card."""

from __future__ import annotations

import structlog

from bot.blocks.suggestions import kept_count, reading_blocks, report_blocks, report_text
from bot.metrics import LLM_CALLS, LLM_COST, LLM_TOKENS
from bot.replies import Reply
from bot.services import Services
from conversations.models import Evaluation
from conversations.queries import suggestion_refs
from scoring.suggest import MAX_DESCRIPTION_CHARS, DescriptionTooLong, clean_description

log = structlog.get_logger(__name__)


async def run_suggestions(svc: Services, ev: Evaluation, text: str, user: str, reply: Reply) -> None:
    checklist = svc.registry.get(ev.checklist)
    cleaned = clean_description(text)
    if len(cleaned) > MAX_DESCRIPTION_CHARS:
        await reply(f"That description has {len(cleaned):,} characters; the limit is {MAX_DESCRIPTION_CHARS:,}. "
                    "Paste the parts about data, accuracy, budget, timeline and team.")
        return
    if ev.status != "in_progress":
        await reply("That evaluation is finished; start a re-evaluation to use a new description.")
        return
    placeholder = await svc.client.chat_postMessage(channel=ev.channel, thread_ts=ev.thread_ts,
                                                    text="Reading the description…", blocks=reading_blocks(user))
    try:
        report = await svc.suggester.suggest(cleaned, checklist)
    except DescriptionTooLong as exc:
        await reply(str(exc))
        return
    ev, refreshed = await svc.engine.suggest(ev.id, suggestion_refs(report, checklist), user=user)
    LLM_CALLS.labels(report.engine).inc()
    LLM_TOKENS.labels("prompt").inc(report.usage.prompt_tokens)
    LLM_TOKENS.labels("completion").inc(report.usage.completion_tokens)
    LLM_COST.inc(report.usage.estimated_cost_usd)
    log.info("suggestions", evaluation=ev.id, engine=report.engine, suggested=len(report.suggestions),
             refreshed=len(refreshed), dropped=len(report.dropped), tokens=report.usage.total_tokens,
             cost_usd=report.usage.estimated_cost_usd)
    await svc.client.chat_update(channel=ev.channel, ts=placeholder["ts"],
                                 text=report_text(report, kept_count(report, checklist, refreshed)),
                                 blocks=report_blocks(report, checklist, ev, refreshed))
