"""The source's quick decision tree, walked from the checklist answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel

from scoring.checklist import Checklist, DecisionTree, Question, ScoreCheck, TreeLeaf, TreeNode, exact

StepOutcome = Literal["yes", "no", "uncertain", "unanswered"]


class TreeStep(BaseModel):
    node: str
    label: str
    questions: list[str]  # "q1", "q13" …
    outcome: StepOutcome
    note: str
    failed: list[str] = []  # the questions that made it a no: answered No, or a Partly the step doesn't take
    partly: list[str] = []  # the questions of the step answered Partly (or another partial answer)


class TreeResult(BaseModel):
    path: list[TreeStep]
    verdict: str | None  # leaf verdict id, None when the walk stopped at an unanswered question
    verdict_text: str
    go: bool | None
    uncertain: bool
    complete: bool
    # the score the leaf's own condition asks for (ScoreCheck.condition) when the total is under it: every step
    # passed, but the verdict does not hold, so the tree does not go ahead ("Go ahead with checklist score >= 12")
    short_of: float | None = None


def walk(checklist: Checklist, answers: Mapping[str, float]) -> TreeResult | None:
    """Walk the checklist's tree; ``answers`` maps stable question ids to values.

    A Partly on a tree question the step names in ``partly_fails`` (a threshold not reached) takes the no branch,
    as a No would. Any other Partly follows the yes branch but marks the step (and the verdict) uncertain; the
    verdict text then names the Partly answers it counted as Yes and, for a go, asks to confirm them first.
    An unanswered tree question stops the walk. A leaf's score check is answered from the score.
    """
    tree = checklist.decision_tree
    if tree is None:
        return None
    return _walk(checklist, tree, answers)


def _walk(checklist: Checklist, tree: DecisionTree, answers: Mapping[str, float]) -> TreeResult:
    path: list[TreeStep] = []
    counted: list[str] = []  # keys of the Partly answers the walk followed as yes
    name = tree.start
    for _ in range(len(tree.nodes) + 1):
        node = tree.nodes[name]
        questions = [checklist.question(ref) for ref in node.questions]
        missing = [q.key for q in questions if q.id not in answers]
        if missing:
            path.append(TreeStep(node=name, label=node.label, questions=[q.key for q in questions],
                                 outcome="unanswered", note=f"waiting for {', '.join(missing)}"))
            return TreeResult(path=path, verdict=None, uncertain=any(s.outcome == "uncertain" for s in path),
                              verdict_text=f"Undecided: answer {', '.join(missing)} to continue the tree.",
                              go=None, complete=False)
        step, branch = _step(checklist, name, node, questions, answers)
        path.append(step)
        if step.outcome == "uncertain":
            counted += step.partly
        if isinstance(branch, TreeLeaf):
            return _leaf(checklist, branch, path, counted, answers)
        name = branch
    raise ValueError(f"decision tree of {checklist.id!r} has a cycle")


def _leaf(checklist: Checklist, leaf: TreeLeaf, path: list[TreeStep], counted: list[str],
          answers: Mapping[str, float]) -> TreeResult:
    """Where the walk ends: the leaf's verdict, its score check answered, the Partly answers it counted as Yes; a
    leaf whose own condition the score does not meet (``ScoreCheck.condition``) does not go ahead."""
    check = leaf.score_check
    short_of = check.below if check is not None and check.condition and _under(checklist, check, answers) else None
    go = False if short_of is not None else leaf.go
    uncertain = any(s.outcome == "uncertain" for s in path)
    text = " ".join([leaf.text, *_score_answer(checklist, check, answers),
                     *([_counted_as_yes(counted, go)] if uncertain else [])])
    return TreeResult(path=path, verdict=leaf.verdict, verdict_text=text, go=go, uncertain=uncertain, complete=True,
                      short_of=short_of)


def _under(checklist: Checklist, check: ScoreCheck, answers: Mapping[str, float]) -> bool:
    """Whether the score stays under the check's bar however the unanswered questions go."""
    left = sum(1 for q in checklist.questions if q.id not in answers)
    return exact(sum(answers.get(q.id, 0.0) for q in checklist.questions) + left) < check.below


def _step(checklist: Checklist, name: str, node: TreeNode, questions: list[Question],
          answers: Mapping[str, float]) -> tuple[TreeStep, str | TreeLeaf]:
    """One node: yes when every question is a Yes, uncertain when the only shortfall is a Partly it counts as Yes,
    no on a No or on a Partly the node names in ``partly_fails``."""
    strict = {checklist.question(ref).id for ref in node.partly_fails}
    keys = [q.key for q in questions]
    partly = [q.key for q in questions if 0 < answers[q.id] < 1]
    failed = [q.key for q in questions if answers[q.id] == 0 or (0 < answers[q.id] < 1 and q.id in strict)]
    if failed:
        note = ", ".join(f"{k} partly, which this step counts as no" if k in partly else f"{k} no" for k in failed)
        return TreeStep(node=name, label=node.label, questions=keys, outcome="no", note=note, failed=failed,
                        partly=partly), node.no
    if partly:
        note = f"{', '.join(f'{k} partly' for k in partly)}, counted as yes"
        return TreeStep(node=name, label=node.label, questions=keys, outcome="uncertain", note=note,
                        partly=partly), node.yes
    note = " and ".join(f"{k} yes" for k in keys)
    return TreeStep(node=name, label=node.label, questions=keys, outcome="yes", note=note), node.yes


def _score_answer(checklist: Checklist, check: ScoreCheck | None, answers: Mapping[str, float]) -> list[str]:
    """``The score, 12/20, is 8 or more: revisit fine-tuning once the data is in.``: the leaf's question about the
    score, answered; while questions are unanswered, only when every way they can go gives the same answer."""
    if check is None:
        return []
    low = exact(sum(answers.get(q.id, 0.0) for q in checklist.questions))
    left = sum(1 for q in checklist.questions if q.id not in answers)
    high = exact(low + left)
    total = f"{low:g}/{checklist.max_score:g}"
    bar = f"{check.below:g}"
    if high < check.below:
        under = f"stays under {bar} whatever the rest say" if left else f"is under {bar}"
        return [f"The score, {total}{' so far' if left else ''}, {under}: {check.text}."]
    if low >= check.below:
        if check.condition:  # the verdict's text states the condition, and it is met
            return []
        head = f"The score, {total}{' so far' if left else ''}, is {bar} or more"
        return [f"{head}: {check.otherwise}." if check.otherwise else f"{head}."]
    return [f"The score, {total} so far, can still end under {bar} or not ({low:g}–{high:g}); under {bar}: "
            f"{check.text}."]


def _counted_as_yes(keys: list[str], go: bool) -> str:
    """``This path counts the Partly answer to q13 as a Yes; confirm it first.`` A go reached through a Partly is
    only as good as that Partly, so the verdict says what to confirm rather than a bare "uncertain"."""
    one = len(keys) == 1
    named = " and ".join(keys)
    text = (f"This path counts the Partly answer to {named} as a Yes" if one
            else f"This path counts the Partly answers to {named} as Yes")
    return f"{text}; confirm {'it' if one else 'them'} first." if go else f"{text}."
