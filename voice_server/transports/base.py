"""What every transport hands the session loop, whatever its wire protocol.

A transport (browser websocket, a telephony media stream, ...) turns its
carrier's messages into these few inbound frames, and sends the session's
events and 16 kHz audio back in its carrier's format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from pydantic import BaseModel


@dataclass
class AudioIn:
    samples: np.ndarray  # mono float32 at 16 kHz


@dataclass
class TextIn:
    text: str  # a typed answer (text mode)


@dataclass
class PlaybackFinished:
    seq: int | None  # None: the carrier cannot say which prompt


@dataclass
class Hangup:
    reason: str  # "client_end", "disconnect", ...


@dataclass
class BadInput:
    code: str
    message: str
    fatal: bool = False


Inbound = AudioIn | TextIn | PlaybackFinished | Hangup | BadInput


class ProtocolError(Exception):
    """The conversation cannot start or go on; code and message go to the client."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class Transport(Protocol):
    channel: str

    async def receive(self) -> Inbound: ...

    async def send_event(self, event: BaseModel) -> None: ...

    async def send_audio(self, seq: int, audio: np.ndarray) -> None: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...
