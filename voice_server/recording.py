"""The interview recording: one mono 16 kHz WAV holding both sides in order.

The recording is the interview's clock. Questions are appended as they are
spoken and the respondent's audio as it is heard, so a turn's start and end
times are positions in this file, whatever speed the client streamed at. The
WAV header is rewritten on every flush, so a crash leaves a playable file with
everything up to the last flush.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from voice_server.audio import MODEL_RATE

_FLUSH_SAMPLES = MODEL_RATE  # write at least every second of audio


class WavTape:
    def __init__(self, path: str | Path, resume: bool = False) -> None:
        """A new recording, or with resume=True the existing one continued (a reconnect)."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if resume and self.path.is_file() and self.path.stat().st_size >= 44:
            self._file = open(self.path, "r+b")  # noqa: SIM115 - closed in close()
            # Trust the file length over the header: a crash can leave the header behind the data.
            self._written = (self.path.stat().st_size - 44) // 2
            self._file.truncate(44 + self._written * 2)
        else:
            self._file = open(self.path, "wb")  # noqa: SIM115 - closed in close()
            self._file.write(_header(0))
            self._written = 0
        self._pending: list[np.ndarray] = []
        self._pending_len = 0

    @property
    def position_s(self) -> float:
        """Where the next sample will go, in seconds from the start of the interview."""
        return (self._written + self._pending_len) / MODEL_RATE

    def append(self, audio: np.ndarray) -> float:
        """Append mono float32 16 kHz audio; returns the time it starts at."""
        start = self.position_s
        if len(audio):
            self._pending.append(np.asarray(audio, dtype=np.float32))
            self._pending_len += len(audio)
            if self._pending_len >= _FLUSH_SAMPLES:
                self.flush()
        return start

    def flush(self) -> None:
        if self._file.closed or not self._pending:
            return
        pcm = np.round(np.clip(np.concatenate(self._pending), -1, 1) * 32767).astype("<i2").tobytes()
        self._pending, self._pending_len = [], 0
        self._file.seek(0, 2)
        self._file.write(pcm)
        self._written += len(pcm) // 2
        self._file.seek(0)
        self._file.write(_header(self._written))
        self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self.flush()
            self._file.close()


def _header(n_samples: int) -> bytes:
    data_bytes = n_samples * 2
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, MODEL_RATE, MODEL_RATE * 2, 2, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )
