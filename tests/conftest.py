"""Shared test fixtures: real engines loaded once, real servers on loopback."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import uvicorn

from moderator.guide import BUNDLED_GUIDES
from voice_server.app import create_app
from voice_server.asr import WhisperEngine
from voice_server.config import Settings
from voice_server.services import Services
from voice_server.storage import Store
from voice_server.tts import EspeakTTS

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "audio_fixtures"


@pytest.fixture(scope="session")
def asr() -> Iterator[WhisperEngine]:
    engine = WhisperEngine(workers=1)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def tts() -> Iterator[EspeakTTS]:
    engine = EspeakTTS()
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def answers() -> list[dict]:
    """The fixture answers for the example guide, in interview order, with their audio."""
    manifest = json.loads((FIXTURES / "answers.json").read_text())
    for entry in manifest:
        entry["path"] = FIXTURES / entry["file"]
        entry["audio"], _ = sf.read(str(entry["path"]), dtype="float32")
    return manifest


def fixture_audio(name: str) -> np.ndarray:
    audio, rate = sf.read(str(FIXTURES / name), dtype="float32")
    assert rate == 16000
    return audio


@dataclass
class LiveServer:
    base_url: str
    ws_url: str
    store: Store
    services: Services
    token: str

    def link(self, token: str | None = None) -> str:
        return f"{self.base_url}/i/{token or self.token}"

    def socket(self, token: str | None = None) -> str:
        return f"{self.ws_url}/ws/interview/{token or self.token}"


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def live_server(tmp_path, asr, tts) -> Iterator[LiveServer]:
    """The real app under uvicorn on loopback, with a fresh SQLite database, sharing the loaded engines."""
    sock = free_socket()
    port = sock.getsockname()[1]
    settings = Settings(host="127.0.0.1", port=port, data_dir=tmp_path / "data", playback_grace_s=5.0)
    settings.data_dir.mkdir(parents=True)
    store = Store(settings.db_url)
    study_id = store.create_study("ICP test", (BUNDLED_GUIDES / "icp_validation.yaml").read_text())
    token = store.create_link(study_id, context={"company": "Acme Staffing", "role": "COO"})
    services = Services(settings=settings, store=store, asr=asr, tts=tts)
    server = uvicorn.Server(uvicorn.Config(create_app(settings, services), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield LiveServer(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", store, services, token)
    server.should_exit = True
    thread.join(10)


def keywords_in(text: str, keywords: list[str]) -> list[str]:
    """The key words missing from text (case-insensitive)."""
    low = text.lower()
    return [k for k in keywords if k.lower() not in low]
