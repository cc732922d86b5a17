"""The exported decision record (the decision log): the decision first, then answers with who/when,
suggestions and their quotes, the team's votes and agreement, the scorecard and the decision tree, as
Markdown, CSV or JSON. Pure: no Slack, no Redis."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, tzinfo
from typing import Any

from pydantic import BaseModel, Field

from conversations import voting
from conversations.engine import scorecard_of
from conversations.flow import last_time_of, note_carried, whose_words
from conversations.models import AnswerEntry, Ballot, Evaluation, SuggestionRef
from scoring.agreement import NOT_SURE, Agreement, outcome_text, spread_text
from scoring.checklist import Checklist, Question
from scoring.render import AnswerRecord, md_text, render_json, render_markdown, signed
from scoring.scorecard import CHANGED_SINCE_LAST, DroppedChange, dropped_change, fmt_score, not_asked
from scoring.verdict import step_answer, verdict_of

SUGGESTED_BY = {"offline": "built-in rules", "llm": "language model"}
STATUS_TEXT = {"in_progress": "in progress", "completed": "completed", "abandoned": "closed for inactivity",
               "deleted": "deleted"}
REMOVED = {"description_deleted": "quote removed: the description it came from was deleted"}
QUORUM = "quorum"  # ``revealed_by`` of a vote revealed by itself once the quorum had voted
# OWASP "CSV injection": text starting with one of these is run as a formula by Excel, Sheets or LibreOffice
# (the full-width forms too, in some locales).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# The CSV's first character: without it Excel reads the file as the system's code page (cp1252: "2â€“4 weeks").
# Slack's upload encodes the text as UTF-8, so the file starts with EF BB BF, once.
BOM = "\ufeff"


class EarlierRow(BaseModel):
    """A round of votes before the question was asked again (a split settled as Not sure, or nobody sure)."""

    votes: dict[str, str]  # voter -> answer label, in voting order
    asked_again_by: str | None = None  # who chose "Not sure — ask again later" on the split; None: nobody was sure


class AnswerRow(BaseModel):
    """One question of the record: an object of the JSON ``answers``, a row of the CSV."""

    question: str
    id: str
    section: str
    text: str
    answer: float | None
    answer_label: str | None  # "Not sure" when skipped; None when never answered
    by: str | None  # who recorded the answer (a vote: who revealed it, else the last voter; or who settled it)
    at: str | None  # ISO-8601
    changed_from: float | None
    note: str | None
    suggested: float | None
    suggestion_reason: str | None
    suggestion_quote: str | None
    suggested_by: str | None
    skips: int = 0  # how often "Not sure" was chosen
    note_by: str | None = None
    votes: dict[str, str] | None = None  # a revealed team vote: voter -> answer label, in voting order
    revealed_by: str | None = None  # who revealed the vote, or "quorum"
    settled_by: str | None = None  # who chose the team answer over the votes: settled a split, or changed it since
    suggestion_caution: str | None = None  # the helper's note to check, shown with its suggestion (⚠ on the card)
    suggestion_conflict: list[str] | None = None  # quotes of the description that disagree (no answer suggested)
    # False: answered, then dropped from the checklist (the team changed its file); ``question`` is its id then, and
    # ``section`` and ``text`` are empty (they went with the checklist)
    in_checklist: bool = True
    earlier_votes: list[EarlierRow] | None = None  # rounds before it was asked again, oldest first (``votes``: last)
    # a re-evaluation: the team's answer last time (its label, "No"), whether or not this run's differs; None when
    # it is no re-evaluation or the question was not answered then (``changed_from`` is a change within this run)
    last_time: str | None = None
    changed_from_by: str | None = None  # who gave the answer ``changed_from`` names, when someone else than ``by``
    note_on: str | None = None  # the earlier answer (its label) the note was written about, before a change
    # a re-evaluation: whose ``last_time`` was (of a team vote's answer: who settled or changed it), how a team vote
    # gave it ("vote": the votes agreed; "split": settled; "changed": after the vote), when that evaluation was
    # completed (ISO-8601), and its note then, with who wrote it
    last_time_by: str | None = None
    last_time_team: str | None = None
    last_time_at: str | None = None
    last_time_note: str | None = None
    last_time_note_by: str | None = None
    # the note is last time's, carried onto the answer kept: when that evaluation was completed (ISO-8601; None when a
    # re-evaluation started before that date was kept, or the note was written in this evaluation: see carried)
    note_from: str | None = None
    carried: bool = Field(default=False, exclude=True)  # the note is last time's (the Markdown says so, dated or not)


class PreviousResult(BaseModel):
    """The result the record's evaluation compares with: the project's completed evaluation before it, on the same
    checklist (what the summary's "+6.5 since" counts from). The JSON's ``previous``."""

    evaluation: str
    completed_at: str  # ISO-8601, as stored (UTC)
    total: float
    max: float
    band: str
    band_name: str  # the band its total fell in, which is not what the team was told when the tree overruled it
    # now minus then, in total and by section id; None when the checklist changed in between (they do not compare)
    change: float | None
    section_changes: dict[str, float] | None
    # the part of ``change`` in questions the checklist no longer asks (both results were decided with them), which
    # the section changes leave out; None when there is none
    dropped_change: DroppedChange | None = None
    # the decision the team was given ("Not yet"), and its line as the thread, reminder and history said it
    # ("⚠ Not yet — q1 (…) blocks it; the score alone, 12/20, would be Conditional go"): scoring.verdict's Verdict
    decision: str
    decision_line: str


def decision_record(ev: Evaluation, checklist: Checklist, fmt: str, names: dict[str, str] | None = None,
                    thread_url: str | None = None, agreement: Agreement | None = None,
                    tz: tzinfo = UTC, channel_name: str | None = None, previous: Evaluation | None = None) -> str:
    """The exported decision log: the decision, answers with who/when, suggestions and quotes, scorecard, tree.

    ``agreement`` (a team vote; computed from the revealed votes when not given) adds the unanimous share and
    the split questions with who settled them. ``tz`` is the zone of the Markdown's times; JSON and CSV keep
    ISO-8601 as stored (UTC). ``channel_name``: the channel as people know it (``#ml-team``), when Slack said.
    ``previous``: the project's completed evaluation before ``ev`` on its checklist (``Project.previous``), whose
    result, date and the change since every format then shows.
    """
    names = names or {}
    agreement = agreement or voting.agreement(ev, checklist)
    if agreement is not None:
        agreement = agreement.model_copy(update={
            "voters": [_name(names, uid) for uid in agreement.voters],
            "splits": [s.model_copy(update={
                "settled_by": _name(names, s.settled_by) if s.settled_by else None,
                "earlier": [r.model_copy(update={"asked_again_by": _name(names, r.asked_again_by)})
                            if r.asked_again_by else r for r in s.earlier]})
                for s in agreement.splits]})
    rows = _answer_rows(ev, checklist, names)
    before = _previous(ev, checklist, previous)
    if fmt == "md":
        return _record_md(ev, checklist, rows, names, thread_url, agreement, tz, channel_name, before)
    if fmt == "json":
        card = scorecard_of(ev, checklist)
        return json.dumps({**_meta(ev, names, thread_url, channel_name),
                           "previous": before.model_dump() if before else None,
                           "scorecard": json.loads(render_json(card, agreement)),
                           "answers": [r.model_dump() for r in rows]}, indent=2, ensure_ascii=False)
    if fmt == "csv":
        return _record_csv(ev, checklist, rows, agreement, _meta(ev, names, thread_url, channel_name), before)
    raise ValueError(f"`{fmt}` is not an export format; use md, csv or json.")


def _name(names: dict[str, str], uid: str) -> str:
    return names.get(uid, uid)


def _meta(ev: Evaluation, names: dict[str, str], thread_url: str | None, channel_name: str | None
          ) -> dict[str, Any]:
    """The record's facts; ``channel`` stays the id (stable, for programs), ``channel_name`` is for people."""
    return {"project": ev.project, "evaluation": ev.id, "checklist": ev.checklist, "channel": ev.channel,
            "channel_name": channel_name, "thread": thread_url, "status": ev.status,
            "started_by": _name(names, ev.started_by), "started_at": ev.started_at.isoformat(),
            "completed_at": ev.completed_at.isoformat() if ev.completed_at else None,
            "previous_evaluation": ev.previous_id}


def _previous(ev: Evaluation, checklist: Checklist, previous: Evaluation | None) -> PreviousResult | None:
    """``previous``'s result and the change since, scored as every front end scores it (``scorecard_of``)."""
    if previous is None:
        return None
    if previous.checklist != ev.checklist:
        raise ValueError(f"the previous evaluation uses `{previous.checklist}`, this one `{ev.checklist}`")
    now, then = scorecard_of(ev, checklist), scorecard_of(previous, checklist)
    compared = now.comparable(then)
    old = {s.id: s.score for s in then.sections}
    said = verdict_of(then)  # as decided (a kept result when the checklist changed since), as every front end says it
    return PreviousResult(
        evaluation=previous.id, completed_at=_evaluated_at(previous).isoformat(), total=then.total, max=then.max,
        band=then.band.id, band_name=then.band.name, change=now.total - then.total if compared else None,
        section_changes={s.id: s.score - old[s.id] for s in now.sections} if compared else None,
        dropped_change=dropped_change(now, not_asked(ev.scored(), checklist), then,
                                      not_asked(previous.scored(), checklist)) if compared else None,
        decision=said.decision, decision_line=said.line())


def _evaluated_at(ev: Evaluation) -> datetime:
    """When its result was decided: completed, else its last activity (as the summary dates it)."""
    return ev.completed_at or ev.last_activity


def _label(checklist: Checklist, value: float | None) -> str:
    return NOT_SURE if value is None else checklist.option(value).label


def _revealed(ev: Evaluation, question_id: str) -> Ballot | None:
    """The question's ballot once revealed; votes not yet revealed never leave the evaluation."""
    ballot = ev.ballots.get(question_id)
    return ballot if ballot is not None and ballot.revealed else None


def _answer_rows(ev: Evaluation, checklist: Checklist, names: dict[str, str]) -> list[AnswerRow]:
    """The checklist's questions in order, then the answers to questions it no longer has (a team dropped them
    from its checklist file after they were answered): the record keeps every answer given."""
    rows = [_answer_row(ev, checklist, q.id, names, _question_head(checklist, q)) for q in checklist.questions]
    asked = {q.id for q in checklist.questions}
    gone = [qid for qid in dict.fromkeys([*ev.answers, *ev.ballots])
            if qid not in asked and (qid in ev.answers or _revealed(ev, qid) is not None)]
    dropped = {"section": "", "text": "", "in_checklist": False}
    return rows + [_answer_row(ev, checklist, qid, names, {"question": qid, **dropped}) for qid in gone]


def _question_head(checklist: Checklist, q: Question) -> dict[str, Any]:
    return {"question": q.key, "section": checklist.section(q.section).title, "text": q.text}


def _answer_row(ev: Evaluation, checklist: Checklist, qid: str, names: dict[str, str],
                head: dict[str, Any]) -> AnswerRow:
    """``head``: what the checklist says of the question (key, section, text), or that it no longer has it."""
    a = ev.answers.get(qid)
    sug = a.suggestion if a is not None else ev.suggestions.get(qid)
    ballot = _revealed(ev, qid)
    return AnswerRow(
        **head, id=qid,
        answer=a.value if a else None, answer_label=_label(checklist, a.value) if a else None,
        by=_name(names, a.by) if a else None, at=a.at.isoformat() if a else None,
        changed_from=a.previous if a else None, note=a.note if a else None,
        suggested=sug.value if sug else None, suggestion_reason=_reason(sug) if sug else None,
        suggestion_quote=sug.evidence if sug and not sug.removed else None,
        suggested_by=SUGGESTED_BY.get(sug.engine, sug.engine) if sug else None,
        skips=a.skips if a else 0, note_by=_name(names, a.note_by) if a and a.note_by else None,
        votes={_name(names, uid): _label(checklist, v.value)
               for uid, v in sorted(ballot.votes.items(), key=lambda kv: kv[1].at)} if ballot else None,
        revealed_by=(_name(names, ballot.revealed_by) if ballot.revealed_by else QUORUM) if ballot else None,
        settled_by=_name(names, a.settled_by) if a and a.settled_by else None,
        suggestion_caution=sug.caution if sug and not sug.removed else None,
        suggestion_conflict=list(dict.fromkeys(sug.conflict)) if sug and sug.conflict and not sug.removed else None,
        earlier_votes=_earlier(ev, checklist, qid, names), last_time=_last_time(ev, checklist, qid),
        changed_from_by=_name(names, a.previous_by) if a and a.previous_by else None,
        note_on=_label(checklist, a.note_on) if a and a.note_on is not None and a.note else None,
        **_whose_then(ev, qid, names))


def _whose_then(ev: Evaluation, qid: str, names: dict[str, str]) -> dict[str, Any]:
    """The row's provenance of last time's answer and of a note carried from it (``flow.last_time_of``)."""
    then = last_time_of(ev, qid)
    at = ev.prefill_at.isoformat() if ev.prefill_at is not None else None
    carried = {"note_from": at, "carried": True} if note_carried(ev, qid) else {}
    if then is None:
        return carried
    return {"last_time_by": _name(names, then.by) if then.by else None, "last_time_team": then.team,
            "last_time_at": at, "last_time_note": then.note,
            "last_time_note_by": _name(names, then.note_by) if then.note_by else None, **carried}


def _last_time(ev: Evaluation, checklist: Checklist, qid: str) -> str | None:
    """Last time's answer to the question (a re-evaluation): pre-filled, or no longer offered because the checklist
    changed since (``not_prefilled``: its label then says it is no longer an option)."""
    then = ev.prefill.get(qid, ev.not_prefilled.get(qid))
    return None if then is None else _label(checklist, then)


def _earlier(ev: Evaluation, checklist: Checklist, qid: str, names: dict[str, str]) -> list[EarlierRow] | None:
    """The question's rounds of votes before it was asked again (all revealed: each one ended in the reveal)."""
    entry = ev.answers.get(qid)
    if entry is None or not entry.earlier:
        return None
    return [EarlierRow(votes={_name(names, uid): _label(checklist, v) for uid, v in r.votes.items()},
                       asked_again_by=_name(names, r.settled_by) if r.settled_by else None) for r in entry.earlier]


def _reason(sug: SuggestionRef) -> str:
    """The helper's reason, or why its words are gone (its description was deleted, so they were taken out)."""
    return REMOVED[sug.removed] if sug.removed else sug.reason


def _suggestion_md(checklist: Checklist, sug: SuggestionRef | None) -> str | None:
    """What the card showed: ``Yes — “quote” (reason); ⚠ caution``, or, with no answer suggested, the note to check
    and its quote (both quotes of a conflict): ``To check: reason — “one” / “other”``."""
    if sug is None:
        return None
    if sug.removed:
        head = "To check" if sug.value is None else checklist.option(sug.value).label
        return f"{head} — {_reason(sug)}"
    quotes = " / ".join(f"\u201c{q}\u201d" for q in dict.fromkeys(sug.conflict or [sug.evidence]) if q)
    if sug.value is None:
        return f"To check: {sug.caution or sug.reason}" + (f" — {quotes}" if quotes else "")
    text = f"{checklist.option(sug.value).label} — {quotes} ({sug.reason})"
    return text + (f"; \u26a0 {sug.caution}" if sug.caution else "")


def _record_md(ev: Evaluation, checklist: Checklist, rows: list[AnswerRow], names: dict[str, str],
               thread_url: str | None, agreement: Agreement | None, tz: tzinfo, channel_name: str | None,
               before: PreviousResult | None) -> str:
    card = scorecard_of(ev, checklist)
    records = {}
    for row in rows:
        entry = ev.answers.get(row.id)
        sug = entry.suggestion if entry is not None else ev.suggestions.get(row.id)  # as the row's: the CSV's
        if entry is not None or row.votes is not None or row.earlier_votes or sug is not None:
            records[row.id] = _md_record(checklist, row, entry, sug, _revealed(ev, row.id), tz)
    where = md_text(channel_name) if channel_name else f"channel {ev.channel}"  # the id when Slack named none
    head = [f"- **Evaluation:** `{ev.id}` ({STATUS_TEXT[ev.status]}) in {where}",
            f"- **Started:** {_exact(ev.started_at, tz)} by {md_text(_name(names, ev.started_by))}"]
    if ev.status == "abandoned" and ev.completed_at is not None:
        head.append(f"- **Closed for inactivity:** {_exact(ev.completed_at, tz)}")
    else:
        head.append(f"- **Completed:** {_exact(ev.completed_at, tz) if ev.completed_at else 'not yet'}")
    if thread_url:
        head.append(f"- **Thread:** {thread_url}")
    head += _previous_md(before, tz)
    return render_markdown(card, checklist, ev.scored(), records, ev.project, agreement, head,
                           closed=ev.status == "abandoned", changes=before.section_changes if before else None)


def _previous_md(before: PreviousResult | None, tz: tzinfo) -> list[str]:
    """``- **Previous result:** ⚠ Not yet — q1 (…) blocks it; the score alone, 12/20, would be Conditional go.
    Completed 2030-01-07 10:00 CET (…)`` and the change since (by section: the Sections table's Change column).
    The decision as the team was told it, total included (its reason or the band's aside says it), not the band."""
    if before is None:
        return []
    at = _exact(datetime.fromisoformat(before.completed_at), tz)
    then = f"- **Previous result:** {before.decision_line}. Completed {at}"
    if before.change is None:
        return [then, f"- **Change since then:** not shown: {CHANGED_SINCE_LAST}"]
    change = f"- **Change since then:** {signed(before.change)} in total; by section in the Sections table"
    return [then, change + _dropped_md(before.dropped_change)]


def _dropped_md(dropped: DroppedChange | None) -> str:
    """``; in questions no longer in the checklist: beta -1``: the part of the change the sections leave out."""
    if dropped is None:
        return ""
    moves = ", ".join(f"{md_text(qid)} {signed(d)}" for qid, d in dropped.moves.items()) or signed(dropped.total)
    return f"; in questions no longer in the checklist: {moves}"


def _md_record(checklist: Checklist, row: AnswerRow, entry: AnswerEntry | None, sug: SuggestionRef | None,
               ballot: Ballot | None, tz: tzinfo) -> AnswerRecord:
    by = _md_votes(row, entry, ballot) if ballot is not None else row.by
    if row.earlier_votes:  # asked again: the rounds before come first, so the record reads in order
        by = "; ".join([*map(_md_earlier, row.earlier_votes), *([by] if by else [])])
    return AnswerRecord(
        by=by,
        at=_readable(entry.at, tz) if entry is not None else None,
        note=_note_md(row, tz),
        note_by=row.note_by,
        answer=_not_sure(row.skips) if entry is not None and entry.value is None else None,
        changed_from=_changed_from(checklist, row, entry),
        suggestion=_suggestion_md(checklist, sug), last_time=_last_time_md(row, tz))


def _note_md(row: AnswerRow, tz: tzinfo) -> str | None:
    """``(on the earlier No; from 2030-01-07) text``: the note, and what it was written about: an answer changed
    since, or last time's answer (carried onto the one kept, it was not written in this evaluation)."""
    if not row.note:
        return row.note
    about = [f"on the earlier {row.note_on}"] if row.note_on else []
    about += [f"from {_day(row.note_from, tz)}" if row.note_from else "from last time"] if row.carried else []
    return f"({'; '.join(about)}) {row.note}" if about else row.note


def _last_time_md(row: AnswerRow, tz: tzinfo) -> str | None:
    """``No — Ana (U1), 2030-01-07``, ``No — split, settled by Ana (U1), 2030-01-07``: last time's answer, whose it
    was and when; with its note when the note was not carried onto this answer (``; note: “…” — Cy (U3)``)."""
    if row.last_time is None:
        return None
    who = whose_words(row.last_time_team, row.last_time_by)
    whose = ", ".join(p for p in (who, _day(row.last_time_at, tz) if row.last_time_at else None) if p)
    text = f"{row.last_time} — {whose}" if whose else row.last_time
    if row.last_time_note and not row.carried:
        by = f" — {row.last_time_note_by}" if row.last_time_note_by else ""
        text += f"; note: \u201c{row.last_time_note}\u201d{by}"
    return text


def _day(iso: str, tz: tzinfo) -> str:
    """``2030-01-07``: the day of an ISO-8601 time in the team's zone."""
    try:
        return f"{datetime.fromisoformat(iso).astimezone(tz):%Y-%m-%d}"
    except ValueError:
        return iso


def _changed_from(checklist: Checklist, row: AnswerRow, entry: AnswerEntry | None) -> str | None:
    """``Yes (Dev Raman)``: the answer a change replaced, and who gave it when someone else did."""
    if entry is None or entry.previous is None:
        return None
    label = _label(checklist, entry.previous)
    return f"{label} ({row.changed_from_by})" if row.changed_from_by else label


def _md_votes(row: AnswerRow, entry: AnswerEntry | None, ballot: Ballot) -> str:
    """``team vote: Ana (U2) Yes, Bo (U3) No; revealed by Ana (U2); settled by Cy (U4)``.

    The answer's ``by`` is whoever revealed the vote, or the last voter, so it is not shown as the answer's
    author; only someone who changed the answer after the vote is named as well.
    """
    text = "team vote: " + ", ".join(f"{who} {label}" for who, label in (row.votes or {}).items())
    text += "; revealed at quorum" if row.revealed_by == QUORUM else f"; revealed by {row.revealed_by}"
    agreed = ballot.decided()
    overruled = entry is not None and len(agreed) == 1 and entry.value not in agreed  # a unanimous answer changed
    if row.settled_by and not overruled:
        text += f"; settled by {row.settled_by}"
    if entry is not None:
        last_voter = max(ballot.votes.items(), key=lambda kv: kv[1].at)[0] if ballot.votes else None
        recorder = entry.settled_by or ballot.revealed_by or last_voter
        if entry.by != recorder or entry.previous is not None:
            text += f"; changed by {row.by}"
    return text


def _md_earlier(r: EarlierRow) -> str:
    """``earlier vote: Ana (U2) Yes, Bo (U3) No; asked again by Ana (U2)``."""
    text = "earlier vote: " + ", ".join(f"{who} {label}" for who, label in r.votes.items())
    return text + (f"; asked again by {r.asked_again_by}" if r.asked_again_by else "; nobody was sure, asked again")


def _not_sure(skips: int) -> str:
    """``Not sure (skipped twice)``: a question the team skipped, unlike one never asked (left blank)."""
    times = {0: "", 1: " (skipped once)", 2: " (skipped twice)"}
    return NOT_SURE + times.get(skips, f" (skipped {skips} times)")


def _readable(at: datetime, tz: tzinfo) -> str:
    """``2030-01-07 10:00 CET``: the Markdown record is read by people, in the team's time zone."""
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def _exact(at: datetime, tz: tzinfo) -> str:
    # the ISO form with its offset too: abbreviations are ambiguous (IST, CST) and minutes drop the seconds
    return f"{_readable(at, tz)} ({at.astimezone(tz).isoformat()})"


def _record_csv(ev: Evaluation, checklist: Checklist, rows: list[AnswerRow], agreement: Agreement | None,
                meta: dict[str, Any], before: PreviousResult | None) -> str:
    """One row per question, then the record's facts, the decision, scorecard and tree as rows keyed in the
    ``question`` column. Starts with a byte-order mark (``BOM``), so that Excel reads it as UTF-8."""
    card = scorecard_of(ev, checklist)
    tree = card.decision_tree
    extra = [(key, "" if value is None else str(value)) for key, value in meta.items()]
    extra += [("decision", verdict_of(card).line()), ("total", _score_cell(card.total, card.max)),
              ("band", card.band.name),
              ("decision_tree", " → ".join(f"{s.label} {step_answer(s)}" for s in tree.path) if tree else ""),
              ("verdict", tree.verdict_text if tree else ""), ("disagreement", card.disagreement or "")]
    extra += [(f"section:{s.id}", _score_cell(s.score, s.max)) for s in card.sections]
    extra += _previous_csv(before)
    if agreement is not None:
        extra.append(("agreement", agreement.summary + (" — under 75%" if agreement.below_bar else "")))
        extra += [(f"split:{s.question}", f"{spread_text(s, str)}; {outcome_text(s, str)}")
                  for s in agreement.splits]
    buf = io.StringIO()
    buf.write(BOM)
    writer = csv.DictWriter(buf, fieldnames=[n for n, f in AnswerRow.model_fields.items() if not f.exclude])
    writer.writeheader()
    writer.writerows({k: _csv_cell(v) for k, v in row.model_dump().items()} for row in rows)
    writer.writerows({"question": _csv_cell(key), "text": _csv_cell(value)} for key, value in extra)
    return buf.getvalue()


def _score_cell(score: float, maximum: float) -> str:
    """``12 of 20``: a score as a CSV cell, which a spreadsheet keeps as text: it reads ``12/20`` and ``5/5`` as
    dates (5/5 → 5-May). The Markdown and the cards keep ``12/20``, the JSON its numbers."""
    return f"{fmt_score(score)} of {fmt_score(maximum)}"


def _change_cell(change: float) -> str:
    """``up 6.5``, ``down 1``, ``no change``: a change as a CSV cell (``+6.5`` is run as a formula, ``6.5`` is a
    date in some locales)."""
    if change == 0:
        return "no change"
    return f"{'up' if change > 0 else 'down'} {fmt_score(abs(change))}"


def _previous_csv(before: PreviousResult | None) -> list[tuple[str, str]]:
    """The previous result's rows: its date, total, band and decision (as the team was told it: the band is not
    the decision when the tree overruled it), and the change since in total and by section."""
    if before is None:
        return []
    rows = [("previous_completed_at", before.completed_at), ("previous_total", _score_cell(before.total, before.max)),
            ("previous_band", before.band_name), ("previous_decision", before.decision_line),
            ("change", CHANGED_SINCE_LAST if before.change is None else _change_cell(before.change))]
    rows += [(f"change:{sid}", _change_cell(d)) for sid, d in (before.section_changes or {}).items()]
    if (dropped := before.dropped_change) is not None:
        rows.append(("change:no_longer_asked", _change_cell(dropped.total)))
        rows += [(f"change:no_longer_asked:{qid}", _change_cell(d)) for qid, d in dropped.moves.items()]
    return rows


def _csv_cell(value: object) -> object:
    """A CSV cell: votes as ``Ana (U2): Yes; Bo (U3): No``, a conflict's quotes as ``“one” / “other”``; text a
    spreadsheet would run gets a leading ``'``.

    Every text cell is guarded, not only the ones people typed: names, quotes from a pasted brief and the
    project's name sit in cells of our own wording too. Numbers (answers, values) are left as they are.
    """
    if isinstance(value, dict):
        value = "; ".join(f"{k}: {v}" for k, v in value.items())
    elif isinstance(value, list) and value and all(isinstance(r, dict) for r in value):  # earlier rounds of votes
        value = " | ".join(_md_earlier(EarlierRow.model_validate(r)) for r in value)
    elif isinstance(value, list):  # a conflict's quotes
        value = " / ".join(f"\u201c{q}\u201d" for q in value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
