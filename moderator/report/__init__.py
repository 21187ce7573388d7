"""Reports: per-interview analysis, the study report, and its exports.

    analysis = analyze_interview(guide, doc, llm)           # summary, structured answers, quality 1-5
    report = build_study_report(guide, docs, llm=llm, segment_by="company_size")
    report_to_markdown(report); report_to_html(report); report_to_json(report)
    study_to_qdpx(report, docs)                              # REFI-QDA project (.qdpx bytes)

Pure Python over `TranscriptDoc`s; no model is needed (`llm=None` gives the
whole report, extractively). Every quote is verbatim from a respondent turn.
"""

from moderator.report.models import (
    AnswerView,
    DisqualifyingSignal,
    Exclusion,
    ICPField,
    InterviewAnalysis,
    OptionStat,
    QualityPart,
    QualityScore,
    QuestionStats,
    Quote,
    RankStat,
    SegmentSummary,
    StudyReport,
    SummaryPoint,
    Theme,
    ValueShare,
)
from moderator.report.qdpx import study_to_qdpx
from moderator.report.render_html import report_to_html
from moderator.report.render_md import report_to_json, report_to_markdown
from moderator.report.study import analyze_interview, build_study_report
from moderator.transcript import transcript_to_csv, transcript_to_srt, transcript_to_vtt

__all__ = [
    "AnswerView",
    "DisqualifyingSignal",
    "Exclusion",
    "ICPField",
    "InterviewAnalysis",
    "OptionStat",
    "QualityPart",
    "QualityScore",
    "QuestionStats",
    "Quote",
    "RankStat",
    "SegmentSummary",
    "StudyReport",
    "SummaryPoint",
    "Theme",
    "ValueShare",
    "analyze_interview",
    "build_study_report",
    "report_to_html",
    "report_to_json",
    "report_to_markdown",
    "study_to_qdpx",
    "transcript_to_csv",
    "transcript_to_srt",
    "transcript_to_vtt",
]
