import numpy as np
from faster_whisper.vad import get_vad_model

from tests.conftest import fixture_audio
from voice_server.vad import WINDOW, SileroStream, TurnConfig, TurnDetector

RATE = 16000


def feed_in_chunks(detector: TurnDetector, audio: np.ndarray, chunk: int = 320):
    turns = []
    for i in range(0, len(audio), chunk):  # 20 ms frames, not aligned with the 32 ms VAD windows
        turns.extend(detector.feed(audio[i : i + chunk]))
    return turns


def test_streaming_probabilities_equal_the_batched_model():
    speech = fixture_audio("trigger.wav")
    audio = np.concatenate([np.zeros(RATE // 2, np.float32), speech, np.zeros(RATE, np.float32)])
    audio = audio[: len(audio) // WINDOW * WINDOW]
    batched = get_vad_model()(audio).reshape(-1)
    stream = SileroStream()
    probs = []
    for i in range(0, len(audio), 700):  # odd chunk sizes: the stream must re-window them
        probs.extend(p for _, p in stream.process(audio[i : i + 700]))
    np.testing.assert_allclose(probs, batched, atol=1e-5)
    assert max(probs) > 0.9 and probs[0] < 0.1


def test_one_answer_gives_one_turn_with_its_bounds():
    speech = fixture_audio("trigger.wav")  # 0.3 s of lead silence, then speech
    lead = np.zeros(RATE, np.float32)
    audio = np.concatenate([lead, speech, np.zeros(3 * RATE, np.float32)])
    detector = TurnDetector()
    detector.reset(origin_s=10.0)
    turns = feed_in_chunks(detector, audio)
    assert len(turns) == 1
    turn = turns[0]
    voiced = np.flatnonzero(np.abs(speech) > 0.01)
    true_start = 10.0 + 1.0 + voiced[0] / RATE
    true_end = 10.0 + 1.0 + voiced[-1] / RATE
    assert abs(turn.start_s - true_start) < 0.15
    assert abs(turn.end_s - true_end) < 0.3
    # Padding keeps the edges: the clip starts before speech and ends after it.
    assert len(turn.audio) / RATE > (true_end - true_start) + 0.3
    assert turn.complete


def test_thinking_pause_shorter_than_the_window_does_not_split_the_turn():
    a, b = fixture_audio("role.wav"), fixture_audio("trigger.wav")
    pause = np.zeros(int(0.6 * RATE), np.float32)  # plus the clips own edges: a ~1.3 s gap
    audio = np.concatenate([a, pause, b, np.zeros(3 * RATE, np.float32)])
    turns = feed_in_chunks(TurnDetector(TurnConfig(end_silence_ms=1500)), audio)
    assert len(turns) == 1
    # With a shorter window the same audio is two turns.
    assert len(feed_in_chunks(TurnDetector(TurnConfig(end_silence_ms=600)), audio)) == 2


def test_digital_silence_and_low_noise_make_no_turn():
    rng = np.random.default_rng(7)
    silence = np.zeros(6 * RATE, np.float32)
    noise = (0.003 * rng.standard_normal(6 * RATE)).astype(np.float32)
    hum = (0.01 * np.sin(2 * np.pi * 50 * np.arange(6 * RATE) / RATE)).astype(np.float32)
    detector = TurnDetector()
    assert feed_in_chunks(detector, np.concatenate([silence, noise, hum])) == []
    assert detector.flush() is None


def test_a_click_is_not_a_turn():
    click = np.zeros(2 * RATE, np.float32)
    click[RATE : RATE + 80] = 0.9
    assert feed_in_chunks(TurnDetector(), click) == []


def test_flush_keeps_speech_cut_off_by_a_hangup():
    speech = fixture_audio("role.wav")
    detector = TurnDetector()
    assert feed_in_chunks(detector, speech[: len(speech) // 2]) == []
    assert detector.in_speech
    turn = detector.flush()
    assert turn is not None and not turn.complete
    assert len(turn.audio) > RATE
    assert not detector.in_speech


def test_max_turn_length_cuts_long_speech():
    speech = np.concatenate([fixture_audio("alternative_probe.wav")] * 2)
    turns = feed_in_chunks(TurnDetector(TurnConfig(max_turn_s=5.0)), speech)
    assert turns and not turns[0].complete
    assert turns[0].end_s - turns[0].start_s <= 5.1
