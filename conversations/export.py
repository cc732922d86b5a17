"""The exported decision record (the decision log): the decision first, then answers with who/when,
suggestions and their quotes, the team's agreement, the scorecard and the decision tree, as Markdown, CSV
or JSON. Pure: no Slack, no Redis."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from conversations import voting
from conversations.engine import scorecard_of
from conversations.models import Evaluation
from scoring.agreement import Agreement, spread_text
from scoring.checklist import Checklist
from scoring.render import AnswerRecord, render_json, render_markdown
from scoring.verdict import verdict_of

SUGGESTED_BY = {"offline": "built-in rules", "llm": "language model"}


def decision_record(ev: Evaluation, checklist: Checklist, fmt: str, names: dict[str, str] | None = None,
                    thread_url: str | None = None, agreement: Agreement | None = None) -> str:
    """The exported decision log: the decision, answers with who/when, suggestions and quotes, scorecard, tree.

    ``agreement`` (a team vote; computed from the revealed votes when not given) adds the unanimous share and
    the split questions with who settled them.
    """
    names = names or {}
    agreement = agreement or voting.agreement(ev, checklist)
    if agreement is not None:
        agreement = agreement.model_copy(update={"splits": [
            s.model_copy(update={"settled_by": names.get(s.settled_by, s.settled_by) if s.settled_by else None})
            for s in agreement.splits]})
    if fmt == "md":
        return _record_md(ev, checklist, names, thread_url, agreement)
    rows = _answer_rows(ev, checklist, names)
    if fmt == "json":
        card = scorecard_of(ev, checklist)
        return json.dumps({**_meta(ev, names, thread_url), "scorecard": json.loads(render_json(card, agreement)),
                           "answers": rows}, indent=2, ensure_ascii=False)
    if fmt == "csv":
        return _record_csv(ev, checklist, rows, agreement)
    raise ValueError(f"`{fmt}` is not an export format; use md, csv or json.")


def _meta(ev: Evaluation, names: dict[str, str], thread_url: str | None) -> dict[str, Any]:
    return {"project": ev.project, "evaluation": ev.id, "checklist": ev.checklist, "channel": ev.channel,
            "thread": thread_url, "status": ev.status, "started_by": names.get(ev.started_by, ev.started_by),
            "started_at": ev.started_at.isoformat(),
            "completed_at": ev.completed_at.isoformat() if ev.completed_at else None,
            "previous_evaluation": ev.previous_id}


def _answer_rows(ev: Evaluation, checklist: Checklist, names: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for q in checklist.questions:
        a = ev.answers.get(q.id)
        value = a.value if a is not None else None
        sug = a.suggestion if a is not None else ev.suggestions.get(q.id)
        rows.append({
            "question": q.key, "id": q.id, "section": checklist.section(q.section).title, "text": q.text,
            "answer": value, "answer_label": checklist.option(value).label if value is not None else None,
            "by": names.get(a.by, a.by) if a else None, "at": a.at.isoformat() if a else None,
            "changed_from": a.previous if a else None, "note": a.note if a else None,
            "suggested": sug.value if sug else None, "suggestion_reason": sug.reason if sug else None,
            "suggestion_quote": sug.evidence if sug else None,
            "suggested_by": SUGGESTED_BY.get(sug.engine, sug.engine) if sug else None,
        })
    return rows


def _record_md(ev: Evaluation, checklist: Checklist, names: dict[str, str], thread_url: str | None,
               agreement: Agreement | None) -> str:
    card = scorecard_of(ev, checklist)
    records = {}
    for qid, a in ev.answers.items():
        sug = a.suggestion
        records[qid] = AnswerRecord(
            by=names.get(a.by, a.by), at=a.at.isoformat(), note=a.note,
            suggestion=(f"{checklist.option(sug.value).label} — \u201c{sug.evidence}\u201d ({sug.reason})"
                        if sug and sug.value is not None else None))
    meta = _meta(ev, names, thread_url)
    status = "completed" if ev.status == "completed" else "in progress"
    head = [f"- **Evaluation:** `{ev.id}` ({status}) in channel {ev.channel}",
            f"- **Started:** {meta['started_at']} by {meta['started_by']}",
            f"- **Completed:** {meta['completed_at'] or 'not yet'}"]
    if thread_url:
        head.append(f"- **Thread:** {thread_url}")
    return render_markdown(card, checklist, ev.scored(), records, ev.project, agreement, head)


def _record_csv(ev: Evaluation, checklist: Checklist, rows: list[dict[str, Any]],
                agreement: Agreement | None) -> str:
    """One row per question, then the decision, scorecard and tree as rows keyed in the ``question`` column."""
    card = scorecard_of(ev, checklist)
    tree = card.decision_tree
    extra = [("decision", verdict_of(card).line()), ("total", card.total_text), ("band", card.band.name),
             ("decision_tree", " → ".join(f"{s.label} {s.outcome}" for s in tree.path) if tree else ""),
             ("verdict", tree.verdict_text if tree else ""), ("disagreement", card.disagreement or "")]
    extra += [(f"section:{s.id}", f"{s.score:g}/{s.max:g}") for s in card.sections]
    if agreement is not None:
        extra.append(("agreement", agreement.summary + (" — under 75%" if agreement.below_bar else "")))
        extra += [(f"split:{s.question}", f"{spread_text(s)}; team answer {s.settled or 'not settled'}"
                   + (f" by {s.settled_by}" if s.settled_by else "")) for s in agreement.splits]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    writer.writerows({"question": key, "text": value} for key, value in extra)
    return buf.getvalue()
