"""Modal submissions: the note on an answer (added, replaced, or removed by saving it empty)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.notices import notice_text
from bot.blocks.views import NOTE_ACTION_ID, NOTE_BLOCK, NOTE_CALLBACK
from bot.leads.access import in_its_channel
from bot.listeners.actions import existing, stored
from bot.payloads import NoteSubmission
from bot.replies import Tailed, after_ack, tell_text, unsaved_note
from bot.services import Services
from conversations.flow import Outcome
from conversations.store import StoreUnavailable


@after_ack()
async def on_note(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    submission = NoteSubmission.model_validate(body)
    text = submission.value(NOTE_BLOCK, NOTE_ACTION_ID).strip()
    if not text and not submission.optional(NOTE_BLOCK):  # emptied over a note: the note is removed
        await ack(response_action="errors", errors={NOTE_BLOCK: "Write a note, or close the dialog."})
        return
    await ack()  # the dialog closes: from here on, a note not saved is quoted back to its writer
    try:
        outcome = await _saved(services, submission, text)
    except Exception as exc:
        if not text:
            raise
        sure = not (isinstance(exc, StoreUnavailable) and exc.recorded == "unknown")
        raise Tailed(exc, unsaved_note(text, sure=sure)) from exc
    said = notice_text(outcome)
    await tell_text(client, body, f"{said} {unsaved_note(text)}" if said and text else said)


async def _saved(services: Services, submission: NoteSubmission, text: str) -> Outcome | None:
    ev = await stored(services, submission.ref.evaluation)
    if ev is not None:
        in_its_channel(ev, submission.channel)  # the dialog carries the channel of the card it was opened from
    try:
        _, outcome = await services.engine.note(submission.ref.evaluation, question=submission.ref.question,
                                                user=submission.user.id, text=text)
    except KeyError:
        await existing(services, submission.ref.evaluation, channel=submission.channel)  # "no such evaluation"
        raise
    return outcome


def register(app: AsyncApp) -> None:
    app.view(NOTE_CALLBACK)(on_note)
