"""Verbatim quotes, answer units and the numpy sentence encoder."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from moderator.report.embed import MiniLM, default_embedder
from moderator.report.models import Quote, Theme
from moderator.report.quotes import QuoteIndex, drop_unverified, is_verbatim
from moderator.report.text import sentence_spans
from moderator.transcript import TranscriptDoc, TranscriptTurn


def _doc(iid: str = "i1") -> TranscriptDoc:
    turns = [
        TranscriptTurn(id=1, seq=1, speaker="moderator", text="What happened that made you start looking?",
                       start_s=0.0, end_s=3.0, question_id="trigger"),
        TranscriptTurn(id=2, seq=2, speaker="respondent", question_id="trigger", start_s=3.5, end_s=12.0,
                       text="Well, we FAILED a compliance audit last spring — and that’s when we started looking."),
        TranscriptTurn(id=3, seq=3, speaker="respondent", question_id="trigger", start_s=12.5, end_s=15.0,
                       text="Our old ATS couldn't keep up, honestly."),
    ]
    return TranscriptDoc(interview_id=iid, study_id=1, study="s", status="completed", channel="browser",
                         started_at=datetime(2026, 1, 1, tzinfo=UTC), turns=turns)


def test_quote_found_despite_case_punctuation_and_apostrophes() -> None:
    index = QuoteIndex([_doc()])
    quote = index.find("i1", '"we failed a compliance audit last spring, and thats when we started looking"', 2)
    assert quote is not None
    assert quote.text == "we FAILED a compliance audit last spring — and that’s when we started looking"
    assert (quote.turn_id, quote.start_s, quote.end_s) == (2, 3.5, 12.0)
    turn_text = _doc().turns[1].text
    assert turn_text[quote.char_start : quote.char_end] == quote.text
    assert index.verify(quote)


def test_fabricated_near_miss_and_foreign_quotes_are_refused() -> None:
    index = QuoteIndex([_doc("i1"), _doc("i2")])
    assert index.find("i1", "We would pay double for this tomorrow.") is None
    assert index.find("i1", "we failed a security audit last spring") is None  # one word changed
    assert index.find("i1", "What happened that made you") is None  # the moderator's words
    assert index.find("i9", "we failed a compliance audit") is None  # no such interview
    assert index.find("i1", "compliance audit") is None  # too short to be evidence
    assert index.find("i1", "ailed a compliance audi") is None  # not on word boundaries


def test_quote_with_wrong_turn_is_moved_to_the_turn_that_holds_it() -> None:
    quote = QuoteIndex([_doc()]).find("i1", "our old ATS couldn't keep up", turn_id=2)
    assert quote is not None and quote.turn_id == 3 and quote.start_s == 12.5


def test_is_verbatim_and_sweep() -> None:
    assert is_verbatim("OUR old ats couldnt keep up", "Our old ATS couldn't keep up, honestly.")
    assert not is_verbatim("the new ats couldnt keep up", "Our old ATS couldn't keep up, honestly.")
    index = QuoteIndex([_doc()])
    good = index.find("i1", "our old ATS couldn't keep up")
    forged = good.model_copy(update={"text": "our new ATS couldn't keep up"})
    theme = Theme(id="T1", name="n", description="d", interview_count=1, share=1.0, interview_ids=["i1"],
                  quotes=[good, forged, Quote(interview_id="i1", turn_id=99, start_s=0, end_s=1, text="x y z")])
    assert drop_unverified(theme, index) == 2
    assert theme.quotes == [good]


def test_sentence_spans_cover_punctuated_and_unpunctuated_speech() -> None:
    text = "First point here. Second one! " + " ".join(["word"] * 30) + " and then " + " ".join(["more"] * 30)
    spans = sentence_spans(text)
    pieces = [text[s.start : s.end] for s in spans]
    assert pieces[0] == "First point here." and pieces[1] == "Second one!"
    assert all(len(p.split()) <= 40 for p in pieces)
    assert all(text[s.start : s.end] == p for s, p in zip(spans, pieces, strict=True))


def test_numpy_minilm_matches_published_similarity() -> None:
    """sentence-transformers documents 0.7553 for this pair with all-MiniLM-L6-v2."""
    vecs = default_embedder().encode(["A man is eating food.", "A man is eating a piece of bread."])
    assert abs(float(vecs[0] @ vecs[1]) - 0.7553) < 0.002
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)


def test_batching_does_not_change_vectors() -> None:
    model: MiniLM = default_embedder().model
    texts = ["short one", "a considerably longer sentence about onboarding taking weeks and costing money", "x"]
    together = model.embed(texts)
    alone = np.stack([model.embed([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-5)
