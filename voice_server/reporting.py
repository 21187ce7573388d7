"""From stored interviews to documents, analyses and study reports (the engine is moderator.report).

Everything here blocks (database reads, embeddings, an optional LLM); callers on the event loop run it
in a worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from moderator.guide import Guide, parse_guide
from moderator.llm import LLMConfig
from moderator.report import StudyReport, analyze_interview, build_study_report
from moderator.transcript import TranscriptDoc, TranscriptTurn
from voice_server.storage import Store

log = logging.getLogger(__name__)

# Interviews worth analysing; a declined consent has nothing to analyse.
ANALYSED = ("completed", "interrupted")


def transcript_doc(store: Store, interview_id: str) -> TranscriptDoc | None:
    interview = store.get_interview(interview_id)
    if interview is None:
        return None
    study = store.get_study(interview.study_id)
    return TranscriptDoc(
        interview_id=interview.id,
        study_id=interview.study_id,
        study=study.name if study else "",
        status=interview.status,
        channel=interview.channel,
        started_at=interview.started_at,
        ended_at=interview.ended_at,
        duration_s=interview.duration_s,
        context=interview.context or {},
        turns=[
            TranscriptTurn(
                id=t.id, seq=t.seq, speaker=t.speaker, kind=t.kind, question_id=t.question_id, text=t.text,
                start_s=t.start_s, end_s=t.end_s, confidence=t.confidence, complete=t.complete, mode=t.mode,
            )
            for t in store.turns(interview_id)
        ],
        answers=store.answers(interview_id),
    )


def study_guide(store: Store, study_id: int) -> Guide | None:
    study = store.get_study(study_id)
    return parse_guide(study.guide_yaml, source=f"study {study_id}") if study else None


def analyze_and_store(store: Store, interview_id: str, llm: LLMConfig | None = None) -> float | None:
    """The per-interview analysis, run when an interview ends; returns the quality score."""
    doc = transcript_doc(store, interview_id)
    if doc is None or doc.status not in ANALYSED:
        return None
    guide = study_guide(store, doc.study_id)
    analysis = analyze_interview(guide, doc, llm)
    store.save_analysis(interview_id, analysis.model_dump(mode="json"), analysis.quality.score)
    log.info("interview %s analysed: quality %.1f", interview_id, analysis.quality.score)
    return analysis.quality.score


def study_report(
    store: Store,
    study_id: int,
    *,
    llm: LLMConfig | None = None,
    segment_by: str | None = None,
    quality_threshold: float = 3.0,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[StudyReport, list[TranscriptDoc]] | None:
    guide = study_guide(store, study_id)
    if guide is None:
        return None
    docs = [
        doc
        for i in store.list_interviews(study_id)
        if i.status in ANALYSED and (doc := transcript_doc(store, i.id)) is not None
    ]
    report = build_study_report(
        guide, docs, llm=llm, quality_threshold=quality_threshold, segment_by=segment_by, progress=progress
    )
    return report, docs
