"""The two entry points: one interview's analysis, and the study report over many.

Both work without a model: an `LLMConfig` only changes the wording of
summaries, theme names and ICP values; every count, share, score and quote is
computed here from the transcripts. Every quote in the result has passed the
verbatim check (`quotes.QuoteIndex`), and a last sweep over the finished report
re-checks them all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from moderator.answers import parse_answer
from moderator.context import public_context
from moderator.guide import Guide, QuestionType
from moderator.llm import LLMConfig
from moderator.report import summary as summaries
from moderator.report.embed import Embedder, default_embedder
from moderator.report.icp import build_icp
from moderator.report.llm_client import ReportLLM
from moderator.report.models import AnswerView, Exclusion, InterviewAnalysis, StudyReport
from moderator.report.quality import exclusion_reason, has_usable_answer, score_interview
from moderator.report.quotes import QuoteIndex, drop_unverified
from moderator.report.segments import build_segments, disqualifying_signals, worst_fit
from moderator.report.stats import question_stats
from moderator.report.themes import build_themes
from moderator.report.units import Unit, answer_text, units_of
from moderator.transcript import TranscriptDoc

log = logging.getLogger(__name__)

LLM_WORKERS = 4


def _answers(guide: Guide, doc: TranscriptDoc) -> list[AnswerView]:
    views = []
    for q in guide.questions:
        text = answer_text(doc, q.id)
        view = AnswerView(question_id=q.id, question=q.text, type=q.type.value, text=text)
        if q.type != QuestionType.open_ended:
            ledger = doc.answers.get(q.id)
            if ledger is not None:
                view.value, view.confident, view.source = ledger.value, ledger.confident, "ledger"
            elif text.strip():
                parsed = parse_answer(q, text)
                view.value, view.confident, view.source = parsed.value, parsed.confident, "transcript"
        elif text.strip():
            view.source = "transcript"
        views.append(view)
    return views


def _analyze(
    guide: Guide,
    doc: TranscriptDoc,
    units: Sequence[Unit],
    embedder: Embedder,
    llm: ReportLLM | None,
    index: QuoteIndex,
    notes: list[str],
) -> InterviewAnalysis:
    quality = score_interview(guide, doc, units, embedder)
    required = [q for q in guide.questions if q.required]
    answered = sum(has_usable_answer(guide, doc, q.id) for q in required)
    head = summaries.headline(guide, doc, answered, len(required))
    points, method = summaries.extractive_points(guide, units), "extractive"
    if llm is not None:
        try:
            result = summaries.llm_points(guide, doc, llm, index)
        except Exception:  # a model problem must never cost the report
            log.exception("LLM summary failed for interview %s", doc.interview_id)
            result = None
        if result is not None and result[0]:
            points, method = result[0], "llm"
            if result[1]:
                notes.append(f"Interview {doc.interview_id}: {result[1]} summary point(s) dropped because their "
                             "quote was not found verbatim in the transcript.")
    return InterviewAnalysis(
        interview_id=doc.interview_id,
        status=doc.status,
        duration_s=doc.duration_s,
        context=public_context(doc.context),
        summary=summaries.render(head, points, method),
        summary_points=points,
        summary_method=method,  # type: ignore[arg-type]
        answers=_answers(guide, doc),
        quality=quality,
    )


def analyze_interview(
    guide: Guide, doc: TranscriptDoc, llm: LLMConfig | None = None, *, context_tokens: int | None = None
) -> InterviewAnalysis:
    """Summary, structured answers and quality score of one interview."""
    embedder = default_embedder()
    index = QuoteIndex([doc])
    units = units_of(doc, guide)
    report_llm = ReportLLM(llm, context_tokens=context_tokens) if llm is not None else None
    notes: list[str] = []
    try:
        analysis = _analyze(guide, doc, units, embedder, report_llm, index, notes)
    finally:
        if report_llm is not None:
            report_llm.close()
    drop_unverified(analysis, index)
    return analysis


def build_study_report(
    guide: Guide,
    docs: list[TranscriptDoc],
    *,
    llm: LLMConfig | None = None,
    quality_threshold: float = 3.0,
    segment_by: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    context_tokens: int | None = None,
) -> StudyReport:
    """The study report over `docs`; interviews scoring below `quality_threshold` are analysed but left out."""
    total = len(docs) + 4
    done = 0

    def step(n: int = 1) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(min(done, total), total)

    embedder = default_embedder()
    index = QuoteIndex(docs)
    report_llm = ReportLLM(llm, context_tokens=context_tokens) if llm is not None else None
    notes: list[str] = []
    try:
        units_by_doc = {doc.interview_id: units_of(doc, guide) for doc in docs}
        # One batched pass embeds every answer sentence; later steps hit the cache.
        embedder.encode([u.text for us in units_by_doc.values() for u in us])

        def analyse(doc: TranscriptDoc) -> InterviewAnalysis:
            return _analyze(guide, doc, units_by_doc[doc.interview_id], embedder, report_llm, index, notes)

        analyses: list[InterviewAnalysis] = []
        if report_llm is not None and len(docs) > 1:
            with ThreadPoolExecutor(max_workers=LLM_WORKERS) as pool:
                for analysis in pool.map(analyse, docs):
                    analyses.append(analysis)
                    step()
        else:
            for doc in docs:
                analyses.append(analyse(doc))
                step()

        excluded = []
        for analysis in analyses:
            if analysis.quality.score < quality_threshold:
                analysis.included = False
                analysis.exclusion_reason = exclusion_reason(analysis.quality, quality_threshold)
                excluded.append(Exclusion(interview_id=analysis.interview_id, score=analysis.quality.score,
                                          reason=analysis.exclusion_reason))
        kept_ids = {a.interview_id for a in analyses if a.included}
        included = [d for d in docs if d.interview_id in kept_ids]
        units = [u for d in included for u in units_by_doc[d.interview_id]]
        x = embedder.encode([u.text for u in units])

        themes, theme_units = build_themes(guide, units, x, len(included), llm=report_llm, index=index, notes=notes)
        step()
        stats = question_stats(guide, included)
        step()
        icp, evidence = build_icp(guide, included, units, stats, embedder, llm=report_llm, index=index, notes=notes)
        step()
        segments, worst, signals = [], None, []
        if segment_by:
            segments = build_segments(segment_by, included, icp, themes)
            worst_segment = worst_fit(segments)
            if worst_segment is not None:
                worst = worst_segment.value
                signals = disqualifying_signals(worst_segment, segments, themes, theme_units, units,
                                                evidence.get("disqualifiers"))
            else:
                notes.append(f"Segments by “{segment_by}”: fewer than two segments with two or more interviews, "
                             "so no worst-fit segment.")
        step()
        if report_llm is not None:
            if report_llm.failures:
                notes.append(f"The model failed {report_llm.failures} of {report_llm.calls} call(s); those parts use "
                             "the extractive method instead.")
        if excluded:
            notes.insert(0, f"{len(excluded)} of {len(docs)} interview(s) scored below the quality threshold "
                            f"{quality_threshold:g} and are left out of the study findings.")
        first = docs[0] if docs else None
        report = StudyReport(
            study=first.study if first else guide.title,
            study_id=first.study_id if first else None,
            guide_id=guide.id,
            guide_title=guide.title,
            research_goal=guide.research_goal,
            generated_at=datetime.now(UTC),
            quality_threshold=quality_threshold,
            n_interviews=len(docs),
            n_included=len(included),
            excluded=excluded,
            interviews=analyses,
            themes=themes,
            questions=stats,
            icp=icp,
            segment_by=segment_by,
            segments=segments,
            worst_fit_segment=worst,
            disqualifying_signals=signals,
            llm_model=llm.model if llm is not None else None,
            notes=notes,
        )
    finally:
        if report_llm is not None:
            report_llm.close()
    swept = drop_unverified(report, index)
    if swept:  # never expected: every quote was made from the transcript or checked against it
        report.notes.append(f"{swept} quote(s) failed the final verbatim check and were removed.")
    return report
