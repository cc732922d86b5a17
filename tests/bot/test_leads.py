"""Leads' views over real Redis and the Slack stand-in: summary, list, history, export, remind, delete, App Home,
and privacy (an evaluation in a private channel never shows up elsewhere)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from bot.blocks.common import esc
from bot.blocks.scorecard import verdict_line
from conversations.reminders import SCHEDULES, ReminderQueue, WorkingHours
from conversations.store import Store
from scoring.checklist import Registry
from scoring.scorecard import normalize_answers, score
from tests.bot.harness import Bot, running_bot
from tests.standins.redis_server import RedisServer
from tests.standins.signing import block_actions_body, decode_payload, payload_form
from tests.standins.slack_api import SlackStandIn

EXAMPLES: dict[str, Any] = json.loads(
    (Path(__file__).parent.parent / "data" / "worked_examples.json").read_text())["examples"]
BRIEFS = Path(__file__).parent.parent / "data" / "briefs"
CHECKLIST = Registry().get()
BANDS = {"strong": "Strong go", "conditional": "Conditional go", "weak": "Weak candidate",
         "dont": "Don't fine-tune yet"}
PRIVATE = "GLEADS1"
ADMIN = "UADMIN5"
LEAD = "U9"


def texts(blocks: list[dict[str, Any]]) -> str:
    out = []
    for b in blocks:
        if isinstance(b.get("text"), dict):
            out.append(b["text"]["text"])
        out += [el["text"] if isinstance(el.get("text"), str) else el.get("text", {}).get("text", "")
                for el in b.get("elements", []) if isinstance(el, dict)]
    return "\n".join(out)


def people(slack: SlackStandIn) -> None:
    """Known users (the stand-in keeps users between tests, so set every one this module relies on)."""
    for uid in ("U1", "U2", "U3", "U4", LEAD):
        slack.set_user(uid)
    slack.set_user(ADMIN, is_admin=True)
    slack.set_channel(PRIVATE, name="secret-ml", is_private=True, members=["UBOT", "U1", "U2"])


async def ask(bot: Bot, text: str, *, user: str = "U1", channel: str = "C1") -> str:
    """Run `/ftcheck <text>` and return the (ephemeral) answer."""
    return await bot.reply_to(text, user=user, channel=channel)


async def evaluate(bot: Bot, project: str, answers: dict[str, float | None], *, channel: str = "C1",
                   user: str = "U1", users: tuple[str, ...] = ("U1", "U2", "U3")) -> None:
    """Start an evaluation with `/ftcheck start` and click every card through to the scorecard."""
    await start(bot, project, channel=channel, user=user)
    await bot.answer_all(answers, users=list(users), channel=channel)
    await bot.slack.wait_for(lambda: bot.scorecard(channel) is not None, what="scorecard")
    await bot.settle(quiet_s=0.05)


async def start(bot: Bot, project: str, *, channel: str = "C1", user: str = "U1") -> None:
    roots = len(bot.slack.messages(channel, top_level=True))
    status, _ = await bot.command(f"start {project}", user=user, channel=channel)
    assert status == 200
    await bot.slack.wait_for(lambda: len(bot.slack.messages(channel, top_level=True)) > roots
                             and bot.open_card(channel) is not None, what=f"first card of {project}")


async def open_home(bot: Bot, user: str) -> str:
    before = len(bot.slack.calls_to("views.publish"))
    status, _ = await bot.event({"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home",
                                 "event_ts": "1700000000.000100"})
    assert status == 200
    await bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.publish")) > before, what="home published")
    view = bot.slack.home_view(user)
    assert view is not None
    return texts(view["blocks"])


async def home_click(bot: Bot, user: str, action_id: str, value: str) -> None:
    """A button on the App Home tab as Slack sends it: no channel, no message, container type "view", and the
    published view itself (blocks, private_metadata and all)."""
    view = bot.slack.home_view(user)
    assert view is not None
    payload = decode_payload(block_actions_body(user_id=user, channel_id="x", message_ts="1.1", thread_ts=None,
                                                action_id=action_id, value=value, response_url="",
                                                trigger_id=f"trig-home-{action_id}"))
    for key in ("channel", "message", "response_url"):
        payload.pop(key, None)
    payload["container"] = {"type": "view", "view_id": view["id"]}
    payload["view"] = {**view, "team_id": "T0001"}
    status, _ = await bot.post(payload_form(payload))
    assert status == 200


def expected_card(example: str) -> Any:
    return score(CHECKLIST, normalize_answers(CHECKLIST, EXAMPLES[example]["answers"]))


def today(days: int = 0) -> str:
    return f"{datetime.now(UTC) + timedelta(days=days):%Y-%m-%d}"


@pytest.mark.parametrize("name", list(EXAMPLES))
async def test_summary_of_each_worked_example(name: str, slack: SlackStandIn, redis_server: RedisServer,
                                              redis_client: aioredis.Redis) -> None:
    example = EXAMPLES[name]
    people(slack)
    total, band = example["expected"]["total"], BANDS[example["expected"]["band"]]
    async with running_bot(slack, redis_server.url) as bot:
        await evaluate(bot, example["title"], example["answers"])
        text = await ask(bot, f"summary {example['title'].lower()}")

        line = verdict_line(expected_card(name))  # the decision first, with the tree-vs-band warning
        assert text.startswith(f"*{example['title']}* — {line}"), text
        assert f"{total:g}/20" in line and (esc(band) in line or "Not yet" in line)
        for section in CHECKLIST.sections:  # every section as a small bar, never in code style (Slack shows it red)
            assert re.search(rf"^[▰▱]{{10}}  [\d.]+/\d+ {re.escape(esc(section.title))}$", text, re.M), section.title
        assert "`" not in text.partition("*Sections*")[2].partition("*Decision tree:*")[0]
        assert "*Decision tree:*" in text
        assert ("would be Conditional go" in text) == example["expected"]["disagree"]
        gaps = [g for group in expected_card(name).gaps for g in group.gaps]
        assert len(gaps) == sum(v is not None and v < 1 for v in example["answers"].values())
        for g in gaps:  # each gap with its next step (a No's, or a partial answer's own)
            assert f"*{esc(g.name)}: {g.answer}* — " in text and esc(g.next_step) in text
        if not gaps:
            assert "*Gaps:* none" in text
        assert "Answered by <@U1> (7 answers), <@U2> (7 answers), <@U3> (6 answers)" in text
        assert "completed <!date^" in text and today() in text
        root = slack.messages("C1", top_level=True)[-1]
        assert f"/archives/C1/p{root.ts.replace('.', '')}|open the thread>" in text
        assert " since " not in text  # nothing to compare with yet

        channel_text = await ask(bot, "summary")  # without a project: this channel's evaluations
        assert line in channel_text


async def test_change_since_previous_in_summary_history_and_list(slack: SlackStandIn, redis_server: RedisServer,
                                                                 redis_client: aioredis.Redis) -> None:
    people(slack)
    title = "Medical Diagnosis Prediction"
    async with running_bot(slack, redis_server.url) as bot:
        await evaluate(bot, title, EXAMPLES["example2_medical_diagnosis"]["answers"])
        await evaluate(bot, title, EXAMPLES["example3_code_generation"]["answers"], user="U2")
        before, after = expected_card("example2_medical_diagnosis"), expected_card("example3_code_generation")

        summary = await ask(bot, f"summary {title}")
        assert f"*Strong go* — 18.5/20, and the decision tree agrees, though q13 (2–4 week timeline) was " \
            f"answered Partly · +6.5 since {today()} (12/20)" in summary
        for s_new, s_old in zip(after.sections, before.sections, strict=True):
            d = s_new.score - s_old.score
            assert f"{s_new.score:g}/{s_new.max:g} {esc(s_new.title)} ({'+' if d >= 0 else ''}{d:g})" in summary

        history = await ask(bot, f"history {title}")
        entries = [line for line in history.splitlines() if line.startswith("• ")]
        assert len(entries) == 2
        assert "the score alone, 12/20, would be Conditional go" in entries[0] and "started by <@U1>" in entries[0]
        assert "*Strong go* — 18.5/20" in entries[1] and "started by <@U2>" in entries[1]
        assert "Δ total +6.5" in history
        for s_new, s_old in zip(after.sections, before.sections, strict=True):
            d = s_new.score - s_old.score
            assert f"{esc(s_new.title)} {'+' if d >= 0 else ''}{d:g}" in history
        assert history.count("|open the thread>") == 2

        listing = await ask(bot, "list")
        rows = [line for line in listing.splitlines() if line.startswith("• ")]
        assert len(rows) == 1  # one project, its latest score
        assert f"*{title}* in <#C1> — {verdict_line(after)} · done · last evaluated {today()}" in rows[0]
        assert f"next reminder {today(90)}" in rows[0] and "2 evaluations" in rows[0]


async def test_list_shows_progress_and_next_reminder(slack: SlackStandIn, redis_server: RedisServer,
                                                     redis_client: aioredis.Redis) -> None:
    people(slack)
    async with running_bot(slack, redis_server.url) as bot:
        await evaluate(bot, "Ticket router", EXAMPLES["example1_support_intent"]["answers"])
        await start(bot, "Contract <clauses> & co")
        await bot.answer_all(EXAMPLES["example2_medical_diagnosis"]["answers"], limit=5)
        await bot.settle(quiet_s=0.05)

        listing = await ask(bot, "list")
        rows = [line for line in listing.splitlines() if line.startswith("• ")]
        assert len(rows) == 2
        running, done = rows  # the newest activity first
        assert "*Contract &lt;clauses&gt; &amp; co*" in running
        assert f"in progress, 5/20 answered · started {today()} · 1 evaluation" in running, running
        assert "last evaluated" not in running and "reminder" not in running  # never evaluated; no reminder yet
        assert "*Ticket router* in <#C1> — :white_check_mark: *Strong go* — 20/20, and the decision tree agrees " \
            "· done" in done
        assert f"last evaluated {today()}" in done and f"next reminder {today(90)}" in done

        status = await ask(bot, "summary contract <clauses> & co")  # no completed evaluation yet: provisional
        assert "2.5/20 so far" in status and "15 unanswered" in status


async def test_export_uploads_the_decision_record(slack: SlackStandIn, redis_server: RedisServer,
                                                  redis_client: aioredis.Redis) -> None:
    people(slack)
    example = EXAMPLES["example2_medical_diagnosis"]
    async with running_bot(slack, redis_server.url) as bot:
        await start(bot, example["title"])
        await bot.command("suggest " + (BRIEFS / "example2_medical_diagnosis.md").read_text())
        await slack.wait_for(lambda: any("from the description given to" in m.text for m in bot.thread()),
                             timeout=8, what="suggestion report")
        await bot.answer_all(example["answers"], users=["U1", "U2"])
        await slack.wait_for(lambda: bot.scorecard() is not None, what="scorecard")
        ev = (await Store(redis_client).channel_evaluations("T0001", "C1"))[0]
        quoted = [a for a in ev.answers.values() if a.suggestion is not None]
        assert quoted, "the offline suggester should have suggested some answers"

        for fmt in ("md", "csv", "json"):
            await bot.command(f"export {example['title']} {fmt}", user="U2")
        await slack.wait_for(lambda: len(slack.files) == 3, what="three uploads")
        files = {f.filename.rsplit(".", 1)[1]: f for f in slack.files}
        stamp = f"{ev.started_at:%Y%m%d}"
        assert {f.filename for f in files.values()} == {f"ftcheck-medical-diagnosis-prediction-{stamp}.{x}"
                                                        for x in ("md", "csv", "json")}
        assert all(f.channel_id == "C1" and "requested by <@U2>" in (f.initial_comment or "")
                   for f in files.values())

        md = (files["md"].content or b"").decode()
        assert md.startswith("# Decision log: Medical Diagnosis Prediction")
        assert "**⚠ Not yet** — q1 (500+ labeled examples) blocks it; the score alone, 12/20, would be Conditional go" \
            in md.splitlines()[2] and "## Decision tree" in md and "**Where it ends:**" in md
        assert "U1 (U1)" in md and f"{ev.started_at.isoformat()}" in md
        assert quoted[0].suggestion is not None and quoted[0].suggestion.evidence.split("|")[0][:40] in md
        assert "/archives/C1/p" in md  # link to the thread

        data = json.loads(files["json"].content or b"")
        assert data["scorecard"]["total"] == 12 and data["scorecard"]["band"] == "conditional"
        assert data["scorecard"]["decision_tree"]["agrees_with_band"] is False
        assert len(data["answers"]) == 20 and all(a["by"] and a["at"] for a in data["answers"])
        assert any(a["suggestion_quote"] for a in data["answers"])

        rows = list(csv.DictReader(io.StringIO((files["csv"].content or b"").decode("utf-8-sig"))))
        answers = [r for r in rows if re.fullmatch(r"q\d+", r["question"])]
        assert len(answers) == 20 and answers[0]["answer"] == "0.0" and answers[0]["by"] == "U1 (U1)"
        extra = {r["question"]: r["text"] for r in rows if r not in answers}
        assert extra["total"] == "12 of 20" and extra["band"] == "Conditional go" and extra["verdict"]
        assert not slack.ephemerals("C1", user="U2")  # nothing went wrong


async def test_remind_and_delete_only_by_starter_leads_or_admins(slack: SlackStandIn, redis_server: RedisServer,
                                                                 redis_client: aioredis.Redis) -> None:
    people(slack)
    queue = ReminderQueue(Store(redis_client))
    async with running_bot(slack, redis_server.url, FTCHECK_LEADS=LEAD) as bot:
        await evaluate(bot, "Router", EXAMPLES["example1_support_intent"]["answers"], user="U1")
        ev = (await Store(redis_client).channel_evaluations("T0001", "C1"))[0]
        due = await queue.due_at(ev.id)
        assert due is not None and f"{due:%Y-%m-%d}" == today(90)

        for verb in ("remind Router monthly", "delete Router"):
            denied = await ask(bot, verb, user="U2")
            assert denied.startswith("Only <@U1> (who started the evaluation of *Router*)"), denied
            assert ", a workspace admin or the ftcheck lead <@U9> can" in denied, denied  # the leads, by name
            assert "FTCHECK_LEADS" not in denied  # a setting people in the channel never see
        assert await queue.due_at(ev.id) == due

        month = WorkingHours.parse("always").after(datetime.now(UTC), SCHEDULES["monthly"])  # a calendar month
        assert f"monthly. Next one {month:%Y-%m-%d}" in await ask(bot, "remind Router monthly", user=LEAD)
        assert await queue.every(ev.id) == timedelta(days=30)
        assert "once on 2031-03-03" in await ask(bot, "remind router 2031-03-03", user=ADMIN)
        moved = await queue.due_at(ev.id)
        assert moved is not None and f"{moved:%Y-%m-%d}" == "2031-03-03" and await queue.every(ev.id) is None
        assert "in the past" in await ask(bot, "remind Router 2020-01-01")
        assert "are off" in await ask(bot, "remind Router off")
        assert await queue.due_at(ev.id) is None
        assert "quarterly" in await ask(bot, "remind Router quarterly")
        assert await queue.every(ev.id) == timedelta(days=91)
        assert "No evaluation of *Nope*" in await ask(bot, "remind Nope quarterly")

        deleted = await ask(bot, "delete Router", user=ADMIN)
        assert "Deleted the" in deleted and "in <#C1> (it scored " in deleted, deleted  # which one, said plainly
        assert await queue.due_at(ev.id) is None
        assert "No evaluations you can see" in await ask(bot, "list", user="U3")
        await slack.wait_for(lambda: "deleted by <@UADMIN5>" in texts(slack.messages("C1", top_level=True)[-1].blocks),
                             what="root says deleted")


async def test_private_channel_evaluation_stays_private(slack: SlackStandIn, redis_server: RedisServer,
                                                        redis_client: aioredis.Redis) -> None:
    people(slack)
    secret = "Secret Merger Model"
    async with running_bot(slack, redis_server.url) as bot:
        await evaluate(bot, secret, EXAMPLES["example1_support_intent"]["answers"], channel=PRIVATE,
                       users=("U1", "U2"))
        await evaluate(bot, "Open Router", EXAMPLES["example4_marketing_subject_lines"]["answers"])

        # U3 is in #ml-team (C1) but not in the private channel
        outsider = [await ask(bot, "list", user="U3"), await ask(bot, "summary", user="U3"),
                    await ask(bot, f"summary {secret}", user="U3"), await ask(bot, f"history {secret}", user="U3"),
                    await ask(bot, f"export {secret}", user="U3")]
        assert "Open Router" in outsider[0] and "Open Router" in outsider[1]
        assert all(secret not in t for t in outsider[:2]), outsider
        assert all(t.startswith(f"No evaluation of *{secret}* that you can see here") for t in outsider[2:])
        assert slack.files == []
        home = await open_home(bot, "U3")
        assert "Open Router" in home and secret not in home

        # U2 is a member: it shows inside the private channel and in U2's Home, never in another channel
        assert secret in await ask(bot, "list", user="U2", channel=PRIVATE)
        assert "*Strong go* — 20/20" in await ask(bot, f"summary {secret}", user="U2", channel=PRIVATE)
        assert secret not in await ask(bot, "list", user="U2")
        assert secret in await open_home(bot, "U2")

        # asked of Slack, not guessed
        assert any(c.params.get("channel") == PRIVATE for c in slack.calls_to("conversations.info"))
        assert any(c.params.get("channel") == PRIVATE for c in slack.calls_to("conversations.members"))


async def test_home_tab_shows_band_trend_and_next_reevaluation(slack: SlackStandIn, redis_server: RedisServer,
                                                               redis_client: aioredis.Redis) -> None:
    people(slack)
    title = "Medical Diagnosis Prediction"
    async with running_bot(slack, redis_server.url) as bot:
        assert "Nothing yet" in await open_home(bot, "U4")
        await evaluate(bot, title, EXAMPLES["example2_medical_diagnosis"]["answers"])
        await evaluate(bot, title, EXAMPLES["example3_code_generation"]["answers"])

        home = await open_home(bot, "U1")
        assert f"*{title}* in <#C1> · you took part" in home
        assert "answered Partly · trend ▲ +6.5" in home and "*Strong go* — 18.5/20" in home
        assert f"Next re-evaluation: {today(90)}" in home
        view = slack.home_view("U1")
        assert view is not None
        buttons = [el for b in view["blocks"] if b["type"] == "actions" for el in b["elements"]]
        assert [b["text"]["text"] for b in buttons] == ["Summary", "Start re-evaluation"]
        assert "· you took part" not in await open_home(bot, "U4")

        await home_click(bot, "U1", "home_summary", buttons[0]["value"])
        await slack.wait_for(lambda: len(slack.calls_to("views.open")) == 1, what="summary modal")
        modal = slack.calls_to("views.open")[0].params["view"]
        assert modal["type"] == "modal" and "+6.5 since" in texts(modal["blocks"])

        await home_click(bot, "U1", "reeval_start", buttons[1]["value"])
        await slack.wait_for(lambda: f"Re-evaluation: {title}" in texts(slack.messages("C1", top_level=True)[-1]
                                                                         .blocks), what="re-evaluation thread")
        await slack.wait_for(lambda: "in progress: 0/20 answered" in texts((slack.home_view("U1") or {})["blocks"]),
                             what="home refreshed")
        assert "Start re-evaluation" not in texts((slack.home_view("U1") or {})["blocks"])


async def test_delete_takes_the_evaluation_of_the_channel_it_is_run_in(slack: SlackStandIn, redis_server: RedisServer,
                                                                       redis_client: aioredis.Redis) -> None:
    async with running_bot(slack, redis_server.url) as bot:
        await evaluate(bot, "Beta", EXAMPLES["example1_support_intent"]["answers"], channel="C1")
        await start(bot, "Beta", channel="C2")  # the latest evaluation of Beta, in another channel
        deleted = await ask(bot, "delete Beta", channel="C1")
        assert "in <#C1> (it scored " in deleted, deleted
        store = Store(redis_client)
        assert [ev.status for ev in await store.channel_evaluations("T0001", "C2")] == ["in_progress"]
        assert await store.channel_evaluations("T0001", "C1") == []  # deleted ones are hidden
