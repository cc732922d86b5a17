"""Pydantic models of the Slack payloads ftcheck reads; anything else in them is ignored."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SlashCommand(_In):
    text: str = ""
    user_id: str = Field(min_length=1)
    channel_id: str = Field(min_length=1)
    team_id: str = Field(min_length=1)
    trigger_id: str | None = None


class ActionRef(_In):
    """``<evaluation id>|<question id>[|<option key>]`` as carried in button and select values."""

    evaluation: str
    question: str
    option: str | None = None

    @classmethod
    def parse(cls, value: str) -> ActionRef:
        parts = value.split("|")
        if len(parts) not in (2, 3) or not all(parts):
            raise ValueError(f"not an ftcheck action value: {value[:60]!r}")
        return cls(evaluation=parts[0], question=parts[1], option=parts[2] if len(parts) == 3 else None)


class _User(_In):
    id: str


class _Channel(_In):
    id: str


class _Container(_In):
    message_ts: str | None = None
    thread_ts: str | None = None
    channel_id: str | None = None


class _Team(_In):
    id: str


class _SelectedOption(_In):
    value: str


class _Action(_In):
    action_id: str
    value: str | None = None
    action_ts: str | None = None
    selected_option: _SelectedOption | None = None


class BlockAction(_In):
    user: _User
    channel: _Channel
    container: _Container
    team: _Team | None = None
    trigger_id: str | None = None
    actions: list[_Action] = Field(min_length=1)

    @property
    def action(self) -> _Action:
        return self.actions[0]

    @property
    def ref(self) -> ActionRef:
        raw = self.action.selected_option.value if self.action.selected_option else self.action.value
        return ActionRef.parse(raw or "")

    @property
    def message_ts(self) -> str:
        if not self.container.message_ts:
            raise ValueError("block action without a message ts")
        return self.container.message_ts

    def seen_token(self) -> str:
        """One click: the same card, the same action timestamp, the same person."""
        return f"{self.message_ts}:{self.action.action_ts}:{self.user.id}"


class MessageEvent(_In):
    type: str
    channel: str
    user: str | None = None
    text: str = ""
    ts: str
    thread_ts: str | None = None
    subtype: str | None = None
    bot_id: str | None = None
    team: str | None = None


class EventEnvelope(_In):
    event_id: str | None = None
    team_id: str | None = None
    event: dict[str, Any]


class ViewSubmission(_In):
    user: _User
    view: dict[str, Any]

    def value(self, block_id: str, action_id: str) -> str:
        state = self.view.get("state", {}).get("values", {})
        return str(state.get(block_id, {}).get(action_id, {}).get("value") or "")

    @property
    def private_metadata(self) -> str:
        return str(self.view.get("private_metadata") or "")
