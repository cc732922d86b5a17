"""How far a team agreed when it voted: unanimous questions, the split ones and who settled them.

The fine-tuning decision checklist asks that two labelers agree on 75% or more of examples; the same
bar is applied here to the team's own answers. Agreement takes two: a question counts as unanimous only when
at least two people answered it (Yes, Partly, No …) and all of them gave the same answer; "Not sure" votes
are set aside. A question fewer than two people answered is *unmatched*: it stays in the count as not agreed
(so one voter revealing every card cannot read as a unanimous team), and the warning names it.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, Field

from scoring.checklist import Checklist

AGREEMENT_BAR = 0.75
NOT_SURE = "Not sure"
NAMED_MAX = 4  # unmatched questions named in the warning before "and N more"


class SplitQuestion(BaseModel):
    question: str  # "q4"
    name: str  # "q4 (labeler agreement)"
    spread: dict[str, int]  # option label -> votes, in the checklist's option order, "Not sure" last
    settled: str | None = None  # the team answer's label, None while nobody settled it
    settled_by: str | None = None  # user id


class Agreement(BaseModel):
    questions: int = Field(ge=0)  # questions the team voted on
    unanimous: int = Field(ge=0)  # two or more answers, all the same ("Not sure" aside)
    splits: list[SplitQuestion] = Field(default_factory=list)
    unmatched: list[str] = Field(default_factory=list)  # names of questions fewer than two people answered
    voters: list[str] = Field(default_factory=list)  # user ids, in order of first appearance

    @property
    def share(self) -> float:
        return self.unanimous / self.questions if self.questions else 1.0

    @property
    def percent(self) -> str:
        return f"{round(self.share * 100)}%"

    @property
    def below_bar(self) -> bool:
        return self.share < AGREEMENT_BAR

    @property
    def summary(self) -> str:
        """``17 of 20 questions unanimous (85%)``."""
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


def spread_text(split: SplitQuestion) -> str:
    """``Yes 2 · No 1``."""
    return " · ".join(f"{label} {n}" for label, n in split.spread.items() if n)


def agreement_of(checklist: Checklist, votes: Mapping[str, Mapping[str, float | None]],
                 settled: Mapping[str, tuple[float, str]] | None = None) -> Agreement:
    """Build the agreement from ``votes`` (question ref -> voter -> value, None = Not sure) and
    ``settled`` (question ref -> (team answer value, who settled it)).

    A question is unanimous when at least two votes are answers (not "Not sure") and they are all the same
    answer; split when the answers differ; unmatched (not agreed) when fewer than two people answered.
    """
    settled = settled or {}
    splits: list[SplitQuestion] = []
    unmatched: list[str] = []
    voters: dict[str, None] = {}
    voted = unanimous = 0
    for q in checklist.questions:
        ballot = votes.get(q.id) or votes.get(q.key)
        if not ballot:
            continue
        voted += 1
        voters.update(dict.fromkeys(ballot))
        answers = [v for v in ballot.values() if v is not None]
        if len(answers) < 2:
            unmatched.append(q.name)
            continue
        if len(set(answers)) == 1:
            unanimous += 1
            continue
        counts = {o.label: sum(1 for v in ballot.values() if v == o.value) for o in checklist.options}
        counts[NOT_SURE] = sum(1 for v in ballot.values() if v is None)
        team = settled.get(q.id) or settled.get(q.key)
        splits.append(SplitQuestion(
            question=q.key, name=q.name, spread=counts,
            settled=checklist.option(team[0]).label if team else None, settled_by=team[1] if team else None))
    return Agreement(questions=voted, unanimous=unanimous, splits=splits, unmatched=unmatched, voters=list(voters))
