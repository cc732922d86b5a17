"""How far a team agreed when it voted: unanimous questions, the split ones and who settled them.

The fine-tuning decision checklist asks that two labelers agree on 75% or more of examples; the same
bar is applied here to the team's own answers.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, Field

from scoring.checklist import Checklist

AGREEMENT_BAR = 0.75
NOT_SURE = "Not sure"


class SplitQuestion(BaseModel):
    question: str  # "q4"
    name: str  # "q4 (labeler agreement)"
    spread: dict[str, int]  # option label -> votes, in the checklist's option order, "Not sure" last
    settled: str | None = None  # the team answer's label, None while nobody settled it
    settled_by: str | None = None  # user id


class Agreement(BaseModel):
    questions: int = Field(ge=0)  # questions the team voted on
    unanimous: int = Field(ge=0)
    splits: list[SplitQuestion] = Field(default_factory=list)
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
    def warning(self) -> str | None:
        if not self.below_bar:
            return None
        return (f"Under {round(AGREEMENT_BAR * 100)}%: the team agreed less often than the fine-tuning decision "
                "checklist asks of two labelers. Talk the split questions through before acting on the score.")


def spread_text(split: SplitQuestion) -> str:
    """``Yes 2 · No 1``."""
    return " · ".join(f"{label} {n}" for label, n in split.spread.items() if n)


def agreement_of(checklist: Checklist, votes: Mapping[str, Mapping[str, float | None]],
                 settled: Mapping[str, tuple[float, str]] | None = None) -> Agreement:
    """Build the agreement from ``votes`` (question ref -> voter -> value, None = Not sure) and
    ``settled`` (question ref -> (team answer value, who settled it)).

    A question is unanimous when every vote that is not "Not sure" is the same answer.
    """
    settled = settled or {}
    splits: list[SplitQuestion] = []
    voters: dict[str, None] = {}
    voted = 0
    for q in checklist.questions:
        ballot = votes.get(q.id) or votes.get(q.key)
        if not ballot:
            continue
        voted += 1
        voters.update(dict.fromkeys(ballot))
        if len({v for v in ballot.values() if v is not None}) <= 1:
            continue
        counts = {o.label: sum(1 for v in ballot.values() if v == o.value) for o in checklist.options}
        counts[NOT_SURE] = sum(1 for v in ballot.values() if v is None)
        team = settled.get(q.id) or settled.get(q.key)
        splits.append(SplitQuestion(
            question=q.key, name=q.name, spread=counts,
            settled=checklist.option(team[0]).label if team else None, settled_by=team[1] if team else None))
    return Agreement(questions=voted, unanimous=voted - len(splits), splits=splits, voters=list(voters))
