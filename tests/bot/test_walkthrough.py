"""A whole evaluation in a Slack thread, from `/ftcheck start` to the scorecard, for each worked example."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bot.harness import running_bot
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn

EXAMPLES = json.loads((Path(__file__).parent.parent / "data" / "worked_examples.json").read_text())["examples"]


def _texts(blocks: list[dict]) -> str:
    out = []
    for b in blocks:
        if isinstance(b.get("text"), dict):
            out.append(b["text"]["text"])
        for el in b.get("elements", []):
            if isinstance(el, dict) and "text" in el and isinstance(el["text"], str):
                out.append(el["text"])
    return "\n".join(out)


@pytest.mark.parametrize("name", list(EXAMPLES))
async def test_worked_example_end_to_end(name: str, slack: SlackStandIn, redis_server: RedisServer,
                                         redis_client) -> None:
    example = EXAMPLES[name]
    expected = example["expected"]
    async with running_bot(slack, redis_server.url) as bot:
        status, _ = await bot.command(f"start {example['title']}")
        assert status == 200
        await slack.wait_for(lambda: bot.open_card() is not None, what="first card")
        root = slack.messages("C1", top_level=True)[-1]
        assert example["title"] in _texts(root.blocks)
        first = bot.open_card()
        assert first is not None and "Question 1 of 20" in _texts(first.blocks)
        labels = [el["text"]["text"] for el in bot.element_list(first)]
        assert [lbl.split()[0] for lbl in labels] == ["Yes", "Partly", "No", "Not"]

        await bot.answer_all(example["answers"], users=["U1", "U2", "U3"])
        await slack.wait_for(lambda: bot.scorecard() is not None, what="scorecard")
        card = bot.scorecard()
        assert card is not None
        text = _texts(card.blocks)
        total = f"{expected['total']:g}/20"
        assert total in text, text
        assert "10.5/20" not in text
        band_names = {"strong": "Strong go", "conditional": "Conditional go", "weak": "Weak candidate",
                      "dont": "Don't fine-tune yet"}
        assert band_names[expected["band"]] in text
        # the tree-vs-band warning comes first, folded into the one decision
        assert ("the score alone" in "\n".join(text.splitlines()[:2])) == expected["disagree"]
        assert "Who answered what" in text and "<@U2>" in text
        await slack.wait_for(lambda: total in _texts(slack.messages("C1", top_level=True)[-1].blocks),
                             what="root shows the result")
        # every card has shrunk to a one-line record of the answer and who gave it, and lost its answer buttons
        cards = [m for m in bot.thread() if ":card:" in str((m.metadata or {}).get("event_payload", {}).get("ref"))]
        assert len(cards) == 20
        assert all("✓ *q" in _texts(m.blocks) and "<@U" in _texts(m.blocks) for m in cards)
        assert not any(el.get("action_id", "").startswith("answer_") for m in cards for el in bot.element_list(m))
        assert len([m for m in bot.thread() if m.text.startswith("Scorecard for")]) == 1
