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

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from scoring.suggest import numbers as num
from scoring.suggest.evidence import normalise

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
    r"would be nice|wishlist|tbd|to be decided|not decided|undecided|not discussed|not yet discussed|"
    # "monitoring is something we'd look at once there's a model": not even planned yet
    r"(?:we'?d|we would) (?:look at|look into|think about|consider|figure out|worry about|deal with|get to))\b"
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


# A question closed by a quote mark, a bracket or a dash and then answered on the same line ('"Do you have a
# rollback plan?" — Not yet.', 'Budget? - $5k'): only the answer is the team's statement.
_ANSWERED = re.compile(
    r"^(?P<question>[^?]*\?)(?:[\"')\]*_]+[ \t]*(?:[-:]+[ \t]*)?|[ \t]*[-:]+[ \t]*)(?P<answer>\S.*)$", re.DOTALL
)
# an answer that only agrees: the question's own words are then what the team says ("— Yes, Marta.")
_AGREES = re.compile(r"^\W*(?:yes|yep|yeah|correct)\b(?![^.;]*\b(?:but|except|though|not|no)\b)")


def answered_question(text: str) -> tuple[str, str] | None:
    """A question and the team's answer after it in one sentence (normalised text), or None when ``text`` is not
    one. A question quoted back (a checklist's) holds its thresholds ("500+", "75%+"), never the team's facts."""
    m = _ANSWERED.match(text)
    if m is None or not any(ch.isalnum() for ch in m["question"]):
        return None
    return m["question"].strip(), m["answer"].strip()


_DENIES = re.compile(r"^\W*(?:no|nope|not yet|not really|none|nothing yet)\b")
# the question turned into the team's denial: "do you have X" → "we do not have X", "have you tested X" → "we have
# not tested X"; other questions are left unread
_DENIED_QUESTION = (
    (re.compile(r"^\W*do you have\b"), "we do not have"),
    (re.compile(r"^\W*does (your|the) (team|company|organi[sz]ation|project) have\b"), r"our \2 does not have"),
    (re.compile(r"^\W*have you\b"), "we have not"),
    (re.compile(r"^\W*has (your|the) (team|company|organi[sz]ation) (?=\w+ed\b)"), r"our \2 has not "),
)


def denial(question: str, answer: str) -> str | None:
    """The team's "no" to a yes/no question, said as a statement ("we do not have a rollback plan …"), or None
    when the answer is no plain no or the question is of another shape."""
    if _DENIES.match(answer) is None:
        return None
    for pattern, said in _DENIED_QUESTION:
        if pattern.match(question):
            return pattern.sub(said, question, count=1).rstrip("?\"' ")
    return None


def agrees(answer: str) -> bool:
    """The answer is a plain yes, so the question's words stand as the team's statement."""
    return _AGREES.match(answer) is not None


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


# "we no longer depend on a contractor": what the team moved away from, not a denial of what it says next
_MOVED_ON = re.compile(r"\bno longer (?:depend|rely|relies|need|use|work with)\w*\s+(?:on\s+)?[^,;:.]*")


# "do/don't examples", "dos and don'ts": a guide's kind of examples, not a negation
_DOS_AND_DONTS = re.compile(r"\bdo(?:'s|s)?\s*(?:/|and|&)\s*don'?ts?\b")


# what a negation word is read with, to name it: "not been checked" → "not … checked" reads as "not been checked"
_FILLER = frozenset({"a", "an", "the", "any", "be", "been", "being", "yet", "ever", "even", "really", "so", "very",
                     "quite", "all", "to", "have", "has", "had"})


# A condition and its clause: up to the next , ; . or dash. A condition that only qualifies a noun ("a rollback
# plan for when the model underperforms", "a plan if it fails") ends where the sentence's own verb is negated
# ("… is not written yet"): that negation is the sentence's, not the condition's.
_NEGATED_VERB = (
    r"(?:is|are|was|were|has|have|had|does|do|did)(?:\s+(?:still|yet|also))?\s+(?:not|never)\b|"
    r"(?:isn't|aren't|wasn't|weren't|hasn't|haven't|hadn't|doesn't|don't|didn't)"
)
_CONDITION_SPAN = re.compile(
    rf"\b(?:(?<=for )|(?<=plan )|(?<=procedure )|(?<=process )|(?<=strategy )|(?<=runbook )|(?<=playbook ))"
    rf"(?:if|when|unless|in case)\b(?:(?!\s{_NEGATED_VERB}|\s-\s)[^,;.])*|"
    r"\b(?:if|when|unless|in case|whether)\b(?:(?!\s-\s)[^,;.])*"
)


def sentence_negated(text: str) -> bool:
    """A negation anywhere in the sentence, conditional clauses ("if it doesn't work, …") and what keeps
    data apart ("never seen during prompt tuning") aside: the sentence may be saying the opposite of a
    positive cue in it."""
    return negation_words(text) is not None


def negation_words(text: str) -> str | None:
    """The words that make the sentence negative for :func:`sentence_negated`, as a caution names them: the
    negation and what it negates ("nobody counted", "not include", "not been checked"); None when none does."""
    rest = _CONDITION_SPAN.sub(" ", text)
    rest = _DOS_AND_DONTS.sub(" ", _MOVED_ON.sub(" ", _KEPT_APART.sub(" ", rest)))
    m = re.search(NEGATION, rest)
    if m is None:
        return None
    words = [m.group(0)]
    for word in re.findall(r"[\w'-]+", re.split(r"[,;:.()]", rest[m.end():])[0])[:3]:
        words.append(word)
        if word not in _FILLER:
            break
    return " ".join(words)


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


# -- values the sentence negates or tells of the past ----------------------------------------------------------
# "last year", "previously", "the first attempt", "the one we had before"
PAST = (
    r"\b(?:last|previous|prior) (?:year|time|quarter|month|round|attempt|run|project|version|iteration)(?:'s)?\b|"
    r"\b(?:a year|\w+ years|\w+ months) ago\b|\b(?:previously|formerly|originally|back then)\b|"
    r"\bthe first (?:attempt|try|round|project)\b|\b(?:had|was|were|used)\b[^,;]{0,30}\bbefore\s*(?:$|[,;.)]|but\b)"
)
# "now", "this year", "for this one": the value that holds today
NOW = (
    r"\b(?:now|this (?:year|time|round|quarter|month|one|project|attempt|try)(?:'s)?|today|currently|these days|"
    r"nowadays|at the moment|at present)\b"
)
_WAS = re.compile(r"\b(?:was|were|had|used to)\b")
# where one clause turns to another: "; ", " but ", ", this year …", ", last year …"
_TURN = re.compile(rf";\s*|,?\s+\b(?:but|whereas|while)\s+|,\s+(?=(?:and\s+)?(?:{NOW}|{PAST}))")
_CORRECTION = re.compile(rf"[^.;]{{0,40}}?\bbut\s+(?:now\s+|rather\s+|instead\s+)?(?=[$€£]?\s?{num.BARE_NUMBER})")


@dataclass(frozen=True)
class _Value:
    start: int
    end: int
    kind: str


def _values(text: str) -> list[_Value]:
    """Money, percentages, durations and plain numbers in ``text``, each once (the most specific reading)."""
    found: list[_Value] = []
    kinds: tuple[tuple[str, Sequence[num.Found]], ...] = (
        ("money", num.money(text)), ("percent", num.percents(text)), ("weeks", num.durations_weeks(text)),
        ("count", num.numbers(text)),
    )
    for kind, items in kinds:
        for f in items:
            if not any(f.start < v.end and v.start < f.end for v in found):
                found.append(_Value(f.start, f.end, kind))
    return sorted(found, key=lambda v: v.start)


def _correction(text: str, v: _Value) -> tuple[int, str] | None:
    """The value said instead of ``v`` ("… but 93%", "… but four"): where it ends and how it reads."""
    fix = _CORRECTION.match(text, v.end)
    if fix is None:
        return None
    after = _values(text[fix.end() :])
    if after and after[0].start == 0 and after[0].kind == v.kind:
        return fix.end() + after[0].end, text[fix.end() : fix.end() + after[0].end]
    bare = re.match(rf"[$€£]?\s?{num.BARE_NUMBER}", text[fix.end() :])
    if bare is None or v.kind != "weeks":
        return None
    unit = re.sub(rf"^[$€£]?\s?{num.BARE_NUMBER}", "", text[v.start : v.end])  # "not two weeks but four"
    return fix.end() + bare.end(), bare.group(0) + unit


def _corrected(text: str) -> str:
    """ "not 85% as last year but 93%" → "93%"; "93%, not 85% as last year" → "93%" (the value said instead)."""
    for v in reversed(_values(text)):
        negated = re.search(r"\bnot (?:the |a |an )?$", text[: v.start])
        if negated is None:
            continue
        fix = _correction(text, v)
        if fix is not None:
            return _corrected(text[: negated.start()] + fix[1] + text[fix[0] :])
        earlier = any(w.kind == v.kind and w.end <= negated.start() for w in _values(text))
        if earlier and re.search(r",\s*(?:and\s+)?$", text[: negated.start()]):
            cut = re.search(r"[,;.]|$", text[v.end :])
            end = v.end + (cut.start() if cut else 0)
            return _corrected(text[: negated.start()].rstrip(", ") + text[end:])
    return text


def _clauses(text: str) -> list[tuple[int, int]]:
    cuts = [0, *(m.end() for m in _TURN.finditer(text)), len(text)]
    return [(a, b) for a, b in itertools.pairwise(cuts) if b > a]


def current_values(text: str) -> str:
    """The sentence with only the values that hold now (normalised text in, text to read out): a negated value
    corrected in the same breath ("not 85% as last year but 93%") gives way to the correction; a value told of
    the past ("last year the target was 85%; now it is 93%") gives way to the current one of the same kind, or
    goes with its clause when it was ("last year's labels were 40% synthetic"). Quotes stay the sentence itself."""
    if not re.search(rf"\bnot\b|{PAST}", text):
        return text  # nothing negated or past: most sentences
    text = _corrected(text)
    clauses = _clauses(text)
    found = _values(text)
    for a, b in reversed(clauses):
        chunk = text[a:b]
        if not re.search(PAST, chunk) or re.search(NOW, chunk):
            continue
        stale = [v for v in found if a <= v.start < b]
        now = [v for v in found if not a <= v.start < b and any(
            c <= v.start < d and re.search(NOW, text[c:d]) and not re.search(PAST, text[c:d]) for c, d in clauses)]
        same = [(old, new) for old in stale for new in now if new.kind == old.kind]
        if same and same[0][1].start > b:
            old, new = same[0]
            moved = text[a : old.start] + text[new.start : new.end] + text[old.end : b]
            rest = text[b : new.start] + text[new.end :]
            return text[:a] + re.sub(PAST, "", moved) + rest
        if same or (stale and _WAS.search(chunk)):
            return current_values(text[:a] + text[b:])
    return text


# -- conditions and hedges -------------------------------------------------------------------------------------
_CONDITION = re.compile(r"\b(?:if|unless|in case|once|should|whenever|as soon as)\b")


def conditional(text: str, start: int) -> bool:
    """The words at ``start`` are a condition, not a statement: "relabel if accuracy stalls", "if it plateaus,
    we …" (a condition word earlier in the same clause)."""
    clause = re.split(r"[,;:(]|\. ", text[:start])[-1]
    return _CONDITION.search(clause) is not None


# A value the team is not sure of: "might be", "finance hasn't confirmed", "the target hasn't been agreed",
# "nobody has counted properly"
HEDGE = (
    r"\b(?:might|maybe|perhaps|possibly|probably|something like|not sure|unsure|roughly guess|a guess)\b|"
    r"\b(?:hasn't|haven't|has not|have not|isn't|is not|not)\s+(?:yet\s+)?(?:been\s+)?(?:confirmed|agreed|approved|"
    r"decided|signed off|finali[sz]ed)\b|\b(?:nobody|no one) (?:has|have)\s+(?:\w+\s+)?counted\b|"
    r"\bnot (?:properly |yet )?counted\b"
)


def hedged(text: str) -> bool:
    """The sentence (a quote or normalised text) hedges what it says (see :data:`HEDGE`)."""
    return re.search(HEDGE, normalise(text)) is not None
