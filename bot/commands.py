"""`/ftcheck …` and `@ftcheck …` text -> a typed command. Pure: no Slack, no I/O."""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Literal

from pydantic import BaseModel

from bot.blocks.common import esc, typed_form

Verb = Literal["start", "help", "suggest", "summary", "list", "history", "export", "remind", "delete", "status"]
VERBS: tuple[str, ...] = ("start", "help", "suggest", "summary", "list", "history", "export", "remind", "delete",
                          "status")

HELP = """*ftcheck* — decide on evidence whether to fine-tune.
• `/ftcheck start &lt;project&gt; [--checklist ID]` — walk the team through a checklist in a new thread
  (the first answer on each card counts); a project finished here before starts pre-filled with its last
  answers as defaults to confirm (`--fresh` starts without them)
• `/ftcheck start &lt;project&gt; --vote [--quorum N]` — everyone votes on each card, hidden until N have voted
  (default 3) or someone clicks Reveal once two have voted (the starter, a lead or an admin: any time); one of them
  settles a split. A re-evaluation scores the way the last one did (a vote stays a vote, with its quorum); `--quick`
  makes the first answer count instead
• `/ftcheck suggest [project:] &lt;project description&gt;` — suggested answers for this channel's open evaluation
  (or paste a long description into the evaluation thread); with several open, name the project first, then a
  colon; people confirm every score
• `/ftcheck status` — where each evaluation in progress here stands
• `/ftcheck summary [project]` · `/ftcheck list [page]` · `/ftcheck history &lt;project&gt; [page]`
• `/ftcheck export &lt;project&gt; [md|csv|json]` — upload the decision record
• `/ftcheck remind &lt;project&gt; quarterly|monthly|off|YYYY-MM-DD`
• `/ftcheck delete &lt;project&gt;` — delete the project's latest evaluation in this channel (only its starter,
  a lead or a workspace admin can)
• `/ftcheck help` — this message
Checklists: {checklists}"""


class CommandError(ValueError):
    """The text does not form a command; the message says what to type instead."""


class Command(BaseModel):
    verb: Verb
    project: str | None = None
    checklist: str | None = None
    text: str | None = None  # suggest: the description
    format: Literal["md", "csv", "json"] = "md"
    page: int = 1  # list: which page of projects
    schedule: str | None = None  # remind: quarterly | monthly | off | YYYY-MM-DD
    unknown: str | None = None  # help shown because of this unknown sub-command
    # start: first answer counts (--quick), or hidden team votes (--vote); None when not said: a first evaluation
    # is quick, a re-evaluation scores the way the last one did
    mode: Literal["quick", "vote"] | None = None
    quorum: int | None = None  # start --vote --quorum N: votes that reveal a card; None when not said
    fresh: bool = False  # start --fresh: not pre-filled from the project's last result here


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def first_word(text: str) -> str:
    """The verb as :func:`parse` reads it (lower case; "" for empty text)."""
    return (text or "").strip().partition(" ")[0].lower()


MENTION = re.compile(r"^\s*<@([A-Z0-9]+)(?:\|[^<>]*)?>\s*")  # "@ftcheck list": the mention before a command

# Commands that change nothing a person entered (``status`` may post again a card Slack refused): when Redis stops
# answering during one, the person is told just that, not to check whether it "took effect"
READS_ONLY = frozenset({"help", "status", "list", "summary", "history", "export"})


def is_read_only(text: str | None) -> bool:
    """Whether the command ``text`` is one of :data:`READS_ONLY`; False for None and text that does not parse."""
    if text is None:
        return False
    try:
        return parse(text).verb in READS_ONLY
    except ValueError:
        return False


def parse(text: str) -> Command:
    raw = (text or "").strip()
    if not raw:
        return Command(verb="help")
    verb, rest = first_word(raw), raw.partition(" ")[2]
    rest = rest.strip()
    if verb not in VERBS:
        return Command(verb="help", unknown=verb)
    if verb == "suggest":
        if not rest:
            raise CommandError("Paste the project description after `/ftcheck suggest`.")
        return Command(verb="suggest", text=rest)
    if verb == "start":
        return _start(rest)
    if verb == "list":
        return _list(rest)
    if verb in ("help", "status"):
        return Command(verb=verb)
    if verb == "summary":
        return Command(verb="summary", project=_name(rest) or None)
    if verb in ("history", "delete"):
        if not _name(rest):
            raise CommandError(f"Name the project: `/ftcheck {verb} &lt;project&gt;`.")
        return Command(verb=verb, project=_name(rest))
    if verb == "export":
        return _export(rest)
    return _remind(rest)


def _words(rest: str) -> list[str]:
    """Words as typed: apostrophes, quotes and backslashes stay part of a project's name ("Ann's model")."""
    return rest.split()


_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’"}


def _name(text: str) -> str:
    """A project name as typed, spaces collapsed; a name wrapped whole in one pair of quotes loses them. Invisible
    characters are taken out (:func:`clean_name`); a name with nothing visible left is no name ("")."""
    name = " ".join(clean_name(text).split())
    if len(name) >= 2 and _QUOTES.get(name[0]) == name[-1] and name[-1] not in name[1:-1]:
        name = name[1:-1].strip()
    # unassigned to this Python's Unicode (Cn): maybe an emoji newer than it, so shown
    return name if any(unicodedata.category(ch)[0] in "LNPS" or unicodedata.category(ch) == "Cn"
                       for ch in name) else ""


# Characters that show as blank space: Hangul fillers, the blank Braille pattern, Khmer inherent vowels
_BLANKS = frozenset("\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0")


def clean_name(text: str) -> str:
    """A name as shown: bidi controls, zero-width spaces, control characters and the like taken out (as from a
    description), blank fillers read as spaces; joiners and variation selectors stay (emoji such as 👩‍💻, Persian
    spelling). What an ftcheck message showed as a lookalike of ``*`` ``_`` ``~`` or a backtick is read as typed."""
    text = unicodedata.normalize("NFC", typed_form(text))
    return "".join(" " if ch in _BLANKS else ch for ch in text if _shown_in_name(ch))


def _shown_in_name(ch: str) -> bool:
    if ch in "\u200c\u200d" or "\ufe00" <= ch <= "\ufe0f" or "\U000e0020" <= ch <= "\U000e007f":
        return True  # joiners, variation selectors, emoji tag sequences (subdivision flags)
    return unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs") or ch in "\t\n"


QUORUM_MAX = 25
DEFAULT_QUORUM = 3  # votes that reveal a card when `--vote` names no quorum (and the last evaluation was no vote)
NAME_MAX = 80  # characters in a project's name


def _option(words: list[str], flag: str, example: str) -> str | None:
    """Take ``--flag value`` out of ``words``; None when the flag is absent."""
    if flag not in words:
        return None
    i = words.index(flag)
    if i + 1 >= len(words) or words[i + 1].startswith("--"):
        raise CommandError(f"`{flag}` needs a value, e.g. `{flag} {example}`.")
    value = words[i + 1]
    del words[i : i + 2]
    return value


def whole_number(text: str) -> int | None:
    """``text`` as a number of decimal digits (``2``, ``２``, ``٢``), else None: ``²`` and ``①`` are digits to
    :meth:`str.isdigit` but no number to :func:`int`."""
    return int(text) if text.isdecimal() else None


def _quorum(raw: str | None) -> int | None:
    if raw is None:
        return None
    quorum = whole_number(raw)
    if quorum is None or not 1 <= quorum <= QUORUM_MAX:
        raise CommandError(f"`--quorum` takes a number of voters from 1 to {QUORUM_MAX}, e.g. `--quorum 4`.")
    return quorum


_START_OPTIONS = ("checklist", "vote", "quick", "quorum", "fresh")
# "--vote" as phones and Macs send it (smart punctuation turns "--" into a dash), or typed with one hyphen
_DASHED_OPTION = re.compile(rf"^(?:--|-|—|–|−)({'|'.join(_START_OPTIONS)})$", re.IGNORECASE)


def _start_words(rest: str) -> list[str]:
    """:func:`_words`, each start option read as ``--option`` however its dashes arrived."""
    return [f"--{m.group(1).lower()}" if (m := _DASHED_OPTION.match(w)) else w for w in _words(rest)]


def _start(rest: str) -> Command:
    words = _start_words(rest)
    checklist = _option(words, "--checklist", "dataset-readiness")
    quorum = _quorum(_option(words, "--quorum", "4"))
    vote, quick, fresh = _flag(words, "--vote"), _flag(words, "--quick"), _flag(words, "--fresh")
    if vote and quick:
        raise CommandError("Pick one: `--vote` (the team votes on each card) or `--quick` (the first answer "
                           "counts).")
    if quick and quorum is not None:
        raise CommandError("`--quorum` goes with `--vote` (the team votes; the card reveals at N votes), not with "
                           "`--quick`: drop one of them.")
    vote = vote or quorum is not None  # "--quorum 2" alone asks for a vote revealed at 2 votes
    unknown = next((w for w in words if w.startswith("--") and len(w) > 2), None)
    if unknown is not None:
        raise CommandError(f"`{esc(unknown)}` is not an option of `/ftcheck start`; it takes `--checklist ID`, "
                           "`--vote`, `--quorum N` (a vote revealed at N votes), `--quick` and `--fresh`.")
    project = _name(" ".join(words))
    if not project:
        raise CommandError("Name the project: `/ftcheck start &lt;project name&gt;`.")
    if len(project) > NAME_MAX:
        raise CommandError(f"Project names are limited to {NAME_MAX} characters (this one has {len(project)}).")
    return Command(verb="start", project=project, checklist=checklist,
                   mode="vote" if vote else "quick" if quick else None, quorum=quorum, fresh=fresh)


def _flag(words: list[str], flag: str) -> bool:
    """Whether ``flag`` is among ``words`` (taken out of them, so it is not read as part of the name)."""
    found = flag in words
    while flag in words:
        words.remove(flag)
    return found


def _list(rest: str) -> Command:
    if not rest:
        return Command(verb="list")
    page = whole_number(rest)
    if page is None or page < 1:
        raise CommandError("`/ftcheck list` takes a page number, e.g. `/ftcheck list 2`.")
    return Command(verb="list", page=page)


# Words that are clearly meant as a file format, not the end of a project's name
_NOT_FORMATS = frozenset({"pdf", "doc", "docx", "txt", "text", "html", "htm", "xls", "xlsx", "tsv", "yaml", "yml",
                          "xml", "rtf", "odt"})


def _export(rest: str) -> Command:
    words = _words(rest)
    fmt = "md"
    last = words[-1].lower().lstrip(".") if words else ""
    if last in ("md", "markdown", "csv", "json"):
        fmt = "md" if last == "markdown" else last
        words.pop()
    elif last in _NOT_FORMATS and len(words) > 1:
        raise CommandError(f"`{esc(words[-1])}` is not an export format; use md, csv or json, e.g. "
                           f"`/ftcheck export {esc(_name(' '.join(words[:-1])))} md`.")
    if not words:
        raise CommandError("Name the project: `/ftcheck export &lt;project&gt; [md|csv|json]`.")
    return Command(verb="export", project=_name(" ".join(words)), format=fmt)


_SCHEDULES = ("quarterly", "monthly", "off")
_DATE_LIKE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$")
_REMIND_USAGE = "`/ftcheck remind &lt;project&gt; quarterly|monthly|off|YYYY-MM-DD`"


def _remind(rest: str) -> Command:
    words = _words(rest)
    if not words:
        raise CommandError(f"Name the project and say when: {_REMIND_USAGE}.")
    last = words[-1].lower()
    if last not in _SCHEDULES and not _DATE.match(last):
        # no schedule at the end: where the project's name ends is known only once names are looked up, so
        # `remind` tells the name from the rest (:func:`name_splits`) and says what it did not understand
        return Command(verb="remind", project=_name(rest), schedule=None)
    if len(words) == 1:
        raise CommandError(f"Name the project before `{esc(last)}`: `/ftcheck remind &lt;project&gt; {esc(last)}`.")
    return Command(verb="remind", project=_name(" ".join(words[:-1])), schedule=last)


def name_splits(typed: str) -> list[tuple[str, list[str]]]:
    """Every way to read ``typed`` as a project name (as long as one can be) followed by other words, the longest
    name first."""
    words = _words(typed)
    splits = [(_name(" ".join(words[:cut])), words[cut:]) for cut in range(len(words), 0, -1)]
    return [(name, rest) for name, rest in splits if len(name) <= NAME_MAX]


def unclear_schedule(project: str | None, rest: list[str], typed: str) -> str:
    """`/ftcheck remind` without a schedule it understands. ``project``: the project its first words name (as
    stored) and ``rest`` the words after them; None when no project goes by ``typed`` or its first words."""
    if project is None:
        return (f"I know no project called *{esc(typed)}*, or by its first words, that you can see here. Say it as "
                f"{_REMIND_USAGE}; `/ftcheck list` names the projects you can see.")
    name = esc(project)
    if not rest:
        return (f"Say when after the project name: `/ftcheck remind {name} quarterly` — or `monthly`, `off` or a "
                "date like `2027-03-01`.")
    said = esc(" ".join(rest))
    guess = difflib.get_close_matches(rest[-1].lower(), _SCHEDULES, n=1, cutoff=0.75)
    if guess:
        return f"`{said}` is not a schedule; did you mean `/ftcheck remind {name} {guess[0]}`?"
    if _DATE_LIKE.match(rest[-1]):
        return f"Write the date as YYYY-MM-DD, e.g. `/ftcheck remind {name} 2027-03-01`."
    return (f"I don't understand the schedule \u201c{said}\u201d. After the project name say `quarterly`, `monthly`, "
            f"`off` or a date like `2027-03-01`, e.g. `/ftcheck remind {name} quarterly`.")


def help_text(checklist_ids: list[str], unknown: str | None = None, ai_at: str | None = None) -> str:
    """``ai_at``: where the AI helper sends descriptions (the host of OPENAI_BASE_URL), when it is on: people are
    told, for a description may be confidential."""
    intro = f"`{esc(unknown)}` is not an ftcheck command.\n" if unknown else ""
    text = HELP.format(checklists=", ".join(f"`{c}`" for c in checklist_ids))
    if ai_at:
        text += (f"\nThe AI helper is on here: a description (and a long thread reply that reads like one) is sent "
                 f"to {esc(ai_at)} to suggest answers.")
    return intro + text
