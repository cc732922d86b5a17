"""Key phrases that matched the start of a longer word ("after" in "afternoon", "every" in "everyone"): one row each.

Each row is a sentence, the question it is read for and what the helper should say (an answer, ``NONE`` or
``CAUTION``, as in :mod:`tests.scoring.suggestions`). Guard rows keep the whole word each touched cue exists for
reading as before, with the endings it needs ("schedules", "keeps", "continuously").
"""

from __future__ import annotations

import pytest

from scoring.checklist import Checklist
from scoring.suggest import OfflineSuggester
from tests.scoring.suggestions import NONE, Expected, assert_reads, suggestion_for
from tests.scoring.test_suggest_offline import brief

CASES: list[tuple[str, str, Expected]] = [
    # q20, maintenance plan: "after" / "every" / "plan" as words
    ("If something goes wrong, a retrain takes an afternoon.", "q20", NONE),
    ("Retraining everything from scratch would be expensive.", "q20", NONE),
    ("We retrain after each release.", "q20", 1.0),
    ("We retrain every month on the newly labeled tickets.", "q20", 1.0),
    ("Retraining is scheduled monthly.", "q20", 1.0),
    ("Retraining is planned for each quarter.", "q20", 1.0),
    # q3, task definition: "spec" in "specifically"
    ("The prompt was written specifically for the support team.", "q3", NONE),
    ("The first version was documented specially for the auditors.", "q3", NONE),
    ("We have a written specification of the output format.", "q3", 1.0),
    ("Each label has written definitions with examples.", "q3", 1.0),
    # q6, new data: "every" in "everyone", "everything"
    ("We shared the new tickets with everyone on the support team last week.", "q6", NONE),
    ("The fresh data looked fine to everyone who saw it.", "q6", NONE),
    ("New tickets arrive every day.", "q6", 1.0),
    ("New tickets keep coming in from the help centre.", "q6", 1.0),
    # q15, monitoring: no monitoring is No, whoever someone talks to "everyone"
    ("There is no monitoring yet; Priya checks in with everyone on Fridays.", "q15", 0.0),
    ("We have no monitoring, and nobody reviews everything the model says.", "q15", 0.0),
    ("There is no monitoring; someone checks a sample of outputs by hand once a week.", "q15", 0.5),
    # q7, prompting plateau: "not helpful" said of anything is no "prompting did not help"
    ("The vendor's support was not helpful.", "q7", NONE),
    ("More prompt work did not help.", "q7", 1.0),
    ("Adding more few-shot examples has not improved accuracy.", "q7", 1.0),
]


@pytest.mark.parametrize(("text", "question", "expected"), CASES, ids=[f"{q}-{t[:40]}" for t, q, _ in CASES])
def test_a_cue_matches_whole_words(text: str, question: str, expected: Expected, checklist: Checklist) -> None:
    assert_reads(text, question, expected, checklist)


def test_the_support_brief_quotes_its_retraining_plan_for_q20(checklist: Checklist) -> None:
    report = OfflineSuggester().suggest_now(brief("example1_support_intent"), checklist)
    q20 = suggestion_for(report, "q20")
    assert q20 is not None and q20.answer == 1.0
    assert q20.evidence.startswith("Retraining plan: monthly on the newly labeled tickets"), q20.evidence
