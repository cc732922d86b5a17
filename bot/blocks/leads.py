"""Pure renderers for leads: summary, list, history, reminders, idle nudges, the App Home tab and modals.

Everything people, models or a team's own checklist wrote goes through :func:`esc`.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, tzinfo

from bot.blocks.common import (
    CONTEXT_TEXT_MAX,
    NO_GAPS,
    Block,
    actions,
    button,
    clip,
    context,
    divider,
    esc,
    header,
    section,
    slack_bar,
    user,
    when,
)
from bot.blocks.evaluation import not_prefilled_text, prefills_any
from bot.blocks.scorecard import agreement_mrkdwn, verdict_line, verdict_mrkdwn
from conversations.models import Evaluation
from conversations.voting import EARLY_REVEAL_VOTES
from scoring.agreement import Agreement
from scoring.checklist import Checklist, exact
from scoring.render import gap_list, gaps_title, plural, signed
from scoring.scorecard import CHANGED_SINCE_LAST, Scorecard, dropped_change, fmt_score, not_asked
from scoring.verdict import Verdict, ranked_gaps, step_answer, verdict_of

REEVAL_START = "reeval_start"
REEVAL_SNOOZE = "reeval_snooze"
REEVAL_STOP = "reeval_stop"
HOME_SUMMARY = "home_summary"
HOME_PAGE = "home_page"  # home_page_newer, home_page_older: action ids must differ within a block
HOME_MAX_ROWS = 30  # projects a page of Home holds at most; each has a row per channel that evaluated it
HOME_BLOCKS = 100  # Slack's limit for a Home view
HOME_HEAD_BLOCKS, HOME_FOOT_BLOCKS, HOME_ROW_BLOCKS = 2, 2, 3  # header + intro; "Showing …" + page buttons; a row
# the rows a Home page holds: its pages are cut by rows (a project per channel), not projects, so all of them fit
HOME_ROWS = (HOME_BLOCKS - HOME_HEAD_BLOCKS - HOME_FOOT_BLOCKS) // HOME_ROW_BLOCKS
GAPS_IN_REMINDER = 3  # the reminder names the top gaps, as the scorecard does; the rest are counted
GONE_NAMED = 3  # questions no longer in the checklist a change names (history, summary); the rest are summed


@dataclass(frozen=True)
class Scored:
    """An evaluation with its scorecard and progress (answered / questions)."""

    ev: Evaluation
    card: Scorecard
    answered: int
    questions: int
    agreement: Agreement | None = None  # set for a team vote
    dropped: tuple[str, ...] = ()  # gaps then in questions the team's checklist no longer asks (:func:`dropped_gaps`)
    gone: tuple[tuple[str, float], ...] = ()  # answers to those questions, by id (:func:`gone_answers`)

    @property
    def done(self) -> bool:
        return self.ev.status == "completed"

    @property
    def progress(self) -> str:
        return f"{self.answered}/{self.questions}"


@dataclass(frozen=True)
class HomeRow:
    """One project on a user's App Home tab."""

    current: Scored  # latest completed evaluation, else the latest one
    previous: Scored | None  # the completed evaluation before ``current``
    running: Scored | None  # an evaluation of the project still in progress
    due: datetime | None  # next re-evaluation reminder
    took_part: bool
    running_problem: str = ""  # "A re-evaluation in progress uses …": one whose checklist is not loaded
    running_link: str | None = None  # mrkdwn link to the running evaluation's thread


@dataclass
class UnavailableRow:
    """A project on the Home tab whose evaluation's checklist is not loaded (its team file went bad or away after
    it started): said in one line, so it does not take the other rows down."""

    ev: Evaluation
    problem: str  # ``bot.replies.checklist_problem``: which checklist, and why it cannot be loaded


def day(at: datetime | None, tz: tzinfo) -> str:
    """The calendar day of ``at`` in the team's zone (``FTCHECK_TIMEZONE``), where a UTC date can be a day off."""
    return "—" if at is None else f"{at.astimezone(tz):%Y-%m-%d}"


def evaluated_at(ev: Evaluation) -> datetime:
    return ev.completed_at or ev.last_activity


def _score_and_band(s: Scored) -> str:
    """The decision with its tree-vs-band warning once done; only progress while the walk runs."""
    if s.done:
        return verdict_line(s.card)
    if s.ev.status == "abandoned":
        return f"closed for inactivity, {s.progress} answered"
    return f"in progress, {s.progress} answered"


def _rerun(current: Scored, running: Scored | None) -> Scored | None:
    """A re-evaluation running beside the evaluation shown (not the evaluation shown itself)."""
    return running if running is not None and running.ev.id != current.ev.id else None


def _agreement_short(s: Scored) -> str:
    a = s.agreement
    if a is None:
        return ""
    if a.percent is None:  # a team vote before its first reveal: no figure to give (0 of 0 is not 100%)
        return " · team vote, no votes revealed yet"
    return f" · team agreement {a.percent}" + (" :warning: under 75%" if a.below_bar else "")


# -- /ftcheck summary -------------------------------------------------------------------------------------

def summary_text(current: Scored, previous: Scored | None, running: Scored | None, *, link: str, tz: tzinfo,
                 running_link: str | None = None) -> str:
    """The latest evaluation, verdict first, and the change since the previous one, as mrkdwn."""
    ev, card = current.ev, current.card
    v = verdict_of(card)
    closed = ev.status == "abandoned"
    rerun = _rerun(current, running)
    if closed:
        lines = [_closed_head(current, v), _closed_next(ev, started_again=rerun is not None)]
    else:
        lines = [f"*{esc(ev.project)}* — {verdict_mrkdwn(v)}{_since(current, previous, tz)}"]
    if v.advice:
        lines.append(f"_{esc(v.advice)}_")
    if card.provisional:
        lines.append(f"Unanswered: {', '.join(card.unanswered)}.")
    if v.next_step is not None:
        lines += [f"*Next step for {esc(v.next_step.name)}:* {esc(v.next_step.next_step)}",
                  f"*Top gaps:* {esc(gap_list(v.top_gaps))}"]
    lines += ["", "*Sections*"]
    then = previous if previous is not None and comparable(current, previous) else None
    before = {s.id: s for s in then.card.sections} if then is not None else {}
    for s in card.sections:
        change = f" ({signed(s.score - before[s.id].score)})" if s.id in before else ""
        lines.append(f"{slack_bar(s.score, s.max)}  {fmt_score(s.score)}/{fmt_score(s.max)} {esc(s.title)}{change}")
    if then is not None and (gone := _gone_moves(current, then)):
        lines.append(f"No longer in the checklist: {gone}")
    tree = _closed_tree(card) if closed else v.tree
    if tree:
        lines += ["", f"*Decision tree:* {esc(tree)}"]
    if current.agreement is not None:
        lines += ["", agreement_mrkdwn(current.agreement, _agreement_moved(current, previous, tz))]
    lines += _gap_lines(card, current.dropped)
    lines += ["", _who_and_when(ev), link]
    if rerun is not None:
        lines.append(f":hourglass_flowing_sand: A re-evaluation is in progress ({rerun.progress} answered) "
                     f"{running_link or ''}".rstrip())
    return "\n".join(lines)


def _closed_head(current: Scored, v: Verdict) -> str:
    """An evaluation closed for inactivity: said first; what its answers decide only when they already do (a
    decision the unanswered questions could still change is no decision: nobody will answer them here)."""
    head = f"*{esc(current.ev.project)}* — :lock: *Closed for inactivity* at {current.progress} answered"
    if v.tone == "pending":
        return f"{head}; not decided."
    return f"{head}; its answers already decide: {verdict_mrkdwn(v)}"


def _closed_next(ev: Evaluation, *, started_again: bool) -> str:
    """Where its answers are, and how to go on (a new start asks every question again: nothing is carried over);
    ``started_again``: a newer evaluation is already running (the last line links it)."""
    name, there = esc(ev.project), f"<#{ev.channel}>"
    text = (f"Nobody answered for a long time, so its cards take no more answers. Every answer so far is on its card "
            f"in the thread, and `/ftcheck export {name}` in {there} puts them in a file.")
    return text if started_again else f"{text} {start_again_text(ev, there)}"


def start_again_text(ev: Evaluation, there: str = "") -> str:
    """How to go on after ``ev`` closed for inactivity (``there``: `` in <#C1>`` said from elsewhere). A start
    pre-fills the channel's latest result (``--fresh``: nothing); a re-evaluation's previous result keeps its
    reminder, deferred while this one was open."""
    name, where = esc(ev.project), f" in {there}" if there else ""
    if ev.previous_id is None and ev.previous_result is None:  # neither a re-evaluation nor after a result
        return f"`/ftcheck start {name}`{where} begins a new evaluation, from the first question."
    return (f"`/ftcheck start {name}`{where} begins a new one pre-filled with last time's answers (add `--fresh` "
            "to start from the first question). The reminder to re-evaluate the previous result comes back, as it "
            "was set.")


def _closed_tree(card: Scorecard) -> str | None:
    """The decision tree of an evaluation closed for inactivity: where the walk stopped says the evaluation closed
    there, not what to answer next."""
    tree = card.decision_tree
    if tree is None:
        return None
    if tree.go is not None:
        return verdict_of(card).tree
    steps = [f"{s.label} {'not answered' if s.outcome == 'unanswered' else step_answer(s)} "
             f"({', '.join(s.questions)})" for s in tree.path]
    waiting = [k for s in tree.path if s.outcome == "unanswered" for k in s.questions]
    return " → ".join([*steps, f"Undecided: the evaluation closed before {', '.join(waiting)} "
                               f"{'was' if len(waiting) == 1 else 'were'} answered."])


def _agreement_moved(current: Scored, previous: Scored | None, tz: tzinfo) -> str:
    """`` (was 70% last time)`` when both evaluations were team votes."""
    was = previous.agreement.percent if previous is not None and previous.agreement is not None else None
    if current.agreement is None or previous is None or was is None:
        return ""
    return f" (was {was} on {day(evaluated_at(previous.ev), tz)})"


def comparable(current: Scored, previous: Scored) -> bool:
    """Whether the two totals add up the same questions worth the same options (``Scorecard.comparable``): their
    difference means something only then, not once a team changed its checklist's questions or options in between
    (new bands or decision rules leave the totals comparable)."""
    return current.card.comparable(previous.card)


def _since(current: Scored, previous: Scored | None, tz: tzinfo) -> str:
    """`` · +2 since 2026-03-01 (12/20)``; when the checklist changed in between, the earlier result without a
    difference, and why."""
    if previous is None:
        return ""
    then = f"{day(evaluated_at(previous.ev), tz)} ({previous.card.total_text})"
    if not comparable(current, previous):
        return f" · {then}: {CHANGED_SINCE_LAST}"
    return f" · {signed(current.card.total - previous.card.total)} since {then}"


def _gap_lines(card: Scorecard, dropped: tuple[str, ...] = ()) -> list[str]:
    """The gaps and their next steps; then those in questions the checklist no longer asks (a result scored before
    the team dropped them: "none" would contradict a decision they blocked)."""
    then = ["", "*Gaps in questions no longer in the checklist:*", *dropped] if dropped else []
    if not card.gaps:
        return then or (["", f"*Gaps:* none — {NO_GAPS}."] if not card.provisional else [])
    count = sum(len(group.gaps) for group in card.gaps)
    lines = ["", f"*{gaps_title(count)}* (weakest section first)"]
    for group in card.gaps:
        for g in group.gaps:
            lines.append(f"• *{esc(g.name)}: {g.answer}* — {esc(g.text)}\n    → {esc(g.next_step)}")
    return lines + then


def _who_and_when(ev: Evaluation) -> str:
    if ev.ballots:  # a team vote: each card's answer is the team's, so the credit goes to who voted
        votes = Counter(uid for ballot in ev.ballots.values() for uid in ballot.votes)
        people = ", ".join(f"{user(uid)} ({plural(n, 'vote')})" for uid, n in votes.most_common())
        answered = f"Voted by {people or 'nobody yet'}"
    else:
        counts = Counter(a.by for a in ev.answers.values() if a.value is not None)
        people = ", ".join(f"{user(uid)} ({plural(n, 'answer')})" for uid, n in counts.most_common())
        answered = f"Answered by {people or 'nobody yet'}"
    if ev.completed_at is None:
        finished = f"last answer {when(ev.last_activity)}"
    elif ev.status == "abandoned":  # completed_at is when it was closed; it never completed
        finished = f"closed for inactivity {when(ev.completed_at)}"
    else:
        finished = f"completed {when(ev.completed_at)}"
    return f"{answered} · started by {user(ev.started_by)} {when(ev.started_at)} · {finished}"


def channel_summary_line(current: Scored, previous: Scored | None, running: Scored | None, link: str,
                         tz: tzinfo) -> str:
    """One project in the short form of ``/ftcheck summary`` without a project."""
    rerun = _rerun(current, running)
    status = f" · re-evaluation in progress, {rerun.progress} answered" if rerun else ""
    return (f"• *{esc(current.ev.project)}* — {_score_and_band(current)}{_since(current, previous, tz)}"
            f"{_agreement_short(current)}{status} · {link}")


# -- /ftcheck list ----------------------------------------------------------------------------------------

def list_line(current: Scored, running: Scored | None, count: int, due: datetime | None, tz: tzinfo, *,
              exact: bool = True, latest: Evaluation | None = None) -> str:
    """One project: its result, and only the dates that are true of it (a reminder only once it completed).
    ``exact``: ``count`` is the whole count, else a floor ("at least"); ``latest``: its evaluation with the newest
    activity, which the list is sorted by: said when the line does not already show its date."""
    rerun = _rerun(current, running)
    status = f" · re-evaluation in progress {rerun.progress}" if rerun else " · done" if current.done else ""
    ev = current.ev
    if current.done:
        dates = (f"last evaluated {day(evaluated_at(ev), tz)} · "
                 + (f"next reminder {day(due, tz)}" if due else "no reminder scheduled"))
    elif ev.status == "abandoned" and ev.completed_at is not None:
        dates = f"started {day(ev.started_at, tz)}, closed {day(ev.completed_at, tz)}"
    else:  # in progress: never evaluated yet, and no reminder before it completes
        started, last = day(ev.started_at, tz), day(ev.last_activity, tz)
        dates = f"started {started}" + (f", last activity {last}" if last != started else "")
    counted = plural(count, "evaluation") if exact else f"at least {plural(count, 'evaluation')}"
    return (f"• *{esc(ev.project)}* in <#{ev.channel}> — {_score_and_band(current)}"
            f"{_agreement_short(current)}{status} · {dates}{_latest_activity(current, latest, tz)} · {counted}")


def _latest_activity(current: Scored, latest: Evaluation | None, tz: tzinfo) -> str:
    """`` · latest activity 2026-04-07: an evaluation closed for inactivity``: what the list sorts a line by, when
    it is not the evaluation the line is about (a re-evaluation closed or running since) and its day is not shown."""
    if latest is None or latest.id == current.ev.id:
        return ""
    at = day(evaluated_at(latest), tz)
    if latest.status == "abandoned":
        return f" · latest activity {at}: an evaluation closed for inactivity"
    return "" if at == day(evaluated_at(current.ev), tz) else f" · latest activity {at}"


# -- /ftcheck history -------------------------------------------------------------------------------------

def history_line(entry: Scored, before: Scored | None, link: str, tz: tzinfo) -> str:
    ev, card = entry.ev, entry.card
    head = f"• {day(ev.started_at, tz)} — {_score_and_band(entry)}{_agreement_short(entry)}"
    line = f"{head} · started by {user(ev.started_by)} · {link}"
    if before is None or not entry.done:
        return line
    moved = ""
    now_share = entry.agreement.share if entry.agreement is not None else None
    then_share = before.agreement.share if before.agreement is not None else None
    if now_share is not None and then_share is not None:
        d = round(now_share * 100) - round(then_share * 100)
        moved = f" · agreement {signed(d)} points"
    if before.ev.checklist != ev.checklist:
        return f"{line}\n    Δ total {signed(card.total - before.card.total)} (different checklist){moved}"
    if not comparable(entry, before):
        return f"{line}\n    No Δ total: the checklist changed in between, so the totals do not compare{moved}"
    old = {s.id: s.score for s in before.card.sections}
    parts = [f"{esc(s.title)} {signed(s.score - old.get(s.id, 0.0))}" for s in card.sections]
    gone = _gone_moves(entry, before)
    also = f" · no longer in the checklist: {gone}" if gone else ""
    return f"{line}\n    Δ total {signed(card.total - before.card.total)} · {', '.join(parts)}{also}{moved}"


def _gone_moves(entry: Scored, before: Scored) -> str:
    """``beta -1, eta +0.5``: how the answers to questions the team's checklist no longer asks moved between two
    comparable results (:func:`scoring.scorecard.dropped_change`), "" when they did not: with these, the sections
    add up to the change of the total. At most :data:`GONE_NAMED` named and the rest summed; their sum alone when
    the moves do not add up."""
    change = dropped_change(entry.card, dict(entry.gone), before.card, dict(before.gone))
    if change is None:
        return ""
    named = list(change.moves.items())
    if not named:
        return signed(change.total)
    shown = ", ".join(f"{esc(qid)} {signed(d)}" for qid, d in named[:GONE_NAMED])
    if len(named) > GONE_NAMED:
        shown += f" and {len(named) - GONE_NAMED} more {signed(exact(sum(d for _, d in named[GONE_NAMED:])))}"
    return shown


# -- reminders and nudges ---------------------------------------------------------------------------------

def reminder_blocks(ev: Evaluation, card: Scorecard, *, tz: tzinfo, outcome: str | None = None,
                    checklist: Checklist | None = None) -> list[Block]:
    """The re-evaluation reminder; with ``outcome`` (after a click) the buttons give way to what happened.

    ``checklist``: the evaluation's checklist today. It may have changed since (a team's file): the gaps then keep
    answers to questions it dropped, and the reminder says which answers a re-evaluation cannot pre-fill."""
    blocks = [
        section(f":calendar: *Time to re-evaluate {esc(ev.project)}.* {_why_again(card)}\n"
                f"*Last time* ({day(evaluated_at(ev), tz)}): {verdict_line(card)}"),
        section(_reminder_gaps(ev, card, dropped_gaps(ev, checklist))),
    ]
    if outcome is not None:
        return [*blocks, context(outcome)]
    return [*blocks,
            actions("reminder",
                    button("Start re-evaluation", REEVAL_START, ev.id, "primary"),
                    button("Snooze 2 weeks", REEVAL_SNOOZE, ev.id),
                    button("Stop reminders", REEVAL_STOP, ev.id, "danger")),
            context(_prefilled(ev, checklist))]


def _prefilled(ev: Evaluation, checklist: Checklist | None) -> str:
    """What a re-evaluation starts with: last time's answers, but not those the checklist no longer takes, named as
    the new thread names them (:func:`bot.blocks.evaluation.not_prefilled_text`)."""
    head = "Re-evaluation opens a new thread pre-filled with last time's answers; people confirm or change each one."
    then = ev.scored()
    missing = not_prefilled_text(then, checklist) if checklist is not None else None
    if checklist is None or missing is None:
        return head
    if not prefills_any(then, checklist):
        return f"Re-evaluation opens a new thread; people answer each question. {missing}"
    return f"{head} {missing}"


def gone_answers(ev: Evaluation, checklist: Checklist | None) -> tuple[tuple[str, float], ...]:
    """The evaluation's scored answers to questions the team dropped from its checklist since, by id."""
    return () if checklist is None else tuple(not_asked(ev.scored(), checklist).items())


def dropped_gaps(ev: Evaluation, checklist: Checklist | None) -> list[str]:
    """``• *beta: No* — no longer in the checklist``: a gap then whose question the team dropped from its
    checklist since (named by its id: its text went with it)."""
    if checklist is None:
        return []
    return [f"• *{esc(qid)}: {checklist.option(value).label}* — no longer in the checklist"
            for qid, value in gone_answers(ev, checklist) if value < 1]


def _why_again(card: Scorecard) -> str:
    """Why look again: a result that was not a go may be one now; a go is checked, and its gaps closed."""
    if verdict_of(card).tone != "go":
        return "What was not ready then may be ready now."
    return "Check the go still holds and close the remaining gaps." if card.gaps else "Check the go still holds."


def _reminder_gaps(ev: Evaluation, card: Scorecard, dropped: list[str]) -> str:
    """The gaps that block the decision first, :data:`GAPS_IN_REMINDER` of them, and how many more there are."""
    gaps = ranked_gaps(card)
    if not gaps and not dropped:
        return "*Gaps then:* none."
    lines = [f"• *{esc(g.name)}: {g.answer}* — {esc(g.text)}" for g in gaps] + dropped
    more = len(lines) - GAPS_IN_REMINDER
    # plain: Slack does not italicise across a code span
    tail = f"\n…and {more} more: `/ftcheck summary {esc(ev.project)}` here lists every gap." if more > 0 else ""
    title = "Top gaps then" if more > 0 else "Gaps then"
    return clip(f"*{title}:*\n" + "\n".join(lines[:GAPS_IN_REMINDER]) + tail)


def reminder_text(ev: Evaluation, card: Scorecard) -> str:
    return esc(f"Time to re-evaluate {ev.project}: last time {verdict_of(card).line()}.")


# people an idle nudge mentions at most; more are counted ("and 2 more"), so it stays one short line
NUDGE_MENTIONS = 3


@dataclass(frozen=True)
class IdleWait:
    """What an idle evaluation waits for, to nudge about: its project, the question (``q1 (500+ labeled examples)``
    and its text) and who can move it on (``people``: the starter, or in a team vote whoever is still to vote)."""

    project: str
    key: str  # Question.key: "q1"
    question: str  # Question.name: "q1 (500+ labeled examples)"
    text: str
    people: list[str]  # user ids, mentioned in this order
    link: str | None = None  # the question's card


def idle_text(wait: IdleWait, *, skipped: bool = False, split: str | None = None,
              votes: tuple[int, int] | None = None, to_vote: bool = False, left_open: bool = False) -> str:
    """The idle nudge, posted in the thread: Slack's notifications and Activity show only this text, cut at about
    80 characters, so it starts with the project and the question, and mentions the people who can move it on
    (a mention reaches them whether or not they follow the thread).

    ``skipped``: the team was not sure twice; the answer goes in through the card's ⋯ menu. ``split``: the
    team's votes split and the card waits for someone to choose the team answer (``evaluation.split_wait``, which
    names them). ``votes``: a team vote's hidden votes so far and its quorum (:func:`vote_wait`); ``to_vote``:
    ``wait.people`` are those still to vote. ``left_open``: a team vote's question left without an answer by the
    starter's (or a lead's) second Not sure (``flow.left_open_by``): only the starter (``wait.people``), a lead or an
    admin picks its answer, from the ⋯ menu."""
    where = f"<{wait.link}|its card>" if wait.link else "its card"
    name, asked = esc(wait.project), f"\u201c{esc(wait.text)}\u201d"
    if split:
        return f"{name} is {split} to {wait.question}: the votes split on {where}. {asked}"
    head = f"{name} is waiting for {wait.question}"
    if wait.people:
        who = _mentions(wait.people)
        head += f", still to vote: {who}." if to_vote else f", {who}:"
    else:
        head += ":"
    if votes is not None and votes[0]:
        return f"{head} {asked} {vote_wait(wait.key, *votes, where=where)}"
    if left_open:
        return (f"{head} {asked} You, a lead or an admin can pick its answer from the ⋯ menu on {where} (the team "
                "was not sure of it twice).")
    how = f"from the ⋯ menu on {where} (the team skipped it twice)" if skipped else f"on {where}"
    return f"{head} {asked} Anyone in the channel can {'vote' if votes is not None else 'answer'} {how}."


def _mentions(people: list[str]) -> str:
    """``<@U1>, <@U2> and <@U3>``; past :data:`NUDGE_MENTIONS`, ``<@U1>, <@U2>, <@U3> and 2 more``."""
    named = [user(uid) for uid in people[:NUDGE_MENTIONS]]
    if len(people) > NUDGE_MENTIONS:
        return f"{', '.join(named)} and {len(people) - NUDGE_MENTIONS} more"
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"


def vote_wait(question_key: str, voted: int, quorum: int, *, where: str = "its card") -> str:
    """What a team vote's card waits for once someone voted: ``q1 has 3 of 4 votes: one more vote, or Reveal votes
    on its card, moves it on.`` (a card does not say who is missing: anyone in the channel may vote)."""
    more = quorum - voted
    need = "one more vote" if more == 1 else f"{more} more votes"
    if voted < EARLY_REVEAL_VOTES:  # one vote alone is no team answer: Reveal waits for a second (voting.py)
        return (f"{question_key} has {voted} of {quorum} votes: {need} {'moves' if more == 1 else 'move'} it on, or "
                f"one more and Reveal votes on {where} (the starter, a lead or an admin can reveal it now).")
    return (f"{question_key} has {voted} of {quorum} votes: {need}, or Reveal votes on {where}, "
            f"{'moves' if more == 1 else 'move'} it on.")


# -- App Home and modals ----------------------------------------------------------------------------------

def home_view(rows: list[HomeRow | UnavailableRow], tz: tzinfo, total: int | None = None, page: int = 1, *,
              projects: int | None = None, offset: int | None = None) -> Block:
    """``rows``: a page of the projects the person may see, a row per project per channel; ``projects``: how many
    projects they are (default: one per row), ``total``: how many there are in all (page ``page``, after ``offset``
    projects on the pages before it; default: full pages of :data:`HOME_MAX_ROWS`).

    The page rides in the view's ``private_metadata`` (Slack sends it back with every click on the tab), so a
    click on a row's button redraws the page the person was on (``EvaluationClick.home_page`` reads it)."""
    blocks: list[Block] = [header("ftcheck — fine-tuning readiness"),
                           context("Evaluations you took part in or can see, a row for each channel that evaluated "
                                   "a project. Scores count only answers people confirmed.")]
    if not rows:
        blocks.append(section("Nothing yet. In a channel, run `/ftcheck start &lt;project&gt;`."))
    projects = len(rows) if projects is None else projects
    total = projects if total is None else total
    offset = (page - 1) * HOME_MAX_ROWS if offset is None else offset
    footer = _home_pages(page, offset, projects, total, several=len(rows) > projects) if total > projects else []
    blocks += _home_rows(rows, tz, HOME_BLOCKS - len(blocks) - len(footer))
    return {"type": "home", "blocks": [*blocks, *footer], "private_metadata": json.dumps({"page": page})}


def _home_rows(rows: list[HomeRow | UnavailableRow], tz: tzinfo, room: int) -> list[Block]:
    """The rows in at most ``room`` blocks: without dividers when they need the room; those that still do not fit
    are named in one line."""
    drawn = [_unavailable_row(row) if isinstance(row, UnavailableRow) else _home_row(row, tz) for row in rows]
    if sum(map(len, drawn)) > room:
        drawn = [row[1:] for row in drawn]  # each row starts with its divider
    if sum(map(len, drawn)) <= room:
        return [block for row in drawn for block in row]
    out: list[Block] = []
    for i, row in enumerate(drawn):
        if len(out) + len(row) > room - 1:  # one block left for saying what is not shown
            return [*out, _not_shown(rows[i:])]
        out += row
    return out


def _not_shown(rows: list[HomeRow | UnavailableRow]) -> Block:
    """The rows of a page that Slack has no room for (its views hold 100 blocks), named whole while they fit and
    the rest counted. Pages are cut to fit (:data:`HOME_ROWS`): only a project in more channels than a page holds
    comes here."""
    head, tail = "Not shown for lack of room: ", ". `/ftcheck summary &lt;project&gt;` in its channel shows one."
    names = [f"*{esc(ev.project)}* in <#{ev.channel}>"
             for ev in (row.ev if isinstance(row, UnavailableRow) else row.current.ev for row in rows)]
    named: list[str] = []
    for name in names:
        left = len(names) - len(named) - 1
        if len(head + ", ".join([*named, name]) + f" and {left} more" * bool(left) + tail) > CONTEXT_TEXT_MAX:
            break
        named.append(name)
    left = len(names) - len(named)
    listed = ", ".join(named) + (f" and {left} more" if named and left else "") if named else f"{left} rows"
    return context(head + listed + tail)


def _home_pages(page: int, offset: int, shown: int, total: int, *, several: bool) -> list[Block]:
    """``offset``: the projects on the pages before; ``shown``: those on this page; ``several``: one of them has
    rows in several channels."""
    first = offset + 1
    span = f"{first}–{first + shown - 1}" if shown else "none"
    buttons = []
    if page > 1:
        buttons.append(button("← Newer", f"{HOME_PAGE}_newer", str(page - 1)))
    if first + shown - 1 < total:
        buttons.append(button("Older →", f"{HOME_PAGE}_older", str(page + 1)))
    rows = " (a project evaluated in several channels has a row for each)" if several else ""
    note = context(f"Showing {span} of {total} projects{rows}, newest activity first.")
    return [note, actions("home:pages", *buttons)] if buttons else [note]


def _home_row(row: HomeRow, tz: tzinfo) -> list[Block]:
    cur = row.current
    lines = [f"*{esc(cur.ev.project)}* in <#{cur.ev.channel}>" + (" · you took part" if row.took_part else ""),
             f"{_score_and_band(cur)}{_trend(cur, row.previous, tz)}{_agreement_short(cur)}"]
    rerun = _rerun(cur, row.running)
    if rerun is not None:
        where = f" · {row.running_link}" if row.running_link else ""
        lines.append(f":hourglass_flowing_sand: re-evaluation in progress: {rerun.progress} answered{where}")
    if row.running_problem:
        lines.append(f":warning: {row.running_problem}")
    if cur.done:  # reminders start once an evaluation completes
        lines.append(f"Next re-evaluation: {day(row.due, tz)}" if row.due else "Next re-evaluation: none scheduled")
    elements = [button("Summary", HOME_SUMMARY, cur.ev.id)]
    if row.running is None and not row.running_problem and cur.done:
        elements.append(button("Start re-evaluation", REEVAL_START, cur.ev.id, "primary"))
    return [divider(), section("\n".join(lines)), actions(f"home:{cur.ev.id}", *elements)]


def _trend(cur: Scored, previous: Scored | None, tz: tzinfo) -> str:
    """`` · trend ▲ +2 since 2026-03-01``, against the result before it in its channel."""
    if previous is None:
        return ""
    then = day(evaluated_at(previous.ev), tz)
    if not comparable(cur, previous):
        return f" · {then} ({previous.card.total_text}): {CHANGED_SINCE_LAST}"
    d = cur.card.total - previous.card.total
    arrow = "▲" if d > 0 else "▼" if d < 0 else "="
    return f" · trend {arrow} {signed(d)} since {then}"


def _unavailable_row(row: UnavailableRow) -> list[Block]:
    return [divider(), section(f"*{esc(row.ev.project)}* in <#{row.ev.channel}>\n:warning: Uses {row.problem}. "
                               "Its answers so far are safe.")]


def summary_modal(title: str, text: str) -> Block:
    return {"type": "modal", "title": {"type": "plain_text", "text": clip(esc(title), 24)},
            "close": {"type": "plain_text", "text": "Close"},
            "blocks": [section(chunk) for chunk in split_text(text)][:100]}


def split_text(text: str, limit: int = 2900) -> list[str]:
    """Cut mrkdwn into section-sized chunks at line breaks (a single over-long line is clipped)."""
    out: list[str] = []
    current = ""
    for line in text.split("\n"):
        line = clip(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            out.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current.strip():
        out.append(current)
    return out or ["(empty)"]
