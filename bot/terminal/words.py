"""What a person types at a question prompt: an answer in the checklist's own words, or a command.

Pure: no I/O, no store. Answers are resolved against the checklist's options, so a pass/fail checklist
takes ``pass``/``fail`` and a yes/partly/no checklist takes ``yes``/``partly``/``no``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.blocks.common import one_line
from scoring.checklist import Checklist

SKIP_WORDS = ("skip", "s", "?", "not sure", "unsure")
ALIASES = {"partial": "partly", "passed": "pass", "failed": "fail"}
ECHO_MAX = 40  # a bad answer is echoed back at most this long
COMMANDS = ("back", "change", "note", "list", "score", "help", "quit")
CLEAR_NOTE = "clear"  # note q3 clear: the note's text removed, not replaced by the word
TAKES_TEXT = ("change", "note")  # the others are commands only as the whole line ("Back in 2023 …" is not back)


@dataclass(frozen=True)
class Answer:
    value: float | None  # None = skip (not sure)


@dataclass(frozen=True)
class Command:
    name: str  # one of COMMANDS
    args: str = ""


@dataclass(frozen=True)
class Problem:
    message: str


Parsed = Answer | Command | Problem


def shorten(text: str, limit: int = ECHO_MAX) -> str:
    """One line, at most ``limit`` characters: long input is cut with an ellipsis (:func:`one_line`)."""
    return one_line(text, limit)


def option_words(checklist: Checklist) -> str:
    """``yes / partly / no / skip`` or ``pass / fail / skip``: what this checklist's prompt offers."""
    return " / ".join([*(o.key for o in checklist.options), "skip"])


def answer_words(checklist: Checklist) -> str:
    """``yes / partly / no``: what a change (or back) takes, which is never skip."""
    return " / ".join(o.key for o in checklist.options)


def parse_value(word: str, checklist: Checklist, *, skip: bool = True) -> float | Problem | None:
    """An option key, label, unique first letter or score (1, 0.5, 0); a skip word -> None (``skip=False``:
    a problem, for a change, which needs an answer)."""
    text = " ".join(word.strip().lower().split())
    answers = option_words(checklist) if skip else answer_words(checklist)
    if text in SKIP_WORDS:
        return None if skip else Problem(f"a change needs an answer ({answers}), not skip")
    if text in ALIASES and _has_key(checklist, ALIASES[text]):
        text = ALIASES[text]
    for o in checklist.options:
        if text in (o.key, o.label.lower()):
            return o.value
    starts = [o for o in checklist.options if text and o.key.startswith(text)]
    if len(starts) == 1:
        return starts[0].value
    number = by_score(text, checklist)
    if number is not None:
        return number
    return Problem(f"“{shorten(word)}” is not an answer here; type {answers}" + (", or help" if skip else ""))


def by_score(word: str, checklist: Checklist) -> float | None:
    """The option whose score ``word`` is (``0`` -> No's 0.0, ``0.5`` -> Partly's), else None. The walk says which
    answer a number recorded, since nothing on the screen names the scores (:func:`score_words`)."""
    try:
        number = float(word.strip())
    except ValueError:
        return None
    return next((o.value for o in checklist.options if o.value == number), None)


def score_words(checklist: Checklist) -> str:
    """``1 / 0.5 / 0``: the scores that answer as their options do."""
    return " / ".join(f"{o.value:g}" for o in checklist.options)


def _has_key(checklist: Checklist, text: str) -> bool:
    return any(text in (o.key, o.label.lower()) for o in checklist.options)


def parse_input(text: str, checklist: Checklist, default: float | None) -> Parsed:
    """A line typed at a question prompt -> an answer, a command or a problem to show."""
    stripped = text.strip()
    if not stripped:
        if default is None:
            return Problem(f"type {option_words(checklist)}, or help")
        return Answer(default)
    head, _, rest = stripped.partition(" ")
    name = {"h": "help", "exit": "quit", "q": "quit"}.get(head.lower(), head.lower())
    if name in COMMANDS and (name in TAKES_TEXT or not rest.strip()):
        return Command(name, rest.strip())
    value = parse_value(stripped, checklist)
    if isinstance(value, Problem):
        return value
    return Answer(value)


@dataclass(frozen=True)
class Change:
    question: str  # stable id
    value: float


def parse_change(args: str, checklist: Checklist) -> Change | Problem:
    """``q3 partly`` (or ``3 partly``) -> a change; anything else -> what to type."""
    ref, _, word = args.strip().partition(" ")
    usage = f"type change <question> <answer>, e.g. change q3 {checklist.options[-1].key}"
    if not ref or not word.strip():
        return Problem(usage)
    try:
        question = checklist.question(ref)
    except KeyError:
        return Problem(f"“{shorten(ref)}” is not a question; use q1–q{len(checklist.questions)}")
    value = parse_value(word, checklist, skip=False)
    if isinstance(value, Problem):
        return value
    if value is None:  # parse_value(skip=False) turns a skip word into a Problem: never None
        return Problem(usage)
    return Change(question.id, value)


def parse_note(args: str, checklist: Checklist, last: str | None) -> tuple[str, str] | Problem:
    """``q3 some text`` or ``some text`` (the question answered last) -> (question id, text); ``q3`` alone ->
    (question id, ""), to see q3's note. Only ``q3`` (any case) names a question: a note that starts with a number
    or a word that is also a question's id ("2 agents labeled…", "timeline slipped…") is text, whole."""
    ref, _, rest = args.strip().partition(" ")
    if re.fullmatch(r"q\d+", ref, re.IGNORECASE):
        named = next((q for q in checklist.questions if q.key == ref.lower()), None)
        if named is not None:
            return named.id, rest.strip()  # no text: the walk shows the question's note
        return Problem(f"{shorten(ref)} is not a question here; use q1–q{len(checklist.questions)} (nothing was "
                       "recorded)")
    if not args.strip():
        return Problem("type note <text> (it goes on the question you answered last) or note q3 <text>")
    if last is None:
        return Problem("nothing is answered yet; answer a question first, then add a note to it")
    return last, args.strip()


def help_text(checklist: Checklist) -> str:
    keys = answer_words(checklist)
    return "\n".join([
        f"Answer with {keys} (or their scores, {score_words(checklist)}), or skip (not sure: asked again later).",
        "Commands, at any question:",
        "  back                 answer the previous question again",
        f"  change q3 {checklist.options[-1].key:<10} change an earlier answer",
        "  note <text>          add a note to the answer you gave last (note q3 <text> for another; note q3 "
        f"shows q3's note; note q3 {CLEAR_NOTE} removes it)",
        "  list                 the answers so far, with their notes",
        "  score                the scorecard so far",
        "  help                 this help",
        "  quit                 stop here; answers are saved (Ctrl-C does the same)",
    ])


def is_reply(text: str, checklist: Checklist) -> bool:
    """True when a line is an answer or a bare command (``yes``, ``help``, ``change q3 no``) rather than the
    first line of a description ("Help desk tickets …" is a description)."""
    parsed = parse_input(text, checklist, default=None)
    if isinstance(parsed, Answer):
        return True
    if isinstance(parsed, Command):
        return not parsed.args or (parsed.name == "change" and isinstance(parse_change(parsed.args, checklist), Change))
    return False
