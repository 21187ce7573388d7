"""Statistics for structured questions, over the included interviews.

Values come from `doc.answers` (the moderator's ledger). An interview without a
ledger entry for a question (recorded before ledgers existed) has its
respondent words for that question parsed with `moderator.answers.parse_answer`.
Only usable values count: None (an unclear answer) is reported as missing.

- scale: mean, median, min, max and one histogram bin per scale point (a
  half-point answer such as 6.5 counts in the bin below it; the mean and median
  use the exact values);
- single choice: count and share per option (plus "other", with what was said);
- multiple choice: count and share of respondents per option (shares add up to
  more than 100%);
- ranking: Borda count (an option at position i of a ranking over m options
  scores m - 1 - i; options a respondent left out score 0), mean rank among the
  rankings that placed it, and first places;
- yes/no: yes and no counts and the yes share.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

from moderator.answers import OTHER, parse_answer
from moderator.guide import Guide, Question, QuestionType
from moderator.report.models import OptionStat, QuestionStats, RankStat
from moderator.report.units import answer_text
from moderator.transcript import StructuredAnswer, TranscriptDoc


def _value(question: Question, doc: TranscriptDoc) -> tuple[Any, bool] | None:
    answer: StructuredAnswer | None = doc.answers.get(question.id)
    if answer is None:
        text = answer_text(doc, question.id)
        if not text.strip():
            return None
        parsed = parse_answer(question, text)
        return parsed.value, parsed.confident
    return answer.value, answer.confident


def _share(count: int, total: int) -> float:
    return round(count / total, 4) if total else 0.0


def question_stats(guide: Guide, docs: Sequence[TranscriptDoc]) -> list[QuestionStats]:
    out = []
    for question in guide.questions:
        if question.type == QuestionType.open_ended:
            continue
        values: list[Any] = []
        unconfirmed = 0
        others: list[str] = []
        for doc in docs:
            got = _value(question, doc)
            if got is None or got[0] is None:
                continue
            value, confident = got
            if not _valid(question, value):
                continue
            values.append(value)
            unconfirmed += not confident
            answer = doc.answers.get(question.id)
            if answer is not None and answer.other_text and _mentions_other(value):
                others.append(answer.other_text)
        stats = QuestionStats(
            question_id=question.id,
            question=question.text,
            type=question.type.value,
            n_answers=len(values),
            n_unconfirmed=unconfirmed,
            n_missing=len(docs) - len(values),
            other_texts=others,
        )
        if question.type == QuestionType.scale:
            _scale(question, values, stats)
        elif question.type in (QuestionType.single_choice, QuestionType.multiple_choice):
            _choices(question, values, stats)
        elif question.type == QuestionType.ranking:
            _ranking(question, values, stats)
        elif question.type == QuestionType.yes_no:
            yes = sum(1 for v in values if v is True)
            stats.yes, stats.no = yes, len(values) - yes
            stats.yes_share = _share(yes, len(values))
            stats.options = [OptionStat(option="Yes", count=yes, share=_share(yes, len(values))),
                             OptionStat(option="No", count=len(values) - yes, share=_share(len(values) - yes,
                                                                                              len(values)))]
        out.append(stats)
    return out


def _mentions_other(value: Any) -> bool:
    return value == OTHER or (isinstance(value, list) and OTHER in value)


def _valid(question: Question, value: Any) -> bool:
    kind = question.type
    if kind == QuestionType.scale:
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if kind == QuestionType.yes_no:
        return isinstance(value, bool)
    if kind == QuestionType.single_choice:
        return isinstance(value, str) and (value in question.options or value == OTHER)
    if kind in (QuestionType.multiple_choice, QuestionType.ranking):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return False


def _scale(question: Question, values: list[float], stats: QuestionStats) -> None:
    lo = question.min if question.min is not None else 1
    hi = question.max if question.max is not None else 10
    stats.scale_min, stats.scale_max = lo, hi
    if not values:
        stats.histogram = [OptionStat(option=str(p), count=0, share=0.0) for p in range(lo, hi + 1)]
        return
    stats.mean = round(statistics.fmean(values), 4)
    stats.median = float(statistics.median(values))
    stats.minimum, stats.maximum = float(min(values)), float(max(values))
    bins = {p: 0 for p in range(lo, hi + 1)}
    for v in values:
        bins[min(hi, max(lo, math.floor(v)))] += 1
    stats.histogram = [OptionStat(option=str(p), count=c, share=_share(c, len(values))) for p, c in bins.items()]


def _choices(question: Question, values: list[Any], stats: QuestionStats) -> None:
    counts = {o: 0 for o in question.options}
    counts[OTHER] = 0
    for value in values:
        chosen = value if isinstance(value, list) else [value]
        for option in dict.fromkeys(chosen):  # a respondent counts once per option
            if option in counts:
                counts[option] += 1
            else:
                counts[OTHER] += 1
    if not counts[OTHER] and not question.allow_other:
        del counts[OTHER]
    stats.options = [OptionStat(option=o, count=c, share=_share(c, len(values))) for o, c in counts.items()]


def _ranking(question: Question, values: list[list[str]], stats: QuestionStats) -> None:
    m = len(question.options)
    borda = {o: 0.0 for o in question.options}
    positions: dict[str, list[int]] = {o: [] for o in question.options}
    firsts = {o: 0 for o in question.options}
    for ranking in values:
        seen: list[str] = []
        for option in ranking:
            if option in borda and option not in seen:
                seen.append(option)
        for position, option in enumerate(seen):
            borda[option] += m - 1 - position
            positions[option].append(position + 1)
        if seen:
            firsts[seen[0]] += 1
    rows = [
        RankStat(
            option=o,
            borda=borda[o],
            mean_rank=round(statistics.fmean(positions[o]), 4) if positions[o] else None,
            first_place=firsts[o],
            ranked_by=len(positions[o]),
        )
        for o in question.options
    ]
    order = {o: i for i, o in enumerate(question.options)}
    stats.ranking = sorted(rows, key=lambda r: (-r.borda, order[r.option]))
