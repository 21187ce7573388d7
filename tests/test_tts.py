import asyncio

import numpy as np

from tests.conftest import keywords_in
from voice_server.tts import EspeakTTS, TTSError


def test_speech_is_16k_float_with_sound(tts):
    audio = tts.synthesize_sync("What is the most painful part of that process for you today?")
    assert audio.dtype == np.float32
    assert 2.0 < len(audio) / 16000 < 8.0
    assert np.sqrt(np.mean(audio**2)) > 0.02
    assert np.max(np.abs(audio)) <= 1.0


async def test_concurrent_requests_all_get_their_own_audio(tts):
    texts = [f"This is prompt number {n} of the concurrency check." for n in range(12)]
    outs = await asyncio.gather(*(tts.synthesize(t) for t in texts))
    assert all(len(o) > 16000 for o in outs)
    # Different texts give different audio: no request got another's file.
    assert len({o.tobytes() for o in outs}) == len(texts)


async def test_identical_prompts_come_from_the_cache(tts):
    before = tts.synthesized
    first = await tts.synthesize("This sentence is only spoken by the cache test.")
    again = await tts.synthesize("This  sentence is only spoken   by the cache test.")
    assert tts.synthesized == before + 1
    assert again is first


def test_what_is_spoken_is_what_was_asked(tts, asr):
    audio = tts.synthesize_sync("If this problem were solved, how would you measure success?")
    assert not keywords_in(asr.transcribe_sync(audio).text, ["problem", "solved", "success"])


def test_a_dead_worker_is_replaced():
    engine = EspeakTTS()
    try:
        engine.synthesize_sync("first")
        engine._proc.kill()
        engine._proc.join(5)
        assert not engine.ready
        audio = engine.synthesize_sync("the worker came back")
        assert len(audio) > 8000 and engine.ready
    finally:
        engine.close()


def test_nothing_to_say_is_an_error(tts):
    try:
        tts.synthesize_sync("   ")
    except TTSError as exc:
        assert "nothing" in str(exc)
    else:
        raise AssertionError("empty text must not be synthesized")


def test_long_prompts_are_never_cut_short(tts):
    # pyttsx3 can cancel an utterance midway and still write it out; every take must be whole.
    base = ("Hi, and thanks for taking the time. I'm an AI interviewer. This takes about ten minutes, "
            "and I'll ask one question at a time, so take as long as you need. Take number")
    lengths = [len(tts.synthesize_sync(f"{base} {n}.")) / 16000 for n in range(10)]
    median = sorted(lengths)[5]
    assert median > 8
    assert all(abs(x - median) < 0.15 * median for x in lengths), lengths
