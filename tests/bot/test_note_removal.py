"""A note can be removed, not only replaced: in Slack by saving the note dialog empty (the field is optional only when
the dialog opened over a note, and says so), in the terminal with `note q3 clear`. The audit says who removed it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from bot.blocks.views import NOTE_ACTION_ID, NOTE_BLOCK, NOTE_CALLBACK
from conversations import flow
from conversations.models import Evaluation
from tests.bot.delivered import block_text
from tests.bot.harness import Bot, running_bot
from tests.conversations.test_walk import REGISTRY, Thread
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Message

REPO = Path(__file__).resolve().parents[2]
CHECKLIST = REGISTRY.get(None)
Q1 = CHECKLIST.questions[0].id  # shown to people as q1


def _answered(note: str | None = "checked with legal") -> Evaluation:
    thread = Thread(CHECKLIST)
    thread.step("answer", Q1, "yes")
    if note is not None:
        assert flow.add_note(thread.ev, CHECKLIST, question=Q1, user="U2", note=note).applied
    return thread.ev


def test_an_empty_note_removes_the_one_there() -> None:
    ev = _answered()
    outcome = flow.add_note(ev, CHECKLIST, question=Q1, user="U3", note="  ")
    assert outcome.applied
    entry = ev.answers[Q1]
    assert entry.note is None and entry.note_by is None
    assert [e.kind for e in outcome.effects] == ["update_card"]


def test_an_empty_note_where_there_is_none_is_refused_and_says_why() -> None:
    ev = _answered(note=None)
    outcome = flow.add_note(ev, CHECKLIST, question=Q1, user="U3", note="")
    assert not outcome.applied and outcome.notice is not None
    assert outcome.notice.detail == "The note is empty and q1 has no note to remove; write something or cancel."


def _card(bot: Bot, ts: str) -> Message:
    return next(m for m in bot.thread() if m.ts == ts)


async def _open_note_dialog(bot: Bot, slack: SlackStandIn, ts: str, user: str) -> dict[str, Any]:
    before = len(slack.calls_to("views.open"))
    await bot.select(_card(bot, ts), "note", user=user)
    await slack.wait_for(lambda: len(slack.calls_to("views.open")) > before, what="note dialog")
    view = slack.calls_to("views.open")[-1].params["view"]
    return json.loads(view) if isinstance(view, str) else view


async def _save(bot: Bot, view: dict[str, Any], text: str, user: str) -> tuple[int, str]:
    values = {NOTE_BLOCK: {NOTE_ACTION_ID: {"type": "plain_text_input", "value": text}}}
    return await bot.submit_view(NOTE_CALLBACK, values, private_metadata=view["private_metadata"], user=user,
                                 blocks=view["blocks"])


async def test_saving_the_note_dialog_empty_removes_the_note(slack: SlackStandIn, redis_server: RedisServer,
                                                             redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await bot.command("start Noted")
        await slack.wait_for(lambda: bot.open_card() is not None, what="first card")
        card = bot.open_card()
        assert card is not None
        await bot.click(card, "answer_yes", user="U2")
        await slack.wait_for(lambda: "✓ *q1* Yes" in block_text(_card(bot, card.ts).blocks), what="answered card")

        first = await _open_note_dialog(bot, slack, card.ts, "U2")
        field = next(b for b in first["blocks"] if b.get("block_id") == NOTE_BLOCK)
        assert not field.get("optional") and "hint" not in field  # nothing to remove yet: a note is required
        status, body = await _save(bot, first, "   ", "U2")
        assert status == 200 and json.loads(body)["errors"] == {NOTE_BLOCK: "Write a note, or close the dialog."}

        await _save(bot, first, "checked with legal", "U2")
        await slack.wait_for(lambda: "checked with legal" in block_text(_card(bot, card.ts).blocks), what="note")

        second = await _open_note_dialog(bot, slack, card.ts, "U3")
        field = next(b for b in second["blocks"] if b.get("block_id") == NOTE_BLOCK)
        assert field["optional"] is True and field["element"]["initial_value"] == "checked with legal"
        assert field["hint"]["text"] == "Clear the text and save to remove the note."
        status, body = await _save(bot, second, "", "U3")
        assert status == 200 and not body.strip()  # the dialog closes
        await slack.wait_for(lambda: "checked with legal" not in block_text(_card(bot, card.ts).blocks),
                             what="the note gone from the card")
        await bot.settle()
        assert slack.ephemerals("C1") == []  # nothing to tell: the card shows it
        found = (await redis_client.keys("ftc:{e:*}:audit"))[0]
        key = found.decode() if isinstance(found, bytes) else str(found)
        actions = [json.loads(a)["action"] for a in await redis_client.lrange(key, 0, -1)]
        assert f"remove note {Q1}" in actions
        doc = json.loads(await redis_client.get(key.replace(":audit", ":eval")) or "{}")
        assert "note" not in doc["answers"][Q1] and "note_by" not in doc["answers"][Q1]


def test_note_clear_in_the_terminal_removes_the_note(redis_server: RedisServer) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "REDIS_URL", "FTCHECK_"))}
    script = "yes\nnote q1 checked with legal\nnote q1 clear\nnote q1\nnote q1 clear\nhelp\nquit\n"
    proc = subprocess.run([sys.executable, "-m", "bot", "run", "--project", "Noted"], input=script, text=True,
                          capture_output=True, timeout=60, check=False,
                          env={**env, "PYTHONPATH": str(REPO), "REDIS_URL": redis_server.url, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    out = " ".join(proc.stdout.split())
    assert "q1's note is removed. It was: “checked with legal”." in out
    assert "q1 has no note. To add one, type note q1 <text>." in out
    assert "q1 has no note to remove." in out
    assert "note q3 shows q3's note; note q3 clear removes it" in out
