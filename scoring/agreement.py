"""How far a team agreed when it voted: unanimous questions, the split ones and who settled them.

The fine-tuning decision checklist asks that two labelers agree on 75% or more of examples; the same
bar is applied here to the team's own answers. Agreement takes two: a question counts as unanimous only when
at least two people answered it (Yes, Partly, No …) and all of them gave the same answer; "Not sure" votes
are set aside. A question fewer than two people answered is *unmatched*: it stays in the count as not agreed
(so one voter revealing every card cannot read as a unanimous team), and the warning names it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from pydantic import BaseModel, Field

from scoring.checklist import Checklist

AGREEMENT_BAR = 0.75
NOT_SURE = "Not sure"
NAMED_MAX = 4  # unmatched questions named in the warning before "and N more"
NONE_REVEALED = "no votes revealed yet"  # the agreement of a team vote before its first reveal


class EarlierSpread(BaseModel):
    """A round of votes before the question was asked again."""

    spread: dict[str, int]  # as ``SplitQuestion.spread``
    asked_again_by: str | None = None  # user id of who chose "Not sure — ask again later"; None: nobody was sure


class SplitQuestion(BaseModel):
    """A question the team did not agree on: its votes split (in any round), or a person changed the answer the
    team agreed on (``changed``)."""

    question: str  # "q4"
    name: str  # "q4 (labeler agreement)"
    spread: dict[str, int]  # option label -> votes, in the checklist's option order, "Not sure" last (the last round)
    # the team answer's label, None while nobody settled it; the answer of a unanimous last round, asked again
    settled: str | None = None
    settled_by: str | None = None  # user id; None when the last round was unanimous
    earlier: list[EarlierSpread] = Field(default_factory=list)  # the rounds before it was asked again, oldest first
    changed: bool = False  # the team agreed (unanimous), then the starter, a lead or an admin changed the answer


class Agreement(BaseModel):
    questions: int = Field(ge=0)  # questions the team voted on
    unanimous: int = Field(ge=0)  # two or more answers, all the same ("Not sure" aside)
    splits: list[SplitQuestion] = Field(default_factory=list)
    unmatched: list[str] = Field(default_factory=list)  # names of questions fewer than two people answered
    voters: list[str] = Field(default_factory=list)  # user ids, in order of first appearance

    @property
    def share(self) -> float | None:
        """None while no question has revealed votes: there is nothing to agree on yet (not 100%)."""
        return self.unanimous / self.questions if self.questions else None

    @property
    def percent(self) -> str | None:
        return None if self.share is None else f"{round(self.share * 100)}%"

    @property
    def below_bar(self) -> bool:
        return self.share is not None and self.share < AGREEMENT_BAR

    @property
    def summary(self) -> str:
        """``17 of 20 questions unanimous (85%)``; ``no votes revealed yet`` before any reveal."""
        if self.percent is None:
            return NONE_REVEALED
        noun = "question" if self.questions == 1 else "questions"
        return f"{self.unanimous} of {self.questions} {noun} unanimous ({self.percent})"

    @property
    def unmatched_text(self) -> str | None:
        """``q2 (diverse examples) had fewer than two answers to compare, …, so it counts as not agreed.``"""
        if not self.unmatched:
            return None
        named = self.unmatched[:NAMED_MAX]
        more = len(self.unmatched) - len(named)
        if more:
            names = ", ".join(named) + f" and {more} more"
        else:
            names = " and ".join(named) if len(named) <= 2 else ", ".join(named[:-1]) + f" and {named[-1]}"
        one = len(self.unmatched) == 1
        return (f"{names} had fewer than two answers to compare (Not sure votes aside), so "
                f"{'it counts' if one else 'they count'} as not agreed.")

    @property
    def warning(self) -> str | None:
        """Under the bar, and whenever a question was unmatched: the figure alone would not say why."""
        parts = []
        if self.below_bar:
            parts.append(f"Under {round(AGREEMENT_BAR * 100)}%: the team agreed less often than the fine-tuning "
                         "decision checklist asks of two labelers.")
        if self.unmatched_text:
            parts.append(self.unmatched_text)
        if self.below_bar:
            which = ("them and the split questions" if self.unmatched and self.splits
                     else "the split questions" if self.splits else "them")
            parts.append(f"Talk {which} through before acting on the score.")
        return " ".join(parts) or None


def counts_text(spread: Mapping[str, int]) -> str:
    """``Yes 2 · No 1``."""
    return " · ".join(f"{label} {n}" for label, n in spread.items() if n)


def spread_text(split: SplitQuestion, who: Callable[[str], str] | None = None) -> str:
    """``Yes 2 · No 1``; asked again: ``Yes 2 · No 1, asked again (by who): Yes 3``; a unanimous vote the team's
    answer was changed from: ``Yes 2 (unanimous)``. ``who`` words a user id (a mention, a name); None leaves
    people out."""
    parts = []
    for round_ in split.earlier:
        by = f" by {who(round_.asked_again_by)}" if who is not None and round_.asked_again_by else ""
        parts.append(f"{counts_text(round_.spread)}, asked again{by}")
    if last := counts_text(split.spread):  # empty while the question asked again is being voted on
        parts.append(last + (" (unanimous)" if split.changed else ""))
    return ": ".join(parts)


def outcome_text(split: SplitQuestion, who: Callable[[str], str], bold: str = "") -> str:
    """How the question ended: ``settled *No* by @a``, ``changed to *No* by @a``, ``agreed on *Yes* when asked again``,
    ``not settled yet``. ``bold`` wraps the answer (``*`` in Slack)."""
    if split.settled and split.settled_by:
        verb = "changed to" if split.changed else "settled"
        return f"{verb} {bold}{split.settled}{bold} by {who(split.settled_by)}"
    if split.settled:  # asked again, and the last round gave the answer
        answers = sum(n for label, n in split.spread.items() if label != NOT_SURE)
        if answers >= 2:
            return f"agreed on {bold}{split.settled}{bold} when asked again"
        return f"{bold}{split.settled}{bold} when asked again, from a single answer"
    return "not settled yet"


Round = tuple[Mapping[str, float | None], str | None]  # an earlier round: voter -> value, who asked it again


def agreement_of(checklist: Checklist, votes: Mapping[str, Mapping[str, float | None]],
                 settled: Mapping[str, tuple[float, str]] | None = None,
                 earlier: Mapping[str, Sequence[Round]] | None = None) -> Agreement:
    """Build the agreement from ``votes`` (question ref -> voter -> value, None = Not sure), ``settled``
    (question ref -> (team answer value, who chose it over the votes)) and ``earlier`` (question ref -> the rounds
    of votes before it was asked again, oldest first, each with who chose to ask again).

    A question is unanimous when at least two votes are answers (not "Not sure") and they are all the same
    answer; split when the answers differ, in its last round or an earlier one (asked again after a split, it
    stays a split); unmatched (not agreed) when fewer than two people answered. A unanimous answer someone changed
    afterwards (``settled`` differs from it) is not unanimous either: it is listed with who changed it.
    """
    settled, earlier = settled or {}, earlier or {}
    splits: list[SplitQuestion] = []
    unmatched: list[str] = []
    voters: dict[str, None] = {}
    voted = unanimous = 0
    for q in checklist.questions:
        ballot = votes.get(q.id) or votes.get(q.key) or {}
        before = earlier.get(q.id) or earlier.get(q.key) or ()
        if not ballot and not before:
            continue
        voted += 1
        for round_votes, _ in before:
            voters.update(dict.fromkeys(round_votes))
        voters.update(dict.fromkeys(ballot))
        answers = {v for v in ballot.values() if v is not None}
        was_split = any(len({v for v in r.values() if v is not None}) > 1 for r, _ in before)
        team = settled.get(q.id) or settled.get(q.key)
        agreed = len(answers) == 1 and sum(1 for v in ballot.values() if v is not None) >= 2
        changed = agreed and team is not None and team[0] not in answers
        if not was_split and not changed and len(answers) <= 1:
            if agreed:
                unanimous += 1
            else:
                unmatched.append(q.name)
            continue
        if team is None and len(answers) == 1:  # asked again after a split, and the votes agreed this time
            team = (next(iter(answers)), "")
        splits.append(SplitQuestion(
            question=q.key, name=q.name, spread=_counts(checklist, ballot),
            settled=checklist.option(team[0]).label if team else None, settled_by=(team[1] or None) if team else None,
            earlier=[EarlierSpread(spread=_counts(checklist, r), asked_again_by=by) for r, by in before],
            changed=changed))
    return Agreement(questions=voted, unanimous=unanimous, splits=splits, unmatched=unmatched, voters=list(voters))


def _counts(checklist: Checklist, ballot: Mapping[str, float | None]) -> dict[str, int]:
    counts = {o.label: sum(1 for v in ballot.values() if v == o.value) for o in checklist.options}
    counts[NOT_SURE] = sum(1 for v in ballot.values() if v is None)
    return counts
