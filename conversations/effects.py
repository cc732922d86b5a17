"""What a transition owes the front end: a small discriminated union, kept in the evaluation until delivered.

Each owed effect is wrapped in an :class:`Owed` entry of the evaluation's outbox (``Evaluation.pending``):
a stable id, how often delivery was tried, when to try next and the last error. The engine dispatches on
the effect's type from one table (``conversations.engine.HANDLERS``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from scoring.scorecard import Decided, Tone


class _Effect(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    @property
    def key(self) -> str:
        """Two owed effects with the same key are one: posting or updating the same thing twice is pointless."""
        return self.kind  # type: ignore[attr-defined, no-any-return]

    @property
    def posts(self) -> bool:
        """True when delivery creates a message (so a repeat could duplicate it); updates are idempotent."""
        return False


class PostRoot(_Effect):
    kind: Literal["post_root"] = "post_root"

    @property
    def posts(self) -> bool:
        return True


class UpdateRoot(_Effect):
    kind: Literal["update_root"] = "update_root"


class PostCard(_Effect):
    kind: Literal["post_card"] = "post_card"
    question: str

    @property
    def key(self) -> str:
        return f"post_card:{self.question}"

    @property
    def posts(self) -> bool:
        return True


class UpdateCard(_Effect):
    """Redraw every card of a question (the original and any re-ask), or post nothing if none exists yet."""

    kind: Literal["update_card"] = "update_card"
    question: str

    @property
    def key(self) -> str:
        return f"update_card:{self.question}"


class PostScorecard(_Effect):
    """Post the scorecard (provisional while only twice-skipped questions remain), or update the one posted."""

    kind: Literal["post_scorecard"] = "post_scorecard"

    @property
    def posts(self) -> bool:
        return True


class PostNote(_Effect):
    """A short note in the thread about the evaluation itself (closed for inactivity …)."""

    kind: Literal["post_note"] = "post_note"
    about: Literal["abandoned"] = "abandoned"

    @property
    def posts(self) -> bool:
        return True


class Headline(BaseModel):
    """What a scorecard's first line says: the decision (with its tone), the total and the band."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    decision: str  # "Not yet", "Strong go", …
    tone: Tone
    total: float
    max: float
    band: str  # the band's name

    @classmethod
    def of(cls, decided: Decided) -> Headline:
        return cls(decision=decided.decision, tone=decided.tone, total=decided.total, max=decided.max,
                   band=decided.band_name)

    def differs(self, other: Headline) -> bool:
        """Another decision or another band (a total that moves within its band is no news)."""
        return (self.decision, self.tone, self.band) != (other.decision, other.tone, other.band)


class PostDecisionChange(_Effect):
    """One short reply in the thread: a change after the scorecard changed the decision (or the band). It carries
    what it says, for each change has its own reply, and later changes may have moved on before it is posted."""

    kind: Literal["post_decision_change"] = "post_decision_change"
    n: int  # the evaluation's version when it was owed: one reply per change
    question: str  # id
    by: str  # who changed it
    was: float
    was_by: str | None = None  # who gave the answer it replaced, when someone else
    now: float
    before: Headline
    after: Headline
    # the answers before the change scored with today's checklist, when the result was decided with one that has
    # changed since and today's rules alone give another decision (or band): the reply says the rules moved it too
    rules: Headline | None = None

    @property
    def key(self) -> str:
        return f"post_decision_change:{self.n}"

    @property
    def posts(self) -> bool:
        return True


class PostSplit(_Effect):
    """Vote mode: a question's votes split and the card waits for the starter to choose the team answer. A card's
    redraw notifies nobody, so one reply in the thread mentions them. One per split: ``card`` is the card that split
    (a question asked again after a split is voted on a new card, and may split and be told again)."""

    kind: Literal["post_split"] = "post_split"
    question: str  # id
    card: str  # the ts of the card that split

    @property
    def key(self) -> str:
        return f"post_split:{self.card}"

    @property
    def posts(self) -> bool:
        return True


SplitCounts = tuple[tuple[float | None, int], ...]  # a split's spread: each answer (None: Not sure) and its votes


class UpdateSplit(_Effect):
    """Vote mode: a split told in the thread (:class:`PostSplit`) was settled, or sent back to the team with Not sure:
    its reply is edited to say what happened, with nothing left to do. Owed by the settle's own write, and only when
    the reply was posted or is owed. It carries what it says, for the question may be asked again, voted on anew and
    even split again before the edit is delivered. An edit: idempotent, redone like any redraw."""

    kind: Literal["update_split"] = "update_split"
    question: str  # id
    card: str  # the ts of the card that split: its reply is ``Card.split_reply``, or found by ``PostSplit``'s ref
    by: str  # who settled it
    value: float | None  # the team answer; None: Not sure
    again: bool = True  # Not sure: voted on again before the end; False: left open (it was voted on twice)
    counts: SplitCounts  # the spread, in voting order

    @property
    def key(self) -> str:
        return f"update_split:{self.card}"

    @property
    def told(self) -> str:
        """The key of the :class:`PostSplit` whose reply this edits."""
        return PostSplit(question=self.question, card=self.card).key


class TellUndelivered(_Effect):
    """Tell the people in the thread (or the starter, by DM) that a message could not be delivered."""

    kind: Literal["tell_undelivered"] = "tell_undelivered"
    what: str  # the key of the effect given up on
    reason: str  # Slack's error code (the last one, when tries ran out)

    @property
    def key(self) -> str:
        return "tell_undelivered"  # one notice at a time, however many messages one fault cost


class BookReminder(_Effect):
    """Book the project's next re-evaluation reminder (``conversations.reminders``). Owed by the completing write, so a
    crash or a Redis blip before it is booked leaves it owed and the outbox books it; nothing is posted."""

    kind: Literal["book_reminder"] = "book_reminder"


ReadVia = Literal["paste", "command"]  # a description pasted in the thread, or given to ``@ftcheck suggest``


def report_ref(eid: str, revision: str) -> str:
    """The name (Slack metadata) of the line in the thread that reports on one reading of a description: "Reading
    the description…", then what it found. ``revision``: the ts of the text read (a message's, or its edit's)."""
    return f"{eid}:reading:{revision}"


class RedrawDeletedReport(_Effect):
    """A pasted description was deleted (perhaps confidential): the line that reported on its reading, which quotes
    it, is redrawn as the line that says it was deleted. Owed by the write that records the deletion, so a Slack
    failure or a restart leaves it owed and the outbox redraws it; a line not in the thread is nothing to redraw."""

    kind: Literal["redraw_deleted_report"] = "redraw_deleted_report"
    source: str  # the deleted message's ts
    revision: str  # the ts of its text whose reading the line reports on (:func:`report_ref`)
    via: ReadVia = "paste"

    @property
    def key(self) -> str:
        return f"redraw_deleted_report:{self.revision}"


Effect = Annotated[PostRoot | UpdateRoot | PostCard | UpdateCard | PostScorecard | PostNote | PostDecisionChange
                   | PostSplit | UpdateSplit | TellUndelivered | BookReminder | RedrawDeletedReport,
                   Field(discriminator="kind")]


LEASE_S = 3.0  # an owner delivers what it owed within this (renewed while in flight); then the outbox tick may
MAX_ATTEMPTS = 8
BACKOFF_S = (2, 4, 8, 16, 32, 60)


class Owed(BaseModel):
    """One outbox entry: an effect still owed, with its delivery attempts.

    ``next_at`` reserves a new entry for the writer that owed it (it delivers at once) and then spaces out
    retries; ``since`` is the document version it was (last) owed at, so a delivery that rendered an older
    version never clears a newer owing.
    """

    model_config = ConfigDict(extra="ignore")

    effect: Effect
    attempts: int = 0
    next_at: float = 0.0  # epoch seconds: not before
    since: int = 0
    error: str | None = None

    def failed(self, reason: str, now: float) -> None:
        self.attempts += 1
        self.error = reason
        self.next_at = now + BACKOFF_S[min(self.attempts, len(BACKOFF_S)) - 1]

    @field_serializer("effect")
    def _whole_effect(self, effect: _Effect) -> dict[str, object]:
        # its ``kind`` has a default: a document dumped without defaults must still say which effect it is
        return effect.model_dump(mode="json")

    @property
    def exhausted(self) -> bool:
        return self.attempts >= MAX_ATTEMPTS

    @property
    def key(self) -> str:
        return self.effect.key


class DeliveryFailed(RuntimeError):
    """A front end could not deliver an effect. ``permanent``: retrying will not help (archived channel …).

    ``unconfirmed``: a post failed in a way Slack may have applied it (a 5xx, a timeout), and looking for it failed
    too, so whether it is in the channel is not known; the outbox finds it, or posts it, once Slack answers.
    ``unanswered``: no answer came at all (a timeout, a dropped connection): the request may still be under way at
    Slack, so a look right away can miss a post that lands a moment later."""

    def __init__(self, reason: str, *, permanent: bool, unconfirmed: bool = False, unanswered: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.unconfirmed = unconfirmed
        self.unanswered = unanswered
