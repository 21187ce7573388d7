"""Interview quality: a 1-5 score with its parts shown.

Each part is a number from 0 to 1, shown on the 1-5 scale too (1 + 4 * value),
with a sentence that says where it came from. The score is the weighted mean
of the parts, on the same scale. It uses this interview alone, so the score the
lead computes at interview end and the one in a study report agree.

- relevance: per open question (required ones count 0 when unanswered), the best similarity of an answer
  sentence to the question or its probe goals' descriptions, mapped from
  [0.05, 0.30] to [0, 1]; "I don't know" counts 0.
- depth: words per open question (unanswered required ones count 0), full marks from `DEPTH_WORDS`.
- coverage: the guide's probe goals that an on-topic answer covered (a goal is
  covered by an answer to a question serving it whose best sentence is at least
  `COVER_SIM` similar to the goal, or that matches the methodology's cue words).
- completion: required questions with a usable answer (a structured value, or
  open words that are not a non-answer).
- asr_confidence: mean ASR confidence of respondent turns, mapped from
  [0.30, 0.75] to [0, 1]; left out (weights renormalised) when no turn has one,
  as in text interviews.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from moderator.guide import Guide, QuestionType
from moderator.report.embed import Embedder
from moderator.report.fields import goal_labels, goal_query
from moderator.report.models import QualityPart, QualityScore
from moderator.report.text import is_non_answer, words
from moderator.report.units import Unit, answer_text
from moderator.transcript import TranscriptDoc

WEIGHTS = {"relevance": 0.3, "coverage": 0.25, "completion": 0.2, "depth": 0.15, "asr_confidence": 0.1}
RELEVANCE_RANGE = (0.05, 0.30)
ASR_RANGE = (0.30, 0.75)
DEPTH_WORDS = 25
COVER_SIM = 0.2


def _scaled(value: float, lo: float, hi: float) -> float:
    return float(min(1.0, max(0.0, (value - lo) / (hi - lo))))


def _goal_cues() -> dict[str, object]:
    try:
        from moderator import methodologies  # noqa: PLC0415 - optional
    except ImportError:
        return {}
    cues: dict[str, object] = {}
    for spec in getattr(methodologies, "METHODOLOGIES", {}).values():
        for goal in getattr(spec, "goals", ()):
            cues.setdefault(goal.id, goal)
    return cues


def has_usable_answer(guide: Guide, doc: TranscriptDoc, question_id: str) -> bool:
    question = guide.question(question_id)
    answer = doc.answers.get(question_id)
    if question.type != QuestionType.open_ended:
        if answer is not None:
            return answer.value is not None
        text = answer_text(doc, question_id)
        return bool(text.strip()) and not is_non_answer(text)
    text = answer_text(doc, question_id)
    return bool(text.strip()) and not is_non_answer(text)


def score_interview(guide: Guide, doc: TranscriptDoc, units: Sequence[Unit], embedder: Embedder) -> QualityScore:
    questions = guide.questions
    open_qs = [q for q in questions if q.type == QuestionType.open_ended]
    labels = goal_labels()
    cues = _goal_cues()

    # Texts to embed: every question, every goal description, and the answer sentences.
    goal_ids = list(dict.fromkeys(g for q in questions for g in q.probe_goals))
    goal_texts = [goal_query(g, labels.get(g)) for g in goal_ids]
    q_vecs = dict(zip([q.id for q in open_qs], embedder.encode([q.text for q in open_qs]), strict=True))
    g_vecs = dict(zip(goal_ids, embedder.encode(goal_texts), strict=True)) if goal_ids else {}

    relevance_values: list[float] = []
    depth_values: list[float] = []
    best_sim: dict[str, float] = {}
    covered_goals: set[str] = set()
    word_counts: list[int] = []
    for q in open_qs:
        text = answer_text(doc, q.id)
        if not text.strip():
            if q.required:  # a required question never answered counts as an empty answer
                relevance_values.append(0.0)
                depth_values.append(0.0)
                word_counts.append(0)
            continue
        if is_non_answer(text):
            if q.required:
                relevance_values.append(0.0)
                depth_values.append(0.0)
                word_counts.append(len(words(text)))
            continue
        pieces = [u.text for u in units if u.question_id == q.id] or [text]
        vecs = embedder.encode(pieces)
        targets = [q_vecs[q.id]] + [g_vecs[g] for g in q.probe_goals if g in g_vecs]
        sims = vecs @ np.stack(targets).T
        best = float(sims.max())
        best_sim[q.id] = best
        relevance_values.append(_scaled(best, *RELEVANCE_RANGE))
        n_words = len(words(text))
        word_counts.append(n_words)
        depth_values.append(min(1.0, n_words / DEPTH_WORDS))
        on_topic = _scaled(best, *RELEVANCE_RANGE) >= 0.5
        for j, g in enumerate(q.probe_goals):
            goal = cues.get(g)
            by_meaning = g in g_vecs and float(sims[:, 1 + j].max()) >= COVER_SIM
            by_cue = goal is not None and hasattr(goal, "covered_by") and goal.covered_by(text)
            if on_topic and (by_meaning or by_cue):
                covered_goals.add(g)

    parts: list[QualityPart] = []

    def add(name: str, value: float, detail: str) -> None:
        parts.append(QualityPart(name=name, value=round(value, 3), score=round(1 + 4 * value, 2),
                                 weight=WEIGHTS[name], detail=detail))

    if open_qs:
        relevance = float(np.mean(relevance_values)) if relevance_values else 0.0
        add("relevance", relevance, f"{sum(v >= 0.5 for v in relevance_values)} of {len(relevance_values)} "
            "open questions answered on topic")
        depth = float(np.mean(depth_values)) if depth_values else 0.0
        mean_words = float(np.mean(word_counts)) if word_counts else 0.0
        add("depth", depth, f"{mean_words:.0f} words per open question on average")
    required = [q for q in questions if q.required]
    answered = [q for q in required if has_usable_answer(guide, doc, q.id)]
    if goal_ids:
        covered = [g for g in goal_ids if g in covered_goals]
        missing = [g for g in goal_ids if g not in covered]
        add("coverage", len(covered) / len(goal_ids), f"{len(covered)} of {len(goal_ids)} probe goals covered"
            + (f" (missing: {', '.join(missing[:6])}{'…' if len(missing) > 6 else ''})" if missing else ""))
    else:
        on_topic = sum(1 for q in open_qs if _scaled(best_sim.get(q.id, 0.0), *RELEVANCE_RANGE) >= 0.5)
        add("coverage", on_topic / len(open_qs) if open_qs else (len(answered) / len(required) if required else 1.0),
            f"{on_topic} of {len(open_qs)} open questions answered on topic (the guide names no probe goals)")
    status = "" if doc.status in ("completed", "complete", "done") else f"; interview {doc.status}"
    add("completion", len(answered) / len(required) if required else 1.0,
        f"{len(answered)} of {len(required)} required questions answered{status}")
    confidences = [t.confidence for t in doc.turns if t.speaker == "respondent" and t.confidence is not None]
    if confidences:
        mean_conf = float(np.mean(confidences))
        add("asr_confidence", _scaled(mean_conf, *ASR_RANGE), f"mean ASR confidence {mean_conf:.2f}")

    total_weight = sum(p.weight for p in parts)
    value = sum(p.value * p.weight for p in parts) / total_weight if total_weight else 0.0
    return QualityScore(score=round(1 + 4 * value, 2), parts=parts)


def exclusion_reason(quality: QualityScore, threshold: float) -> str:
    weakest = sorted(quality.parts, key=lambda p: p.value)[:2]
    why = "; ".join(f"{p.name.replace('_', ' ')} {p.score:.1f}/5 ({p.detail})" for p in weakest)
    return f"quality {quality.score:.1f} is below the threshold {threshold:g}: {why}"
