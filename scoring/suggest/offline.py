"""The offline suggester: rule-based fact extraction, no network, same report shape as the LLM path.

Numbers are read per sentence and classified by the words around them (a percentage right after
"target" is the target, one after "agreed" is labeler agreement…). Qualitative questions and
yes/no statements come from key phrases (:mod:`scoring.suggest.phrases`). Every sentence is read
first (:mod:`scoring.suggest.reading`): advice from a reply, questions and instructions to an assistant
are skipped, wishes state no result, results after fine-tuning are neither prompting results nor
targets, and a positive phrase in a negated sentence becomes a caution to check, not an answer.

Libraries measured on the corpus and not adopted: price-parser (one amount per string, no k/M; it took
"3 weeks", "10:06" or "90" for the price and was wrong in 12 of 23 money sentences, this reader in none),
quantulum3 (turns "2-3 weeks" into 2.5, misses "three weeks in", "four weeks of"). Compound number words
("two thousand", "seventy-eight percent") are read by :func:`scoring.suggest.numbers.word_numbers`, a few lines
that cover what descriptions write, so text2num/number-parser would add a dependency for nothing measurable.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

from scoring.checklist import Checklist
from scoring.suggest import numbers as num
from scoring.suggest import rules
from scoring.suggest.evidence import Unit, check_description, display_quote, normalise, row_cells, sentences
from scoring.suggest.evidence import looks_like_instruction as _instruction
from scoring.suggest.facts import AnswerMention, CautionMention, NumberMention, StatusMention
from scoring.suggest.models import SuggestionReport, Usage
from scoring.suggest.phrases import ANSWER_CUES, NEG, QUESTION_REASON, STATUS_CUES, Cue
from scoring.suggest.pipeline import Extraction, assemble
from scoring.suggest.reading import (
    HEDGE,
    Reading,
    after_finetuning,
    agrees,
    answered_question,
    clause_at,
    conditional,
    current_values,
    denial,
    hedged,
    negation_words,
    read,
    reply_lines,
    time_of,
)


def _has(pattern: str, text: str) -> bool:
    return re.search(pattern, text) is not None


_AGREEMENT = (
    r"\bagree|\bagreement\b|inter-annotator|inter-rater|\bkappa\b|\bindependently\b|"
    r"\b(label|annotat|mark|review|classif|summari|rewr|tag)\w*\b.{0,40}\bthe same \d|"
    r"double[- ](label|annotat)|\bin parallel\b|\bboth (labeled|annotated)|cross-check|\bmatched on\b|"
    r"\bmatch rate\b|\bconcordance\b"
)
_TEST = r"test set|held[- ]?out|hold-out|holdout|eval(uation)? set|test split|for testing"
_TARGET = (
    r"\btarget|\btgt\b|\bgoal\b|\baim(ing)?\b|\bneed(s|ed)?\b|\brequire[sd]?\b|\brequirement\b|\bmust\b|"
    r"\bwants?\b|\bat least\b|\bexpect(ed)?\b|\bto reach\b|\bbefore (this|it) is\b|\b('d|would) like\b|"
    r"\basks?\b|\bminimum\b|\barrive to\b|\bwould let us\b|\b(?:acceptance|success|exit) criteri(?:a|on)\b"
)
# a heading over what the model must reach ("Acceptance criteria"): its accuracy figures are targets, its other
# figures (a class's recall, a latency share) neither targets nor results
_CRITERIA_HEADING = (
    r"^\W*(?:(?:acceptance|success|exit|launch|go-live|release) (?:criteria|requirements)|definition of done|"
    r"requirements)\W*$"
)
_CRITERION_ACCURACY = r"accura|correct|exact match|\bf1\b|pass rate|success rate|hit rate|\bscore"
# the target named after its value: "so 90% is the target", "85% is our goal", "90% is the bar"
_TARGET_AFTER = (
    r"^\+?\s*(?:accuracy\s+)?(?:is|was|will be|would be|as)\s+(?:the|our|a|an|their)\s+(?:\w+\s+)?"
    r"(?:target|goal|bar|minimum|requirement|threshold)\b"
)
# "merch wants 90", "want ~80": a target without a % sign
_BARE_TARGET = re.compile(
    r"\b(?:target(?: is| was| of)?|goal(?: is| was)?|wants?|want to reach|aim(?:ing)? for|need)\s*(?:~|about |around )?"
    r"(\d{2}(?:\.\d)?)(?!\d|[.,]\d|\s?(?:%|percent|k\b|[a-z]))"
)
# "81 → 83 → 83 → 83.5": a history written with arrows
_ARROWS = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d+)?%?(?:\s*(?:→|->|=>)\s*\d{1,3}(?:\.\d+)?%?)+")
# "82, 83, 83, 84, 83": a history written as a list (three or more results, read like arrows)
_LIST = re.compile(
    r"(?<![\w.$€£])\d{1,3}(?:\.\d+)?%?(?:(?:\s*,\s+|\s+/\s+)\d{1,3}(?:\.\d+)?%?){2,}"
    r"(?:,?\s+(?:and|then)\s+\d{1,3}(?:\.\d+)?%?)?"
    r"(?![\w%]|[.,]\d)"
)
# "between 77.5% and 78.4%", "80%-81.5%", "ranged from 77 to 78%": the spread of several results, not two more
_NUM = r"\d{1,3}(?:\.\d+)?"
_RANGE = re.compile(
    rf"\bbetween\s+({_NUM})\s?%?\s+and\s+({_NUM})\s?%|(?<![\w.])({_NUM})\s?%?\s?(-|–|to)\s?({_NUM})\s?%"
)
# several prompting results told together ("the last five prompt versions", "all variants")
_SEVERAL = (
    r"\b(versions|variants|iterations|prompts|tweaks|rewrites|attempts|tries|rounds|experiments|runs|revisions)\b"
)
# the result prompting gets now, in the number's own clause ("better than our prompt (currently 74%, target 85%)")
_CURRENT = r"\b(currently|current|today|right now|at the moment|so far|as of (now|today)|baseline)\b"
_ACCURACY = (
    r"accura|correct|\bright\b(?!-| now\b| away\b)|\bof the time\b|pass rate|\bf1\b|precision|recall|\bscored?\b|"
    r"exact match|success rate|hit rate|"
    r"approval"
)
_PROMPTING = (
    r"prompt|few-shot|zero-shot|one-shot|\bgpt|claude|llama|base model|baseline|in-context|"
    r"iteration|revision|out of the box|stays? at"
)
# a result of people, not of a model: "our human agents currently route 78% of tickets right"
_HUMAN_RESULT = (
    r"\b(human|humans|agents|staff|employees|clerks|coders|nurses|doctors|lawyers|accountants|annotators|"
    r"reviewers|experts|manual(ly)?|by hand)\b"
)
_MODEL = r"prompt|few-shot|zero-shot|\bgpt|claude|llama|gemini|mistral|\bmodel|\bllm|\bai\b|base model|chatbot|bot\b"
# data a model wrote: a model named beside a result ("ChatGPT reached 85%") is prompting, not synthetic data
_SYNTHETIC = (
    r"synthetic|ai-generated|llm-generated|machine-generated|generated (with|by|using)|gpt-written|"
    r"\b(written|created|produced|made|authored|drafted|paraphrased) (with|by|using|in) (chat)?gpt"
)
# the real share stated beside the synthetic one: "roughly 90% of the labelled set is real copywriter text"
_REAL_SHARE = (
    r"\b(is|are|was|were)\s+(real|genuine|authentic|organic|human[- ](written|labell?ed|made)|from production|"
    r"production data)\b|^\s*(real|genuine|authentic|human[- ]written)\b"
)
_NOT_ACCURACY = (
    r"\breduc\w*\b|\bcut\w*\b|\bof (the |all |our )?(tickets|data|dataset|examples|documents|users|customers|"
    r"visitors|sessions|traffic|revenue|budget|bill|costs?)\b|\b(bill|invoice|spend|costs?) (came|went|fell|dropped|"
    r"rose|grew)\b|"
    r"\bimprovement\b|\bshare\b|\bgrowth\b|\bconversion\b|\bclick"
)
_BUDGET = (
    r"\bbudget|\bcan spend\b|\bspend (up to|at most)|\bspent\b|\ballocated\b|\bset aside\b|\bapproved\b|"
    r"\bfunding\b|\bcost cap\b|\bat most\b|\bmax(imum)?\b|\ball in\b|\bfor (the|this) project\b|"
    r"\basking for\b|\bwe have [^.]{0,12}\b(for this|for the project)\b|\btotal cost\b|\bmoney\b|\bfund\b"
)
# Money that is not the team's budget: a vendor's quote, a subscription, an incident's cost, a unit cost
_NOT_BUDGET = (
    r"\bquot(e|ed|es)\b|\bpitch\w*\b|\bcharges?\b|\bsubscription\b|\bgoodwill\b|\bcredits\b|"
    r"\bincident\b|\bper (complaint|ticket|call|claim|document|hour|user|seat)\b|\bto handle\b|\bsalary\b"
)
# Money proposed but not agreed: "the budget of $6,000 is not approved yet", "$15,000 has been mentioned but not
# approved", "pending sign-off"
# approved, and hedged amounts ("might be $4,000", "finance hasn't confirmed", "probably $300") are no budget either
_PENDING = (
    rf"{HEDGE}|\bnot (yet )?(been )?(yet )?(committed|secured|allocated)\b|"
    r"\b(pending|awaiting|waiting (for|on)|subject to|needs?|requires?) (\w+ )?(approval|sign[- ]?off|"
    r"confirmation)\b|\bun(approved|confirmed)\b|\bnot (yet )?submitted\b|\bto be submitted\b|\bdraft\b"
)
# A third party proposing numbers ("the deadline the vendor proposed, two weeks")
_THIRD_PARTY = (
    r"\b(vendor|agency|consultant|contractor|sales rep)\b.{0,40}\b(propos|quot|pitch|offer|suggest|recommend)"
)
_BENEFIT = (
    r"\bsav(e|es|ed|ing|ings)\b|\bbenefit\b|\bworth\b|\bfree up\b|\brevenue\b|\bloaded cost\b|\bvalue\b"
)
_RATE = (
    r"^\s*(\w+\s+){0,3}?(a|per|/|each|every)\s?(day|week|month|year|hour|quarter)\b|^\s*/\s?(day|week|"
    r"month|year)|^\s*(daily|weekly|monthly|yearly|annually)\b"
)
_NOUNS = (
    r"(code )?examples?|samples?|tickets?|listings?|notices?|nda?s|replies|rewrites|incidents|tasks|"
    r"applications|documents?|docs|records?|items?|emails?|messages?|"
    r"conversations?|transcripts?|contracts?|cases?|summaries|pairs?|subject lines?|rows?|labels?|"
    r"annotations?|invoices?|statements?|snippets?|queries|questions?|reviews?|notes?|encounters?|"
    r"reports?|files?|images?|data ?points?|utterances?|calls?|chats?|forms?|receipts?|(purchase )?orders|"
    r"pos|pages?|transactions?|descriptions?|responses?|answers?|dialogues?|completions?|outputs?|"
    r"translations?|sentences?|articles?|posts?|comments?|claims?|pdfs?|scans?|q&a pairs|prompts?|"
    r"clauses?|(?:product|invoice|order) lines?|line items?|"
    # what support, finance, public-sector and ops teams label
    r"returns|refunds|disputes|chargebacks|complaints|enquiries|inquiries|requests|(?:log )?entries|letters|memos|"
    r"resumes|cvs|abstracts|headlines|titles|photos|videos|recordings|(?:audio )?clips|bills|payslips|prescriptions|"
    r"referrals|tweets|job (?:ads|postings)|surveys|commits|diffs"
)
# a noun used as a modifier: what follows is what was counted ("6 prompt iterations", "4 ticket queues")
_COMPOUND_HEAD = (
    r"^[\s-]+(iterations?|versions?|variants?|rounds?|experiments?|templates?|tweaks?|attempts?|revisions?|"
    r"queues?|categories|classes|types?|formats?|fields?|sources?|schemas?|engineers?|writers?|styles?)\b"
)
_LABELED = (
    # "have" as possession, not in "would not have caught"
    r"label|annotat|tagged|categori[sz]ed|classified|graded|rated|ground truth|reviewed|"
    r"(?<!\bnot )(?<!\bwould )(?<!\bcould )(?<!\bshould )(?<!\bmight )(?<!\bmust )(?<!n't )\bhave\b|checked|"
    r"\bcoded\b|triaged|rewritten|marked up|corrected|translated|accepted|approved|written by|paired|"
    r"\bhas\b|we've got|there are|\bdataset\b|\bdata set\b|\bcorpus\b|collected|historical|"
    r"\bgold(?:en|-standard)?\b|hand-picked|\bcurated\b|transcribed into|"
    r"\bin (our|the) (repo|monorepo|codebase|archive)"
)
_PLANNED = (
    r"\badd(ing)?\b|\bplan(ned|s)? to\b|\bwill\b|\bbudget(ed)? (to|for)\b|\bgoing to\b|\banother\b|"
    r"\badditional\b|\bmore\b"
)
# A number read as a bound, not an amount: "fewer than 500 labeled", "under $2K", "<500", "≤ 80%" (no answer
# rather than a wrong one)
_BOUND_BEFORE = (r"\b(fewer|less|lower|no more|not more) than\s*\$?\s*$|"
                 r"\b(under|below|at most|almost|nearly|barely)\s*\$?\s*$|"
                 r"(<=?|≤|⩽|≲)\s*\$?\s*$")
# "up to 500 examples" is a bound too; "we can spend up to $5K" is a budget (a cap is what the team can spend)
_UP_TO = r"\bup to\s*$"
# Said of the past and no longer true: "our former ML engineer left", "we used to monitor drift", "it was cut"
_LAPSED = (
    r"\b(used to|previously|formerly|former|left the (company|team)|has left|have left|"
    r"she left|he left|they left|was cut|were cut|got cut|cut to zero|was deleted|were deleted|got deleted|"
    r"turned (it|them) off|leaked|(has |have )?(since changed|changed since))\b"
)
# An agreement measured on other labels than today's: "in 2022 with a different label set, 90%"
_STALE_LABELS = (
    r"\b(different|old|older|previous|earlier|outdated|superseded) (label|labell?ing|annotation|category) "
    r"(set|scheme|schema|taxonomy|guidelines?)\b|\b(old|older|previous|earlier|outdated|superseded) "
    r"(taxonomy|guidelines)\b"
)
# Someone who is gone: "the contractor who did the POC left in March", "our ML engineer quit", "no longer with us"
_GONE = re.compile(
    r"(?:\bwho\b|\b(?:contractor|consultant|freelancer|engineer|scientist|specialist|expert|person|colleague|"
    r"intern|he|she|they)s?\b)[^.;]{0,60}?\b(?:has |had |have |just |recently )?(?:left|quit|resigned|departed|"
    r"moved on)\b(?! (?:to|over|for|behind|unlabel+ed|comments?|notes?|feedback|it|them|as|a note)\b| \d)|"
    r"\bno longer (?:with us|here|on the team|available|around|works? (?:here|with us))\b|"
    r"\b(?:contract|engagement) (?:has )?(?:ended|expired|ran out)\b"
)
# a quantity left over is not someone leaving: "3 weeks left", "budget left"
_LEFT_OVER = r"\b(?:\d[\d,.]*k?|weeks?|days?|months?|hours?|budget|money|time|nothing|much|little)\s+left\b"


def _gone(text: str) -> bool:
    return _GONE.search(re.sub(_LEFT_OVER, " ", text)) is not None


_UNLABELED = r"\bunlabel+ed\b|\bnot (yet )?label+ed\b|\bnone of (them|these|those|it) (are|is|were|was|have been)\b"
_REJECTED = (
    r"decided against|instead of|rather than|rejected|dropped the idea|not going to|won't|"
    r"would drop|scaling up|scale up"
)
_WEEKS_NEEDED = (
    r"\bproject time\b|\bduration\b|\bcycle (is|takes)\b|"
    r"\bneed(s|ed)?\b|\brequire[sd]?\b|\btakes?\b|\bwould take\b|\bwill take\b|\bestimate[sd]?\b|"
    r"\bexpected to take\b|\bshould take\b|\bplanned at\b"
)
_WEEKS_AVAILABLE = (
    r"\bavailable\b|\ballocate|\bcan (spend|give|dedicate|commit|set aside)\b|\bbefore (the )?"
    r"(launch|deadline|release)\b|\bdeadline\b|\btime ?box|\bwe have\b|\bwindow\b|\bgive this\b|"
    r"\basking for\b|\bof \w+'s time\b|\btimeline\b|\bperiod of\b|\bwe can\b|\bpencil+ed in\b|\bblocked (out|off)\b|"
    r"\bfte for\b|\b(full|part|half)[- ]time for\b"
)
# Durations that are not the schedule: data history, elapsed time, delays before a start
_NOT_SCHEDULE = (
    r"\b(span|spans|spanning|over the (last|past)|ago|since|history|old|every|after|within|for the first|"
    r"start in|starting in|begin in|in production for|covers?|of (data|applications|operations)|"
    r"from the last|past|during|last)\b"
)
_PHASE = (
    r"prep|preparation|anonymi|normali|annotation|labell?ing|audit|fine-tuning itself|training itself|"
    r"evaluation phase"
)
_TOTAL = r"\btotal\b|\bfull cycle\b|\boverall\b|\bend[- ]to[- ]end\b|\bwhole project\b|\bentire project\b"


# a heading over what the team will do: what is listed under it is planned, not done
_PLAN_HEADING = (
    r"^\W*(?:(?:the |our )?road ?map|next steps?|(?:the )?plan|planned|planning|to ?dos?|action items?|actions|"
    r"milestones|future work|upcoming|coming up)\W*$"
)


@dataclass
class Sentence:
    unit: Unit
    norm: str
    reading: Reading
    label: str = ""  # the heading or chat question just before the sentence
    # a checklist question the team answered "no", read as its denial: its numbers are the checklist's thresholds
    denied: bool = False
    quoted: bool = False  # on an email's quoted line ("> …") beside the reply's own lines

    @property
    def quote(self) -> str:
        return display_quote(self.unit.text)


@dataclass
class _Collector:
    numbers: list[NumberMention] = field(default_factory=list)
    statuses: list[StatusMention] = field(default_factory=list)  # statements read from numbers (a narrow spread)
    cautions: list[CautionMention] = field(default_factory=list)  # numbers stated but not (or no longer) so

    def add(self, fact: str, value: float, s: Sentence, upper: float | None = None) -> None:
        self.numbers.append(
            NumberMention.model_validate({"fact": fact, "value": value, "upper": upper, "evidence": s.quote})
        )

    def status(self, fact: str, level: str, note: str, s: Sentence) -> None:
        self.statuses.append(
            StatusMention.model_validate({"fact": fact, "value": level, "note": note, "evidence": s.quote})
        )

    def caution(self, fact: str, note: str, s: Sentence) -> None:
        self.cautions.append(CautionMention(question=fact, note=note, evidence=s.quote))


def _overlaps(found: num.Found, others: list[num.Found]) -> bool:
    return any(found.start < o.end and o.start < found.end for o in others)


def _before(text: str, start: int, width: int = 60) -> str:
    """The words just before ``start`` within the same clause."""
    head = text[max(0, start - width) : start]
    return re.split(r"[;:(]|\. ", head)[-1]


# The held-out share: "a held-out test set of 15% of the data", "we hold out 15%", "300 examples (15%)"
_ABOUT = r"(?:about |around |roughly |approximately |~)?"
_HELD_BEFORE = (
    rf"\b(?:(?:hold(?:ing)?|held|carve[sd]?|split) (?:out|off|back)|set aside|reserve[ds]?)\s*\(?\s*"
    rf"(?:another |a |an )?{_ABOUT}$|"
    rf"\b(?:(?:held[- ]?out|hold-?out|holdout|locked) )?(?:test|eval(?:uation)?|validation|held-out|holdout) "
    rf"(?:set|split|data|portion|slice)(?: size)?(?: is| of| =|:| at| with)?\s*{_ABOUT}$"
)
_SHARE_AFTER = (
    rf"^\s*\)?\s*(?:of (?:the |all |our |each |every )?(?:[\w-]+ ){{0,2}}?(?:data|dataset|data set|corpus|"
    rf"labell?ed|{_NOUNS})\b|(?:held[- ]?out|hold-?out|set aside|reserved|kept (?:aside|apart)|aside|apart)\b|"
    rf"(?:(?:held-out |hold-?out )?(?:test|eval(?:uation)?|validation) (?:set|split))\b|"
    rf"for (?:testing|evaluation|eval)\b)"
)


def _test_share(text: str, p: num.Found, before: str) -> bool:
    """The percentage is the held-out share of the data, not a result measured on it."""
    after = text[p.end : p.end + 50]
    tail = re.split(r"[),;]", after)[0]
    head = text[max(0, p.start - 60) : p.start]
    near = re.split(r";|\. ", head)[-1] + " " + re.split(r";|\. ", after)[0]  # the test set named in this clause
    if not _has(_TEST, near) or _has(_ACCURACY, before[-30:]) or _has(_ACCURACY, tail):
        return False
    return (
        _has(_SHARE_AFTER, after)
        or _has(_HELD_BEFORE, head)
        # "a held-out test set of 300 examples (15%)": the share of a count just given
        or _has(rf"\d[\d,.]*k?\s+(?:[\w-]+\s+){{0,2}}?(?:{_NOUNS})\s*\(\s*{_ABOUT}$", head)
    )


def _spreads(s: Sentence, out: _Collector, tops: list[float]) -> list[tuple[int, int]]:
    """Ranges of prompting results ("the last five versions were all between 77.5% and 78.4%"): a spread under
    the ceiling's gain is a plateau the team states (its top added to ``tops``); the range's ends are not two more
    results. Returns the spans read here."""
    text = s.norm
    if s.reading.time == "wished" or _has(_AGREEMENT, text) or _has(_SYNTHETIC, text):
        return []
    if not (_has(_PROMPTING, text) or _has(_PROMPTING, s.label)) or not _has(f"{_ACCURACY}|{_SEVERAL}", text):
        return []
    spans = []
    for m in _RANGE.finditer(text):
        before = _before(text, m.start())
        history = _has(r"\bfrom\s*$", before) and not _has(r"\b(rang|var|fluctuat)\w*\s+from\s*$", before)
        if m.group(4) == "to" and history:
            continue  # "went from 71% to 78%": a history, read as two results
        if after_finetuning(text, m.start()):
            continue
        if _has(_TARGET, before):
            spans.append((m.start(2) if m.group(1) else m.start(5), m.end()))  # a target range: its low end
            continue
        low, high = (float(g) for g in (m.group(1, 2) if m.group(1) else m.group(3, 5)))
        spans.append((m.start(), m.end()))
        if _has(_SEVERAL, text) and 0 <= high - low < rules.CEILING_GAIN:
            out.status("prompting_plateau", "yes", f"the results stayed within {high - low:.2g} points", s)
            tops.append(high)
    return spans


def _percents(s: Sentence, out: _Collector, spread: list[tuple[int, int]]) -> None:
    text = s.norm
    found = num.percents(text)
    agreement = _has(_AGREEMENT, text)
    synthetic = _has(_SYNTHETIC, text)
    wished = s.reading.time == "wished"
    listed = [(a, b) for a, b, _values in _listed(s)]
    for i, p in enumerate(found):
        before = text[found[i - 1].end if i else 0 : p.start]
        own = re.split(r"[;(]|,\s|\.\s", before)[-1]  # the number's own clause
        after = text[p.end : p.end + 25]
        if wished and not _has(_TARGET, before):
            continue  # a wish ("next time, get agreement above 80%") states no result; a target is a wish
        if _bound(text, p):
            continue  # "agree less than 80% of the time": below some unknown value, not 80%
        if re.match(r"\+?\s*(?:[\w-]+\s+)?disagree", after):
            continue  # "40%+ disagreement on two intents": a disagreement rate (often of a subset), not agreement
        if any(a <= p.start < b for a, b in spread + listed):
            continue  # a range's end, or one of a listed history (read by _spreads and _bare_numbers)
        if synthetic and not agreement and _has(_REAL_SHARE, re.split(r"[;,]", text[p.end :])[0]):
            continue  # "90% of the set is real; the rest is synthetic": the real share, not the synthetic one
        elif synthetic and not agreement:
            out.add("synthetic_share", p.value, s)
        elif _test_share(text, p, before):
            if s.reading.time != "planned":  # "we will set aside 10% as a test set": none exists yet
                out.add("test_share", p.value, s)
        elif agreement and not _has(_TARGET, before) and (_has(_LAPSED, text) or _has(_STALE_LABELS, text)):
            out.caution("agreement_pct", f"mentions {p.value:g}% agreement, but measured on what has changed "
                        "since or no longer holds — check", s)
        elif agreement and not _has(_TARGET, before):
            out.add("agreement_pct", p.value, s)
        elif _has(_CRITERIA_HEADING, s.label):
            if _has(_CRITERION_ACCURACY, text) and not wished:
                _target(s, p, out)
        elif _has(_NOT_ACCURACY, own[-40:] + after) and not _has(_ACCURACY, re.split(r"[;,]", after)[0]):
            continue
        elif after_finetuning(text, p.start):
            continue  # a result measured after fine-tuning is neither a prompting result nor a target
        elif _has(_CURRENT, own) and not _has(_TARGET, own):
            if _prompting_result(s):
                out.add("prompting_accuracy", p.value, s)  # "(currently 74%, target 85%)": today's result
        elif ((_has(_TARGET, before) or _has(r"^\W*(goal|target)\b", s.label)) and not _has(
            r"\b(reached|got|gets|scored|achieved|measured)\b", before
        )) or _has(_TARGET_AFTER, after):
            _target(s, p, out)
        elif _has(r"\b(rag|retrieval)\b", text) and not _has(r"\bprompt", text):
            continue  # a retrieval result is not a prompting iteration
        elif _ARROWS.search(text):
            continue  # the history written with arrows is read once, by _bare_numbers
        elif _prompting_result(s):
            out.add("prompting_accuracy", p.value, s)
    if synthetic and not found:
        share = num.fraction_percent(text)
        if share is not None:
            out.add("synthetic_share", share, s)


def _prompting_result(s: Sentence) -> bool:
    """A percentage in the sentence can be a prompting result: it speaks of accuracy or prompting, and not of what
    people score ("our human agents currently route 78% of tickets right")."""
    text = s.norm
    if _has(_HUMAN_RESULT, text) and not _has(_MODEL, re.sub(r"\bai agents?\b", "ai", text)):
        return False
    return _has(_ACCURACY, text) or _has(_PROMPTING, text) or _has(_PROMPTING, s.label)


_KAPPA = re.compile(r"\bkappa\b\D{0,15}?(0?\.\d+)|(0?\.\d+)\s*(?:cohen'?s\s+)?kappa\b")


def _kappa(s: Sentence, out: _Collector) -> None:
    """Agreement given as a kappa ("0.68 kappa"): not the percentage the checklist asks for, so a caution."""
    m = _KAPPA.search(s.norm)
    if m is not None and s.reading.time != "wished":
        value = m.group(1) or m.group(2)
        out.caution("agreement_pct", f"agreement is given as kappa {value}, not as % agreement — check", s)


def _target(s: Sentence, p: num.Found, out: _Collector) -> None:
    """A target, or a caution when the sentence hedges it ("something like 90%, but it hasn't been agreed")."""
    if hedged(s.norm):
        out.caution("target_accuracy", f"mentions a {p.value:g}% target, but it is not agreed yet — check", s)
    else:
        out.add("target_accuracy", p.value, s)


def _bare_numbers(s: Sentence, out: _Collector) -> None:
    """Targets and histories written without % ("wants 90", "81 → 83 → 83.5")."""
    text = s.norm
    for m in _BARE_TARGET.finditer(text):  # "83% is close to what we need, the target was 85"
        if 50 <= float(m.group(1)) <= 100 and not after_finetuning(text, m.start()):
            out.add("target_accuracy", float(m.group(1)), s)
    if _has(_PROMPTING, text) or _has(_PROMPTING, s.label) or _has(r"\bnumbers\b|\bresults\b", text):
        for m in _ARROWS.finditer(text):
            for value in re.findall(r"\d{1,3}(?:\.\d+)?", m.group(0)):
                out.add("prompting_accuracy", float(value), s)
    for _start, _end, values in _listed(s):
        for value in values:
            out.add("prompting_accuracy", value, s)


def _listed(s: Sentence) -> list[tuple[int, int, list[float]]]:
    """Prompting results written as a list ("last five prompt tweaks: 82, 83, 83, 84, 83", "results by
    iteration: 55%, 63%, 68%"): where each list sits and its values, in order."""
    text = s.norm
    prompting = _has(_PROMPTING, text) or _has(_PROMPTING, s.label) or _has(r"\bnumbers\b|\bresults\b", text)
    if s.reading.time == "wished" or not prompting or _has(_AGREEMENT, text) or _has(_SYNTHETIC, text):
        return []
    out = []
    for m in _LIST.finditer(text):
        values = [float(v) for v in re.findall(r"\d{1,3}(?:\.\d+)?", m.group(0))]
        told = "%" in m.group(0) or _has(f"{_ACCURACY}|{_SEVERAL}|\\bresults?\\b", text)
        counted = re.match(rf"^[\s-]*(?:{_NOUNS}|shots?|words|tokens|classes|categories|queues|minutes|hours|days|"
                           r"weeks|months|dollars|euros)\b", text[m.end() :])
        if told and counted is None and all(10 <= v <= 100 for v in values) and not after_finetuning(text, m.start()):
            out.append((m.start(), m.end(), values))
    return out


# "we have 2k labelled invoices, annotated by two accountants; agreement was 82%": the dataset told beside
# the agreement test, in a clause of its own
_POSSESSION = (
    r"\b(?:we have|we've got|we've|we now have|there are|our (?:dataset|data set|corpus|data) (?:has|contains|is)|"
    r"in total|a total of|altogether)\b"
)
_SAMPLE = r"\b(?:sample|subset|batch|same|twice|double|both|each|overlap\w*|of them|of those)\b"
# examples inside a spec, guide or prompt are illustrations, not the labelled dataset
_ILLUSTRATIVE = r"\b(?:worked|illustrative|few-shot|in-context|demo|seed)\b"
_IN_A_DOCUMENT = (
    r"\b(?:spec|specification|guide(?:lines)?|rubric|playbook|handbook|prompt|instructions)\s+(?:[\w-]+\s+)?"
    r"(?:with|has|have|contains|containing|includes|including|of)\s+(?:about |around |roughly |~)?$"
)


def _counts(s: Sentence, out: _Collector, taken: list[num.Found]) -> None:
    text = s.norm
    if s.reading.time == "wished":
        return
    agreement = _has(_AGREEMENT, text)
    for n in num.numbers(text):
        if _overlaps(n, taken) or _is_year(text, n) or _has(r"[a-z]-$", text[: n.start]):
            continue  # a year, or a model's name ("gpt-4", "llama-3")
        if re.match(r"^\s?(?:-|–|to)\s?\d", text[n.end :]) or re.search(r"\d\s?(?:-|–|to)\s?$", text[: n.start]):
            continue  # one end of a range ("10–12 documents per type") is not a dataset size
        if re.search(r"\d\s+or\s+$", text[: n.start]):
            continue  # "600 or 700 labelled pairs": the low end is read (as an estimate, see rules)
        if agreement and not _dataset_beside_agreement(text, n):
            continue  # "labeled the same 200 tickets and agreed": the agreement sample, not the dataset
        if not _test_count(s, n, out):
            _count(s, n, out)


def _dataset_beside_agreement(text: str, n: num.Found) -> bool:
    clause = clause_at(text, n.start, n.end)
    return (
        not _has(_AGREEMENT, clause) and not _has(_SAMPLE, clause) and _has(_POSSESSION, clause)
        and _has(r"\blabel|annotat|tagged|classified|graded|rated|marked up|\bcoded\b", clause)
    )


def _test_count(s: Sentence, n: num.Found, out: _Collector) -> bool:
    """A count in a test-set context: the test set's size, or the total it is part of ("Held-out test set:
    300 of our 2,000 examples"). True when the number was read here."""
    text = s.norm
    after = text[n.end : n.end + 50]
    before = _before(text, n.start, 45)
    lead = re.match(r"^\W*([^:\d]{1,40}):", text)
    # "Held-out test set: 300 invoices": the label names what the first number after it counts
    led = lead is not None and _has(_TEST, lead[1]) and not _has(r"[,;]", text[lead.end() : n.start])
    # under a "Test set" heading (a list item of its own): the item's first number is the test set's size
    headed = len(s.label.split()) <= 4 and _has(_TEST, s.label) and not num.numbers(text[: n.start])
    test_before = _has(_TEST, before[-30:]) or (led and lead is not None and lead.end() <= n.start) or headed
    told = re.match(rf"^\+?(?:[\s-]*[\w-]+){{0,5}}?[\s-]*({_TEST})", after)
    # "2,000 labelled tickets but no test set": the count is not the test set a denial names
    test_after = told is not None and not _has(rf"\b(?:but|{NEG})\b", told.group(0))
    part_of = _has(_PART_OF, after)
    pair = _test_pair(text, n)
    if (test_before and _has(_WHOLE_OF, text[: n.start])) or pair == "whole":
        out.add("dataset_size", n.value, s)  # "300 of our 2,000", "10% of the 8,000": the whole the test set is from
        return True
    if pair == "part" or ((test_before or test_after) and (not part_of or (test_before and not test_after))):
        if not _has(r"\b(need|should|want|plan|will|hold out \d+%)\b", before) and s.reading.time != "planned":
            out.add("test_set_size", n.value, s)
        return True
    return False


_PART_OF = r"^\s+of\s+(?:our |the |all |a total of )?\d"
_WHOLE_OF = r"\d[\d,.]*k?%?\s+of\s+(?:our |the |all |a total of )?$"


def _test_pair(text: str, n: num.Found) -> str | None:
    """ "We set aside 300 of our 2,000 examples as a test set": in a clause that names a test set (not denied), the
    part ("part") is the test set and the whole ("whole") the data it is taken from; None for other numbers."""
    part, whole = _has(_PART_OF, text[n.end :]), _has(_WHOLE_OF, text[: n.start])
    if not (part or whole):
        return None
    clause = clause_at(text, n.start, n.end)
    named = [m for m in re.finditer(_TEST, clause) if not _has(rf"\b{NEG}\b", clause[: m.start()])]
    if not named:
        return None
    return "part" if part else "whole"

# a document just before a number of pages: "a written routing guide (14 pages)", "the spec is 20 pages"
_DOCUMENT_BEFORE = (
    r"\b(guide(lines?)?|spec(ification)?s?|handbook|manual|document(ation)?|docs?|policy|playbook|rubric|"
    r"definitions?|wiki|sop|instructions|readme|runbook)\b[^.;]{0,20}$"
)


def _row_noun(text: str, n: num.Found) -> str | None:
    """ "Labeled clauses: 1,150" (a table row or a labelled line): the label names what the number after it counts."""
    lead = re.match(r"^\W*([^:\d]{1,40}):\s*(?:about |around |roughly |~)?$", text[: n.start])
    noun = re.search(rf"\b({_NOUNS})\s*$", lead.group(1)) if lead else None
    return noun.group(1) if noun else None


def _count(s: Sentence, n: num.Found, out: _Collector) -> None:
    """A count of labelled (or planned) examples, if that is what the number counts."""
    text = s.norm
    high = re.match(r"\s+or\s+\d[\d,.]*k?\b", text[n.end :])  # "600 or 700 labelled pairs": the noun follows 700
    after = text[n.end + (high.end() if high else 0) :][:50]
    before = _before(text, n.start, 45)
    found = re.match(rf"^\+?\s*(?:[\w-]+\s+){{0,2}}?({_NOUNS})\b", after)
    noun = found.group(1) if found else _row_noun(text, n)
    rest, between = (after[found.end() :], after[: found.start(1)]) if found else (after, "")
    if noun is None or re.match(_RATE, rest) or re.match(_RATE, after):
        return
    if re.match(_COMPOUND_HEAD, rest):
        return  # "6 prompt iterations", "3 ticket queues": the count is of the word after the noun
    if re.match(r"^\s*(?:per|a|each)\s+\w+", rest):
        return  # "per permit type": a rate, not a total
    if _has(_ILLUSTRATIVE, between) or _has(_IN_A_DOCUMENT, before):
        return  # "a task spec with 40 worked examples": the spec's illustrations, not the dataset
    if _has(r"^pages?$", noun) and _has(_DOCUMENT_BEFORE, text[max(0, n.start - 40) : n.start]):
        return  # "a written routing guide (14 pages)": the guide's length, not labelled pages
    if _has(_REJECTED, text) or _unclear_amount(text, n):
        return
    if _has(_PLANNED, before) or s.reading.time == "planned":
        if _has(r"\blabel|annotat|collect|creat|generat|\badd", text):
            out.add("planned_examples", n.value, s)
        return
    if _has(_LABELED, text) and not _labels_denied(text, n):
        out.add("labeled_examples", n.value, s)


# what says the items counted are labelled ("1,200 labelled tickets"), as against only having them ("we have")
_LABEL_WORD = (
    r"label|annotat|tagged|categori[sz]ed|classified|graded|rated|ground truth|reviewed|checked|\bcoded\b|triaged|"
    r"rewritten|marked up|corrected|translated|accepted|approved|written by|paired"
)
# the items had, then denied their labels: "but none are labelled", "none of them have reference summaries"
_DENIED = re.compile(
    rf"\bnone\b(?:\s+of\s+(?:them|these|those|it))?\s+(?:are|is|were|was|have|has|had|come|comes)\b|"
    rf"\b(?:no|not|never|without|nothing)\b(?:\s+[\w'-]+){{0,4}}?\s+(?:{_LABEL_WORD}|reference|gold|answers?|"
    r"summar|outputs?|targets?)"
)


def _labels_denied(text: str, n: num.Found) -> bool:
    """Items the team has but says are not labelled ("we have 12,000 contracts but none are labelled"): only
    possession was read, and the rest of the sentence denies the labels."""
    denied = _DENIED.search(text, n.end)
    return denied is not None and not _has(_LABEL_WORD, text[n.end : denied.start()])


def _bound(text: str, n: num.Found, *, cap_is_amount: bool = False) -> bool:
    """A bound just before the number ("fewer than 500", "<80%"); "up to" too, unless a cap is the amount."""
    head = text[max(0, n.start - 20) : n.start]
    return _has(_BOUND_BEFORE, head) or (not cap_is_amount and _has(_UP_TO, head))


def _unclear_amount(text: str, n: num.Found, *, money: bool = False) -> bool:
    """The number is not what the team has now: negated, a bound, no longer true, or of unlabeled items."""
    return (_negated(text, n.start) or _bound(text, n, cap_is_amount=money)
            or _has(_LAPSED, text) or _unlabeled(text, n))


def _unlabeled(text: str, n: num.Found) -> bool:
    """ "Unlabelled" said of this number's items: no other number stands between them ("1.5K rows labelled …
    another 2k unlabelled rows" says it of the 2k only)."""
    others = [f for f in num.numbers(text) if f.start != n.start and not _is_year(text, f)]
    for m in re.finditer(_UNLABELED, text):
        lo, hi = (n.end, m.start()) if m.start() >= n.end else (m.end(), n.start)
        if not any(lo <= f.start < hi for f in others):
            return True
    return False


def _is_year(text: str, n: num.Found) -> bool:
    return 1900 <= n.value <= 2100 and _has(
        r"\b(in|since|by|from|until|of|early|late|q[1-4]|during)\s*$", text[: n.start]
    )


def _money(s: Sentence, out: _Collector) -> list[num.Found]:
    """The budget; the heading or chat question the sentence answers (e.g. "Budget.") counts as context."""
    text = s.norm
    amounts = num.money(text) or _bare_budget(text)
    topic = f"{s.label} {text}"
    if not amounts and s.reading.time == "done" and _has(num.NO_BUDGET, text) and not _has(_THIRD_PARTY, text):
        out.add("budget_usd", 0, s)  # "we have no budget", "Budget: none"
    if not amounts or not _has(_BUDGET, topic) or (_has(_BENEFIT, text) and not _has(r"\bbudget", topic)):
        return list(amounts)
    if _has(_NOT_BUDGET, text) or _has(_THIRD_PARTY, text) or s.reading.time == "wished":
        return list(amounts)
    usable = [a for a in amounts
              if not re.match(_RATE, text[a.end : a.end + 20]) and not _unclear_amount(text, a, money=True)]
    pending = [a for a in usable if _pending(text, a)]
    usable = [a for a in usable if a not in pending]
    if pending and not usable:
        shown = num.show_money(pending[0])
        out.caution("budget_usd", f"mentions {shown} but it is not approved or confirmed yet — check", s)
    if not usable:
        return list(amounts)
    if len(usable) > 1 and _parts(text, usable):
        out.add("budget_usd", sum(a.usd for a in usable), s)
    else:
        out.add("budget_usd", usable[0].usd, s)
    return list(amounts)


# "Budget: 4k approved", "$$: 4k": thousands without a currency sign, named as the budget
_BARE_BUDGET = re.compile(
    r"(?:^\W*\$\$\s*:|\bbudget\b\s*(?::|=|is|of)?)\s*(?:~|about |around |roughly |approx\.? )?(\d+(?:\.\d+)?)\s?k\b"
)


def _bare_budget(text: str) -> list[num.Money]:
    m = _BARE_BUDGET.search(text)
    return [num.Money(float(m.group(1)) * 1000, m.start(1), m.end())] if m else []


# amounts that add up: "$6,000 for labeling and $3,000 for compute", "$8,000 in review time and $200 in compute"
_ADDED = r"\bplus\b|\s\+\s|\bon top\b|\band another\b|\bcombined\b|\btogether\b|\baltogether\b"


def _parts(text: str, amounts: list[num.Money]) -> bool:
    """The amounts are parts of one budget, said to add up or each given for its own purpose; a total with
    its breakdown ("$5,000 in total, of which $2,000 …") is not summed."""
    if _has(r"\b(of which|including|includes|incl|in total)\b", text):
        return False
    each = all(re.match(r"\s*(?:\w+\s+)?(?:for|on|in|to cover)\b", text[a.end : a.end + 25]) for a in amounts)
    return each or _has(_ADDED, text)


def _pending(text: str, amount: num.Found) -> bool:
    """The amount is proposed but not approved: said in its clause before it, or in the rest of its sentence."""
    rest = re.split(r";|\.\s|\band\b", text[amount.end :])[0]  # up to the next clause joined by "and"
    unchecked = _has(r"^\W*todo:", text)  # "[ ] Budget approved ($5,000)"
    return unchecked or _has(_PENDING, _before(text, amount.start)) or _has(_PENDING, rest)


def _durations(s: Sentence, out: _Collector) -> list[num.Found]:
    text = s.norm
    # under a "Timeline" heading, after "Timeline:" in the sentence, or listed next to the budget
    timeline_section = (
        _has(r"\b(timeline|schedule|time available)\b", s.label)
        or _has(r"^\W*(timeline|schedule)\s*:", text)
        or (_has(r"\bbudget\b", text) and bool(num.money(text)))
    )
    found = num.durations_weeks(text)
    if _has(_THIRD_PARTY, text) or s.reading.time == "wished":
        return found
    for d in found:
        before = _before(text, d.start)
        after = text[d.end : d.end + 40]
        part = text[text.rfind(";", 0, d.start) + 1 :].split(";")[0]  # "timeline: 6 weeks; data prep is 3"
        if _has(_PHASE, part) and not _has(_TOTAL, text):
            continue  # one phase's time ("annotation takes 3 weeks"), not the whole cycle's
        if _has(_NOT_SCHEDULE, before[-25:]) or _has(r"^\s*(ago|later|into|of (data|history|applications))", after):
            continue
        if _has(_WEEKS_NEEDED, before) or _has(r"^\s*(needed|required|of work)\b", after):
            out.add("weeks_needed", d.value, s, d.upper)
        elif (
            _has(_WEEKS_AVAILABLE, before)
            or _has(r"^\s*(available|left|until|before|next quarter|in (june|march|may|april|q\d))\b", after)
            or timeline_section
        ):
            out.add("weeks_available", d.value, s, d.upper)
    return found


def _negated(text: str, start: int) -> bool:
    """A negation just before ``start`` in the same clause; a negated condition ("if it doesn't work,
    we fall back") does not negate what follows it."""
    clause = re.split(r"[,;:(]| but | though | although ", text[:start])[-1]
    if _has(r"^\s*(if|when|unless|in case|should)\b", clause):
        return False
    return _has(rf"\b{NEG}\b", " ".join(clause.split()[-3:]))


def _hypothetical(text: str, start: int) -> bool:
    """The phrase is something the team will look for, not something it states ("checking for skew")."""
    clause = re.split(r"[;:(]|\. ", text[:start])[-1]
    return _has(
        r"\b(looking|look|check(ing)?|watch(ing)?|screen(ing)?|test(ing)?) for\b|\bto (catch|find|detect|"
        r"spot)\b|\bin case of\b|\bwhether\b",
        clause,
    )


# Questions asked in the past tense: a plan is not an answer ("we'll double-label a sample")
_PAST_TENSE = frozenset({"agreement_tested", "stakeholders_briefed", "prompting_plateau", "finetuning_necessary"})
# ... and questions about what exists now: a test set the team will set aside is not one it has
_EXISTS = frozenset({"held_out_test_set"})
# ... and questions about who the team has now: a hire planned, or a maybe, is not an engineer
_PRESENT_TENSE = frozenset({"ml_engineer"})
_NOT_YET = r"\b(might|may be able|could maybe|possibly|perhaps|borrow\w*|hire|hiring|recruit\w*|bring on)\b"
# ... and questions about a plan: a plan still to be written is no plan ("a rollback plan will be written later");
# a fallback told in the future tense ("we will switch back to the prompt") is the plan itself
_PLAN_QUESTIONS = frozenset({"rollback_plan", "retraining_plan"})
_PLAN_LATER = (
    r"\b(plan|runbook|playbook|procedure|process|strategy)\b[^.;]{0,30}\b(will|'ll|is to|are to|yet to|still to|"
    r"to) be (written|drafted|defined|created|made|set up|worked out|figured out|decided|agreed)\b|"
    r"\b(will|'ll|going to|plan to|need to|needs to|have to|has to|yet to|still to|to) (write|draft|define|create|"
    r"make|work out|figure out|come up with|put together|decide on)\b[^.;]{0,30}\b(plan|runbook|playbook|"
    r"procedure|process|strategy)\b|\bplan\b[^.;]{0,20}\b(later|tbd|to follow)\b|^\W*todo:"
)


@dataclass(frozen=True)
class _Hit:
    cue: Cue
    sentence: Sentence
    phrase: str
    ambiguous: bool
    why: str = ""  # what makes an ambiguous hit doubtful, for the caution


def _not_now(name: str, text: str) -> bool:
    """What a yes or partly cue says is no longer (or not yet) so: a lapse, someone gone, a hire or a maybe;
    "the contractor who ran it left" is no outside help now."""
    return (
        _has(_LAPSED, text)
        or _gone(text)
        or (name in _PRESENT_TENSE and _has(_NOT_YET, text))
        or (name in _PLAN_QUESTIONS and _has(_PLAN_LATER, text))
    )


def _match(name: str, cues: list[Cue], units: list[Sentence]) -> _Hit | None:
    """The first cue (in priority order) stated by the team; a positive cue in a negated clause is kept
    as ambiguous evidence when nothing clearer is found."""
    ambiguous: _Hit | None = None
    for c in cues:
        for s in units:
            m = c.pattern.search(s.norm)
            if m is None or not s.reading.counts or _hypothetical(s.norm, m.start()):
                continue
            if c.unless is not None and c.unless.search(s.norm):
                continue
            if c.negatable and _negated(s.norm, m.start()):
                continue
            if c.level != "no" and (
                s.reading.time == "wished" or (name in _PAST_TENSE and s.reading.time == "planned")
            ):
                continue
            if c.level != "no" and name in _PAST_TENSE and conditional(s.norm, m.start()):
                continue  # "relabel if accuracy stalls": a condition, not something that happened
            if c.level != "no" and name in _EXISTS and (
                time_of(_part(s.norm, m.start())) == "planned" or _has(_PLAN_HEADING, s.label)
            ):
                ambiguous = ambiguous or _Hit(c, s, m.group(0), True, "in a sentence about a plan")
                continue  # "we will set aside 300 examples as a held-out test set": none exists yet
            if c.level != "no" and _not_now(name, s.norm):
                why = "in a sentence about the past, a plan or a maybe"  # not (or not yet) true now: to check
                ambiguous = ambiguous or _Hit(c, s, m.group(0), True, why)
                continue
            # a negation elsewhere in the sentence, unless a join sets it apart ("… part-time and no budget for …")
            reach = _negation_reach(s.norm, m.start(), m.end())
            said = negation_words(reach) if c.negatable and c.level != "no" else None
            if said is not None:  # a negation elsewhere in the sentence: named, for the team to judge
                ambiguous = ambiguous or _Hit(c, s, m.group(0), True, f"the same sentence says '{said}'")
                continue
            return _Hit(c, s, m.group(0), False)
    return ambiguous


# Where a sentence joins two statements: "…part-time and no budget for …", "…; there is no budget", "…, but we have …"
_JOIN = re.compile(r"\s*;\s*|,?\s+(?:and|but)\s+")
# a joined part that states something of its own: it has its own subject ("we …", "there is …")
_OWN_SUBJECT = re.compile(r"(?:we|i|our|my|there|the team|nobody|no one)\b")
# ... or it negates a new thing ("and no budget for a labeling vendor"), not what came before ("but no longer")
_LACKS = r"(?:no|zero)\s+(?!longer\b|more\b|less\b|fewer\b|one\b|later\b)[a-z]"
_NEW_NEGATED = re.compile(rf"{_LACKS}|nobody\b|no one\b")
# after "but", only a new thing lacking is a statement of its own ("but no GPU budget"; not "but nobody …")
_BUT_LACKS = re.compile(_LACKS)
# a part that points back at what came before is about the same thing: "dashboards exist, but nobody has looked at
# them", "an ML engineer, but she has never fine-tuned"
_POINTS_BACK = re.compile(r"\b(?:it|its|they|them|their|he|him|his|she|her)\b")
# a concession qualifies what it follows, up to the sentence's end ("…, though 10% were relabelled and nobody …")
_CONCESSION = re.compile(r"\b(?:though|although|except|whereas|while|unless)\b")
_COMMON = frozenset({
    "have", "with", "from", "this", "that", "there", "were", "been", "does", "done", "about", "after", "before",
    "team", "only", "also", "some", "then", "than", "what", "when", "will", "would", "could", "should", "each",
    "most", "more", "much", "many", "very", "just", "into", "over", "under", "still", "since", "your", "ours",
    "nobody", "none", "anyone", "everyone", "someone", "being", "having", "time", "times",
})


def _words(text: str) -> set[str]:
    """The content words of ``text``, cut to five letters ("labels" and "labelled" are one word)."""
    return {w[:5] for w in re.findall(r"[a-z][a-z'-]{3,}", text) if w not in _COMMON}


def _stands_alone(before: str, join: str, after: str, *, new_thing: bool) -> bool:
    """The part after a join is a statement of its own, not more about the part before: joined by ";", with its own
    subject or (``new_thing``) negating a new thing; pointing back at nothing before it and naming nothing it names."""
    if _POINTS_BACK.search(after) or _words(before) & _words(after):
        return False
    return ";" in join or _OWN_SUBJECT.match(after) is not None or (new_thing and _NEW_NEGATED.match(after) is not None)


def _negation_reach(text: str, start: int, end: int) -> str:
    """The part of the sentence a negation must stand in to bear on the phrase at ``start:end``: the sentence, less
    the parts a join sets apart from the phrase's (:func:`_stands_alone`). "We have one ML engineer part-time and no
    budget for a labeling vendor" does not doubt the engineer; "an ML engineer, but not full-time" and "we don't have
    a budget or an ML engineer" still do."""
    joins = list(_JOIN.finditer(text))
    lo = 0
    for i, j in enumerate(joins):
        after = text[j.end() : joins[i + 1].start() if i + 1 < len(joins) else len(text)]
        if j.end() <= start and _stands_alone(text[lo : j.start()], j.group(0), after, new_thing=False):
            lo = j.end()  # the phrase's part says something of its own
        elif j.start() >= end and _CONCESSION.search(text[end : j.start()]) is not None:
            break  # "…, though 10% were relabelled and nobody counted …": all of it qualifies the phrase
        elif j.start() >= end and "but" in j.group(0):
            # "but no GPU budget" lacks a new thing; "but there is nobody in that role now", "but nobody watches"
            # qualify the phrase's own
            if _BUT_LACKS.match(after) and _stands_alone(text[lo : j.start()], j.group(0), after, new_thing=True):
                return text[lo : j.start()]
            break
        elif j.start() >= end and _stands_alone(text[lo : j.start()], j.group(0), after, new_thing=True):
            return text[lo : j.start()]
    return text[lo:]


def _part(text: str, at: int) -> str:
    """The part of the sentence holding ``at``, between semicolons or dashes."""
    cuts = [0, *(m.end() for m in re.finditer(r";|\s-\s", text)), len(text)]
    lo = max(c for c in cuts if c <= at)
    return text[lo : min(c for c in cuts if c > at)]


def _reading_text(u: Unit) -> str:
    """The sentence as the rules read it: a table row as "label: value; note", values the text negates or
    tells of the past replaced by the current ones (:func:`scoring.suggest.reading.current_values`)."""
    cells = row_cells(u.text) if u.row else None
    text = f"{cells[0]}: {'; '.join(cells[1:])}" if cells else u.text
    # "❌ Held-out test set": there is none; "[ ] Rollback plan", an unchecked box: still to do
    text = re.sub(r"^\[ \]\s*", "todo: ", re.sub(r"^[❌✗✘✖]\s*", "no ", normalise(text)))
    return current_values(text)


def _quoted_lines(description: str) -> set[int]:
    """Lines quoted from an earlier email ("> …"), when the description has lines of its own too; a description
    quoted whole is the team's own words."""
    lines = description.split("\n")
    quoted = {i for i, line in enumerate(lines) if line.lstrip().startswith(">")}
    own = [line for i, line in enumerate(lines) if i not in quoted and any(ch.isalnum() for ch in line)]
    return quoted if own else set()


def read_units(description: str) -> list[Sentence]:
    replies = reply_lines(description)
    quoted = _quoted_lines(description)
    out: list[Sentence] = []
    label = ""
    for u in sentences(description):
        if _instruction(u.text):
            continue
        norm, asked, denied = _answer_text(u)
        line = description.count("\n", 0, u.start)
        reading = read(norm, in_reply=line in replies)
        if reading.time != "wished" and time_of(label) == "wished":  # under "Next time." or "Wishlist:"
            reading = Reading(reading.counts, "wished", reading.after_finetuning)
        elif reading.time == "done" and _has(_PLAN_HEADING, label):  # "June 24: freeze a test set" under "Roadmap"
            reading = Reading(reading.counts, "planned", reading.after_finetuning)
        s = Sentence(u, norm, reading, asked or label, denied, line in quoted)
        if not u.row and not asked and (len(norm.split()) <= 4 or norm.rstrip().endswith("?")):
            label = norm  # a heading or a chat question ("ben: timeline?") frames what follows; a row does not
        out.append(s)
    return out


def _answer_text(u: Unit) -> tuple[str, str, bool]:
    """What the rules read of the unit, the question it answers ("" when none) and whether that reading is the
    question denied: of a question answered in the same sentence ('"Do you have a rollback plan?" — Not yet.') the
    question's words when the answer is a plain yes, its denial ("we do not have a rollback plan …") when it is a
    plain no, else only the answer."""
    norm = _reading_text(u)
    qa = None if u.row else answered_question(norm)
    if qa is None or agrees(qa[1]):
        return norm, "", False
    denied = denial(*qa)
    if denied is not None:
        return denied, qa[0], True
    return current_values(qa[1]), qa[0], False


def _caution(question: str, hit: _Hit) -> CautionMention:
    note = f"mentions '{hit.phrase.strip()}' but {hit.why} — check"
    return CautionMention(question=question, note=note, evidence=hit.sentence.quote)


def extract(description: str) -> Extraction:
    units = read_units(description)
    # an email's quoted lines ("> You mentioned €4k") are earlier words: read only for what the reply does not say
    reply, quoted = [s for s in units if not s.quoted], [s for s in units if s.quoted]
    out, earlier = _read_numbers(reply), _read_numbers(quoted)
    said = {m.fact for m in out.numbers} | {m.fact for m in out.statuses}
    out.numbers += [m for m in earlier.numbers if m.fact not in said]
    out.statuses += [m for m in earlier.statuses if m.fact not in said]
    out.cautions += [c for c in earlier.cautions if c.question not in said]
    statuses, answers, cautions = [], [], []
    for fact, cues in STATUS_CUES.items():
        hit = _match(fact, cues, reply) or _match(fact, cues, quoted)
        if hit is None:
            continue
        if hit.ambiguous:
            cautions.append(_caution(fact, hit))
            continue
        statuses.append(
            StatusMention.model_validate(
                {"fact": fact, "value": hit.cue.level, "note": hit.cue.note, "evidence": hit.sentence.quote}
            )
        )
    for question, cues in ANSWER_CUES.items():
        hit = _match(question, cues, reply) or _match(question, cues, quoted)
        if hit is None:
            continue
        if hit.ambiguous:
            cautions.append(_caution(question, hit))
            continue
        reason = QUESTION_REASON[question][hit.cue.level]
        answers.append(
            AnswerMention.model_validate(
                {"question": question, "answer": hit.cue.level, "reason": reason, "evidence": hit.sentence.quote}
            )
        )
    return Extraction(
        numbers=out.numbers, statuses=statuses + out.statuses, answers=answers, cautions=out.cautions + cautions
    )


def _read_numbers(units: list[Sentence]) -> _Collector:
    out = _Collector()
    for s in units:
        if not s.reading.counts or s.denied:
            continue
        taken = _money(s, out) + _durations(s, out) + num.percents(s.norm)
        tops: list[float] = []
        results = sum(1 for m in out.numbers if m.fact == "prompting_accuracy")
        _percents(s, out, _spreads(s, out, tops))
        _bare_numbers(s, out)
        if tops and results == sum(1 for m in out.numbers if m.fact == "prompting_accuracy"):
            # "accuracy has sat between 76% and 77%" and no other result in the sentence: the best the prompt
            # reached, for the gap to the target
            out.add("prompting_accuracy", max(tops), s)
        _counts(s, out, taken)
        _kappa(s, out)
    return out


class OfflineSuggester:
    """Suggestions from rules and key phrases only; used when no API key is set and as the LLM fallback."""

    async def suggest(self, description: str, checklist: Checklist) -> SuggestionReport:
        # regex work on up to 20,000 characters: keep it off the event loop
        return await asyncio.to_thread(self.suggest_now, description, checklist)

    def suggest_now(
        self, description: str, checklist: Checklist, *, notice: str | None = None, usage: Usage | None = None
    ) -> SuggestionReport:
        text = check_description(description)
        return assemble(
            text,
            checklist,
            extract(text),
            engine="offline",
            origin="phrase",
            notice=notice,
            usage=usage or Usage(),
        )


# The words this reader needs around a number before it takes it for a fact, and what the fact is about (for the
# reason a quote is not taken); the LLM path holds the model's quotes to the same (``llm.py``).
_ITEMS = rf"\b(?:{_NOUNS})\b"
_SCHEDULE = f"{_WEEKS_AVAILABLE}|{_WEEKS_NEEDED}"
FACT_CONTEXT: dict[str, tuple[str, str]] = {
    "labeled_examples": (_ITEMS, "labeled items"),
    "planned_examples": (_ITEMS, "labeled items"),
    "dataset_size": (_ITEMS, "the dataset"),
    "agreement_pct": (_AGREEMENT, "labelers agreeing"),
    "prompting_accuracy": (f"{_ACCURACY}|{_PROMPTING}", "prompting results or accuracy"),
    "target_accuracy": (_TARGET, "an accuracy target"),
    "test_set_size": (_TEST, "a test set"),
    "test_share": (_TEST, "a test set"),
    "budget_usd": (_BUDGET, "a budget"),
    "weeks_available": (_SCHEDULE, "the schedule"),
    "weeks_needed": (_SCHEDULE, "the schedule"),
    "synthetic_share": (_SYNTHETIC, "synthetic data"),
}
