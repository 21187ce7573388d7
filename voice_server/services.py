"""The process-wide engines every call shares: loaded once, closed once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from moderator.llm import build_policy
from moderator.policy import Policy
from voice_server.asr import ASREngine, WhisperEngine
from voice_server.config import Settings
from voice_server.storage import Store
from voice_server.tts import EspeakTTS, TTSEngine

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    store: Store
    asr: ASREngine
    tts: TTSEngine
    # One policy per call: the LLM moderator when OPENAI_MODEL is set, else the rules.
    make_policy: Callable[[], Policy] = build_policy
    active_sessions: int = 0
    # Interviews with a live connection in this process, by id; a reconnect takes over from the old one.
    sessions: dict = field(default_factory=dict)
    _background: set = field(default_factory=set)  # analysis tasks, held so they are not collected
    _takeovers: dict = field(default_factory=dict)  # interview id -> lock serialising reconnects

    @classmethod
    def build(cls, settings: Settings) -> Services:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = Store(settings.db_url)
        asr = WhisperEngine(
            model_path=settings.asr_model_path,
            compute_type=settings.asr_compute_type,
            beam_size=settings.asr_beam_size,
            workers=settings.asr_workers,
            cpu_threads=settings.asr_cpu_threads,
            language=settings.asr_language,
        )
        tts = EspeakTTS(voice=settings.tts_voice, rate=settings.tts_rate)
        log.info("services ready: model %s, database %s", asr.model_path, settings.db_url)
        return cls(settings=settings, store=store, asr=asr, tts=tts)

    @property
    def audio_dir(self):
        return self.settings.data_dir / "audio"

    def takeover_lock(self, interview_id: str) -> asyncio.Lock:
        lock = self._takeovers.get(interview_id)
        if lock is None:
            lock = self._takeovers[interview_id] = asyncio.Lock()
        return lock

    def schedule_analysis(self, interview_id: str) -> None:
        """Analyse a finished interview in the background, off the call's path."""
        from moderator.llm import LLMConfig
        from voice_server.reporting import analyze_and_store

        async def run() -> None:
            try:
                await asyncio.to_thread(analyze_and_store, self.store, interview_id, LLMConfig.from_env())
            except Exception:
                log.exception("analysis of interview %s failed", interview_id)

        task = asyncio.get_running_loop().create_task(run(), name=f"analyse-{interview_id}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def close(self) -> None:
        self.tts.close()
        self.asr.close()
