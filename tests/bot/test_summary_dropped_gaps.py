"""A result scored before the team dropped a question from its checklist, whose answer there was a gap: the lead's
summary named no gap ("Gaps: none — every question scored in full") under a decision that question had blocked
(two-year review). The summary names it, as the reminder already did."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.blocks.leads import Scored, dropped_gaps, summary_text
from conversations.models import AnswerEntry
from scoring.checklist import Registry
from scoring.scorecard import score
from tests.conversations.test_export_review_fixes import completed

FT = Registry().get()


def test_a_gap_in_a_dropped_question_is_named_not_none() -> None:
    ev = completed({}, datetime(2030, 1, 7, 9, tzinfo=UTC))  # Yes to every question the checklist asks today
    ev.answers["pii_cleared"] = AnswerEntry(question="pii_cleared", value=0.0, by="U1", at=ev.completed_at)
    card = score(FT, {q: v for q, v in ev.scored().items() if q in {x.id for x in FT.questions}})
    assert card.gaps == []
    current = Scored(ev=ev, card=card, answered=20, questions=20, dropped=tuple(dropped_gaps(ev, FT)))
    text = summary_text(current, None, None, link="<https://x|open the thread>", tz=UTC)
    assert "*Gaps:* none" not in text
    assert "*Gaps in questions no longer in the checklist:*\n• *pii_cleared: No* — no longer in the checklist" in text
    plain = Scored(ev=ev, card=card, answered=20, questions=20)
    assert "*Gaps:* none" in summary_text(plain, None, None, link="", tz=UTC)
