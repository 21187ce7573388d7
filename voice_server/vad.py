"""Voice activity detection and end-of-turn detection on a live stream.

faster-whisper bundles Silero VAD, but its helper (`get_speech_timestamps`)
runs a whole clip and starts from a zeroed LSTM state on every call. A live
call needs the model run 32 ms window by window with its state (h, c and the
64-sample context) carried from one window to the next; `SileroStream` does
that with the same ONNX session, and gives the same probabilities as the
batched call on the same audio.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from faster_whisper.vad import get_vad_model

from voice_server.audio import MODEL_RATE

WINDOW = 512  # samples at 16 kHz: 32 ms, the window Silero v6 expects
CONTEXT = 64  # samples of the previous window the model sees before each window


class SileroStream:
    """Speech probability for each 32 ms window of a 16 kHz mono stream."""

    def __init__(self) -> None:
        self._session = get_vad_model().session  # loaded once per process, shared read-only
        self._pending = np.zeros(0, dtype=np.float32)
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)

    def process(self, samples: np.ndarray) -> list[tuple[np.ndarray, float]]:
        """Feed any number of samples; returns (window, probability) for each completed window."""
        buf = np.concatenate([self._pending, samples.astype(np.float32, copy=False)])
        out = []
        n_full = len(buf) // WINDOW * WINDOW
        for start in range(0, n_full, WINDOW):
            window = buf[start : start + WINDOW]
            inp = np.concatenate([self._context, window])[None, :]
            prob, self._h, self._c = self._session.run(None, {"input": inp, "h": self._h, "c": self._c})
            self._context = window[-CONTEXT:]
            out.append((window, float(np.asarray(prob).reshape(-1)[0])))
        self._pending = buf[n_full:]
        return out


@dataclass
class TurnConfig:
    threshold: float = 0.5  # probability that starts speech
    neg_threshold: float = 0.35  # probability under which a window counts as silence (hysteresis)
    min_speech_ms: int = 250  # shorter bursts (clicks, coughs) are not a turn
    end_silence_ms: int = 1500  # people thinking aloud pause; a shorter window cuts them off
    pad_ms: int = 300  # kept before and after speech so first and last words survive
    max_turn_s: float = 120.0  # a turn is cut here so transcription stays bounded


@dataclass
class Turn:
    """Speech the detector closed: audio with padding, and speech bounds in stream seconds."""

    audio: np.ndarray
    start_s: float  # speech start (without padding), seconds from the detector's origin
    end_s: float  # speech end (without padding)
    complete: bool = True  # False when flushed early (disconnect) or cut at max_turn_s


@dataclass
class TurnDetector:
    """Turns a stream of windows into respondent turns."""

    config: TurnConfig = field(default_factory=TurnConfig)

    def __post_init__(self) -> None:
        self._vad = SileroStream()
        self.reset()

    def reset(self, origin_s: float = 0.0) -> None:
        """Start a new listening window whose first sample sits at origin_s on the caller's clock."""
        self._vad.reset()
        self._origin_s = origin_s
        self._pos = 0  # samples seen since reset
        self._preroll: list[np.ndarray] = []
        self._speech: list[np.ndarray] | None = None
        self._speech_start = 0
        self._last_speech_end = 0

    @property
    def in_speech(self) -> bool:
        return self._speech is not None

    def _s(self, samples: int) -> float:
        return self._origin_s + samples / MODEL_RATE

    def feed(self, samples: np.ndarray) -> list[Turn]:
        cfg = self.config
        pad = int(cfg.pad_ms * MODEL_RATE / 1000)
        end_gap = int(cfg.end_silence_ms * MODEL_RATE / 1000)
        turns: list[Turn] = []
        for window, prob in self._vad.process(samples):
            start, self._pos = self._pos, self._pos + WINDOW
            if self._speech is None:
                if prob >= cfg.threshold:
                    self._speech = [*self._preroll, window]
                    self._speech_start = start
                    self._last_speech_end = self._pos
                    self._preroll = []
                else:
                    self._preroll.append(window)
                    while len(self._preroll) * WINDOW > pad:
                        self._preroll.pop(0)
                continue
            self._speech.append(window)
            if prob >= cfg.neg_threshold:
                self._last_speech_end = self._pos
            if self._pos - self._last_speech_end >= end_gap:
                turn = self._close(complete=True)
                if turn is not None:
                    turns.append(turn)
            elif (self._last_speech_end - self._speech_start) / MODEL_RATE >= cfg.max_turn_s:
                turn = self._close(complete=False)
                if turn is not None:
                    turns.append(turn)
        return turns

    def flush(self) -> Turn | None:
        """Close whatever speech is in progress (the client hung up mid-turn)."""
        return self._close(complete=False) if self._speech is not None else None

    def _close(self, complete: bool) -> Turn | None:
        cfg = self.config
        speech, self._speech = self._speech, None
        pad = int(cfg.pad_ms * MODEL_RATE / 1000)
        self._preroll = []
        assert speech is not None
        if (self._last_speech_end - self._speech_start) * 1000 / MODEL_RATE < cfg.min_speech_ms:
            return None
        audio = np.concatenate(speech)
        # speech list starts `len(preroll)` windows before _speech_start; trim to last speech + pad.
        first_sample = self._pos - len(audio)
        keep_until = min(len(audio), self._last_speech_end + pad - first_sample)
        return Turn(
            audio=audio[:keep_until],
            start_s=self._s(self._speech_start),
            end_s=self._s(self._last_speech_end),
            complete=complete,
        )
