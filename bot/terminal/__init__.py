"""The terminal front end: the same engine and store as Slack, driven from a prompt.

Interactive on a terminal; with stdin not a terminal it reads one answer (or command) per line, so a
walk-through can be scripted. See :mod:`bot.terminal.run`.
"""

from bot.terminal.run import RunOptions, run_terminal

__all__ = ["RunOptions", "run_terminal"]
