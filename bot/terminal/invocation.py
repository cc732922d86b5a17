"""How to type `ftcheck` again in this shell: the name every hint shows (``ftcheck export …``, ``ftcheck history …``).

After `make run` the command lives in ``.venv/bin`` and is usually not on PATH, so a hint that says plain
``ftcheck`` fails with "command not found"; it names the program the way it was started instead.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

NAME = "ftcheck"


def ftcheck_command(argv0: str | None = None, cwd: str | None = None) -> str:
    """``ftcheck`` when that name, typed in this shell, runs this program (or when it was started some other way,
    e.g. ``python -m bot``); else the path it was started as, relative to the current directory when it lies
    below it: ``.venv/bin/ftcheck``."""
    started = sys.argv[0] if argv0 is None else argv0
    if not started or Path(started).name != NAME:
        return NAME
    here = os.getcwd() if cwd is None else cwd
    program = os.path.normpath(os.path.join(here, started))
    on_path = shutil.which(NAME)
    if on_path is not None and os.path.realpath(on_path) == os.path.realpath(program):
        return NAME
    return shlex.quote(_shown(program, here))


def _shown(program: str, cwd: str) -> str:
    """``.venv/bin/ftcheck`` below ``cwd`` (``./ftcheck`` in it), else the absolute path."""
    try:
        relative = os.path.relpath(program, cwd)
    except ValueError:  # another drive (Windows)
        return program
    if relative.startswith(os.pardir):
        return program
    return relative if os.sep in relative else f".{os.sep}{relative}"


def run_again(project: str | None = None, checklist: str | None = None) -> str:
    """How to start the walk-through again from this shell, for ``project`` (and ``checklist``) when known, so the
    command continues that evaluation (piped, ``ftcheck run`` alone starts "my project"): ``make run ARGS='--project
    "Ticket router"'`` when make started it (its quick start), else the command as it can be typed here
    (``.venv/bin/ftcheck run --project 'Ticket router'``)."""
    if os.environ.get("MAKELEVEL"):
        args = make_args(project, checklist)
        if args is not None:
            return f"make run ARGS='{args}'" if args else "make run"
    words = [*(["--project", shell_word(project)] if project is not None else []),
             *(["--checklist", shell_word(checklist)] if checklist else [])]
    return " ".join([ftcheck_command(), "run", *words])


def make_args(project: str | None, checklist: str | None) -> str | None:
    """The options as ``make run ARGS='…'`` passes them (``--project "Ticket router"``, the Makefile's own
    example); None when the name can't go there as typed: make expands a ``$`` itself, and quotes, backslashes
    and ``!`` would need escaping a person would not retype."""
    if (project is not None and set(project) & set("'\"$`\\!")) or (checklist and shlex.quote(checklist) != checklist):
        return None
    words = [*(["--project", project if shlex.quote(project) == project else f'"{project}"']
               if project is not None else []),
             *(["--checklist", checklist] if checklist else [])]
    return " ".join(words)


def shell_word(text: str) -> str:
    """``text`` as one shell word, safe to paste: a project named ``Spend $5k `pilot``` is not run as a command."""
    return shlex.quote(text)
