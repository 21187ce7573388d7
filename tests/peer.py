"""A hand-driven client of the websocket protocol, for tests that need exact control of every message."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import numpy as np
import pytest
import websockets

START = {"type": "start", "encoding": "pcm_s16le", "sample_rate": 16000, "channels": 1}


class Peer:
    """A hand-driven protocol client: sends exactly what a test says, records every event."""

    def __init__(self, ws):
        self.ws = ws
        self.events: list[dict] = []
        self.audio_bytes = 0
        self.ready: dict = {}

    async def next_event(self, kind: str | None = None, timeout: float = 30.0) -> dict:
        async def wait():
            while True:
                msg = await self.ws.recv()
                if isinstance(msg, bytes):
                    self.audio_bytes += len(msg)
                    continue
                event = json.loads(msg)
                self.events.append(event)
                if kind is None or event["type"] == kind:
                    return event

        return await asyncio.wait_for(wait(), timeout)

    async def question_played(self) -> dict:
        """Wait for the next question's audio and acknowledge its playback."""
        question = await self.next_event("question")
        end = await self.next_event("audio_end")
        await self.ws.send(json.dumps({"type": "playback_done", "seq": end["seq"]}))
        return question

    async def speak(self, audio: np.ndarray, tail_s: float = 2.0, frame: int = 1600) -> None:
        pcm = np.concatenate([audio, np.zeros(int(tail_s * 16000), np.float32)])
        for i in range(0, len(pcm), frame):
            await self.ws.send((pcm[i : i + frame] * 32767).astype("<i2").tobytes())
            await asyncio.sleep(0.002)


async def rejected(url: str, *messages) -> tuple[dict, int]:
    """Send messages on a fresh socket; return the error event and the close code."""
    async with websockets.connect(url) as ws:
        for m in messages:
            await ws.send(m)
        event = json.loads(await asyncio.wait_for(ws.recv(), 10))
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
        return event, ws.close_code


async def connect(url: str, **start) -> "Peer":
    """Like `joined`, but the caller owns the socket: to abort it (a network drop) or close it later."""
    peer = Peer(await websockets.connect(url))
    await peer.ws.send(json.dumps({**START, **start}))
    peer.ready = await peer.next_event("ready")
    return peer


@asynccontextmanager
async def joined(url: str, **start) -> AsyncIterator["Peer"]:
    """Connect, send `start` (START plus overrides) and wait for `ready`."""
    async with websockets.connect(url) as ws:
        peer = Peer(ws)
        await ws.send(json.dumps({**START, **start}))
        peer.ready = await peer.next_event("ready")
        yield peer


def heard_interview(peer: Peer) -> str:
    return next(e["interview_id"] for e in peer.events if e["type"] == "ready")


async def wait_for_status(store, interview_id: str, timeout: float = 20.0):
    for _ in range(int(timeout / 0.1)):
        interview = store.get_interview(interview_id)
        if interview.status != "in_progress":
            return interview
        await asyncio.sleep(0.1)
    raise AssertionError("interview never left in_progress")
