"""Modal submissions: the note on an answer."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.blocks.views import NOTE_ACTION_ID, NOTE_BLOCK, NOTE_CALLBACK
from bot.payloads import ActionRef, ViewSubmission
from bot.replies import guarded
from bot.services import Services


def register(app: AsyncApp, svc: Services) -> None:
    @app.view(NOTE_CALLBACK)
    async def on_note(ack: AsyncAck, body: dict[str, Any]) -> None:
        submission = ViewSubmission.model_validate(body)
        text = submission.value(NOTE_BLOCK, NOTE_ACTION_ID).strip()
        if not text:
            await ack(response_action="errors", errors={NOTE_BLOCK: "Write a note, or close the dialog."})
            return
        await ack()
        ref_text, _, channel = submission.private_metadata.rpartition("|")
        ref = ActionRef.parse(ref_text)

        async def reply(message: str) -> None:
            await svc.client.chat_postEphemeral(channel=channel, user=submission.user.id, text=message)

        async def work() -> None:
            _, outcome = await svc.engine.note(ref.evaluation, question=ref.question, user=submission.user.id,
                                               text=text)
            if outcome is not None and outcome.message and not outcome.applied:
                await reply(outcome.message)

        await guarded(reply, work, what="note")
