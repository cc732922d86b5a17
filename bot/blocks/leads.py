"""Blocks for reminders, the App Home tab and the summary modal."""

from __future__ import annotations

from datetime import datetime

from bot.blocks.common import Block, actions, button, clip, context, divider, esc, header, section
from conversations.models import Evaluation
from scoring.scorecard import Scorecard, fmt_score

REEVAL_START = "reeval_start"
REEVAL_SNOOZE = "reeval_snooze"
REEVAL_STOP = "reeval_stop"
HOME_SUMMARY = "home_summary"


def reminder_blocks(ev: Evaluation, card: Scorecard) -> list[Block]:
    gaps = [f"{g.question} ({g.answer})" for group in card.gaps for g in group.gaps]
    gap_text = ", ".join(gaps[:20]) + (" …" if len(gaps) > 20 else "") if gaps else "none"
    return [
        section(f":calendar: *Time to re-evaluate {esc(ev.project)}.* A \u201cnot yet\u201d last quarter can be "
                f"a strong candidate now.\nLast time ({ev.started_at:%Y-%m-%d}): *{card.total_text}* — "
                f"{esc(card.band.name)}\nGaps then: {gap_text}"),
        actions("reminder",
                button("Start re-evaluation", REEVAL_START, ev.id, "primary"),
                button("Snooze 2 weeks", REEVAL_SNOOZE, ev.id),
                button("Stop reminders", REEVAL_STOP, ev.id, "danger")),
        context("Re-evaluation opens a new thread pre-filled with last time's answers; confirm or change each."),
    ]


def reminder_text(ev: Evaluation, card: Scorecard) -> str:
    return f"Time to re-evaluate {ev.project}: last score {card.total_text} ({card.band.name})."


def idle_text(question_key: str, question_text: str) -> str:
    return (f"Gentle nudge: this evaluation is waiting for {question_key} — \u201c{question_text}\u201d. "
            "Anyone in the channel can answer on its card.")


def home_view(rows: list[tuple[Evaluation, Scorecard, Scorecard | None, datetime | None]]) -> Block:
    blocks: list[Block] = [header("ftcheck — fine-tuning readiness"),
                           context("Evaluations you took part in or can see. Scores are computed from "
                                   "answers people confirmed.")]
    if not rows:
        blocks.append(section("Nothing yet. In a channel, run `/ftcheck start <project>`."))
    for ev, card, before, due in rows[:30]:
        trend = ""
        if before is not None:
            d = card.total - before.total
            trend = f" · trend {'▲' if d > 0 else '▼' if d < 0 else '='} {'+' if d >= 0 else ''}{fmt_score(d)}"
        status = card.headline if ev.status == "completed" else f"in progress — {card.headline}"
        due_text = f" · next re-evaluation {due:%Y-%m-%d}" if due else ""
        blocks.append(divider())
        blocks.append(section(f"*{esc(ev.project)}* in <#{ev.channel}>\n{esc(status)}{trend}{due_text}"))
        blocks.append(actions(f"home:{ev.id}", button("Summary", HOME_SUMMARY, ev.id),
                              button("Start re-evaluation", REEVAL_START, ev.id)))
    return {"type": "home", "blocks": blocks[:100]}


def summary_modal(title: str, text: str) -> Block:
    return {"type": "modal", "title": {"type": "plain_text", "text": clip(title, 24)},
            "close": {"type": "plain_text", "text": "Close"},
            "blocks": [section(chunk) for chunk in _split(text)][:100]}


def _split(text: str, limit: int = 2900) -> list[str]:
    out, current = [], ""
    for line in text.split("\n"):
        if len(current) + len(line) + 1 > limit:
            out.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line[:limit]
    return [*out, current] if current else out
