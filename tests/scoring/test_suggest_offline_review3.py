"""Misreadings of the offline suggester found by a reviewer on a realistic support-ticket brief, one row each.

Rows as in the earlier reviews' tables: a sentence, the question it is read for and what the helper should say (an
answer, ``NONE`` or ``CAUTION``). Guard rows keep what each touched rule exists for reading as before. The reviewer's
brief follows, checked on the three questions it was misread on.
"""

from __future__ import annotations

import pytest

from scoring.checklist import Checklist
from scoring.suggest import OfflineSuggester
from tests.scoring.suggestions import CAUTION, NONE, Expected, assert_reads, suggestion_for

BRIEF = (
    "We want to fine-tune a small model to classify incoming customer support tickets into 14 routing categories "
    "(billing, login problems, shipping delays, refunds and so on). Today a prompt-only baseline on GPT-4o-mini with "
    "eight few-shot examples gets 78% accuracy on a sample the team spot-checked by hand, and the support leads say "
    "they need about 90% before routing can run without a human triage step.\n\n"
    "We have 3,000 labeled tickets exported from Zendesk over the last 18 months, labeled by two senior support "
    "agents following a one-page labeling guide. We do not have a held-out evaluation set yet, and nobody has "
    "measured how often the two agents agree. Ticket volume is around 2,500 a day, so latency and cost per call "
    "matter. The categories change roughly twice a year when the product team adds features. We have one ML "
    "engineer part-time and no budget for a labeling vendor."
)
ENGINEER = "We have one ML engineer part-time and no budget for a labeling vendor."
AGREE = "We do not have a held-out evaluation set yet, and nobody has measured how often the two agents agree."

# (sentence, question, expected)
CASES: list[tuple[str, str, Expected]] = [
    # -- 1. "no budget for <one thing>" is not "no budget" for the project ----------------------------------------
    (ENGINEER, "q14", NONE),
    ("There is no budget for an annotation agency, so the support agents label the tickets themselves.", "q14", NONE),
    ("We have 1,200 labelled tickets and no budget for outside annotators.", "q14", NONE),
    ("No budget for a labelling vendor.", "q14", NONE),
    # guards: the project's budget stated as none
    ("We have no budget.", "q14", 0.0),
    ("We have no budget for this project.", "q14", 0.0),
    ("There is zero budget.", "q14", 0.0),
    ("There is no budget for fine-tuning.", "q14", 0.0),
    ("We have no budget for it.", "q14", 0.0),
    ("We have 300 and no budget for more.", "q14", NONE),  # guard (review 4): money for one thing
    # -- 2. agreement "not measured" said with the verb "agree" --------------------------------------------------
    (AGREE, "q4", 0.0),
    (AGREE, "q10", 0.0),  # the same sentence still answers the test set
    ("We haven't checked whether the two annotators agree.", "q4", 0.0),
    ("No one has compared how often our labelers agree with each other.", "q4", 0.0),
    # guards: agreement measured, or a model checked against the labels (not two labelers)
    ("We measured how often the two agents agree: 84% of the time.", "q4", 1.0),
    ("Nobody has measured latency yet, but the two agents agree on 85% of tickets.", "q4", 1.0),
    ("We haven't checked whether the model's answers agree with the labels.", "q4", NONE),
    # -- 3. a negation in another clause of the sentence is no doubt about the engineer ---------------------------
    (ENGINEER, "q12", 1.0),
    ("Our ML engineer works on this two days a week; there is no labelling budget.", "q12", 1.0),
    ("We have no budget, but we do have an ML engineer.", "q12", 1.0),
    ("We have a data scientist who can run the training, but no GPU budget.", "q12", 1.0),
    # guards: the negation bears on the engineer, or its clause is no statement of its own
    ("Nobody on the team has fine-tuned a model.", "q12", 0.0),
    ("We have an ML engineer but she has never fine-tuned a model.", "q12", CAUTION),
    ("We have an ML engineer, but not full-time.", "q12", CAUTION),
    ("We don't have a budget or an ML engineer.", "q12", CAUTION),
    ("We have no test set and an ML engineer.", "q12", CAUTION),  # no subject of its own: "no" may cover both
    ("We have no budget and one ML engineer part-time.", "q12", CAUTION),  # the engineer is not denied: no "No"
    ("We have no budget or ML engineer.", "q12", 0.0),  # guard: "no" covers both
    ("We have no ML engineer, but the budget is fine.", "q12", 0.0),  # guard (review 4)
    ("Monitoring dashboards exist, but nobody has looked at them since March.", "q15", CAUTION),  # points back
    ("Monitoring dashboards exist; nobody has looked at them since March.", "q15", CAUTION),
    ("We have an ML engineer and no budget for this project.", "q14", 0.0),  # both read, each from its own part
    ("We have an ML engineer and no budget for this project.", "q12", 1.0),
]


@pytest.mark.parametrize(("text", "question", "expected"), CASES)
def test_reads(text: str, question: str, expected: Expected, checklist: Checklist) -> None:
    assert_reads(text, question, expected, checklist)


def test_the_reviewers_brief(checklist: Checklist) -> None:
    report = OfflineSuggester().suggest_now(BRIEF, checklist)
    assert suggestion_for(report, "q14") is None, report.suggestions
    agreement, test_set, engineer = (suggestion_for(report, q) for q in ("q4", "q10", "q12"))
    assert agreement is not None and agreement.answer == 0.0, report.suggestions
    assert agreement.evidence == AGREE
    assert test_set is not None and test_set.answer == 0.0 and test_set.evidence == AGREE
    assert engineer is not None and engineer.answer == 1.0 and engineer.evidence == ENGINEER
    assert not [c for c in report.cautions if c.question in ("q12", "q14")], report.cautions


@pytest.mark.parametrize(("text", "question", "caution"), [
    # what follows "but" about the same thing qualifies it: the doubt stays (review of the session: these read a false
    # Yes). "We have an ML engineer but no fine-tuning experience" is a Yes: an ML engineer is what q12 asks for, and
    # "but no <a new thing>" lacks something else, as "but no GPU budget" does
    ("We had an ML engineer, but there is nobody in that role now.", "q12", True),
    ("We have monitoring dashboards, but nobody watches.", "q15", True),
])
def test_a_but_clause_keeps_its_doubt(text: str, question: str, caution: bool, checklist: Checklist) -> None:
    report = OfflineSuggester().suggest_now(text, checklist)
    assert question not in {s.question for s in report.suggestions}, report.suggestions
    assert (question in {c.question for c in report.cautions}) is caution


@pytest.mark.parametrize("text", ["There is no budget for training.", "We have no budget for GPUs.",
                                  "No budget for this quarter."])
def test_no_money_for_what_fine_tuning_spends_or_for_now_is_no_budget(text: str, checklist: Checklist) -> None:
    report = OfflineSuggester().suggest_now(text, checklist)
    assert [(s.question, s.answer) for s in report.suggestions if s.question == "q14"] == [("q14", 0.0)], report
