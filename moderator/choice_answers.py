"""Parsing spoken answers to single-choice, multiple-choice and ranking questions."""

from __future__ import annotations

from moderator.guide import Question
from moderator.spoken import _NEGATED_BY, _find, _has_any, _is_word, _non_answer
from moderator.spoken_options import _Mention, _mentions, _number_bucket, _preferred, _usable

OTHER = "other"

# ---------------------------------------------------------------- single choice


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


# ---------------------------------------------------------------- multiple choice

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
