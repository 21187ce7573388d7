import numpy as np
import pytest

from voice_server.audio import (
    AudioFormat,
    AudioFormatError,
    InboundAudio,
    bytes_to_float,
    encode_outbound,
    float_to_bytes,
    resample,
)


def test_s16_is_scaled_by_full_range():
    data = np.array([0, 16384, -32768, 32767], dtype="<i2").tobytes()
    out = bytes_to_float(data, AudioFormat("pcm_s16le", 16000))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[:, 0], [0.0, 0.5, -1.0, 32767 / 32768], atol=1e-6)


def test_stereo_downmix_averages_in_float_without_overflow():
    # Both channels at full scale: an int16 sum would wrap around; the float mean stays at full scale.
    frames = np.array([[32767, 32767], [-32768, -32768], [32767, -32768]], dtype="<i2")
    inbound = InboundAudio(AudioFormat("pcm_s16le", 16000, 2))
    mono = inbound.decode(frames.tobytes())
    np.testing.assert_allclose(mono, [32767 / 32768, -1.0, -0.5 / 32768], atol=1e-6)


def test_float32_is_clipped_and_nan_rejected():
    fmt = AudioFormat("float32le", 16000)
    out = bytes_to_float(np.array([2.0, -3.0, 0.25], dtype="<f4").tobytes(), fmt)
    np.testing.assert_allclose(out[:, 0], [1.0, -1.0, 0.25])
    with pytest.raises(AudioFormatError, match="NaN"):
        bytes_to_float(np.array([0.1, np.nan], dtype="<f4").tobytes(), fmt)


@pytest.mark.parametrize(
    ("fmt", "nbytes"),
    [
        (AudioFormat("pcm_s16le", 16000), 3),
        (AudioFormat("pcm_s16le", 16000, 2), 6),
        (AudioFormat("float32le", 8000), 6),
    ],
)
def test_partial_sample_frames_are_rejected(fmt, nbytes):
    with pytest.raises(AudioFormatError, match="whole number"):
        bytes_to_float(b"\x00" * nbytes, fmt)


def test_empty_frame_is_rejected():
    with pytest.raises(AudioFormatError, match="empty"):
        bytes_to_float(b"", AudioFormat("pcm_s16le", 16000))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("mulaw", 8000, 1), "unknown encoding"),
        (("pcm_s16le", 12345, 1), "sample rate"),
        (("pcm_s16le", 0, 1), "sample rate"),
        (("pcm_s16le", 16000, 6), "channel"),
    ],
)
def test_declared_formats_are_checked(args, message):
    with pytest.raises(AudioFormatError, match=message):
        AudioFormat(*args)


def dominant_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spectrum)])


def test_resampling_keeps_pitch_and_length():
    t = np.arange(48000) / 48000
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    out = resample(tone, 48000, 16000)
    assert abs(len(out) - 16000) <= 1
    assert abs(dominant_hz(out, 16000) - 440) < 2


def test_resampler_removes_content_above_the_new_nyquist():
    # 7 kHz survives at 16 kHz; 11 kHz must be filtered, not folded back to 5 kHz as interpolation would do.
    t = np.arange(48000) / 48000
    high = (0.5 * np.sin(2 * np.pi * 11000 * t)).astype(np.float32)
    out = resample(high, 48000, 16000)
    assert np.sqrt(np.mean(out[100:-100] ** 2)) < 0.01


def test_streaming_decode_matches_one_shot_resampling():
    rng = np.random.default_rng(1)
    t = np.arange(44100 * 2) / 44100
    signal = (0.3 * np.sin(2 * np.pi * 300 * t) + 0.01 * rng.standard_normal(len(t))).astype(np.float32)
    fmt = AudioFormat("float32le", 44100)
    inbound = InboundAudio(fmt)
    data = signal.astype("<f4").tobytes()
    chunks = [inbound.decode(data[i : i + 4 * 441]) for i in range(0, len(data), 4 * 441)]
    streamed = np.concatenate(chunks)
    whole = resample(signal, 44100, 16000)
    # soxr's stream keeps its filter state across chunks: the same samples as the one-shot call,
    # only the filter's tail is held back until the stream ends.
    assert len(whole) - 400 < len(streamed) <= len(whole)
    np.testing.assert_allclose(streamed, whole[: len(streamed)], atol=1e-6)


def test_outbound_roundtrip_in_client_format():
    t = np.arange(16000) / 16000
    tone = (0.4 * np.sin(2 * np.pi * 500 * t)).astype(np.float32)
    fmt = AudioFormat("pcm_s16le", 48000, 2)
    wire = encode_outbound(tone, fmt)
    back = bytes_to_float(wire, fmt)
    assert back.shape[1] == 2 and abs(back.shape[0] - 48000) <= 3
    np.testing.assert_array_equal(back[:, 0], back[:, 1])
    assert abs(dominant_hz(back[:, 0], 48000) - 500) < 2
    assert float_to_bytes(np.array([1.5], np.float32), AudioFormat("pcm_s16le", 16000)) == b"\xff\x7f"
