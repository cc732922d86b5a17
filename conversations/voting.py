"""Vote mode: every person votes on a card, nobody sees a vote before the reveal, a split is settled.

Pure transitions over an :class:`Evaluation` (moves declared in ``walk.py``). A vote on a card whose
quorum is reached reveals it in the same write, so two simultaneous last votes reveal once; a settle that
races a late vote is decided by the store's compare-and-set.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from conversations import walk
from conversations.effects import PostSplit, UpdateSplit
from conversations.flow import (
    Move,
    Notice,
    Outcome,
    advance,
    asked_again,
    card_state,
    carried_note,
    close_cards_of,
    find_card,
    invalid,
    move_past_gone,
    owe,
    refuse_closed,
    refused,
    retired_choice,
    split_told,
    team_answer,
)
from conversations.models import AnswerEntry, Ballot, Evaluation, Vote, utcnow
from scoring.agreement import Agreement, agreement_of
from scoring.checklist import Checklist


def vote(ev: Evaluation, checklist: Checklist, *, card_ts: str, user: str, value: float | None,
         question: str | None = None, now: datetime | None = None) -> Outcome:
    """Record (or change) one person's hidden vote; reveal when the quorum has voted."""
    now = now or utcnow()
    found = find_card(ev, card_ts, question)
    if isinstance(found, Outcome):
        return found
    qid, key = found.question, checklist.question(found.question).key
    ballot = ev.ballots.get(qid)
    if ev.status != "in_progress":
        return refuse_closed(ev, key, user)
    mine = ballot.votes.get(user) if ballot is not None else None
    state = card_state(ev, qid)
    if mine is not None and mine.value == value:  # this vote again: to check it, a double click, after the reveal
        hidden = found.open and state == "asked" and ballot is not None and not ballot.revealed
        return Outcome(status="unchanged", notice=_vote_notice(checklist, key, value, user, "same") if hidden else None)
    if not found.open and state == "asked":  # an older card of a question asked again: the newest card takes votes
        cards = ev.cards_of(qid)
        round_no = cards.index(card_ts) + 1 if card_ts in cards else None
        return refused("unknown_card", question=key, detail="asked_again", round=round_no)
    if not found.open or state != "asked" or (ballot is not None and ballot.revealed):  # too late to count
        return refused("revealed", question=key, detail=state, team=state == "split" or team_answer(ev, qid))
    if value is not None:
        checklist.answer_option(value)  # a new vote must be one of today's options (KeyError)
    first = mine is None and not has_voted(ev, user)  # a changed vote is never a first one
    ballot = ev.ballots.setdefault(qid, Ballot())
    ballot.votes[user] = Vote(value=value, at=now)
    ev.last_activity = now
    move = Move(ev)
    move.make("vote", "asked", "asked", qid)
    quorum = len(ballot.votes) >= ev.quorum
    outcome = _reveal(ev, checklist, qid, None, move, now, by=user) if quorum else move.outcome()
    # said privately only when it tells something: how hidden votes work (a first vote), or a changed vote; the
    # vote that completed the vote is on the card for all to see
    said = None if ballot.revealed else "changed" if mine is not None else "first" if first else None
    outcome.notice = _vote_notice(checklist, key, value, user, said) if said else None
    return outcome


def _vote_notice(checklist: Checklist, key: str, value: float | None, user: str, detail: str) -> Notice:
    label = "Not sure" if value is None else checklist.option(value).label
    return Notice(kind="voted", question=key, label=label, actor=user, detail=detail)


def has_voted(ev: Evaluation, user: str) -> bool:
    """Whether ``user`` voted anywhere in the evaluation: on a card, or in a round before a question was asked
    again."""
    return (any(user in b.votes for b in ev.ballots.values())
            or any(user in r.votes for entry in ev.answers.values() for r in entry.earlier))


# A Reveal before the quorum needs this many votes, unless the starter, a lead or an admin clicks it: one person
# cannot vote and reveal their own vote as the team's answer (which only those three may then change).
EARLY_REVEAL_VOTES = 2


def early_reveal_short(ev: Evaluation, checklist: Checklist, question: str) -> int | None:
    """The rule for Reveal votes before the quorum, for someone who is not the starter, a lead or an admin (they
    reveal any number of votes: a small team): the card must hold :data:`EARLY_REVEAL_VOTES` votes. Returns the votes
    the card holds when the rule refuses such a Reveal; None when it allows it, and when :func:`reveal` answers the
    click otherwise (nobody has voted, the card does not take votes, the question left the checklist, the
    evaluation is over)."""
    if ev.mode != "vote" or ev.status != "in_progress" or retired_choice(checklist, question, None) is not None:
        return None
    qid = checklist.question(question).id
    ballot = ev.ballots.get(qid)
    if ballot is None or ballot.revealed or card_state(ev, qid) != "asked":
        return None
    votes = len(ballot.votes)
    return votes if 0 < votes < EARLY_REVEAL_VOTES else None


def reveal(ev: Evaluation, checklist: Checklist, *, question: str, user: str, may_manage: bool | None = None,
           now: datetime | None = None) -> Outcome:
    """Someone clicked Reveal before the quorum was reached.

    ``may_manage``: ``user`` is the starter, a lead or an admin, who may reveal any number of votes; anyone else
    needs :data:`EARLY_REVEAL_VOTES` (:func:`early_reveal_short`). None: the caller applied that rule to its own
    read of the evaluation just before (a card's votes are only added until it is revealed, so a Reveal it allowed
    stays allowed)."""
    now = now or utcnow()
    if (gone := retired_choice(checklist, question, None)) is not None:  # dropped from the team's checklist
        if ev.status == "deleted":
            return refused("deleted")
        outcome = move_past_gone(ev, checklist, now)  # its card closes and the walk goes on, as after a vote on it
        moved = "; the evaluation goes on without it." if outcome.applied else "."
        outcome.notice = Notice(kind="invalid", detail=gone.removesuffix(".") + moved)
        return outcome
    q = checklist.question(question)
    ballot = ev.ballots.get(q.id)
    if ev.status == "deleted":
        return refused("deleted")
    if ballot is not None and ballot.revealed:
        return Outcome(status="unchanged")  # two Reveal clicks at once: the first one did it
    if ev.status != "in_progress":
        return refuse_closed(ev, q.key, user)  # votes stay hidden
    entry = ev.answers.get(q.id)
    if card_state(ev, q.id) != "asked" and entry is not None:  # answered meanwhile (Change answer): who, and what
        label = checklist.option(entry.value).label if entry.value is not None else "Not sure"
        return refused("taken", question=q.key, by=entry.by, label=label, at=entry.at, actor=user)
    if ballot is None or not ballot.votes:
        return invalid(f"Nobody has voted on {q.key} yet; vote first, then reveal.")
    if may_manage is False and (votes := early_reveal_short(ev, checklist, q.id)) is not None:
        return invalid(f"Nothing was revealed: {q.key} has {votes} of the {EARLY_REVEAL_VOTES} votes a Reveal "
                       "before the quorum needs. The evaluation's starter, a lead or an admin can reveal it sooner.")
    return _reveal(ev, checklist, q.id, user, Move(ev), now, by=user)


def _reveal(ev: Evaluation, checklist: Checklist, qid: str, user: str | None, move: Move,
            now: datetime, *, by: str) -> Outcome:
    """``user``: who clicked Reveal (None: the quorum revealed it); ``by``: whose click it was (the last vote's)."""
    ballot = ev.ballots[qid]
    ballot.revealed, ballot.revealed_by = True, user
    decided = ballot.decided()
    prior = ev.answers.get(qid)
    last_voter = max(ballot.votes.items(), key=lambda kv: kv[1].at)[0]
    if len(decided) > 1:
        ev.last_activity = now  # a Reveal click that ends in a split is the team at work: the idle watch starts over
        if prior is not None and prior.settled_by:  # a split settled as Not sure, asked again, split again
            ev.answers[qid] = prior.model_copy(update={"settled_by": None})
        move.make("reveal", "asked", "split", qid)
        outcome = move.outcome()
        if by != ev.started_by:  # the starter's own click split it: the card shows them at once
            _ask_to_settle(ev, qid, outcome)
        return outcome
    value = next(iter(decided)) if decided else None
    ev.answers[qid] = AnswerEntry(question=qid, value=value, by=user or last_voter, at=now,
                                  skips=(prior.skips if prior else 0) + (1 if value is None else 0),
                                  suggestion=ev.suggestions.get(qid), **_kept(ev, qid, value, prior))
    close_cards_of(ev, qid)
    move.make("reveal", "asked", card_state(ev, qid), qid)
    return move.outcome(completed=advance(ev, checklist, move, now))


def _ask_to_settle(ev: Evaluation, qid: str, outcome: Outcome) -> None:
    """The walk's ``wait`` row: a split card waits for the starter, and one reply in the thread tells them (a card's
    redraw notifies nobody). Owed after the move's own effects: it carries which card split, so ``flow``'s table of
    fixed effects cannot make it."""
    card = ev.card_for(qid)
    if card is None:
        return
    outcome.moves.append(walk.row_id("wait", "split", "split"))
    if walk.owes("wait", "split", "split") != ("post_split",):
        raise LookupError("the walk's wait row owes another effect")
    outcome.effects += owe(ev, [PostSplit(question=qid, card=card)])


def settle(ev: Evaluation, checklist: Checklist, *, question: str, user: str, value: float | None,
           now: datetime | None = None) -> Outcome:
    """The team answer of a split card; the caller has checked that ``user`` may settle.

    ``value`` None is Not sure: the team cannot settle it yet, so the question is skipped like an all-Not-sure
    vote (asked again, with a fresh vote, before the end; a second time it is left for the team)."""
    now = now or utcnow()
    q = checklist.question(question)
    if value is not None:
        checklist.answer_option(value)  # the team answer must be one of today's options (KeyError)
    if ev.status == "deleted":
        return refused("deleted")
    if ev.status != "in_progress":
        return refuse_closed(ev, q.key, user)
    state = card_state(ev, q.id)
    entry = ev.answers.get(q.id)
    if entry is not None and entry.settled_by and state in ("answered", "skipped"):  # settled meanwhile
        if entry.settled_by == user and entry.value == value:
            return Outcome(status="unchanged")
        label = checklist.option(entry.value).label if entry.value is not None else "Not sure"
        # Not sure is no answer: the question is asked again (once; a second time it is left open)
        sent_back = None if entry.value is not None else "asked_again" if asked_again(entry.skips) else "left_open"
        return refused("taken", question=q.key, by=entry.settled_by, label=label, at=entry.at, actor=user,
                       detail=sent_back)
    if state == "answered" and entry is not None:
        label = checklist.option(entry.value).label if entry.value is not None else "Not sure"
        return refused("taken", question=q.key, by=entry.by, label=label, at=entry.at, actor=user)
    if state == "asked" and entry is not None:  # the split was sent back to the team: its newest card takes votes
        return refused("not_split", question=q.key, by=entry.settled_by, at=entry.at if entry.settled_by else None,
                       actor=user, detail="asked_again")
    if state != "split":
        return refused("not_split", question=q.key)
    skips = _skips_after(entry, value)
    told = _settled_reply(ev, q.id, user, value, asked_again(skips))  # before the walk moves on (a fresh round)
    ev.answers[q.id] = AnswerEntry(question=q.id, value=value, by=user, at=now, settled_by=user, skips=skips,
                                   suggestion=ev.suggestions.get(q.id), **_kept(ev, q.id, value, entry))
    close_cards_of(ev, q.id)
    move = Move(ev)
    settled = card_state(ev, q.id)
    move.make("settle", "split", settled, q.id)
    completed = advance(ev, checklist, move, now)
    if told is not None and "update_split" in walk.owes("settle", "split", settled):
        move.owe(told)  # the row declares it; it is built here: it carries how the split ended
    return move.outcome(completed=completed)


def _settled_reply(ev: Evaluation, qid: str, user: str, value: float | None, again: bool) -> UpdateSplit | None:
    """The edit of the reply that told the starter this split (``_ask_to_settle``), owed in the settle's own write:
    it says how the split ended, and asks nothing any more. None when no reply was posted nor is owed (the starter's
    own click split it, or Slack refused the reply for good): the ``settle`` rows owe it when there is one."""
    card = ev.card_for(qid)
    if card is None or not split_told(ev, card):
        return None
    return UpdateSplit(question=qid, card=card, by=user, value=value, again=again, counts=ev.ballots[qid].counts())


def _skips_after(entry: AnswerEntry | None, value: float | None) -> int:
    return (entry.skips if entry else 0) + (1 if value is None else 0)


def not_sure_votes_again(ev: Evaluation, question_id: str) -> bool:
    """Whether Not sure on the question's split card (:func:`settle`) sends it back for a fresh vote before the end:
    False on a split of a question already asked again, where Not sure leaves it for the starter or a lead."""
    return asked_again(_skips_after(ev.answers.get(question_id), None))


def _kept(ev: Evaluation, qid: str, value: float | None, prior: AnswerEntry | None) -> dict[str, Any]:
    """A note stays with the answer the team gives (``flow.carried_note``), and so do the rounds of votes before
    the question was asked again."""
    return {**carried_note(ev, qid, value, prior), **({"earlier": prior.earlier} if prior is not None else {})}


def hidden_tally(ballot: Ballot | None) -> list[str]:
    """Who has voted (never what) — safe to show before the reveal."""
    if ballot is None:
        return []
    return [uid for uid, _ in sorted(ballot.votes.items(), key=lambda kv: kv[1].at)]


def agreement(ev: Evaluation, checklist: Checklist) -> Agreement | None:
    """Team agreement over the revealed cards of a vote (None in quick mode); unrevealed votes stay hidden."""
    if ev.mode != "vote":
        return None
    votes = {qid: {uid: v.value for uid, v in b.votes.items()} for qid, b in ev.ballots.items() if b.revealed}
    # who chose the team answer over the votes: settled a split, or changed the answer a vote gave
    settled = {qid: (entry.value, entry.settled_by) for qid, entry in ev.answers.items()
               if entry.settled_by is not None and entry.value is not None}
    earlier = {qid: [(r.votes, r.settled_by) for r in entry.earlier] for qid, entry in ev.answers.items()
               if entry.earlier}
    return agreement_of(checklist, votes, settled, earlier)


def hidden_votes(ev: Evaluation, question_id: str) -> tuple[int, int] | None:
    """Vote mode: how many have voted on the question's card while it takes votes, and the quorum that reveals
    them; None in quick mode, and for a card not taking votes (revealed, split, answered)."""
    ballot = ev.ballots.get(question_id)
    if ev.mode != "vote" or card_state(ev, question_id) != "asked" or (ballot is not None and ballot.revealed):
        return None
    return len(hidden_tally(ballot)), ev.quorum


def still_to_vote(ev: Evaluation, question_id: str) -> list[str]:
    """Vote mode: who has voted on earlier cards (or started) but not yet on this one — the people to nudge."""
    team = [ev.started_by]
    for ballot in ev.ballots.values():
        team += [uid for uid in hidden_tally(ballot) if uid not in team]
    voted = set(hidden_tally(ev.ballots.get(question_id)))
    return [uid for uid in team if uid not in voted]
