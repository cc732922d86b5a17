"""Slack's message markup read back as what the person typed, and the error handler's reading of an event."""

from __future__ import annotations

import json

import pytest
import structlog

from bot.payloads import ReplyTarget
from bot.slack_text import plain_text
from tests.standins.signing import event_body


@pytest.mark.parametrize(
    ("sent", "typed"),
    [
        ("Q&amp;A team, 2 &lt; 3 &gt; 1", "Q&A team, 2 < 3 > 1"),
        ("typed &amp;lt; literally", "typed &lt; literally"),  # decoded once, not twice
        ("<@U3> labeled them", "@U3 labeled them"),
        ("<@U3|ana> labeled them", "@ana labeled them"),
        ("see <#C42|ml-team> and <#C43>", "see #ml-team and #C43"),
        ("<!here> <!channel> <!everyone> <!here|here>", "@here @channel @everyone @here"),
        ("<!subteam^S1|@labelers> and <!subteam^S2>", "@labelers and @S2"),
        ("due <!date^1700000000^{date_short}|Nov 14>", "due Nov 14"),
        ("see <https://wiki.example.com/d|our data page>.", "see our data page (https://wiki.example.com/d)."),
        ("see <https://wiki.example.com/d>", "see https://wiki.example.com/d"),
        ("at <http://example.com|example.com> or <mailto:a@b.io|a@b.io>", "at example.com or a@b.io"),
        ("<https://x.org/?a=1&amp;b=2|Q&amp;A page>", "Q&A page (https://x.org/?a=1&b=2)"),
        ("We have &lt;500 labeled", "We have <500 labeled"),
        ("between <500 and >200 labeled", "between <500 and >200 labeled"),  # not markup: left as typed
    ],
)
def test_slack_markup_becomes_the_typed_text(sent: str, typed: str) -> None:
    assert plain_text(sent) == typed


def test_the_error_handler_reads_an_event_without_clashing_with_structlog() -> None:
    """``event`` is structlog's first argument: an ids key of that name made the error handler itself raise."""
    body = {"type": "event_callback", "team_id": "T1", "event_id": "Ev1",
            "event": {"type": "message", "user": "U2", "channel": "C1", "thread_ts": "1.0", "ts": "2.0"}}
    target = ReplyTarget.of(body)
    assert target.ids == {"team": "T1", "user": "U2", "channel": "C1", "event_id": "Ev1"}
    with structlog.testing.capture_logs() as logs:
        structlog.get_logger().error("listener_failed", kind=target.kind, **target.ids)
    assert logs[0]["event_id"] == "Ev1"


def test_an_edit_is_answered_to_the_person_who_edited() -> None:
    body = json.loads(event_body(event={"type": "message", "subtype": "message_changed", "channel": "C1",
                                        "ts": "3.0", "message": {"user": "U2", "text": "x", "ts": "2.0",
                                                                 "thread_ts": "1.0"}}))
    target = ReplyTarget.of(body)
    assert (target.user, target.channel, target.thread_ts) == ("U2", "C1", "1.0")
