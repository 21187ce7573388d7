"""Bad input gets a clear error or a clean close; other sessions and stored turns survive."""

import json

import numpy as np
import pytest
import websockets

from tests.conftest import fixture_audio, keywords_in
from tests.peer import START, connect, heard_interview, joined, rejected, wait_for_status


@pytest.mark.parametrize(
    ("messages", "code", "words"),
    [
        (["hello"], "bad_start", "start message"),
        ([json.dumps({"type": "start"})], "bad_start", "encoding"),
        ([json.dumps({"type": "playback_done"})], "bad_start", "start"),
        ([b"\x00\x01" * 100], "bad_start", "not audio"),
        ([json.dumps({**START, "encoding": "mp3"})], "unsupported_format", "unknown encoding"),
        ([json.dumps({**START, "sample_rate": 12345})], "unsupported_format", "sample rate"),
        ([json.dumps({**START, "sample_rate": "fast"})], "bad_start", "sample_rate"),
        ([json.dumps({**START, "channels": 8})], "unsupported_format", "channel"),
    ],
)
async def test_bad_start_gets_a_clear_error_and_a_clean_close(live_server, messages, code, words):
    event, close_code = await rejected(live_server.socket(), *messages)
    assert event["type"] == "error" and event["code"] == code and event["fatal"]
    assert words in event["message"]
    assert close_code == 1008


async def test_unknown_link_token(live_server):
    event, close_code = await rejected(live_server.socket("no-such-token"), json.dumps(START))
    assert (event["code"], close_code) == ("unknown_link", 1008)


async def test_garbage_mid_call_is_reported_and_the_interview_goes_on(live_server):
    async with joined(live_server.socket()) as peer:
        ws = peer.ws
        await peer.question_played()
        for bad in (b"", b"\x01\x02\x03", "this is not json", json.dumps({"type": "dance"}), json.dumps([1, 2])):
            await ws.send(bad)
        errors = [await peer.next_event("error") for _ in range(5)]
        assert [e["code"] for e in errors] == [
            "bad_audio", "bad_audio", "bad_message", "unexpected_message", "unexpected_message",
        ]
        assert not any(e["fatal"] for e in errors)
        assert "empty" in errors[0]["message"] and "whole number" in errors[1]["message"]
        await peer.speak(fixture_audio("consent.wav"))
        heard = await peer.next_event("transcript")
        assert "yes" in heard["text"].lower()
        assert (await peer.next_event("question"))["id"] == "role"


async def test_silence_and_low_noise_make_no_turn(live_server):
    async with joined(live_server.socket()) as peer:
        await peer.question_played()
        rng = np.random.default_rng(0)
        quiet = np.concatenate([np.zeros(5 * 16000), 0.003 * rng.standard_normal(5 * 16000)]).astype(np.float32)
        await peer.speak(quiet, tail_s=0)
        # Then a real answer: the first transcript must be that answer, not anything from the quiet part.
        await peer.speak(fixture_audio("consent.wav"))
        heard = await peer.next_event("transcript")
        assert "yes" in heard["text"].lower()
        assert heard["start_s"] > 10.0  # the quiet 10 s are in the recording, but produced no turn
    respondent = [t for t in live_server.store.turns(heard_interview(peer)) if t.speaker == "respondent"]
    assert len(respondent) == 1


async def test_hangup_mid_turn_keeps_what_was_said_and_other_sessions_go_on(live_server, answers):
    store = live_server.store
    # A healthy session is mid-interview while another client misbehaves and vanishes.
    async with joined(live_server.socket()) as good:
        await good.question_played()

        bad = await connect(live_server.socket())
        ws = bad.ws
        await bad.question_played()
        await bad.speak(fixture_audio("consent.wav"))
        await bad.next_event("transcript")
        await bad.question_played()
        role = fixture_audio("role.wav")
        await bad.speak(role[: int(len(role) * 0.7)], tail_s=0)  # mid-sentence...
        ws.transport.abort()  # no close frame: the network just went away
        bad_id = heard_interview(bad)

        interview = await wait_for_status(store, bad_id)
        assert interview.status == "interrupted"
        said = [t for t in store.turns(bad_id) if t.speaker == "respondent"]
        assert len(said) == 2
        assert "yes" in said[0].text.lower() and said[0].complete
        assert not keywords_in(said[1].text, ["operation"]) and not said[1].complete  # the cut-off answer is kept

        # The healthy session never noticed.
        await good.speak(fixture_audio("consent.wav"))
        assert "yes" in (await good.next_event("transcript"))["text"].lower()
        assert (await good.next_event("question"))["id"] == "role"


async def test_client_end_message_closes_cleanly(live_server):
    async with joined(live_server.socket()) as peer:
        ws = peer.ws
        await peer.question_played()
        await ws.send(json.dumps({"type": "end"}))
        with pytest.raises(websockets.ConnectionClosed):
            while True:
                event = await peer.next_event(timeout=10)
                assert event["type"] == "state"  # nothing more is asked after the respondent ends
        assert ws.close_code == 1000
    interview = await wait_for_status(live_server.store, heard_interview(peer))
    assert interview.status == "interrupted"


async def test_a_voice_failure_still_asks_the_question_as_text(live_server):
    from voice_server.tts import EspeakTTS

    impatient = EspeakTTS(timeout_s=1e-6)  # a real worker that can never answer in time
    shared, live_server.services.tts = live_server.services.tts, impatient
    try:
        async with joined(live_server.socket()) as peer:
            ws = peer.ws
            question = await peer.next_event("question")
            assert question["id"] == "consent"
            assert (await peer.next_event("error"))["code"] == "tts_failed"
            end = await peer.next_event("audio_end")
            assert (end["frames"], end["duration_s"]) == (0, 0)
            await ws.send(json.dumps({"type": "text", "text": "Yes, that is fine."}))
            await peer.next_event("transcript")
            assert (await peer.next_event("question"))["id"] == "role"
    finally:
        live_server.services.tts = shared
        impatient.close()
