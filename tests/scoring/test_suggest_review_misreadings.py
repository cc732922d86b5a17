"""Misreadings of the offline suggester found in review (/tmp/review-suggest), one table row each.

Each row is a sentence (or a short description), the question it is read for and what the helper should say:
an answer (1 / 0.5 / 0), ``NONE`` (no suggestion, caution or not) or ``CAUTION`` (no suggestion, a note to
check). Guard rows keep the plain statement each touched rule exists for reading as before.
"""

from __future__ import annotations

import pytest

from scoring.checklist import Checklist
from tests.scoring.suggestions import CAUTION, NONE, Expected, assert_reads

# (sentence, question, expected)
CASES: list[tuple[str, str, Expected]] = [
    # -- 4. a prompting plateau told as a spread, a range or a bare list ----------------------------------------
    ("Prompt accuracy went from 61% to 69%, and the last five variants stayed within one point of each other.",
     "q7", 1.0),
    ("Accuracy went from 71% to 78% and the last five prompt versions were all between 77.5% and 78.4%.",
     "q7", 1.0),
    ("Last five prompt tweaks: 82, 83, 83, 84, 83.", "q7", 1.0),
    ("Our last four prompt versions scored 80%-81.5%.", "q7", 1.0),
    # guards: a history that still gains, a range too wide for a ceiling, arrows
    ("Last five prompt tweaks: 70, 74, 77, 80, 83.", "q7", 0.0),
    ("The last five prompt versions were all between 70% and 79%.", "q7", NONE),
    ("Prompt accuracy went 81 → 83 → 83 → 83.5 → 83.5.", "q7", 1.0),
    ("Prompt accuracy went from 61% to 69% and is still improving.", "q7", 0.0),
    ("The last five variants stayed within six points of each other.", "q7", NONE),
    ("The last prompt version is within one point of our target.", "q7", NONE),
    ("Prompting results by iteration: 55%, 63%, 68%, 72%. Still going up each time.", "q7", 0.0),
    ("We tried few-shot prompts with 10, 20 and 50 examples.", "q7", NONE),
    ("Prompt accuracy is 80%; our target is between 85% and 90%.", "q8", 1.0),
    # -- 1. a negated briefing is no briefing ------------------------------------------------------------------
    ("Stakeholders expect it to just work, and we have not explained that fine-tuning is an experiment.",
     "q16", 0.0),
    ("We have not explained to leadership that fine-tuning is an experiment.", "q16", 0.0),
    ("We have not talked to leadership.", "q16", 0.0),
    ("We didn't tell management that fine-tuning is an experiment.", "q16", 0.0),
    # guards
    ("We explained to leadership that fine-tuning is an experiment.", "q16", 1.0),
    ("We haven't discussed the timeline yet.", "q16", NONE),
    ("The vendor didn't tell us the price.", "q16", NONE),
    ("Leadership is aware this is an experiment.", "q16", 1.0),
    # -- 2. a budget not approved is not a budget --------------------------------------------------------------
    ("The budget of $6,000 is not approved yet.", "q14", CAUTION),
    ("Budget: up to $15,000 has been mentioned but not approved.", "q14", CAUTION),
    ("A budget of $8,000 is pending approval.", "q14", CAUTION),
    # guards
    ("The budget is $6,000.", "q14", 1.0),
    ("Budget: $6,000, approved by finance last week.", "q14", 1.0),
    ("We can spend up to $15,000.", "q14", 1.0),
    ("The budget is $5,000, and any model change needs approval from compliance.", "q14", 1.0),
    # -- 3. a plan still to be written is no plan --------------------------------------------------------------
    ("A rollback plan will be written later if the project is approved.", "q17", CAUTION),
    ("We will write a retraining plan once the model ships.", "q20", CAUTION),
    # guards: a fallback told in the future tense is the plan itself
    ("If the model underperforms we will switch back to the prompt.", "q17", 1.0),
    ("There is a rollback plan: the prompted version stays deployed behind a feature flag.", "q17", 1.0),
    ("We retrain monthly on new tickets.", "q20", 1.0),
    # -- 7. false conflicts ------------------------------------------------------------------------------------
    ("We have 12,000 labelled tickets. We have a written routing guide (14 pages) with two worked examples per "
     "queue.", "q1", 1.0),
    ("We want to fine-tune on our 10k labelled emails so it beats our prompt (currently 74%, target 85%).",
     "q8", 1.0),
    # guards
    ("We have 900 labelled pages of scanned forms.", "q1", 1.0),
    ("Prompting gets 74%; we want 85%.", "q8", 1.0),
    ("Our target is 85% and the prompt gets 83%.", "q8", 0.0),
    # -- 6. an agreement measured on a label set that changed since --------------------------------------------
    ("We did an agreement check in 2022 with a different label set, 90%, but the label set changed since.",
     "q4", CAUTION),
    ("We did an agreement check with the old label scheme, 90%.", "q4", CAUTION),
    # guard
    ("We did an agreement check in 2023: two annotators agreed 90% of the time.", "q4", 1.0),
    # -- 5. "liability" as a clause type is not a business impact ----------------------------------------------
    ("We want a model that extracts limitation-of-liability clauses from supplier contracts.", "q11", NONE),
    # guards
    ("Missed clauses cost us about $200k of liability a year.", "q11", 1.0),
    ("It would save $40k a year in review time.", "q11", 1.0),
    ("A missed clause exposes us to liability of up to $2M.", "q11", 1.0),
    # -- 9. plain No statements --------------------------------------------------------------------------------
    ("There is no written annotation guideline.", "q3", 0.0),
    ("We don't have a written task definition.", "q3", 0.0),
    ("We have never had two people annotate the same contract.", "q4", 0.0),
    # guards
    ("We have a written annotation guideline with examples.", "q3", 1.0),
    ("Two people annotated the same 200 contracts and agreed 84% of the time.", "q4", 1.0),
    # -- 8. compound number words ------------------------------------------------------------------------------
    ("We have two thousand labelled examples.", "q1", 1.0),
    ("Two annotators agreed seventy-eight percent of the time.", "q4", 1.0),
    ("The budget is four thousand dollars.", "q14", 1.0),
    ("We have 3,000 labelled tickets and keep three hundred held out for testing.", "q10", 1.0),
    ("We have one hundred and twenty labelled examples.", "q1", 0.0),
    # guards: small number words are not counts of their own
    ("Two annotators labelled the tickets.", "q1", NONE),
    # the real share told beside "the rest is synthetic" is not the synthetic share (seen once words were read)
    ("Roughly ninety percent of the labelled set is real copywriter text; the rest is synthetic.", "q5", 0.5),
    ("Roughly 90% of the labelled set is real copywriter text; the rest is synthetic.", "q5", 0.5),
    ("70% real, 30% synthetic.", "q5", 0.5),
]


@pytest.mark.parametrize(("text", "question", "expected"), CASES, ids=[f"{q}-{t[:40]}" for t, q, _ in CASES])
def test_review_misreading(text: str, question: str, expected: Expected, checklist: Checklist) -> None:
    assert_reads(text, question, expected, checklist)
