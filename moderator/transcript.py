"""Transcript documents and their exports: JSON, TXT, CSV, WebVTT and SRT.

Pure data: the voice server fills a `TranscriptDoc` from storage, and every
exporter here (and the report generator later) reads only this model.
"""

from __future__ import annotations

import csv
import io
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


# -- timed exports: CSV (one row per turn), WebVTT and SRT (times from the recording) ---------------

CSV_COLUMNS = [
    "interview_id", "turn_id", "seq", "speaker", "kind", "question_id", "start_s", "end_s", "start", "end",
    "confidence", "complete", "mode", "text",
]


def transcript_to_csv(doc: TranscriptDoc) -> str:
    """One row per turn, with a header; RFC 4180 quoting, so commas, quotes and newlines in text survive."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for turn in doc.turns:
        writer.writerow([
            doc.interview_id, turn.id, turn.seq, turn.speaker, turn.kind or "", turn.question_id or "",
            f"{turn.start_s:.3f}", f"{turn.end_s:.3f}", clock(turn.start_s), clock(turn.end_s),
            "" if turn.confidence is None else f"{turn.confidence:.4f}", "true" if turn.complete else "false",
            turn.mode, turn.text,
        ])
    return out.getvalue()


def _timestamp(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _cues(doc: TranscriptDoc) -> list[tuple[float, float, str, str]]:
    """(start, end, speaker label, one-line text) per turn with words, in time order; end > start always."""
    cues = []
    for turn in sorted(doc.turns, key=lambda t: (t.start_s, t.seq)):
        text = " ".join(turn.text.split())
        if not text:
            continue
        start = max(0.0, turn.start_s)
        end = max(turn.end_s, start + 0.001)
        who = "Moderator" if turn.speaker == "moderator" else "Respondent"
        cues.append((start, end, who, text))
    return cues


def transcript_to_vtt(doc: TranscriptDoc) -> str:
    """WebVTT with one cue per turn; the speaker as a voice span (<v Respondent>)."""
    lines = ["WEBVTT", "", f"NOTE Interview {doc.interview_id} - {' '.join(doc.study.split())}".replace("-->", "->"),
             ""]
    for n, (start, end, who, text) in enumerate(_cues(doc), start=1):
        safe = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        lines += [str(n), f"{_timestamp(start, '.')} --> {_timestamp(end, '.')}", f"<v {who}>{safe}", ""]
    return "\n".join(lines)


def transcript_to_srt(doc: TranscriptDoc) -> str:
    """SubRip with one numbered cue per turn, the speaker as a "Respondent:" prefix."""
    blocks = []
    for n, (start, end, who, text) in enumerate(_cues(doc), start=1):
        blocks.append(f"{n}\n{_timestamp(start, ',')} --> {_timestamp(end, ',')}\n{who}: {text}\n")
    return "\n".join(blocks)
