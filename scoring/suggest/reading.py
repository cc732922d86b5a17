"""Reading a sentence before trusting a key phrase in it: who speaks, when, and whether it is negated.

The offline suggester asks these questions of every sentence (normalised, lower-case text):

* **voice** — the team's own statement, or advice from someone replying ("you should budget $10k",
  a forum answer, "+1"), or a question ("should we just do RAG?"). Only the team's statements count.
* **time** — done or in place (``done``), committed (``planned``: "will", "plan to"), or only wished
  for or looked back on ("we hope to", "we'd like … eventually", "next time", "what we would do
  differently"). A wish is never evidence that something exists.
* **after fine-tuning** — a result measured after fine-tuning is not a prompting result.
* **negation scope** — a negation anywhere in the sentence of a positive cue, not just right before it:
  "cases the training data never covered" does not say the data covers edge cases. Such evidence is
  shown as a caution to check, never as an answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Time = Literal["done", "planned", "wished"]

NEGATION = (
    r"\b(?:no|not|never|without|lacks?|lacking|none|nobody|neither|nor|don't|doesn't|didn't|isn't|aren't|"
    r"wasn't|weren't|can't|cannot|couldn't|haven't|hasn't|hadn't|won't|wouldn't|no one|nothing|n't)\b"
)
_ADVICE = re.compile(
    r"\byou(?:'ll| will)? (?:should|need|must|could|might want|want to|'d want|have to|ought)\b|"
    r"\bin my experience\b|\bi'?d (?:say|suggest|recommend|go|start)\b|\bmy advice\b|\bi would (?:say|suggest|"
    r"recommend)\b|^\s*\+1\b|\bif i were you\b|\bmake sure you\b|\byou'?re better off\b|"
    # someone else's words reported by the team: a vendor's claim or an adviser's suggestion, not the team's fact
    r"\b(?:vendor|consultant|adviser|advisor|salesperson|their (?:engineer|team|sales\w*)|another team|the other team)"
    r"\b[^.]{0,40}?\b(?:told us|said|says|suggested|suggests|recommended|recommends|advised|claims?|claimed)\b|"
    r"\b(?:suggested|recommended|advised) (?:that )?we (?:should|could|might|set up|add|get)\b"
)
_REPLY_HEADER = re.compile(
    r"^\s*(?:a\s*(?:\d+\s*)?[(:]|answer\b|reply\b|re:|response\b)|\breply from\b|\breplied\b|"
    r"^\s*\W*(?:comment|answer|reply) by\b.*\b(?:user|stranger|guest|community)\b"
)
_QUESTION_HEADER = re.compile(r"^\s*(?:q\s*[:.]|question\s*[:.])")
_WISHED = re.compile(
    r"\b(?:hope|hoping|hopefully|we'?d like|would like|wish|eventually|someday|some day|ideally|"
    r"next time|would do differently|we would do|should have|could have|dream|nice to have one day|"
    r"would be nice|wishlist|tbd|to be decided|not decided|undecided|not discussed|not yet discussed)\b"
)
_PLANNED = re.compile(
    r"\b(?:will|'ll|plan(?:s|ned)? to|going to|intend|to be (?:written|set up|done|added)|once we|"
    r"next (?:quarter|month|week|sprint)|by end of|by the end of|to do:|action item|actions?:|owner:|"
    r"todo|to (?:write|draft|investigate|look into|explore|evaluate|try|prepare))\b"
)
_AFTER_FT = re.compile(
    r"\bafter (?:fine-?tun\w*|training|the fine-tun\w*|lora)\b|\bfine-?tuned (?:\w+ )?(?:model|version|"
    r"classifier|extractor|summariser|summarizer|variant|one)\b|\bwith (?:lora|qlora|fine-?tuning)\b|"
    r"\bthe fine-?tun\w* (?:model|run|version)\b|\bpilot (?:fine-?tun\w*|model)\b|\bpost-fine-?tun"
)
_CLAUSE = re.compile(r"[;:(]|,\s|\s(?:but|though|although|whereas|while|so)\s|\s-\s|\s–\s")


@dataclass(frozen=True)
class Reading:
    """What a sentence is: a team statement or not, and when it holds."""

    counts: bool  # the team's own statement (not advice, not a question)
    time: Time
    after_finetuning: bool


def is_question(text: str) -> bool:
    return text.rstrip(" )\"'*_").endswith("?")


def is_advice(text: str) -> bool:
    return _ADVICE.search(text) is not None


def time_of(text: str) -> Time:
    if _WISHED.search(text):
        return "wished"
    if _PLANNED.search(text):
        return "planned"
    return "done"


def read(text: str, in_reply: bool = False) -> Reading:
    counts = not in_reply and not is_question(text) and not is_advice(text)
    return Reading(counts=counts, time=time_of(text), after_finetuning=_AFTER_FT.search(text) is not None)


def clause_at(text: str, start: int, end: int) -> str:
    """The clause of ``text`` holding ``text[start:end]`` (split at , ; : ( and but/though/so…)."""
    cuts = [0, *(m.end() for m in _CLAUSE.finditer(text)), len(text)]
    lo = max(c for c in cuts if c <= start)
    hi = min((m.start() for m in _CLAUSE.finditer(text) if m.start() >= end), default=len(text))
    return text[lo:hi]


# "never seen during prompt tuning", "not used for training": what keeps a set held out, not a denial of it
_KEPT_APART = re.compile(
    r"\b(?:never|not)\s+(?:once\s+|ever\s+)?(?:been\s+)?(?:used|seen|touched|shown|included|looked at|"
    r"trained on|tuned on)\s+(?:in|for|during|while|when|by|to)\b"
)


def sentence_negated(text: str) -> bool:
    """A negation anywhere in the sentence, conditional clauses ("if it doesn't work, …") and what keeps
    data apart ("never seen during prompt tuning") aside: the sentence may be saying the opposite of a
    positive cue in it."""
    rest = re.sub(r"\b(?:if|when|unless|in case|whether)\b[^,;.]*", " ", text)
    return re.search(NEGATION, _KEPT_APART.sub(" ", rest)) is not None


def after_finetuning(text: str, start: int) -> bool:
    """The number at ``start`` was measured after fine-tuning (its clause or the sentence's lead says so)."""
    return _AFTER_FT.search(clause_at(text, start, start)) is not None or (
        _AFTER_FT.search(text[:start]) is not None and "before" not in text[:start]
    )


def reply_lines(description: str) -> set[int]:
    """Line numbers that belong to someone replying to the team (a forum answer), not to the team."""
    out: set[int] = set()
    in_reply = False
    for i, line in enumerate(description.lower().split("\n")):
        if _QUESTION_HEADER.match(line):
            in_reply = False
        elif _REPLY_HEADER.search(line):
            in_reply = True
        if in_reply:
            out.add(i)
    return out
