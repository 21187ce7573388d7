"""Finding a question's options in a spoken answer: name matching, negation, preference, number ranges.

Shared by the single-choice, multiple-choice and ranking parsers. A mention records how strong
the evidence is (exact name, plural, one distinctive word, a fuzzy match) and whether every
occurrence was negated ("not Teams"), so each parser can decide how sure it is.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from moderator.guide import Question
from moderator.spoken import _CORRECTIONS, _has_any, _is_word, _numbers, _tokens

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
