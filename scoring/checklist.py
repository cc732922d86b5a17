"""Checklists as data: the models a checklist file must satisfy, loading, and the registry.

A checklist file (YAML or JSON) is validated on load; an invalid file raises :class:`ChecklistError`
naming the file and every problem with its fix (worded in ``checklist_errors.py``). A team's directory is
loaded file by file: a bad file is skipped and kept in :attr:`Registry.problems`, the rest stay usable.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    model_validator,
)

from scoring.checklist_errors import file_message, validation_problems

_CADENCE = re.compile(r"^(?:(monthly|quarterly)|([1-9][0-9]{0,3}) ?(d|w|days?|weeks?|months?))$")

BUILTIN_DIR = Path(__file__).parent / "checklists"
SUFFIXES = (".yaml", ".yml", ".json")

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", min_length=1, max_length=64)]
# A Partly on a question without if_partly is shown its if_not step behind this short lead: one clause saying what
# separates a Partly from a Yes, and that the step as written is for a No (it may say stop or defer)
PARTLY_LEAD = "For a full Yes, finish what's still missing from the step for a No:"
FINGERPRINT_CHARS = 10
SCORE_DIGITS = 6  # totals are summed exactly to this many decimals: 0.7 + 0.2 + 0.1 is 1, not 0.9999999999999999


def exact(total: float) -> float:
    """A sum of option values without binary rounding noise (``-0.0`` becomes ``0.0``)."""
    return round(total, SCORE_DIGITS) + 0.0


class ChecklistError(ValueError):
    """A checklist file (or directory) is missing, unreadable or invalid: the file and every problem in it.

    ``declared`` is the ``(id, title)`` an invalid file's own lines give, when it gives them (either may be None):
    an evaluation started with that checklist before the file broke is then told which file it needs.
    """

    def __init__(self, path: Path, problems: Sequence[str],
                 declared: tuple[str | None, str | None] = (None, None)) -> None:
        self.path = path
        self.problems = list(problems)
        self.declared_id, self.declared_title = declared
        super().__init__(file_message(path, self.problems))


class UnknownChecklist(KeyError):
    """No loaded checklist has this id: an id nobody offers, or the checklist of a stored evaluation whose team
    file went bad or away after it started. ``args[0]`` is the message for a person who typed the id;
    :attr:`reason` says why it cannot be loaded, as far as the registry knows, never more.

    ``problem``: the skipped file that declares this id (its errors are listed by ``ftcheck checklists``);
    ``title``: the title that file gives; ``team_dir``: the team directory (None when none is set);
    ``skipped``: how many team files were skipped before their id could be read (unreadable, not YAML …).
    """

    def __init__(self, checklist_id: str, available: Sequence[str], *, problem: ChecklistError | None = None,
                 team_dir: Path | None = None, skipped: int = 0) -> None:
        self.checklist_id = checklist_id
        self.problem, self.team_dir, self.skipped = problem, team_dir, skipped
        self.title = problem.declared_title if problem is not None else None
        where = f" (its file {problem.path.name} was skipped: it failed validation)" if problem is not None else ""
        super().__init__(f"unknown checklist {checklist_id!r}{where}; available: {', '.join(available)}")

    @property
    def name(self) -> str:
        """What to call the checklist: its title when the file still says it, else its id."""
        return self.title or self.checklist_id

    @property
    def reason(self) -> str:
        """Why it cannot be loaded, in a few words (``its file x.yaml failed validation``)."""
        if self.problem is not None:
            return f"its file {self.problem.path.name} failed validation"
        if self.team_dir is None:
            return "no team checklist directory is set (FTCHECK_CHECKLIST_DIR), so no team checklists are loaded"
        found = ("no checklist file with that id was found in FTCHECK_CHECKLIST_DIR: it may have been removed, "
                 "renamed or given another id")
        if self.skipped:
            files = "the file there" if self.skipped == 1 else f"one of the {self.skipped} files there"
            return f"{found}, or be {files} that was skipped before its id could be read"
        return found


class ChecklistProblems(ValueError):
    """The consistency problems of one checklist, each naming its place and the fix."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AnswerOption(_Frozen):
    """One way to answer a question, e.g. ``yes`` worth 1 point."""

    key: Slug
    label: str = Field(min_length=1, max_length=30)
    value: float = Field(ge=0, le=1)


def retired_option(value: float) -> AnswerOption:
    """The stand-in for a recorded value that is no longer an option of its checklist (see ``Checklist.option``).

    Built without validation: its key is the number, which no option key (a slug) can be, so it never matches one.
    """
    return AnswerOption.model_construct(key=_fmt(value), label=f"{_fmt(value)} (no longer an option)", value=value)


class Question(_Frozen):
    id: Slug
    number: int = Field(ge=1)
    section: Slug
    text: str = Field(min_length=1, max_length=500)
    short: str | None = Field(default=None, max_length=40, description="A few words naming it: 'prompting ceiling'.")
    why: str = Field(min_length=1, max_length=1000)
    if_not: str = Field(min_length=1, max_length=1500, description=(
        "Next step when the answer is No (and for a partial answer, e.g. Partly, when if_partly is not given)."))
    if_partly: str | None = Field(default=None, min_length=1, max_length=1500, description=(
        "Next step for a partial answer (e.g. Partly): what is still missing for a full Yes. Without it a partial "
        "answer is shown the if_not step behind a short lead saying it is the step for a No."))
    criteria: str | None = Field(default=None, max_length=1500, description="Pass criteria, if any.")
    source: str | None = None
    priority: int | None = Field(default=None, ge=1, description=(
        "Fix this gap first: next steps with a priority come before all others, 1 before 2, ahead of the "
        "weakest-section order (a decision tree's blocking questions still come first)."))

    @property
    def key(self) -> str:
        """The short key people type: ``q7``."""
        return f"q{self.number}"

    @property
    def name(self) -> str:
        """``q7 (prompting ceiling)``, or ``q7`` when the checklist gives no short name."""
        return f"{self.key} ({self.short})" if self.short else self.key

    def next_step(self, value: float) -> str:
        """The next step for an answer worth ``value`` (below 1): ``if_not`` for a 0; for a partial answer
        ``if_partly``, or, when the checklist gives none, ``if_not`` behind :data:`PARTLY_LEAD`, framed as the
        step for a No (an ``if_not`` often says stop or defer, which a partial answer under a go verdict must
        not read as). The shipped readiness checklist gives every question an ``if_partly``, so a scorecard with
        several Partly answers reads a specific step for each rather than one stock sentence again and again."""
        if value <= 0:
            return self.if_not
        if self.if_partly is not None:
            return self.if_partly
        return f"{PARTLY_LEAD} {self.if_not}"


class Section(_Frozen):
    id: Slug
    title: str = Field(min_length=1, max_length=80)


class Band(_Frozen):
    """A score band: applies when the total is at least ``min_score``."""

    id: Slug
    name: str = Field(min_length=1, max_length=80)
    min_score: float = Field(ge=0)
    recommendation: str = Field(min_length=1, max_length=1000)
    go: bool = Field(description="Whether this band means 'go ahead' (used to compare with the decision tree).")


class ScoreCheck(_Frozen):
    """A question about the score that a verdict asks (the source's "Score < 8? Skip fine-tuning for now."): the
    scorecard answers it from the score instead of printing the question."""

    below: float = Field(ge=0, description="The score the check compares with: under it, ``text`` is said.")
    text: str = Field(min_length=1, max_length=300, description="Said when the score is under ``below``.")
    otherwise: str | None = Field(default=None, min_length=1, max_length=300,
                                  description="Said when the score is ``below`` or more; without it, only that.")
    condition: bool = Field(default=False, description=(
        "The check is the verdict's own condition (the source's \"Go ahead with checklist score >= 12\"): under "
        "``below`` the verdict does not hold, so a go leaf does not go ahead, and ``text`` says so; at ``below`` "
        "or more nothing is added, as the verdict's text already states the condition."))


class TreeLeaf(_Frozen):
    verdict: Slug
    text: str = Field(min_length=1, max_length=500)
    go: bool
    score_check: ScoreCheck | None = Field(default=None, description=(
        "A question about the score the verdict goes on to ask, answered from the score after ``text``."))


def _branch_kind(value: Any) -> str:
    return "leaf" if isinstance(value, dict | TreeLeaf) else "node"


# A branch names the next node or holds a leaf; the discriminator keeps a bad leaf's errors about the leaf only.
Branch = Annotated[Annotated[Slug, Tag("node")] | Annotated[TreeLeaf, Tag("leaf")], Discriminator(_branch_kind)]


class TreeNode(_Frozen):
    """Asks whether all ``questions`` are answered yes (a partial answer counts as yes unless ``partly_fails``
    names it); follows ``yes`` or ``no``.

    A branch is either the id of another node or a leaf with the verdict.
    """

    label: str = Field(min_length=1, max_length=200)
    questions: list[Slug] = Field(min_length=1)
    yes: Branch
    no: Branch
    partly_fails: list[Slug] = Field(default_factory=list, description=(
        "Questions of this step whose partial answer (e.g. Partly) does not meet it, such as a threshold not yet "
        "reached (500+ examples): the walk takes the no branch. A partial answer to any other question of the "
        "step counts as Yes, and a go reached that way asks to confirm it."))


class DecisionTree(_Frozen):
    start: Slug
    nodes: dict[Slug, TreeNode]


class Advice(_Frozen):
    """A 'your situation → what to do' row attached to a checklist."""

    situation: str
    action: str
    why: str


class Checklist(_Frozen):
    id: Slug
    title: str = Field(min_length=1, max_length=120)
    description: str = Field(min_length=1, max_length=2000)
    source: str | None = None
    rule: str = Field(min_length=1, max_length=500, description="The scoring rule in words.")
    options: list[AnswerOption] = Field(min_length=2)
    sections: list[Section] = Field(min_length=1)
    questions: list[Question] = Field(min_length=1)
    bands: list[Band] = Field(min_length=1)
    decision_tree: DecisionTree | None = None
    advice: list[Advice] = Field(default_factory=list)
    revisit: str | None = Field(default=None, min_length=1, max_length=500, description=(
        "Said under a not-yet decision: when to look again and why the answer can change."))
    triggers: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=6, description=(
            "What should bring a team back before its next re-evaluation is due (a metric's drop, new data, a "
            "changed task), each a phrase that completes \"Re-evaluate early if …\"."))
    reevaluate: str | None = Field(
        None, description="How often to re-evaluate: monthly, quarterly, or a number of days, weeks or months (60d, "
                          "8w, 6 months); the reminder after completion follows it unless FTCHECK_REEVALUATE_AFTER "
                          "is set.")

    @property
    def reevaluate_every(self) -> tuple[int, int] | None:
        """``reevaluate`` as (months, days); None when the file names none or says something not understood
        (:attr:`reevaluate_note` says so: the file still loads, as it did before the value was read)."""
        match = _CADENCE.match((self.reevaluate or "").strip().lower())
        if match is None:
            return None
        word, amount, unit = match.groups()
        if word:
            return (1, 0) if word == "monthly" else (3, 0)
        n = int(amount)
        return (n, 0) if unit.startswith("m") else (0, n * (7 if unit.startswith("w") else 1))

    @property
    def reevaluate_note(self) -> str | None:
        """Why ``reevaluate`` is not used, for ``ftcheck checklists`` and the start-up log; None when it is."""
        if self.reevaluate is None or self.reevaluate_every is not None:
            return None
        return (f"reevaluate {self.reevaluate!r} is not understood, so its reminders come every 90 days; write "
                "monthly, quarterly, 60d, 8w or 6 months")

    @model_validator(mode="after")
    def _consistent(self) -> Checklist:
        problems = [*self._question_problems(), *self._option_problems(), *self._band_problems()]
        if self.decision_tree:
            problems += _tree_problems(self, self.decision_tree)
        if problems:
            raise ChecklistProblems(problems)
        return self

    def _question_problems(self) -> Iterator[str]:
        section_ids = [s.id for s in self.sections]
        yield from _duplicates("sections", "section", section_ids)
        yield from _duplicates("questions", "question", [q.id for q in self.questions])
        numbers = [q.number for q in self.questions]
        if numbers != list(range(1, len(numbers) + 1)):
            yield (f"questions: number them 1 to {len(numbers)} in the order they appear, "
                   f"got {', '.join(map(str, numbers))}")
        for q in self.questions:
            if q.section not in section_ids:
                yield (f"question {q.number} ({q.id}): section {q.section!r} is not defined; use one of "
                       f"{', '.join(section_ids)} or add it under sections:")

    def _option_problems(self) -> Iterator[str]:
        yield from _duplicates("options", "option", [o.key for o in self.options], what="key")
        seen: dict[float, AnswerOption] = {}
        for o in self.options:
            if o.value in seen:
                yield (f"options: {seen[o.value].label!r} and {o.label!r} are both worth {_fmt(o.value)}; give "
                       f"each option its own value (an answer is stored as its value, so one would show as the other)")
            seen.setdefault(o.value, o)
        if 0 not in seen or 1 not in seen:
            yield ('options: need one option worth 1 and one worth 0, e.g. {key: "yes", label: "Yes", value: 1} '
                   'and {key: "no", label: "No", value: 0}')

    def _band_problems(self) -> Iterator[str]:
        mins = [b.min_score for b in self.bands]
        if mins != sorted(mins, reverse=True) or mins[-1] != 0:
            yield (f"bands: list them from the highest min_score down to a last band with min_score 0, "
                   f"got {', '.join(map(_fmt, mins))}")
        top = self.bands[0]
        if top.min_score > len(self.questions):
            yield (f"band {top.id}: min_score {_fmt(top.min_score)} is above the highest possible score, "
                   f"{len(self.questions)} (1 point per question); lower it")
        yield from _duplicates("bands", "band", [b.id for b in self.bands])

    @property
    def max_score(self) -> float:
        return float(len(self.questions))

    @cached_property
    def _by_ref(self) -> dict[str, Question]:
        refs: dict[str, Question] = {}
        for q in self.questions:
            refs[q.id] = q
            refs[q.key] = q
            refs[str(q.number)] = q
        return refs

    @cached_property
    def _ids(self) -> frozenset[str]:
        return frozenset(q.id for q in self.questions)

    def asks(self, question_id: str) -> bool:
        """Whether the checklist has the question with this stable id (a team may drop one from its file)."""
        return question_id in self._ids

    @cached_property
    def _by_section(self) -> dict[str, tuple[Question, ...]]:
        return {s.id: tuple(q for q in self.questions if q.section == s.id) for s in self.sections}

    def questions_in(self, section_id: str) -> tuple[Question, ...]:
        """The questions of one section, in checklist order (grouped once per checklist; none for an unknown id)."""
        return self._by_section.get(section_id, ())

    def question(self, ref: str | int) -> Question:
        """Find a question by stable id, ``q7`` or number; raises KeyError with the valid range."""
        key = str(ref).strip().lower()
        try:
            return self._by_ref[key]
        except KeyError:
            raise KeyError(
                f"unknown question {ref!r} in checklist {self.id!r} (use q1–q{len(self.questions)} or a stable id)"
            ) from None

    def option(self, key_or_value: str | float) -> AnswerOption:
        """Find an answer option by key (``partly``), label or value (0.5).

        A key or label that is no option raises KeyError. A value is what an answer recorded, and a team may
        change its checklist's options after answering (Yes/Partly/No to Pass/Fail): a value no option has any
        more gets a stand-in labelled by its number (``0.5 (no longer an option)``), so an old answer still
        shows, and scores, as what it was worth. Before recording a new answer, :meth:`answer_option` checks it.
        """
        if not isinstance(key_or_value, str):
            return self._by_value.get(float(key_or_value)) or retired_option(float(key_or_value))
        k = key_or_value.strip().lower()
        for o in self.options:
            if k in (o.key, o.label.lower()):
                return o
        raise KeyError(self._not_an_answer(key_or_value))

    def answer_option(self, value: float) -> AnswerOption:
        """The option worth ``value``; KeyError when none is: a new answer must be one of today's options."""
        found = self._by_value.get(float(value))
        if found is None:
            raise KeyError(self._not_an_answer(value))
        return found

    def allows(self, value: float) -> bool:
        """Whether ``value`` is one of today's options (an old answer's value may no longer be)."""
        return float(value) in self._by_value

    @cached_property
    def _by_value(self) -> dict[float, AnswerOption]:
        return {o.value: o for o in self.options}

    def _not_an_answer(self, key_or_value: str | float) -> str:
        allowed = ", ".join(f"{o.key} ({_fmt(o.value)})" for o in self.options)
        return f"{key_or_value!r} is not an answer for {self.id!r}; use one of: {allowed}"

    @cached_property
    def fingerprint(self) -> str:
        """A short hash of what decides a result: option values, the questions (id, number, short name), the
        bands and the decision tree. Wording (question text, why, next steps, labels) is left out, so a typo fix
        does not count as a change; a completed evaluation keeps the result it was decided with
        (``scoring.scorecard.Decided``) once this differs."""
        parts = {"options": sorted(o.value for o in self.options),
                 "questions": [[q.id, q.number, q.short] for q in self.questions],
                 "bands": [[b.id, b.name, b.min_score, b.go] for b in self.bands],
                 # without defaults: a field added to the tree later leaves the trees that don't set it unchanged
                 "tree": self.decision_tree.model_dump(mode="json", exclude_defaults=True)
                 if self.decision_tree else None}
        text = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:FINGERPRINT_CHARS]

    @cached_property
    def totals_fingerprint(self) -> str:
        """A short hash of what decides a total: the checklist, which questions it scores (their ids) and what each
        option is worth. Two totals with the same one compare; the bands and the decision tree (in
        :attr:`fingerprint`) decide what a total means, not what it adds up to."""
        parts = {"checklist": self.id, "options": sorted(o.value for o in self.options),
                 "questions": sorted(q.id for q in self.questions)}
        text = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:FINGERPRINT_CHARS]

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(f"unknown section {section_id!r}")

    def band_for(self, total: float) -> Band:
        total = exact(total)
        for band in self.bands:
            if total >= band.min_score:
                return band
        return self.bands[-1]


def _fmt(value: float) -> str:
    return f"{value:g}"


def _duplicates(where: str, noun: str, items: Iterable[str], what: str = "id") -> Iterator[str]:
    seen: set[str] = set()
    for item in items:
        if item in seen:
            yield f"{where}: {what} {item!r} is used twice; give each {noun} its own {what}"
        seen.add(item)


LEAF_EXAMPLE = '{verdict: stop, text: "Stop here.", go: false}'


def _tree_problems(checklist: Checklist, tree: DecisionTree) -> list[str]:
    """Unknown nodes and questions first; when every reference resolves, a path from ``start`` that loops."""
    problems: list[str] = []
    names = ", ".join(tree.nodes)
    if tree.start not in tree.nodes:
        problems.append(f"decision_tree: start {tree.start!r} is not a node; use one of the nodes ({names})")
    ids = {q.id for q in checklist.questions} | {q.key for q in checklist.questions}
    for name, node in tree.nodes.items():
        problems += [f"decision_tree node {name}: question {qid!r} is not in this checklist; use a question id "
                     f"or q1–q{len(checklist.questions)}" for qid in node.questions if qid not in ids]
        problems += [f'decision_tree node {name}, "{word}" branch: {branch!r} is not a node; use one of the nodes '
                     f"({names}) or a verdict such as {LEAF_EXAMPLE}"
                     for word, branch in (("yes", node.yes), ("no", node.no))
                     if isinstance(branch, str) and branch not in tree.nodes]
        problems += _partly_fails_problems(checklist, name, node)
    if problems:
        return problems
    loop = _loop_from_start(tree)
    if loop is None:
        return []
    last, back = loop[-2], loop[-1]
    word = "yes" if tree.nodes[last].yes == back else "no"
    return [f'decision_tree node {last}, "{word}" branch: goes back to {back} ({" → ".join(loop)}), so that path '
            f"never ends; every path must end in a verdict: point it to a later node or a verdict such as "
            f"{LEAF_EXAMPLE}"]


def _partly_fails_problems(checklist: Checklist, name: str, node: TreeNode) -> list[str]:
    """A ``partly_fails`` entry must be one of the node's own questions (by id, ``q7`` or number, as there)."""
    def resolved(ref: str) -> str | None:
        try:
            return checklist.question(ref).id
        except KeyError:
            return None

    asked = {resolved(ref) for ref in node.questions}
    return [f"decision_tree node {name}: partly_fails names {ref!r}, which is not one of its questions "
            f"({', '.join(node.questions)}); list only questions this node asks"
            for ref in node.partly_fails if resolved(ref) is None or resolved(ref) not in asked]


def _next_nodes(node: TreeNode) -> list[str]:
    return [b for b in (node.yes, node.no) if isinstance(b, str)]


def _loop_from_start(tree: DecisionTree) -> list[str] | None:
    """The first path from ``start`` that reaches a node already on it (``a → b → a``), or None.

    Depth first, without recursion; a node whose every path was followed to a verdict is not followed again.
    """
    path = [tree.start]
    pending = [_next_nodes(tree.nodes[tree.start])]
    finished: set[str] = set()
    while pending:
        if not pending[-1]:
            finished.add(path.pop())
            pending.pop()
            continue
        name = pending[-1].pop(0)
        if name in path:
            return [*path, name]
        if name not in finished:
            path.append(name)
            pending.append(_next_nodes(tree.nodes[name]))
    return None


def load_checklist(path: Path) -> Checklist:
    """Read and validate one checklist file; the error names the file and every problem with its fix."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ChecklistError(path, [f"cannot read checklist file ({reason})"]) from exc
    data = _parse(path, text)
    try:
        return Checklist.model_validate(data)
    except ValidationError as exc:
        raise ChecklistError(path, validation_problems(exc, data, yaml_file=path.suffix != ".json"),
                             declared=(_declared(data, "id"), _declared(data, "title"))) from exc


def _declared(data: dict[str, Any], field: str) -> str | None:
    """A top-level text field of a file that failed validation, if it is there and is text."""
    value = data.get(field)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _parse(path: Path, text: str) -> dict[str, Any]:
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise ChecklistError(path, [f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ChecklistError(path, [f"not valid YAML{at}: {problem} (check the quotes, brackets and indentation "
                                    "there)"]) from exc
    if data is None:
        raise ChecklistError(path, ["the file is empty; start from a copy of a built-in checklist file"])
    if not isinstance(data, dict):
        raise ChecklistError(path, ["a checklist file holds a mapping (id:, title:, questions: …) at the top level, "
                                    f"not a {type(data).__name__}"])
    return data


def checklist_files(directory: Path) -> list[Path]:
    """The checklist files of a directory, by name (hidden files, e.g. editor backups, are left out)."""
    if not directory.is_dir():
        raise ChecklistError(directory, ["checklist directory does not exist; create it or point to an existing one"])
    try:
        paths = sorted(directory.iterdir())
    except OSError as exc:
        raise ChecklistError(directory, [f"cannot read checklist directory ({exc.strerror})"]) from exc
    return [p for p in paths if p.suffix in SUFFIXES and not p.name.startswith(".")]


class Registry:
    """The built-in checklists plus any in a team's own directory (``FTCHECK_CHECKLIST_DIR``).

    A team file that cannot be used is skipped and kept in :attr:`problems`; the built-ins and the team's
    other files stay available. A missing team directory raises :class:`ChecklistError`, as does a bad
    built-in file (a bug in this package).
    """

    DEFAULT = "fine-tuning-readiness"

    def __init__(self, extra_dir: Path | None = None) -> None:
        self._items: dict[str, Checklist] = {}
        self._origin: dict[str, Path] = {}
        self.problems: list[ChecklistError] = []
        self.extra_dir = extra_dir
        for path in checklist_files(BUILTIN_DIR):
            self._add(load_checklist(path), path)
        if extra_dir is None:
            return
        for path in checklist_files(extra_dir):
            try:
                self._add(load_checklist(path), path)
            except ChecklistError as exc:
                self.problems.append(exc)

    def _add(self, checklist: Checklist, path: Path) -> None:
        if checklist.id in self._items:
            raise ChecklistError(path, [f"checklist id {checklist.id!r} is already used by "
                                        f"{self._origin[checklist.id]}; give this checklist another id"],
                                 declared=(checklist.id, checklist.title))
        self._items[checklist.id] = checklist
        self._origin[checklist.id] = path

    def get(self, checklist_id: str | None = None) -> Checklist:
        """The checklist with this id; :class:`UnknownChecklist` (a KeyError) says why there is none."""
        key = (checklist_id or self.DEFAULT).strip()
        try:
            return self._items[key]
        except KeyError:
            problem = next((p for p in self.problems if p.declared_id == key), None)
            unread = sum(p.declared_id is None for p in self.problems)
            raise UnknownChecklist(key, self.ids(), problem=problem, team_dir=self.extra_dir, skipped=unread) from None

    def ids(self) -> list[str]:
        return list(self._items)

    def all(self) -> list[Checklist]:
        return list(self._items.values())
