"""Checklists as data: the models a checklist file must satisfy, loading, and the registry.

A checklist file (YAML or JSON) is validated on load; an invalid file raises
:class:`ChecklistError` naming the file and the offending field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

BUILTIN_DIR = Path(__file__).parent / "checklists"
SUFFIXES = (".yaml", ".yml", ".json")

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", min_length=1, max_length=64)]


class ChecklistError(ValueError):
    """A checklist file is missing, unreadable or invalid."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AnswerOption(_Frozen):
    """One way to answer a question, e.g. ``yes`` worth 1 point."""

    key: Slug
    label: str = Field(min_length=1, max_length=30)
    value: float = Field(ge=0, le=1)


class Question(_Frozen):
    id: Slug
    number: int = Field(ge=1)
    section: Slug
    text: str = Field(min_length=1, max_length=500)
    short: str | None = Field(default=None, max_length=40, description="A few words naming it: 'prompting ceiling'.")
    why: str = Field(min_length=1, max_length=1000)
    if_not: str = Field(min_length=1, max_length=1500, description="Next step when the answer is no/partly.")
    criteria: str | None = Field(default=None, max_length=1500, description="Pass criteria, if any.")
    source: str | None = None

    @property
    def key(self) -> str:
        """The short key people type: ``q7``."""
        return f"q{self.number}"

    @property
    def name(self) -> str:
        """``q7 (prompting ceiling)``, or ``q7`` when the checklist gives no short name."""
        return f"{self.key} ({self.short})" if self.short else self.key


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


class TreeLeaf(_Frozen):
    verdict: Slug
    text: str = Field(min_length=1, max_length=500)
    go: bool


class TreeNode(_Frozen):
    """Asks whether all ``questions`` are answered yes; follows ``yes`` or ``no``.

    A branch is either the id of another node or a leaf with the verdict.
    """

    label: str = Field(min_length=1, max_length=200)
    questions: list[Slug] = Field(min_length=1)
    yes: Slug | TreeLeaf
    no: Slug | TreeLeaf


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
    reevaluate: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Checklist:
        section_ids = [s.id for s in self.sections]
        _unique("sections", section_ids)
        _unique("questions (id)", [q.id for q in self.questions])
        numbers = [q.number for q in self.questions]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"questions: numbers must run 1..{len(numbers)} in order, got {numbers}")
        for q in self.questions:
            if q.section not in section_ids:
                raise ValueError(f"questions.{q.id}.section: unknown section {q.section!r}")
        _unique("options (key)", [o.key for o in self.options])
        values = {o.value for o in self.options}
        if 0 not in values or 1 not in values:
            raise ValueError("options: need one option worth 1 and one worth 0")
        mins = [b.min_score for b in self.bands]
        if mins != sorted(mins, reverse=True) or mins[-1] != 0:
            raise ValueError("bands: order from the highest min_score down to a band with min_score 0")
        if mins[0] > len(self.questions):
            raise ValueError(f"bands.{self.bands[0].id}.min_score: above the maximum {len(self.questions)}")
        _unique("bands (id)", [b.id for b in self.bands])
        if self.decision_tree:
            self._check_tree(self.decision_tree)
        return self

    def _check_tree(self, tree: DecisionTree) -> None:
        ids = {q.id for q in self.questions} | {q.key for q in self.questions}
        if tree.start not in tree.nodes:
            raise ValueError(f"decision_tree.start: unknown node {tree.start!r}")
        for name, node in tree.nodes.items():
            for qid in node.questions:
                if qid not in ids:
                    raise ValueError(f"decision_tree.nodes.{name}.questions: unknown question {qid!r}")
            for branch in (node.yes, node.no):
                if isinstance(branch, str) and branch not in tree.nodes:
                    raise ValueError(f"decision_tree.nodes.{name}: unknown next node {branch!r}")

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
        """Find an answer option by key (``partly``), label or value (0.5)."""
        for o in self.options:
            if isinstance(key_or_value, str):
                k = key_or_value.strip().lower()
                if k in (o.key, o.label.lower()):
                    return o
            elif float(key_or_value) == o.value:
                return o
        allowed = ", ".join(f"{o.key} ({_fmt(o.value)})" for o in self.options)
        raise KeyError(f"{key_or_value!r} is not an answer for {self.id!r}; use one of: {allowed}")

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(f"unknown section {section_id!r}")

    def band_for(self, total: float) -> Band:
        for band in self.bands:
            if total >= band.min_score:
                return band
        return self.bands[-1]


def _fmt(value: float) -> str:
    return f"{value:g}"


def _unique(what: str, items: Iterable[str]) -> None:
    seen: set[str] = set()
    for item in items:
        if item in seen:
            raise ValueError(f"{what}: duplicate {item!r}")
        seen.add(item)


def load_checklist(path: Path) -> Checklist:
    """Read and validate one checklist file; errors name the file and the field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ChecklistError(f"{path}: cannot read checklist file ({exc.strerror})") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise ChecklistError(f"{path}: not valid {path.suffix.lstrip('.').upper()}: {exc}") from exc
    if not isinstance(data, dict):
        raise ChecklistError(f"{path}: a checklist file must hold a mapping at the top level")
    try:
        return Checklist.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ChecklistError(f"{path}: field {field}: {first['msg']}{more}") from exc


class Registry:
    """The built-in checklists plus any in a team's own directory (``FTCHECK_CHECKLIST_DIR``)."""

    DEFAULT = "fine-tuning-readiness"

    def __init__(self, extra_dir: Path | None = None) -> None:
        self._items: dict[str, Checklist] = {}
        self._origin: dict[str, Path] = {}
        for directory in (BUILTIN_DIR, extra_dir):
            if directory is None:
                continue
            if not directory.is_dir():
                raise ChecklistError(f"{directory}: checklist directory does not exist")
            for path in sorted(directory.iterdir()):
                if path.suffix in SUFFIXES:
                    self._add(load_checklist(path), path)

    def _add(self, checklist: Checklist, path: Path) -> None:
        if checklist.id in self._items:
            raise ChecklistError(
                f"{path}: checklist id {checklist.id!r} is already defined by {self._origin[checklist.id]}"
            )
        self._items[checklist.id] = checklist
        self._origin[checklist.id] = path

    def get(self, checklist_id: str | None = None) -> Checklist:
        key = (checklist_id or self.DEFAULT).strip()
        try:
            return self._items[key]
        except KeyError:
            raise KeyError(f"unknown checklist {key!r}; available: {', '.join(self.ids())}") from None

    def ids(self) -> list[str]:
        return list(self._items)

    def all(self) -> list[Checklist]:
        return list(self._items.values())
