"""Evidence handling: cleaning the description, verifying quotes against it, and escaping for Slack.

A quote counts as evidence only if it occurs in the description after normalising whitespace,
quote marks, dashes, markdown emphasis and case. Quotes that are instructions to an assistant
(prompt injection planted in the description) never count, even when they are verbatim.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass

from scoring.suggest.models import MAX_DESCRIPTION_CHARS, DescriptionTooLong

# Zero-width characters, bidi controls, invisible fillers, variation selectors and tag characters.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
_QUOTES = str.maketrans({c: "'" for c in "‘’‚‛′´"} | {c: '"' for c in "“”„‟″«»"})
_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−"})
_EMPHASIS = frozenset("*_`")
_MIN_WORDS = 2


def clean_description(text: str) -> str:
    """Strip invisible Unicode (zero-width, bidi, tags, soft hyphen…) and control characters."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _INVISIBLE.sub("", text)
    text = "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs")
    )
    return text.strip()


def check_description(text: str) -> str:
    """Clean ``text`` and enforce the size limits; returns the cleaned description."""
    cleaned = clean_description(text)
    if not cleaned:
        raise ValueError("The project description is empty: paste a few paragraphs about the project.")
    if len(cleaned) > MAX_DESCRIPTION_CHARS:
        raise DescriptionTooLong(len(cleaned))
    return cleaned


def escape_mrkdwn(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` so Slack shows model text literally.

    Slack only parses mentions (``<!channel>``, ``<@U123>``) and links (``<http…|label>``) inside
    angle brackets, so escaping them turns every such control sequence into plain text.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@functools.lru_cache(maxsize=16)
def _normalise_with_map(text: str) -> tuple[str, tuple[int, ...]]:
    """Normalised text plus, for every normalised character, its index in ``text`` (cached: every quote
    of a report is checked against the same description)."""
    out: list[str] = []
    where: list[int] = []
    pending_space = False
    for i, ch in enumerate(text.translate(_QUOTES).translate(_DASHES)):  # one char to one char
        if ch == "…":
            ch = "..."
        if ch.isspace():
            pending_space = bool(out)
            continue
        if ch in _EMPHASIS:
            continue
        if pending_space:
            out.append(" ")
            where.append(i)
            pending_space = False
        for c in ch.lower():
            out.append(c)
            where.append(i)
    return "".join(out), tuple(where)


def normalise(text: str) -> str:
    return _normalise_with_map(text)[0]


@dataclass(frozen=True)
class Located:
    start: int
    end: int


def _strip_quote(quote: str) -> str:
    return quote.strip().strip("\"'“”‘’").strip().rstrip(".").strip()


def locate_parts(quote: str, description: str) -> list[Located] | None:
    """Where each excerpt of ``quote`` sits in ``description`` (original indices); None if one is missing.

    A quote with an ellipsis ("A … B") joins excerpts; each excerpt must occur in the description.
    """
    parts = [normalise(_strip_quote(p)) for p in re.split(r"\.\.\.|…", quote)]
    parts = [p for p in parts if p]
    if not parts:
        return None
    haystack, where = _normalise_with_map(description)
    spans: list[Located] = []
    for part in parts:
        found = haystack.find(part)
        if found < 0:
            return None
        spans.append(Located(where[found], where[found + len(part) - 1] + 1))
    return spans


_ENDS = re.compile(r"^[\s'\".]+|[\s'\".]+$")  # of a normalised quote: quote marks, a full stop, an ellipsis


def quote_core(quote: str) -> str:
    """The quote normalised (:func:`normalise`), without quote marks, full stops or ellipses at its ends."""
    return _ENDS.sub("", normalise(quote))


def locate_whole(quote: str, description: str) -> Located | None:
    """Where ``quote`` sits in ``description`` as one stretch of text, or None. An ellipsis at either end (a quote cut
    short) is allowed; one inside must be in the description too: excerpts joined with "…" are not one stretch."""
    part = quote_core(quote)
    if not part:
        return None
    haystack, where = _normalise_with_map(description)
    found = haystack.find(part)
    if found < 0:
        return None
    return Located(where[found], where[found + len(part) - 1] + 1)


def locate(quote: str, description: str) -> Located | None:
    """The stretch of ``description`` that ``quote`` covers, or None if it is not there."""
    spans = locate_parts(quote, description)
    if not spans:
        return None
    return Located(min(s.start for s in spans), max(s.end for s in spans))


def quote_in_description(quote: str, description: str) -> bool:
    return locate(quote, description) is not None


# Sentences that address an assistant rather than describe the project.
_INSTRUCTION_PATTERNS = [
    r"\b(ignore|disregard|forget|override)\s+(?:(?:all|any|the|your|of|everything|of the)\s+)*"
    r"(?:(?:previous|prior|above|earlier|preceding|foregoing|system|these|those|my|other)\s+)?"
    r"(instructions?|prompts?|directions|guidelines|rules|above)\b",
    r"\b(answer|respond|reply|mark|score|rate|grade|say)\b.{0,30}\b(yes|true|pass|full marks)\b"
    r".{0,30}\b(every|all|each|everything|any)\b",
    r"\b(answer|mark|score|rate)\b.{0,20}\b(everything|every question|all questions|each question)\b",
    r"\byou are (now )?(an?|the|my) (ai|assistant|model|language model|chatbot|llm)\b",
    # "a longer system message" is a project fact; asking to reveal or override one is not
    r"\b(reveal|print|show|repeat|ignore|override|replace|change|follow|obey)\b.{0,20}\b(system|developer) "
    r"(prompt|message|instructions?)\b",
    r"\bnew instructions?\b",
    r"^\s*(system|assistant)\s*:",
    r"\bas an? (ai|language model)\b",
    r"\b(do not|don't) (verify|check|validate)\b.{0,30}\b(quotes?|evidence)\b",
    r"\b(note|message|instructions?) (to|for) (the )?(ai|assistant|model|llm|bot)\b",
]
_INSTRUCTION_RE = re.compile(
    "|".join(f"(?:{p})" for p in _INSTRUCTION_PATTERNS), re.IGNORECASE | re.MULTILINE
)


# The helper's own card words, pasted back with a copied thread (":bulb: Helper suggests: Yes — …"): not the team's
_BOT_WORDS_RE = re.compile(r"\bhelper suggests\s*:|\bthe helper's reading of the description\b")


def looks_like_bot_words(text: str) -> bool:
    """Whether ``text`` is the helper's own card text (a copied thread pasted back), not the team's words."""
    return _BOT_WORDS_RE.search(normalise(text)) is not None


def looks_like_instruction(text: str) -> bool:
    """Whether ``text`` reads as an instruction to an AI assistant (prompt injection), or is the helper's own card
    text pasted back (:func:`looks_like_bot_words`): either way not a statement of the team, so never read."""
    return _INSTRUCTION_RE.search(normalise(text)) is not None or looks_like_bot_words(text)


@dataclass(frozen=True)
class Unit:
    """A sentence of the description with its position; ``text`` is verbatim minus list markers. A table row
    (tab-separated or Markdown) is one unit of its own, ``row`` set."""

    text: str
    start: int
    end: int
    row: bool = False


# bullets of every nesting level ("• ◦ ▪ ‣ ⁃ ▫ ○ ■ □ ▸ ►"), check marks ("✅ ✔ ☑ ✓"), "1." / "1)" and "a)" / "(a)"
# items; a cross ("❌ ✗") starts an item too but stays in its text, since it says the item is missing
_LIST_MARKER = re.compile(r"^\s*(?:(?:[-*•>+◦▪‣⁃▫○■□▸►·✅✔☑✓]|\d+[.)]|\(?[a-z][)])\s+|(?=[❌✗✘✖]\s))")
# a chat time: "9:14", "9:14 AM", "21:05:30"
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp]\.?[Mm]\.?)?"
# "[10:02] jules: …", "[9:21 AM] Anna Berg: …", "@hanna-b: …", "Budget: …": a chat message or a labelled line
# starts its own block.
_SPEAKER = re.compile(rf"^\s*(?:\[{_TIME}\]\s*)?@?[\w.&-]{{2,24}}(?: [\w.&-]{{2,24}})?:\s+(?=\S)")
# Slack's copy format: "Anna Berg  9:14 AM" on a line of its own, or the name and then the time on the next line
_NAME = r"[^\W\d][\w.'&-]{0,23}(?: [^\W\d][\w.'&-]{0,23}){0,3}"
_SPEAKER_LINE = re.compile(rf"^\s*(?:{_NAME}\s+)?\[?{_TIME}\]?\s*$")
_NAME_LINE = re.compile(rf"^\s*{_NAME}\s*$")
# a table row: cells separated by tabs, or a Markdown row "| a | b |"; "|---|:--|" separates the header
_MD_ROW = re.compile(r"^\s*\|(.*\|.*)$")
_MD_RULE = re.compile(r"^\s*\|?[\s:|-]*-[\s:|-]*$")
_HEADING = re.compile(r"^\s*(#+\s+|(?=\*\*[^*]+\*\*\s*$)|(?=[^\s-].{0,60}:\s*$))")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]*]*\s+(?=[\"'(\[*]*[A-Z0-9$])")


def _speaker_lines(lines: list[str]) -> set[int]:
    """Slack's own lines for who wrote and when ("Anna Berg  9:14 AM", or "Anna Berg" then "9:14 AM")."""
    out: set[int] = set()
    for i, line in enumerate(lines):
        if _SPEAKER_LINE.match(line):
            out.add(i)
            if i and _NAME_LINE.match(lines[i - 1]) and not _SPEAKER_LINE.match(lines[i - 1]):
                out.add(i - 1)
    return out


def row_cells(line: str) -> list[str] | None:
    """The non-empty cells of a table row (tab-separated or Markdown), or None when ``line`` is not one."""
    md = _MD_ROW.match(line)
    cells = md.group(1).rstrip().rstrip("|").split("|") if md else line.strip().split("\t")
    cells = [c.strip() for c in cells if c.strip()]
    return cells if len(cells) >= 2 else None


def _row_span(line: str) -> tuple[int, int] | None:
    """Where a table row's text sits in ``line``: without the outer pipes of a Markdown row."""
    if _MD_RULE.match(line) or row_cells(line) is None:
        return None
    text = line.strip().strip("|").strip() if _MD_ROW.match(line) else line.strip()
    start = line.index(text)
    return start, start + len(text)


def _blocks(description: str) -> list[tuple[int, int, bool]]:
    """Paragraphs, list items and table rows as (start, end, is a row); wrapped lines are joined. Chat
    speaker-and-time lines and a Markdown table's rule are left out."""
    blocks: list[tuple[int, int, bool]] = []
    start: int | None = None
    end = offset = 0
    lines = description.split("\n")
    speakers = _speaker_lines(lines)
    for i, line in enumerate(lines):
        line_start, offset = offset, offset + len(line) + 1
        heading = _HEADING.match(line)
        marker = None if heading else _LIST_MARKER.match(line) or _SPEAKER.match(line)
        row = None if heading or marker else _row_span(line)
        if not line.strip() or heading or marker or row or i in speakers or _MD_RULE.match(line):
            if start is not None:
                blocks.append((start, end, False))
                start = None
            if heading:
                blocks.append((line_start + heading.end(), line_start + len(line), False))
            elif row:
                blocks.append((line_start + row[0], line_start + row[1], True))
            elif marker:
                begin = marker.end() if _LIST_MARKER.match(line) else len(line) - len(line.lstrip())
                start, end = line_start + begin, line_start + len(line)
            continue
        if start is None:
            start = line_start
        end = line_start + len(line)
    if start is not None:
        blocks.append((start, end, False))
    return blocks


# A list pasted as one line: " - Budget: …", " • …", " * …" between items, "1) … 2) …" / "1. … 2. …"
_INLINE_BULLET = re.compile(r"(?<=\S)[ \t]+([-•*])[ \t]+(?=\S)")
_SPEAKER_ONLY = re.compile(r"\s*(?:\[\d{1,2}:\d{2}(?::\d{2})?\]\s*)?@?[\w.&-]{2,24}(?: [\w.&-]{2,24})?:\s*")
_INLINE_NUMBER = re.compile(r"(?<!\S)(\d{1,2})[.)][ \t]+(?=[^\W\d_])")


def _bullet_cuts(block: str) -> list[tuple[int, int]]:
    """Inline bullet markers as (start, end): a "•" always; a " - " or " * " after the end of a sentence, or
    before a capital when the block has two or more of those (an item list, not a dash in prose). Never
    between numbers ("10 - 20", "3 * 4"); hyphenated words and "-5" have no spaces around the sign."""
    found: dict[str, list[tuple[int, int, bool]]] = {}
    for m in _INLINE_BULLET.finditer(block):
        before, after = block[: m.start()].rstrip(), block[m.end() :]
        if (before[-1:].isdigit() or before[-1:] == "%") and after[:1].isdigit():
            continue
        sentence_end = before[-1:] in ".!?:;" or m.group(1) == "•"
        found.setdefault(m.group(1), []).append((m.start(), m.end(), sentence_end or after[:1].isupper()))
    cuts: list[tuple[int, int]] = []
    for char, marks in found.items():
        capitals = sum(1 for *_, item in marks if item)
        for start, end, item in marks:
            if _SPEAKER_ONLY.fullmatch(block[:start]):
                continue  # "priya: • we have 650 NDAs": the speaker stays with what they said
            if block[start:end].strip() == char and (
                char == "•" or block[:start].rstrip()[-1:] in ".!?:;" or (item and capitals >= 2)
            ):
                cuts.append((start, end))
    return cuts


def _number_cuts(block: str) -> list[tuple[int, int]]:
    """An inline numbered list: markers 1, 2, 3… in order (two at least); a lone "2." is a number."""
    chain: list[re.Match[str]] = []
    for m in _INLINE_NUMBER.finditer(block):
        if int(m.group(1)) == len(chain) + 1:
            chain.append(m)
    return [(m.start(), m.end()) for m in chain] if len(chain) >= 2 else []


def _items(block: str) -> list[tuple[int, int]]:
    """The block's items as (start, end) offsets, inline list markers left out."""
    cuts = sorted(_bullet_cuts(block) + _number_cuts(block))
    items, at = [], 0
    for start, end in cuts:
        if start >= at:
            items.append((at, start))
            at = end
    items.append((at, len(block)))
    return items


def sentences(description: str) -> list[Unit]:
    """Split into sentences (within paragraphs, list items and items listed inline), keeping each one's offsets."""
    units: list[Unit] = []
    for block_start, block_end, row in _blocks(description):
        if row:
            units.append(Unit(description[block_start:block_end], block_start, block_end, row=True))
            continue
        for item_start, item_end in _items(description[block_start:block_end]):
            item_offset = block_start + item_start
            item = description[item_offset : block_start + item_end]
            cuts = [0, *(m.end() for m in _SENTENCE_END.finditer(item)), len(item)]
            for a, b in itertools.pairwise(cuts):
                piece = item[a:b]
                text = piece.strip()
                if text and any(ch.isalnum() for ch in text):
                    lead = len(piece) - len(piece.lstrip())
                    start = item_offset + a + lead
                    units.append(Unit(text, start, start + len(text)))
    return units


def instruction_spans(description: str) -> list[Located]:
    return [Located(u.start, u.end) for u in sentences(description) if looks_like_instruction(u.text)]


def display_quote(text: str) -> str:
    """A quote for people to read: markdown emphasis removed, whitespace collapsed (still verifiable)."""
    text = re.sub(r"(\*\*|__|`)", "", text)
    return " ".join(text.split())


NOT_FOUND = "the quote was not found in the description"
STITCHED = f"{NOT_FOUND} as one stretch (it joins separate parts with '…')"


def quote_problem(
    quote: str, description: str, injected: list[Located] | None = None, *, whole: bool = False
) -> str | None:
    """Why ``quote`` cannot serve as evidence, or None when it can. ``whole``: the quote must be one stretch of the
    description (:func:`locate_whole`), as a model's quote must: excerpts it joined with "…" are its own wording,
    and the words it left out may be the ones that carry the meaning ("We have … fine-tuned a model")."""
    if len(normalise(_strip_quote(quote)).split()) < _MIN_WORDS:
        return "the quote is empty or too short to be evidence"
    parts = locate_parts(quote, description)
    if not parts:
        return NOT_FOUND
    if whole:
        one = locate_whole(quote, description)
        if one is None:
            return STITCHED
        parts = [one]
    if looks_like_bot_words(quote):
        return "the quote is the helper's own words pasted back, not a fact about the project"
    if looks_like_instruction(quote):
        return "the quote is an instruction to the assistant, not a fact about the project"
    for span in injected if injected is not None else instruction_spans(description):
        for part in parts:
            overlap = min(span.end, part.end) - max(span.start, part.start)
            if overlap > 0 and overlap >= (part.end - part.start) / 2:
                return "the quote comes from an instruction to the assistant, not a fact about the project"
    return None
