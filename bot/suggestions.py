"""Pasted description -> suggestions in the thread. People still confirm every answer."""

from __future__ import annotations

import asyncio
import math
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

import structlog

from bot.blocks.common import Block, esc, when
from bot.blocks.suggestions import (
    PASTED,
    failed_blocks,
    given_to,
    not_kept_blocks,
    reading_blocks,
    report_blocks,
    report_text,
    tally,
)
from bot.links import thread_link
from bot.metrics import LLM_CALLS, LLM_COST, LLM_FAILURES, LLM_REQUESTS, LLM_TOKENS
from bot.presenter import SlackPresenter
from bot.replies import Recorded, Reply
from bot.services import Services
from bot.slack_text import plain_text
from conversations import ai_quota, flow
from conversations.effects import DeliveryFailed, ReadVia, report_ref
from conversations.models import Evaluation, SuggestionRef
from conversations.queries import suggest_for, suggestion_refs
from conversations.store import CorruptRecord, StoreUnavailable
from scoring.checklist import Checklist
from scoring.render import plural
from scoring.suggest import (
    MAX_DESCRIPTION_CHARS,
    DescriptionTooLong,
    OfflineSuggester,
    Suggester,
    SuggestionReport,
    clean_description,
)
from scoring.suggest.gate import reads_as_description
from scoring.suggest.pipeline import profile_for

log = structlog.get_logger(__name__)

Stage = Literal["reading", "saving", "showing"]
RECENT_IN_CHANNEL = 20  # a deleted suggest command's quotes are looked for in the channel's newest evaluations


async def run_suggestions(svc: Services, ev: Evaluation, text: str, user: str, reply: Reply, *,
                          source: str | None = None, revision: str | None = None, command: str | None = None) -> None:
    """Read ``text`` (plain text, as the person typed it) and show the suggestions on the open cards.

    ``source``: the message the description came from; what it suggested before (it was edited) and does not
    suggest now is dropped, and deleting it takes its quotes back (:func:`forget_description`). ``revision``: the
    ts of the edit read (default: the message's own ts); a reading is stored only if, by then, the message was
    not deleted and no later edit of it was read (checked in the write that stores it). ``command``: the text came
    with a command (``/ftcheck suggest``, ``@ftcheck suggest``), named in the report; its writer also gets the
    report line, with a link to the thread, where they typed it. Who reads it, and whether at all: :func:`_reader_for`.

    Once "Reading the description…" is in the thread, a failure turns it into a line that says what was saved;
    the error is raised again so the person who pasted hears about it (:func:`bot.replies.on_error`). It is posted
    once (:class:`Placeholder`): a post Slack applied but did not confirm is looked for and replaced, never left.
    """
    checklist = svc.registry.get(ev.checklist)
    cleaned = clean_description(text)
    digest = ai_quota.description_digest(cleaned)
    reader = await _reader_for(svc, ev, checklist, cleaned, digest, user=user, revision=revision, command=command,
                               reply=reply)
    if reader is None:
        return
    origin = given_to(command) if command else PASTED
    read = revision or source or secrets.token_hex(6)  # the text read: names its report line
    placeholder = Placeholder(svc, ev, report_ref(ev.id, read))
    await placeholder.post(origin)
    stage: Stage = "reading"
    try:
        report = await reader.suggester.suggest(cleaned, checklist)
        _count_usage(report)  # spent whether or not the suggestions get saved
        stage = "saving"
        refs = suggestion_refs(report, checklist, source)
        replacing = await _replacing(svc, ev.id, refs, source)
        ev, stored, state = await _save(svc, ev.id, refs, user=user, source=source, revision=revision or source)
        log.info("suggestions", evaluation=ev.id, engine=report.engine, suggested=len(report.suggestions),
                 stored=len(stored), dropped=len(report.dropped), tokens=report.usage.total_tokens,
                 cost_usd=report.usage.estimated_cost_usd, source_state=state, capped=reader.capped is not None)
        if state != "current":  # deleted or edited meanwhile: nothing was stored, and nobody needs telling twice
            line = not_kept_line(state, ev)
            await _replace(placeholder, line, not_kept_blocks(line))
            return
        if report.engine == "llm" and report.failure is None:  # the AI helper's own reading: not paid for twice
            await _remember(svc, ev, digest, stored)
        stage = "showing"
        earlier = any(ref.source != source for ref in ev.suggestions.values())
        counted = replace(tally(report, checklist, ev, refs, stored), replaced=replacing)
        line = report_text(report, counted, origin=origin, earlier=earlier,
                           mrkdwn=True)  # its quotes escaped: it is also the notification's text
        await _show(svc, placeholder, reader, line, ev, reply, source=source, read=read, command=command)
    except Exception as exc:
        line = failure_line(stage, exc)
        await _replace(placeholder, line)
        if isinstance(exc, DescriptionTooLong):
            await reply(str(exc))
            return
        if stage == "showing":
            raise Recorded("The suggestions from your description are saved and shown on the open cards, but "
                           "Slack did not take the summary line in the thread. No need to paste it again.") from exc
        raise


@dataclass(frozen=True)
class Reader:
    """Who reads a description: the configured helper, or the built-in reader when the member who gave it used up
    their AI helper readings for the hour (``capped``: their count, and when it starts again)."""

    suggester: Suggester
    capped: ai_quota.Taken | None = None

    def after(self, line: str, *, you: bool) -> str:
        """The report ``line``, followed by why the built-in reader read it when the member's limit was reached;
        ``you``: told to that member alone (else in the thread, where everyone reads it)."""
        return line if self.capped is None else f"{line} {capped_text(self.capped, you=you)}"


async def _reader_for(svc: Services, ev: Evaluation, checklist: Checklist, cleaned: str, digest: str, *, user: str,
                      revision: str | None, command: str | None, reply: Reply) -> Reader | None:
    """Who reads the description (``digest``: :func:`conversations.ai_quota.description_digest` of ``cleaned``), or
    None when it is not read: it is refused, or the AI helper read it for ``ev`` before and all it suggested then is
    still on the cards (an edit is always read: its message's earlier text may be being read; the built-in reader
    costs nothing, so what it read, or stood in for the AI helper on, is read again). The person is told which."""
    refusal = _refusal(ev, checklist, cleaned)
    if refusal is not None:
        await reply(refusal)
        return None
    if revision is None and svc.settings.openai_api_key and await ai_quota.already_read(svc.store, ev, digest):
        await reply(await _already_read_text(svc, ev, command))
        return None
    return await _reader(svc, ev, user)


async def _show(svc: Services, placeholder: Placeholder, reader: Reader, line: str, ev: Evaluation, reply: Reply, *,
                source: str | None, read: str, command: str | None) -> None:
    """Replace "Reading the description…" with the report ``line``; a command's writer also gets it, privately."""
    shown = reader.after(line, you=False)
    await placeholder.show(shown, report_blocks(shown))
    await _deleted_meanwhile(svc, placeholder, source, read, command)
    if command:
        await reply(f"{reader.after(line, you=True)} It is in the thread of *{esc(ev.project)}*: "
                    f"{await thread_link(svc.client, ev)}")


async def _reader(svc: Services, ev: Evaluation, user: str) -> Reader:
    """The configured helper, and one AI helper reading counted for ``user`` when it is the AI helper and
    FTCHECK_AI_READINGS_PER_HOUR limits it; past the limit, the built-in reader (nothing is refused or lost)."""
    limit = svc.settings.ai_readings_per_hour
    if not svc.settings.openai_api_key or limit == 0:
        return Reader(svc.suggester)
    taken = await ai_quota.take_reading(svc.store, user, limit)
    if taken.allowed:
        return Reader(svc.suggester)
    log.info("ai_readings_capped", evaluation=ev.id, user=user, limit=limit, resets_at=taken.resets_at.isoformat())
    return Reader(OfflineSuggester(), capped=taken)


def capped_text(taken: ai_quota.Taken, *, you: bool, now: datetime | None = None) -> str:
    """Why the built-in reader read a description: the AI helper's hourly limit for the member who gave it, and
    when the AI helper reads theirs again. ``you``: said to that member."""
    whose = "you" if you else "the member who gave this description"
    minutes = max(1, math.ceil((taken.resets_at - (now or datetime.now(UTC))).total_seconds() / 60))
    return (f"The AI helper's hourly limit for {whose} ({plural(taken.limit, 'reading')} an hour) was reached, so "
            f"the built-in reader was used; the AI helper is available to {'you' if you else 'them'} again from "
            f"{when(taken.resets_at)} (in {plural(minutes, 'minute')}).")


async def _already_read_text(svc: Services, ev: Evaluation, command: str | None) -> str:
    """The reply to a description read before for ``ev`` whose suggestions are all still on it: nothing is read."""
    where = f": {await thread_link(svc.client, ev)}" if command else "."
    return (f"This description was already read for *{esc(ev.project)}*, and its suggestions are still on the "
            f"cards, so it was not read again{where}")


async def _remember(svc: Services, ev: Evaluation, digest: str, stored: list[str]) -> None:
    """Record the reading just stored, so the same description is not read again while its suggestions stand; a
    failure only costs that (the next identical description is read again)."""
    try:
        await ai_quota.remember_reading(svc.store, ev, digest, stored)
    except StoreUnavailable as exc:
        log.warning("suggestions_reading_not_recorded", evaluation=ev.id, error=str(exc))


async def _save(svc: Services, eid: str, refs: dict[str, SuggestionRef], *, user: str, source: str | None,
                revision: str | None) -> tuple[Evaluation, list[str], flow.SourceState]:
    """Store a reading's suggestions, unless its message was deleted or a later edit of it was read meanwhile.

    Returns the evaluation, the questions whose suggestion was stored (the others were answered already) and
    whether the reading still counted (``flow.source_state``: ``current``, else nothing was stored).
    """
    ev, stored = await svc.engine.suggest(eid, refs, user=user, source=source, revision=revision)
    return ev, stored, flow.source_state(ev, source, revision)


async def _replacing(svc: Services, eid: str, refs: dict[str, SuggestionRef], source: str | None) -> int:
    """How many of ``refs`` would replace a suggestion another description put on a card: read just before the
    write, so the new line can say so (the earlier line said its suggestions were shown on each card)."""
    try:
        before = await svc.store.get(eid)
    except (StoreUnavailable, CorruptRecord):
        return 0
    if before is None:
        return 0
    return sum(1 for q in refs if (old := before.suggestions.get(q)) is not None and old.source != source
               and flow.takes_suggestion(before, q))


async def withdraw_description(svc: Services, ev: Evaluation, *, source: str, revision: str, user: str) -> None:
    """An edit made the message no description: what it suggested leaves the cards, and a reading of its older
    text still running is not stored after this."""
    await svc.engine.suggest(ev.id, {}, user=user, source=source, revision=revision)


async def forget_description(svc: Services, channel: str, thread_ts: str, ts: str, *, user: str,
                             text: str | None) -> None:
    """A deleted description (pasted by mistake, perhaps confidential): its suggestions leave the cards, its words
    leave the answers confirmed from it (and so the exports), and a reading of it still running stores nothing.

    ``text``: the message as it was (None when Slack did not send it). A reply that is no description (short, or a
    discussion: :func:`is_description`) deleted from a thread whose evaluation holds nothing of it costs no write;
    a description in an evaluation in progress may be being read, so the deletion is recorded (one write:
    ``flow.forget_source``). The line that reported on its reading then says it was deleted.
    """
    ev = await svc.store.by_thread(channel, thread_ts)
    if ev is None:
        return
    may_be_read = ev.status == "in_progress" and (text is None or await is_description(svc, plain_text(text)))
    if may_be_read or was_read(ev, ts):
        await _forget(svc, ev, ts, user=user, via="paste")


async def forget_suggest_command(svc: Services, team: str, channel: str, ts: str, *, user: str,
                                 thread_ts: str | None = None, text: str = "") -> None:
    """A deleted ``@ftcheck suggest …``: it was read for its thread's evaluation, or at channel level for the
    channel's open one (:mod:`bot.verbs`), which records the deletion (a reading still running stores nothing); an
    evaluation that has its quotes since completed gives them up too."""
    read_for = (await suggest_for(svc.store, team, channel, thread_ts, text)).evaluation  # as bot.verbs read it
    running = [read_for] if read_for is not None else []
    recent = await svc.store.channel_evaluations(team, channel, limit=RECENT_IN_CHANNEL)
    owed = {ev.id: ev for ev in running if ev.status == "in_progress"}
    owed |= {ev.id: ev for ev in [*running, *recent] if was_read(ev, ts)}
    for ev in owed.values():
        await _forget(svc, ev, ts, user=user, via="command")


def was_read(ev: Evaluation, ts: str) -> bool:
    """Whether ``ev`` holds anything of the message ``ts``: its quotes, or a stored reading (whose report line
    stands in the thread, even when all it suggested was for questions answered already)."""
    return flow.quotes_from(ev, ts) or ts in ev.read_revisions


async def is_description(svc: Services, text: str) -> bool:
    """Whether a thread message (plain text) is read as a project description: long enough, and answering
    checklist questions as a description does (:func:`scoring.suggest.gate.reads_as_description`; a long
    discussion reply does not). Nothing is posted about a message that is not."""
    if len(text) < svc.settings.description_min_chars:
        return False
    return await asyncio.to_thread(reads_as_description, text)  # regex work on up to 20,000 characters


async def _forget(svc: Services, ev: Evaluation, ts: str, *, user: str, via: ReadVia) -> None:
    """Take the deleted message ``ts``'s words out of ``ev`` and, in the same write, owe the redraw of the line that
    reported on its reading as one that says it was deleted (``flow.forget_source``): the outbox redraws it after a
    Slack failure, a restart, or on another replica."""
    await svc.engine.forget_source(ev.id, ts, user=user, via=via)


async def _deleted_meanwhile(svc: Services, placeholder: Placeholder, source: str | None, revision: str,
                             command: str | None) -> None:
    """The description was deleted after its suggestions were stored and before the report replaced "Reading the
    description…": the deletion's own redraw may have come first, so the report drawn over it is owed its redraw
    again (``flow.report_drawn``, decided in one write)."""
    if source is None:
        return
    try:
        await svc.engine.report_drawn(placeholder.ev.id, source=source, revision=revision,
                                      via="command" if command else "paste")
    except (StoreUnavailable, KeyError) as exc:
        log.warning("suggestions_deletion_not_checked", evaluation=placeholder.ev.id, error=str(exc))


def _refusal(ev: Evaluation, checklist: Checklist, cleaned: str) -> str | None:
    """Why this description is not read at all (nothing is posted in the thread), or None."""
    if len(cleaned) > MAX_DESCRIPTION_CHARS:
        return (f"That description has {len(cleaned):,} characters; the limit is {MAX_DESCRIPTION_CHARS:,}. "
                "Paste the parts about data, accuracy, budget, timeline and team.")
    if ev.status == "deleted":
        return (f"The evaluation of *{esc(ev.project)}* was deleted, so there is nothing left for a description "
                "to answer.")
    if ev.status != "in_progress":
        return (f"The evaluation of *{esc(ev.project)}* in this thread is finished, so a description can no longer "
                f"change its answers. `/ftcheck start {esc(ev.project)}` starts a new one that can use it.")
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


def not_kept_line(state: flow.SourceState, ev: Evaluation) -> str:
    """What "Reading the description…" becomes when the description changed while the helper read it, or the
    evaluation was deleted or closed."""
    if state == "closed":
        project = esc(ev.project)
        if ev.status == "deleted":
            return (f"The evaluation of *{project}* was deleted while the helper read the description, so nothing "
                    "from it was kept.")
        return (f"The evaluation of *{project}* was closed for inactivity while the helper read the description, "
                f"so nothing from it was kept. `/ftcheck start {project}` starts a new one that can use it.")
    if state == "deleted":
        return "The description was deleted while the helper read it, so nothing from it was kept."
    return ("The description was edited while the helper read it, so this reading of the older text was not kept; "
            "the edited text counts.")


@dataclass
class Placeholder:
    """"Reading the description…" in the thread, named ``ref`` in its Slack metadata (the description message's
    ts, or its edit's): Slack may apply its post and still fail it (a 5xx, a dropped connection, an answer after
    the client gave up), so it is looked for, never posted twice, and what replaces it replaces that one."""

    svc: Services
    ev: Evaluation
    ref: str
    ts: str | None = None  # None while its post is not confirmed

    async def post(self, origin: str) -> None:
        """Post it; a post Slack may have applied is looked for again when the result replaces it (:meth:`show`).
        A refusal is raised: nothing was read, and the person who pasted is told. ``origin``: where the text came
        from ("the pasted description")."""
        try:
            self.ts = await SlackPresenter(self.svc.client).post_once(
                self.ev, self.ref, thread_ts=self.ev.thread_ts, text="Reading the description…",
                blocks=reading_blocks(origin))
        except DeliveryFailed as exc:
            if not exc.unconfirmed:
                raise
            log.info("suggestions_placeholder_unconfirmed", evaluation=self.ev.id, error=exc.reason)

    async def show(self, text: str, blocks: list[Block]) -> None:
        """Replace it with ``text``; when its post was not confirmed, the one Slack applied after all, else the
        text is posted as a new reply (named as the placeholder was, so it is posted once too)."""
        presenter = SlackPresenter(self.svc.client)
        if self.ts is None:
            self.ts = await presenter.find_posted(self.ev, self.ref)
        if self.ts is None:
            self.ts = await presenter.post_once(self.ev, self.ref, thread_ts=self.ev.thread_ts, text=text,
                                                blocks=blocks)
            return
        await self.svc.client.chat_update(channel=self.ev.channel, ts=self.ts, text=text, blocks=blocks)


async def _replace(placeholder: Placeholder, line: str, blocks: list[Block] | None = None) -> None:
    """Turn the placeholder into ``line`` (``blocks``: a failure's by default); a Slack failure here is logged."""
    try:
        await placeholder.show(line, blocks or failed_blocks(line))
    except Exception:
        log.exception("suggestions_placeholder_not_updated", evaluation=placeholder.ev.id)


def _count_usage(report: SuggestionReport) -> None:
    LLM_CALLS.labels(report.engine).inc()
    LLM_TOKENS.labels("prompt").inc(report.usage.prompt_tokens)
    LLM_TOKENS.labels("completion").inc(report.usage.completion_tokens)
    LLM_COST.inc(report.usage.estimated_cost_usd)
    LLM_REQUESTS.inc(report.usage.calls)
    if report.failure is not None:
        LLM_FAILURES.labels(report.failure).inc()
