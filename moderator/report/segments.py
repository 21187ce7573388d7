"""Segments by link context, ICP fit per segment, and the worst-fit segment's disqualifying signals.

An interview's fit is the share of the one-pager's quote-based fields (all but
disqualifiers) whose value it voices. A segment's fit is the mean over its
interviews; the worst-fit segment is the lowest among segments of at least two
interviews. Its disqualifying signals are what sets it apart: disqualifier
answers and themes that at least `SIGNAL_MIN_SHARE` of the segment voice and
that are at least `SIGNAL_MARGIN` more common there than in the other segments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from moderator.report.cluster import centrality
from moderator.report.icp import FieldEvidence
from moderator.report.models import DisqualifyingSignal, ICPField, Quote, SegmentSummary, Theme
from moderator.report.text import key_phrases
from moderator.report.units import Unit
from moderator.transcript import TranscriptDoc

NOT_SET = "(not set)"
SIGNAL_MIN_SHARE = 0.3
SIGNAL_MARGIN = 0.2
MIN_SEGMENT = 2


def segment_value(doc: TranscriptDoc, key: str) -> str:
    """The doc's value for `key`: a link-context key (case-insensitive), else a structured answer's value."""
    lowered = {str(k).lower(): v for k, v in doc.context.items()}
    value: Any = lowered.get(key.lower())
    if value in (None, "") and key in doc.answers:
        value = doc.answers[key].value
    if value in (None, "", [], {}):
        return NOT_SET
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def interview_fit(fields: Sequence[ICPField], docs: Sequence[TranscriptDoc]) -> dict[str, float]:
    scored = [f for f in fields if f.status == "filled" and "quotes" in f.sources and f.key != "disqualifiers"]
    fit = {}
    for doc in docs:
        if not scored:
            fit[doc.interview_id] = 0.0
            continue
        hits = sum(doc.interview_id in set(f.supporting_interviews) for f in scored)
        fit[doc.interview_id] = hits / len(scored)
    return fit


def build_segments(
    key: str,
    docs: Sequence[TranscriptDoc],
    fields: Sequence[ICPField],
    themes: Sequence[Theme],
) -> list[SegmentSummary]:
    fit = interview_fit(fields, docs)
    members: dict[str, list[str]] = {}
    for doc in docs:
        members.setdefault(segment_value(doc, key), []).append(doc.interview_id)
    out = []
    for value, ids in members.items():
        idset = set(ids)
        out.append(SegmentSummary(
            value=value,
            n_interviews=len(ids),
            interview_ids=ids,
            fit=round(sum(fit[i] for i in ids) / len(ids), 4),
            theme_shares={t.id: round(len(idset & set(t.interview_ids)) / len(ids), 4) for t in themes},
            field_shares={f.key: round(len(idset & set(f.supporting_interviews)) / len(ids), 4)
                          for f in fields if f.status == "filled" and f.supporting_interviews},
        ))
    out.sort(key=lambda s: (-s.fit, s.value))
    return out


def worst_fit(segments: Sequence[SegmentSummary]) -> SegmentSummary | None:
    candidates = [s for s in segments if s.n_interviews >= MIN_SEGMENT and s.value != NOT_SET]
    if len(candidates) < 2:
        return None
    return min(candidates, key=lambda s: (s.fit, -s.n_interviews, s.value))


def disqualifying_signals(
    worst: SegmentSummary,
    segments: Sequence[SegmentSummary],
    themes: Sequence[Theme],
    theme_units: dict[str, list[int]],
    units: Sequence[Unit],
    disqualifiers: FieldEvidence | None,
) -> list[DisqualifyingSignal]:
    inside = set(worst.interview_ids)
    outside = {i for s in segments if s.value != worst.value for i in s.interview_ids}
    signals: list[DisqualifyingSignal] = []

    def consider(label: str, interviews: set[str], quotes: list[Quote]) -> None:
        share_in = len(interviews & inside) / len(inside)
        share_out = len(interviews & outside) / len(outside) if outside else 0.0
        if share_in < SIGNAL_MIN_SHARE or share_in - share_out < SIGNAL_MARGIN:
            return
        for s in signals:  # the same respondents saying the same thing is one signal
            if s.label == label:
                return
        signals.append(DisqualifyingSignal(
            label=label,
            interview_count=len(interviews & inside),
            share=round(share_in, 4),
            share_elsewhere=round(share_out, 4),
            quotes=[q for q in quotes if q.interview_id in inside][:3],
        ))

    if disqualifiers is not None and disqualifiers.groups:
        ev = disqualifiers
        phrases = key_phrases([[ev.clauses[i].text for i in g] for g in ev.groups], top=3)
        for g, group in enumerate(ev.groups):
            order = [i for i in centrality(ev.x, group) if ev.clauses[i].interview_id in inside]
            quotes, seen = [], set()
            for i in order:
                if ev.clauses[i].interview_id not in seen:
                    seen.add(ev.clauses[i].interview_id)
                    quotes.append(ev.clauses[i].quote())
            consider(", ".join(phrases[g]) or ev.clauses[group[0]].text, ev.interviews(g), quotes)
    for theme in themes:
        idx = theme_units.get(theme.id, [])
        quotes, seen = [], set()
        for i in idx:
            u = units[i]
            if u.interview_id in inside and u.interview_id not in seen:
                seen.add(u.interview_id)
                quotes.append(u.quote())
        consider(theme.name, set(theme.interview_ids), quotes)
    signals.sort(key=lambda s: (-(s.share - s.share_elsewhere), s.label))
    return signals
