"""Misreadings of the offline suggester found in the third review (/tmp/review3/terminal/desc.txt), one row each.

Rows as in the earlier reviews' tables: a sentence, the question it is read for and what the helper should say (an
answer, ``NONE`` or ``CAUTION``). Guard rows keep what each touched rule exists for reading as before. The caution
rows check the words of the note: it names what in the sentence makes the mention doubtful.
"""

from __future__ import annotations

import pytest

from scoring.checklist import Checklist
from scoring.suggest import OfflineSuggester
from tests.scoring.suggestions import CAUTION, NONE, Expected, assert_reads, suggestion_for

RUNNING_COST = "Latency is about 2.5 seconds per ticket and cost is around $1,900 a month."
HISTORICAL = ("We have 48,000 historical tickets with their final queue labels from the last three years, though "
              "about 10% were relabelled after the fact and nobody counted how many labels are wrong.")

DESCRIPTION = "\n\n".join([  # the review's description, as pasted
    ('We run customer support for a B2B invoicing product. Our team of 14 agents handles about 2,300 '
     'tickets a week, and today a human triages every ticket into one of 9 queues (billing, bugs, '
     'integrations, onboarding, and so on). Misrouted tickets cost us roughly 40 minutes each in handoffs.'),
    ('We tried prompting GPT-4o with a long system prompt and 12 few-shot examples; it reaches 81% routing'
     ' accuracy on our held-out set of 600 labelled tickets, but accuracy has plateaued despite three '
     'rounds of prompt tuning. Latency is about 2.5 seconds per ticket and cost is around $1,900 a month.'),
    ('We have 48,000 historical tickets with their final queue labels from the last three years, though '
     'about 10% were relabelled after the fact and nobody counted how many labels are wrong. Our goal is '
     '93% accuracy and under 500 ms latency so routing happens before an agent opens the ticket.'),
    ('We have one ML engineer part-time; we no longer depend on a contractor. Budget for the project is '
     '$15,000 for compute plus $5,000 for labelling. Customer data includes names and emails, so it must '
     'stay in our AWS account under the DPA we signed. We have no evaluation pipeline yet beyond a '
     'spreadsheet.'),
])

# (sentence, question, expected)
CASES: list[tuple[str, str, Expected]] = [
    # -- 1. what the current set-up costs to run is not the value of better accuracy -------------------------------
    (RUNNING_COST, "q11", NONE),
    ("Our API cost is about $1,900 a month.", "q11", NONE),
    ("Inference costs are around $3,000 a month at today's volume.", "q11", NONE),
    ("The current prompt costs about $1,900 a month in tokens.", "q11", NONE),
    # guards: an estimate of what the improvement (or the errors it removes) is worth stays Yes
    ("Saving 10 hours a week is worth about $25K a year.", "q11", 1.0),
    ("Misrouted tickets cost us about $3,000 a month in handoffs.", "q11", 1.0),
    ("Missed clauses cost us about $200k of liability a year.", "q11", 1.0),
    ("It would save $40k a year in review time.", "q11", 1.0),
    ("The cost of misrouted tickets is about $30,000 a year.", "q11", 1.0),
    ("Every point of accuracy is roughly €40k a year in fewer returns.", "q11", 1.0),
    # -- 2. a hedge elsewhere in the sentence: still a caution, no answer ------------------------------------------
    (HISTORICAL, "q5", CAUTION),
    ("All examples are real customer emails.", "q5", 1.0),  # guard: no hedge, an answer
]


@pytest.mark.parametrize(("text", "question", "expected"), CASES)
def test_reads(text: str, question: str, expected: Expected, checklist: Checklist) -> None:
    assert_reads(text, question, expected, checklist)


def test_the_review_description_has_no_impact_estimate(checklist: Checklist) -> None:
    assert_reads(DESCRIPTION, "q11", NONE, checklist)
    assert_reads(DESCRIPTION, "q5", CAUTION, checklist)


# (sentence, question, words the caution quotes as its reason)
CAUTIONS: list[tuple[str, str, str]] = [
    (HISTORICAL, "q5", "mentions 'historical tickets' but the same sentence says 'nobody counted' — check"),
    ("Our examples are varied in length, but they do not include any refund requests.", "q2",
     "mentions 'varied' but the same sentence says 'not include' — check"),
]


@pytest.mark.parametrize(("text", "question", "note"), CAUTIONS)
def test_a_caution_names_the_words_that_make_it_doubtful(text: str, question: str, note: str,
                                                          checklist: Checklist) -> None:
    report = OfflineSuggester().suggest_now(text, checklist)
    assert suggestion_for(report, question) is None
    [caution] = [c for c in report.cautions if c.question == question]
    assert caution.note == note
    assert "negative sentence" not in caution.note
