"""Whole interviews over the real websocket on loopback, with real faster-whisper and espeak-ng."""

import json

import httpx
import soundfile as sf

from tests.conftest import FIXTURES, keywords_in
from voice_server.client import call


async def test_whole_interview_end_to_end(live_server, answers, tmp_path):
    result = await call(live_server.link(), [a["path"] for a in answers], tmp_path, speed=10, log=lambda *_: None)
    assert result.status == "completed", result.errors
    assert result.errors == []
    assert (tmp_path / "heard.json").is_file()

    turns = live_server.store.turns(result.interview_id)
    said = [t for t in turns if t.speaker == "respondent"]
    asked = [t for t in turns if t.speaker == "moderator"]
    # Every fixture answer is stored, in order, with its key words.
    assert len(said) == len(answers)
    for turn, entry in zip(said, answers, strict=True):
        assert not keywords_in(turn.text, entry["keywords"]), (entry["file"], turn.text)
        assert 0 < turn.confidence <= 1 and turn.complete
    # The thin "Just spreadsheets" answer got exactly one probe; nothing else did.
    assert [t.kind for t in asked].count("follow_up") == 1
    assert next(t for t in asked if t.kind == "follow_up").question_id == "alternative"
    assert asked[-1].kind == "end"

    # Every question came back as audio, and what the client heard matches what was stored.
    assert [q.text for q in result.questions] == [t.text for t in asked]
    assert all(q.audio_s > 1.0 for q in result.questions)
    for q, t in zip(result.questions, asked, strict=True):
        assert abs(q.audio_s - (t.end_s - t.start_s)) < 0.05

    # Timings are positions in the recording: ordered, non-overlapping, inside the file.
    for prev, nxt in zip(turns, turns[1:], strict=False):
        assert prev.end_s <= nxt.start_s + 1e-6, (prev.text, nxt.text)
    interview = live_server.store.get_interview(result.interview_id)
    info = sf.info(interview.audio_path)
    assert (info.samplerate, info.channels) == (16000, 1)
    assert abs(info.duration - interview.duration_s) < 0.05
    assert turns[-1].end_s <= info.duration + 1e-3

    # The researcher download matches the stored turns.
    async with httpx.AsyncClient(base_url=live_server.base_url) as http:
        doc = (await http.get(f"/api/interviews/{result.interview_id}/transcript", params={"format": "json"})).json()
        txt = (await http.get(f"/api/interviews/{result.interview_id}/transcript", params={"format": "txt"})).text
        wav = await http.get(f"/api/interviews/{result.interview_id}/audio")
    assert doc["status"] == "completed" and doc["context"] == {"company": "Acme Staffing", "role": "COO"}
    assert [(t["speaker"], t["text"], t["start_s"], t["end_s"]) for t in doc["turns"]] == [
        (t.speaker, t.text, t.start_s, t.end_s) for t in turns
    ]
    for t in turns:
        assert t.text in txt
    assert wav.status_code == 200 and wav.content[:4] == b"RIFF"


async def test_declined_consent_with_a_44k_stereo_float_client(live_server, tmp_path):
    extras = json.loads((FIXTURES / "extras.json").read_text())
    result = await call(live_server.link(), [FIXTURES / extras["decline"]["file"]], tmp_path, speed=10,
                        sample_rate=44100, encoding="float32le", channels=2, log=lambda *_: None)
    assert result.status == "declined"
    # The question audio came back in the declared format: 44.1 kHz stereo float32.
    first = result.questions[0]
    assert first.audio_bytes % 8 == 0  # whole stereo float32 frames
    assert abs(first.audio_bytes / 8 / 44100 - first.audio_s) < 0.002
    turns = live_server.store.turns(result.interview_id)
    assert [t.speaker for t in turns] == ["moderator", "respondent", "moderator"]
    assert not keywords_in(turns[1].text, extras["decline"]["keywords"])
    assert live_server.store.get_interview(result.interview_id).status == "declined"


async def test_structured_questions_answered_by_voice_store_parsed_values(live_server, tmp_path):
    from moderator.guide import BUNDLED_GUIDES

    store = live_server.store
    study = store.create_study("Structured", (BUNDLED_GUIDES / "product_feedback_structured.yaml").read_text())
    token = store.create_link(study, context={"name": "Dana", "email": "dana@acme.test"})
    script = json.loads((FIXTURES / "structured.json").read_text())
    result = await call(live_server.link(token), [FIXTURES / e["file"] for e in script], tmp_path, speed=10,
                        log=lambda *_: None)
    assert result.status == "completed", result.errors
    # One moderator turn per scripted answer, each asking the question the script expects.
    assert [q.id for q in result.questions[:-1]] == [e["question_id"] for e in script]
    assert "Dana" in result.questions[0].text
    assert not any("dana@acme.test" in q.text for q in result.questions)  # email is private by default

    async with httpx.AsyncClient(base_url=live_server.base_url) as http:
        doc = (await http.get(f"/api/interviews/{result.interview_id}/transcript")).json()
    answers = doc["answers"]
    types = {}
    for entry in script:
        if entry["value"] is not None:
            assert answers[entry["question_id"]]["value"] == entry["value"], (entry, answers[entry["question_id"]])
            types[answers[entry["question_id"]]["type"]] = True
    assert set(types) == {"yes_no", "single_choice", "scale", "multiple_choice", "ranking"}
    assert answers["improve"]["type"] == "open_ended" and "mobile app" in answers["improve"]["value"].lower()
