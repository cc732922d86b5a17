"""Runs the real bot (Runtime + aiohttp HTTP app) in-process and drives it like Slack does."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.app import Runtime
from bot.ratelimit import PacedWebClient
from bot.serve import READ_TIMEOUT_S, make_runner
from bot.settings import Settings
from scoring.checklist import Registry
from tests.standins.signing import (
    block_actions_body,
    event_body,
    post_signed,
    slash_command_body,
    view_submission_body,
)
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Message

SECRET = "test-signing-secret"
_ts = itertools.count(1)


def settings_for(slack: SlackStandIn, redis_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": SECRET,
                              "SLACK_API_URL": slack.base_url, "REDIS_URL": redis_url,
                              "FTCHECK_WORKING_HOURS": "always", "FTCHECK_REDIS_TIMEOUT": 3.0,
                              # tests click at machine speed; pacing itself is tested in test_ratelimit.py
                              "FTCHECK_POSTS_PER_SECOND": 1000}
    values.update(overrides)
    return Settings(_env_file=None, **values)


class Bot:
    """One bot process: its HTTP endpoint and helpers that act as Slack users."""

    def __init__(self, runtime: Runtime | None, url: str, slack: SlackStandIn, session: aiohttp.ClientSession) -> None:
        self.url, self.slack, self.session = url, slack, session
        self._runtime = runtime

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            raise AssertionError("this bot runs in another process")
        return self._runtime

    async def post(self, body: str, *, content_type: str = "application/x-www-form-urlencoded",
                   headers: dict[str, str] | None = None, timestamp: int | None = None) -> tuple[int, str]:
        return await post_signed(self.session, f"{self.url}/slack/events", SECRET, body, content_type=content_type,
                                 timestamp=timestamp, extra_headers=headers)

    async def command(self, text: str, *, user: str = "U1", channel: str = "C1", trigger: str | None = None,
                      headers: dict[str, str] | None = None) -> tuple[int, str]:
        body = slash_command_body(text=text, user_id=user, channel_id=channel,
                                  response_url=self.slack.response_url(f"cmd-{next(_ts)}", channel=channel, user=user),
                                  trigger_id=trigger or f"trig-{next(_ts)}")
        return await self.post(body, headers=headers)

    async def reply_to(self, text: str, *, user: str = "U1", channel: str = "C1") -> str:
        """Run `/ftcheck <text>` and return what the person alone sees: the ack's text (the quick verbs answer
        there) or else the ephemeral reply posted to the command's response_url."""
        before = len(self.slack.response_posts)
        status, body = await self.command(text, user=user, channel=channel)
        assert status == 200, (status, body)
        if body.startswith("{"):  # Bolt answers an ack with blocks or options as JSON …
            answer = json.loads(body)
            assert answer.get("response_type", "ephemeral") == "ephemeral", answer
            return str(answer["text"])
        if body:  # … and one with text alone as the text (Slack shows either to the person alone)
            return body
        await self.slack.wait_for(lambda: len(self.slack.response_posts) > before, what=f"a reply to /ftcheck {text}")
        post = self.slack.response_posts[before]
        assert post.response_type == "ephemeral"
        return post.text or ""

    def thread(self, channel: str = "C1") -> list[Message]:
        roots = self.slack.messages(channel, top_level=True)
        return self.slack.thread(channel, roots[-1].ts) if roots else []

    def cards(self, question_id: str, channel: str = "C1") -> list[Message]:
        """The thread's cards of one question (an original and any re-ask), oldest first, by their metadata ref."""
        return [m for m in self.thread(channel) if f":card:{question_id}:" in ref_of(m)]

    def open_card(self, channel: str = "C1") -> Message | None:
        for msg in reversed(self.thread(channel)):
            if any(b.get("type") == "actions" and str(b.get("block_id", "")).startswith("answer:")
                   for b in msg.blocks):
                return msg
        return None

    async def next_card(self, card: Message, channel: str = "C1", timeout: float = 15) -> Message:
        """The card posted after ``card`` (once it is there)."""
        await self.slack.wait_for(lambda: (self.open_card(channel) or card).ts != card.ts, timeout=timeout,
                                  what=f"the card after {card.ts}")
        nxt = self.open_card(channel)
        assert nxt is not None
        return nxt

    @staticmethod
    def element_list(msg: Message) -> list[dict[str, Any]]:
        return [el for b in msg.blocks if b.get("type") == "actions" for el in b.get("elements", [])]

    @staticmethod
    def element(msg: Message, action_id: str) -> dict[str, Any]:
        for block in msg.blocks:
            found = block.get("elements", []) if block.get("type") == "actions" else [block.get("accessory") or {}]
            for el in found:
                if el.get("action_id") == action_id:
                    return dict(el)
        raise AssertionError(f"no {action_id} on message {msg.ts}: {msg.blocks}")

    async def click(self, msg: Message, action_id: str, *, user: str = "U1", channel: str = "C1",
                    action_ts: str | None = None, value: str | None = None,
                    headers: dict[str, str] | None = None) -> tuple[int, str]:
        el = self.element(msg, action_id) if value is None else {"value": value}
        body = block_actions_body(user_id=user, channel_id=channel, message_ts=msg.ts, thread_ts=msg.thread_ts,
                                  action_id=action_id, value=el["value"], message_blocks=msg.blocks,
                                  response_url=self.slack.response_url(f"act-{next(_ts)}"),
                                  action_ts=action_ts or f"{1700000000 + next(_ts)}.000001")
        return await self.post(body, headers=headers)

    async def select(self, msg: Message, option_key: str, *, user: str = "U1", channel: str = "C1") -> tuple[int, str]:
        """Pick an option of the "Change answer" select on an answered card."""
        select = self.element(msg, "change_answer")
        option = next(o for o in select["options"] if o["value"].endswith(f"|{option_key}"))
        body = block_actions_body(user_id=user, channel_id=channel, message_ts=msg.ts, thread_ts=msg.thread_ts,
                                  action_id="change_answer", value="", message_blocks=msg.blocks,
                                  response_url=self.slack.response_url(f"sel-{next(_ts)}"))
        from tests.standins.signing import decode_payload, payload_form

        payload = decode_payload(body)
        action = payload["actions"][0]
        action.pop("value", None)
        action.update({"type": select["type"], "selected_option": option})
        return await self.post(payload_form(payload))

    async def submit_view(self, callback_id: str, values: dict[str, dict[str, dict[str, Any]]], *,
                          private_metadata: str, user: str = "U1",
                          blocks: list[dict[str, Any]] | None = None) -> tuple[int, str]:
        """``blocks``: the modal's blocks, as Slack sends them back with the submission."""
        body = view_submission_body(user_id=user, callback_id=callback_id, values=values,
                                    private_metadata=private_metadata, blocks=blocks)
        return await self.post(body)

    async def event(self, event: dict[str, Any], *, event_id: str | None = None,
                    headers: dict[str, str] | None = None) -> tuple[int, str]:
        return await self.post(event_body(event=event, event_id=event_id), content_type="application/json",
                               headers=headers)

    async def settle(self, quiet_s: float = 0.15, timeout: float = 10) -> None:
        """Wait until the bot has made no Web API call for ``quiet_s`` (its post-ack work is done)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        seen = -1
        while loop.time() < deadline:
            count = len(self.slack.calls) + len(self.slack.response_posts)
            if count == seen:
                return
            seen = count
            await asyncio.sleep(quiet_s)

    async def answer_all(self, answers: Mapping[str, float | None], *, users: list[str] | None = None,
                         channel: str = "C1", limit: int | None = None) -> None:
        """Click through the cards (all, or ``limit`` of them) with the given answers (q1…), rotating ``users``."""
        checklist = Registry().get()
        people = users or ["U1"]
        for i in itertools.count():
            if limit is not None and i >= limit:
                return
            await self.slack.wait_for(
                lambda: self.open_card(channel) is not None or self.scorecard(channel) is not None,
                what="a card or the scorecard")
            card = self.open_card(channel)
            if card is None:
                return
            block = next(b for b in card.blocks if str(b.get("block_id", "")).startswith("answer:"))
            qid = block["block_id"].split(":", 1)[1]
            value = answers[checklist.question(qid).key]
            key = "skip" if value is None else checklist.option(value).key
            status, _ = await self.click(card, f"answer_{key}", user=people[i % len(people)], channel=channel)
            assert status == 200
            await self.slack.wait_for(lambda c=card: self._closed(c, channel),  # type: ignore[misc]
                                      what=f"card {qid} answered (ephemerals: {self.slack.ephemerals(channel)})")

    def _closed(self, card: Message, channel: str) -> bool:
        now = next((m for m in self.thread(channel) if m.ts == card.ts), None)
        return now is not None and not any(str(b.get("block_id", "")).startswith("answer:") for b in now.blocks)

    def scorecard(self, channel: str = "C1") -> Message | None:
        for msg in self.thread(channel):
            if msg.text.startswith("Scorecard for"):
                return msg
        return None


def message_texts(msg: Message) -> str:
    """A message's text and the texts of its blocks (sections, contexts), one per line."""
    parts = [msg.text]
    for b in msg.blocks:
        if isinstance(b.get("text"), dict):
            parts.append(b["text"]["text"])
        parts += [e.get("text", "") for e in b.get("elements", []) if isinstance(e.get("text"), str)]
    return "\n".join(parts)


def ref_of(msg: Message) -> str:
    """The ref ftcheck put in a message's metadata (``<evaluation>:card:<question>:…``)."""
    return str((msg.metadata or {}).get("event_payload", {}).get("ref"))


@asynccontextmanager
async def running_bot(slack: SlackStandIn, redis_url: str, *, read_timeout_s: float = READ_TIMEOUT_S,
                      **overrides: Any) -> AsyncIterator[Bot]:
    runtime = Runtime.build(settings_for(slack, redis_url, **overrides), redis_url)
    runner = make_runner(runtime, read_timeout_s)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    async with aiohttp.ClientSession() as session:
        try:
            yield Bot(runtime, f"http://127.0.0.1:{port}", slack, session)
        finally:
            await runner.cleanup()  # as the HTTP server shuts down: aclose lets listeners finish after their ack
            await runtime.aclose()
            await runtime.services.store.redis.aclose()


def retry_at_once(bot: Bot) -> PacedWebClient:
    """The bot's Web API client, retrying each 5xx or dropped connection as it does, without its backoff's seconds
    of waiting between tries."""
    client = bot.runtime.services.client
    assert isinstance(client, PacedWebClient)
    for handler in client.retry_handlers:
        handler.interval_calculator = FixedValueRetryIntervalCalculator(0.01)
    return client
