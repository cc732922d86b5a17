"""Key phrases for the offline suggester: yes/partly/no statements and qualitative answers.

Each fact or question has cues in priority order (negative and partial cues first, because
"all real code, but possibly outdated" must read as partly, not yes). Patterns run on normalised,
lower-cased sentences. A cue marked ``negatable`` is skipped when a negation word ("no", "not",
"without", …) stands just before it in the same clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scoring.suggest.facts import Level


@dataclass(frozen=True)
class Cue:
    level: Level
    pattern: re.Pattern[str]
    note: str
    negatable: bool
    unless: re.Pattern[str] | None = None  # the same words in another sense: skip the sentence


def cue(level: Level, pattern: str, note: str, negatable: bool | None = None, unless: str | None = None) -> Cue:
    return Cue(
        level,
        re.compile(pattern),
        note,
        level != "no" if negatable is None else negatable,
        re.compile(unless) if unless else None,
    )


W3 = r"\s+(?:[\w'/-]+\s+){0,3}?"  # up to three words in between
# ... none of them "and" or "but": "no budget and one ML engineer" negates the budget, not the engineer
W3_SAME = r"\s+(?:(?!(?:and|but)\s)[\w'/-]+\s+){0,3}?"
# "we no longer depend on a contractor": the outside help the team moved away from
_MOVED_ON = (
    r"\bno longer (depend|rely|relies|need|use|work with)\w*\s+(on\s+)?(a |an |the |our )?(outside |external )?"
    r"(consultant|contractor|freelancer|agency|vendor)"
)
# what the current set-up costs to run ("cost is around $1,900 a month", "API costs are $3k a month"): a price
# the team pays, not the value of better accuracy ("misroutes cost us $3k a month", "the cost of errors is $30k")
_RUNNING_COST = (
    r"\b(api|inference|hosting|compute|gpu|cloud|openai|llm|prompt|prompting|running) (costs?|bills?|spend)\b|"
    r"\b(costs?|bills?|spend) (is|are|was|were|runs?|comes? to)\b"
)
# a test set that may not be held out: "we have not checked that they were excluded", "the eval set might overlap"
_TEST_WORD = r"\b(?:test|eval\w*|held[- ]?out|hold-?out)\b"
_LEAK = (
    r"\b(?:not|n't|never) (?:yet )?(?:checked|verified|confirmed|made sure)\b[^.;]{0,60}\b(?:excluded|held out|"
    r"kept out|left out|overlap\w*|leak\w*)|"
    r"\b(?:may|might|could) (?:have )?(?:overlap\w*|leak\w*|been (?:used|seen) in training)"
)
# "about a third of the 8,000 are from one marketplace seller": a large share from one source is a skew
_ONE_SOURCE = (
    r"\b(a third|a quarter|half|two thirds|most|\d+\s?%) of (the |our |all )?([\d,.]+k? )?([\w-]+ )?(are|is|come|"
    r"came|were|was) (all )?from (one|a single|the same|just one|only one)\b"
)
NEG = r"(?:no|not|never|without|lacks?|lacking|none|nobody|neither|nor|don't|doesn't|didn't|isn't|aren't|can't|cannot|haven't|hasn't|won't)"  # noqa: E501

STATUS_CUES: dict[str, list[Cue]] = {
    "agreement_tested": [
        cue(
            "no",
            r"\bonly one (person|labeler|annotator|reviewer|person, [\w ]+,)\b.{0,40}"
            r"\b(label|annotat|review)",
            "a single labeler, no agreement test",
        ),
        cue("no", r"\b(single|one) (labeler|annotator)\b", "a single labeler, no agreement test"),
        cue("no", rf"\b{NEG}{W3}(agreement|inter-annotator|inter-rater)\b", "no agreement test"),
        cue(
            "no",  # "Agreement between labellers: not measured", "Agreement check (second tagger): not started"
            r"\b(agreement|inter-annotator|inter-rater)\b[^.;]{0,40}?\b(not (yet |been )*(measured|started|done|tested|"
            r"checked|run|computed|calculated)|never (been )?(measured|tested|checked|run)|todo|tbd)\b",
            "no agreement test",
        ),
        cue(
            "no",  # "nobody has measured how often the two agents agree", "we haven't checked whether they agree"
            rf"\b{NEG}{W3}(measured|checked|tested|compared|calculated|computed|verified|assessed|tracked|know)\s+"
            r"(how (often|much|well|closely)|whether|if)\b[^.;]{0,60}?\b(two|both|each other|one another|"
            r"labell?ers|annotators|agents|reviewers|raters|experts|coders|taggers|graders)\b[^.;]{0,30}?"
            r"\b(dis)?agree(s|d)?\b",
            "no agreement test",
        ),
        cue(
            "no",
            rf"\b{NEG}{W3}(two|2|multiple|several|a second|more than one) (people|persons|annotators|labell?ers|"
            r"reviewers|raters|experts|lawyers|accountants|doctors|clinicians)\b.{0,40}\bsame\b|"
            rf"\b{NEG}{W3}double[- ]?(label|annotat|check)",
            "never double-labelled, no agreement test",
        ),
        cue("partly", r"\bno (single |clear )?ground truth\b", "no ground truth, only informal consistency"),
        cue("partly", r"\bhard to label\b", "labels are hard to define"),
        cue(
            "yes",
            r"\b(inter-annotator|inter-rater|double[- ]label)",
            "labels were double-checked",
            unless=r"\bkappa\b",  # a kappa is not the percentage agreement asked for (see the offline reader)
        ),
    ],
    "prompting_plateau": [
        cue("no", r"\bstill improving\b|\bkeeps? improving\b", "still improving"),
        cue(
            "no",  # "we ran a few letters through Copilot once …; we didn't record any numbers"
            r"\bprompt\w*\b.{0,100}\b(haven't|have not|didn't|did not|never)\s+(really |properly |actually )?"
            r"(benchmark\w*|measur\w*|record\w*|track\w*)\b",
            "prompting tried but not measured",
        ),
        cue(
            "no",
            r"\b(haven't|have not|hasn't|has not|not yet|never|nobody has|no one has|nobody's) (really |seriously |"
            r"properly |yet )?(tried|tested|evaluated) (prompt|prompting|few-shot)",
            "prompting not tried yet",
        ),
        cue(
            "yes",
            r"\bplateau|\bceiling\b|\bstall(ed|s)?\b|\blevell?ed off\b|\bdiminishing returns\b|"
            r"\bstopped improving\b|\bstuck at\b|\bstays? at\b|\bcan't get (past|beyond|above)\b",
            "plateau reported",
            negatable=False,
        ),
        cue(
            "yes",
            r"\bwithin (half a|a|one|1|0?\.\d+|1\.\d+) ?(percentage |%|pct )?(points?|pp|pts?)\b"
            r"(?![^.;]{0,30}\b(target|goal|threshold|requirement|sla)\b)",  # not "within a point of our target"
            "the last results stayed within a point",
        ),
        cue(
            "yes",
            r"\b(moved|changed|improved|gained|shifted|added) (it |accuracy |the score |the result )?(by )?(less than|"
            r"under|below|at most|no more than|barely|only) (half a|a|one|1|0?\.\d+|1\.\d+) ?(percentage |%|pct )?"
            r"(points?|pp|pts?|percent)\b",
            "the last changes moved it less than a point",
            negatable=False,
        ),
        cue(
            "yes",
            # "not helpful" (a vendor, a colleague) is no "did not help"
            r"\b(did not|didn't|does not|doesn't|no longer|won't|not) "
            r"(move[ds]?|help(ed|s)?|improve[ds]?|budge[ds]?)\b",
            "more prompt work did not help",
            negatable=False,
        ),
        cue(
            "yes",
            r"\bnone of (them|the prompts|the variants)\b.{0,30}\bbetter\b",
            "no variant is better",
            negatable=False,
        ),
        cue("yes", r"\blimited by\b", "limited by something prompting can't fix", negatable=False),
        cue(
            "yes",
            r"\bnever got (past|beyond|above|over)\b|\b(is |it's )?not moving( anymore)?\b|"
            r"\bwe('re| are) stuck\b|"
            r"\bstayed (at|around|about|near)\b|\bstayed \d|"
            # told in words: "has stayed there for five rounds", "not going more up, always staying around 70%"
            r"\b(stay|stays|stayed|staying) (there|flat|the same|put|level)\b|\bstaying (at|around|about|near)\b|"
            r"\b(not|isn't|is not|hasn't|has not|haven't|have not|wasn't|didn't|did not) (been )?(going|gone|getting|"
            r"moving|moved|went|go) ((any|more|much|further) )*(up|higher|better)\b|"
            r"\b(haven't|have not|didn't|did not) (fixed|fix|solved|solve) it\b|"
            r"\bstopped improving\b|\btried (maybe |about |around )?\d+ (prompt )?(variants|versions|rewrites)"
            r"\b.{0,30}\bbest\b",
            "prompt work stopped paying off",
            negatable=False,
        ),
    ],
    "accuracy_measurable": [
        cue(
            "no",
            r"\b(hard|difficult|impossible|can't|cannot|no way) to (measure|quantify|evaluate)\b.{0,30}"
            r"(accura|quality|success)|\b(accura\w*|quality|success) is (hard|difficult|impossible) to "
            r"(measure|quantify|evaluate)",
            "accuracy is hard to measure",
        ),
        cue("no", r"\bno (clear|good|reliable|agreed) (metric|measure|success metric)", "no success metric"),
        cue("no", r"\bconfounded\b", "the metric is confounded"),
    ],
    "held_out_test_set": [
        cue(
            "no",
            rf"\b{NEG}{W3}(held-out|holdout|hold-out|test set|eval set|evaluation set)\b",
            "no held-out test set",
        ),
        cue(
            "no",  # "Test set: we'd have to build one from scratch", "we would need to build a held-out test set"
            r"\b(test|eval\w*|held-out|holdout) set\b[^.;]{0,30}\b(we'd|we would|would|we'll|we will|will) (have|need) "
            r"to (build|create|make|assemble|set up|carve out) (one|it)\b|\b(we'd|we would|would) (have|need) to "
            r"(build|create|make|assemble|set up|carve out) (a|an) (held-out |holdout |locked )?(test|eval\w*) set\b",
            "no held-out test set yet",
        ),
        cue(
            "partly",
            rf"{_TEST_WORD}[^.]*?(?:{_LEAK})|(?:{_LEAK})[^.]*?{_TEST_WORD}",
            "the test set may overlap the training data",
            negatable=False,
        ),
        cue(
            "partly",
            r"\b(tun\w+|iterat\w+|optimi[sz]\w+)\b( \w+){0,3}? (against|on) (the |our )?(test|eval|evaluation|held-out|"
            r"holdout) set\b",
            "the prompt may have been tuned against the test set",
        ),
        cue(
            "yes",
            r"\b(held-out|holdout|hold-out|locked) (test|eval|evaluation) set\b|\bfrozen as (a |the )?test\b|"
            r"\bkeep [\d,]+ \w+ aside\b|\btest set\b.{0,60}"
            r"\b(held out|locked|carved out|set aside|never (used|tuned|trained))",
            "a held-out test set exists",
        ),
    ],
    "real_data": [
        cue(
            "no",
            r"\b(synthetic|generated)[- ]only\b|\b(all|entirely|mostly|purely|only) (synthetic|ai-generated|"
            r"llm-generated|generated)\b",
            "synthetic-only or mostly synthetic data",
        ),
        cue(
            "partly",
            r"\b(synthetic|ai-generated|llm-generated|machine-generated)\b|\bgenerated (with|by|using) "
            r"(chatgpt|gpt|an llm|a model|ai)\b",
            "some synthetic examples",
            negatable=True,
            unless=r"\b(synthetic|generated)\b[^.;\d]{0,25}\b0(\.0)?\s?%|\bzero synthetic\b",  # "synthetic: 0%"
        ),
        cue(
            "partly",
            r"\b(outdated|out of date|out-of-date|stale|legacy|skewed|over-represented|unbalanced|"
            rf"imbalanced)\b|{_ONE_SOURCE}",
            "possibly outdated or skewed",
        ),
        cue(
            "yes",
            r"\b(no|without|zero|0%) (synthetic|generated|ai-generated|llm-generated) (data|examples|samples|"
            r"records)\b|\bnone (of (it|them) )?(is |are )?synthetic\b|\bnot (invented|synthetic)\b|"
            r"\b(not|never|haven't|didn't) (used|use|include|included|add|added) any (synthetic|generated|ai-generated|"
            r"llm-generated)\b",
            "no synthetic data",
            negatable=False,
        ),
        cue(
            "yes",
            r"\b(all|only) (real|genuine)\b|"
            r"\b(real|genuine) (customer|client|production|user|patient|encounter|world|employee|resident)\b|"
            r"\b(real|genuine) (\w+ )?(tickets|documents|records|conversations|emails|questions|cases|traffic|"
            r"correspondence|letters)\b|"
            r"\b(from|in) prod(uction)?\b|\bprod(uction)? (data|traffic|logs|code)\b|"
            r"\b(exported|pulled|taken|extracted) from (our |the )?(zendesk|salesforce|intercom|freshdesk|servicenow|"
            r"hubspot|crm|helpdesk|help desk|ticketing system|case tool)\b|\bfrom (our )?(clients|"
            r"customers|users)\b|\b(historical|actual|real) (tickets|documents|records|contracts|emails|"
            r"conversations|cases|data|notes|encounter notes)\b",
            "real-world data",
        ),
    ],
    "expert_review": [
        cue(
            "no",
            r"\b(review|expert review)\b.{0,40}\bafter (training|fine-tuning)\b|\bno (expert|one) "
            r"(review|has reviewed)",
            "expert review deferred or missing",
        ),
        cue(
            "yes",
            r"\breviewed by (a |an |our )?(physician|doctor|clinician|expert|lawyer|accountant|"
            r"domain expert|specialist)s?\b|\b(expert|experts|physicians?|clinicians?|lawyers?|"
            r"accountants?|senior [\w ]+ experts?)\b.{0,40}\b(review|audit|check|label|annotat)",
            "domain experts review the data",
        ),
        cue(
            "yes",
            r"\b(expert|physician|clinician|legal)[- ]reviewed\b|\b(label|annotat|review|agreement)\w*\b"
            r".{0,40}\bwith (our )?(legal |domain |medical |clinical |subject[- ]matter )?experts\b",
            "expert-reviewed data",
        ),
    ],
    "timeline_pressure": [
        cue(
            "yes",
            # "wanted it yesterday", not "the sign-off came through yesterday"
            r"\basap\b|\bas soon as possible\b|\b(needed|wanted|needs?|wants?|due|live|ready|by)\b[\w ]{0,15}"
            r"\byesterday\b|\b(timeline|deadline|schedule) (is )?"
            r"(very |too |really )?tight\b|\btight (deadline|timeline)\b|\bno time\b|"
            r"\bby (the )?end of (next|this) week\b",
            "the deadline is very tight",
            negatable=False,
        ),
    ],
    "ml_engineer": [
        cue(
            "no",
            r"\b(ml|machine[- ]learning|ai) (staff|engineers?|people|headcount)\s*:\s*(0|none|zero|no|nobody)\b",
            "no ML engineer",
        ),
        cue(
            "partly",
            r"\b(no|nobody|no one|not)\b.{0,80}\b(freelance\w*|consultant|contractor|vendor's (ml )?engineer|"
            r"agency|external (ml )?(help|engineer))\b",
            "no ML engineer in house; outside help would run it",
            negatable=False,
            unless=_MOVED_ON,
        ),
        cue(
            "partly",
            # "no ML engineer in our team, but Ravi, who has fine-tuned models before, will work with us": help
            # from someone who can run it, for a while
            rf"\b{NEG}{W3}(ml|machine[- ]learning|ai) (engineer|expert|expertise|specialist|person|staff|team|"
            r"experience|capability|capabilities)\b(?:[^.;]*\b(but|though|however)\b|\s*;)[^.;]*\b(fine-tuned|trained "
            r"(an? )?models?|has (done|run) (fine-tuning|training)|experience (with|in) (the )?(training|fine-tun|ml)|"
            r"(will|can|could|is going to|(has |have )?agreed to) (work with us|help us|join us|support us|run (the )?"
            r"(training|fine-tuning)))",
            "no ML engineer in the team; someone who can run fine-tuning will help",
            negatable=False,
        ),
        cue(
            "partly",  # "IT can lend us Piotr, who ran the fine-tuning for the fraud model"
            r"\b(lend|lends|lent|loan|loans|second|seconds|seconded)\b( us)?\b[^.;]{0,40}\bwho (has )?(ran|run|did|"
            r"done|led|fine-tuned|trained)\b",
            "someone from another team who has run fine-tuning will help",
            negatable=False,
        ),
        cue("no", rf"\b{NEG}{W3_SAME}mles?\b", "no ML engineer"),
        cue(
            "no",
            rf"\b{NEG}{W3_SAME}(ml|machine[- ]learning|ai) (engineer|expert|expertise|specialist|"
            r"person|staff|team|experience)",
            "no ML engineer",
        ),
        cue(
            "no",
            r"\b(nobody|no one)\b.{0,40}\b(ml|machine learning|fine-tun|trained an? (model|models)|"
            r"trained models)",
            "nobody can run fine-tuning",
        ),
        cue("no", r"\bnever trained an? (model|ml model)\b", "nobody has trained a model", negatable=False),
        cue(
            "partly",
            r"\b(consultant|contractor|freelancer|agency)\b|\b(ml|ai|data science|machine learning) partners?\b",
            "only outside help",
            unless=_MOVED_ON,
        ),
        cue(
            "yes",
            r"\b(can|will|would) run (the )?(training|fine-tuning|training runs)\b|\bexperience (with|in) "
            r"(the )?(training|fine-tun)",
            "someone on the team can run the training",
        ),
        cue(
            "yes",
            r"\b(ml|machine[- ]learning|ai) engineers?\b|\bmles?\b|\bdata scientists?\b|\bengineers?\b.{0,30}"
            r"\bavailable\b|\bfine-tuned\b.{0,40}\b(before|last year|previously)\b",
            "someone can run fine-tuning",
        ),
        cue("yes", r"\bapplied ml\b|\bml (team|group)\b", "an ML team is involved"),
    ],
    "monitoring": [
        cue(
            "partly",
            rf"\b{NEG}{W3}(monitoring|observability)\b.{{0,60}}\b(check|look at|review)\w*\b.{{0,40}}\b(once an?|"
            r"every|monthly|weekly|manually|by hand)\b",  # "everyone" is no "every"
            "no monitoring, only a periodic manual check",
            negatable=False,
        ),
        cue(
            "no",
            rf"\b{NEG}{W3}(monitoring|observability|dashboards?|alerting)\b|"
            r"^\W*(monitoring|observability|alerting)\s*:\s*(none|no|nothing|n/a|0)\b",
            "no monitoring",
        ),
        cue(
            "no",
            r"\b(nobody|no one)\b.{0,20}\b(watched|watches|monitored|monitors|tracked|tracks)\b.{0,30}"
            r"\b(production|quality|accuracy|drift|outputs?|model)\b",
            "nobody watches production quality",
        ),
        cue(
            "partly",
            # a spot check of production, not of an evaluation ("80% based on a spot check of 30 questions")
            r"\b(manual|partial|basic|weekly|daily|monthly|regular|periodic) (monitoring|spot[- ]checks?|checks)\b|"
            r"\bspot[- ]check\w*\b[^.;]{0,40}\b(production|live|outputs?|responses|predictions|traffic|deployed|"
            r"weekly|daily|monthly|every|each (day|week|month))\b",
            "only partial monitoring",
        ),
        cue(
            "partly",  # "our weekly review samples 50 conversations by hand, which would not have caught this"
            r"\bour (weekly|daily|monthly|regular|periodic) (manual )?(reviews?|audits?)\b[^.;]{0,40}\b(samples?|"
            r"sampled|by hand|manually)\b",
            "only a periodic manual review",
            negatable=False,
        ),
        cue(
            "yes",
            r"\bmonitor(ing|ed)?\b|\b(quality|accuracy|drift|metrics?|monitoring) dashboards?\b|"
            r"\bdashboards?\b.{0,40}\b(alert|track|monitor|quality|accuracy|drift)|\balerting\b|"
            r"\balerts? (when|on|if|fires?)\b|\bwith an alert\b|"
            r"\bdrift (monitor|detect|alert|check)|\baudit trail\b|"
            r"\bobservability\b|\b(grafana|datadog|prometheus|sentry)\b|\bci/cd\b",
            "monitoring in place or planned",
        ),
    ],
    "rollback_plan": [
        cue(
            "no",
            rf"\b(no|without|lacks?|lacking|haven't got|don't have|do not have){W3}(rollback|roll-back|"
            r"fallback|fall-back|plan b|way back)\b(?! (needed|necessary|required))|"
            r"\b(can't|cannot|couldn't) (roll back|revert|go back)\b",
            "no rollback plan",
        ),
        cue(
            "yes",
            r"\broll(s|ed|ing)? ?back\b|\brevert(s|ed|ing)?\b|\b(fall|falls|fell|falling) ?back\b|"
            r"\bfallback\b|\bswitch(es|ed)? back\b|\bflip back\b|\bgo(es)? back to\b|\bwent back to\b|"
            r"\b(keep|keeps) (the )?(prompt|prompted|retrieval|current|old)\w*\b|\bstays? (in place|deployed)\b|"
            r"\b(is )?still (is )?our production system\b|\bremains? if\b|\bkeeps? reviewing by hand\b|"
            r"\bkeep (the )?manual (review|process|check)|"
            r"\bbehind a (feature )?flag\b|\bkept warm\b|"
            r"\bback to (the )?(manual|current|existing|base|previous)|\bturn (it|the \w+) off\b|"
            r"\bkill switch\b|\bfeature flag\b|\b(stays?|remains?) in place as (the|a) (fallback|backup)\b|"
            r"\blike today\b|\bstay (on|with) (the )?(prompt|prompted|current|existing|old|base|rules?)\w*\b|"
            # "if the model underperforms, officers will continue to categorise manually"
            r"\bif\b[^.;]{0,50}\b(underperform\w*|fails?|doesn't work|does not work|is worse|isn't good enough)\b"
            r"[^.;]{0,40}\b(continue|keep|carry on|stay)\b",
            "rollback plan",
        ),
    ],
    "stakeholders_briefed": [
        cue(
            "partly",
            r"\b(know|knows|aware|briefed|told|informed|understand)\b.{0,60}\b(but|though|although)\b"
            r".{0,60}\b(expect|expectations|unrealistic)",
            "told, but expectations may be unrealistic",
            negatable=False,
        ),
        cue(
            "no",
            r"\b(high|unrealistic|inflated|sky-high) expectations\b|\bexpects? (it|the model|this) to "
            r"(be perfect|beat|replace|work (perfectly|right away|immediately)|just work)|"
            r"\b(thinks?|expects?|believes?|assumes?)\b.{0,30}\b(will|would) (fully |completely |totally )?"
            r"(replace|eliminate|solve)\b|\bexpects?\b[^.;]{0,30}\bto (fully |completely |totally |entirely )?"
            r"(replace|eliminate)\b",
            "expectations are unrealistic",
        ),
        cue(
            "no",
            rf"\b(haven't|have not|hasn't|has not|not yet){W3}(told|briefed|informed|communicated)\b|"
            # other verbs, and a simple past, only when the sentence names who or what was not told
            rf"\b(haven't|have not|hasn't|has not|not yet|didn't|did not|never){W3}(told|tell|briefed|brief|"
            r"informed|inform|communicated|communicate|explained|explain|discussed|discuss|talked|talk|spoken|"
            r"speak|warned|warn)\b.{0,60}\b(stakeholders?|leadership|management|managers?|the board|execs?|"
            r"executives|sponsors?|ceo|cfo|cto|coo|vp|director|experiment|pilot|trial|may not|might not|"
            r"no guarantee)\b",
            "stakeholders not briefed",
        ),
        cue(
            "yes",
            r"\b(stakeholders?|leadership|management|the board|execs?|executives|sponsors?|the team)\b"
            r".{0,40}\b(briefed|aligned|aware|informed|on board|understands?|signed off|know)\b|"
            r"\b(briefed|communicated|told|explained)\b.{0,60}\b(experiment|pilot|trial|may not|might not|"
            r"no guarantee)",
            "stakeholders briefed",
            negatable=False,  # "told it may not ship" is the briefing itself; the "not yet told" cue comes first
        ),
    ],
    "retraining_plan": [
        cue(
            "no",
            rf"\b{NEG}{W3}(retraining|maintenance|maintain|retrain)\b|\b(nobody|no one)\b.{{0,30}}"
            r"\b(maintains?|maintenance|retrains?)\b|\bnot (think|thought) about how to maintain\b|"
            r"\b(retraining|maintenance|retrain)\b[^.;]{0,30}\b(not (yet )?(decided|agreed|planned|defined|owned|"
            r"assigned)|tbd|undecided|unassigned)\b",
            "no maintenance plan",
        ),
        cue(
            "yes",
            r"\bretrain(ing|ed)?\b.{0,40}\b(monthly|weekly|quarterly|nightly|daily|every|on new|"
            # whole words: "a retrain takes an afternoon" has no "after", "retraining everything" no "every"
            r"automatic(ally)?|schedule[ds]?|cadence|plan(s|ned)?|each|after|whenever)\b|"
            r"\b(monthly|weekly|quarterly|nightly|automated|automatic|scheduled) retrain|\bversioned models\b|"
            r"\bmodel (registry|versioning)\b|\bmaintenance plan\b|\bretraining plan\b",
            "a retraining plan",
        ),
    ],
}

ANSWER_CUES: dict[str, list[Cue]] = {
    "diverse_examples": [
        cue(
            "no",
            r"\b(not (very )?diverse|little variety|homogeneous|all (from )?the same (template|source|"
            r"customer)|mostly the same|repetitive)\b",
            "the examples are narrow",
        ),
        cue(
            "partly",
            r"\b(somewhat diverse|some variety|skewed toward|over-represented|imbalanced|"
            r"mostly from one)\b|\bmostly (come |came )?from (the |our )?(two|three|one|a few|a handful|same)\b|"
            rf"{_ONE_SOURCE}",
            "diversity is limited",
        ),
        cue(
            "yes",
            r"\bdivers(e|ity)\b(?! (team|group|staff|people|workforce|hires|hiring|panel|board|set of people))|"
            r"\bvari(ed|ety)\b(?! of (tools|models|approaches|prompts))|\bwide range\b|\bvery different\b|"
            r"\bevery (layout|format|style) (imaginable|you can imagine)\b|\bevery (style|kind|type)\b|"
            r"\bdifferent (phrasings?|styles?|templates?|types?|categories|contexts?|product|email|body|"
            r"age|ways)\b|\bedge cases\b|\bmix of\b|\bdozens of (templates|formats|types)\b|"
            r"\b(many|multiple|\d+) (different )?(templates|formats|languages|sources|services|"
            r"suppliers|vendors|issuers|authors|domains)\b|"
            # customers the data comes from, not customers an assistant answered ("told 37 customers")
            r"\b(from|across|of|by|covering|spanning|among) (many|multiple|[\d,]+) (different )?(customers|clients)\b|"
            r"\bacross (more than )?\d+|\b(layouts?|formats?|styles?|phrasings?|templates?) (vary|differ)\b|"
            r"\bmultilingual\b",
            "the examples are varied",
        ),
    ],
    "task_definition": [
        cue(
            "partly",
            r"\bvague\b|\bsubjective\b|\bhaven't (yet )?agreed\b|\bnot (yet )?agreed\b|"
            r"\bunclear what (makes|counts)\b|\bwhat makes .{0,30}\bgood\b|\bhard to define\b",
            "the task definition is vague",
        ),
        cue(
            "no",
            rf"\b{NEG}{W3}((written|formal|clear|documented|proper|task|labell?ing|annotation|style|output)\s+)"
            r"{0,3}(definition|guidelines?|guide|spec|specification|rubric)\b",
            "no written task definition",
        ),
        cue(
            "no",
            r"\bguide(lines)? (is |are )?(still )?to be written\b|\bonce we have the guidelines\b|"
            r"\bwrite a (labell?ing|annotation) guide\b",
            "the guidelines are not written yet",
            negatable=False,
        ),
        cue(
            "yes",
            r"\b(clearly|well)[- ]defined\b|\bwritten (up|down)\b|\b(written|documented) "
            r"((task|labell?ing|annotation|style|output|format) )?(definitions?|guides?|guidelines?|standards|specs?|"
            r"specifications?|polic(y|ies)|playbooks?|handbooks?)\b|\b(guide|standards|"
            r"rules|criteria|definitions?|policy|style guide|schema|taxonomy) (is |are )?(documented|written)\b|"
            r"\b(labeling|labelling|annotation|routing|style|tagging|content|moderation|voice|tone|brand|"
            r"categori[sz]ation|classification|coding) (guide(lines)?|handbook|manual|"
            # a schema the prompt asks the model to fill ("+ output schema", "JSON schema") defines no task
            r"policy)\b|\bplaybook\b|\bcoding standards\b|(?<!output )(?<!json )(?<!response )(?<!\+ )\bschema\b|"
            r"\bmandated\b|\brubric\b|"
            r"\btaxonomy\b|\bcriteria\b.{0,30}\b(defined|written|documented)\b|"
            # a guide with examples, a manual that defines each class
            r"\b(guide|guidelines|manual|handbook)\b[^.;]{0,60}\bwith (\d+ )?(worked |annotated |before/after )?"
            r"examples\b|\bdefines? (each|every|all)( of the)? (queue|class|category|label|intent|tag|code|type)s?\b",
            "the task is defined",
        ),
    ],
    "relabel_commitment": [
        cue(
            "no",
            rf"\b{NEG}{W3}(plan|budget|time|capacity)\b.{{0,30}}\b(new|more|fresh|"
            r"additional) (labeled )?(data|examples|labels)",
            "no plan for new data",
        ),
        cue("no", r"\b(one-off|one-time) (dataset|batch)\b", "a one-off dataset"),
        cue(
            "yes",
            r"\b(add|adding|collect|collecting|label|labeling|relabel|relabeling|augment)\b.{0,40}"
            r"\b(new|more|fresh|additional)\b.{0,20}\b(data|examples|tickets|documents|cases|labels)\b|"
            r"\b(new|fresh) (tickets|documents|cases|examples|data)\b.{0,40}\b(arrive\w*|come in|keep\w*|"
            r"every|weekly|monthly|continuous\w*)\b|\b(continuous|ongoing)\b.{0,20}\b(data collection|"
            r"collection|labeling|updates?|flow)\b|\bdata collection\b.{0,30}\b(ongoing|continu|keep)|"
            r"\b(updated|grows?|growing) continuously\b|\brelabel\b|\bnew examples arrive\b|"
            r"\bkeep (annotating|labell?ing)\b|\b(label|annotate|add)\b.{0,15}\bmore\b|"
            r"\bnew \w+ (every|each) (day|week|month)\b|\bcommit(ted)? to (re)?(label|annotat|collect)\w*|"
            r"\b(could|can) be (re)?(labell?ed|annotated) later\b|"
            # "monthly retraining on the invoices that ops corrected": corrections keep adding labelled data
            r"\b(monthly|weekly|quarterly|nightly|regular) retrain\w*\b[^.;]{0,40}\b(new|corrected|fresh)\b",
            "new data keeps coming",
        ),
    ],
    "justified_effort": [
        cue(
            "no",
            r"\bnice[- ]to[- ]have\b|\bnot (business[- ])?critical\b|\blow[- ](stakes|priority)\b|"
            r"\bnot a priority\b|\bside project\b",
            "a nice-to-have",
        ),
        cue(
            "yes",
            r"\bmission[- ]critical\b|\bbusiness[- ]critical\b|\bhigh[- ]stakes\b|\bpatient safety\b|"
            r"\bsafety[- ](critical|risk)\b|\bregulatory risk\b|\btop complaint\b|\bcan destroy\b|"
            r"\bcompliance (requires|required)\b|\bregulat(ory|ed|ion)\b.{0,40}\b(requires?|"
            r"required|high)\b|\bsaves?\b.{0,30}\bhours\b|\bhours (a|per) week\b|\breduce\b.{0,30}"
            r"\b(manual|review|time|workload)\b|\btop cause\b|\bhigh value\b|\bspend hours\b|"
            r"\$\s?\d[\d,.]*\s?[km]?\b.{0,30}\b(loss|losses|over-orders?|errors|mistakes|fines|"
            r"penalt\w+|write-offs?)\b|\bmatters to (the )?(cfo|ceo|coo|board|leadership)\b",
            "the stakes justify the effort",
        ),
    ],
    "business_impact": [
        cue(
            "no",
            r"\b(roi|impact|benefit|value) (is )?(unclear|unknown|not (yet )?(known|estimated)|"
            r"hard to (quantify|estimate))\b|\b(haven't|have not|not yet) (estimated|quantified)\b|"
            r"\b(haven't|have not|not yet|didn't) put a (number|figure|price) on\b",
            "the impact is not estimated",
        ),
        cue(
            "yes",
            r"[$€£]\s?\d[\d,.]*\s?k?\b.{0,40}\b(a|per|/|each) ?(year|month|week|yr|mo)\b|"
            r"[$€£]\s?\d[\d,.]*\s?k?\s?/\s?(year|month|week|yr|mo)\b|\bannual (benefit|savings?)\b|"
            r"\b(saves?|saving|savings|worth|benefit)\b.{0,40}[$€£]\s?\d|"
            # liability as money at risk ("$2M of liability exposure"), not a clause type ("limitation-of-liability")
            r"[$€£]\s?\d[\d,.]*\s?[km]?\b.{0,30}\bliabilit|\bliabilit\w*\b.{0,30}[$€£]\s?\d|"
            r"\breduce\b.{0,30}\bby \d+\s?%|[$€£]\s?\d[\d,.]*\s?[km]?\b.{0,40}\b(last|per|a|each) "
            r"(year|quarter)\b|\bcosts? (us )?about [$€£]\s?\d",
            "the benefit is estimated",
            # a price the team pays is not the value of better accuracy
            unless=r"\b(subscription|charges?|pric(e|es|ing)|licen[cs]es?|fees?|quoted?|salary|rent|goodwill|"
            rf"incident)\b|{_RUNNING_COST}",
        ),
    ],
    "iterate_quickly": [
        cue(
            "no",
            r"\b(can't|cannot|unable to) iterate\b|\blimited (iteration|capacity)|\biteration capacity "
            r"is limited\b|\bone shot\b|\bone-shot\b|\bonly one (attempt|try|shot)\b|"
            r"\b(slow|long) (approval|sign-off|release|review) (cycle|process)\b|"
            r"\biterat\w* (is|are|will be) (slow|hard|difficult|limited)\b|\bslow to iterate\b",
            "iteration is slow",
        ),
        cue(
            "yes",
            r"\biterate (quickly|weekly|fast|rapidly|daily)\b|\bcan iterate\b|\b(retrain|redeploy)\b"
            r".{0,30}\b(quickly|cheap|fast|an afternoon|in a day|hours)\b|\bcontinuous improvement\b|"
            r"\btry again\b|\bquick(ly)? (retrain|iterat)",
            "the team can iterate quickly",
        ),
    ],
    "finetuning_necessary": [
        cue(
            "no",
            rf"\b(haven't|have not|not yet|never){W3}(considered|looked at|tried|evaluated)\b"
            r".{0,20}\b(rag|retrieval|alternatives|prompting)\b",
            "alternatives not assessed",
        ),
        cue(
            "yes",
            r"\b(rag|retrieval)\b.{0,60}\b(doesn't fit|does not fit|not applicable|won't work|"
            r"doesn't help|no (static )?knowledge base)|\bno (static )?knowledge base\b",
            "RAG was assessed and ruled out",
            negatable=False,
        ),
        cue(
            "yes",
            r"\b(rag|retrieval[- ]augmented|retrieval)\b|\ba/b test (different )?prompts\b|"
            r"\bprompts? first\b",
            "RAG + prompting were assessed",
            negatable=False,
        ),
    ],
}

QUESTION_REASON: dict[str, dict[str, str]] = {
    "diverse_examples": {
        "yes": "The examples cover varied phrasings/contexts.",
        "partly": "Some variety, but the data is narrow or skewed.",
        "no": "The examples are narrow.",
    },
    "task_definition": {
        "yes": "The task is defined in writing.",
        "partly": "The task definition is vague.",
        "no": "No written task definition.",
    },
    "relabel_commitment": {
        "yes": "New data keeps coming, so the team can relabel/augment.",
        "partly": "Some capacity to add data.",
        "no": "No plan to add or relabel data.",
    },
    "justified_effort": {
        "yes": "The stakes or savings justify the effort.",
        "partly": "The case for the effort is moderate.",
        "no": "A nice-to-have, not critical.",
    },
    "business_impact": {
        "yes": "The business impact is estimated.",
        "partly": "The impact is only roughly estimated.",
        "no": "The business impact is not estimated.",
    },
    "iterate_quickly": {
        "yes": "The team can iterate quickly.",
        "partly": "Iteration is possible but slow.",
        "no": "The team can't iterate quickly.",
    },
    "representative_data": {
        "yes": "The data is real, representative traffic.",
        "partly": "Real data in part, or possibly outdated or skewed.",
        "no": "Synthetic or unrepresentative data.",
    },
    "stakeholders_briefed": {
        "yes": "Stakeholders were told it is an experiment.",
        "partly": "Stakeholders were told, but expectations may be unrealistic.",
        "no": "Stakeholders not told, or their expectations are unrealistic.",
    },
    "rollback_plan": {
        "yes": "There is a fallback if the model underperforms.",
        "partly": "Rollback is only partly planned.",
        "no": "No rollback plan.",
    },
    "maintenance_plan": {
        "yes": "There is a plan to retrain and maintain the model.",
        "partly": "Maintenance is only partly planned.",
        "no": "No plan to maintain the model.",
    },
    "finetuning_necessary": {
        "yes": "RAG + prompting were weighed against fine-tuning.",
        "partly": "Alternatives only partly considered.",
        "no": "RAG + prompting not assessed yet.",
    },
}
