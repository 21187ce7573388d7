"""Audio formats at the edge of the service, and the one format inside it.

Every transport declares what it sends (encoding, rate, channels). Inside the
service audio is always mono float32 in [-1, 1] at 16 kHz, the rate Whisper and
Silero were trained on. Conversion is explicit: integer samples are scaled by
their full range, channels are averaged in float, and rates are changed with
soxr (a real band-limited resampler; linear interpolation aliases).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import soxr

MODEL_RATE = 16000
ENCODINGS = {"pcm_s16le": np.dtype("<i2"), "float32le": np.dtype("<f4")}
SAMPLE_RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000)
MAX_CHANNELS = 2


class AudioFormatError(ValueError):
    """The declared format or a frame does not make sense; the message says why."""


@dataclass(frozen=True)
class AudioFormat:
    encoding: str
    sample_rate: int
    channels: int = 1

    def __post_init__(self) -> None:
        if self.encoding not in ENCODINGS:
            raise AudioFormatError(f"unknown encoding {self.encoding!r}; use one of {', '.join(ENCODINGS)}")
        if self.sample_rate not in SAMPLE_RATES:
            raise AudioFormatError(
                f"unsupported sample rate {self.sample_rate!r}; use one of {', '.join(map(str, SAMPLE_RATES))}"
            )
        if self.channels not in range(1, MAX_CHANNELS + 1):
            raise AudioFormatError(f"unsupported channel count {self.channels!r}; use 1 or 2")

    @property
    def dtype(self) -> np.dtype:
        return ENCODINGS[self.encoding]

    @property
    def frame_bytes(self) -> int:
        """Bytes in one sample frame (one sample of every channel)."""
        return self.dtype.itemsize * self.channels


def bytes_to_float(data: bytes, fmt: AudioFormat) -> np.ndarray:
    """Wire bytes to float32 of shape (samples, channels), without resampling."""
    if not data:
        raise AudioFormatError("empty audio frame")
    if len(data) % fmt.frame_bytes:
        raise AudioFormatError(
            f"audio frame of {len(data)} bytes is not a whole number of {fmt.encoding} "
            f"sample frames ({fmt.frame_bytes} bytes each for {fmt.channels} channel(s))"
        )
    samples = np.frombuffer(data, dtype=fmt.dtype)
    if fmt.encoding == "pcm_s16le":
        out = samples.astype(np.float32) / 32768.0
    else:
        out = samples.astype(np.float32)
        if not np.all(np.isfinite(out)):
            raise AudioFormatError("float32 audio frame contains NaN or infinity")
        out = np.clip(out, -1.0, 1.0)
    return out.reshape(-1, fmt.channels)


def float_to_bytes(audio: np.ndarray, fmt: AudioFormat) -> bytes:
    """Mono float32 (already at fmt.sample_rate) to wire bytes, duplicated across channels."""
    audio = np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0)
    if fmt.channels > 1:
        audio = np.repeat(audio[:, None], fmt.channels, axis=1).reshape(-1)
    if fmt.encoding == "pcm_s16le":
        return np.round(audio * 32767.0).astype("<i2").tobytes()
    return audio.astype("<f4").tobytes()


def downmix(audio: np.ndarray) -> np.ndarray:
    """(samples, channels) float to mono float by averaging; averaging in float cannot overflow."""
    return audio.mean(axis=1, dtype=np.float32) if audio.shape[1] > 1 else audio[:, 0]


class StreamResampler:
    """Resamples a stream chunk by chunk with filter state carried across chunks."""

    def __init__(self, in_rate: int, out_rate: int) -> None:
        self.in_rate, self.out_rate = in_rate, out_rate
        self._rs = None if in_rate == out_rate else soxr.ResampleStream(in_rate, out_rate, 1, dtype="float32")

    def process(self, mono: np.ndarray, last: bool = False) -> np.ndarray:
        if self._rs is None:
            return mono.astype(np.float32, copy=False)
        return self._rs.resample_chunk(mono.astype(np.float32, copy=False), last=last)


def resample(audio: np.ndarray, in_rate: int, out_rate: int) -> np.ndarray:
    """One-shot resampling of a whole mono clip."""
    if in_rate == out_rate:
        return audio.astype(np.float32, copy=False)
    return soxr.resample(audio.astype(np.float32, copy=False), in_rate, out_rate).astype(np.float32, copy=False)


class InboundAudio:
    """One client's stream: wire frames in, mono float32 at 16 kHz out."""

    def __init__(self, fmt: AudioFormat) -> None:
        self.fmt = fmt
        self._resampler = StreamResampler(fmt.sample_rate, MODEL_RATE)

    def decode(self, data: bytes) -> np.ndarray:
        return self._resampler.process(downmix(bytes_to_float(data, self.fmt)))


def encode_outbound(audio_16k: np.ndarray, fmt: AudioFormat) -> bytes:
    """A whole mono 16 kHz clip (a spoken question) to the client's declared format."""
    return float_to_bytes(resample(audio_16k, MODEL_RATE, fmt.sample_rate), fmt)
