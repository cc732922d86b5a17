"""Pure renderers for leads: summary, list, history, reminders, idle nudges, the App Home tab and modals.

Everything people, models or a team's own checklist wrote goes through :func:`esc`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from bot.blocks.common import Block, actions, button, clip, context, divider, esc, header, section, user, when
from conversations.models import Evaluation
from scoring.render import bar, tree_lines
from scoring.scorecard import Scorecard, fmt_score

REEVAL_START = "reeval_start"
REEVAL_SNOOZE = "reeval_snooze"
REEVAL_STOP = "reeval_stop"
HOME_SUMMARY = "home_summary"
HOME_MAX_ROWS = 30
GAPS_IN_REMINDER = 20  # a section holds 3,000 characters; longer checklists get "… and N more"


@dataclass(frozen=True)
class Scored:
    """An evaluation with its scorecard and progress (answered / questions)."""

    ev: Evaluation
    card: Scorecard
    answered: int
    questions: int

    @property
    def done(self) -> bool:
        return self.ev.status == "completed"

    @property
    def progress(self) -> str:
        return f"{self.answered}/{self.questions}"


@dataclass(frozen=True)
class HomeRow:
    """One project on a user's App Home tab."""

    current: Scored  # latest completed evaluation, else the latest one
    previous: Scored | None  # the completed evaluation before ``current``
    running: Scored | None  # an evaluation of the project still in progress
    due: datetime | None  # next re-evaluation reminder
    took_part: bool


def signed(value: float) -> str:
    return f"{'+' if value >= 0 else ''}{fmt_score(value)}"


def day(at: datetime | None) -> str:
    return "—" if at is None else f"{at:%Y-%m-%d}"


def evaluated_at(ev: Evaluation) -> datetime:
    return ev.completed_at or ev.last_activity


def _score_and_band(s: Scored) -> str:
    return f"{s.card.total_text} — {esc(s.card.band.name)}" if s.done else f"running score {s.card.total_text}"


# -- /ftcheck summary -------------------------------------------------------------------------------------

def summary_text(current: Scored, previous: Scored | None, running: Scored | None, *, link: str,
                 running_link: str | None = None) -> str:
    """The latest evaluation's scorecard and the change since the previous one, as mrkdwn."""
    ev, card = current.ev, current.card
    lines = [f"*{esc(ev.project)}* — {esc(card.headline)}{_since(current, previous)}",
             f"_{esc(card.band.recommendation)}_", "", "*Sections*"]
    before = {s.id: s for s in previous.card.sections} if previous else {}
    for s in card.sections:
        change = f" ({signed(s.score - before[s.id].score)})" if s.id in before else ""
        lines.append(f"`{bar(s.score, s.max)}` {fmt_score(s.score)}/{fmt_score(s.max)} {esc(s.title)}{change}")
    if card.decision_tree is not None:
        lines += ["", "*Decision tree*", *(esc(line) for line in tree_lines(card))]
    if card.disagreement:
        lines.append(f":warning: {esc(card.disagreement)}")
    lines += _gap_lines(card)
    lines += ["", _who_and_when(ev), link]
    if running is not None and running.ev.id != ev.id:
        lines.append(f":hourglass_flowing_sand: A re-evaluation is in progress ({running.progress} answered, "
                     f"{esc(running.card.headline)}) {running_link or ''}".rstrip())
    return "\n".join(lines)


def _since(current: Scored, previous: Scored | None) -> str:
    if previous is None:
        return ""
    d = current.card.total - previous.card.total
    return (f" · {signed(d)} since {day(evaluated_at(previous.ev))} "
            f"({previous.card.total_text}, {esc(previous.card.band.name)})")


def _gap_lines(card: Scorecard) -> list[str]:
    if not card.gaps:
        return ["", "*Gaps:* none — every answer is a Yes."] if not card.provisional else []
    lines = ["", "*Gaps and next steps* (weakest section first)"]
    for group in card.gaps:
        for g in group.gaps:
            lines.append(f"• *{g.question}* ({g.answer}) {esc(g.text)}\n    → {esc(g.next_step)}")
    return lines


def _who_and_when(ev: Evaluation) -> str:
    counts = Counter(a.by for a in ev.answers.values() if a.value is not None)
    people = ", ".join(f"{user(uid)} ({n})" for uid, n in counts.most_common()) or "nobody yet"
    finished = f"completed {when(ev.completed_at)}" if ev.completed_at else f"last answer {when(ev.last_activity)}"
    return f"Answered by {people} · started by {user(ev.started_by)} {when(ev.started_at)} · {finished}"


def channel_summary_line(current: Scored, previous: Scored | None, running: Scored | None, link: str) -> str:
    """One project in the short form of ``/ftcheck summary`` without a project."""
    status = f" · re-evaluation in progress {running.progress}" if running and running.ev.id != current.ev.id else ""
    if not current.done:
        status = f" · in progress {current.progress}"
    return (f"• *{esc(current.ev.project)}* — {_score_and_band(current)}{_since(current, previous)}{status} "
            f"· {link}")


# -- /ftcheck list ----------------------------------------------------------------------------------------

def list_line(current: Scored, running: Scored | None, count: int, due: datetime | None) -> str:
    status = f"in progress {running.progress}" if running is not None else "done"
    evaluations = f" · {count} evaluations" if count > 1 else ""
    return (f"• *{esc(current.ev.project)}* in <#{current.ev.channel}> — {_score_and_band(current)} · {status} "
            f"· last evaluated {day(evaluated_at(current.ev))} · next reminder {day(due)}{evaluations}")


# -- /ftcheck history -------------------------------------------------------------------------------------

def history_line(entry: Scored, before: Scored | None, link: str) -> str:
    ev, card = entry.ev, entry.card
    head = (f"• {day(ev.started_at)} — {card.total_text} {esc(card.band.name)}" if entry.done
            else f"• {day(ev.started_at)} — in progress {entry.progress} ({esc(card.headline)})")
    line = f"{head} · started by {user(ev.started_by)} · {link}"
    if before is None or not entry.done:
        return line
    if before.ev.checklist != ev.checklist:
        return f"{line}\n    Δ total {signed(card.total - before.card.total)} (different checklist)"
    old = {s.id: s.score for s in before.card.sections}
    parts = [f"{esc(s.title)} {signed(s.score - old.get(s.id, 0.0))}" for s in card.sections]
    return f"{line}\n    Δ total {signed(card.total - before.card.total)} · {', '.join(parts)}"


# -- reminders and nudges ---------------------------------------------------------------------------------

def reminder_blocks(ev: Evaluation, card: Scorecard, *, outcome: str | None = None) -> list[Block]:
    """The re-evaluation reminder; with ``outcome`` (after a click) the buttons give way to what happened."""
    blocks = [
        section(f":calendar: *Time to re-evaluate {esc(ev.project)}.* A \u201cnot yet\u201d then can be a "
                f"strong candidate now.\n*Last time* ({day(evaluated_at(ev))}): *{card.total_text}* — "
                f"{esc(card.band.name)}"),
        section(_reminder_gaps(card)),
    ]
    if outcome is not None:
        return [*blocks, context(outcome)]
    return [*blocks,
            actions("reminder",
                    button("Start re-evaluation", REEVAL_START, ev.id, "primary"),
                    button("Snooze 2 weeks", REEVAL_SNOOZE, ev.id),
                    button("Stop reminders", REEVAL_STOP, ev.id, "danger")),
            context("Re-evaluation opens a new thread pre-filled with last time's answers; people confirm or "
                    "change each one.")]


def _reminder_gaps(card: Scorecard) -> str:
    gaps = [g for group in card.gaps for g in group.gaps]
    if not gaps:
        return "*Gaps then:* none."
    lines = [f"• *{g.question}* ({g.answer}) {esc(g.text)}" for g in gaps[:GAPS_IN_REMINDER]]
    if len(gaps) > GAPS_IN_REMINDER:
        lines.append(f"… and {len(gaps) - GAPS_IN_REMINDER} more")
    return clip("*Gaps then:*\n" + "\n".join(lines))


def reminder_text(ev: Evaluation, card: Scorecard) -> str:
    return f"Time to re-evaluate {ev.project}: last score {card.total_text} ({card.band.name})."


def idle_text(question_key: str, question_text: str, link: str | None = None) -> str:
    where = f"<{link}|its card>" if link else "its card"
    return (f"Gentle nudge: this evaluation is waiting for {question_key} — \u201c{esc(question_text)}\u201d. "
            f"Anyone in the channel can answer on {where}.")


# -- App Home and modals ----------------------------------------------------------------------------------

def home_view(rows: list[HomeRow]) -> Block:
    blocks: list[Block] = [header("ftcheck — fine-tuning readiness"),
                           context("Evaluations you took part in or can see. Scores count only answers people "
                                   "confirmed.")]
    if not rows:
        blocks.append(section("Nothing yet. In a channel, run `/ftcheck start <project>`."))
    for row in rows[:HOME_MAX_ROWS]:
        blocks += _home_row(row)
    if len(rows) > HOME_MAX_ROWS:
        blocks.append(context(f"… and {len(rows) - HOME_MAX_ROWS} more: `/ftcheck list` in a channel."))
    return {"type": "home", "blocks": blocks}


def _home_row(row: HomeRow) -> list[Block]:
    cur = row.current
    trend = ""
    if row.previous is not None:
        d = cur.card.total - row.previous.card.total
        arrow = "▲" if d > 0 else "▼" if d < 0 else "="
        trend = f" · trend {arrow} {signed(d)} since {day(evaluated_at(row.previous.ev))}"
    lines = [f"*{esc(cur.ev.project)}* in <#{cur.ev.channel}>" + (" · you took part" if row.took_part else ""),
             f"{_score_and_band(cur)}{trend}"]
    if row.running is not None:
        lines.append(f":hourglass_flowing_sand: in progress: {row.running.progress} answered")
    lines.append(f"Next re-evaluation: {day(row.due)}")
    elements = [button("Summary", HOME_SUMMARY, cur.ev.id)]
    if row.running is None and cur.done:
        elements.append(button("Start re-evaluation", REEVAL_START, cur.ev.id, "primary"))
    return [divider(), section("\n".join(lines)), actions(f"home:{cur.ev.id}", *elements)]


def summary_modal(title: str, text: str) -> Block:
    return {"type": "modal", "title": {"type": "plain_text", "text": clip(title, 24)},
            "close": {"type": "plain_text", "text": "Close"},
            "blocks": [section(chunk) for chunk in split_text(text)][:100]}


def split_text(text: str, limit: int = 2900) -> list[str]:
    """Cut mrkdwn into section-sized chunks at line breaks (a single over-long line is clipped)."""
    out: list[str] = []
    current = ""
    for line in text.split("\n"):
        line = clip(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            out.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current.strip():
        out.append(current)
    return out or ["(empty)"]
