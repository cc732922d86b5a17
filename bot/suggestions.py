"""Pasted description -> suggestions in the thread. People still confirm every answer."""

from __future__ import annotations

from typing import Literal

import structlog

from bot.blocks.suggestions import failed_blocks, kept_count, reading_blocks, report_blocks, report_text
from bot.metrics import LLM_CALLS, LLM_COST, LLM_TOKENS
from bot.replies import Recorded, Reply
from bot.services import Services
from conversations.models import Evaluation
from conversations.queries import suggestion_refs
from conversations.store import StoreUnavailable
from scoring.checklist import Checklist
from scoring.suggest import MAX_DESCRIPTION_CHARS, DescriptionTooLong, SuggestionReport, clean_description
from scoring.suggest.pipeline import profile_for

log = structlog.get_logger(__name__)

Stage = Literal["reading", "saving", "showing"]


async def run_suggestions(svc: Services, ev: Evaluation, text: str, user: str, reply: Reply, *,
                          source: str | None = None) -> None:
    """Read ``text`` (plain text, as the person typed it) and show the suggestions on the open cards.

    ``source``: the message the description came from; what it suggested before (it was edited) and does not
    suggest now is dropped, and deleting it takes its quotes back (:mod:`bot.listeners.events`).

    Once "Reading the description…" is in the thread, a failure turns it into a line that says what was saved;
    the error is raised again so the person who pasted hears about it (:func:`bot.replies.on_error`).
    """
    checklist = svc.registry.get(ev.checklist)
    cleaned = clean_description(text)
    refusal = _refusal(ev, checklist, cleaned)
    if refusal is not None:
        await reply(refusal)
        return
    placeholder = await svc.client.chat_postMessage(channel=ev.channel, thread_ts=ev.thread_ts,
                                                    text="Reading the description…", blocks=reading_blocks(user))
    stage: Stage = "reading"
    try:
        report = await svc.suggester.suggest(cleaned, checklist)
        _count_usage(report)  # spent whether or not the suggestions get saved
        stage = "saving"
        ev, stored = await svc.engine.suggest(ev.id, suggestion_refs(report, checklist, source), user=user,
                                              source=source)
        log.info("suggestions", evaluation=ev.id, engine=report.engine, suggested=len(report.suggestions),
                 stored=len(stored), dropped=len(report.dropped), tokens=report.usage.total_tokens,
                 cost_usd=report.usage.estimated_cost_usd)
        stage = "showing"
        await svc.client.chat_update(channel=ev.channel, ts=placeholder["ts"],
                                     text=report_text(report, kept_count(report, checklist, stored)),
                                     blocks=report_blocks(report, checklist, ev, stored))
    except Exception as exc:
        line = failure_line(stage, exc)
        await _replace(svc, ev, placeholder["ts"], line)
        if isinstance(exc, DescriptionTooLong):
            await reply(str(exc))
            return
        if stage == "showing":
            raise Recorded("The suggestions from your description are saved and shown on the open cards, but "
                           "Slack did not take the summary line in the thread. No need to paste it again.") from exc
        raise


def _refusal(ev: Evaluation, checklist: Checklist, cleaned: str) -> str | None:
    """Why this description is not read at all (nothing is posted in the thread), or None."""
    if len(cleaned) > MAX_DESCRIPTION_CHARS:
        return (f"That description has {len(cleaned):,} characters; the limit is {MAX_DESCRIPTION_CHARS:,}. "
                "Paste the parts about data, accuracy, budget, timeline and team.")
    if ev.status != "in_progress":
        return "That evaluation is finished; start a re-evaluation to use a new description."
    if profile_for(checklist) is None:
        return (f"The helper has no rules for the “{checklist.title}” checklist, so it suggests no answers from a "
                "description here: the team answers each card.")
    if not cleaned:
        return "That description is empty once invisible characters are removed: paste the text about the project."
    return None


def failure_line(stage: Stage, exc: Exception) -> str:
    """What the thread's "Reading the description…" line says when the helper fails: what was saved, what to do."""
    if stage == "reading":
        if isinstance(exc, DescriptionTooLong):
            return f"The description was not read: {exc}"
        return ("The helper could not read the description, so nothing was saved and the cards are unchanged. "
                "Paste it again, or answer the cards yourself.")
    if stage == "saving":
        if isinstance(exc, StoreUnavailable) and exc.recorded == "no":
            return ("The helper read the description, but ftcheck's data store did not save the suggestions, so "
                    "the cards are unchanged. Paste the description again in a minute.")
        return ("The helper read the description, but ftcheck could not confirm the suggestions were saved. If "
                "the open card shows no helper hint in a minute, paste the description again.")
    return "The suggestions are saved and shown on the open cards; this summary could not be posted."


async def _replace(svc: Services, ev: Evaluation, ts: str, line: str) -> None:
    """Turn the placeholder into ``line``; a Slack failure here is logged (the person is told either way)."""
    try:
        await svc.client.chat_update(channel=ev.channel, ts=ts, text=line, blocks=failed_blocks(line))
    except Exception:
        log.exception("suggestions_placeholder_not_updated", evaluation=ev.id)


def _count_usage(report: SuggestionReport) -> None:
    LLM_CALLS.labels(report.engine).inc()
    LLM_TOKENS.labels("prompt").inc(report.usage.prompt_tokens)
    LLM_TOKENS.labels("completion").inc(report.usage.completion_tokens)
    LLM_COST.inc(report.usage.estimated_cost_usd)
