"""Pydantic models of the Slack payloads ftcheck reads; anything else in them is ignored.

One model per listener: a listener validates its body once and reads typed fields from then on.
:class:`ReplyTarget` is the lenient reading the error handler uses to find who to answer, whatever the kind.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SlashCommand(_In):
    text: str = ""
    user_id: str = Field(min_length=1)
    channel_id: str = Field(min_length=1)
    team_id: str = Field(min_length=1)
    trigger_id: str | None = None
    response_url: str | None = None
    channel_name: str | None = None  # Slack's: "directmessage" in a DM, "mpdm-…" in a group DM
    message_ts: str | None = None  # not Slack's: an @mention's message, which may be edited or deleted later
    thread_ts: str | None = None  # not Slack's: the thread an @mention was written in (None at channel level)


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
    id: str = Field(min_length=1)
    team_id: str | None = None


class _Channel(_In):
    id: str


class _Container(_In):
    type: str | None = None
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


class _Click(_In):
    """What every block action carries."""

    user: _User
    container: _Container = Field(default_factory=_Container)
    team: _Team | None = None
    trigger_id: str | None = None
    actions: list[_Action] = Field(min_length=1)

    @property
    def action(self) -> _Action:
        return self.actions[0]

    @property
    def team_id(self) -> str:
        return self.team.id if self.team else (self.user.team_id or "")


class BlockAction(_Click):
    """A click on a question card: the value names the evaluation and question (and the chosen option)."""

    channel: _Channel

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


class AnswerClick(BlockAction):
    """``answer_<option key>`` on an open question card."""

    def option(self, prefix: str) -> str:
        return self.action.action_id.removeprefix(f"{prefix}_")


class _HomeState(_In):
    """What the Home tab carries in its ``private_metadata`` (``bot.blocks.leads.home_view`` writes it)."""

    page: int = Field(default=1, ge=1)


class _View(_In):
    """The view a click came from (Slack sends it with clicks on the Home tab or a modal)."""

    private_metadata: str = ""


class EvaluationClick(_Click):
    """A button whose value is an evaluation id: reminder buttons and the Home tab's buttons."""

    channel: _Channel | None = None
    view: _View | None = None

    @property
    def evaluation(self) -> str:
        value = self.action.value or ""
        if not value or "|" in value:
            raise ValueError("button without an evaluation id")
        return value

    @property
    def from_home(self) -> bool:
        return self.container.type == "view"

    @property
    def home_page(self) -> int:
        """The Home page the button was on: 1 for a tab drawn before pages were recorded, or not Home at all."""
        try:
            return _HomeState.model_validate_json(self.view.private_metadata).page if self.view else 1
        except ValidationError:
            return 1


class HomePageClick(_Click):
    """The Home tab's "Older" / "Newer" buttons: the value is the page to show."""

    @property
    def page(self) -> int:
        value = self.action.value or ""
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"home page button with value {value!r}")
        return int(value)


class _Edited(_In):
    ts: str | None = None


class PostedMessage(_In):
    """A message as ``message_changed`` (after and before) and ``message_deleted`` (before) carry it."""

    user: str | None = None
    text: str = ""
    ts: str
    thread_ts: str | None = None
    bot_id: str | None = None
    edited: _Edited | None = None

    @property
    def is_reply(self) -> bool:
        return bool(self.thread_ts) and self.thread_ts != self.ts


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
    message: PostedMessage | None = None  # message_changed: the message as it is now
    previous_message: PostedMessage | None = None  # message_changed and message_deleted: as it was
    deleted_ts: str | None = None  # message_deleted


class MessageEnvelope(_In):
    """An ``event_callback`` carrying a message or an app mention."""

    event_id: str | None = None
    team_id: str | None = None
    event: MessageEvent

    @property
    def team(self) -> str:
        return self.event.team or self.team_id or ""


class _HomeOpened(_In):
    user: str = ""
    tab: str | None = None


class HomeOpenedEnvelope(_In):
    team_id: str = ""
    event: _HomeOpened


class NoteSubmission(_In):
    """The note modal: the text typed, and the card (``ActionRef|channel``) carried in private_metadata."""

    user: _User
    view: dict[str, Any]

    def value(self, block_id: str, action_id: str) -> str:
        state = self.view.get("state", {}).get("values", {})
        return str(state.get(block_id, {}).get(action_id, {}).get("value") or "")

    def optional(self, block_id: str) -> bool:
        """Whether the modal's input block may be sent empty (the note's, when the modal opened over a note)."""
        blocks = self.view.get("blocks") or []
        return any(isinstance(b, dict) and b.get("block_id") == block_id and b.get("optional") is True for b in blocks)

    @property
    def private_metadata(self) -> str:
        return str(self.view.get("private_metadata") or "")

    @property
    def ref(self) -> ActionRef:
        return ActionRef.parse(self.private_metadata.rpartition("|")[0])

    @property
    def channel(self) -> str:
        return self.private_metadata.rpartition("|")[2]


# -- the error handler's lenient reading of any payload ---------------------------------------------------

class _AnyUser(_In):
    id: str | None = None


class _AnyEvent(_In):
    type: str | None = None
    user: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    message: _AnyEvent | None = None  # message_changed: who edited it, in which thread


class _AnyPayload(_In):
    type: str | None = None
    command: str | None = None
    user_id: str | None = None
    channel_id: str | None = None
    team_id: str | None = None
    event_id: str | None = None
    user: _AnyUser | None = None
    channel: _Channel | None = None
    container: _Container | None = None
    team: _Team | None = None
    event: _AnyEvent | None = None
    actions: list[_Action] = Field(default_factory=list)
    view: dict[str, Any] | None = None


class ReplyTarget(_In):
    """Who acted, where to answer them, and the ids a log line needs — from any payload, never raising."""

    kind: str = "unknown"
    user: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    ids: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def of(cls, body: dict[str, Any]) -> ReplyTarget:
        try:
            p = _AnyPayload.model_validate(body)
        except ValidationError:
            return cls()
        if p.command is not None:
            return cls(kind="command", user=p.user_id, channel=p.channel_id,
                       ids=_ids(team=p.team_id, user=p.user_id, channel=p.channel_id, command=p.command))
        if p.event is not None:
            e = p.event
            user = e.user or (e.message.user if e.message else None)
            thread_ts = e.thread_ts or (e.message.thread_ts if e.message else None)
            return cls(kind=f"event:{e.type}", user=user, channel=e.channel, thread_ts=thread_ts,
                       ids=_ids(team=p.team_id, user=user, channel=e.channel, event_id=p.event_id))
        return cls._interaction(p)

    @classmethod
    def _interaction(cls, p: _AnyPayload) -> ReplyTarget:
        user = p.user.id if p.user else None
        channel = p.channel.id if p.channel else None
        if p.type == "view_submission" and p.view is not None:
            channel = channel or _note_channel(p.view)
        ids = _ids(team=p.team.id if p.team else None, user=user, channel=channel,
                   action=p.actions[0].action_id if p.actions else None,
                   callback=str((p.view or {}).get("callback_id") or "") or None)
        return cls(kind=p.type or "unknown", user=user, channel=channel,
                   thread_ts=p.container.thread_ts if p.container else None, ids=ids)


def _note_channel(view: dict[str, Any]) -> str | None:
    """The note modal carries ``<ActionRef>|<channel>``; other modals carry no channel."""
    meta = str(view.get("private_metadata") or "")
    return meta.rpartition("|")[2] or None if meta.count("|") >= 2 else None


def _ids(**values: str | None) -> dict[str, str]:
    """Log fields; never ``event``, structlog's own first argument (a clash would raise inside the error handler)."""
    return {k: v for k, v in values.items() if v}
