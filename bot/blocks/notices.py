"""What the person who acted is told about their action, in their own words: taken, closed, your vote …"""

from __future__ import annotations

from collections.abc import Callable

from bot.blocks.common import esc, user, when
from bot.blocks.scorecard import answerers
from conversations.flow import Notice, Outcome, card_state, left_open_by
from conversations.models import Evaluation
from scoring.checklist import Checklist

DELETED = "This evaluation was deleted, so nothing was recorded."  # any click or note on a deleted one's thread


def notice_text(outcome: Outcome | None) -> str | None:
    """The ephemeral line for an outcome (None when there is nothing to say: an applied click, a repeat)."""
    if outcome is None or outcome.notice is None:
        return None
    return notice_text_of(outcome.notice)


# A card's button clicked in a channel that is not its evaluation's (a copied button value): names nothing of it
OTHER_CHANNEL = ("That button belongs to a card in another channel, so nothing was changed. Use the card in its "
                 "evaluation's thread.")


def notice_text_of(n: Notice) -> str:
    return _WORDS[n.kind](n)


def _who(n: Notice) -> str:
    return "You" if n.by is not None and n.by == n.actor else user(n.by or "someone")


def _when(n: Notice) -> str:
    return f" ({when(n.at)})" if n.at else ""  # Slack shows it in the reader's own time zone


def _taken(n: Notice) -> str:
    if n.by is None:
        return f"{n.question} is no longer open."
    if n.detail == "asked_again":  # a split's team answer chosen as Not sure just before this click
        return (f"{_who(n)} chose “Not sure — ask again later” on {n.question}{_when(n)}, so the team votes on it "
                "again before the scorecard. To give it an answer now, use the ⋯ menu on its card (“Change to …”).")
    if n.detail == "left_open":
        return (f"{_who(n)} chose “Not sure” on {n.question}{_when(n)}, so it is left without an answer. To give it "
                "one, use the ⋯ menu on its card (“Change to …”).")
    return (f"{_who(n)} already answered {n.question}: *{n.label}*{_when(n)}. "
            "To change it, use the ⋯ menu on its card (“Change to …”).")


def _closed(n: Notice) -> str:
    if n.detail == "abandoned":
        return _closed_for_inactivity(n)
    if n.by is None:
        return f"This evaluation is finished, so {n.question or 'that card'} can no longer be answered here."
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
    """Private words on a hidden vote (``voting.vote``): the person's first vote of the evaluation explains once how
    hidden votes work; later ones say nothing, unless the vote was changed or clicked again to check it."""
    if n.detail == "same":
        return f"Your vote on {n.question} is *{n.label}* (hidden until the reveal)."
    if n.detail == "changed":
        return f"Changed your vote on {n.question} to *{n.label}*."
    return (f"You voted *{n.label}* on {n.question}. Votes stay hidden until the reveal, on this card and the next "
            "ones: each card lists who has voted, never what. To see your vote, click the same answer again (only "
            "you see the reply); another answer changes it. Your next votes get no message like this one.")


def _revealed(n: Notice) -> str:
    """A vote that came after the reveal, said without knowing who clicked (:func:`late_vote` knows)."""
    return late_vote(n, may_change=False, team_answer=True, answerers_are="the starter, a lead or a workspace admin")


def late_vote(n: Notice, *, may_change: bool, team_answer: bool, answerers_are: str) -> str:
    """A vote that came after the reveal; ``detail`` is the card's state, so the advice names what the card offers
    to this person: ``may_change`` (the starter, a lead, an admin: ``bot.leads.access.may_manage``) or an answer
    that is not the team's (``flow.team_answer``) is changed from the ⋯ menu; anyone else is told who can change
    it and that a note says what they think."""
    late = f"The votes on {n.question} were already revealed, so this vote came too late to count."
    if n.detail == "split":
        if may_change:
            return f"{late} They differ: choose the team answer with the “… — team answer” buttons on the card."
        return (f"{late} They differ: {answerers_are} chooses the team answer on the card; to say what it should be, "
                "ask one of them.")
    if may_change or not team_answer:
        return f"{late} If the team's answer should change, use the ⋯ menu on the card (“Change to …”)."
    return (f"{late} The answer is the team's: only {answerers_are} can change it. To say why it should change, ask "
            "one of them, or use *Add a note…* in the ⋯ menu on the card.")


def _unknown_card(n: Notice) -> str:
    if n.detail == "asked_again":
        return older_card(n)
    return not_saved(n)


def not_saved(n: Notice, link: str | None = None, what: str = "click") -> str:
    """A click (``what``: a vote, a change) on a card the saved evaluation does not hold (``flow.not_saved``): why
    nothing was recorded, and where the evaluation asks now (``link``: that card's permalink)."""
    if n.detail == "answer_lost":
        # the card shows a click (an answer, or a Not sure) that the saved evaluation does not hold
        why = (f"{n.question}'s card shows a click that is not in ftcheck's saved evaluation, so your {what} was not "
               f"recorded: ftcheck's saved data was set back to an earlier point, before that click{_saved(n)}.")
    elif n.detail == "copy":
        why = (f"That card is not the one ftcheck recorded for {n.question or 'its question'}, so your {what} was "
               "not recorded.")
    else:
        why = f"That card is not in ftcheck's saved evaluation, so your {what} was not recorded"
        why += (f": ftcheck's saved data was set back to an earlier point, before that card was posted{_saved(n)}."
                if n.detail == "lost" else ".")
    return f"{why} {_asked_now(n, link)}"


def _saved(n: Notice) -> str:
    return f" (the saved evaluation has {n.answered} of {n.total} answered)" if n.total else ""


def _asked_now(n: Notice, link: str | None) -> str:
    """Where the saved evaluation asks now: its card, which the refusal redraws with its buttons."""
    if n.asks is None:
        return "The thread's first message shows where the evaluation stands."
    again = " again" if n.detail in ("lost", "answer_lost") else ""
    return f"{n.asks} is asked{again} on its card: <{link}|{n.asks}>." if link else (
        f"{n.asks} is asked{again} on its card in this thread.")


def stale_card_words(n: Notice, link: str | None) -> str:
    """What a card the saved evaluation does not hold says instead of its buttons (``flow.not_saved``): that it takes
    no answers, why, and the card the evaluation went on from (``link``: its permalink). Of an evaluation that is
    over (``closed``), that it is (``link``: its scorecard's permalink)."""
    if n.kind == "closed":
        over = ("The evaluation was closed for inactivity." if n.detail == "abandoned" else
                f"The evaluation is finished: <{link}|its scorecard>." if link else "The evaluation is finished.")
        return f"This card is not in ftcheck's saved evaluation, so it takes no answers. {over}"
    if n.detail == "copy":
        why = f"This card is not the one ftcheck recorded for {n.question or 'its question'}, so it takes no answers."
    elif n.detail == "lost":
        why = ("This card is not in ftcheck's saved evaluation, so it takes no answers: ftcheck's saved data was set "
               "back to an earlier point, before this card was posted.")
    else:
        why = "This card is not in ftcheck's saved evaluation, so it takes no answers."
    if n.asks is None:
        return why
    card = f"<{link}|{n.asks}'s card>" if link else f"{n.asks}'s card"
    return f"{why} The evaluation went on from {card}."


def older_card(n: Notice, round_no: int | None = None, link: str | None = None) -> str:
    """A vote on an earlier card of a question asked again: that card keeps its round of votes; the newest card
    takes votes (``link``: its permalink)."""
    which = f"round {round_no}" if round_no else "an earlier round"
    newest = f"<{link}|its newest card>" if link else "its newest card, further down the thread"
    return (f"That card holds {which} of the votes on {n.question}, which was asked again, so your vote was not "
            f"counted there. Vote on {newest}.")


def _not_split(n: Notice) -> str:
    if n.detail == "asked_again":  # settled as Not sure (perhaps by a click racing this one), and asked again now
        who = f"{_who(n)} chose to ask {n.question} again" if n.by else f"{n.question} was asked again"
        return (f"{who} after its votes split{_when(n)}, so there is no team answer to choose on that card: the team "
                "votes on it again on its newest card, further down the thread.")
    return f"{n.question} is not split, so there is nothing to settle."


_WORDS: dict[str, Callable[[Notice], str]] = {
    "taken": _taken,
    "closed": _closed,
    "deleted": lambda n: DELETED,
    "unknown_card": _unknown_card,
    "unchanged": lambda n: f"{n.question} is already {n.label}; nothing changed.",
    "invalid": lambda n: esc(n.detail or "That did not work; nothing was recorded."),
    "not_allowed": lambda n: esc(n.detail or "You may not do that here."),
    "revealed": _revealed,
    "not_split": _not_split,
    "voted": _voted,
    "team_answer": lambda n: (f"{n.question}'s answer is the team's; only the starter, a lead or a workspace admin "
                              "can change it, so your click changed nothing."),
    "other_channel": lambda n: OTHER_CHANNEL,
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
    if entry.value is None and entry.settled_by:  # a split sent back to the team: no answer was settled
        return asked_again_refusal(ev, q.key, q.id, entry.settled_by)
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


def asked_again_refusal(ev: Evaluation, key: str, question_id: str, by: str) -> str:
    """An answer picked from the ⋯ menu for a split that ``by`` chose to ask again ("Not sure — ask again later"),
    by someone who may not give the team's answer: it has none yet, and the team votes on it again."""
    again = ("the team is voting on it again on its newest card, further down the thread"
             if card_state(ev, question_id) == "asked" else "the team votes on it again before the scorecard")
    return (f"{key} split and {user(by)} chose to ask it again, so it has no answer yet: {again}. Until then only "
            f"{answerers(ev)} can give it an answer, so your click changed nothing. To say what it should be, vote "
            "when it is asked again, or use *Add a note…* in the same menu.")
