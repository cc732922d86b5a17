"""Evaluation records: what Redis holds for one team's walk through a checklist."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from conversations.effects import Owed, PostCard, PostScorecard, UpdateRoot
from scoring.scorecard import Decided

Status = Literal["in_progress", "completed", "abandoned", "deleted"]
Mode = Literal["quick", "vote"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return secrets.token_hex(6)


# ASCII characters that carry meaning in a name ("C++", "C#", "R&D", "100%"): kept in its key. Every other ASCII
# character that is no letter or digit separates words, as a space does.
KEY_SYMBOLS = "#$%&+=@"
_SYMBOLS = re.compile(f"[{re.escape(KEY_SYMBOLS)}]+")
# Characters that may not stand in a key as they are (a Redis hash tag, a ':' between key parts, a file name)
_UNSAFE_IN_KEY = set('{}:/\\*?"<>|%~')


def project_key(name: str) -> str:
    """The key two spellings of one project share: NFKC-normalised, case-folded, words joined by '-'.

    Letters and digits of every script, marks and symbols (emoji) are kept, and in ASCII the symbols that carry
    meaning (:data:`KEY_SYMBOLS`), each run of them a word of its own: "C++ model" (``c-++-model``), "C# model" and
    "C model" are three projects; "R & D" is "R&D" (``r-&-d``).
    Whitespace and other punctuation separate words: spacing, case, "-", "_", ".", "/" and punctuation around the
    name or its words ("Router (v2)!") make no difference. A name of punctuation alone ("???", "!!!") keys by that
    punctuation, behind a "~" no other key has. ASCII names without those symbols keep the keys they were stored
    under before (``migrations.rekey_projects`` moved the others).
    """
    import unicodedata  # local: this function is the module's only user

    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    kept = "".join(
        ch if (ch.isascii() and (ch in "abcdefghijklmnopqrstuvwxyz0123456789" or ch in KEY_SYMBOLS))
        or (not ch.isascii() and (unicodedata.category(ch)[0] in "LNMS" or ch == "\u200d")) else "-"
        for ch in folded
    )
    key = re.sub(r"-+", "-", _SYMBOLS.sub(r"-\g<0>-", kept)).strip("-")  # "c-++-model", "r-&-d" (also "R & D")
    if key:
        return key
    punctuation = "".join(f"%{ord(ch):x}" if ch in _UNSAFE_IN_KEY or not ch.isprintable() else ch
                          for ch in folded if not ch.isspace())
    return f"~{punctuation}" if punctuation else "project"


class _Record(BaseModel):
    # stored as epoch milliseconds (exact to the microsecond, 12 bytes shorter than ISO); ISO strings still load.
    # Fields this version does not know are kept and written back: during a rolling deploy an older replica that
    # rewrites a document written by a newer one must not drop what the newer one recorded.
    model_config = ConfigDict(extra="allow", ser_json_temporal="milliseconds")


class SuggestionRef(_Record):
    """A machine suggestion as shown to people; it never counts until a person confirms it."""

    value: float | None  # None: no answer suggested, only a caution or a conflict to check
    reason: str
    evidence: str
    engine: str = "offline"
    caution: str | None = None  # ambiguous evidence: shown as "check", never as an answer
    conflict: list[str] = Field(default_factory=list)  # quotes that contradict each other
    source: str | None = None  # the message the description came from (Slack ts); None: typed in a command
    # "description_deleted": the message was deleted, so its words (quote, quotes, reason, caution) were taken out;
    # the value stays, so an answer confirmed from it still says it followed the helper
    removed: Literal["description_deleted"] | None = None


class EarlierRound(_Record):
    """Vote mode: a revealed round of votes on a question that was then asked again (a split settled as Not sure,
    or everyone not sure). Kept for the record: the split stays one in the agreement and the export."""

    votes: dict[str, float | None]  # user id -> value (None = Not sure), in voting order
    settled_by: str | None = None  # who chose "Not sure — ask again later" on the split; None: nobody was sure

    def spread(self) -> dict[float | None, list[str]]:
        """Who voted what, in voting order (as :meth:`Ballot.spread`)."""
        out: dict[float | None, list[str]] = {}
        for uid, value in self.votes.items():
            out.setdefault(value, []).append(uid)
        return out

    @property
    def split(self) -> bool:
        """Two or more different answers (Not sure aside)."""
        return len({v for v in self.votes.values() if v is not None}) > 1

    @classmethod
    def of(cls, votes: dict[str, Vote], settled_by: str | None) -> EarlierRound:
        return cls(votes={uid: v.value for uid, v in sorted(votes.items(), key=lambda kv: kv[1].at)},
                   settled_by=settled_by)


class AnswerEntry(_Record):
    question: str  # stable id (also the entry's key in ``Evaluation.answers``; kept inside for older readers)
    value: float | None  # None = "Not sure" (skipped)
    by: str  # Slack user id, or a terminal user name
    at: AwareDatetime
    note: str | None = None
    note_by: str | None = None
    suggestion: SuggestionRef | None = None  # the suggestion shown when the person answered
    previous: float | None = None  # set when the answer was changed
    previous_by: str | None = None  # … and who gave that answer, when someone else than ``by`` (not a team answer)
    skips: int = 0  # how often "Not sure" was chosen for this question
    # vote mode: who chose the team answer over the votes: settled a split card, or changed the answer a vote gave
    # (only the starter, a lead or an admin may; ``flow.team_answer``)
    settled_by: str | None = None
    # vote mode: the rounds of votes before the question was asked again, oldest first (``Evaluation.ballots`` holds
    # the current round only); kept so that a split stays on the record
    earlier: list[EarlierRound] = Field(default_factory=list)
    # quick mode: who chose Not sure on each card of the question (card ts -> user id), kept once it is answered, so
    # the card above a re-ask still says whose Not sure it was
    skipped_on: dict[str, str] = Field(default_factory=dict)
    # the earlier answer the note was written about, when the answer was changed since (the note stayed); None: the
    # note is about this answer (``flow.add_note`` clears it: a note written now is about the answer beside it)
    note_on: float | None = None


class Vote(_Record):
    value: float | None  # None = Not sure
    at: AwareDatetime


class Ballot(_Record):
    """Vote mode: one question's votes. Nobody reads ``votes`` before ``revealed`` (the renderers check)."""

    votes: dict[str, Vote] = Field(default_factory=dict)  # user id -> vote
    revealed: bool = False
    revealed_by: str | None = None  # a user id, or None when the quorum revealed it

    def spread(self) -> dict[float | None, list[str]]:
        """Who voted what, in voting order."""
        out: dict[float | None, list[str]] = {}
        for uid, vote in sorted(self.votes.items(), key=lambda kv: kv[1].at):
            out.setdefault(vote.value, []).append(uid)
        return out

    def counts(self) -> tuple[tuple[float | None, int], ...]:
        """How many voted each answer (None: Not sure), in voting order: a split's ``Yes 1 · No 1``."""
        return tuple((value, len(uids)) for value, uids in self.spread().items())

    def decided(self) -> set[float]:
        return {v.value for v in self.votes.values() if v.value is not None}


class Card(_Record):
    """A question card posted in the thread (``ts`` is its message ts; terminal cards use a counter)."""

    question: str
    open: bool = True
    # vote mode: the ts of the reply that told the starter this card split (``PostSplit``), so that the reply can be
    # edited to say how the split ended once it is settled or asked again (``UpdateSplit``)
    split_reply: str | None = None


# ``card:<ts>`` (redraw a card) had no question id: redrawing the root is the harmless stand-in.
_LEGACY_EFFECTS = {"root": UpdateRoot(), "scorecard": PostScorecard(), "provisional": PostScorecard()}


class Evaluation(_Record):
    id: str = Field(default_factory=new_id)
    version: int = 0
    team: str
    channel: str
    thread_ts: str | None = None  # the root message; the thread hangs under it
    project: str
    project_key: str
    checklist: str
    started_by: str
    started_at: AwareDatetime = Field(default_factory=utcnow)
    status: Status = "in_progress"
    completed_at: AwareDatetime | None = None
    # the result it was completed with (and the checklist's fingerprint then), kept for when the checklist changes;
    # None: in progress, or completed before results were kept (scored with today's checklist, as before)
    decided: Decided | None = None
    last_activity: AwareDatetime = Field(default_factory=utcnow)
    answers: dict[str, AnswerEntry] = Field(default_factory=dict)
    cards: dict[str, Card] = Field(default_factory=dict)
    suggestions: dict[str, SuggestionRef] = Field(default_factory=dict)
    prefill: dict[str, float] = Field(default_factory=dict)  # last evaluation's answers (re-evaluation)
    # … and its notes (and who wrote them), shown beside them; carried onto an answer confirmed the same
    prefill_notes: dict[str, str] = Field(default_factory=dict)
    prefill_note_by: dict[str, str] = Field(default_factory=dict)
    # … whose answers they were (``flow.last_time_of``), kept small: user id -> question ids (an id is written once,
    # not once per question); of a team vote's, "split" (settled by the one ``prefill_by`` names) or "changed" (after
    # the vote, by that one) -> question ids; an answer in neither was the team's vote, agreed (nobody alone gave it)
    prefill_by: dict[str, list[str]] = Field(default_factory=dict)
    prefill_team: dict[str, list[str]] = Field(default_factory=dict)
    prefill_at: AwareDatetime | None = None  # when that evaluation was completed: the "5 Sep" of "Last time"
    # a re-evaluation: last time's answers the checklist no longer takes (not pre-filled), for saying which and why
    not_prefilled: dict[str, float] = Field(default_factory=dict)
    previous_id: str | None = None
    previous_result: Decided | None = None  # a re-evaluation: the result it re-evaluates, for "+2.5 since last time"
    deleted_by: str | None = None  # who deleted it (None: deleted before this was kept, or by ftcheck itself)
    scorecard_ts: str | None = None
    pending: list[Owed] = Field(default_factory=list)  # the outbox: messages owed to the thread
    undelivered: list[str] = Field(default_factory=list)  # effects given up on (people were told)
    origin: Literal["slack", "terminal"] = "slack"
    idle_nudged: bool = False
    idle_check_at: AwareDatetime | None = None  # after the nudge: when a still-quiet evaluation is closed
    mode: Mode = "quick"
    quorum: int = 3
    ballots: dict[str, Ballot] = Field(default_factory=dict)  # vote mode, by question id
    # pasted descriptions (message ts): the revision (the post's ts, or its edit's) whose reading the cards show, and
    # the ones deleted, whose readings are never stored again (a deletion can arrive while the helper still reads)
    read_revisions: dict[str, str] = Field(default_factory=dict)
    deleted_sources: list[str] = Field(default_factory=list)

    @field_validator("pending", mode="before")
    @classmethod
    def _legacy_pending(cls, value: object) -> object:
        """Documents written before the outbox held effects as strings (``ask:<q>``, ``card:<ts>``, ``root``)."""
        if not isinstance(value, list):
            return value
        return [_legacy_owed(v) if isinstance(v, str) else v for v in value]

    def value(self, question_id: str) -> float | None:
        entry = self.answers.get(question_id)
        return entry.value if entry else None

    def scored(self) -> dict[str, float]:
        """Answers that count: every entry with a value (skips excluded)."""
        return {q: a.value for q, a in self.answers.items() if a.value is not None}

    def open_cards(self) -> dict[str, Card]:
        return {ts: c for ts, c in self.cards.items() if c.open}

    def card_for(self, question_id: str) -> str | None:
        """The ts of the newest card for a question."""
        found = [ts for ts, c in self.cards.items() if c.question == question_id]
        return max(found, key=_ts_key) if found else None


    def cards_of(self, question_id: str) -> list[str]:
        """Every card ts of a question, oldest first (the original and any re-ask)."""
        return sorted((ts for ts, c in self.cards.items() if c.question == question_id), key=_ts_key)

    def post_ref(self, kind: str, question: str | None = None) -> str:
        """A stable name for a message this evaluation owes; posted as Slack metadata so a repeat can find it.

        The n-th card of a question is ``card:<question>:<n>``; it is the same name until that card is recorded.
        """
        if question is None:
            return f"{self.id}:{kind}"
        return f"{self.id}:{kind}:{question}:{len(self.cards_of(question))}"


def _legacy_owed(effect: str) -> dict[str, object]:
    kind, _, arg = effect.partition(":")
    if kind == "ask":
        return Owed(effect=PostCard(question=arg)).model_dump()
    return Owed(effect=_LEGACY_EFFECTS.get(kind, UpdateRoot())).model_dump()


def _ts_key(ts: str) -> tuple[int, str]:
    return (len(ts), ts)
