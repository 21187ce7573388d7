"""A simulated respondent: plays WAV answers into a live interview over the real websocket.

It behaves like a browser: it declares its format, "plays" each question for
the audio's length (divided by --speed), says playback is done, then streams
the next answer followed by the silence a microphone would keep sending until
the moderator answers.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import soundfile as sf
import websockets

from voice_server.audio import AudioFormat, float_to_bytes, resample


def socket_url(link: str) -> str:
    """http://host/i/TOKEN (a respondent link as `serve` prints it) to ws://host/ws/interview/TOKEN."""
    parts = urlsplit(link)
    if parts.scheme in ("ws", "wss"):
        return link
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"not an interview link: {link!r}")
    token = parts.path.rstrip("/").rsplit("/", 1)[-1]
    if not token:
        raise ValueError(f"no link token in {link!r}")
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, f"/ws/interview/{token}", "", ""))


@dataclass
class HeardQuestion:
    seq: int
    id: str | None
    kind: str
    text: str
    audio_s: float = 0.0
    audio_bytes: int = 0
    latency_s: float | None = None  # end of our previous answer -> first byte of this question's audio


@dataclass
class CallResult:
    interview_id: str | None = None
    status: str | None = None
    questions: list[HeardQuestion] = field(default_factory=list)
    transcripts: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    answers_sent: int = 0


def load_answer(path: Path, rate: int) -> np.ndarray:
    audio, file_rate = sf.read(str(path), dtype="float32", always_2d=True)
    return resample(audio.mean(axis=1), file_rate, rate)


async def call(
    link: str,
    answers: list[Path],
    out_dir: Path | None = None,
    speed: float = 1.0,
    sample_rate: int = 16000,
    encoding: str = "pcm_s16le",
    channels: int = 1,
    max_silence_s: float = 30.0,
    log=print,
) -> CallResult:
    fmt = AudioFormat(encoding, sample_rate, channels)
    clips = [load_answer(Path(p), sample_rate) for p in answers]
    result = CallResult()
    frame_s = min(max(0.02 * speed, 0.02), 0.5)  # bigger frames when fast, so sleeps stay meaningful
    frame = int(frame_s * sample_rate)
    answer_done_at: float | None = None
    stop_streaming = asyncio.Event()

    async def stream_answer(ws, clip: np.ndarray) -> None:
        nonlocal answer_done_at
        silence = np.zeros(frame, dtype=np.float32)
        try:
            for i in range(0, len(clip), frame):
                await ws.send(float_to_bytes(clip[i : i + frame], fmt))
                await asyncio.sleep(frame_s / speed)
            answer_done_at = time.perf_counter()
            sent = 0.0
            while not stop_streaming.is_set() and sent < max_silence_s:  # a live microphone keeps sending
                await ws.send(float_to_bytes(silence, fmt))
                sent += frame_s
                await asyncio.sleep(frame_s / speed)
        except websockets.ConnectionClosed:
            return

    async with websockets.connect(socket_url(link), max_size=None) as ws:
        await ws.send(json.dumps({"type": "start", "encoding": encoding, "sample_rate": sample_rate,
                                  "channels": channels, "client": "voice-interview call"}))
        current: HeardQuestion | None = None
        streamer: asyncio.Task | None = None
        async for message in ws:
            if isinstance(message, bytes):
                if current is not None:
                    if current.audio_bytes == 0 and answer_done_at is not None:
                        current.latency_s = round(time.perf_counter() - answer_done_at, 3)
                        log(f"turn {len(result.questions) - 1}: answer end -> question audio {current.latency_s:.2f} s")
                        answer_done_at = None
                    current.audio_bytes += len(message)
                continue
            event = json.loads(message)
            kind = event.get("type")
            if kind == "ready":
                result.interview_id = event["interview_id"]
                log(f"interview: {result.interview_id}")
            elif kind == "question":
                stop_streaming.set()
                current = HeardQuestion(seq=event["seq"], id=event.get("id"), kind=event["kind"], text=event["text"])
                result.questions.append(current)
                log(f"Q{current.seq} [{current.kind}] {current.text}")
            elif kind == "transcript":
                stop_streaming.set()
                result.transcripts.append(event)
                log(f"  heard: {event['text']}")
            elif kind == "audio_end" and current is not None:
                current.audio_s = round(current.audio_bytes / fmt.frame_bytes / sample_rate, 3)
                if current.kind == "end":
                    continue  # the goodbye: nothing to answer, the server closes after it
                await asyncio.sleep(current.audio_s / speed)  # "playing" the question
                await ws.send(json.dumps({"type": "playback_done", "seq": event["seq"]}))
                if result.answers_sent >= len(clips):
                    log("answers ran out; hanging up")
                    await ws.send(json.dumps({"type": "end"}))
                    break
                if streamer is not None:
                    await streamer
                stop_streaming = asyncio.Event()
                streamer = asyncio.create_task(stream_answer(ws, clips[result.answers_sent]))
                result.answers_sent += 1
            elif kind == "error":
                result.errors.append(event)
                log(f"error {event['code']}: {event['message']}")
            elif kind == "ended":
                result.status = event["status"]
                log(f"ended: {result.status}")
                break
        if streamer is not None:
            stop_streaming.set()
            streamer.cancel()
            await asyncio.gather(streamer, return_exceptions=True)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "heard.json").write_text(json.dumps(asdict(result), indent=2))
    return result
