"""Modal submissions: the note on an answer (added, replaced, or removed by saving it empty)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.views import NOTE_ACTION_ID, NOTE_BLOCK, NOTE_CALLBACK
from bot.payloads import NoteSubmission
from bot.replies import after_ack, tell_notice
from bot.services import Services


@after_ack()
async def on_note(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    submission = NoteSubmission.model_validate(body)
    text = submission.value(NOTE_BLOCK, NOTE_ACTION_ID).strip()
    if not text and not submission.optional(NOTE_BLOCK):  # emptied over a note: the note is removed
        await ack(response_action="errors", errors={NOTE_BLOCK: "Write a note, or close the dialog."})
        return
    await ack()
    _, outcome = await services.engine.note(submission.ref.evaluation, question=submission.ref.question,
                                            user=submission.user.id, text=text)
    await tell_notice(client, body, outcome)


def register(app: AsyncApp) -> None:
    app.view(NOTE_CALLBACK)(on_note)
