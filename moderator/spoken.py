"""Normalising one spoken (ASR) answer for the answer parsers: tokens, phrases, non-answers, numbers.

Every parser works on the token list `_tokens` makes (lower-case words, numbers and a few
punctuation marks), so they all see one normalisation. Numbers may be said as digits or as words
("seventy-five", "nine point five", "a hundred").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# ---------------------------------------------------------------- tokens

# Answers longer than this are analysed only up to here (about three minutes of speech);
# it bounds the cost of the fuzzy matching. `raw` and open-ended values are never cut.
_MAX_CHARS = 4000
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+(?:'[^\W\d_]+)*|[/%,;.!?&+-]")
_FILLERS = {"um", "umm", "uhm", "uh", "uhh", "erm", "er", "ah", "hmm", "hm", "mm", "mmm", "eh"}
_ORDINAL_DIGITS = {"1": "first", "2": "second", "3": "third", "4": "fourth", "5": "fifth"}


def _tokens(text: str) -> list[str]:
    t = unicodedata.normalize("NFKC", text[:_MAX_CHARS]).lower()
    t = t.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    t = re.sub(r"(?<=\d),(?=\d{3}\b)", "", t)  # "1,000" is one number, not two
    t = re.sub(r"\b(\d+)(?:st|nd|rd|th)\b", lambda m: _ORDINAL_DIGITS.get(m.group(1), m.group(1)), t)
    # "uh-huh" / "mm-hmm" mean yes; join them before "uh" and "mm" are dropped as fillers.
    t = re.sub(r"\b(?:uh|mm|m)[\s-]*h(?:uh|mm|m)\b", " uhhuh ", t)
    t = re.sub(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)", " ", t)  # "8ish" -> "8 ish"
    return [w for w in _TOKEN.findall(t) if w not in _FILLERS]


def _is_word(tok: str) -> bool:
    return tok[0].isalnum()


def _find(toks: list[str], phrase: str) -> list[int]:
    """Start positions of a space-separated phrase in the token list."""
    words = phrase.split()
    n = len(words)
    return [i for i in range(len(toks) - n + 1) if toks[i : i + n] == words]


def _has_any(toks: list[str], phrases: list[str]) -> bool:
    return any(_find(toks, p) for p in phrases)


# Said instead of an answer; the phrases are "|"-separated because some contain spaces.
_NON_ANSWERS = (
    "don't know|dont know|do not know|dunno|not sure|no idea|no clue|can't remember|cannot remember|"
    "don't remember|no comment|rather not say|prefer not to say|hard to say|can't say|pass|skip"
).split("|")
# Words after which a later mention replaces an earlier one ("Teams, no wait, Zoom").
_CORRECTIONS = {"actually", "mean", "wait", "sorry", "correction", "no", "rather"}
# Words that negate the word after them ("not very satisfied" does not name "very satisfied").
_NEGATED_BY = {"not", "n't", "never", "isn't", "wasn't", "hardly"}


def _non_answer(toks: list[str]) -> bool:
    return not any(_is_word(t) for t in toks) or _has_any(toks, _NON_ANSWERS)


# ---------------------------------------------------------------- numbers

_UNIT_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
)
_UNITS = {w: i for i, w in enumerate(_UNIT_WORDS.split())}
_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)}
# "the new one", "this one", "one of them": the pronoun, not the number.
_ONE_AS_PRONOUN_AFTER = set(
    "the this that which each every any no another other new old only same right wrong little big good "
    "bad last first next".split()
)


@dataclass
class _Num:
    value: float
    start: int
    end: int  # exclusive
    denom: float | None = None  # "7 out of 10", "70 percent"


def _word_number(toks: list[str], i: int) -> tuple[float, int] | None:
    n, t = len(toks), toks[i]
    if t == "one" and ((i > 0 and toks[i - 1] in _ONE_AS_PRONOUN_AFTER) or (i + 1 < n and toks[i + 1] == "of")):
        return None

    def small(j: int) -> tuple[int, int] | None:  # 0..99 starting at j
        if j >= n:
            return None
        if toks[j] in _TENS:
            value, j = _TENS[toks[j]], j + 1
            k = j + 1 if j < n and toks[j] == "-" else j  # "seventy-five"
            if k < n and 1 <= _UNITS.get(toks[k], 0) <= 9:
                return value + _UNITS[toks[k]], k + 1
            return value, j
        if toks[j] in _UNITS:
            return _UNITS[toks[j]], j + 1
        return None

    if t == "hundred" or (t == "a" and i + 1 < n and toks[i + 1] == "hundred"):
        value, j = 1, (i if t == "hundred" else i + 1)
    elif (first := small(i)) is not None:
        value, j = first
    else:
        return None
    if j < n and toks[j] == "hundred" and 1 <= value <= 9:
        value, j = value * 100, j + 1
        k = j + 1 if j < n and toks[j] == "and" else j
        if (rest := small(k)) is not None:
            value, j = value + rest[0], rest[1]
    return value, j


def _read_number(toks: list[str], i: int) -> _Num | None:
    if re.fullmatch(r"\d{1,15}(?:\.\d{1,15})?", toks[i]):  # longer digit runs are not ratings (and overflow)
        value, j = float(toks[i]), i + 1
    elif (word := _word_number(toks, i)) is not None:
        value, j = float(word[0]), word[1]
    else:
        return None
    n = len(toks)
    if j < n and toks[j] == "point" and value.is_integer():  # "nine point five"
        digits, k = "", j + 1
        while k < n and (toks[k].isdigit() or _UNITS.get(toks[k], 99) <= 9):
            digits += toks[k] if toks[k].isdigit() else str(_UNITS[toks[k]])
            k += 1
        if digits:
            value, j = float(f"{int(value)}.{digits}"), k
    if toks[j : j + 3] == ["and", "a", "half"]:
        value, j = value + 0.5, j + 3
    return _Num(value, i, j)


def _numbers(toks: list[str]) -> list[_Num]:
    found, i = [], 0
    while i < len(toks):
        num = _read_number(toks, i)
        if num is None:
            i += 1
        else:
            found.append(num)
            i = max(num.end, i + 1)
    return found


def _tidy(x: float) -> int | float:
    x = round(float(x), 2)
    return int(x) if x.is_integer() else x
