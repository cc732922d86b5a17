"""What the person hears when something goes wrong: one Bolt error handler, and the words it uses.

Listeners raise; :func:`on_error` answers the person who acted with a short ephemeral message. It is Bolt's
``@app.error`` handler, and :func:`after_ack` (every listener's decorator) hands it what a listener raises
after its ack. A :class:`~bot.commands.CommandError` carries our own words for the person; a
:class:`~conversations.store.StoreUnavailable` is worded from what the store knows (was anything recorded?); a
:class:`~scoring.checklist.UnknownChecklist` (an evaluation whose team checklist file went bad or away after it
started) names the checklist and why it cannot be loaded; a Slack ``missing_scope`` says the app must be
reinstalled from the manifest (trying again cannot help), and the log names the method and the scope;
anything else — a payload that fails validation included — is logged with the request's kind and ids and
answered with an apology and a reference, never with the exception's text.
"""

from __future__ import annotations

import asyncio
import functools
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import structlog
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.ack_first import CURRENT, GATE, Ticket
from bot.blocks.common import clip, esc
from bot.blocks.evaluation import ANSWER_ACTION, REVEAL_ACTION
from bot.blocks.notices import notice_text
from bot.commands import MENTION, CommandError, is_read_only
from bot.payloads import ReplyTarget
from bot.slack_errors import error_code
from conversations.flow import Outcome
from conversations.store import StoreUnavailable
from scoring.checklist import UnknownChecklist

log = structlog.get_logger(__name__)

Reply = Callable[[str], Awaitable[None]]
Listener = Callable[..., Awaitable[None]]

_WHAT = {"command": "command", "block_actions": "click", "view_submission": "note"}


# What a click whose write may or may not have landed was, as far as the card shows it: a vote on an open vote card
# shows only who has voted until the reveal (``bot.blocks.evaluation._tally``), never what they chose.
Clicked = Literal["answer", "vote", "reveal"]


def unavailable_text(exc: StoreUnavailable, what: str = "click", *, clicked: Clicked = "answer",
                     reads_only: bool = False) -> str:
    """The truth about an outage: say nothing was recorded only when the store is sure of it. ``clicked``: what
    the click was, so "look at the card" names what the card will show (a hidden vote shows only its voter).
    ``reads_only``: a command that changes nothing anyone entered (:data:`bot.commands.READS_ONLY`)."""
    if exc.reason == "full":
        return (f"ftcheck's data store is full and refuses new data, so this {what} was not saved — your earlier "
                "answers are safe. Tell your admin (Redis reached its memory limit), then try again.")
    if exc.recorded == "unknown" and reads_only:
        return ("ftcheck's data store stopped answering, so this command could not finish. It changes nothing you "
                "entered: your answers are as they were. Try again in a minute.")
    if exc.recorded == "unknown":
        return (f"ftcheck's data store stopped answering while it handled your {what}, so we could not confirm it "
                f"was saved. {_check_later(what, clicked)}")
    if exc.reason == "refused":
        return (f"ftcheck's data store turned down this {what} for a moment (it is failing over, cannot save to its "
                "disk, or is busy), so nothing from it was recorded — your earlier answers are safe. Try again in a "
                "minute; if it keeps happening, tell your admin.")
    if exc.reason == "busy":
        return (f"Too many people changed this evaluation at the same moment; nothing from this {what} was "
                "recorded. Try again in a moment.")
    return ("ftcheck is temporarily unavailable — your earlier answers are safe, try again in a moment. "
            f"(Our data store did not answer; nothing from this {what} was recorded.)")


def checklist_problem(exc: UnknownChecklist) -> str:
    """``the checklist “Team gate”, which can't be loaded right now (its file team-gate.yaml failed validation)``"""
    return f"the checklist “{esc(exc.name)}”, which can't be loaded right now ({esc(exc.reason)})"


def checklist_fix(exc: UnknownChecklist) -> str:
    """Who can fix it and how; ``ftcheck checklists`` lists a skipped file's problems (a missing one it cannot)."""
    if exc.problem is not None:
        return "Ask whoever runs ftcheck to fix that file; `ftcheck checklists` lists its problems."
    if exc.team_dir is None:
        return "Ask whoever runs ftcheck to set FTCHECK_CHECKLIST_DIR again; `ftcheck checklists` lists what loads."
    return ("Ask whoever runs ftcheck to put the checklist file back; `ftcheck checklists` lists what loads and "
            "what was skipped.")


def checklist_unavailable_text(exc: UnknownChecklist, what: str = "click") -> str:
    """An evaluation whose checklist is not loaded (its team file went bad or away after it started): which one,
    why as far as we know, and that nothing was lost. Every caller raises it before it writes anything."""
    return (f"This evaluation uses {checklist_problem(exc)}, so nothing from this {what} was recorded. Your answers "
            f"so far are safe. {checklist_fix(exc)}")


def _check_later(what: str, clicked: Clicked = "answer") -> str:
    if what != "click":
        return "Wait a minute and check whether it took effect before you try again."
    if clicked == "vote":
        return ("Look at the card in a minute: it lists who has voted, never what. If it lists you, your vote was "
                "recorded (click the same answer again to see it); if not, vote again.")
    if clicked == "reveal":
        return ("Look at the card in a minute: if it shows the votes, they were revealed; if not, click Reveal votes "
                "again.")
    return "Look at the card in a minute: if it shows your answer, it was recorded; if not, click again."


def clicked_of(body: dict[str, Any], action: str | None) -> Clicked:
    """What a click was, read from its payload: a vote is an answer button on an open vote card (one with a Reveal
    votes button: Slack sends the clicked message's blocks with the click)."""
    if action == REVEAL_ACTION:
        return "reveal"
    if not (action or "").startswith(f"{ANSWER_ACTION}_"):
        return "answer"
    message = body.get("message")
    blocks = message.get("blocks") if isinstance(message, dict) else None
    for block in blocks if isinstance(blocks, list) else []:
        elements = block.get("elements") if isinstance(block, dict) else None
        if isinstance(elements, list) and any(isinstance(e, dict) and e.get("action_id") == REVEAL_ACTION
                                              for e in elements):
            return "vote"
    return "answer"


class Recorded(CommandError):
    """The person's action was recorded, but telling Slack about it failed; the words say so."""


class Tailed(Exception):
    """A listener's error, and words to add to what the person is told about it (:func:`unsaved_note`)."""

    def __init__(self, error: Exception, tail: str) -> None:
        super().__init__(tail)
        self.error, self.tail = error, tail


UNSAVED_MAX = 12_000  # the note quoted back, escaped (Slack takes 40,000 characters in a message)


def unsaved_note(text: str, *, sure: bool = True) -> str:
    """What someone typed in the note dialog, quoted back when saving it was refused after the dialog closed, so
    nothing they wrote is lost: escaped, and cut only when it would not fit a message. ``sure``: known not to
    be saved (a store that stopped answering mid-write may have saved it)."""
    return f"Your note{', not saved' if sure else ', in case it was not saved'}: “{clip(esc(text), UNSAVED_MAX)}”"


# Listener work still running after its ack (a vote written, its "You voted" reply): a shutdown waits for it
# (:func:`finish_after_ack`), or a rollout would drop clicks Slack was already told were taken.
AFTER_ACK: set[asyncio.Task[Any]] = set()


async def finish_after_ack(timeout_s: float) -> int:
    """Wait, at most ``timeout_s``, for listener work still running after its ack; how many did not end."""
    running = [task for task in AFTER_ACK if not task.done() and task is not asyncio.current_task()]
    if not running:
        return 0
    _, left = await asyncio.wait(running, timeout=timeout_s)
    return len(left)


def after_ack() -> Callable[[Listener], Listener]:
    """Every listener's decorator: a failure after the ack goes to :func:`on_error`, as ``@app.error`` would.

    Why not let it reach ``@app.error``: Bolt 1.30's async runner, when an acknowledged listener raises
    before the dispatcher has read the ack, puts the ack back to None; the dispatcher then waits out its
    3 s and answers Slack 404 "unhandled request" (measured: 3.0 s, 404, on a refused reminder click).
    ``@app.error`` still covers middleware and anything raised before an ack.

    A Slack error raised by a listener never means its write landed: the engine's deliveries report Slack's
    refusals to the outbox, and :func:`tell_notice` logs its own, so what reaches here came before or instead
    of a write. Bolt reads the wrapped function's argument names (``inspect.unwrap``), so injection is
    unchanged; the listener must take ``services`` (for the client) and ``body`` or ``command``.

    Over HTTP, the listener's ``ack`` then yields to requests still waiting for theirs (:mod:`bot.ack_first`).
    """

    def decorate(listener: Listener) -> Listener:
        @functools.wraps(listener)
        async def wrapper(**kwargs: Any) -> None:
            ticket = CURRENT.get()
            if ticket is not None and "ack" in kwargs:
                kwargs["ack"] = _acking(kwargs["ack"], ticket)
            task = asyncio.current_task()
            if task is not None:
                AFTER_ACK.add(task)
            try:
                await listener(**kwargs)
            except Exception as error:
                if ticket is not None:
                    ticket.release()  # failed, perhaps before its ack: telling the person is not an ack
                body = kwargs.get("body") or kwargs.get("command") or {}
                await on_error(error, body, kwargs["services"].client, kwargs.get("respond"))
            finally:
                if ticket is not None:
                    ticket.release()  # ended without its ack: it will not ack now
                if task is not None:
                    AFTER_ACK.discard(task)

        return wrapper

    return decorate


def _acking(ack: Callable[..., Awaitable[None]], ticket: Ticket) -> Callable[..., Awaitable[None]]:
    """``ack``, after which this request no longer waits and its listener lets waiting requests go first."""

    async def acked(*args: Any, **kwargs: Any) -> None:
        await ack(*args, **kwargs)
        ticket.release()
        await GATE.yield_to_acks()

    return acked


MANIFESTS = "deploy/slack-manifest-http.yaml or deploy/slack-manifest-socket.yaml"


def missing_scope(error: BaseException) -> dict[str, str] | None:
    """A Slack call refused with ``missing_scope`` (the app was installed without a scope ftcheck now uses): the
    API method, and the scope Slack says it ``needed`` and the ones it was ``provided``; None for anything else."""
    if not isinstance(error, SlackApiError) or error_code(error) != "missing_scope":
        return None
    data = getattr(error.response, "data", None)
    data = data if isinstance(data, dict) else {}
    url = str(getattr(error.response, "api_url", "") or "")
    return {"method": url.rstrip("/").rsplit("/", 1)[-1] or "unknown", "needed": str(data.get("needed") or ""),
            "provided": str(data.get("provided") or "")}


def missing_scope_text(scope: dict[str, str], what: str) -> str:
    """Trying again can never help: the app needs a permission only a reinstall from the manifest grants."""
    needed = f" ({esc(scope['needed'])})" if scope["needed"] else ""
    return (f"ftcheck's Slack app lacks a permission this {what} needs{needed}, so it could not finish, and trying "
            "again will not help. Ask a Slack admin to update the app from ftcheck's current manifest "
            f"({MANIFESTS}: *App Manifest* in the app's settings) and reinstall it. Your earlier answers are safe.")


def words_for(error: BaseException, what: str, clicked: Clicked = "answer", *,
              reads_only: bool = False) -> tuple[str, str | None]:
    """(text for the person, a log reference when the error was unexpected); ``reads_only``: as
    :func:`unavailable_text`."""
    if isinstance(error, CommandError):
        return (str(error.args[0]) if error.args else str(error)), None
    if isinstance(error, StoreUnavailable):
        return unavailable_text(error, what, clicked=clicked, reads_only=reads_only), None
    if isinstance(error, UnknownChecklist):
        return checklist_unavailable_text(error, what), None
    if (scope := missing_scope(error)) is not None:
        return missing_scope_text(scope, what), None
    ref = secrets.token_hex(4)
    return (f"Sorry — ftcheck could not handle that {what} (ref {ref}). Your earlier answers are safe; try "
            "again, and tell your admin the ref if it keeps happening."), ref


async def on_error(error: Exception, body: dict[str, Any], client: AsyncWebClient,
                   respond: AsyncRespond | None = None) -> None:
    """Bolt's global error handler (listeners and middleware alike): log, then tell the person who acted."""
    target = ReplyTarget.of(body)
    what = _WHAT.get(target.kind, "message")
    tail = ""
    if isinstance(error, Tailed):
        tail = f" {error.tail}"
        error = error.error
    text, ref = words_for(error, what, clicked_of(body, target.ids.get("action")),
                          reads_only=is_read_only(_command_text(target.kind, body)))
    text += tail
    if ref is not None:
        log.error("listener_failed", kind=target.kind, ref=ref, error_type=type(error).__name__, **target.ids,
                  exc_info=error)
    elif isinstance(error, StoreUnavailable):
        log.warning("listener_store_unavailable", kind=target.kind, recorded=error.recorded, reason=error.reason,
                    **target.ids)
    elif isinstance(error, UnknownChecklist):
        log.warning("listener_checklist_unavailable", kind=target.kind, checklist=error.checklist_id,
                    reason=error.reason, **target.ids)
    elif (scope := missing_scope(error)) is not None:
        log.error("slack_missing_scope", kind=target.kind, **scope, **target.ids,
                  fix=f"update the Slack app from {MANIFESTS} (App Manifest in the app's settings) and reinstall "
                      "it to the workspace: Slack grants a new scope only on install")
    try:
        if target.kind == "command" and isinstance(body.get("response_url"), str):
            await command_reply(client, body["response_url"])(text)
        elif target.kind == "command" and respond is not None:
            await respond(text=text, response_type="ephemeral", replace_original=False)
        else:
            await ephemeral(client, target)(text)
    except Exception:
        log.exception("reply_failed", kind=target.kind, **target.ids)


def _command_text(kind: str, body: dict[str, Any]) -> str | None:
    """The command a slash command or an ``@ftcheck …`` mention asked for; None for any other request."""
    if kind == "command":
        return str(body.get("text") or "")
    event = body.get("event")
    if kind == "event:app_mention" and isinstance(event, dict):
        return MENTION.sub("", str(event.get("text") or ""))
    return None


def command_reply(client: AsyncWebClient, response_url: str) -> Reply:
    """An ephemeral answer to a slash command through its ``response_url``, on the process's pooled HTTP session
    (Bolt's ``respond`` opens a new session, and a new connection, for every reply)."""

    async def reply(text: str) -> None:
        webhook = AsyncWebhookClient(url=response_url, session=client.session)
        response = await webhook.send(text=text, response_type="ephemeral", replace_original=False)
        if response.status_code != 200:
            log.warning("command_reply_refused", status=response.status_code, body=str(response.body)[:200])

    return reply


def ephemeral(client: AsyncWebClient, target: ReplyTarget) -> Reply:
    """Reply only to the person who acted: ephemeral in their channel (and thread), else a DM from the app."""

    async def reply(text: str) -> None:
        if target.user and target.channel:
            await client.chat_postEphemeral(channel=target.channel, user=target.user, text=text,
                                            thread_ts=target.thread_ts)
        elif target.user and target.kind == "block_actions":  # from the Home tab: the app's DM with them
            await client.chat_postMessage(channel=target.user, text=text)

    return reply


async def tell_notice(client: AsyncWebClient, body: dict[str, Any], outcome: Outcome | None) -> None:
    """Say why an action did not apply (taken, closed, unknown card …); nothing when it applied.

    A failure to say it is logged, not raised: nothing was recorded, and the person would otherwise hear about a
    failed message instead of why their action did not apply.
    """
    await tell_text(client, body, notice_text(outcome))


async def tell_text(client: AsyncWebClient, body: dict[str, Any], text: str | None) -> None:
    """:func:`tell_notice` with words of the listener's own (nothing when there are none)."""
    if not text:
        return
    try:
        await ephemeral_replier(client, body)(text)
    except SlackApiError as exc:
        log.warning("notice_not_posted", error=error_code(exc))


def ephemeral_replier(client: AsyncWebClient, body: dict[str, Any]) -> Reply:
    return ephemeral(client, ReplyTarget.of(body))

