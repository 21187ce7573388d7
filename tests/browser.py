"""Helpers for the browser tests: Debian's Chromium under Playwright, a fake microphone, a droppable network.

Playwright drives the system `chromium` package (never `playwright install`: it downloads a browser).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import soundfile as sf
from playwright.sync_api import Browser, Page, sync_playwright

from voice_server.audio import resample

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# What works here as root in a container; autoplay is allowed so the moderator's voice plays unprompted.
BASE_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required",
]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


@contextmanager
def chromium(mic_wav: Path | None = None, grant_mic: bool = True) -> Iterator[Browser]:
    """Headless Chromium; with `mic_wav`, a fake microphone that plays (and loops) that file.
    grant_mic=False leaves the permission prompt unanswered, which headless Chromium denies."""
    args = [*BASE_ARGS, "--use-fake-device-for-media-stream"]
    if grant_mic:
        args.append("--use-fake-ui-for-media-stream")  # answers the permission prompt with "allow"
    if mic_wav is not None:
        args.append(f"--use-file-for-fake-audio-capture={mic_wav}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def microphone_file(path: Path, parts: list[np.ndarray | float], rate: int = 48000) -> Path:
    """A WAV for Chromium's fake microphone: 16 kHz clips and silences (floats, in seconds) in order,
    as 16-bit PCM at 48 kHz (the rate Chromium's fake device handles best)."""
    pieces = [np.zeros(int(p * 16000), np.float32) if isinstance(p, float | int) else p for p in parts]
    sf.write(str(path), resample(np.concatenate(pieces), 16000, rate), rate, subtype="PCM_16")
    return path


def wait_until(check, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


class DroppingProxy:
    """A TCP proxy on loopback in front of the server, whose connections a test can cut the way a
    network drop does (no websocket close frame), refusing new ones for a while after."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.refuse_until = 0.0
        self.refused = 0
        self.socks: list[socket.socket] = []
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if time.monotonic() < self.refuse_until:
                self.refused += 1
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.socks += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def drop(self, refuse_for_s: float = 0.0) -> None:
        """Cut every open connection, and refuse new ones for `refuse_for_s`."""
        self.refuse_until = time.monotonic() + refuse_for_s
        with self.lock:
            socks, self.socks = self.socks, []
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self.closed = True
        self.drop()
        self.listener.close()
