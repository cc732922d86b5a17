"""Pasted description -> suggestions in the thread. People still confirm every answer."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Literal

import structlog
from slack_sdk.errors import SlackApiError

from bot.blocks.common import Block, esc
from bot.blocks.suggestions import (
    deleted_report_text,
    failed_blocks,
    not_kept_blocks,
    reading_blocks,
    report_blocks,
    report_text,
    tally,
)
from bot.links import thread_link
from bot.metrics import LLM_CALLS, LLM_COST, LLM_TOKENS
from bot.presenter import PERMANENT, SlackPresenter
from bot.replies import Recorded, Reply
from bot.services import Services
from bot.slack_errors import error_code
from bot.slack_text import plain_text
from conversations import flow
from conversations.effects import DeliveryFailed
from conversations.models import Evaluation, SuggestionRef
from conversations.queries import suggest_for, suggestion_refs
from conversations.store import StoreUnavailable
from scoring.checklist import Checklist
from scoring.suggest import MAX_DESCRIPTION_CHARS, DescriptionTooLong, SuggestionReport, clean_description
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
    report line, with a link to the thread, where they typed it.

    Once "Reading the description…" is in the thread, a failure turns it into a line that says what was saved;
    the error is raised again so the person who pasted hears about it (:func:`bot.replies.on_error`). It is posted
    once (:class:`Placeholder`): a post Slack applied but did not confirm is looked for and replaced, never left.
    """
    checklist = svc.registry.get(ev.checklist)
    cleaned = clean_description(text)
    refusal = _refusal(ev, checklist, cleaned)
    if refusal is not None:
        await reply(refusal)
        return
    origin = f"the description given to `{command}`" if command else "the pasted description"
    placeholder = Placeholder(svc, ev, report_ref(ev, revision or source or secrets.token_hex(6)))
    await placeholder.post(origin)
    stage: Stage = "reading"
    try:
        report = await svc.suggester.suggest(cleaned, checklist)
        _count_usage(report)  # spent whether or not the suggestions get saved
        stage = "saving"
        refs = suggestion_refs(report, checklist, source)
        ev, stored, state = await _save(svc, ev.id, refs, user=user, source=source, revision=revision or source)
        log.info("suggestions", evaluation=ev.id, engine=report.engine, suggested=len(report.suggestions),
                 stored=len(stored), dropped=len(report.dropped), tokens=report.usage.total_tokens,
                 cost_usd=report.usage.estimated_cost_usd, source_state=state)
        if state != "current":  # deleted or edited meanwhile: nothing was stored, and nobody needs telling twice
            line = not_kept_line(state)
            await _replace(placeholder, line, not_kept_blocks(line))
            return
        stage = "showing"
        earlier = any(ref.source != source for ref in ev.suggestions.values())
        line = report_text(report, tally(report, checklist, ev, refs, stored), origin=origin, earlier=earlier,
                           mrkdwn=True)  # its quotes escaped: it is also the notification's text
        await placeholder.show(line, report_blocks(line))
        await _deleted_meanwhile(svc, placeholder, source, origin)
        if command:
            await reply(f"{line} It is in the thread of *{esc(ev.project)}*: {await thread_link(svc.client, ev)}")
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


async def _save(svc: Services, eid: str, refs: dict[str, SuggestionRef], *, user: str, source: str | None,
                revision: str | None) -> tuple[Evaluation, list[str], flow.SourceState]:
    """Store a reading's suggestions, unless its message was deleted or a later edit of it was read meanwhile.

    Returns the evaluation, the questions whose suggestion was stored (the others were answered already) and
    whether the reading still counted (``flow.source_state``: ``current``, else nothing was stored).
    """
    ev, stored = await svc.engine.suggest(eid, refs, user=user, source=source, revision=revision)
    return ev, stored, flow.source_state(ev, source, revision)


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
        await _forget(svc, ev, ts, user=user, origin="the pasted description")


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
        await _forget(svc, ev, ts, user=user, origin="the description given to `@ftcheck suggest`")


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


def report_ref(ev: Evaluation, revision: str) -> str:
    """The name (Slack metadata) of the line in the thread that reports on one reading: "Reading the
    description…", then what it found. ``revision``: the ts of the text read (a message's, or its edit's)."""
    return f"{ev.id}:reading:{revision}"


async def _forget(svc: Services, ev: Evaluation, ts: str, *, user: str, origin: str) -> None:
    """Take the deleted message ``ts``'s words out of ``ev`` (``flow.forget_source``), and turn the line that
    reported on its reading into one that says it was deleted."""
    read = ev.read_revisions.get(ts)  # the text of it whose report stands in the thread; None: none was stored
    ev = await svc.engine.forget_source(ev.id, ts, user=user)
    if read is not None:
        await _redraw_deleted(svc, ev, report_ref(ev, read), ts, origin)


async def _deleted_meanwhile(svc: Services, placeholder: Placeholder, source: str | None, origin: str) -> None:
    """The description was deleted after its suggestions were stored and before the report replaced "Reading the
    description…": the deletion's own redraw may have come first, so the report it overwrote is redrawn here."""
    if source is None:
        return
    try:
        ev = await svc.store.get(placeholder.ev.id)
    except StoreUnavailable:
        log.warning("suggestions_deletion_not_checked", evaluation=placeholder.ev.id)
        return
    if ev is not None and flow.source_state(ev, source) == "deleted":
        await _redraw_deleted(svc, ev, placeholder.ref, source, origin, ts=placeholder.ts)


async def _redraw_deleted(svc: Services, ev: Evaluation, ref: str, source: str, origin: str, *,
                          ts: str | None = None) -> None:
    """Turn the report named ``ref`` (at ``ts``, else looked for) into the line that says its description was
    deleted. The deletion itself is recorded and the cards no longer quote it; a Slack failure here (a 5xx, a
    timeout) is tried again in the background (:class:`_DeletedReport`), for the report still quotes it."""
    quoted = any(a.suggestion is not None and a.suggestion.source == source for a in ev.answers.values())
    report = _DeletedReport(svc, ev, ref, deleted_report_text(origin, quoted), ts)
    try:
        await report.redraw()
    except Exception as exc:
        if _permanent(exc):
            log.warning("suggestions_report_not_redrawn", evaluation=ev.id, ref=ref, error=_reason(exc))
            return
        log.info("suggestions_report_redraw_retrying", evaluation=ev.id, ref=ref, error=_reason(exc))
        report.retry_later()


# A deleted description's report that Slack did not redraw is tried again after each of these waits (seconds: about
# ten minutes in all), then given up with one warning. Held in this process only: a restart meanwhile drops it.
REDRAW_RETRY_S: tuple[float, ...] = (2, 4, 8, 16, 30, 60, 120, 180, 180)
_RETRYING: dict[str, asyncio.Task[None]] = {}  # report ref -> its retry (one per report, however often deleted)


def report_retries() -> list[asyncio.Task[None]]:
    """The retries still running, for a shutdown to stop (``Runtime.aclose``): a stopped bot redraws nothing."""
    return list(_RETRYING.values())


@dataclass
class _DeletedReport:
    """The report line of a deleted description, to be redrawn as the line that says it was deleted."""

    svc: Services
    ev: Evaluation
    ref: str
    line: str
    ts: str | None = None  # None until found by its metadata

    async def redraw(self) -> None:
        self.ts = self.ts or await SlackPresenter(self.svc.client).find_posted(self.ev, self.ref)
        if self.ts is not None:  # none found: no report stands in the thread
            await self.svc.client.chat_update(channel=self.ev.channel, ts=self.ts, text=self.line,
                                              blocks=not_kept_blocks(self.line))

    def retry_later(self) -> None:
        if self.ref in _RETRYING:
            return  # already being retried: it draws the same line
        task = asyncio.get_running_loop().create_task(self._retry())
        _RETRYING[self.ref] = task
        task.add_done_callback(lambda _: _RETRYING.pop(self.ref, None))

    async def _retry(self) -> None:
        error, tries = "unknown", 1
        for wait in REDRAW_RETRY_S:
            await asyncio.sleep(wait)
            tries += 1
            try:
                await self.redraw()
            except Exception as exc:
                error = _reason(exc)
                if _permanent(exc):
                    break
                continue
            log.info("suggestions_report_redrawn_late", evaluation=self.ev.id, ref=self.ref, tries=tries)
            return
        log.warning("suggestions_report_not_redrawn", evaluation=self.ev.id, ref=self.ref, error=error, tries=tries)


def _permanent(exc: Exception) -> bool:
    """Slack refused the redraw in a way no retry helps (the report was deleted, the channel archived)."""
    if isinstance(exc, DeliveryFailed):
        return exc.permanent
    return isinstance(exc, SlackApiError) and error_code(exc) in PERMANENT


def _reason(exc: Exception) -> str:
    if isinstance(exc, DeliveryFailed):
        return exc.reason
    return error_code(exc) if isinstance(exc, SlackApiError) else type(exc).__name__


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


def not_kept_line(state: flow.SourceState) -> str:
    """What "Reading the description…" becomes when the description changed while the helper read it."""
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
