"""Misreadings of real descriptions found in review: each read says something the text does not.

People confirm every score, and the helper says nothing rather than something wrong: a lapse or a spec's
worked examples give no answer; a single prompting number is a ceiling not shown yet (a reasoned No); a held-out
share, a dataset told beside an agreement test and a list pasted as one line are read as what they say.
"""

from __future__ import annotations

import pytest

from scoring.checklist import Checklist
from scoring.suggest import OfflineSuggester, SuggestionReport
from scoring.suggest.evidence import quote_in_description, sentences
from scoring.suggest.reading import sentence_negated
from tests.scoring.suggestions import suggestion_for

# The review's invoice description (d2), as pasted with its line breaks
INVOICES = """Project: Invoice field extraction (Rechnungen)

Background
- We have about 2k labelled invoices, annotated by two accountants; inter-annotator agreement was roughly 82%.
- Prompt engineering: we went through 6 iterations over 3 months; accuracy went 78% -> 80% -> 81% -> 81.5%. It has plateaued.
- Target: 90% field-level accuracy, which we'd need for the business case.
- Held-out test set: 300 invoices, never seen during prompt tuning.
- Budget: €6,000 for compute and labeling.
- Timeline: we can spend 3 weeks on this.
- We don't have an ML engineer; Priya (backend) would own it.
- Monitoring: none yet. There is no rollback plan.
- Die Rechnungen kommen aus 12 Ländern, also ist die Vielfalt hoch.
"""  # noqa: E501


def run(text: str, checklist: Checklist) -> SuggestionReport:
    report = OfflineSuggester().suggest_now(text, checklist)
    for s in report.suggestions:
        assert quote_in_description(s.evidence, text), s
    assert report.dropped == []
    return report


def caution_for(report: SuggestionReport, key: str) -> str | None:
    return next((c.note for c in report.cautions if c.question == key), None)


# -- 1. someone who left is no help now -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The contractor who could run fine-tuning left in March.",
        "We are not going to hire an ML engineer; the contractor who did the POC left in March.",
        "Our contractor left in March.",
        "Our ML engineer who built the POC left in March.",
        "The consultant, who set up the first model, has left.",
    ],
)
def test_someone_who_left_gives_no_answer(text: str, checklist: Checklist) -> None:
    report = run(text, checklist)
    assert suggestion_for(report, "q12") is None, report.suggestions
    assert caution_for(report, "q12") is not None  # a note to check, not silence


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We have a contractor who can run fine-tuning.", 0.5),
        ("Priya, our ML engineer, has 3 weeks left for this.", 1.0),  # time left over, not someone leaving
        ("No one on the team has trained a model before, we'd probably hire a contractor.", 0.0),
    ],
)
def test_outside_help_and_time_left_still_read(text: str, expected: float, checklist: Checklist) -> None:
    s = suggestion_for(run(text, checklist), "q12")
    assert s is not None and s.answer == expected, s


# -- 2. a held-out share is not a prompting result ------------------------------------------------------


def test_a_held_out_share_counts_for_q10_and_is_no_prompting_result(checklist: Checklist) -> None:
    report = run(
        "We keep a held-out test set of 300 examples (15%) that was never used for prompt tuning.", checklist
    )
    assert "prompting_accuracy" not in report.facts
    assert suggestion_for(report, "q7") is None and caution_for(report, "q7") is None
    q10 = suggestion_for(report, "q10")
    assert q10 is not None and q10.answer == 1.0
    assert "15%" in q10.reason and "not stated" not in q10.reason


@pytest.mark.parametrize(
    ("text", "share", "expected"),
    [
        ("We have a held-out test set of 15% of the data, stratified.", 15, 1.0),
        ("We hold out 5% for testing.", 5, 0.5),
        ("A 20% test split is kept aside; GPT-4 gets 74% on it.", 20, 1.0),
    ],
)
def test_the_stated_share_decides_q10(text: str, share: float, expected: float, checklist: Checklist) -> None:
    report = run(text, checklist)
    assert report.facts["test_share"]["value"] == share
    q10 = suggestion_for(report, "q10")
    assert q10 is not None and q10.answer == expected, q10


def test_a_score_on_the_test_set_is_still_a_prompting_result(checklist: Checklist) -> None:
    report = run("On our held-out set (15% of data) we get 80% accuracy with prompting.", checklist)
    assert [p["value"] for p in report.facts["prompting_accuracy"]] == [80]
    assert report.facts["test_share"]["value"] == 15


def test_never_seen_during_tuning_is_what_holds_a_set_out(checklist: Checklist) -> None:
    text = "Held-out test set: 300 of our 2,000 examples, never seen during prompt tuning."
    report = run(text, checklist)
    assert caution_for(report, "q10") is None
    q10 = suggestion_for(report, "q10")
    assert q10 is not None and q10.answer == 1.0 and "15% of 2,000" in q10.reason, q10


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("held-out test set: 300 invoices, never seen during prompt tuning.", False),
        ("the test set was not used for training.", False),
        ("we have no held-out test set.", True),
        ("the test set was never used.", True),  # no process named: could be a set nobody uses
    ],
)
def test_kept_apart_is_not_a_negation(sentence: str, negated: bool) -> None:
    assert sentence_negated(sentence) is negated


# -- 3. one prompting number is no ceiling, and no proof against one -----------------------------------


def test_one_prompting_result_is_a_ceiling_not_shown_yet(checklist: Checklist) -> None:
    """The review asked for no answer here. The question asks for a ceiling shown over 5 iterations, one try has
    not shown one, and the source's labels score it 0: a No whose reason says why, quoting the result."""
    report = run("We tried prompting and accuracy is 71%.", checklist)
    q7 = suggestion_for(report, "q7")
    assert q7 is not None and q7.answer == 0.0
    assert "71%" in q7.reason and "5 iterations" in q7.reason


# -- 4. a list pasted as one line -------------------------------------------------------------------------


def test_a_list_pasted_as_one_line_reads_like_the_list(checklist: Checklist) -> None:
    flat = INVOICES.replace("\n", " ")
    report, lined = run(flat, checklist), run(INVOICES, checklist)
    q1, q4 = suggestion_for(report, "q1"), suggestion_for(report, "q4")
    assert q1 is not None and q1.answer == 1.0 and "2,000" in q1.reason, q1
    assert q4 is not None and q4.answer == 1.0 and "82%" in q4.reason, q4
    assert report.conflicts == []
    for s in report.suggestions:
        for part in s.evidence.split(" … "):
            assert " - " not in part, s.evidence  # one item per quote
    assert {(s.question, s.answer) for s in report.suggestions} == {(s.question, s.answer) for s in lined.suggestions}


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("Notes * Data: 800 labeled * Budget: $1,500 * Rollback: none",
         ["Notes", "Data: 800 labeled", "Budget: $1,500", "Rollback: none"]),
        ("Status • 2k invoices • Budget: $4k", ["Status", "2k invoices", "Budget: $4k"]),
        ("Plan: 1) Collect data 2) Label it 3) Train.", ["Plan:", "Collect data", "Label it", "Train."]),
        ("Plan: 1. Label 2k invoices. 2. Train a model.", ["Plan:", "Label 2k invoices.", "Train a model."]),
        ("It has plateaued. - Target: 90%.", ["It has plateaued.", "Target: 90%."]),
        ("We need 10 - 20 examples per class.", ["We need 10 - 20 examples per class."]),
        ("Accuracy went 78% - 80% overall.", ["Accuracy went 78% - 80% overall."]),
        ("A state-of-the-art model gave a -5 point change.", ["A state-of-the-art model gave a -5 point change."]),
        ("We use GPT-4 - OpenAI's model - for this.", ["We use GPT-4 - OpenAI's model - for this."]),
        ("We have 2k examples - all labelled by experts.", ["We have 2k examples - all labelled by experts."]),
        ("Version 2. It was better.", ["Version 2.", "It was better."]),
        ("priya: • we have 650 NDAs marked up", ["priya: • we have 650 NDAs marked up"]),
    ],
)
def test_inline_list_markers_split_and_dashes_in_prose_do_not(text: str, units: list[str]) -> None:
    assert [u.text for u in sentences(text)] == units


# -- 5. a spec's worked examples are not the labelled dataset -------------------------------------------


def test_worked_examples_in_a_spec_are_evidence_for_q3_not_q1(checklist: Checklist) -> None:
    report = run("We have a written task spec with 40 worked examples.", checklist)
    assert "labeled_examples" not in report.facts and suggestion_for(report, "q1") is None
    q3 = suggestion_for(report, "q3")
    assert q3 is not None and q3.answer == 1.0


def test_a_guide_with_examples_beside_the_dataset(checklist: Checklist) -> None:
    report = run("Our labeling guide has 25 examples; we have 3,000 labeled tickets.", checklist)
    assert report.facts["labeled_examples"]["value"] == 3000 and report.conflicts == []


# -- 6. the dataset told beside the agreement test ------------------------------------------------------


def test_labelled_count_in_the_agreement_sentence_is_read(checklist: Checklist) -> None:
    report = run(
        "We have about 2k labelled invoices, annotated by two accountants; inter-annotator agreement was "
        "roughly 82%.",
        checklist,
    )
    q1, q4 = suggestion_for(report, "q1"), suggestion_for(report, "q4")
    assert q1 is not None and q1.answer == 1.0 and report.facts["labeled_examples"]["value"] == 2000
    assert q4 is not None and q4.answer == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "Two team members labeled the same 200 tickets and agreed on 82%.",
        "Agreement: we had 2 people label 100 tickets; 81% agreement.",
        "We double-labeled a sample of 150 tickets, agreement 84%.",
    ],
)
def test_the_agreement_sample_is_still_not_the_dataset(text: str, checklist: Checklist) -> None:
    report = run(text, checklist)
    assert "labeled_examples" not in report.facts and suggestion_for(report, "q1") is None
