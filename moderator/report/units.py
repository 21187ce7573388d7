"""Answer units: the sentence-sized pieces of respondent speech that themes and ICP fields are built from.

Each unit is an exact span of one respondent turn, so a unit is already a
verbatim quote. Units come from open-ended questions (and respondent turns not
tied to a structured question); short fillers ("um, let me think") and
non-answers are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from moderator.guide import Guide, QuestionType
from moderator.report.models import Quote
from moderator.report.quotes import make_quote
from moderator.report.text import content_words, is_non_answer, sentence_spans, words
from moderator.transcript import TranscriptDoc, TranscriptTurn

MIN_CONTENT_WORDS = 2
MIN_WORDS = 5


@dataclass(frozen=True)
class Unit:
    interview_id: str
    turn: TranscriptTurn
    start: int
    end: int
    doc: TranscriptDoc

    @property
    def text(self) -> str:
        return self.turn.text[self.start : self.end]

    @property
    def question_id(self) -> str | None:
        return self.turn.question_id

    def quote(self) -> Quote:
        return make_quote(self.doc, self.turn, self.start, self.end)


def open_question_ids(guide: Guide) -> set[str]:
    return {q.id for q in guide.questions if q.type == QuestionType.open_ended}


def answer_text(doc: TranscriptDoc, question_id: str) -> str:
    return " ".join(t.text.strip() for t in doc.turns if t.speaker == "respondent" and t.question_id == question_id)


def units_of(doc: TranscriptDoc, guide: Guide) -> list[Unit]:
    structured = {q.id for q in guide.questions if q.type != QuestionType.open_ended}
    units = []
    for turn in doc.turns:
        if turn.speaker != "respondent" or turn.question_id in structured:
            continue
        for span in sentence_spans(turn.text):
            piece = turn.text[span.start : span.end]
            if len(words(piece)) < MIN_WORDS or len(content_words(piece)) < MIN_CONTENT_WORDS or is_non_answer(piece):
                continue
            units.append(Unit(doc.interview_id, turn, span.start, span.end, doc))
    return units
