"""The source's quick decision tree, walked from the checklist answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel

from scoring.checklist import Checklist, DecisionTree, TreeLeaf

StepOutcome = Literal["yes", "no", "uncertain", "unanswered"]


class TreeStep(BaseModel):
    node: str
    label: str
    questions: list[str]  # "q1", "q13" …
    outcome: StepOutcome
    note: str


class TreeResult(BaseModel):
    path: list[TreeStep]
    verdict: str | None  # leaf verdict id, None when the walk stopped at an unanswered question
    verdict_text: str
    go: bool | None
    uncertain: bool
    complete: bool


def walk(checklist: Checklist, answers: Mapping[str, float]) -> TreeResult | None:
    """Walk the checklist's tree; ``answers`` maps stable question ids to values.

    A Partly on a tree question follows the yes branch but marks the step (and the verdict) uncertain; the
    verdict text then names the Partly answers it counted as Yes and, for a go, asks to confirm them first.
    An unanswered tree question stops the walk.
    """
    tree = checklist.decision_tree
    if tree is None:
        return None
    return _walk(checklist, tree, answers)


def _walk(checklist: Checklist, tree: DecisionTree, answers: Mapping[str, float]) -> TreeResult:
    path: list[TreeStep] = []
    partly: list[str] = []  # keys of the Partly answers the walk followed as yes
    name = tree.start
    for _ in range(len(tree.nodes) + 1):
        node = tree.nodes[name]
        questions = [checklist.question(ref) for ref in node.questions]
        keys = [q.key for q in questions]
        values = [answers.get(q.id) for q in questions]
        missing = [q.key for q, v in zip(questions, values, strict=True) if v is None]
        if missing:
            path.append(TreeStep(node=name, label=node.label, questions=keys, outcome="unanswered",
                                 note=f"waiting for {', '.join(missing)}"))
            return TreeResult(path=path, verdict=None, uncertain=any(s.outcome == "uncertain" for s in path),
                              verdict_text=f"Undecided: answer {', '.join(missing)} to continue the tree.",
                              go=None, complete=False)
        known = [v for v in values if v is not None]
        if min(known) == 0:
            outcome: StepOutcome = "no"
            branch = node.no
            note = ", ".join(f"{q.key} no" for q, v in zip(questions, known, strict=True) if v == 0)
        elif min(known) < 1:
            outcome, branch = "uncertain", node.yes
            partly += [q.key for q, v in zip(questions, known, strict=True) if 0 < v < 1]
            note = ", ".join(f"{q.key} partly" for q, v in zip(questions, known, strict=True) if 0 < v < 1)
            note = f"{note}, counted as yes"
        else:
            outcome, branch = "yes", node.yes
            note = " and ".join(f"{k} yes" for k in keys)
        path.append(TreeStep(node=name, label=node.label, questions=keys, outcome=outcome, note=note))
        if isinstance(branch, TreeLeaf):
            uncertain = any(s.outcome == "uncertain" for s in path)
            text = branch.text + (f" {_counted_as_yes(partly, branch.go)}" if uncertain else "")
            return TreeResult(path=path, verdict=branch.verdict, verdict_text=text, go=branch.go,
                              uncertain=uncertain, complete=True)
        name = branch
    raise ValueError(f"decision tree of {checklist.id!r} has a cycle")


def _counted_as_yes(keys: list[str], go: bool) -> str:
    """``This path counts the Partly answer to q13 as a Yes; confirm it first.`` A go reached through a Partly is
    only as good as that Partly, so the verdict says what to confirm rather than a bare "uncertain"."""
    one = len(keys) == 1
    named = " and ".join(keys)
    text = (f"This path counts the Partly answer to {named} as a Yes" if one
            else f"This path counts the Partly answers to {named} as Yes")
    return f"{text}; confirm {'it' if one else 'them'} first." if go else f"{text}."
