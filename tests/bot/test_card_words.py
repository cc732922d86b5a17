"""What an answered card and its notices call things: one name for the ⋯ menu, no "Change to" the answer a card
already has, times in the reader's zone, no claim about where the scorecard sits in the thread."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.blocks.evaluation import open_card_blocks, record_menu, root_blocks
from bot.blocks.notices import notice_text
from conversations.flow import Notice, Outcome
from conversations.models import AnswerEntry, Evaluation
from scoring.checklist import Registry

FT = Registry().get()


def evaluation(**answers: float) -> Evaluation:
    at = datetime(2030, 1, 7, tzinfo=UTC)
    entries = {FT.question(k).id: AnswerEntry(question=FT.question(k).id, value=v, by="U1", at=at)
               for k, v in answers.items()}
    return Evaluation(team="T1", channel="C1", thread_ts="1.1", project="Router", project_key="router",
                      checklist=FT.id, started_by="U1", answers=entries)


def test_the_menu_offers_only_answers_the_card_does_not_have() -> None:
    ev = evaluation(q1=1.0)
    labels = [o["text"]["text"] for o in record_menu(ev, FT, FT.question("q1").id)["options"]]
    assert labels == ["Change to Partly", "Change to No", "Add a note…"]


def test_notices_name_the_menu_and_give_the_time_in_the_readers_zone() -> None:
    at = datetime(2030, 1, 7, 16, 57, tzinfo=UTC)
    taken = notice_text(Outcome(status="refused", notice=Notice(kind="taken", question="q1", by="U2", label="Yes",
                                                                 at=at, actor="U3")))
    assert taken is not None and "the ⋯ menu on its card (“Change to …”)" in taken
    assert f"<!date^{int(at.timestamp())}^" in taken and "UTC)" not in taken.split("|")[0]
    assert "Change answer" not in taken


def test_the_root_of_a_completed_evaluation_links_the_scorecard_without_placing_it() -> None:
    ev = evaluation(**{q.key: 1.0 for q in FT.questions})
    ev.status, ev.completed_at = "completed", datetime(2030, 1, 7, tzinfo=UTC)
    text = str(root_blocks(ev, FT, "https://x.slack.com/archives/C1/p2"))
    assert "details in <https://x.slack.com/archives/C1/p2|the scorecard>." in text
    assert "last message" not in text  # a reminder posted later in the thread would make it false


def test_a_gate_card_shows_its_pass_criteria() -> None:
    gate = Registry().get("deployment-quality")
    q1 = gate.questions[0]
    assert q1.criteria
    ev = Evaluation(team="T1", channel="C1", thread_ts="1.1", project="Router", project_key="router",
                    checklist=gate.id, started_by="U1")
    head = open_card_blocks(ev, gate, q1.id)[0]["text"]["text"]
    assert head.startswith("*Question 1 of 10*") and "*Passes if:* " in head and q1.criteria[:20] in head
