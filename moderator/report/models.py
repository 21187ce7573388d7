"""The report's data: every model the renderers and exporters read.

A `Quote` is the only way respondent words enter a report, and one is only made
by `quotes.QuoteIndex.find`, which checks the words against the transcript.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class Quote(BaseModel):
    """Verbatim respondent words: `text` is exactly `turn.text[char_start:char_end]`."""

    interview_id: str
    turn_id: int  # the stored turn's id (stable across exports)
    turn_seq: int | None = None  # its place in the interview's transcript, from 0: what a reader counts
    question_id: str | None = None
    start_s: float  # the turn's start in the recording
    end_s: float
    text: str
    char_start: int = 0  # offsets in the turn's text
    char_end: int = 0


class QualityPart(BaseModel):
    name: Literal["relevance", "depth", "coverage", "completion", "asr_confidence"]
    value: float  # 0..1
    score: float  # the same on the 1..5 scale
    weight: float
    detail: str


class QualityScore(BaseModel):
    score: float  # 1..5, weighted mean of the parts
    parts: list[QualityPart]

    def part(self, name: str) -> QualityPart | None:
        return next((p for p in self.parts if p.name == name), None)


class AnswerView(BaseModel):
    """One guide question as this interview answered it."""

    question_id: str
    question: str
    type: str
    value: Any = None  # the structured value (or None); open-ended: None
    confident: bool = False
    text: str = ""  # the respondent's words for the question, joined
    source: Literal["ledger", "transcript", "none"] = "none"


class SummaryPoint(BaseModel):
    text: str
    quote: Quote


class InterviewAnalysis(BaseModel):
    interview_id: str
    status: str = ""
    duration_s: float = 0.0
    context: dict[str, Any] = Field(default_factory=dict)
    summary: str
    summary_points: list[SummaryPoint] = Field(default_factory=list)
    summary_method: Literal["llm", "extractive"] = "extractive"
    answers: list[AnswerView] = Field(default_factory=list)
    quality: QualityScore
    included: bool = True
    exclusion_reason: str | None = None


class Theme(BaseModel):
    id: str
    name: str
    description: str
    interview_count: int
    share: float  # of the included interviews
    interview_ids: list[str]
    question_ids: list[str] = Field(default_factory=list)
    key_phrases: list[str] = Field(default_factory=list)
    quotes: list[Quote] = Field(default_factory=list)
    named_by: Literal["llm", "key_phrases"] = "key_phrases"


class OptionStat(BaseModel):
    option: str
    count: int
    share: float  # of the answers to the question


class RankStat(BaseModel):
    option: str
    borda: float  # points: (m - 1 - position) per ranking over m options, unranked 0
    mean_rank: float | None  # over the rankings that placed it
    first_place: int
    ranked_by: int


class QuestionStats(BaseModel):
    question_id: str
    question: str
    type: str
    n_answers: int  # answers with a usable value
    n_unconfirmed: int = 0  # of those, values the moderator never confirmed
    n_missing: int = 0  # included interviews without a usable value
    # scale
    mean: float | None = None
    median: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    scale_min: int | None = None
    scale_max: int | None = None
    histogram: list[OptionStat] = Field(default_factory=list)  # scale: one bin per point (option = "7")
    # single / multiple choice, yes/no
    options: list[OptionStat] = Field(default_factory=list)
    other_texts: list[str] = Field(default_factory=list)
    # ranking
    ranking: list[RankStat] = Field(default_factory=list)
    # yes/no
    yes: int | None = None
    no: int | None = None
    yes_share: float | None = None


class ValueShare(BaseModel):
    value: str
    count: int
    share: float


class ICPField(BaseModel):
    key: str
    label: str
    status: Literal["filled", "not enough evidence"]
    value: str | None = None
    share: float | None = None  # of included interviews supporting `value`
    interview_count: int = 0
    quotes: list[Quote] = Field(default_factory=list)
    sources: list[Literal["quotes", "structured", "context", "segments"]] = Field(default_factory=list)
    context_values: list[ValueShare] = Field(default_factory=list)  # from personalized links
    structured_values: list[ValueShare] = Field(default_factory=list)  # from structured questions
    alternatives: list[ValueShare] = Field(default_factory=list)  # other answers heard
    supporting_interviews: list[str] = Field(default_factory=list)
    filled_by: Literal["llm", "extractive", "none"] = "none"
    note: str = ""


class DisqualifyingSignal(BaseModel):
    label: str
    interview_count: int  # in the segment
    share: float  # in the segment
    share_elsewhere: float
    quotes: list[Quote] = Field(default_factory=list)


class SegmentSummary(BaseModel):
    value: str
    n_interviews: int
    interview_ids: list[str]
    fit: float  # mean share of ICP fields where the interview supports the study's value
    theme_shares: dict[str, float] = Field(default_factory=dict)  # theme id -> share in the segment
    field_shares: dict[str, float] = Field(default_factory=dict)  # ICP field key -> share supporting its value


class Exclusion(BaseModel):
    interview_id: str
    score: float
    reason: str


class StudyReport(BaseModel):
    study: str
    study_id: int | None = None
    guide_id: str
    guide_title: str
    research_goal: str = ""
    generated_at: datetime
    quality_threshold: float
    n_interviews: int
    n_included: int
    excluded: list[Exclusion] = Field(default_factory=list)
    interviews: list[InterviewAnalysis] = Field(default_factory=list)
    themes: list[Theme] = Field(default_factory=list)
    questions: list[QuestionStats] = Field(default_factory=list)
    icp: list[ICPField] = Field(default_factory=list)
    segment_by: str | None = None
    segments: list[SegmentSummary] = Field(default_factory=list)
    worst_fit_segment: str | None = None
    disqualifying_signals: list[DisqualifyingSignal] = Field(default_factory=list)
    llm_model: str | None = None
    notes: list[str] = Field(default_factory=list)
