"""Leads' commands: status, summary, list, history, export, remind, delete — filtered by what the asker can see."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, time

from slack_sdk.errors import SlackApiError

from bot.blocks.common import esc
from bot.commands import Command, CommandError
from bot.payloads import SlashCommand
from bot.replies import Reply
from bot.services import Services
from bot.visibility import Visibility
from conversations import flow
from conversations.engine import scorecard_of
from conversations.models import Evaluation, project_key
from conversations.reminders import SCHEDULES, ReminderQueue
from scoring.render import AnswerRecord, bar, render_markdown, tree_lines
from scoring.scorecard import Scorecard, fmt_score

__all__ = ["Reply", "handle", "permalink", "status_text"]


async def permalink(svc: Services, ev: Evaluation) -> str:
    if not ev.thread_ts:
        return "(thread not posted yet)"
    try:
        resp = await svc.client.chat_getPermalink(channel=ev.channel, message_ts=ev.thread_ts)
        return f"<{resp['permalink']}|open the thread>"
    except SlackApiError:
        return f"(thread in <#{ev.channel}>)"


async def status_text(svc: Services, ev: Evaluation) -> str:
    checklist = svc.registry.get(ev.checklist)
    card = scorecard_of(ev, checklist)
    answered = len(checklist.questions) - len(card.unanswered)
    nxt = next((c.question for c in ev.open_cards().values()), None) or flow.next_question(ev, checklist)
    waiting = f" Waiting for {checklist.question(nxt).key}." if nxt else ""
    return (f"*{esc(ev.project)}*: {answered}/{len(checklist.questions)} answered, {card.headline}.{waiting} "
            f"{await permalink(svc, ev)}")


async def handle(svc: Services, request: SlashCommand, command: Command, reply: Reply) -> None:
    vis = Visibility(svc.client)
    if command.verb == "list":
        await reply(await list_text(svc, vis, request))
    elif command.verb == "summary":
        await reply(await summary_text(svc, vis, request, command.project))
    elif command.verb == "history":
        await reply(await history_text(svc, vis, request, command.project or ""))
    elif command.verb == "export":
        await export(svc, vis, request, command, reply)
    elif command.verb == "remind":
        await reply(await remind(svc, request, command))
    elif command.verb == "delete":
        await reply(await delete(svc, request, command.project or ""))


async def visible(svc: Services, vis: Visibility, request: SlashCommand) -> list[Evaluation]:
    out = []
    for ev in await svc.store.team_evaluations(request.team_id):
        if ev.channel == request.channel_id or await vis.can_see(request.user_id, ev.channel):
            out.append(ev)
    return out


async def _project(svc: Services, vis: Visibility, request: SlashCommand, name: str) -> list[Evaluation]:
    key = project_key(name)
    history = [ev for ev in await svc.store.project_history(request.team_id, key)
               if ev.channel == request.channel_id or await vis.can_see(request.user_id, ev.channel)]
    if not history:
        raise CommandError(f"No evaluation of *{esc(name)}* that you can see. `/ftcheck list` shows what there is.")
    return history


def _card(svc: Services, ev: Evaluation) -> Scorecard:
    return scorecard_of(ev, svc.registry.get(ev.checklist))


async def list_text(svc: Services, vis: Visibility, request: SlashCommand) -> str:
    evs = await visible(svc, vis, request)
    if not evs:
        return "No evaluations you can see yet. Start one with `/ftcheck start <project>`."
    queue = ReminderQueue(svc.store)
    lines = ["*Evaluations you can see*"]
    for ev in evs:
        card = _card(svc, ev)
        if ev.status == "completed":
            state = f"done {card.total_text} {card.band.name}"
        else:
            answered = len(svc.registry.get(ev.checklist).questions) - len(card.unanswered)
            state = f"in progress {answered}/{fmt_score(card.max)}"
        last = (ev.completed_at or ev.last_activity).strftime("%Y-%m-%d")
        due = await queue.due_at(ev.id)
        nxt = f" · next reminder {due:%Y-%m-%d}" if due else ""
        lines.append(f"• *{esc(ev.project)}* in <#{ev.channel}> — {state} · last evaluated {last}{nxt}")
    return "\n".join(lines)


def _summary_lines(svc: Services, ev: Evaluation, previous: Evaluation | None) -> list[str]:
    checklist = svc.registry.get(ev.checklist)
    card = scorecard_of(ev, checklist)
    delta = ""
    if previous is not None:
        before = scorecard_of(previous, svc.registry.get(previous.checklist))
        d = card.total - before.total
        delta = f" ({'+' if d >= 0 else ''}{fmt_score(d)} since {previous.started_at:%Y-%m-%d}: {before.total_text})"
    lines = [f"*{esc(ev.project)}* — {card.headline}{delta}", f"_{esc(card.band.recommendation)}_"]
    lines += [f"`{bar(s.score, s.max)}` {fmt_score(s.score)}/{fmt_score(s.max)} {esc(s.title)}" for s in card.sections]
    lines += [esc(line) for line in tree_lines(card)]
    if card.disagreement:
        lines.append(f":warning: {esc(card.disagreement)}")
    for group in card.gaps:
        lines += [f"• {g.question} ({g.answer}) → {esc(g.next_step)}" for g in group.gaps]
    people = sorted({a.by for a in ev.answers.values()})
    when = (ev.completed_at or ev.last_activity).strftime("%Y-%m-%d")
    lines.append(f"Answered by {', '.join(f'<@{p}>' for p in people) or 'nobody yet'} · {when}")
    return lines


async def summary_text(svc: Services, vis: Visibility, request: SlashCommand, project: str | None) -> str:
    if project is None:
        evs = [ev for ev in await svc.store.channel_evaluations(request.team_id, request.channel_id)]
        if not evs:
            return "No evaluations in this channel yet. Start one with `/ftcheck start <project>`."
        blocks = []
        for ev in evs[:10]:
            blocks.append("\n".join(_summary_lines(svc, ev, None)[:3]))
        return "\n\n".join(blocks)
    history = await _project(svc, vis, request, project)
    latest = history[-1]
    previous = history[-2] if len(history) > 1 else None
    return "\n".join([*_summary_lines(svc, latest, previous), await permalink(svc, latest)])


async def history_text(svc: Services, vis: Visibility, request: SlashCommand, project: str) -> str:
    history = await _project(svc, vis, request, project)
    lines = [f"*History of {esc(history[-1].project)}*"]
    before: Scorecard | None = None
    for ev in history:
        card = _card(svc, ev)
        if before is None:
            delta = ""
        else:
            parts = [f"{s.title.split(' ')[0]} {_signed(s.score - b.score)}"
                     for s, b in zip(card.sections, before.sections, strict=False)]
            delta = f" · Δ total {_signed(card.total - before.total)} ({', '.join(parts)})"
        lines.append(f"• {ev.started_at:%Y-%m-%d} — {card.headline}{delta}")
        before = card
    return "\n".join(lines)


def _signed(value: float) -> str:
    return f"{'+' if value >= 0 else ''}{fmt_score(value)}"


def decision_record(svc: Services, ev: Evaluation, fmt: str) -> str:
    """The exported decision log (seed 004): answers with who/when, suggestions and quotes, scorecard, tree."""
    checklist = svc.registry.get(ev.checklist)
    card = scorecard_of(ev, checklist)
    records = {
        qid: AnswerRecord(by=a.by, at=a.at.isoformat(), note=a.note,
                          suggestion=(f"{checklist.option(a.suggestion.value).label} — “{a.suggestion.evidence}”"
                                      if a.suggestion else None))
        for qid, a in ev.answers.items()
    }
    if fmt == "md":
        return render_markdown(card, checklist, ev.scored(), records, ev.project)
    rows = []
    for q in checklist.questions:
        a = ev.answers.get(q.id)
        rows.append({"question": q.key, "id": q.id, "text": q.text,
                     "answer": None if a is None or a.value is None else a.value,
                     "by": a.by if a else None, "at": a.at.isoformat() if a else None,
                     "note": a.note if a else None,
                     "suggested": a.suggestion.value if a and a.suggestion else None,
                     "suggestion_quote": a.suggestion.evidence if a and a.suggestion else None})
    if fmt == "json":
        return json.dumps({"project": ev.project, "evaluation": ev.id, "checklist": ev.checklist,
                           "started_at": ev.started_at.isoformat(), "status": ev.status,
                           "scorecard": json.loads(card.model_dump_json()), "answers": rows}, indent=2)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


async def export(svc: Services, vis: Visibility, request: SlashCommand, command: Command, reply: Reply) -> None:
    history = await _project(svc, vis, request, command.project or "")
    ev = history[-1]
    if ev.channel != request.channel_id and not await vis.is_public(ev.channel):
        raise CommandError(f"*{esc(ev.project)}* was evaluated in a private channel; run the export there so "
                           "only its members get the file.")
    content = decision_record(svc, ev, command.format)
    name = f"ftcheck-{ev.project_key}-{ev.started_at:%Y%m%d}.{command.format}"
    await svc.client.files_upload_v2(channel=request.channel_id, content=content, filename=name,
                                     title=f"Decision record: {ev.project}",
                                     initial_comment=f"Decision record for {ev.project}, requested by "
                                                     f"<@{request.user_id}>.")


async def may_manage(svc: Services, user: str, ev: Evaluation) -> bool:
    if user == ev.started_by or user in svc.settings.lead_ids:
        return True
    try:
        info = await svc.client.users_info(user=user)
    except SlackApiError:
        return False
    u = info.get("user") or {}
    return bool(u.get("is_admin") or u.get("is_owner"))


_DENIED = ("Only the person who started this evaluation, the leads named in FTCHECK_LEADS or a workspace "
           "admin can do that. Ask <@{starter}>.")


async def remind(svc: Services, request: SlashCommand, command: Command) -> str:
    history = await _project(svc, Visibility(svc.client), request, command.project or "")
    ev = history[-1]
    if not await may_manage(svc, request.user_id, ev):
        return _DENIED.format(starter=ev.started_by)
    queue = ReminderQueue(svc.store)
    schedule = command.schedule or "quarterly"
    if schedule == "off":
        await queue.cancel(ev.id)
        return f"Reminders for *{esc(ev.project)}* are off."
    if schedule in SCHEDULES:
        due = datetime.now(UTC) + SCHEDULES[schedule]
    else:
        due = datetime.combine(datetime.strptime(schedule, "%Y-%m-%d").date(), time(9), tzinfo=UTC)
        if due < datetime.now(UTC):
            raise CommandError(f"{schedule} is in the past; pick a future date.")
    await queue.schedule(ev.id, due)
    return f"Next re-evaluation reminder for *{esc(ev.project)}*: {due:%Y-%m-%d} (within working hours)."


async def delete(svc: Services, request: SlashCommand, project: str) -> str:
    history = await _project(svc, Visibility(svc.client), request, project)
    ev = history[-1]
    if not await may_manage(svc, request.user_id, ev):
        return _DENIED.format(starter=ev.started_by)
    await svc.store.update(ev.id, flow.discard, by=request.user_id, action="delete")
    await ReminderQueue(svc.store).cancel(ev.id)
    return (f"Deleted the {ev.started_at:%Y-%m-%d} evaluation of *{esc(ev.project)}* "
            "(kept in the audit trail, hidden everywhere).")
