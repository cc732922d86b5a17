"""The engine's Presenter and Recovery for Slack: owed effects become Web API calls.

Every message the bot posts for an evaluation carries Slack message metadata naming what it is
(``Evaluation.post_ref``), so the outbox can look a message up in the thread before posting it again.
Slack's errors become :class:`DeliveryFailed`, permanent when retrying cannot help (archived channel,
message too long …), so one bad message is given up on instead of being retried forever.

Such a post answered 429 is not retried inside slack_sdk (``bot.ratelimit.findable_post``):
:meth:`SlackPresenter._post` waits Retry-After itself, then posts again only while the delivery still holds its
evaluation (``conversations.engine.DeliveryHold``), and only after looking for the post by its metadata. A delivery
whose hold ran out meanwhile does not post it again: another replica's outbox may have taken the evaluation over.
"""

from __future__ import annotations

import asyncio
import random
from datetime import datetime
from typing import Any

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import evaluation as eb
from bot.blocks.common import Block, context, esc, section
from bot.blocks.leads import start_again_text
from bot.blocks.scorecard import decision_change_text, scorecard_blocks, scorecard_text
from bot.blocks.suggestions import PASTED, deleted_report_text, given_to, not_kept_blocks
from bot.links import message_url
from bot.metrics import SLACK_API_RETRIES
from bot.ratelimit import findable_post
from bot.slack_errors import error_code
from conversations.effects import (
    DeliveryFailed,
    PostDecisionChange,
    PostSplit,
    RedrawDeletedReport,
    UpdateSplit,
    report_ref,
)
from conversations.engine import delivery_hold
from conversations.models import Evaluation
from conversations.voting import agreement
from scoring.checklist import Checklist
from scoring.scorecard import Scorecard

log = structlog.get_logger(__name__)

METADATA_TYPE = "ftcheck_message"
# Slack errors that no retry can fix: give up on the message and tell the people in the thread.
PERMANENT = frozenset({
    "is_archived", "channel_not_found", "not_in_channel", "msg_too_long", "invalid_blocks",
    "invalid_blocks_format", "no_text", "too_many_attachments", "restricted_action", "cant_update_message",
    "message_not_found", "edit_window_closed", "invalid_metadata_format", "invalid_metadata_schema",
    "account_inactive", "invalid_auth", "not_authed", "token_revoked", "missing_scope", "team_access_not_granted",
    "user_disabled", "user_not_found", "user_not_visible",  # conversations.open: no DM with that person
})
_WHAT = {"root": "the evaluation's first message", "card": "a question card", "scorecard": "the scorecard",
         "update_root": "an update of the evaluation's first message", "update_card": "an update of a card",
         "decision_change": "the note that a changed answer changed the decision",
         "split": "the note that a split question waits for its team answer"}


# Where a deleted description came from, as its report line names it (``RedrawDeletedReport.via``)
READ_ORIGIN = {"paste": PASTED, "command": given_to("@ftcheck suggest")}


def deleted_message(ev: Evaluation) -> tuple[str, list[Block]]:
    """What a deleted evaluation's messages say instead (its root, its cards still open, its scorecard)."""
    who = f" by <@{ev.deleted_by}>" if ev.deleted_by else ""
    return (f"Deleted evaluation of {esc(ev.project)}",
            [section(f"~{esc(ev.project)}~ — deleted"), context(f"This evaluation was deleted{who}.")])


# A findable post answered 429 is posted again after Retry-After at most this often (slack_sdk's handler did 4),
# and only for a Retry-After up to RETRY_AFTER_MAX_S: a longer one goes to the outbox (the entry's backoff).
RATELIMITED_RESENDS = 4
RETRY_AFTER_MAX_S = 60.0
RETRY_AFTER_JITTER_S = 0.5  # added to each wait, as slack_sdk does: posts held back together do not return together
# A post no outbox takes over (a reminder, a nudge …) answered 5xx and not found afterwards is posted at most this
# often in all (slack_sdk's handler posted it up to 4 times, blindly), waiting ONCE_BACKOFF_S, then twice that, between.
ONCE_POSTS = 3
ONCE_BACKOFF_S = 0.5


class RateLimited(DeliveryFailed):
    """Slack answered 429: nothing was applied; the same call may go again after ``retry_after`` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("ratelimited", permanent=False)
        self.retry_after = retry_after


def retry_after(response: Any) -> float:
    """The seconds of a 429's ``Retry-After`` header (1 when it is missing or not a number, as slack_sdk does)."""
    headers = getattr(response, "headers", None) or {}
    value = next((v for k, v in headers.items() if str(k).lower() == "retry-after"), None)
    if isinstance(value, list):  # slack_sdk hands some headers over as lists
        value = value[0] if value else None
    try:
        return max(0.0, float(value)) if value is not None else 1.0
    except (TypeError, ValueError):
        return 1.0


def _ts(response: Any) -> str:
    ts = response.get("ts") if hasattr(response, "get") else None
    if not isinstance(ts, str):
        raise DeliveryFailed("Slack did not return a message ts", permanent=False)
    return ts


def post_metadata(eid: str, ref: str) -> dict[str, Any]:
    """The Slack message metadata that names a post (``ref``), so that a repeat can find it."""
    return {"event_type": METADATA_TYPE, "event_payload": {"evaluation": eid, "ref": ref}}


def _ambiguous(exc: DeliveryFailed) -> bool:
    """Slack may have applied the call: no answer came (a timeout, a dropped connection), or a 5xx did."""
    status = getattr(getattr(exc.__cause__, "response", None), "status_code", None)
    return exc.unanswered or (isinstance(status, int) and status >= 500)


def _failed(exc: Exception) -> DeliveryFailed:
    if isinstance(exc, SlackApiError):
        if getattr(exc.response, "status_code", None) == 429:
            return RateLimited(retry_after(exc.response))
        code = error_code(exc)
        return DeliveryFailed(code, permanent=code in PERMANENT)
    return DeliveryFailed(type(exc).__name__, permanent=False, unanswered=True)  # a timeout, a dropped connection


class SlackPresenter:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._dms: dict[str, str] = {}  # user id -> the D id of the bot's DM with them (Slack keeps it for good)

    async def _call(self, method: str, **kwargs: Any) -> Any:
        try:  # the typed methods: each sends its arguments the way Slack expects (JSON, form or query)
            return await getattr(self.client, method.replace(".", "_"))(**kwargs)
        except (SlackApiError, SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise _failed(exc) from exc

    async def _post(self, ev: Evaluation, ref: str, *, channel: str | None = None, since: datetime | None = None,
                    **kwargs: Any) -> str:
        metadata = post_metadata(ev.id, ref)
        resends = 0
        while True:
            try:
                with findable_post():  # a 5xx goes to the outbox, which finds the post by ``ref`` if Slack applied it
                    return _ts(await self._call("chat.postMessage", channel=channel or ev.channel, metadata=metadata,
                                                **kwargs))
            except RateLimited as exc:
                if resends == RATELIMITED_RESENDS or exc.retry_after > RETRY_AFTER_MAX_S:
                    raise  # owed still: the outbox posts it after the entry's backoff, looking first
                await asyncio.sleep(exc.retry_after + random.uniform(0, RETRY_AFTER_JITTER_S))
                hold = delivery_hold()
                if hold is None or not await hold.still_held():
                    # the hold ran out while Slack held the post back: another replica's outbox may have claimed
                    # the evaluation and posted it. Leave it to that outbox, which looks first (never twice)
                    log.info("ratelimited_post_left_to_outbox", evaluation=ev.id, ref=ref)
                    raise DeliveryFailed(exc.reason, permanent=False, unconfirmed=True) from exc
                found = await self.find_posted(ev, ref, since=since, channel=channel)
                if found is not None:
                    return found
                resends += 1
                SLACK_API_RETRIES.labels("ratelimited").inc()

    async def post_once(self, ev: Evaluation, ref: str, *, look_first: bool = False, since: datetime | None = None,
                        outbox: bool = False, channel: str | None = None, **kwargs: Any) -> str:
        """Post a message in ``ev``'s channel at most once, though Slack may apply a post and still fail it (a 5xx, a
        dropped connection, an answer after the client gave up): it carries ``ref`` in its metadata, the client does
        not repeat it blindly, and after such a failure it is looked for; only a 5xx whose post is not there is
        posted again (a post that got no answer may still land: that failure is raised, ``unconfirmed``).

        ``look_first``: an earlier attempt may have posted it. ``since``: it may be a top-level message of the
        channel, posted after that time (else it is a reply in the evaluation's thread). ``outbox``: an outbox
        delivery posts it (:meth:`_post` waits a 429 out; no repeat here, the outbox's next try looks first);
        else the client waits a 429 out. ``channel``: posted there instead of in ``ev``'s channel (a DM's D id,
        :meth:`tell_dm`), as a top-level message looked for among those posted after ``since``.
        """
        if look_first and (found := await self._look(ev, ref, since, channel=channel)) is not None:
            return found
        posts = 1 if outbox else ONCE_POSTS
        attempt = 0
        while True:
            try:
                if outbox:
                    return await self._post(ev, ref, channel=channel, since=since, **kwargs)
                with findable_post(client_waits_429=True):
                    return _ts(await self._call("chat.postMessage", channel=channel or ev.channel,
                                                metadata=post_metadata(ev.id, ref), **kwargs))
            except DeliveryFailed as exc:
                if exc.unconfirmed or not _ambiguous(exc):
                    raise
                if (found := await self._look(ev, ref, since, exc, channel=channel)) is not None:
                    log.info("post_found", evaluation=ev.id, ref=ref)
                    return found
                if exc.unanswered:  # perhaps still under way at Slack: not posted again now
                    raise DeliveryFailed(exc.reason, permanent=False, unconfirmed=True) from exc
                attempt += 1
                if attempt == posts:
                    raise
                await asyncio.sleep(ONCE_BACKOFF_S * 2 ** (attempt - 1))
                SLACK_API_RETRIES.labels("server_error").inc()

    async def _look(self, ev: Evaluation, ref: str, since: datetime | None, failed: DeliveryFailed | None = None, *,
                    channel: str | None = None) -> str | None:
        """:meth:`find_posted`; a look that fails raises ``unconfirmed`` (whether it is there is not known)."""
        try:
            return await self.find_posted(ev, ref, since=since, channel=channel)
        except DeliveryFailed as exc:
            raise DeliveryFailed((failed or exc).reason, permanent=False, unconfirmed=True) from exc

    async def card_link(self, ev: Evaluation, checklist: Checklist) -> str | None:
        """A link to the open card (or the scorecard), for the root message."""
        targets = [ev.scorecard_ts] if ev.scorecard_ts else sorted(ev.open_cards())
        if not targets or ev.thread_ts is None:
            return None
        return await message_url(self.client, ev.channel, targets[-1], ev.thread_ts)

    async def post_root(self, ev: Evaluation, checklist: Checklist) -> str:
        verdict = eb.root_verdict(ev, checklist)
        return await self._post(ev, ev.post_ref("root"), text=eb.root_text(ev, checklist, verdict),
                                blocks=eb.root_blocks(ev, checklist, verdict=verdict))

    async def strike(self, ev: Evaluation, ts: str) -> None:
        """Draw one of a deleted evaluation's messages as deleted (:func:`deleted_message`)."""
        text, blocks = deleted_message(ev)
        await self._call("chat.update", channel=ev.channel, ts=ts, text=text, blocks=blocks)

    async def update_root(self, ev: Evaluation, checklist: Checklist) -> None:
        if ev.thread_ts and ev.status == "deleted":  # a delivery that overlapped the delete: it says so again
            await self.strike(ev, ev.thread_ts)
        elif ev.thread_ts:
            link = await self.card_link(ev, checklist)
            left = {qid: url for qid, ts in eb.left_cards(ev, checklist).items()
                    if (url := await message_url(self.client, ev.channel, ts, ev.thread_ts))}
            verdict = eb.root_verdict(ev, checklist)  # worked out once, for the text and the blocks alike
            await self._call("chat.update", channel=ev.channel, ts=ev.thread_ts,
                             text=eb.root_text(ev, checklist, verdict),
                             blocks=eb.root_blocks(ev, checklist, link, left, verdict))

    async def post_card(self, ev: Evaluation, checklist: Checklist, question_id: str) -> str:
        return await self._post(ev, ev.post_ref("card", question_id), thread_ts=ev.thread_ts,
                                 text=eb.card_text(ev, checklist, question_id),
                                 blocks=eb.open_card_blocks(ev, checklist, question_id))

    async def update_card(self, ev: Evaluation, checklist: Checklist, card_ts: str) -> None:
        card = ev.cards.get(card_ts)
        if card is not None and card.open and ev.status == "deleted":  # answered cards keep their answers
            await self.strike(ev, card_ts)
        elif card is not None:
            newest = ev.card_for(card.question)  # a card above a re-ask links to it (the workspace URL is cached)
            later = (await message_url(self.client, ev.channel, newest, ev.thread_ts)
                     if newest is not None and newest != card_ts else None)
            await self._call("chat.update", channel=ev.channel, ts=card_ts,
                             text=eb.card_text(ev, checklist, card.question, card_ts),
                             blocks=eb.card_blocks(ev, checklist, card_ts, later))

    async def post_scorecard(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> str:
        return await self._post(ev, ev.post_ref("scorecard"), thread_ts=ev.thread_ts,
                                text=scorecard_text(ev, card), blocks=self._scorecard(ev, checklist, card))

    async def update_scorecard(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> None:
        if ev.scorecard_ts and ev.status == "deleted":
            await self.strike(ev, ev.scorecard_ts)
        elif ev.scorecard_ts:
            await self._call("chat.update", channel=ev.channel, ts=ev.scorecard_ts, text=scorecard_text(ev, card),
                             blocks=self._scorecard(ev, checklist, card))

    @staticmethod
    def _scorecard(ev: Evaluation, checklist: Checklist, card: Scorecard) -> list[Block]:
        """The thread's scorecard; a re-evaluation's says the change since the result it re-evaluates."""
        previous = None if card.provisional else ev.previous_result
        return scorecard_blocks(ev, checklist, card, previous=previous, agreement=agreement(ev, checklist))

    # -- Recovery -------------------------------------------------------------------------------------------
    async def find_posted(self, ev: Evaluation, ref: str, *, since: datetime | None = None,
                          but: str | None = None, channel: str | None = None) -> str | None:
        """The ts of a message this evaluation posted under ``ref`` (its metadata), if Slack has it. ``since``: it
        may also be a top-level message of the channel posted after that time (a reminder, whose thread may be
        gone): the thread is looked at first, if it is still there, then the channel. ``but``: another one than it.
        ``channel``: a top-level message of that channel (a DM), posted after ``since`` (else after the start)."""
        places = _places(ev, ref, since) if channel is None else [_history(since or ev.started_at)]
        for method, args in places:
            try:
                found = await self._find_in(ref, method, {"channel": channel or ev.channel, **args}, but)
            except DeliveryFailed as exc:
                if since is None or exc.reason != "thread_not_found":
                    raise
                continue  # its root was deleted: the channel is looked at
            if found is not None:
                return found
        return None

    async def _find_in(self, ref: str, method: str, args: dict[str, str],
                       but: str | None = None) -> str | None:
        cursor = None
        for _ in range(10):  # a thread holds a few dozen messages; pages of 200
            page = await self._call(method, include_all_metadata=True, limit=200, **args,
                                    **({"cursor": cursor} if cursor else {}))
            for message in page.get("messages") or []:
                payload = ((message.get("metadata") or {}).get("event_payload") or {})
                if payload.get("ref") == ref and message.get("ts") != but:
                    return str(message.get("ts"))
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None

    async def delete_posted(self, ev: Evaluation, ts: str) -> None:
        """Delete a message posted twice (``engine.Engine.find_or_post``: a post that landed after its hold ran out)."""
        await self._call("chat.delete", channel=ev.channel, ts=ts)

    async def post_note(self, ev: Evaluation, checklist: Checklist, about: str) -> str:
        """Closed for inactivity: say so in the thread, with what to do next."""
        text = (f"This evaluation of *{esc(ev.project)}* had no answers for a long time, even after a nudge here, "
                "so it is closed and its cards no longer take answers. Nothing is lost: each answer so far stays on "
                f"its card above. {start_again_text(ev)}")
        return await self._post(ev, ev.post_ref("note"), thread_ts=ev.thread_ts, text=text)

    async def post_decision_change(self, ev: Evaluation, checklist: Checklist, change: PostDecisionChange) -> str:
        """A change after the scorecard changed the decision: one reply says what changed, linking the scorecard."""
        link = await message_url(self.client, ev.channel, ev.scorecard_ts, ev.thread_ts)
        text = decision_change_text(checklist, change, link, project=ev.project)
        return await self._post(ev, ev.post_ref(change.key), thread_ts=ev.thread_ts, text=text)

    async def post_split(self, ev: Evaluation, checklist: Checklist, split: PostSplit) -> str:
        """A split card waits for the starter: one reply mentions them (a card's redraw notifies nobody), linking
        the card."""
        link = await message_url(self.client, ev.channel, split.card, ev.thread_ts)
        text = eb.split_ping_text(ev, checklist, split.question, link)
        return await self._post(ev, ev.post_ref(split.key), thread_ts=ev.thread_ts, text=text)

    async def update_split(self, ev: Evaluation, checklist: Checklist, split: UpdateSplit, ts: str) -> None:
        """That reply (``ts``), once the split is settled or asked again (``engine.SplitReplies``): what happened, and
        nothing left to do. Its metadata stays (an edit without any keeps it), so the outbox still finds it."""
        await self._call("chat.update", channel=ev.channel, ts=ts, text=eb.split_settled_text(checklist, split))

    async def redraw_deleted_report(self, ev: Evaluation, report: RedrawDeletedReport) -> None:
        """The line that reported on a reading of a description deleted since (``engine.ReportLines``) now says it
        was deleted, and quotes none of it. Found by its metadata; a line not in the thread (never posted, or its
        thread is gone) is nothing to redraw. The same line however often it is drawn: a repeat is harmless."""
        try:
            ts = await self.find_posted(ev, report_ref(ev.id, report.revision))
        except DeliveryFailed as exc:
            if exc.reason != "thread_not_found":
                raise
            return
        if ts is None:
            return
        quoted = any(a.suggestion is not None and a.suggestion.source == report.source for a in ev.answers.values())
        line = deleted_report_text(READ_ORIGIN[report.via], quoted)
        await self._call("chat.update", channel=ev.channel, ts=ts, text=line, blocks=not_kept_blocks(line))

    async def tell_undelivered(self, ev: Evaluation, checklist: Checklist, what: str, reason: str) -> None:
        """Say plainly what could not be posted, and how to go on; in the thread, or to the starter when the bot
        cannot post in the channel."""
        text = _undelivered_text(ev, checklist, what.split(":")[0], reason)
        # findable, so Slack's 5xx after applying it does not post it twice; a repeat (the outbox's) looks first
        ref, again = _told_ref(ev, what, reason), _tell_attempts(ev) > 0
        if reason not in _CHANNEL_GONE and ev.thread_ts:
            await self.post_once(ev, ref, look_first=again, outbox=True, thread_ts=ev.thread_ts, text=text)
        else:
            await self.tell_dm(ev, ev.started_by, ref, text, look_first=again, outbox=True)

    async def tell_dm(self, ev: Evaluation, user: str, ref: str, text: str, *, look_first: bool = False,
                      outbox: bool = False) -> None:
        """A notice about ``ev`` to one person by DM, at most once (:meth:`post_once`): posted in the DM itself (its
        D id, not the user id), so that after a failure Slack may have applied it is looked for there, among the
        messages posted since the evaluation started (a bot's DM with a person holds few)."""
        dm = await self.dm_channel(user)
        if dm is None:  # not findable without the DM's id: posted to the user id, as before im:write was asked for
            await self._call("chat.postMessage", channel=user, text=text)
            return
        await self.post_once(ev, ref, look_first=look_first, since=ev.started_at, outbox=outbox, channel=dm,
                             text=text)

    async def dm_channel(self, user: str) -> str | None:
        """The D id of the bot's DM with ``user`` (``conversations.open``, once per person in this process). None
        when the app may not open DMs: it was installed before it asked for ``im:write``."""
        if (known := self._dms.get(user)) is not None:
            return known
        try:
            opened = await self._call("conversations.open", users=user)
        except DeliveryFailed as exc:
            if exc.reason != "missing_scope":
                raise
            log.warning("dm_not_opened", user=user, error=exc.reason,
                        fix="reinstall the app from deploy/slack-manifest-*.yaml to grant im:write and im:history")
            return None
        dm = ((opened.get("channel") or {}).get("id")) if hasattr(opened, "get") else None
        if not isinstance(dm, str) or not dm:
            raise DeliveryFailed("Slack did not return the DM's channel id", permanent=False)
        self._dms[user] = dm
        return dm


_CHANNEL_GONE = ("is_archived", "channel_not_found", "not_in_channel")


def _history(since: datetime) -> tuple[str, dict[str, str]]:
    """The channel's top-level messages posted after ``since`` (a minute earlier: clocks differ a little)."""
    return "conversations.history", {"oldest": f"{since.timestamp() - 60:.6f}"}


def _places(ev: Evaluation, ref: str, since: datetime | None) -> list[tuple[str, dict[str, str]]]:
    """Where in ``ev``'s channel a post under ``ref`` can be (:meth:`SlackPresenter.find_posted`), in order."""
    places: list[tuple[str, dict[str, str]]] = []
    if ref.endswith(":root"):
        places.append(_history(ev.started_at))
    elif ev.thread_ts is not None:
        places.append(("conversations.replies", {"ts": ev.thread_ts}))
    if since is not None:
        places.append(_history(since))
    return places


def _told_ref(ev: Evaluation, what: str, reason: str) -> str:
    """A give-up notice's metadata ref: the evaluation and the notice's effect (what was given up on, and why)."""
    return f"{ev.id}:told:{what}:{reason}"


def _tell_attempts(ev: Evaluation) -> int:
    """How often posting the owed give-up notice failed: after a failure, it may be in the thread already."""
    return next((o.attempts for o in ev.pending if o.key == "tell_undelivered"), 0)  # TellUndelivered.key


_OUT_OF_DATE = {"update_root": "The first message of", "update_card": "A question card of",
                "post_scorecard": "The scorecard of", "update_split": "The reply about a split question of"}


def _undelivered_text(ev: Evaluation, checklist: Checklist, kind: str, reason: str) -> str:
    """What ran out of tries, in words true to it: a message not posted (or refused an update for good), one left
    out of date while Slack fails (redrawn once it answers again), or the reminder not booked."""
    project, why = esc(ev.project), esc(reason)
    if kind == "book_reminder":  # nothing was to be posted: Redis or the checklist kept failing
        every = "monthly" if (checklist.reevaluate_every or (0, 0))[0] == 1 else "quarterly"
        return (f"I could not book the next re-evaluation reminder for *{project}*, after trying for a few minutes "
                f"(the error was `{why}`). Every answer is saved; `/ftcheck remind {project} {every}` here books it.")
    if kind == "redraw_deleted_report":  # a refusal for good ends it with a warning: Slack failed for minutes
        return (f"A line in this thread still quotes a description of *{project}* that was deleted: Slack did not "
                f"take its update (`{why}`). The description's words are out of the evaluation and its exports, "
                "and I'll redraw that line when Slack answers again.")
    if kind in _OUT_OF_DATE and reason not in PERMANENT and (kind != "post_scorecard" or ev.scorecard_ts):
        return (f"{_OUT_OF_DATE[kind]} *{project}* in this thread is out of date: Slack did not take its update "
                f"(`{why}`). Every answer is saved, and I'll redraw it when Slack answers again; meanwhile "
                f"`/ftcheck summary {project}` shows the current result.")
    what = _WHAT.get(kind.removeprefix("post_"), "a message")
    return (f"I could not post {what} for *{project}* (Slack said `{why}`). Every answer so far is saved; "
            f"{_go_on(ev, kind.removeprefix('post_'), reason)}")


def _go_on(ev: Evaluation, kind: str, reason: str) -> str:
    """What to do next: a lost question card comes back with `/ftcheck start <project>` in the channel."""
    start = f"`/ftcheck start {esc(ev.project)}`"
    if kind != "card":
        return "`/ftcheck status` in the channel shows where the evaluation stands."
    if reason == "is_archived":
        return (f"once <#{ev.channel}> is unarchived, invite me back with `/invite @ftcheck`, then run {start} "
                "there to continue: it posts the waiting question again.")
    if reason in _CHANNEL_GONE:
        return (f"invite me back to <#{ev.channel}> with `/invite @ftcheck`, then run {start} there to continue: "
                "it posts the waiting question again.")
    return f"{start} in <#{ev.channel}> posts the waiting question again, to continue."
