"""The Slack renderer: mrkdwn into HTML, escaping, blocks, the thread layout, and the thread budget."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.web.async_client import AsyncWebClient

from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import block_text, thread_characters
from tools.slack_render import RenderContext, RenderMessage, mrkdwn_to_html, plain_to_html, render_page
from tools.slack_render.capture import load_example, run_walk, snapshot
from tools.slack_render.dates import format_date

NOW = datetime(2026, 12, 3, 12, 3, tzinfo=UTC)
CTX = RenderContext(users={"U1": "maya", "U2": "dev"}, channels={"C1": "ml-team"}, now=NOW)
ALLOWED_TAGS = {"b", "i", "s", "code", "pre", "br", "blockquote", "span", "a"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def tags_of(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


@pytest.mark.parametrize(("text", "html"), [
    ("*Answer: Yes*", "<b>Answer: Yes</b>"),
    ("_Why it matters:_ now", "<i>Why it matters:</i> now"),
    ("~gone~", "<s>gone</s>"),
    ("run `make test` *now*", "run <code>make test</code> <b>now</b>"),
    ("`*not bold*`", "<code>*not bold*</code>"),
    ("```a *b*\n  c```", "<pre>a *b*\n  c</pre>"),
    ("> quoted\n&gt; too\nafter", "<blockquote>quoted<br>too</blockquote>after"),
    ("one\ntwo", "one<br>two"),
    ("snake_case_name and 2*3*4", "snake_case_name and 2*3*4"),
    (":warning: :bulb: :memo: :hourglass_flowing_sand: :no_such_emoji:",
     "\u26a0\ufe0f \U0001f4a1 \U0001f4dd \u23f3 :no_such_emoji:"),
    ("<@U1> and <@U9>", '<span class="mention">@maya</span> and <span class="mention">@U9</span>'),
    ("<#C1> <#C2|general> <!here>", '<span class="mention channel">#ml-team</span> '
     '<span class="mention channel">#general</span> <span class="mention">@here</span>'),
    ("<https://x.test/a?b=1&amp;c=2|the article>",
     '<a class="link" href="https://x.test/a?b=1&amp;c=2" rel="noreferrer">the article</a>'),
    ("Tom &amp; Jerry &lt;3", "Tom &amp; Jerry &lt;3"),
])
def test_mrkdwn_is_converted_like_slack(text: str, html: str) -> None:
    assert mrkdwn_to_html(text, CTX) == html


def test_dates_render_in_the_readers_clock() -> None:
    epoch = int(datetime(2026, 12, 3, 11, 58, tzinfo=UTC).timestamp())
    text = f"<!date^{epoch}^{{date_short_pretty}} {{time}}|2026-12-03 11:58 UTC>"
    assert mrkdwn_to_html(text, CTX) == "Today 11:58"
    assert format_date(epoch - 86400, "{date_short_pretty}", CTX) == "Yesterday"
    assert format_date(epoch, "{date_num} {ago}", CTX) == "2026-12-03 5 minutes ago"
    assert mrkdwn_to_html("<!date^99999999999999999999^{date}|some day>", CTX) == "some day"


@pytest.mark.parametrize("text", [
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<javascript:alert(1)|click me>",
    '<https://x.test/" onmouseover="alert(1)|hover>',
    "*<b onclick=alert(1)>*",
    "```</pre><script>alert(1)</script>```",
    "`<iframe src=x>`",
])
def test_message_text_cannot_add_markup(text: str) -> None:
    html = mrkdwn_to_html(text, CTX)
    for tag, attrs in tags_of(html):
        assert tag in ALLOWED_TAGS, html
        assert all(not name.startswith("on") for name, _ in attrs), html
        assert all(not (value or "").lower().startswith("javascript") for _, value in attrs), html


@given(st.text(alphabet=st.sampled_from(list("<>&\"'`*_~:|@#!^ \nabcU1=/")), max_size=60))
def test_any_text_yields_only_the_renderers_own_tags(text: str) -> None:
    for tag, attrs in tags_of(mrkdwn_to_html(text, CTX)):
        assert tag in ALLOWED_TAGS
        assert {name for name, _ in attrs} <= {"class", "href", "rel"}


def test_plain_text_is_literal_with_emoji() -> None:
    assert plain_to_html("*Yes* <@U1> &amp; &lt;b&gt; :warning:") == "*Yes* &lt;@U1&gt; &amp; &lt;b&gt; \u26a0\ufe0f"
    assert plain_to_html(":warning:", emoji=False) == ":warning:"


CARD: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "Evaluation: Demo"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Question 1 of 20*"},
     "accessory": {"type": "overflow", "action_id": "more", "options": [
         {"text": {"type": "plain_text", "text": "Export"}, "value": "export"}]}},
    {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Band*"}, {"type": "plain_text", "text": "Strong"}]},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "_Why it matters:_ data"}]},
    {"type": "divider"},
    {"type": "actions", "block_id": "answer:q1", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "Yes (suggested)"}, "style": "primary",
         "action_id": "answer_yes", "value": "v"},
        {"type": "button", "text": {"type": "plain_text", "text": "No"}, "style": "danger", "action_id": "answer_no",
         "value": "v"},
        {"type": "button", "text": {"type": "plain_text", "text": "Not sure"}, "action_id": "answer_skip",
         "value": "v"},
        {"type": "static_select", "action_id": "change", "placeholder": {"type": "plain_text", "text": "Change answer"},
         "options": [{"text": {"type": "plain_text", "text": "Yes"}, "value": "yes"}]},
    ]},
    {"type": "video"},
]


def _msg(ts: str, **kw: object) -> RenderMessage:
    base: dict[str, object] = {"channel": "C1", "ts": ts, "text": "", "user": "UBOT", "is_bot": True}
    base.update(kw)
    return RenderMessage(**base)  # type: ignore[arg-type]


def test_blocks_are_rendered_with_slack_styles() -> None:
    page = render_page([_msg("1.000100", blocks=CARD)], CTX, channel="C1")
    assert '<div class="block header">Evaluation: Demo</div>' in page
    assert '<span class="btn btn-primary">Yes (suggested)</span>' in page
    assert '<span class="btn btn-danger">No</span>' in page
    assert '<span class="btn">Not sure</span>' in page
    assert '<span class="select placeholder"><span class="select-label">Change answer</span>' in page
    assert '<div class="accessory"><span class="btn overflow"' in page
    assert '<div class="fields"><div class="field"><b>Band</b></div><div class="field">Strong</div></div>' in page
    assert '<div class="block context"><span class="ctx-text"><i>Why it matters:</i> data</span></div>' in page
    assert '<div class="block divider"></div>' in page
    assert "[unsupported block: video]" in page
    assert "Content-Security-Policy" in page and "<script" not in page


def test_thread_pane_shows_root_then_replies_in_order_and_only_the_viewers_ephemerals() -> None:
    root = _msg("10.000100", text="root", posted_at=datetime(2026, 12, 3, 12, 0, tzinfo=UTC))
    replies = [
        _msg("10.000300", text="second", thread_ts="10.000100"),
        _msg("10.000200", text="first", thread_ts="10.000100"),
        _msg("10.000400", text="*from* maya", user="U1", is_bot=False, thread_ts="10.000100"),
        _msg("10.000500", text="for maya", thread_ts="10.000100", ephemeral_to="U1"),
        _msg("10.000600", text="for dev", thread_ts="10.000100", ephemeral_to="U2"),
    ]
    viewer = RenderContext(users=CTX.users, channels=CTX.channels, now=NOW, viewer="U1")
    page = render_page([*replies, root], viewer, channel="C1", thread_ts="10.000100")
    thread = page.split('class="pane thread"', 1)[1]
    order = [thread.index(t) for t in ("root", "first", "second", "<b>from</b> maya", "for maya")]
    assert order == sorted(order)
    assert "for dev" not in page and "Only visible to you" in thread
    assert "3 replies" in thread  # people's and the bot's replies, not ephemerals
    assert '<span class="time">12:00</span>' in page
    assert "<b>maya</b>" in thread  # a different sender gets a name line; the bot's second reply does not
    assert page.count("<b>ftcheck</b>") == 4  # root in channel + thread, first reply, the ephemeral


async def test_stand_in_messages_render_in_their_final_state_and_count(slack: SlackStandIn) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.base_url)
    root = await client.chat_postMessage(channel="C1", text="Evaluation of demo", blocks=CARD[:2])
    card = await client.chat_postMessage(channel="C1", thread_ts=root["ts"], text="Question 1 of 20",
                                         blocks=[CARD[1], CARD[5]])
    await client.chat_update(channel="C1", ts=card["ts"], text="Answered: Yes",
                             blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "*Answer: Yes*"}}])
    page = render_page(snapshot(slack), CTX, channel="C1", thread_ts=root["ts"])
    assert "<b>Answer: Yes</b>" in page and "Yes (suggested)" not in page

    thread = slack.thread("C1", root["ts"])
    seen = ["Evaluation: Demo", "*Question 1 of 20*", "Export"]  # header, section, overflow option
    assert block_text(thread[0].blocks) == seen
    expected = len("Evaluation of demo") + sum(map(len, seen)) + len("Answered: Yes") + len("*Answer: Yes*")
    assert thread_characters(thread) == expected
    slack.add_message("C1", text="a person's words are not counted", user="U1", thread_ts=root["ts"])
    assert thread_characters(slack.thread("C1", root["ts"])) == expected


async def test_capture_walks_the_real_bot_and_writes_the_thread_mid_walk_and_at_the_end(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: object, tmp_path: Path) -> None:
    example = load_example("example3_code_generation")
    shots = await run_walk(slack, redis_server.url, "quick", example, tmp_path, png=False)
    assert [s.name for s in shots] == ["quick-mid", "quick-end"]
    mid, end = (s.html.read_text(encoding="utf-8") for s in shots)
    assert "Question 11 of 20" in mid and "Scorecard" not in mid
    assert "Scorecard" in end and "18.5/20" in end
    assert "@maya" in end and "&lt;@U1&gt;" not in end  # mentions show names, as Slack does
    assert 0 < shots[0].characters < shots[1].characters
    assert shots[1].characters == thread_characters(slack.thread("C1", slack.messages("C1", top_level=True)[-1].ts))


async def test_capture_walks_a_team_vote_with_splits_settled(
        slack: SlackStandIn, redis_server: RedisServer, redis_client: object, tmp_path: Path) -> None:
    example = load_example("example3_code_generation")
    shots = await run_walk(slack, redis_server.url, "vote", example, tmp_path, png=False)
    assert [s.name for s in shots] == ["vote-split", "vote-mid", "vote-end"]
    split, mid, end = (s.html.read_text(encoding="utf-8") for s in shots)
    assert "Question 4 of 20" in split and "Scorecard" not in split
    assert "Question 11 of 20" in mid and "Scorecard" not in mid
    assert "Scorecard" in end and "18.5/20" in end
