"""Reading numbers out of prose: counts, percentages, money and durations.

Shared by the offline extractor and by the evidence check that a quoted sentence really states
the number a fact claims.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WORD_NUMBERS: dict[str, float] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
    "a couple of": 2,
    "a few": 3,
    "several": 4,
    "a dozen": 12,
    "dozen": 12,
}
FRACTION_WORDS: dict[str, float] = {
    "half": 50,
    "a third": 33,
    "one third": 33,
    "a quarter": 25,
    "one quarter": 25,
    "two thirds": 67,
    "most": 70,
    "the majority": 70,
    "a majority": 70,
    "nearly all": 90,
    "almost all": 90,
}
_MULTIPLIERS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6}
_WORDS_RE = "|".join(
    sorted((re.escape(w) for w in WORD_NUMBERS if w not in ("a", "an")), key=len, reverse=True)
)
# a number on its own, in digits or words ("four", "2,300"): what "not two weeks but four" corrects to
BARE_NUMBER = rf"(?:\d[\d,]*(?:\.\d+)?|{_WORDS_RE})\b"

# Compound number words ("two thousand", "seventy-eight", "one hundred and twenty"): read as numbers of their own
# only when they name 20 or more, so "two annotators" or "one labeler" stay words
_UNITS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}
_WORD_VALUE: dict[str, int] = {w: i for i, w in enumerate(_UNITS)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)}
_NUM_WORD = "(?:" + "|".join(sorted([*_UNITS, *_TENS, *_SCALES], key=len, reverse=True)) + ")"
_WORD_SEQ_RE = re.compile(
    rf"(?<![\w-])(?<![\d.,]\s)(?:an?\s+(?=(?:hundred|thousand|million)\b))?{_NUM_WORD}(?:(?:\s+and\s+|\s+|-){_NUM_WORD})*(?![\w-])",
    re.IGNORECASE,
)


# 2,000 / 2000 / 2.5 / 5,000+ / 40.000 and 1 200 (thousands written the European way); the multiplier is
# optional (k, K, thousand, M, million)
_EURO_THOUSANDS = r"\d{1,3}(?:[.\u00a0\u202f ]\d{3})+"
NUM_CORE = rf"(\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?(?!\d)|{_EURO_THOUSANDS}(?!\d|[.,]\d|\s?%)|\d+(?:\.\d+)?)"
NUM = r"(?<![\w.])" + NUM_CORE
MULT = r"(?:\s?(k|K|thousand|m|M|mm|million)\b)?"
_NUMBER_RE = re.compile(NUM + MULT + r"(\+)?")
_PERCENT_RE = re.compile(NUM + r"\s?(?:%|percent\b|per cent\b|pct\b)")
_WORD_PERCENT_RE = re.compile(r"\s?(?:%|percent\b|per cent\b)", re.IGNORECASE)

# Approximate rates to US dollars: the checklist's thresholds are in dollars. A converted amount is
# shown next to the original one.
USD_PER: dict[str, float] = {
    "USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CHF": 1.12, "CAD": 0.73, "AUD": 0.66, "INR": 0.012, "JPY": 0.0067,
}
_SYMBOL = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "c$": "CAD", "ca$": "CAD", "a$": "AUD", "au$": "AUD"}
_CODE = {
    "usd": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD", "eur": "EUR", "euro": "EUR",
    "euros": "EUR", "€": "EUR", "gbp": "GBP", "pounds": "GBP", "chf": "CHF", "cad": "CAD", "aud": "AUD",
    "inr": "INR", "jpy": "JPY", "yen": "JPY",
}
# "$" after a letter is another dollar ("R$", "HK$"), unless ftcheck knows it ("C$", "A$")
_PREFIX = r"(?<![a-z])(us\$|c\$|ca\$|a\$|au\$|\$|€|£|usd|eur|gbp|chf|cad|aud|inr|jpy)\s?"
# after the amount: a code or a word, or the euro sign as much of Europe writes it ("3.000 €")
_SUFFIX = r"\s?(usd|dollars?|bucks|eur|euros?|€|gbp|pounds|chf|cad|aud|inr|jpy|yen)(?!\w)"
_WORD_SUFFIX_RE = re.compile(_SUFFIX, re.IGNORECASE)
_RANGE_END = r"(?:\s?(?:-|–|to)\s?" + NUM_CORE + MULT + r")?"
_MONEY_RE = re.compile(
    r"(?:" + _PREFIX + NUM + MULT + _RANGE_END + r")|(?:" + NUM + MULT + _RANGE_END + _SUFFIX + r")",
    re.IGNORECASE,
)
_UNIT = r"(weeks?|wks?|months?|days?|sprints?)"
_AMOUNT = rf"({NUM_CORE[1:-1]}|{_WORDS_RE})"
_DURATION_RE = re.compile(
    rf"(?<![\w.]){_AMOUNT}(?:\s?(?:-|–|—|to)\s?{_AMOUNT})?[\s-]*(?:more\s+|full\s+|working\s+|business\s+)?"
    rf"{_UNIT}\b",
    re.IGNORECASE,
)
_WEEKS_PER = {"week": 1.0, "wk": 1.0, "month": 4.35, "day": 1 / 7, "sprint": 2.0}


@dataclass(frozen=True)
class Found:
    """A number found in text: its value, an optional upper bound (ranges) and where it sits."""

    value: float
    start: int
    end: int
    upper: float | None = None


def _word_value(words: list[str]) -> float | None:
    """The value of a well-formed number-word sequence ("seventy-eight", "two thousand five hundred"), else None."""
    total, current, last = 0, 0, ""
    for w in words:
        if w in _SCALES:
            if (last in _SCALES and _SCALES[last] >= _SCALES[w]) or (w == "hundred" and current >= 100):
                return None
            if w == "hundred":
                current = (current or 1) * 100
            else:
                total += (current or 1) * _SCALES[w]
                current = 0
        else:
            value = _WORD_VALUE[w]
            if last and last not in _SCALES and not (last in _TENS and 0 < value < 10):
                return None  # "two three", "twenty thirty": a list, not one number
            current += value
        last = w
    return float(total + current)


def word_numbers(text: str) -> list[Found]:
    """Numbers written in words that name 20 or more ("two thousand", "seventy-eight", "a hundred")."""
    out = []
    for m in _WORD_SEQ_RE.finditer(text):
        words = [w for w in re.split(r"[\s-]+", m.group(0).lower()) if w not in ("and", "a", "an")]
        value = _word_value(words)
        if value is not None and (value >= 20 or any(w in _SCALES for w in words)):
            out.append(Found(value, m.start(), m.end()))
    return out


def to_number(token: str, mult: str | None = None) -> float:
    if token.lower() in WORD_NUMBERS:
        value = WORD_NUMBERS[token.lower()]
    elif re.fullmatch(_EURO_THOUSANDS, token):
        value = float(re.sub(r"\D", "", token))
    else:
        value = float(token.replace(",", ""))
    return value * _MULTIPLIERS.get((mult or "").lower(), 1.0)


def numbers(text: str) -> list[Found]:
    """Plain numbers with an optional k/thousand/M multiplier ("2,000", "5,000+", "2.5k")."""
    found = [Found(to_number(m.group(1), m.group(2)), m.start(), m.end()) for m in _NUMBER_RE.finditer(text)]
    found += [w for w in word_numbers(text) if not any(w.start < f.end and f.start < w.end for f in found)]
    return sorted(found, key=lambda f: f.start)


def percents(text: str) -> list[Found]:
    found = [Found(float(m.group(1).replace(",", "")), m.start(), m.end()) for m in _PERCENT_RE.finditer(text)]
    for w in word_numbers(text):  # "seventy-eight percent"
        unit = _WORD_PERCENT_RE.match(text, w.end)
        if unit is not None and w.value <= 100:
            found.append(Found(w.value, w.start, unit.end()))
    return sorted(found, key=lambda f: f.start)


@dataclass(frozen=True)
class Money(Found):
    currency: str = "USD"

    @property
    def usd(self) -> float:
        return round(self.value * USD_PER[self.currency], 2)


def money(text: str) -> list[Money]:
    """Amounts of money in common currencies: "$3K", "£3,900", "€5k", "6 000 euros", "$3-5k" (a range),
    "four thousand dollars"."""
    out = []
    for m in _MONEY_RE.finditer(text):
        g = m.groups()
        if g[0] is not None:
            currency = _SYMBOL.get(g[0].lower()) or _CODE[g[0].lower()]
            low, low_mult, high, high_mult = g[1], g[2], g[3], g[4]
        else:
            currency = _CODE[g[9].lower()]
            low, low_mult, high, high_mult = g[5], g[6], g[7], g[8]
        mult = low_mult or (high_mult if high is not None else None)
        upper = to_number(high, high_mult) if high is not None else None
        out.append(Money(to_number(low, mult), m.start(), m.end(), upper, currency))
    for w in word_numbers(text):  # "four thousand dollars"
        unit = _WORD_SUFFIX_RE.match(text, w.end)
        if unit is not None and not any(w.start < o.end and o.start < unit.end() for o in out):
            out.append(Money(w.value, w.start, unit.end(), None, _CODE[unit.group(1).lower()]))
    return sorted(out, key=lambda f: f.start)


# Currencies ftcheck has no rate for, as written before or after an amount. "¥" is among them: it is the yen's sign
# and the yuan's, a hundred-fold apart. An amount in one of them is never read as dollars (see :func:`foreign_money`).
_FOREIGN_SIGN = r"¥|￥|₩|₽|₺|₪|₦|฿|₱|₫|[RrHhSs]\$|HK\$|NZ\$|MX\$|zł|kr\.?|Kr\.?"
# ISO codes in capitals only ("TRY", not the verb), and the currencies' names after the amount
_FOREIGN_CODE = (
    r"CNY|RMB|SEK|NOK|DKK|PLN|BRL|MXN|ZAR|KRW|SGD|HKD|NZD|RUB|TRY|ILS|NGN|THB|CZK|HUF|AED|SAR|IDR|MYR|PHP|VND"
)
_FOREIGN_NAME = (
    r"(?i:yuan|renminbi|zloty|zlotys|reais|pesos|rand|roubles?|rubles?|lira|shekels?|naira|baht|forints?|dirhams?|"
    r"riyals?|rupiah|ringgit|kronor|kroner|krona|krone)"
)
_FOREIGN_RE = re.compile(
    rf"(?:(?<![\w$])({_FOREIGN_SIGN}|{_FOREIGN_CODE})\s?{NUM}{MULT})|"
    rf"(?:{NUM}{MULT}\s?({_FOREIGN_SIGN}|{_FOREIGN_CODE}|{_FOREIGN_NAME})(?!\w))"
)


@dataclass(frozen=True)
class Foreign(Found):
    """An amount of money in a currency ftcheck cannot convert to dollars; ``currency`` as written ("¥", "SEK")."""

    currency: str = ""

    @property
    def shown(self) -> str:
        sign = self.currency if not self.currency.isalpha() else ""
        return f"{sign}{self.value:,.0f}" if sign else f"{self.value:,.0f} {self.currency}"


def foreign_money(text: str) -> list[Foreign]:
    """Amounts in a currency ftcheck has no rate for ("¥500,000", "40 000 SEK", "R$ 20k"); :func:`money` leaves them
    out, so they are never taken for dollars."""
    out = []
    for m in _FOREIGN_RE.finditer(text):
        if m.group(1) is not None:
            sign, number, mult = m.group(1), m.group(2), m.group(3)
        else:
            number, mult, sign = m.group(4), m.group(5), m.group(6)
        out.append(Foreign(to_number(number, mult), m.start(), m.end(), None, sign))
    return out


def show_money(amount: Money) -> str:
    """The amount as written, in its currency, with the dollar figure when it was converted."""
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(amount.currency)
    shown = f"{symbol}{amount.value:,.0f}" if symbol else f"{amount.value:,.0f} {amount.currency}"
    return shown if amount.currency == "USD" else f"{shown} (about ${amount.usd:,.0f})"


def durations_weeks(text: str) -> list[Found]:
    """Durations converted to weeks: "3 weeks", "2-3 weeks", "two months" (≈8.7), "10 working days"."""
    out = []
    for m in _DURATION_RE.finditer(text):
        unit = m.group(3).lower().rstrip("s")
        factor = _WEEKS_PER[unit]
        if unit == "day" and re.search(r"working|business", m.group(0), re.IGNORECASE):
            factor = 1 / 5
        low = to_number(m.group(1)) * factor
        high = to_number(m.group(2)) * factor if m.group(2) else None
        out.append(Found(round(low, 2), m.start(), m.end(), round(high, 2) if high is not None else None))
    return out


def fraction_percent(text: str) -> float | None:
    """A share stated in words ("about half", "a third") as a percentage."""
    lowered = text.lower()
    for words, pct in sorted(FRACTION_WORDS.items(), key=lambda kv: len(kv[0]), reverse=True):
        if re.search(rf"\b{re.escape(words)}\b", lowered):
            return pct
    return None


def close(a: float, b: float, rel: float = 0.001) -> bool:
    return abs(a - b) <= max(abs(a), abs(b)) * rel + 1e-9


# What "no budget for …" may name and still be the project's budget: the project, the fine-tuning, "it", "this"
_WHOLE_PROJECT = (
    r"(?:(?:this|the|that|our|the whole|the entire)\s+)?(?:(?:fine[- ]?tun\w*|ml|ai|llm|model)\s+)?"
    r"(?:project|work|effort|initiative|pilot|experiment|poc|proof of concept)\b|"
    r"fine[- ]?tun\w*\b(?!\s+(?:runs?|jobs?|compute|gpus?|credits|infra\w*|hosting)\b)|"
    r"(?:it|this|that|anything)\s*(?:$|[.,;:!?)]|\s(?:and|but|so|or|at all|now|right now|either)\b)|"
    # what fine-tuning itself spends, or a time: no money for the project all the same
    r"(?:(?:the|any|model)\s+)?(?:training|compute|gpus?)\b|(?:this|the|next)\s+(?:quarter|year|month|half)\b|now\b"
)
# A budget stated as none: "we have no budget", "Budget: none", "a zero budget", "no budget for this project". Not a
# budget still to be set ("no budget set yet", "no budget approved so far") nor money for one thing ("no budget for
# more labelling", "no budget for a labeling vendor": the project may have a budget all the same).
NO_BUDGET = (
    r"\b(?:no|zero|nil)\s+budget\b(?!\s+(?:set|approved|decided|agreed|confirmed|allocated)\b)"
    rf"(?!\s+for\s+(?!{_WHOLE_PROJECT}))(?![^.;]*\b(?:yet|so far|pending|until|awaiting)\b)|"
    r"\bbudget\s*(?::|is|of)\s*(?:none|nothing|zero|nil|n/a|\$?0)\b(?![^.;]*\b(?:yet|so far|pending|until)\b)"
)


def states_value(quote: str, value: float, kind: str) -> bool:
    """Whether ``quote`` states ``value`` as the given kind (count, percent, money, weeks); a budget of 0 is stated
    as none (:data:`NO_BUDGET`)."""
    if kind == "money" and value == 0 and re.search(NO_BUDGET, quote.lower()):
        return True
    if kind == "weeks":
        found = durations_weeks(quote)
        said = any(close(f.value, value, 0.1) or (f.upper is not None and close(f.upper, value, 0.1)) for f in found)
        # "not two weeks this time but four": a bare number beside a duration names weeks too
        return said or (bool(found) and _states_count(quote, value))
    if kind == "money":
        stated = money(quote)
        amounts = [f.value for f in stated] + [f.usd for f in stated] or [f.value for f in numbers(quote)]
        usd = [f.usd for f in stated]
        return any(close(a, value, 0.01) for a in amounts) or (len(usd) > 1 and close(sum(usd), value, 0.01))
    if kind == "percent":
        candidates = [f.value for f in percents(quote)] + [f.value for f in numbers(quote)]
        word = fraction_percent(quote)
        if word is not None:
            candidates.append(word)
        return any(close(c, value) or close(c * 100, value) for c in candidates)
    return _states_count(quote, value)


def _states_count(quote: str, value: float) -> bool:
    candidates = [f.value for f in numbers(quote)]
    candidates += [WORD_NUMBERS[w] for w in re.findall(rf"\b({_WORDS_RE})\b", quote.lower())]
    return any(close(c, value) for c in candidates)
