"""What is wrong with a team's checklist file, in the file's own terms, each problem with its fix.

pydantic reports ``questions.1.why: Field required``; a person editing the file reads ``question 2
(locked_test_set): missing "why"; add a line like: why: "…"``. Places are named the way the file numbers
them (question numbers, option and band positions from 1, node names), and every problem is listed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

MAX_SHOWN = 10  # problems listed per file; the rest are counted

# The tags of the decision-tree branch union (``Tag`` in checklist.py): pydantic puts them in an error's place.
BRANCH_TAGS = ("leaf", "node")

# An example line for each field a file can leave out, by the kind of entry that needs it.
EXAMPLES: dict[str, dict[str, str]] = {
    "checklist": {
        "id": "id: team-check",
        "title": 'title: "Our fine-tuning gate"',
        "description": 'description: "What this checklist decides, and for whom."',
        "rule": 'rule: "Yes = 1, Partly = 0.5, No = 0; total out of 10."',
        "options": 'options: [{key: "yes", label: "Yes", value: 1}, {key: "no", label: "No", value: 0}]',
        "sections": 'sections: [{id: data, title: "Data"}]',
        "questions": 'questions: [{id: labeled_data, number: 1, section: data, text: "…?", why: "…", if_not: "…"}]',
        "bands": 'bands: [{id: go, name: "Go", min_score: 8, go: true, recommendation: "…"}, '
                 '{id: wait, name: "Not yet", min_score: 0, go: false, recommendation: "…"}]',
    },
    "question": {
        "id": "id: labeled_data",
        "number": "number: 1",
        "section": "section: data",
        "text": 'text: "Do you have 500+ labeled examples?"',
        "why": 'why: "Why the answer matters."',
        "if_not": 'if_not: "The next step when the answer is No."',
    },
    "option": {"key": "key: partly", "label": 'label: "Partly"', "value": "value: 0.5"},
    "section": {"id": "id: data", "title": 'title: "Data & Labeling"'},
    "band": {
        "id": "id: go",
        "name": 'name: "Go"',
        "min_score": "min_score: 8",
        "go": "go: true",
        "recommendation": 'recommendation: "What to do in this band."',
    },
    "decision_tree": {"start": "start: examples", "nodes": 'nodes: {examples: {label: "500+ labeled examples?", …}}'},
    "node": {
        "label": 'label: "500+ labeled examples?"',
        "questions": "questions: [q1]",
        "yes": '"yes": next_node (quoted: YAML reads a bare yes as true)',
        "no": '"no": {verdict: collect_data, text: "Collect data first.", go: false} (quoted: YAML reads a bare no '
              "as false)",
    },
    "leaf": {"verdict": "verdict: fine_tune", "text": 'text: "Go ahead."', "go": "go: true"},
    "score_check": {"below": "below: 8", "text": 'text: "skip fine-tuning for now"'},
    "advice": {"situation": 'situation: "Under 500 examples"', "action": 'action: "Use RAG first"',
               "why": 'why: "Too few examples give brittle results"'},
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "checklist": ("source", "decision_tree", "advice", "reevaluate", "revisit", "triggers"),
    "question": ("short", "if_partly", "criteria", "source", "priority"),
    "node": ("partly_fails",),
    "leaf": ("score_check",),
    "score_check": ("otherwise", "condition"),
}
KNOWN_FIELDS = sorted({field for fields in EXAMPLES.values() for field in fields}
                      | {field for fields in OPTIONAL.values() for field in fields})
# Another kind of entry's word for a field, written where this kind calls it something else: a band's label is its
# name, a section's name its title. The spelling is right, so only this says what is meant.
SAME_ROLE: dict[str, dict[str, str]] = {
    "band": {"label": "name", "title": "name", "text": "recommendation"},
    "section": {"name": "title", "label": "title"},
    "option": {"name": "label", "title": "label", "score": "value"},
    "question": {"question": "text", "title": "text", "label": "text"},
    "node": {"text": "label", "name": "label", "title": "label"},
    "leaf": {"label": "text"},
}
_LISTS = {"questions": "question", "options": "option", "sections": "section", "bands": "band", "advice": "advice"}


def file_message(path: object, problems: Sequence[str]) -> str:
    """``<file>: <problem>``, or ``<file>: 3 problems:`` and one indented line each (at most MAX_SHOWN)."""
    if len(problems) == 1:
        return f"{path}: {problems[0]}"
    shown = [f"  - {p}" for p in problems[:MAX_SHOWN]]
    if len(problems) > MAX_SHOWN:
        shown.append(f"  - … and {len(problems) - MAX_SHOWN} more")
    return "\n".join([f"{path}: {len(problems)} problems:", *shown])


def validation_problems(exc: ValidationError, data: dict[str, Any], yaml_file: bool) -> list[str]:
    """Every problem pydantic found, worded for the person editing the file."""
    problems = list(bare_boolean_keys(data)) if yaml_file else []
    for error in exc.errors():
        if not _covered_by_bare_keys(error, data, bool(problems)):
            problems.extend(_describe(error, data, yaml_file))
    return problems


def bare_boolean_keys(root: dict[str, Any]) -> Iterator[str]:
    """YAML reads an unquoted ``yes:`` / ``no:`` key as true / false: name each, with the fix."""
    stack: list[tuple[Any, tuple[int | str, ...]]] = [(root, ())]
    while stack:
        node, loc = stack.pop(0)
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            if isinstance(key, bool) and isinstance(node, dict):
                word = "yes" if key else "no"
                yield (f"{_place(loc, root)}: the key {word} was read as {str(key).lower()} (YAML reads a bare "
                       f'yes/no as true/false); quote it: "{word}":')
            stack.append((value, (*loc, str(key) if isinstance(key, bool) else key)))


def _covered_by_bare_keys(error: ErrorDetails, data: dict[str, Any], any_bare: bool) -> bool:
    """A node whose ``yes:``/``no:`` were read as booleans also misses "yes"/"no": one problem is enough."""
    if not any_bare:
        return False
    if error["type"] == "invalid_key":
        return True
    loc = error["loc"]
    if error["type"] != "missing" or not loc or loc[-1] not in ("yes", "no"):
        return False
    parent = _lookup(data, loc[:-1])
    return isinstance(parent, dict) and (loc[-1] == "yes") in parent


def _describe(error: ErrorDetails, data: dict[str, Any], yaml_file: bool) -> list[str]:
    loc = _without_tags(error["loc"])
    kind = error["type"]
    if kind == "value_error":
        cause = (error.get("ctx") or {}).get("error")
        return list(getattr(cause, "problems", None) or [str(cause or error["msg"])])
    owner, field = (loc[:-1], str(loc[-1])) if loc and isinstance(loc[-1], str) else (loc, None)
    where = _place(owner, data)
    if kind == "missing":
        return [f'{where}: missing "{field}"; add a line like: {_example(owner, field or "")}']
    if kind == "extra_forbidden":
        meant = _meant(owner, field or "")
        hint = f'; did you mean "{meant}"?' if meant else "; remove it or check the spelling"
        return [f'{where}: unknown field "{field}"{hint}']
    subject = f"{where}: {field}" if field and owner else (field or where)
    return [f"{subject} {_reason(error, yaml_file, field)}"]


def _reason(error: ErrorDetails, yaml_file: bool, field: str | None) -> str:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if value is None and kind.endswith("_type"):
        return "is empty; write a value after the colon"
    if kind == "string_type" and isinstance(value, bool) and yaml_file:
        word = "yes" if value else "no"
        return (f'was read as {str(value).lower()} (YAML reads a bare yes/no as true/false); quote it: '
                f'{field or "…"}: "{word}"')
    reasons = {
        "string_type": "must be text; put it in quotes",
        "string_pattern_mismatch": f"must be lowercase letters, digits, - or _ (e.g. team-check), not {value!r}",
        "string_too_short": "must not be empty",
        "string_too_long": f"is {len(str(value))} characters long; keep it to {ctx.get('max_length')}",
        "too_short": f"needs at least {ctx.get('min_length')} entry" + ("" if ctx.get("min_length") == 1 else "s"),
        "greater_than_equal": f"must be at least {_num(ctx.get('ge'))}, not {value!r}",
        "less_than_equal": f"must be at most {_num(ctx.get('le'))}, not {value!r}",
        "bool_type": f"must be true or false, not {value!r}",
        "bool_parsing": f"must be true or false, not {value!r}",
        "dict_type": "must be a mapping (key: value lines)",
        "model_type": "must be a mapping (key: value lines)",
        "model_attributes_type": "must be a mapping (key: value lines)",
        "list_type": "must be a list (lines starting with -, or [a, b])",
    }
    if kind in reasons:
        return reasons[kind]
    if kind.startswith(("int_", "float_")):
        return f"must be a number, not {value!r}"
    msg = error["msg"]
    return msg[:1].lower() + msg[1:]


def _num(value: object) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _without_tags(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """Drop the union tag pydantic puts after a tree branch: ``…, "yes", "leaf", "go"`` → ``…, "yes", "go"``."""
    return tuple(p for i, p in enumerate(loc) if not (p in BRANCH_TAGS and i and loc[i - 1] in ("yes", "no")))


def _lookup(data: Any, loc: Sequence[int | str]) -> Any:
    for part in loc:
        found = ((isinstance(data, dict) and part in data)
                 or (isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)))
        if not found:
            return None
        data = data[part]
    return data


def _kind(loc: Sequence[int | str]) -> str:
    """What the entry at ``loc`` is: checklist, question, option, section, band, decision_tree, node, leaf,
    score_check (a leaf's)."""
    if not loc:
        return "checklist"
    if len(loc) == 2 and loc[0] in _LISTS:
        return _LISTS[str(loc[0])]
    if loc[0] == "decision_tree":
        if len(loc) == 1:
            return "decision_tree"
        if len(loc) == 5 and loc[4] == "score_check":
            return "score_check"
        return "node" if len(loc) == 3 else "leaf"
    return ""


def _meant(owner: Sequence[int | str], field: str) -> str | None:
    """The field of this kind of entry that ``field`` was meant to be: another kind's word for it (a band's
    ``label`` is its ``name``) or a near spelling; never ``field`` itself, which this entry does not take."""
    kind = _kind(owner)
    fields = [*EXAMPLES.get(kind, {}), *OPTIONAL.get(kind, ())] if kind else KNOWN_FIELDS
    if field in SAME_ROLE.get(kind, {}):
        return SAME_ROLE[kind][field]
    close = difflib.get_close_matches(field, [f for f in fields if f != field], n=1)
    return close[0] if close else None


def _example(owner: Sequence[int | str], field: str) -> str:
    kind = _kind(owner)
    if kind == "question" and field == "number" and isinstance(owner[1], int):
        return f"number: {owner[1] + 1}"
    return EXAMPLES.get(kind, {}).get(field, f"{field}: …")


def _place(loc: Sequence[int | str], data: dict[str, Any] | None) -> str:
    """``question 2 (locked_test_set)``, ``option 3 (maybe)``, ``decision_tree node gap, "yes" branch``."""
    if not loc:
        return "top level"
    head, rest = loc[0], list(loc[1:])
    if head in _LISTS and rest and isinstance(rest[0], int):
        name = _entry_name(str(head), rest[0], data)
        return " ".join([name, *(str(p) for p in rest[1:])])
    if head == "decision_tree" and len(rest) >= 2 and rest[0] == "nodes":
        name = f"decision_tree node {rest[1]}"
        if len(rest) >= 3 and rest[2] in ("yes", "no"):
            name += f', "{rest[2]}" branch'
            return " ".join([name, *(str(p) for p in rest[3:])])
        return " ".join([name, *(str(p) for p in rest[2:])])
    return ".".join(str(p) for p in loc)


def _entry_name(list_name: str, index: int, data: dict[str, Any] | None) -> str:
    entry = _lookup(data, (list_name, index)) if data is not None else None
    entry = entry if isinstance(entry, dict) else {}
    if list_name == "questions":
        number = entry.get("number")
        shown = number if isinstance(number, int) and not isinstance(number, bool) else index + 1
        label = entry.get("id")
    else:
        shown = index + 1
        label = entry.get("key") if list_name == "options" else entry.get("id")
    noun = _LISTS[list_name] + (" row" if list_name == "advice" else "")
    return f"{noun} {shown}" + (f" ({label})" if isinstance(label, str) and label else "")
