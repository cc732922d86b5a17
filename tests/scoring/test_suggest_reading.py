"""Each failure kind seen on real-world descriptions, on short descriptions written for this test.

Whose number is it, negation and word sense, plain facts that were missed, evidence lost or
contradicted: the offline suggester must read the sentence, and say nothing rather than something wrong.
"""

from __future__ import annotations

import re

import pytest

from scoring.checklist import Checklist
from scoring.suggest import OfflineSuggester, SuggestionReport
from scoring.suggest.evidence import quote_in_description
from tests.scoring.suggestions import suggestion_for


def run(text: str, checklist: Checklist) -> SuggestionReport:
    report = OfflineSuggester().suggest_now(text, checklist)
    for s in report.suggestions:
        assert quote_in_description(s.evidence, text), s
    for c in report.conflicts:
        assert all(quote_in_description(q, text) for q in c.quotes), c
    return report


def answer(report: SuggestionReport, key: str) -> float | None:
    s = suggestion_for(report, key)
    return None if s is None else s.answer


# -- whose number is it -------------------------------------------------------------------------------


def test_accuracy_after_fine_tuning_is_not_a_prompting_result(checklist: Checklist) -> None:
    text = (
        "Our best prompt gets 72% of the labels right. After fine-tuning a small open model on a pilot set "
        "we measured 90% on the same evaluation set. We need 85% to switch."
    )
    report = run(text, checklist)
    assert [p["value"] for p in report.facts["prompting_accuracy"]] == [72]
    assert report.facts["target_accuracy"]["value"] == 85
    assert answer(report, "q8") == 1.0  # 85 vs 72, not 85 vs 90
    q7 = suggestion_for(report, "q7")
    assert q7 is not None and "72%" in q7.reason and "90%" not in q7.reason


def test_an_achieved_score_is_not_the_target(checklist: Checklist) -> None:
    text = "The fine-tuned classifier reached 93% on held-out mail. Prompting alone had reached 80%."
    report = run(text, checklist)
    assert "target_accuracy" not in report.facts
    assert answer(report, "q8") is None


def test_advice_in_a_reply_is_not_the_teams_fact(checklist: Checklist) -> None:
    text = (
        "Q: Should we fine-tune our claims router?\n\n"
        "We have 1,400 labeled claims. No ML engineer, and no budget set yet.\n\n"
        "A (reply from user tensor_tim): You should budget about $8k and plan 3 weeks. Keep a held-out test "
        "set of 10% and set up drift monitoring plus a rollback to the prompt."
    )
    report = run(text, checklist)
    assert answer(report, "q1") == 1.0 and answer(report, "q12") == 0.0
    for key in ("q10", "q13", "q14", "q15", "q17"):
        assert suggestion_for(report, key) is None, key


def test_a_data_history_in_months_is_not_the_schedule(checklist: Checklist) -> None:
    text = (
        "The labeled history covers 14 months of support tickets, 3,000 in all. "
        "For the project itself we have 3 weeks in April."
    )
    report = run(text, checklist)
    assert report.conflicts == []
    assert report.facts["weeks_available"]["value"] == 3
    assert answer(report, "q13") == 1.0


def test_a_range_is_one_range_not_a_conflict(checklist: Checklist) -> None:
    text = "There are only 10–12 labeled documents per permit type, roughly 450 labeled documents in total."
    report = run(text, checklist)
    assert report.conflicts == []
    assert report.facts["labeled_examples"]["value"] == 450


# -- negation and word sense ------------------------------------------------------------------------


def test_never_covered_cases_are_not_edge_case_coverage_or_monitoring(checklist: Checklist) -> None:
    text = "In production it made rare mistakes on edge cases the training data never covered."
    report = run(text, checklist)
    assert suggestion_for(report, "q2") is None and suggestion_for(report, "q15") is None


def test_a_negated_positive_phrase_becomes_a_caution_not_an_answer(checklist: Checklist) -> None:
    text = "Our examples are varied in length, but they do not include any refund requests."
    report = run(text, checklist)
    assert suggestion_for(report, "q2") is None
    [caution] = report.cautions
    assert caution.question == "q2"
    assert caution.note == "mentions 'varied' but the same sentence says 'not include' — check"  # the words
    assert quote_in_description(caution.quote, text)


@pytest.mark.parametrize(
    ("sentence", "key"),
    [
        ("Since the reorg we have a more diverse team, spread over four countries.", "q2"),
        ("The vector database SDK we picked is well documented.", "q3"),
        ("We pay $900 a month for the hosted model subscription.", "q11"),
        ("We pay $900 a month for the hosted model subscription.", "q14"),
        ("Our Trust & Safety team reviews flagged posts.", "q9"),
        ("We paste alerts into the chat model to get a first explanation.", "q15"),
    ],
)
def test_words_in_another_sense_give_no_suggestion(sentence: str, key: str, checklist: Checklist) -> None:
    assert suggestion_for(run(sentence, checklist), key) is None


def test_questions_and_wishes_are_not_statements(checklist: Checklist) -> None:
    text = (
        "Should we just use RAG over the manuals instead? We'd like a monitoring dashboard eventually. "
        "Next time we will double-label a sample before training."
    )
    report = run(text, checklist)
    for key in ("q4", "q15", "q19"):
        assert suggestion_for(report, key) is None, key


# -- plain facts that were missed -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("We hand-labeled 2,700 support chats over the winter.", 2700),
        ("The legal team labeled 9,000 question–answer pairs.", 9000),
        ("We have 40.000 sentence pairs translated by professionals.", 40000),
        ("Our two reviewers classified around 1 200 notices.", 1200),
    ],
)
def test_counts_with_any_countable_noun(text: str, value: float, checklist: Checklist) -> None:
    report = run(text, checklist)
    assert report.facts["labeled_examples"]["value"] == value
    assert answer(report, "q1") == 1.0


@pytest.mark.parametrize(
    ("text", "usd", "shown"),
    [
        ("Budget is £3,900 all in.", 4953, "£3,900"),
        ("We have a budget of 6 000 euros for this.", 6480, "€6,000"),
        ("€5k approved by finance.", 5400, "€5,000"),
        ("The budget is 2.5k USD including compute.", 2500, "$2,500"),
    ],
)
def test_money_in_any_currency(text: str, usd: float, shown: str, checklist: Checklist) -> None:
    report = run(text, checklist)
    assert report.facts["budget_usd"]["value"] == pytest.approx(usd, rel=0.01)
    q14 = suggestion_for(report, "q14")
    assert q14 is not None and q14.answer == 1.0 and shown in q14.reason


def test_a_rollback_told_in_the_past_tense(checklist: Checklist) -> None:
    text = "The fine-tuned model misrouted refunds, and after six weeks we switched back to the old model."
    report = run(text, checklist)
    assert answer(report, "q17") == 1.0
    assert suggestion_for(report, "q13") is None  # six weeks in production is not the schedule


def test_a_ceiling_told_as_a_story(checklist: Checklist) -> None:
    text = "We rewrote the prompt dozens of times and it never got past 70%."
    report = run(text, checklist)
    assert answer(report, "q7") == 1.0


# -- evidence lost or contradicted -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Prompting numbers over the last two weeks: 81 → 83 → 83 → 83.5 → 83.5",
        "Prompt iterations scored 81%, 83%, 83%, 83.5% and 83.5% on the eval set.",
    ],
)
def test_a_repeated_value_is_kept_and_the_reason_matches_the_quote(text: str, checklist: Checklist) -> None:
    report = run(text, checklist)
    assert [p["value"] for p in report.facts["prompting_accuracy"]] == [81, 83, 83, 83.5, 83.5]
    q7 = suggestion_for(report, "q7")
    assert q7 is not None and q7.answer == 1.0
    assert "One prompting result" not in q7.reason
    for value in re.findall(r"\d+(?:\.\d+)?(?=%)", q7.reason):
        assert value in q7.evidence, (value, q7.evidence)


def test_the_team_claims_a_ceiling_its_numbers_do_not_show(checklist: Checklist) -> None:
    text = "We tried 71%, then 74% with few-shot examples; honestly we are stuck."
    report = run(text, checklist)
    q7 = suggestion_for(report, "q7")
    assert q7 is not None and q7.answer == 1.0  # the decision checklist's example 1 counts 72% → 76% as a ceiling
    assert q7.caution is not None and "3 points" in q7.caution


def test_chat_lines_are_separate_sentences(checklist: Checklist) -> None:
    text = (
        "[09:12] ana: we have 1,300 labeled receipts\n"
        "[09:13] raf: budget?\n"
        "[09:13] ana: $4k approved\n"
        "[09:14] raf: no monitoring on any of this yet"
    )
    report = run(text, checklist)
    q1, q14, q15 = (suggestion_for(report, k) for k in ("q1", "q14", "q15"))
    assert q1 is not None and q1.evidence == "[09:12] ana: we have 1,300 labeled receipts"
    assert q14 is not None and q14.answer == 1.0 and q14.evidence == "[09:13] ana: $4k approved"
    assert q15 is not None and q15.answer == 0.0
