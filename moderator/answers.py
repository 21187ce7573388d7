"""Spoken-answer parsers for the structured question types.

Respondents answer by voice, so what arrives here is ASR text (faster-whisper
tiny.en): mixed case, numbers as digits or as words, fillers ("um", "uh") and
punctuation that may or may not be there. `parse_answer` turns one answer into
a typed value plus a `confident` flag; when the flag is False the moderator asks
the one short question that `confirmation_prompt` builds.

Every parser works on the same token list (lower-case words, numbers and a few
punctuation marks), so they all see one normalisation. The rules are small and
explainable on purpose: a wrong-but-unsure parse costs one confirmation turn, an
exception would cost the interview, so nothing in here raises.

When `confident` is False (the moderator confirms):
- scale: a level word instead of a number ("I'd say high"), a range wider than one
  point ("five to eight" -> 6.5), a rescaled rating ("4 out of 5" -> 8 of 10),
  several different numbers with no cue which one is the rating, or no number in
  range at all (value None). "Between six and seven" is 6.5 and stays confident:
  a half-point answer is deliberate, and confirming it would add a turn for nothing.
- choices: a fuzzy name match ("slak"), a word several options share, two options
  with no stated preference (single choice), an answer outside the options when the
  question does not allow "other", or only negated options ("not Slack").
  Options that are number ranges ("11-50 people") also match a spoken number ("about 30").
- ranking: a single option with no ranking word, or two options given the same rank.
- yes/no: hedges ("kind of", "it depends" -> None), leaning answers ("probably not"),
  and contradictions ("no, that's fine").
- every structured type: no usable answer ("", "...", "I don't know") gives value None;
  open-ended answers are confident unless they contain no words.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from pydantic import BaseModel

from moderator.guide import Question, QuestionType

OTHER = "other"


class ParsedAnswer(BaseModel):
    question_id: str
    type: QuestionType
    # scale: int, or a float such as 6.5; single_choice: an option verbatim or "other";
    # multiple_choice: options in guide order (may include "other"); ranking: options, most
    # important first; yes_no: True/False/None; open_ended: the stripped text.
    value: int | float | str | bool | list[str] | None
    confident: bool
    other_text: str | None = None
    raw: str


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


# ---------------------------------------------------------------- scale

_RATING_VERBS = set("give gave giving rate rated rating say score it's its is be call solid put".split())
_RANGE_GLUE = {"to", "-", "or", "through", "and", "maybe", "perhaps", "possibly", "probably", "a", "an", "like", ","}
# Level words as a fraction of the scale's range ("I'd say high" -> 8 on 1-10).
_LEVELS = {
    **dict.fromkeys(["lowest", "minimum", "bottom"], 0.0),
    **dict.fromkeys(["low", "lowish"], 0.25),
    **dict.fromkeys(["medium", "moderate", "average", "middle", "mid", "neutral"], 0.5),
    **dict.fromkeys(["high", "highish"], 0.75),
    **dict.fromkeys(["highest", "maximum", "max", "top"], 1.0),
}
_HEDGES = {"maybe", "perhaps", "possibly", "probably", "or"}
_INTENSIFIERS = {"very", "really", "super", "extremely", "incredibly", "so", "quite"}
_NEGATED_BY = {"not", "n't", "never", "isn't", "wasn't", "hardly"}


@dataclass
class _Rating:
    value: float
    start: int
    cued: bool  # said as a rating: "7 out of 10", "I'd give it a 7"
    exact: bool  # False for wide ranges and rescaled "4 out of 5"


def _scale_ratings(toks: list[str], lo: int, hi: int) -> list[_Rating]:
    nums = _numbers(toks)
    used: set[int] = set()  # indices of numbers that define the scale rather than rate
    for k, a in enumerate(nums):
        b = nums[k + 1] if k + 1 < len(nums) else None
        after, before = toks[a.end : a.end + 2], toks[max(0, a.start - 3) : a.start]
        if b and (after == ["out", "of"] or after[:1] in (["outta"], ["/"], ["of"])) and b.start <= a.end + 2:
            a.denom = b.value  # "7 out of 10", "10/10", "7 of 10"
            used.add(k + 1)
        elif after[:1] == ["%"] or after[:1] == ["percent"] or after == ["per", "cent"]:
            a.denom = 100
    ratings: list[_Rating] = []
    k = 0
    while k < len(nums):
        a = nums[k]
        if k in used:
            k += 1
            continue
        cued = a.denom is not None or bool(_RATING_VERBS & set(toks[max(0, a.start - 3) : a.start]))
        b = nums[k + 1] if k + 1 < len(nums) and k + 1 not in used else None
        glue = toks[a.end : b.start] if b else []
        before = toks[max(0, a.start - 4) : a.start]
        is_pair = b is not None and a.value < b.value and set(glue) <= _RANGE_GLUE and len(glue) <= 3
        if is_pair and "and" in glue and "between" not in before:
            is_pair = False  # "seven and ten years" is not a range; "between six and seven" is
        if not is_pair and (before[-2:] == ["out", "of"] or before[-2:] == ["scale", "of"] and a.value in (lo, hi)):
            k += 1  # "out of ten, I'd say seven", "on a scale of ten": the scale, not the answer
            continue
        if is_pair and b is not None:
            if "scale" in before or before[-1:] == ["from"] or (a.value, b.value) == (lo, hi) and len(nums) > 2:
                k += 2  # "on a scale of 1 to 10", "from zero to a hundred": the scale, not the answer
                continue
            # A range answer: the midpoint. Adjacent numbers ("between six and seven", "7 or 8") are a
            # deliberate half-point answer, so they stay confident; wider ranges get confirmed.
            mid = round(a.value + b.value) / 2
            ratings.append(_Rating(mid, a.start, True, b.value - a.value <= 1))
            k += 2
            continue
        value, exact = a.value, True
        if a.denom and a.denom != hi and lo in (0, 1) and 0 < a.value <= a.denom:
            value, exact = round(a.value / a.denom * hi * 2) / 2, False  # "4 out of 5" on a 1-10 scale
        ratings.append(_Rating(value, a.start, cued, exact))
        k += 1
    return ratings


def _scale_label(question: Question, toks: list[str]) -> int | None:
    best: tuple[int, int] | None = None  # (label length, key): the longest label named wins
    for key, label in question.labels.items():
        words = [w for w in _tokens(label) if _is_word(w)]
        for pos in _find(toks, " ".join(words)) if words else []:
            if words[0] != "not" and pos > 0 and toks[pos - 1] in _NEGATED_BY:
                continue  # "not very satisfied" does not name the label "very satisfied"
            if best is None or len(words) > best[0]:
                best = (len(words), key)
    return best[1] if best else None


def _scale_level(toks: list[str]) -> float | None:
    """'I'd say high' -> a fraction of the range; None when no level word (or a negated one)."""
    level = None
    for i, t in enumerate(toks):
        if t not in _LEVELS:
            continue
        frac, prev = _LEVELS[t], toks[i - 1] if i else ""
        if prev in _INTENSIFIERS and t in ("low", "high"):
            frac, prev = (0.1 if t == "low" else 0.9), toks[i - 2] if i > 1 else ""
        elif prev in ("medium", "mid") and t in ("low", "high"):
            frac = (0.5 + frac) / 2  # "medium high"
        level = None if prev in _NEGATED_BY else frac
    return level


def _parse_scale(question: Question, toks: list[str]) -> tuple[int | float | None, bool]:
    lo = 1 if question.min is None else question.min
    hi = 10 if question.max is None else question.max
    ratings = _scale_ratings(toks, lo, hi)
    if not ratings:
        if (key := _scale_label(question, toks)) is not None and lo <= key <= hi:
            return key, True
        if (frac := _scale_level(toks)) is not None:
            return int(lo + frac * (hi - lo) + 0.5), False  # a word, not a number: always confirm
        return None, False
    fits = [r for r in ratings if lo <= r.value <= hi]
    if not fits:
        return None, False  # "eleven" on a 1-10 scale: not accepted, ask again
    if len({r.value for r in fits}) == 1:
        return _tidy(fits[-1].value), fits[-1].exact
    first, last = fits[0], fits[-1]
    if _CORRECTIONS & set(toks[first.start : last.start]):
        return _tidy(last.value), last.exact  # "seven, no actually eight"
    cued = [r for r in fits if r.cued]
    if len({r.value for r in cued}) == 1:
        # "been using it 3 years, I'd give it an 8" is sure; "8 out of 10, maybe 9" is not.
        hedged = bool(_HEDGES & set(toks[first.start : last.start]))
        return _tidy(cued[0].value), cued[0].exact and not hedged
    return _tidy(last.value), False


# ---------------------------------------------------------------- options

# Small words an option name can drop without changing which option it is.
_OPTION_STOP = set("a an the and or of to for with my our your i we it in on by s".split())
_NEGATORS = set(
    "not no never don't dont doesn't doesnt didn't didnt isn't aren't wasn't haven't hasn't won't "
    "wouldn't can't without except excluding neither nor hardly barely".split()
)
# A negation's scope ends at a clause boundary or a self-correction ("not Teams, Slack", "no wait, Zoom").
_SCOPE_BREAK = set(", . ; ! ? and but then also plus though although however & so actually wait sorry mean".split())
# "I don't know, Slack", "not sure, Slack", "not just Slack": not negating the option.
_NOT_NEGATING_NEXT = {"know", "sure", "remember", "mind", "just", "only", "even", "think"}
_NEGATED_AFTER = [["not", "so", "much"], ["not", "really"], ["not", "anymore"], ["no", "longer"], ["never"]]
_FUZZY = 0.84  # difflib ratio: "slak" ~ "slack" (0.89), but not "zoom" ~ "room" (0.75)


def _stem(w: str) -> str:
    """Plural and possessive folding, enough for 'Spreadsheets' ~ 'the spreadsheet one'."""
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("ches", "shes", "sses", "xes", "zes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def _option_words(name: str) -> list[str]:
    toks = [t for t in _tokens(re.sub(r"\b([^\W\d_])-(?=[^\W\d_])", r"\1", name)) if _is_word(t)]  # "E-mail" -> "email"
    return [t for t in toks if t not in _OPTION_STOP] or toks


@dataclass
class _Mention:
    option: str
    index: int  # position in question.options
    strength: float  # 3 exact name, 2 name up to plurals, 1.5 distinctive word, 1 fuzzy, 0.5 weak
    fuzzy: bool
    start: int
    end: int
    positions: set[int] = field(default_factory=set)
    negated: bool = False
    spans: list[tuple[int, int]] = field(default_factory=list)  # each (non-negated) occurrence


class _Text:
    """Where each word (and each joined pair of words: 'e mail', 'spread sheet') occurs in the answer."""

    def __init__(self, toks: list[str]):
        self.exact: dict[str, list[int]] = {}
        self.stems: dict[str, list[int]] = {}
        words = [(i, t) for i, t in enumerate(toks) if _is_word(t)]
        pairs = [(i, a + b) for (i, a), (j, b) in zip(words, words[1:], strict=False) if j - i <= 2]
        for i, w in words + pairs:
            self.exact.setdefault(w, []).append(i)
            self.stems.setdefault(_stem(w), []).append(i)

    def find(self, word: str) -> tuple[str, list[int]] | None:
        if word in self.exact:
            return "exact", self.exact[word]
        if _stem(word) in self.stems:
            return "stem", self.stems[_stem(word)]
        if len(word) >= 4:  # get_close_matches pre-filters cheaply, which keeps long answers fast
            close = difflib.get_close_matches(word, [w for w in self.exact if len(w) >= 3], n=3, cutoff=_FUZZY)
            if close:
                return "fuzzy", sorted(p for w in close for p in self.exact[w])
        return None


def _negated_at(toks: list[str], start: int, end: int) -> bool:
    for k in range(start - 1, max(-1, start - 5), -1):
        if toks[k] in _SCOPE_BREAK:
            break
        if toks[k] in _NEGATORS and (k + 1 >= len(toks) or toks[k + 1] not in _NOT_NEGATING_NEXT):
            return True
    return any(toks[end : end + len(p)] == p for p in _NEGATED_AFTER)  # "Teams, not so much"


def _mentions(question: Question, toks: list[str]) -> list[_Mention]:
    """Every option the answer names, strongest evidence first per option, in order of mention."""
    text = _Text(toks)
    words = {opt: _option_words(opt) for opt in question.options}
    found: list[_Mention] = []
    for index, opt in enumerate(question.options):
        others = {_stem(w) for o, ws in words.items() if o != opt for w in ws}
        hits = {w: text.find(w) for w in words[opt]}
        matched = {w: h for w, h in hits.items() if h}
        if not matched:
            continue
        kinds = {h[0] for h in matched.values()}
        distinct = {h[0] for w, h in matched.items() if _stem(w) not in others}
        if len(matched) == len(hits):
            strength = 3.0 if kinds == {"exact"} else 2.0 if "fuzzy" not in kinds else 1.0
        else:  # a part of the name: "teams" for "Microsoft Teams"
            strength = 1.5 if "exact" in distinct else 1.0 if "fuzzy" in distinct else 0.5
        positions = sorted({p for h in matched.values() for p in h[1]})
        # Group nearby positions into occurrences; the option is negated only if every occurrence is.
        span = len(words[opt])  # "pen and paper": the words of one name sit at most this far apart
        groups: list[list[int]] = []
        for p in positions:
            if groups and p - groups[-1][-1] <= span:
                groups[-1].append(p)
            else:
                groups.append([p])
        live = [g for g in groups if not _negated_at(toks, g[0], g[-1] + 1)]
        first = (live or groups)[0]
        fuzzy = "fuzzy" in kinds
        spans = [(g[0], g[-1] + 1) for g in live or groups]
        found.append(_Mention(opt, index, strength, fuzzy, first[0], first[-1] + 1, set(positions), not live, spans))
    # "Teams" inside "Microsoft Teams": the longer option that covers the same words wins.
    found = [m for m in found if not any(m.positions < o.positions and o.strength >= m.strength for o in found)]
    return sorted(found, key=lambda m: m.start)


def _usable(mentions: list[_Mention]) -> list[_Mention]:
    """Non-negated mentions; weak ones (a word shared by several options) only if nothing better."""
    live = [m for m in mentions if not m.negated]
    return [m for m in live if m.strength >= 1] or live


_PREFER = set(
    "mostly mainly primarily usually definitely prefer preferably favorite favourite main especially "
    "normally generally typically most".split()
)


def _preferred(toks: list[str], ms: list[_Mention]) -> _Mention | None:
    """The one option the respondent prefers among several, or None when no preference is said."""
    for a, b in zip(ms, ms[1:], strict=False):
        between = set(toks[a.end : b.start])
        if between & {"than", "over", "instead"}:
            return b if between & {"less", "worse", "after"} else a  # "Slack more than Teams"
        if between & _CORRECTIONS and b is ms[-1]:
            return b  # "Teams, no wait, Zoom"
    cued = [m for m in ms if any(_said_near(toks, s, e, _PREFER) for s, e in m.spans)]
    return cued[0] if len(cued) == 1 else None


def _said_near(toks: list[str], start: int, end: int, words: set[str]) -> bool:
    """One of `words` within two tokens before or three after [start, end), in the same clause."""
    for k in range(start - 1, max(-1, start - 3), -1):
        if toks[k] in _SCOPE_BREAK:
            break
        if toks[k] in words:
            return True
    for k in range(end, min(len(toks), end + 3)):
        if toks[k] in _SCOPE_BREAK:
            break
        if toks[k] in words:
            return True
    return False


_TIME_UNITS = {"second", "minute", "hour", "day", "week", "month", "year"}


def _option_range(name: str) -> tuple[float, float] | None:
    """'11-50 people' -> (11, 50); 'More than 50' -> (50+, inf); None for options that are not number ranges."""
    t = name.lower().replace(",", "")
    nums = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", t)]
    if len(nums) == 2 and re.search(r"\d\s*(?:-|\u2013|to)\s*\d", t):
        return nums[0], nums[1]
    if len(nums) == 1:
        if re.search(r"\+|or more|at least", t):
            return nums[0], float("inf")
        if re.search(r"more than|over|above", t):
            return nums[0] + 0.1, float("inf")
        if re.search(r"up to|or less|or fewer|at most", t):
            return float("-inf"), nums[0]
        if re.search(r"less than|fewer than|under|below", t):
            return float("-inf"), nums[0] - 0.1
    return None


def _number_bucket(question: Question, toks: list[str]) -> tuple[str, bool] | None:
    """For number-range options ("2-10 people", "11-50 people"): the one holding the number(s) said."""
    ranges = {opt: r for opt in question.options if (r := _option_range(opt))}
    nums = _numbers(toks)
    if len(ranges) < 2 or not 1 <= len(nums) <= 2 or any(toks[n.start - 1 : n.start] == ["since"] for n in nums):
        return None  # "since 2019" is a date, not a count
    said_units = {_stem(toks[n.end]) for n in nums if n.end < len(toks)} & _TIME_UNITS
    if said_units - {_stem(w) for opt in ranges for w in _option_words(opt)}:
        return None  # "six months" does not fit options counted in years
    shift = 0.5 if _has_any(toks, ["more than", "over", "above"]) else 0.0  # "more than fifty" is not in "11-50"
    shift = -0.5 if _has_any(toks, ["less than", "fewer than", "under", "below"]) else shift
    hits = [opt for opt, (lo, hi) in ranges.items() if all(lo <= n.value + shift <= hi for n in nums)]
    return (hits[0], len(hits) == 1) if hits else None  # on a shared boundary ("10" in "4-10", "10+"): confirm


def _non_answer(toks: list[str]) -> bool:
    return not any(_is_word(t) for t in toks) or _has_any(toks, _NON_ANSWERS)


def _parse_single(question: Question, toks: list[str], text: str) -> tuple[str | None, bool, str | None]:
    mentions = _mentions(question, toks)
    ms = _usable(mentions)
    bucket = _number_bucket(question, toks)
    if bucket is not None and not any(m.strength >= 2 for m in ms):
        return bucket[0], bucket[1], None  # "about 30 people" -> "11-50 people"
    if not ms:
        if _non_answer(toks):
            return None, False, None
        # Outside the options. Only "other" by invitation is a sure answer; "not Slack" alone is not.
        return OTHER, question.allow_other and not mentions, text.strip()
    if len(ms) == 1:
        return ms[0].option, not ms[0].fuzzy and ms[0].strength >= 1, None
    best = _preferred(toks, ms)
    if best is not None:
        return best.option, not best.fuzzy, None
    strong = [m for m in ms if m.strength >= 2]
    return (strong or ms)[0].option, False, None  # two options, no preference: confirm the first


# Whole-answer phrases for multiple choice.
_ALL = (
    "all of them|all of those|all of these|all of the above|all the above|everything|all three|all four|"
    "all five|the whole lot|every one of them|each of them"
).split("|")
_NONE = "none of them|none of those|none of these|none of the above|none|nothing|neither of them|neither".split("|")
_EXCEPT = {"except", "apart", "besides", "excluding", "without", "not"}
_SEGMENT_BREAK = {",", ".", ";", "!", "?", "and", "or", "plus", "also", "then", "but", "&"}
# Words that never make a left-over phrase an "other" answer on their own.
_GENERIC = set(
    "use used using uses have has had also sometimes mostly mainly usually often really just like well "
    "yeah yes okay guess think mean know probably maybe honestly basically pretty much lot bit stuff "
    "things thing tool tools app apps software other else too the and for our their them they that this "
    "those these with from some all any day time times work team people great good fine bad nice sure "
    "kind sort way both every each occasionally rarely never always most more less lots not don't it's "
    "i'm we're there here what which who get got one ones".split()
)


def _leftovers(toks: list[str], mentions: list[_Mention]) -> str | None:
    """Words in clauses that name no option ("Slack and also Discord" -> "discord")."""
    covered = {p for m in mentions for p in m.positions}
    segments, current = [], []
    for i, t in enumerate(toks):
        if t in _SEGMENT_BREAK:
            segments.append(current)
            current = []
        else:
            current.append(i)
    segments.append(current)
    extra = [
        " ".join(toks[i] for i in seg if _is_word(toks[i]))
        for seg in segments
        if not covered & set(seg)
        and any(toks[i].isalpha() and len(toks[i]) >= 3 and toks[i] not in _GENERIC for i in seg)
    ]
    return ", ".join(extra) or None


def _parse_multiple(question: Question, toks: list[str], text: str) -> tuple[list[str] | None, bool, str | None]:
    mentions = _mentions(question, toks)
    ms = _usable(mentions)
    phrases = _ALL + (["both", "both of them"] if len(question.options) == 2 else [])
    spans = sorted((p, p + len(phrase.split())) for phrase in phrases for p in _find(toks, phrase))
    if spans and not (spans[0][0] > 0 and toks[spans[0][0] - 1] in _NEGATED_BY):
        end = spans[0][1]
        # "all of them except Teams", "everything but Zoom": options named after the exception are left out.
        cut = next((i for i in range(end, len(toks)) if toks[i] in _EXCEPT or (i == end and toks[i] == "but")), None)
        # "We use Zoom for everything" names an option: "everything" there is not an answer.
        if cut is not None or not ms:
            excluded = {m.option for m in mentions if cut is not None and m.start > cut}
            return [o for o in question.options if o not in excluded], True, None
    if not ms:
        if _has_any(toks, _NONE) or mentions:
            # "None of them" is sure; "not Teams" or "neither Slack nor Teams" only rule some out.
            return [], not mentions, None
        if _non_answer(toks):
            return None, False, None
        return [OTHER], question.allow_other, text.strip()
    value = [m.option for m in sorted(ms, key=lambda m: m.index)]
    confident = all(not m.fuzzy and m.strength >= 1 for m in ms)
    # Extra words only become "other" when the question invites it; otherwise they are chatter.
    other = _leftovers(toks, mentions) if question.allow_other else None
    if other:
        value.append(OTHER)
    return value, confident, other


# ---------------------------------------------------------------- ranking

_LAST = 99  # rank for "last", "least", "bottom"
_RANK_WORDS = {
    **dict.fromkeys(["first", "firstly", "top", "most", "biggest", "main", "primarily"], 1),
    **dict.fromkeys(["second", "secondly"], 2),
    **dict.fromkeys(["third", "thirdly"], 3),
    "fourth": 4,
    "fifth": 5,
    **dict.fromkeys(["last", "lastly", "least", "bottom", "finally", "lowest"], _LAST),
}
_NUMBERED = {"one": 1, "1": 1, "two": 2, "2": 2, "three": 3, "3": 3, "four": 4, "4": 4, "five": 5, "5": 5}
_CLAUSE_BREAK = {",", ".", ";", "!", "?", "then", "and", "but", "followed", "next"}
_INVERSE = {"less", "lower", "after", "behind", "below", "under", "fewer", "worse"}


def _rank_cue(toks: list[str], i: int) -> int | None:
    t = toks[i]
    if t in _NUMBERED and i > 0 and toks[i - 1] == "number":  # "number one"
        return _NUMBERED[t]
    if t in ("most", "top") and i > 0 and toks[i - 1] in _RANK_WORDS:
        return _RANK_WORDS[toks[i - 1]]  # "second most important"
    return _RANK_WORDS.get(t)


def _parse_ranking(question: Question, toks: list[str]) -> tuple[list[str] | None, bool]:
    ms = _usable(_mentions(question, toks))
    if not ms:
        return None, False
    clauses, start = [], 0
    for i, t in enumerate(toks + ["."]):
        if t in _CLAUSE_BREAK:
            clauses.append((start, i))
            start = i + 1
    ranks: dict[str, int] = {}
    before: list[tuple[str, str]] = []  # (a, b): a goes ahead of b
    for lo, hi in clauses:
        inside = [m for m in ms if lo <= m.start < hi]
        if not inside:
            continue
        cues = [(i, r) for i in range(lo, hi) if (r := _rank_cue(toks, i)) is not None]
        starts = {m.start for m in inside}  # "one Slack, two email": a bare number right before an option
        cues += [(i + 1, _NUMBERED[toks[i]]) for i in range(lo, hi) if toks[i] in _NUMBERED and i + 1 in starts]
        for pos, rank in cues:
            nearest = min(inside, key=lambda m: min(abs(pos - m.start), abs(pos - (m.end - 1))))
            if rank != 1 or nearest.option not in ranks:  # "second most" beats "most"
                ranks[nearest.option] = rank
        for a, b in zip(inside, inside[1:], strict=False):
            between = set(toks[a.end : b.start])
            if between & _INVERSE:
                before.append((b.option, a.option))  # "Teams matters less than Slack"
    collision = len(set(ranks.values()) - {_LAST}) < len([r for r in ranks.values() if r != _LAST])
    explicit = sorted((m for m in ms if m.option in ranks and ranks[m.option] != _LAST), key=lambda m: ranks[m.option])
    unranked = [m for m in ms if m.option not in ranks]
    order: list[str] = []
    while explicit or unranked:  # fill slots 1, 2, 3...: named ranks take their slot, the rest keep spoken order
        slot = len(order) + 1
        take = explicit if explicit and (ranks[explicit[0].option] <= slot or not unranked) else unranked
        order.append(take.pop(0).option)
    order += [m.option for m in ms if ranks.get(m.option) == _LAST]
    for a, b in before:
        if order.index(a) > order.index(b):
            order.remove(a)
            order.insert(order.index(b), a)
    confident = not collision and all(not m.fuzzy and m.strength >= 1 for m in ms) and (len(ms) > 1 or bool(ranks))
    # "Price is the least important" alone would read as [Price] = most important: confirm it.
    confident = confident and ranks.get(order[0]) != _LAST
    return order, confident


# ---------------------------------------------------------------- yes / no

_YES = (
    "yes|yeah|yea|yah|ya|yep|yup|yes please|sure|surely|absolutely|definitely|certainly|of course|correct|"
    "that's right|exactly|indeed|ok|okay|alright|all right|fine|that's fine|go ahead|totally|i do|we do|"
    "i agree|agreed|uhhuh|mhm|no problem|not a problem|no worries|why not|i don't mind|i do not mind|"
    "don't mind|dont mind|no objection|for sure|you bet|i think so|true|that's true|sounds good|please do|"
    "not bad|affirmative|i have|we have|i've|i did|we did|i am|we are"
)
_NO = (
    "no|nope|nah|naw|not really|not at all|no way|absolutely not|definitely not|certainly not|of course not|"
    "i don't think so|don't think so|dont think so|i do not think so|i don't|i dont|i do not|we don't|"
    "we do not|i'm not|i am not|not|never|no thanks|no thank you|negative|i'd rather not|rather not|"
    "i wouldn't|i won't|i haven't|i didn't|it isn't|it's not|it doesn't|wrong|incorrect|false|not anymore|"
    "no longer|i think not|we haven't|we didn't|we won't|we wouldn't|i have not|we have not|i have never|"
    "i've never|we have never|we've never|i am not|we are not|we aren't|i'm afraid not"
)
_LEAN_YES = "probably|i guess|i guess so|i suppose|i suppose so|mostly|pretty much|more or less"
_LEAN_NO = "probably not|i guess not|not exactly|not quite|not much|i suppose not"
_UNCLEAR = (
    "it depends|depends|kind of|kinda|sort of|sorta|maybe|perhaps|possibly|not sure|i'm not sure|unsure|"
    "don't know|dont know|i don't know|i do not know|dunno|i dunno|no idea|hard to say|difficult to say|"
    "yes and no|sometimes|partly|partially|somewhat|a little|a bit|in a way|not certain|could be|can't say|"
    "fifty fifty|50 50|not always|i have no idea|i am not sure"
)
# phrase -> (value, confident). The longest phrase at the earliest position decides.
_YES_NO: dict[str, tuple[bool | None, bool]] = {
    **dict.fromkeys(_YES.split("|"), (True, True)),
    **dict.fromkeys(_NO.split("|"), (False, True)),
    **dict.fromkeys(_LEAN_YES.split("|"), (True, False)),
    **dict.fromkeys(_LEAN_NO.split("|"), (False, False)),
    **dict.fromkeys(_UNCLEAR.split("|"), (None, False)),
}
_YES_NO_LONGEST = max(len(p.split()) for p in _YES_NO)
_INTERJECTIONS = {"yes", "yeah", "yep", "yup", "no", "nope", "nah"}
_DISCOURSE = {"ok", "okay", "alright", "all right", "fine"}  # "okay, um, no": the "okay" is not the answer


def _yes_no_matches(toks: list[str]) -> list[tuple[int, str]]:
    found, i = [], 0
    while i < len(toks):
        for n in range(min(_YES_NO_LONGEST, len(toks) - i), 0, -1):
            phrase = " ".join(toks[i : i + n])
            if phrase in _YES_NO:
                found.append((i, phrase))
                i += n
                break
        else:
            i += 1
    return found


def _parse_yes_no(toks: list[str]) -> tuple[bool | None, bool]:
    matches = _yes_no_matches(toks)
    if not matches:
        return None, False
    if matches[0][1] in _DISCOURSE and len(matches) > 1:
        matches = matches[1:]
    first_pos, first = matches[0]
    value, confident = _YES_NO[first]
    if value is None:
        # "it depends, mostly yes", "kind of, yeah": lean to the first definite answer, but confirm.
        definite = [_YES_NO[p][0] for _, p in matches[1:] if _YES_NO[p][0] is not None]
        return (definite[0] if definite else None), False
    for pos, phrase in matches[1:]:
        later, _ = _YES_NO[phrase]
        window = set(toks[first_pos:pos])
        if "but" in window:
            break  # "yes, but not always": a qualified yes stays a yes
        if later is None:
            confident = False  # "yeah, kind of"
        elif later != value and (_CORRECTIONS - {"no"}) & set(toks[max(first_pos + 1, pos - 3) : pos]):
            return later, True  # "no, wait, actually yes"
        elif later != value and (phrase in _INTERJECTIONS or phrase in ("no problem", "that's fine")):
            confident = False  # "yeah, no" / "no, that's fine": contradictory, confirm
    return value, confident


# ---------------------------------------------------------------- public API


def parse_answer(question: Question, text: str) -> ParsedAnswer:
    """Parse one spoken answer to `question`. Never raises; `raw` is the text verbatim."""
    raw = text if isinstance(text, str) else ("" if text is None else str(text))
    toks = _tokens(raw)
    value: int | float | str | bool | list[str] | None = None
    other: str | None = None
    kind = question.type
    if kind == QuestionType.scale:
        value, confident = _parse_scale(question, toks)
    elif kind == QuestionType.single_choice:
        value, confident, other = _parse_single(question, toks, raw)
    elif kind == QuestionType.multiple_choice:
        value, confident, other = _parse_multiple(question, toks, raw)
    elif kind == QuestionType.ranking:
        value, confident = _parse_ranking(question, toks)
    elif kind == QuestionType.yes_no:
        value, confident = _parse_yes_no(toks)
    else:
        # A punctuation-only transcript ("...") is ASR noise, not an answer.
        value, confident = raw.strip(), bool(re.search(r"\w", raw))
    return ParsedAnswer(question_id=question.id, type=kind, value=value, confident=confident, other_text=other, raw=raw)


def _names(items: list[str]) -> str:
    items = [i.replace("?", "").strip().rstrip(".!") for i in items]  # exactly one "?" per prompt
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _short_other(parsed: ParsedAnswer) -> str:
    """Echo a short outside-the-list answer ("Discord"); anything long or negated gets a generic phrase."""
    words = re.findall(r"[^\W_][\w'-]*", parsed.other_text or "")
    if 0 < len(words) <= 5 and not _NEGATORS & {w.lower() for w in words}:
        return " ".join(words)
    return "something not on the list"


def confirmation_prompt(question: Question, parsed: ParsedAnswer) -> str:
    """One short question that checks the parse, e.g. "So that's a 7 out of 10?"."""
    kind, value = question.type, parsed.value
    if kind == QuestionType.scale:
        hi = 10 if question.max is None else question.max
        if isinstance(value, int | float) and not isinstance(value, bool):
            shown = str(_tidy(value))
            article = "an" if shown.startswith("8") or shown.split(".")[0] in ("11", "18") else "a"
            return f"So that's {article} {shown} out of {hi}?"
        lo = 1 if question.min is None else question.min
        return f"Sorry, what number would you give it, from {lo} to {hi}?"
    if kind == QuestionType.single_choice:
        if value == OTHER:
            return f"Just to check: was that {_short_other(parsed)}?"
        if isinstance(value, str):
            return f"Just to check: was that {_names([value])}?"
        opts = question.options
        if len(opts) <= 4:
            return f"Sorry, which one was it: {_names(opts[:-1])} or {_names(opts[-1:])}?"
        return "Sorry, which option was that?"
    if kind == QuestionType.multiple_choice:
        if isinstance(value, list) and len(value) > 2 and set(value) == set(question.options):
            return "Just to check: all of them?"
        if isinstance(value, list) and value:
            shown = [_short_other(parsed) if v == OTHER else v for v in value]
            return f"Just to check: {_names(shown)}?"
        if isinstance(value, list):
            return "Just to check: none of them?"
        return "Sorry, which ones were they?"
    if kind == QuestionType.ranking:
        if isinstance(value, list) and len(value) == 1:
            return f"So {_names(value)} matters most?"
        if isinstance(value, list) and value:
            return f"So {_names(value[:1])} first, then {', then '.join(_names([v]) for v in value[1:])}?"
        return "Sorry, could you put them in order, most important first?"
    if kind == QuestionType.yes_no:
        if value is True:
            return "So that's a yes?"
        if value is False:
            return "So that's a no?"
        return "Would you say that's more of a yes or a no?"
    if not str(value or "").strip():
        return "Sorry, could you say that again?"
    return "Did I get that right?"
