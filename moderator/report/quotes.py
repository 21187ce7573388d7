"""Verbatim quotes: the check every quote in a report passes.

A quote is kept only when its normalised text (NFKC, case-folded, punctuation and
apostrophes dropped, whitespace collapsed) is a substring of the normalised text
of one respondent turn of the interview it names. The quote then carries the
original characters of that turn (`turn.text[char_start:char_end]`), its id and
its times, whatever spelling the model or caller used. A quote the model
attributes to the wrong turn of the right interview is moved to the turn that
holds it; one found in no respondent turn of that interview is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from pydantic import BaseModel

from moderator.report.models import Quote
from moderator.report.text import normalize, normalize_with_map
from moderator.transcript import TranscriptDoc, TranscriptTurn

MIN_QUOTE_WORDS = 3


class QuoteIndex:
    def __init__(self, docs: Iterable[TranscriptDoc]) -> None:
        self._docs: dict[str, TranscriptDoc] = {}
        self._norm: dict[tuple[str, int], tuple[str, list[int]]] = {}
        for doc in docs:
            self.add(doc)

    def add(self, doc: TranscriptDoc) -> None:
        self._docs[doc.interview_id] = doc
        for turn in doc.turns:
            if turn.speaker == "respondent":
                self._norm[(doc.interview_id, turn.id)] = normalize_with_map(turn.text)

    def doc(self, interview_id: str) -> TranscriptDoc | None:
        return self._docs.get(interview_id)

    def _respondent_turns(self, interview_id: str) -> list[TranscriptTurn]:
        doc = self._docs.get(interview_id)
        return [t for t in doc.turns if t.speaker == "respondent"] if doc else []

    def find(self, interview_id: str, text: str, turn_id: int | None = None) -> Quote | None:
        """The verified quote, or None when the words are not in a respondent turn of the interview."""
        if not isinstance(text, str):
            return None
        needle = normalize(text.strip().strip("\"'“”‘’"))
        if len(needle.split()) < MIN_QUOTE_WORDS:
            return None
        turns = self._respondent_turns(interview_id)
        # The cited turn first, then the others in order.
        turns.sort(key=lambda t: (t.id != turn_id, t.seq))
        for turn in turns:
            normed, index = self._norm[(interview_id, turn.id)]
            at = _find_words(normed, needle)
            if at < 0:
                continue
            start = index[at]
            end = index[at + len(needle) - 1] + 1
            return make_quote(self._docs[interview_id], turn, start, end)
        return None

    def verify(self, quote: Quote) -> bool:
        """True when the quote is exactly what the transcript holds at its offsets and passes the check."""
        doc = self._docs.get(quote.interview_id)
        if doc is None:
            return False
        turn = next((t for t in doc.turns if t.id == quote.turn_id and t.speaker == "respondent"), None)
        if turn is None or turn.text[quote.char_start : quote.char_end] != quote.text:
            return False
        return is_verbatim(quote.text, turn.text)


def _find_words(haystack: str, needle: str) -> int:
    """First match of `needle` in `haystack` that starts and ends on word boundaries."""
    start = haystack.find(needle)
    while start >= 0:
        end = start + len(needle)
        if (start == 0 or haystack[start - 1] == " ") and (end == len(haystack) or haystack[end] == " "):
            return start
        start = haystack.find(needle, start + 1)
    return -1


def is_verbatim(quote: str, turn_text: str) -> bool:
    """The published check: the normalised quote is a (word-aligned) substring of the normalised turn."""
    needle = normalize(quote)
    return len(needle.split()) >= MIN_QUOTE_WORDS and _find_words(normalize(turn_text), needle) >= 0


def make_quote(doc: TranscriptDoc, turn: TranscriptTurn, start: int, end: int) -> Quote:
    # Trim to whole characters that are not spaces or dangling punctuation at the edges.
    text = turn.text
    while start < end and (text[start].isspace() or text[start] in ",;:-"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:-"):
        end -= 1
    return Quote(
        interview_id=doc.interview_id,
        turn_id=turn.id,
        turn_seq=turn.seq,
        question_id=turn.question_id,
        start_s=turn.start_s,
        end_s=turn.end_s,
        text=text[start:end],
        char_start=start,
        char_end=end,
    )


def iter_quotes(model: BaseModel) -> Iterator[tuple[BaseModel, str, Quote]]:
    """Every quote held anywhere in a model: (owner, field name, quote)."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, Quote):
            yield model, name, value
        elif isinstance(value, BaseModel):
            yield from iter_quotes(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, Quote):
                    yield model, name, item
                elif isinstance(item, BaseModel):
                    yield from iter_quotes(item)


def drop_unverified(model: BaseModel, index: QuoteIndex) -> int:
    """Remove every quote that fails `QuoteIndex.verify` (and summary points resting on one); the count removed."""
    from moderator.report.models import SummaryPoint

    dropped = 0

    def walk(node: BaseModel) -> None:
        nonlocal dropped
        for name in type(node).model_fields:
            value = getattr(node, name)
            if isinstance(value, list):
                kept = []
                for item in value:
                    if isinstance(item, Quote):
                        if index.verify(item):
                            kept.append(item)
                        else:
                            dropped += 1
                    elif isinstance(item, SummaryPoint):
                        if index.verify(item.quote):
                            kept.append(item)
                        else:
                            dropped += 1
                    else:
                        if isinstance(item, BaseModel):
                            walk(item)
                        kept.append(item)
                if len(kept) != len(value):
                    setattr(node, name, kept)
            elif isinstance(value, BaseModel):
                walk(value)

    walk(model)
    return dropped


def take_proposed(items: object, index: QuoteIndex, accept: Callable[[Quote], bool], picked: list[Quote]) -> int:
    """Add the quotes a model proposed ({interview_id, turn_id, text} each) to `picked`, one per interview.

    Each must be found verbatim (see `QuoteIndex.find`) and pass `accept`; returns how many were rejected.
    """
    rejected = 0
    for item in items if isinstance(items, list) else []:
        quote = None
        if isinstance(item, dict):
            try:
                turn_id = int(item["turn_id"]) if item.get("turn_id") is not None else None
            except (TypeError, ValueError):
                turn_id = None
            quote = index.find(str(item.get("interview_id", "")), str(item.get("text", "")), turn_id)
        if quote is None or not accept(quote):
            rejected += 1
        elif all(q.interview_id != quote.interview_id for q in picked):
            picked.append(quote)
    return rejected


def one_per_interview(first: list[Quote], rest: Iterable[Quote], limit: int) -> list[Quote]:
    """`first` (up to `limit`), then quotes from `rest` whose interview is not quoted yet, up to `limit`."""
    quotes = first[:limit]
    for q in rest:
        if len(quotes) >= limit:
            break
        if all(q.interview_id != other.interview_id for other in quotes):
            quotes.append(q)
    return quotes
