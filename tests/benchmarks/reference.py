"""The in-memory reference bot: ftcheck's thread contract with state in a Python dict, nothing else.

Same stack as ftcheck (Bolt ``AsyncApp``, slack_sdk through ``bot.app.make_client`` — the pooled session, the
retry handlers and the per-channel pacing — served by ``bot.serve.http_app`` with its signature check), same
Slack stand-in. What it does per evaluation, like ftcheck in quick mode:

* ``/ftcheck start <project>``: ack, post the root message, post the first question card in its thread;
* a click on an answer button: ack, update the card to one answered line, update the root's progress, post
  the next card — or, after the last question, the scorecard ("Scorecard for <project>: X/20");
* ``/ftcheck status``: ack with the progress; anything else: ack with a short help line.

No Redis, no validation beyond what Bolt does, no audit, no outbox: the cost of the contract itself, which
is what ftcheck's CPU per request is compared with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.common import esc
from bot.blocks.evaluation import ANSWER_ACTION
from scoring.checklist import Checklist

CLICK = re.compile(rf"^{ANSWER_ACTION}_[a-z0-9_-]+$")


@dataclass
class Thread:
    channel: str
    project: str
    root_ts: str = ""
    answers: list[float] = field(default_factory=list)  # in question order; the open card is the next one


def card(checklist: Checklist, n: int) -> list[dict[str, Any]]:
    q = checklist.questions[n]
    buttons = [{"type": "button", "text": {"type": "plain_text", "text": o.label},
                "action_id": f"{ANSWER_ACTION}_{o.key}", "value": o.key} for o in checklist.options]
    buttons.append({"type": "button", "text": {"type": "plain_text", "text": "Not sure"},
                    "action_id": f"{ANSWER_ACTION}_skip", "value": "skip"})
    head = f"*Question {q.number} of {len(checklist.questions)}*\n*{esc(q.text)}*"
    return [{"type": "section", "text": {"type": "mrkdwn", "text": head}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"_Why it matters:_ {esc(q.why)}"}]},
            {"type": "actions", "block_id": f"answer:{q.id}", "elements": buttons}]


def reference_app(client: AsyncWebClient, checklist: Checklist, signing_secret: str) -> AsyncApp:
    app = AsyncApp(client=client, signing_secret=signing_secret, request_verification_enabled=False,
                   process_before_response=False)
    threads: dict[str, Thread] = {}  # root ts -> thread
    total = len(checklist.questions)
    values = {o.key: o.value for o in checklist.options}

    def progress(t: Thread) -> str:
        return f"{esc(t.project)}: {len(t.answers)} of {total} answered"

    async def post_card(t: Thread) -> None:
        n = len(t.answers)
        await client.chat_postMessage(channel=t.channel, thread_ts=t.root_ts, blocks=card(checklist, n),
                                      text=f"Question {n + 1} of {total}: {esc(checklist.questions[n].text)}")

    @app.command("/ftcheck")
    async def command(ack: AsyncAck, body: dict[str, Any]) -> None:
        verb, _, rest = str(body.get("text", "")).partition(" ")
        channel = str(body["channel_id"])
        if verb == "status":
            mine = [t for t in threads.values() if t.channel == channel]
            await ack(text=progress(mine[-1]) if mine else "No evaluation in this channel.")
            return
        if verb != "start":
            await ack(text="Try /ftcheck start <project>.")
            return
        await ack()
        t = Thread(channel=channel, project=rest.strip() or "unnamed")
        root = await client.chat_postMessage(channel=channel, text=progress(t))
        t.root_ts = str(root["ts"])
        threads[t.root_ts] = t
        await post_card(t)

    @app.action(CLICK)
    async def click(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        message, action = body["message"], body["actions"][0]
        t = threads.get(str(message.get("thread_ts")))
        if t is None or len(t.answers) >= total:
            return
        q = checklist.questions[len(t.answers)]
        if f"answer:{q.id}" not in {b.get("block_id") for b in message.get("blocks") or []}:
            return  # a click on a card that is no longer open (the card's ts may not be known yet: its post is
            # still being answered when a fast click arrives)
        choice = str(action["value"])
        t.answers.append(values.get(choice, 0.0))
        label = next((o.label for o in checklist.options if o.key == choice), "Not sure")
        line = f"Q{q.number}: {label}"
        await client.chat_update(channel=t.channel, ts=str(message["ts"]), text=line,
                                 blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": f"✓ {line}"}}])
        await client.chat_update(channel=t.channel, ts=t.root_ts, text=progress(t))
        if len(t.answers) < total:
            await post_card(t)
            return
        score = sum(t.answers)
        await client.chat_postMessage(channel=t.channel, thread_ts=t.root_ts,
                                      text=f"Scorecard for {esc(t.project)}: {score:g}/{total}")
        del threads[t.root_ts]

    return app
