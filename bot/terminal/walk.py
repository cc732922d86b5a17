"""The question loop: ask the open question, take an answer or a command, until the scorecard.

Questions skipped twice end the engine's walk with a provisional scorecard; here they are asked once
more when nothing else is left (``skip`` leaves one open), and answered through ``Engine.change``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from bot.terminal.invocation import ftcheck_command, run_again, shell_word
from bot.terminal.session import Session, Stop, deliver_owed
from bot.terminal.words import (
    CLEAR_NOTE,
    Answer,
    Command,
    Parsed,
    Problem,
    answer_words,
    by_score,
    help_text,
    is_reply,
    option_words,
    parse_change,
    parse_input,
    parse_note,
    shorten,
)
from conversations.engine import scorecard_of
from conversations.flow import (
    Notice,
    Outcome,
    asked_again,
    asked_again_words,
    gone_cards,
    last_time_of,
    note_carried,
    whose_words,
)
from conversations.models import AnswerEntry, Evaluation
from scoring.checklist import Checklist
from scoring.render import render_text

NOTE_MAX = 80  # last time's note is shown at most this long beside last time's answer
RECALLED = ("help", "list", "score")  # commands whose output pushes the question up: the prompt after names it


@dataclass(frozen=True)
class Target:
    question: str  # stable id
    card_ts: str | None  # None: a question skipped twice, answered through a change


def refusal(outcome: Outcome | None, advice: str | None = None, tz: tzinfo = UTC, project: str | None = None
            ) -> str | None:
    """Why the engine did not apply an action, in terminal words: plain dates in the team's zone ``tz``, and
    `change q2 no` where Slack would point at a card's menu. ``advice``: what to type instead, when the walk knows
    what the person wanted; ``project``: the one walked through, named in a command to run."""
    if outcome is None or outcome.notice is None:
        return None
    notice = outcome.notice
    if notice.at is not None:
        notice = notice.model_copy(update={"at": notice.at.astimezone(tz)})
    if notice.project is None and project is not None:
        notice = notice.model_copy(update={"project": project})
    return _NOTICE_WORDS[notice.kind](notice, advice)


def _at(n: Notice, word: str = "at") -> str:
    """`` at 2026-01-05 09:30 UTC``: plain, in the zone ``refusal`` put it in, where Slack shows the reader's own."""
    return f" {word} {n.at:%Y-%m-%d %H:%M %Z}" if n.at else ""


def _taken(n: Notice, advice: str | None) -> str:
    if n.by is None:
        return f"{n.question} is no longer open here; nothing was recorded."
    mine = n.by == n.actor  # the same person, in another terminal
    who, kept = ("You, in another session,", "this one") if mine else (n.by, "your answer")
    return (f"{who} already answered {n.question} ({n.label}){_at(n)}, so {kept} was not recorded. "
            f"{advice or f'To change it, type change {n.question} and the new answer.'}")


def _closed(n: Notice, advice: str | None) -> str:
    if n.detail == "abandoned":
        project, ftcheck = n.project or "the project", ftcheck_command()
        what = f"{n.question} can no longer be answered or changed" if n.question else "it takes no more answers"
        return (f"This evaluation was closed for inactivity{_at(n, 'on')}, so {what}; nothing "
                f"was recorded. Its answers so far are kept: `{ftcheck} export {shell_word(project)}` writes them out "
                f"while no evaluation of it has completed; `{ftcheck} run --project {shell_word(project)}` begins a "
                "new evaluation, from the first question.")
    if n.by is None:
        return f"This evaluation is finished, so {n.question} can no longer be answered; nothing was recorded."
    return _taken(n, advice)


def _revealed(n: Notice, advice: str | None) -> str:
    late = f"The votes on {n.question} were already revealed, so this vote came too late to count."
    if n.detail == "split":
        return f"{late} They differ: the starter, a lead or a workspace admin chooses the team answer."
    return f"{late} {advice or f'If the answer should change, type change {n.question} and the new answer.'}"


def _voted(n: Notice, advice: str | None) -> str:
    if n.detail == "revealed":
        return f"You voted {n.label} on {n.question}; that completed the vote, so everyone's votes are shown now."
    return f"You voted {n.label} on {n.question}, hidden until the reveal; answer again to change your vote."


_NOTICE_WORDS: dict[str, Callable[[Notice, str | None], str]] = {
    "taken": _taken,
    "closed": _closed,
    "deleted": lambda n, _: (f"This evaluation was deleted, so nothing was recorded; `{run_again(n.project)}` starts "
                             "a new one."),
    "unknown_card": lambda n, _: "That question is no longer asked in this evaluation, so nothing was recorded.",
    "unchanged": lambda n, _: f"{n.question} is already {n.label}; nothing changed.",
    "invalid": lambda n, _: n.detail or "That did not work; nothing was recorded.",
    "not_allowed": lambda n, _: n.detail or "You may not do that here.",
    "revealed": _revealed,
    "not_split": lambda n, _: f"{n.question} is not split, so there is nothing to settle.",
    "voted": _voted,
    "team_answer": lambda n, _: (f"{n.question}'s answer is the team's vote; only its starter, a lead or a workspace "
                                 "admin can change it."),
    # a Slack card clicked from another channel; the terminal never says where it is, so never meets it
    "other_channel": lambda n, _: "That evaluation belongs to another channel, so nothing was changed.",
}

Mark = tuple[float | None, str, datetime, int]


def mark(entry: AnswerEntry) -> Mark:
    """What tells one answer from another: a new value, a new person, a new time, another skip."""
    return entry.value, entry.by, entry.at, entry.skips


def reads_as_prose(line: str, parsed: Parsed) -> bool:
    """``Note that the team is small.``: a line that starts with a capital ``Note`` and names no question (``q3``)
    reads as a sentence, say of a pasted description, not as the command, typed ``note <text>``."""
    if not isinstance(parsed, Command) or parsed.name != "note" or not parsed.args:
        return False
    return line.split()[0] != "note" and not re.fullmatch(r"[qQ]\d+", parsed.args.split()[0])


def label_of(ev: Evaluation, checklist: Checklist, question: str) -> str:
    entry = ev.answers.get(question)
    if entry is None:
        return "—"
    return "Not sure" if entry.value is None else checklist.option(entry.value).label


def prompt_for(ev: Evaluation, checklist: Checklist, target: Target, tz: tzinfo = UTC, user: str | None = None
               ) -> str:
    """The question's full prompt; ``tz``: the team's zone, for the day of last time's answer; ``user``: the person
    at this terminal (a question they skipped is asked again saying "you")."""
    q = checklist.question(target.question)
    lines = [f"Question {q.number} of {len(checklist.questions)} · {checklist.section(q.section).title}",
             f"  {q.text}", f"  Why it matters: {q.why}"]
    if q.criteria:
        lines.append(f"  Criteria: {q.criteria}")
    lines += enter_lines(ev, checklist, q.id, tz)
    entry = ev.answers.get(q.id)
    if target.card_ts is None:
        lines.append("  Skipped twice so far: answer it now, or skip to leave it open.")
    elif entry is not None and entry.value is None:  # skipped once: asked again now that the rest is answered
        who = "you were" if entry.by == user else f"{entry.by} was"
        lines.append(f"  {asked_again_words(who)}")
    lines.append(f"  {option_words(checklist)} · help for commands")
    return "\n".join(lines)


def enter_lines(ev: Evaluation, checklist: Checklist, question: str, tz: tzinfo = UTC) -> list[str]:
    """The suggestion (with its quote) and, on a re-evaluation, last time's answer, each saying what Enter does:
    part of the question's first prompt and of every reminder of it after a command (:meth:`Walk.remind`), so Enter
    never takes an answer the screen does not show (:func:`enter_takes`)."""
    lines: list[str] = []
    suggestion = ev.suggestions.get(question)
    last = ev.prefill.get(question)
    if suggestion is not None and suggestion.value is not None:
        lines.append(f"  Suggested: {checklist.option(suggestion.value).label} — {suggestion.reason}")
        confirm = ("(press Enter to confirm, or type another answer)" if last in (None, suggestion.value)
                   else f"(type {checklist.option(suggestion.value).key} to take it)")
        if suggestion.caution:  # read before Enter confirms it, as on Slack's card
            lines += [f"    “{suggestion.evidence}”", f"    ⚠ {suggestion.caution}", f"    {confirm}"]
        else:
            lines.append(f"    “{suggestion.evidence}”  {confirm}")
    elif suggestion is not None:  # a caution or a conflict: something to check, no answer picked
        lines.append(f"  From the description, to check: {suggestion.caution or suggestion.reason}")
        lines += [f"    “{quote}”" for quote in dict.fromkeys(suggestion.conflict or [suggestion.evidence]) if quote]
    if last is not None:  # on a re-evaluation, always: Enter keeps it, whatever is suggested
        then = checklist.option(last).label
        said = f"  Last time: {then}{whose_then(ev, question, tz)}{last_note(ev, question)}"
        if suggestion is None or suggestion.value in (None, last):
            lines.append(f"{said} (press Enter to keep it)")
        else:
            lines.append(f"{said}. Enter keeps {then}, not the suggested {checklist.option(suggestion.value).label}.")
    return lines


def open_reminder(checklist: Checklist, question: str) -> str:
    """``Question 4 of 20 (labeler agreement) is open — answer yes / partly / no / skip``: said after a command's
    output, so the bare prompt that follows is not left without its question."""
    q = checklist.question(question)
    name = f" ({q.short})" if q.short else ""
    return f"Question {q.number} of {len(checklist.questions)}{name} is open — answer {option_words(checklist)}"


def last_note(ev: Evaluation, question: str) -> str:
    """`` — note: “checked with legal”`` (`` — note by cy: …`` when someone else than the answerer wrote it): the
    note last time's answer had (shortened), shown beside it on a re-evaluation; it is carried onto the answer only
    when last time's answer is kept."""
    then = last_time_of(ev, question)
    if then is None or not then.note or not then.note.strip():
        return ""
    by = f" by {then.note_by}" if then.note_by and then.note_by != then.by else ""
    return f" — note{by}: “{shorten(then.note, NOTE_MAX)}”"


def whose_then(ev: Evaluation, question: str, tz: tzinfo = UTC) -> str:
    """`` (ana, 2030-01-07)``, `` (split, settled by maya, 2030-01-07)``: whose last time's answer was and the day
    of that evaluation in the team's zone ``tz``; nothing when a re-evaluation kept neither (one started before)."""
    then = last_time_of(ev, question)
    if then is None:
        return ""
    parts = [whose_words(then.team, then.by), f"{then.at.astimezone(tz):%Y-%m-%d}" if then.at else ""]
    said = ", ".join(p for p in parts if p)
    return f" ({said})" if said else ""


def carried_from(ev: Evaluation, question: str, tz: tzinfo = UTC) -> str | None:
    """``from 2030-01-07``: the answer's note is last time's, carried onto it (not written in this evaluation); None
    when it is not."""
    if not note_carried(ev, question):
        return None
    return f"from {ev.prefill_at.astimezone(tz):%Y-%m-%d}" if ev.prefill_at is not None else "from last time"


def enter_takes(ev: Evaluation, question: str) -> tuple[float | None, str]:
    """What Enter accepts: last time's answer on a re-evaluation (as Slack's card makes it the primary button),
    else the suggested one; and whose answer it is, to say so when Enter takes it."""
    suggestion = ev.suggestions.get(question)
    suggested = suggestion.value if suggestion is not None else None
    last = ev.prefill.get(question)
    if last is not None:
        return last, "last time's answer" + (", as suggested" if suggested == last else "")
    if suggested is not None:
        return suggested, "the suggestion"
    return None, ""


def last_answered(ev: Evaluation, checklist: Checklist) -> str | None:
    """The question whose answer was given or changed last (of those the checklist still asks)."""
    asked = {q.id for q in checklist.questions}
    entries = sorted((a for a in ev.answers.values() if a.question in asked), key=lambda a: a.at, reverse=True)
    return entries[0].question if entries else None


def asked_before(ev: Evaluation, checklist: Checklist, current: str) -> list[str]:
    """Answered questions in the order they were asked, newest first, without the current one; a question the
    team dropped from its checklist since is left out (its answer is kept, but nothing can change it)."""
    asked = {q.id for q in checklist.questions}
    out: list[str] = []
    for ts in sorted(ev.cards, key=lambda t: (len(t), t), reverse=True):
        question = ev.cards[ts].question
        if question != current and question in ev.answers and question in asked and question not in out:
            out.append(question)
    return out


def answers_list(ev: Evaluation, checklist: Checklist, width: int, tz: tzinfo = UTC) -> str:
    lines = [f"Answers so far ({ev.project}, {checklist.title})"]
    labels = {q.id: label_of(ev, checklist, q.id) for q in checklist.questions}
    for q in checklist.questions:
        entry = ev.answers.get(q.id)
        if entry and entry.value is None and not asked_again(entry.skips):
            labels[q.id] += " (skipped twice)"
    column = max(10, *(len(label) for label in labels.values()))
    cut: list[str] = []  # questions whose note is shortened here
    for q in checklist.questions:
        head = f"  {q.key:>4}  {labels[q.id]:<{column}} "
        lines.append(head + shorten(q.short or q.text, max(20, width - len(head))))
        note = note_line(ev.answers.get(q.id), width, checklist, carried_from(ev, q.id, tz))
        lines += note
        cut += [q.key for line in note if line.endswith("…”")]
    if cut:
        lines.append(f"Notes are shortened here; type note {cut[0]} (without text) to see {cut[0]}'s in full.")
    return "\n".join(lines)


def note_line(entry: AnswerEntry | None, width: int, checklist: Checklist, carried: str | None = None
              ) -> list[str]:
    """``        note: “labels from the 2025 audit”``: an answer's note under its line in ``list``, shortened to one
    line of the terminal; ``note (on the earlier Yes): …`` when it was written about an answer changed since;
    ``note (from 2030-01-07, cy): …`` when it is last time's (``carried``: :func:`carried_from`)."""
    if entry is None or not entry.note:
        return []
    about = [note_on(entry, checklist)] if entry.note_on is not None else []
    about += [f"{carried}, {entry.note_by or entry.by}"] if carried else []
    said = f" ({'; '.join(about)})" if about else ""
    head = f"        note{said}: "
    return [f"{head}“{shorten(entry.note, max(20, width - len(head) - 2))}”"]


def note_on(entry: AnswerEntry, checklist: Checklist, form: str = "{}") -> str:
    """``on the earlier Yes`` (put into ``form``) when the note was written about an answer changed since; else
    nothing."""
    if entry.note_on is None:
        return ""
    return form.format(f"on the earlier {checklist.option(entry.note_on).label}")


def shown_note(entry: AnswerEntry | None, key: str, user: str, checklist: Checklist, carried: str | None = None
               ) -> str:
    """What ``note q5`` (no text) says: q5's note in full, and how to replace it; or how to add one. ``carried``:
    :func:`carried_from`, when the note is last time's."""
    if entry is None:
        return f"{key} has no answer yet, so no note; answer it first, then type note {key} <text>."
    if not entry.note:
        return f"{key} has no note. To add one, type note {key} <text>."
    about = [f"by {entry.note_by}"] if entry.note_by and entry.note_by != user else []
    about += [note_on(entry, checklist)] if entry.note_on is not None else []
    about += [carried] if carried else []
    by = f" ({', '.join(about)})" if about else ""
    return (f"{key}'s note{by}: “{entry.note}”. To replace it, type note {key} <new text>; to remove it, note {key} "
            f"{CLEAR_NOTE}.")


@dataclass
class Walk:
    session: Session
    ev: Evaluation
    left_open: set[str] = field(default_factory=set)  # twice-skipped questions skipped again in this run
    announced: bool = False
    shown: Target | None = None  # the question whose full prompt is on screen
    known: dict[str, Mark] = field(default_factory=dict)  # the answers as this walk last saw them
    meanwhile: dict[str, Mark | None] = field(default_factory=dict)  # answered elsewhere since: what was there

    def __post_init__(self) -> None:
        self.known = {q: mark(a) for q, a in self.ev.answers.items()}

    @property
    def checklist(self) -> Checklist:
        return self.session.checklist(self.ev)

    def say(self, text: str = "") -> None:
        self.session.console.say(text)

    def take(self, ev: Evaluation, acted_on: str | None = None) -> None:
        """Go on with the evaluation the store returned; answers that changed there, other than the one this walk
        acted on, were given in another session meanwhile (told before the next question)."""
        for question, entry in ev.answers.items():
            if question != acted_on and self.known.get(question) != mark(entry):
                self.meanwhile.setdefault(question, self.known.get(question))
        self.known = {q: mark(a) for q, a in ev.answers.items()}
        self.ev = ev

    def record(self, call: Coroutine[Any, Any, tuple[Evaluation, Outcome | None]], question: str,
               what: str) -> Outcome | None:
        """An answer, change or note to the store; the session knows one is on its way, should the store fail.

        A PING goes first: a connection Redis closed while the person typed (it stopped) fails on the PING, not on
        the write, which then finds the store refusing the connection before anything is sent, so the person is told
        the answer was not recorded (sent on the closed connection, whether it landed could not be known)."""
        self.session.writing = what
        self.session.call(self.session.store.ping())
        ev, outcome = self.session.call(call)
        self.session.writing = None
        if what != "note" and outcome is not None and outcome.applied:
            self.session.recorded += 1
        self.take(ev, question)
        return outcome

    def tell_meanwhile(self) -> None:
        """``Meanwhile, in another session: q3 answered No by alice.``"""
        parts = []
        for q in self.checklist.questions:
            entry = self.ev.answers.get(q.id)
            if q.id not in self.meanwhile or entry is None:
                continue
            before = self.meanwhile[q.id]
            label = label_of(self.ev, self.checklist, q.id)
            did = ("skipped (Not sure)" if entry.value is None
                   else f"{'changed to' if before is not None and before[0] is not None else 'answered'} {label}")
            parts.append(f"{q.key} {did} by {'you' if entry.by == self.session.user else entry.by}")
        self.meanwhile.clear()
        if parts:
            self.say(f"  Meanwhile, in another session: {'; '.join(parts)}.")

    def next_target(self) -> Target | None:
        open_cards = sorted(self.ev.open_cards().items(), key=lambda kv: (len(kv[0]), kv[0]))
        if open_cards:
            ts, card = open_cards[0]
            return Target(card.question, ts)
        twice = [q.id for q in self.checklist.questions
                 if q.id in self.ev.answers and self.ev.value(q.id) is None and q.id not in self.left_open]
        if twice and not self.announced:
            self.announced = True
            keys = ", ".join(self.checklist.question(q).key for q in twice)
            each = "It is" if len(twice) == 1 else "Each is"
            self.say(f"\n{self.rest_of(twice)}Skipped twice: {keys}. {each} asked once more; skip leaves it open "
                     "for a later run.")
        return Target(twice[0], None) if twice else None

    def rest_of(self, twice: list[str]) -> str:
        """What is true of the questions not skipped twice, as the start of a sentence ("" when it is mixed)."""
        values = [self.ev.value(q.id) for q in self.checklist.questions if q.id not in twice]
        if values and all(v is not None for v in values):
            return "Everything else is answered. "
        return "No question has an answer yet. " if all(v is None for v in values) else ""

    def run(self) -> Evaluation:
        """Ask until the evaluation is complete or only questions left open remain; Stop on quit/end of input."""
        while self.ev.status == "in_progress":
            self.take(deliver_owed(self.session, self.ev))  # a next card still owed (its delivery failed)
            self.tell_meanwhile()
            if self.past_gone():
                continue
            target = self.next_target()
            if target is None:
                break
            if target == self.shown:  # still the same question after a change or back: a short reminder
                q = self.checklist.question(target.question)
                self.remind(f"Question {q.number} of {len(self.checklist.questions)}: {q.text} "
                            f"({option_words(self.checklist)})", target.question)
            else:
                self.say("\n" + prompt_for(self.ev, self.checklist, target, self.session.tz, self.session.user))
            self.shown = target
            self.ask(target)
        self.tell_meanwhile()
        if self.ev.status == "completed" and self.session.reader.interactive:
            self.review()
        return self.ev

    def past_gone(self) -> bool:
        """The question this evaluation waits for was dropped from the checklist since it was asked (the team changed
        its checklist file): say so and go on without it (``flow.move_past_gone``); True when the walk moved."""
        if not gone_cards(self.ev, self.checklist):
            return False
        self.say("\nThe question this evaluation was waiting for is no longer in the checklist (the team changed "
                 "the checklist since), so it is not asked any more.")
        ev, _ = self.session.call(self.session.engine.resume(self.ev.id, user=self.session.user))
        self.take(ev)
        return True

    def review(self) -> None:
        """After the last answer: changes (and notes) before the person leaves; Enter, quit or Ctrl-C finishes.

        Ctrl-C here is Enter, not "run again to continue": the evaluation is finished. The prompt is printed inside
        the handler, so a Ctrl-C pressed as soon as it shows can never reach the walk's "saved" path."""
        try:
            self._review()
        except KeyboardInterrupt:
            return

    def _review(self) -> None:
        self.say(f"\nAll {len(self.checklist.questions)} answered. To correct one, type change q3 "
                 f"{self.checklist.options[-1].key} (list shows them all); press Enter to finish.")
        anywhere = Target("", None)
        while True:
            line = self.session.reader.line()
            if line is None or not line.strip():
                return
            parsed = parse_input(line, self.checklist, None)
            if isinstance(parsed, Command) and parsed.name == "quit":
                return
            if reads_as_prose(line, parsed):
                self.not_a_note(line)
            elif isinstance(parsed, Command):
                # a change reprints the scorecard (some 90 lines): the instruction is said again under it (back
                # gone past the first question says it itself, and returns False)
                if self.command(parsed, anywhere) or parsed.name in RECALLED:
                    self.say(self.review_hint())
            else:
                self.say(f"  {self.review_hint()}")

    def review_hint(self) -> str:
        """What the final review takes, said again when the scorecard or a list pushed the first saying up."""
        return (f"Every question is answered: type change q3 {self.checklist.options[-1].key} to correct one, or "
                "press Enter to finish.")

    def ask(self, target: Target) -> None:
        """Read lines until one changes the evaluation (an answer, change, back or note).

        A paste is not answers: a blank line that came with other input is not Enter, and text that is no
        answer or command drops the rest of what came with it (:meth:`pasted_text`). Enter says what it took."""
        reader = self.session.reader
        while True:
            line = reader.line()
            if line is None:
                raise Stop("eof")
            blank = not line.strip()
            if (blank or not is_reply(line, self.checklist)) and reader.pasted():
                if not blank:
                    self.pasted_text(target)
                continue
            default, whose = enter_takes(self.ev, target.question)
            parsed = parse_input(line, self.checklist, default)
            if reads_as_prose(line, parsed):
                self.not_a_note(line)
            elif isinstance(parsed, Problem):
                self.say(f"  {parsed.message}")
            elif isinstance(parsed, Answer):
                typed = f"typed as {shorten(line.strip())}" if by_score(line, self.checklist) is not None else None
                self.answer(target, parsed.value, whose if blank else typed)
                return
            elif self.command(parsed, target):
                return
            elif parsed.name in RECALLED:
                self.remind(open_reminder(self.checklist, target.question), target.question)

    def remind(self, line: str, question: str) -> None:
        """``line``, a reminder of the open question after a command's output, and what Enter takes there when it
        takes an answer (the suggestion, last time's), as its first prompt said: the bare prompt after it must not
        take an answer it does not show."""
        default, _ = enter_takes(self.ev, question)
        shown = enter_lines(self.ev, self.checklist, question, self.session.tz) if default is not None else []
        self.say("\n".join([line, *shown]))

    def pasted_text(self, target: Target) -> None:
        """Text pasted at a question prompt (a description, say): nothing of it is recorded, and the rest of the
        paste is dropped, so none of its lines (a blank one is Enter) answers a question."""
        self.session.reader.drop_paste()
        key = self.checklist.question(target.question).key
        self.say(f"  That looks like pasted text, not an answer, so nothing was recorded from it (a blank line "
                 f"in a paste is not taken as Enter). {key} is still open: type {option_words(self.checklist)}. "
                 "For suggestions from a description, save it to a file and run "
                 f"`{ftcheck_command()} run --brief FILE`.")

    def answer(self, target: Target, value: float | None, accepted: str | None = None) -> None:
        """``accepted``: whose answer Enter took (``the suggestion``), or the score typed for it (``typed as 0``),
        echoed under its prompt before it is written (the last answer's scorecard is shown while it is written); a
        refusal follows it if the store refuses."""
        engine, user, question = self.session.engine, self.session.user, target.question
        key = self.checklist.question(question).key
        if accepted and value is not None:
            self.say(f"  {key}: {self.checklist.option(value).label} ({accepted})")
        if target.card_ts is not None:
            outcome = self.record(engine.answer(self.ev.id, card_ts=target.card_ts, user=user, value=value),
                                  question, "answer")
        elif value is None:
            self.left_open.add(question)
            return
        else:
            outcome = self.record(engine.change(self.ev.id, question=question, user=user, value=value),
                                  question, "answer")
        typed = None if value is None else self.checklist.option(value).key
        advice = f"To give yours instead, type change {key} {typed}." if typed else None
        refused = refusal(outcome, advice, self.session.tz, self.session.project)
        if refused:
            self.say(f"  {refused}")

    def command(self, command: Command, target: Target) -> bool:
        """Carry out a command; True when the evaluation changed (the question is shown again)."""
        checklist = self.checklist
        if command.name == "help":
            self.say(help_text(checklist))
        elif command.name == "list":
            self.say(answers_list(self.ev, checklist, self.session.console.width, self.session.tz))
        elif command.name == "score":
            card = scorecard_of(self.ev, checklist)
            self.session.console.show(lambda width: render_text(card, width=width).rstrip("\n"))
        elif command.name == "quit":
            raise Stop("quit")
        elif command.name == "change":
            return self.change(command.args, target)
        elif command.name == "note":
            return self.note(command.args)
        elif command.name == "back":
            return self.back(target.question)
        return False

    def change(self, args: str, target: Target | None = None) -> bool:
        parsed = parse_change(args, self.checklist)
        if isinstance(parsed, Problem):
            self.say(f"  {parsed.message}")
            return False
        if parsed.question not in self.ev.answers:
            if target is not None and target.question == parsed.question and target.card_ts is not None:
                self.answer(target, parsed.value)  # "change" of the question on screen: its answer
                return True
            key = self.checklist.question(parsed.question).key
            self.say(f"  {key} has no answer yet; answer it when it is asked.")
            return False
        change = self.session.engine.change(self.ev.id, question=parsed.question, user=self.session.user,
                                            value=parsed.value)
        outcome = self.record(change, parsed.question, "change")
        q = self.checklist.question(parsed.question)
        if outcome is not None and outcome.status == "unchanged" and outcome.notice is None:  # the person's own
            outcome = outcome.model_copy(update={"notice": Notice(  # answer: the engine says nothing, this says why
                kind="unchanged", question=q.key, label=self.checklist.option(parsed.value).label)})
        if outcome is not None and not outcome.applied:
            self.say(f"  {refusal(outcome, tz=self.session.tz, project=self.session.project) or 'Not changed.'}")
            return False
        self.say(f"  {q.key} is now {self.checklist.option(parsed.value).label}{self.was(parsed.question)}.")
        return True

    def was(self, question: str) -> str:
        """`` (was No)``: the answer a change replaced, as the store had it when the change was written (another
        session may have changed it since this walk showed it)."""
        entry = self.ev.answers.get(question)
        if entry is None:
            return ""
        return f" (was {'Not sure' if entry.previous is None else self.checklist.option(entry.previous).label})"

    def note(self, args: str) -> bool:
        """A note on an answer; one already there is replaced, and shown, so no note is lost unseen."""
        parsed = parse_note(args, self.checklist, last_answered(self.ev, self.checklist))
        if isinstance(parsed, Problem):
            self.say(f"  {parsed.message}")
            return False
        question, text = parsed
        key = self.checklist.question(question).key
        stored = self.session.call(self.session.store.get(self.ev.id))  # a note written in another session counts
        entry = (stored or self.ev).answers.get(question)
        if not text.strip():  # note q5: show q5's note
            carried = carried_from(stored or self.ev, question, self.session.tz)
            self.say(f"  {shown_note(entry, key, self.session.user, self.checklist, carried)}")
            return False
        if text.strip().lower() == CLEAR_NOTE:
            return self.clear_note(question, key, entry)
        old, old_by = (entry.note, entry.note_by) if entry is not None else (None, None)
        if old is not None and old == text.strip():
            self.say(f"  {key} already has this note; nothing changed.")
            return False
        outcome = self.record(self.session.engine.note(self.ev.id, question=question, user=self.session.user,
                                                       text=text), question, "note")
        if outcome is not None and not outcome.applied:
            self.say(f"  {refusal(outcome, tz=self.session.tz, project=self.session.project) or 'Note not added.'}")
        elif old:
            by = f" (by {old_by})" if old_by and old_by != self.session.user else ""
            self.say(f"  {key}'s note is replaced. It was{by}: “{old}”. To keep both, type note {key} followed by "
                     "both texts.")
        else:
            self.say(f"  Note added to {key}.")
        return False

    def clear_note(self, question: str, key: str, entry: AnswerEntry | None) -> bool:
        if entry is None or entry.note is None:
            self.say(f"  {key} has no note to remove.")
            return False
        outcome = self.record(self.session.engine.note(self.ev.id, question=question, user=self.session.user,
                                                       text=""), question, "note")
        if outcome is not None and not outcome.applied:
            self.say(f"  {refusal(outcome, tz=self.session.tz, project=self.session.project) or 'Note not removed.'}")
        else:
            by = f" (by {entry.note_by})" if entry.note_by and entry.note_by != self.session.user else ""
            self.say(f"  {key}'s note is removed. It was{by}: “{entry.note}”.")
        return False

    def not_a_note(self, line: str) -> None:
        last = last_answered(self.ev, self.checklist)
        how = (f"type note <text> to add it to {self.checklist.question(last).key} (answered last), or note q3 <text> "
               "for another question" if last else "answer a question first, then type note <text> to add it")
        self.say(f"  “{shorten(line)}” reads like a sentence, so it was not taken for a note: {how}.")

    def back(self, current: str) -> bool:
        """Answer earlier questions again, newest first: Enter keeps an answer, back goes one further. Gone past the
        first, the question the next answer goes to is named again (the earlier one ``back`` showed is still on
        screen)."""
        shown = None
        for question in asked_before(self.ev, self.checklist, current):
            shown = self.checklist.question(question)
            self.say(f"\n{shown.key}: {shown.text}\n  Now: {label_of(self.ev, self.checklist, question)}. "
                     f"{self.back_hint()}")
            if not self.changed_in_back(shown.key):
                return True
        self.say(f"  Nothing answered before {shown.key if shown else 'this question'}.")
        if current:
            self.remind(open_reminder(self.checklist, current), current)
        else:
            self.say(self.review_hint())
        return False

    def back_hint(self, key: str | None = None) -> str:
        """What ``back`` takes for the question it shows."""
        return (f"Type a new answer{f' for {key}' if key else ''} ({answer_words(self.checklist)}), Enter to keep "
                "it, or back to go further back.")

    def changed_in_back(self, key: str) -> bool:
        """Read until the question ``back`` shows is kept or changed (False) or passed over with back (True).
        The other commands work here as at any question prompt; the question stays shown."""
        question = self.checklist.question(key).id
        while True:
            line = self.session.reader.line()
            if line is None:
                raise Stop("eof")
            word = " ".join(line.split())
            if not word:
                return False
            parsed = parse_input(word, self.checklist, None)
            if reads_as_prose(line, parsed):
                self.not_a_note(line)
            elif isinstance(parsed, Command):
                if parsed.name == "back":
                    return True
                if self.command_in_back(parsed, question):
                    return False
                self.say(f"  {self.back_hint(key)}")
            else:
                change = parse_change(f"{key} {word}", self.checklist)
                if not isinstance(change, Problem):
                    self.change(f"{key} {word}")
                    return False
                self.say(f"  {change.message}; Enter keeps the answer, back goes further back.")

    def command_in_back(self, command: Command, question: str) -> bool:
        """A command typed where ``back`` shows ``question``; True when it changed that question's answer."""
        if command.name != "change":
            self.command(command, Target(question, None))
            return False
        parsed = parse_change(command.args, self.checklist)
        return self.change(command.args) and not isinstance(parsed, Problem) and parsed.question == question
