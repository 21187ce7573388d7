"""Text to speech: pyttsx3 over espeak-ng, isolated in its own worker process.

pyttsx3 is not safe to share: used from several threads at once it can crash
the whole process, queued requests can silently lose their files, and
`runAndWait()` may return before the WAV is on disk. So one dedicated process
owns the engine, handles one request at a time, waits for the
finished-utterance event and for a complete, readable file, and sends back
samples. A crashed or stuck worker is replaced; identical prompts come from a
cache and never reach the worker again.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing as mp
import os
import sys
import tempfile
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import numpy as np

from voice_server.audio import MODEL_RATE

log = logging.getLogger(__name__)


class TTSError(RuntimeError):
    pass


class TTSEngine(Protocol):
    async def synthesize(self, text: str) -> np.ndarray: ...  # mono float32 at 16 kHz
    def close(self) -> None: ...


def _wait_for_wav(path: str, deadline: float):
    """Return (audio, rate) once the file is complete; pyttsx3 may report done before it is."""
    import soundfile as sf

    last_size = -1
    while time.monotonic() < deadline:
        try:
            size = os.path.getsize(path)
        except OSError:
            size = -1
        if size > 44 and size == last_size:
            try:
                audio, rate = sf.read(path, dtype="float32", always_2d=True)
            except RuntimeError:
                audio = None  # header not final yet
            if audio is not None and len(audio):
                return audio.mean(axis=1), rate
        last_size = size
        time.sleep(0.005)
    raise TimeoutError(f"espeak-ng wrote no complete WAV to {path}")


def _worker_main(conn, voice: str | None, rate: int) -> None:
    """Runs in the TTS process: one engine, one request at a time."""
    import contextlib
    import signal

    import pyttsx3

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server; it closes us in order
    # The espeak driver prints a line per saved file; keep the service log clean.
    devnull = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    os.dup2(devnull.fileno(), 1)  # the driver also prints from C and other threads
    with contextlib.redirect_stdout(devnull):
        engine = pyttsx3.init("espeak")
        if voice:
            engine.setProperty("voice", voice)
        engine.setProperty("rate", rate)
    finished: list[bool] = []
    engine.connect("finished-utterance", lambda name, completed: finished.append(completed))
    workdir = tempfile.mkdtemp(prefix="tts-")
    conn.send(("ready", None))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        rid, text = request
        path = os.path.join(workdir, f"{rid}.wav")
        error = "no attempt"
        for _attempt in range(ATTEMPTS):
            try:
                _settle(engine)
                audio = _speak_once(engine, finished, text, path, devnull, rate)
                conn.send((rid, audio))
                break
            except Exception as exc:  # espeak dropped this one; settle and try again
                error = f"{type(exc).__name__}: {exc}"
                print(f"tts worker: attempt failed, retrying: {error}", file=sys.stderr, flush=True)
            finally:
                if os.path.exists(path):
                    os.remove(path)
        else:
            conn.send((rid, error))


ATTEMPTS = 3


def _speak_once(engine, finished: list[bool], text: str, path: str, devnull, rate: int) -> np.ndarray:
    import contextlib

    import soxr

    finished.clear()
    with contextlib.redirect_stdout(devnull):
        engine.save_to_file(text, path)
        engine.runAndWait()  # may return while espeak-ng is still synthesising on its own thread
    deadline = time.monotonic() + 10
    while not finished and time.monotonic() < deadline:
        time.sleep(0.002)
    if not finished or not all(finished):
        # A cancelled utterance can still be written out, cut short, and reported finished as well.
        raise RuntimeError(f"espeak-ng did not finish the utterance ({finished})")
    audio, file_rate = _wait_for_wav(path, deadline)
    words = len(text.split())
    if len(audio) / file_rate < 0.4 * words * 60 / rate:
        raise RuntimeError(f"espeak-ng wrote {len(audio) / file_rate:.1f} s for {words} words: cut short")
    return soxr.resample(audio, file_rate, MODEL_RATE).astype(np.float32)


def _settle(engine) -> None:
    """Before each utterance: wait until espeak-ng is idle and clear the driver's stop flag.

    pyttsx3's runAndWait() queues an end-of-loop command that calls stop(); if espeak still reports
    the previous utterance as playing, stop() sets a flag that cancels the *next* utterance midway,
    which can then be written out cut short.
    """
    from pyttsx3.drivers import _espeak

    deadline = time.monotonic() + 2
    while _espeak.IsPlaying() and time.monotonic() < deadline:
        time.sleep(0.01)
    driver = getattr(getattr(engine, "proxy", None), "_driver", None)
    if driver is not None and hasattr(driver, "_stopping"):
        driver._stopping = False


class EspeakTTS:
    """Async facade over the worker process, with an LRU cache of spoken prompts."""

    def __init__(self, voice: str | None = None, rate: int = 165, timeout_s: float = 20.0, cache_size: int = 256):
        self.voice, self.rate, self.timeout_s = voice, rate, timeout_s
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tts")  # one request in flight
        self._ctx = mp.get_context("spawn")  # no fork of a process that holds ONNX and CTranslate2 threads
        self._proc = None
        self._conn = None
        self._next_id = 0
        self.synthesized = 0  # requests that reached the worker (cache misses)
        self._start_worker()

    def _start_worker(self) -> None:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=_worker_main, args=(child, self.voice, self.rate), daemon=True, name="tts")
        proc.start()
        child.close()
        try:
            started = parent.poll(30) and parent.recv()[0] == "ready"
        except (EOFError, OSError):
            started = False
        if not started:
            proc.kill()
            raise TTSError("the TTS worker did not start (is espeak-ng installed?)")
        self._proc, self._conn = proc, parent

    @property
    def ready(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    def _restart(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(5)
        self._start_worker()

    def _roundtrip(self, text: str) -> np.ndarray:
        if not self.ready:
            self._restart()
        self._next_id += 1
        rid = self._next_id
        try:
            self._conn.send((rid, text))
            if not self._conn.poll(self.timeout_s):
                raise TTSError(f"TTS worker gave no answer in {self.timeout_s:.0f} s")
            got_id, result = self._conn.recv()
        except (EOFError, OSError, TTSError) as exc:
            log.warning("TTS worker failed (%s); restarting it", exc)
            self._restart()
            raise TTSError(str(exc)) from exc
        if got_id != rid:
            self._restart()
            raise TTSError("TTS worker answered out of order")
        if isinstance(result, str):
            raise TTSError(result)
        self.synthesized += 1
        return result

    def synthesize_sync(self, text: str) -> np.ndarray:
        text = " ".join(text.split())
        if not text:
            raise TTSError("nothing to say")
        cached = self._cache.get(text)
        if cached is not None:
            self._cache.move_to_end(text)
            return cached
        audio = self._roundtrip(text)
        self._cache[text] = audio
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return audio

    async def synthesize(self, text: str) -> np.ndarray:
        return await asyncio.get_running_loop().run_in_executor(self._io, self.synthesize_sync, text)

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.send(None)
            except OSError:
                pass
        if self._proc is not None:
            self._proc.join(2)
            if self._proc.is_alive():
                self._proc.kill()
        self._io.shutdown(wait=False)
