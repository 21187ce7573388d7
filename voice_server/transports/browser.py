"""The browser websocket protocol: JSON control messages plus raw PCM frames.

See docs/protocol.md. The client declares its audio format in `start`; every
binary frame after that holds whole sample frames in that format. Question
audio goes back in the same format, in 100 ms frames.
"""

from __future__ import annotations

import json

import numpy as np
from pydantic import BaseModel, ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from voice_server.audio import AudioFormat, AudioFormatError, InboundAudio, encode_outbound
from voice_server.protocol import (
    AudioEnd,
    AudioStart,
    EndMessage,
    PlaybackDone,
    StartMessage,
    TextAnswer,
    client_message,
)
from voice_server.transports.base import AudioIn, BadInput, Hangup, Inbound, PlaybackFinished, ProtocolError, TextIn

KNOWN_TYPES = ("start", "playback_done", "text", "end")
FRAME_S = 0.1
MAX_FRAME_BYTES = 1 << 20  # one frame is at most ~5 s of 48 kHz stereo; more is a client bug


class BrowserTransport:
    channel = "browser"

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.fmt: AudioFormat | None = None
        self._inbound: InboundAudio | None = None

    async def handshake(self, timeout_s: float = 10.0) -> StartMessage:
        """Read and check the `start` message; raises ProtocolError with a clear reason."""
        import asyncio

        try:
            message = await asyncio.wait_for(self.ws.receive(), timeout_s)
        except TimeoutError as exc:
            raise ProtocolError("bad_start", f"no start message within {timeout_s:.0f} s") from exc
        if message["type"] == "websocket.disconnect":
            raise ProtocolError("disconnected", "client left before starting")
        text = message.get("text")
        if text is None:
            raise ProtocolError("bad_start", "the first message must be a JSON start message, not audio")
        try:
            start = StartMessage.model_validate_json(text)
        except ValidationError as exc:
            raise ProtocolError("bad_start", f"invalid start message: {_first_error(exc)}") from exc
        try:
            self.fmt = AudioFormat(start.encoding, start.sample_rate, start.channels)
        except AudioFormatError as exc:
            raise ProtocolError("unsupported_format", str(exc)) from exc
        self._inbound = InboundAudio(self.fmt)
        return start

    async def receive(self) -> Inbound:
        try:
            message = await self.ws.receive()
        except (WebSocketDisconnect, RuntimeError):
            return Hangup("disconnect")
        if message["type"] == "websocket.disconnect":
            return Hangup("disconnect")
        data = message.get("bytes")
        if data is not None:
            if len(data) > MAX_FRAME_BYTES:
                return BadInput("bad_audio", f"audio frame of {len(data)} bytes is larger than {MAX_FRAME_BYTES}")
            try:
                return AudioIn(self._inbound.decode(data))
            except AudioFormatError as exc:
                return BadInput("bad_audio", str(exc))
        return self._control(message.get("text") or "")

    def _control(self, text: str) -> Inbound:
        try:
            raw = json.loads(text)
        except ValueError:
            return BadInput("bad_message", "text messages must be JSON; audio goes in binary frames")
        try:
            msg = client_message.validate_python(raw)
        except ValidationError as exc:
            kind = raw.get("type") if isinstance(raw, dict) else None
            if kind in KNOWN_TYPES:  # the right message, badly formed
                return BadInput("bad_message", f"invalid {kind!r} message: {_first_error(exc)}")
            return BadInput("unexpected_message", f"unexpected message type {kind!r}: {_first_error(exc)}")
        if isinstance(msg, PlaybackDone):
            return PlaybackFinished(msg.seq)
        if isinstance(msg, EndMessage):
            return Hangup("client_end")
        if isinstance(msg, TextAnswer):
            return TextIn(msg.text)
        return BadInput("unexpected_message", "start was already received")

    async def send_event(self, event: BaseModel) -> None:
        await self.ws.send_text(event.model_dump_json())

    async def send_audio(self, seq: int, audio: np.ndarray) -> None:
        fmt = self.fmt
        duration = round(len(audio) / 16000, 3)
        await self.send_event(
            AudioStart(seq=seq, encoding=fmt.encoding, sample_rate=fmt.sample_rate, channels=fmt.channels,
                       duration_s=duration)
        )
        payload = encode_outbound(audio, fmt) if len(audio) else b""
        step = int(FRAME_S * fmt.sample_rate) * fmt.frame_bytes
        frames = 0
        for i in range(0, len(payload), step):
            await self.ws.send_bytes(payload[i : i + step])
            frames += 1
        await self.send_event(AudioEnd(seq=seq, duration_s=duration, frames=frames))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        states = (self.ws.application_state, self.ws.client_state)
        if WebSocketState.DISCONNECTED not in states:
            try:
                await self.ws.close(code=code, reason=reason[:120])
            except (RuntimeError, WebSocketDisconnect):
                pass  # the peer left first


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else err["msg"]
