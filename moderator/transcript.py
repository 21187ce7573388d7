"""Transcript documents and their plain exports (JSON, TXT).

Pure data: the voice server fills a `TranscriptDoc` from storage, and every
exporter here (and the report generator later) reads only this model.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class TranscriptTurn(BaseModel):
    id: int
    seq: int
    speaker: Literal["moderator", "respondent"]
    kind: str | None = None
    question_id: str | None = None
    text: str
    start_s: float
    end_s: float
    confidence: float | None = None
    complete: bool = True
    mode: Literal["voice", "text"] = "voice"  # text: typed by the respondent in text mode


class StructuredAnswer(BaseModel):
    """The current answer to one guide question, as the moderator's ledger resolved it."""

    question_id: str
    type: str  # a QuestionType value
    value: Any = None  # number, option, list of options, bool, text; None when unclear
    confident: bool = False
    other_text: str | None = None
    raw: str = ""  # the respondent's words this came from


class TranscriptDoc(BaseModel):
    interview_id: str
    study_id: int
    study: str
    status: str
    channel: str
    started_at: datetime
    ended_at: datetime | None = None
    duration_s: float = 0.0
    context: dict[str, Any] = Field(default_factory=dict)
    turns: list[TranscriptTurn] = Field(default_factory=list)
    answers: dict[str, StructuredAnswer] = Field(default_factory=dict)  # by guide question id


def clock(seconds: float) -> str:
    """mm:ss.s, or h:mm:ss.s past an hour."""
    minutes, secs = divmod(max(seconds, 0.0), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{secs:04.1f}" if hours else f"{minutes:02d}:{secs:04.1f}"


def to_txt(doc: TranscriptDoc) -> str:
    lines = [
        f"Interview {doc.interview_id} - {doc.study}",
        f"Status: {doc.status} | Channel: {doc.channel} | Started: {doc.started_at.isoformat(timespec='seconds')}"
        f" | Length: {clock(doc.duration_s)}",
        "",
    ]
    for turn in doc.turns:
        who = "Moderator" if turn.speaker == "moderator" else "Respondent"
        note = "" if turn.complete else " [cut off]"
        lines.append(f"[{clock(turn.start_s)} - {clock(turn.end_s)}] {who}: {turn.text}{note}")
    return "\n".join(lines) + "\n"


def to_json(doc: TranscriptDoc) -> str:
    return doc.model_dump_json(indent=2)
