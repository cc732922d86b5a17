"""Modals."""

from __future__ import annotations

from bot.blocks.common import Block, context, esc
from bot.blocks.evaluation import action_value
from conversations.models import Evaluation
from scoring.checklist import Checklist

NOTE_CALLBACK = "note_modal"
NOTE_BLOCK = "note"
NOTE_ACTION_ID = "note_text"


def note_modal(ev: Evaluation, checklist: Checklist, question: str, channel: str, current: str | None) -> Block:
    q = checklist.question(question)
    element: Block = {"type": "plain_text_input", "action_id": NOTE_ACTION_ID, "multiline": True,
                      "max_length": 1000}
    if current:
        element["initial_value"] = current
    return {
        "type": "modal",
        "callback_id": NOTE_CALLBACK,
        "private_metadata": f"{action_value(ev, q.id)}|{channel}",
        "title": {"type": "plain_text", "text": f"Note on {q.key}"},
        "submit": {"type": "plain_text", "text": "Save note"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            context(esc(q.text)),  # context() clips to Slack's limit
            note_input(element, removable=bool(current)),
        ],
    }


def note_input(element: Block, *, removable: bool) -> Block:
    """The note's field; over a note it may be emptied, which removes the note (Slack refuses an empty required
    field before it is sent)."""
    block: Block = {"type": "input", "block_id": NOTE_BLOCK, "label": {"type": "plain_text", "text": "Note"},
                    "element": element}
    if removable:
        block["optional"] = True
        block["hint"] = {"type": "plain_text", "text": "Clear the text and save to remove the note."}
    return block
