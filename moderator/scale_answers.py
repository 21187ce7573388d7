"""Parsing a spoken answer to a scale question ("I'd give it a seven", "four out of five", "high")."""

from __future__ import annotations

from dataclasses import dataclass

from moderator.guide import Question
from moderator.spoken import _CORRECTIONS, _NEGATED_BY, _find, _is_word, _numbers, _tidy, _tokens

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
