"""What the person who acted is told about their action, in their own words: taken, closed, your vote …"""

from __future__ import annotations

from collections.abc import Callable

from bot.blocks.common import esc, user, when
from bot.blocks.scorecard import answerers
from conversations.flow import Notice, Outcome, left_open_by
from conversations.models import Evaluation
from scoring.checklist import Checklist

DELETED = "This evaluation was deleted, so nothing was recorded."  # any click or note on a deleted one's thread


def notice_text(outcome: Outcome | None) -> str | None:
    """The ephemeral line for an outcome (None when there is nothing to say: an applied click, a repeat)."""
    if outcome is None or outcome.notice is None:
        return None
    return _WORDS[outcome.notice.kind](outcome.notice)


def _who(n: Notice) -> str:
    return "You" if n.by is not None and n.by == n.actor else user(n.by or "someone")


def _when(n: Notice) -> str:
    return f" ({when(n.at)})" if n.at else ""  # Slack shows it in the reader's own time zone


def _taken(n: Notice) -> str:
    if n.by is None:
        return f"{n.question} is no longer open."
    return (f"{_who(n)} already answered {n.question}: *{n.label}*{_when(n)}. "
            "To change it, use the ⋯ menu on its card (“Change to …”).")


def _closed(n: Notice) -> str:
    if n.detail == "abandoned":
        return _closed_for_inactivity(n)
    if n.by is None:
        return f"This evaluation is finished, so {n.question} can no longer be answered here."
    return _taken(n)


def _closed_for_inactivity(n: Notice) -> str:
    """Nothing can be answered, changed or noted any more; a new start begins empty (it is no re-evaluation)."""
    project = esc(n.project or "the project")
    closed = f" on {when(n.at)}" if n.at else ""
    what = f"{n.question} can no longer be answered or changed here" if n.question else "it takes no more answers"
    return (f"This evaluation was closed for inactivity{closed}, so {what}; nothing was recorded. Its answers so "
            f"far stay on their cards in this thread; `/ftcheck start {project}` begins a new evaluation, from the "
            "first question.")


def _voted(n: Notice) -> str:
    if n.detail == "revealed":
        return f"You voted *{n.label}* on {n.question}; that completed the vote, so the card now shows everyone's."
    return f"You voted *{n.label}* on {n.question} — hidden until the reveal; click another answer to change it."


def _revealed(n: Notice) -> str:
    """A vote that came after the reveal; ``detail`` is the card's state, so the advice names what the card offers."""
    late = f"The votes on {n.question} were already revealed, so this vote came too late to count."
    if n.detail == "split":
        return f"{late} They differ: the starter or a lead chooses the team answer on the card."
    return f"{late} If the team's answer should change, use the ⋯ menu on the card (“Change to …”)."


_WORDS: dict[str, Callable[[Notice], str]] = {
    "taken": _taken,
    "closed": _closed,
    "deleted": lambda n: DELETED,
    "unknown_card": lambda n: "That card is not part of this evaluation any more. Use the newest card in the thread.",
    "unchanged": lambda n: f"{n.question} is already {n.label}; nothing changed.",
    "invalid": lambda n: esc(n.detail or "That did not work; nothing was recorded."),
    "not_allowed": lambda n: esc(n.detail or "You may not do that here."),
    "revealed": _revealed,
    "not_split": lambda n: f"{n.question} is not split, so there is nothing to settle.",
    "voted": _voted,
    "team_answer": lambda n: (f"{n.question}'s answer is the team's; only the starter, a lead or a workspace admin "
                              "can change it, so your click changed nothing."),
}


def team_answer_refusal(ev: Evaluation, checklist: Checklist, question_id: str) -> str:
    """Why a change of the team's answer (a vote's, one settled on a split or changed since) was refused, or an
    answer to a split left open, and who may give it."""
    q, entry = checklist.question(question_id), ev.answers[question_id]
    ballot = ev.ballots.get(question_id)
    if (by := left_open_by(ev, q.id)) is not None:
        return (f"{q.key} split and was left open by {user(by)}, so it has no answer yet; only {answerers(ev)} picks "
                "its answer, so your click changed nothing. To say what it should be, ask one of them, or use "
                "*Add a note…* in the same menu.")
    label = checklist.option(entry.value).label if entry.value is not None else "Not sure"
    if entry.settled_by:
        split = ballot is not None and len(ballot.decided()) > 1
        whose = (f"{q.key}'s team answer was settled by {user(entry.settled_by)}" if split
                 else f"{q.key}'s team answer was changed to {label} by {user(entry.settled_by)}")
    else:
        voters = [uid for uid, v in sorted(ballot.votes.items(), key=lambda kv: kv[1].at)
                  if v.value == entry.value] if ballot is not None else []
        whose = f"{q.key}'s answer, {label}, is the team's vote ({', '.join(map(user, voters))})"
    return (f"{whose}; only {answerers(ev)} can change it, so your "
            "click changed nothing. To say why it should change, ask one of them, or use *Add a note…* in the same "
            "menu.")
