"""The per-call loop: speak the moderator's next action, listen for the answer, store both.

The moderator decides *what* to say (moderator/); this loop is the runtime
that drives it over one transport. Turn-taking is half-duplex: while a
question plays, what the microphone hears is not the answer (it is mostly our
own voice coming back), so the respondent's turn opens when the client says
playback finished, or when the audio's length plus a grace period has passed.
Everything the respondent says is committed as soon as it is transcribed; a
hang-up mid-answer still transcribes and keeps what was said.
"""

from __future__ import annotations

import asyncio
import logging
import time

import numpy as np

from moderator.guide import Guide
from moderator.policy import Action, ActionKind, InterviewState, Turn
from voice_server.protocol import Ended, ErrorEvent, QuestionEvent, Ready, StateEvent, TranscriptEvent
from voice_server.recording import WavTape
from voice_server.services import Services
from voice_server.storage import Link
from voice_server.transports.base import AudioIn, BadInput, Hangup, Inbound, PlaybackFinished, Transport
from voice_server.tts import TTSError
from voice_server.vad import Turn as SpeechTurn
from voice_server.vad import TurnConfig, TurnDetector

log = logging.getLogger(__name__)

MAX_BAD_INPUTS = 50  # past this many rejected messages the client is broken: close the call


class CallEnded(Exception):
    """The respondent hung up or the transport broke; wind down and keep what we have."""


class InterviewSession:
    def __init__(self, services: Services, transport: Transport, link: Link, guide: Guide, study_name: str) -> None:
        self.services = services
        self.transport = transport
        self.link = link
        self.guide = guide
        self.study_name = study_name
        self.policy = services.make_policy()
        settings = services.settings
        self.detector = TurnDetector(
            TurnConfig(end_silence_ms=settings.vad_end_silence_ms, threshold=settings.vad_threshold)
        )
        self.state = InterviewState(guide=guide, context=dict(link.context or {}))
        self.interview_id: str | None = None
        self.tape: WavTape | None = None
        self._inbox: asyncio.Queue[Inbound] = asyncio.Queue()
        self._seq = 0
        self._bad_inputs = 0

    async def run(self) -> str:
        """Run the whole interview; returns its final status."""
        store = self.services.store
        interview = await asyncio.to_thread(
            store.start_interview, self.link, self.transport.channel, self.services.audio_dir
        )
        self.interview_id = interview.id
        self.tape = WavTape(interview.audio_path)
        status = "interrupted"
        reader = asyncio.create_task(self._read(), name=f"read-{interview.id}")
        try:
            fmt = getattr(self.transport, "fmt", None)
            await self.transport.send_event(
                Ready(
                    interview_id=interview.id,
                    study=self.study_name,
                    encoding=fmt.encoding if fmt else "pcm_s16le",
                    sample_rate=fmt.sample_rate if fmt else 16000,
                    channels=fmt.channels if fmt else 1,
                )
            )
            while True:
                self.state.elapsed_s = self.tape.position_s
                action = await self.policy.next_action(self.state)
                seq, duration = await self._speak(action)
                if action.kind == ActionKind.end:
                    status = "declined" if action.reason == "declined" else "completed"
                    break
                await self._listen(seq, duration, action.question_id)
        except CallEnded as exc:
            log.info("interview %s: call ended (%s)", interview.id, exc)
        except Exception:
            status = "failed"
            log.exception("interview %s failed", interview.id)
            await self._try_send(ErrorEvent(code="internal", message="the interview stopped on a server error",
                                            fatal=True))
        finally:
            reader.cancel()
            await self._keep_partial_turn()
            self.tape.close()
            await asyncio.to_thread(store.finish_interview, interview.id, status, self.tape.position_s)
            if status in ("completed", "declined"):  # sent after the final commit: `ended` means all is stored
                await self._try_send(Ended(interview_id=interview.id, status=status))
            await self.transport.close(1000, status)
        return status

    # inbound
    async def _read(self) -> None:
        """Drain the transport into the inbox so it is read even while we think or speak."""
        while True:
            item = await self.transport.receive()
            await self._inbox.put(item)
            if isinstance(item, Hangup) or (isinstance(item, BadInput) and item.fatal):
                return

    async def _next(self, timeout: float | None) -> Inbound | None:
        try:
            return await asyncio.wait_for(self._inbox.get(), timeout)
        except TimeoutError:
            return None

    async def _handle_control(self, item: Inbound) -> None:
        if isinstance(item, Hangup):
            raise CallEnded(item.reason)
        if isinstance(item, BadInput):
            self._bad_inputs += 1
            fatal = item.fatal or self._bad_inputs > MAX_BAD_INPUTS
            await self._try_send(ErrorEvent(code=item.code, message=item.message, fatal=fatal))
            if fatal:
                raise CallEnded(f"bad input: {item.code}")

    # speaking
    async def _speak(self, action: Action) -> tuple[int, float]:
        self._seq += 1
        seq = self._seq
        await self._send(StateEvent(state="speaking"))
        await self._send(QuestionEvent(seq=seq, id=action.question_id, kind=action.kind.value, text=action.text))
        try:
            audio = await self.services.tts.synthesize(action.text)
        except TTSError as exc:
            # The question still reaches the client as text; an interview must not stop on a voice failure.
            log.warning("TTS failed for %r: %s", action.text, exc)
            await self._send(ErrorEvent(code="tts_failed", message="could not speak this question; showing text"))
            audio = np.zeros(0, dtype=np.float32)
        # Sent even when empty: every question ends with audio_end, the client's cue to listen.
        await self._sending(self.transport.send_audio(seq, audio))
        start = self.tape.append(audio)
        end = self.tape.position_s
        self.tape.flush()
        self.state.turns.append(
            Turn(speaker="moderator", text=action.text, question_id=action.question_id, kind=action.kind,
                 start_s=start, end_s=end)
        )
        await asyncio.to_thread(
            self.services.store.add_turn, self.interview_id, speaker="moderator", kind=action.kind.value,
            question_id=action.question_id, text=action.text, start_s=start, end_s=end,
        )
        return seq, len(audio) / 16000

    # listening
    async def _listen(self, seq: int, duration: float, question_id: str | None) -> None:
        """Return once one respondent turn with words in it is stored."""
        loop = asyncio.get_running_loop()
        playback_ends = loop.time() + (duration + self.services.settings.playback_grace_s if duration else 0)
        playing = duration > 0
        while True:
            timeout = max(playback_ends - loop.time(), 0) if playing else None
            item = await self._next(timeout)
            if item is None or (isinstance(item, PlaybackFinished) and item.seq in (None, seq)):
                if playing:
                    playing = False
                    self.detector.reset(origin_s=self.tape.position_s)
                    await self._send(StateEvent(state="listening"))
                continue
            if isinstance(item, AudioIn):
                if playing:
                    continue  # our own question echoing back, or the client's buffer; not an answer
                self.tape.append(item.samples)
                for speech in self.detector.feed(item.samples):
                    if await self._store_answer(speech, question_id):
                        return
                continue
            if isinstance(item, PlaybackFinished):
                continue  # an old prompt's acknowledgement
            await self._handle_control(item)

    async def _store_answer(self, speech: SpeechTurn, question_id: str | None) -> bool:
        await self._try_send(StateEvent(state="thinking"))
        t0 = time.perf_counter()
        try:
            result = await self.services.asr.transcribe(speech.audio)
        except Exception:
            log.exception("transcription failed")
            await self._try_send(ErrorEvent(code="asr_failed", message="could not transcribe that; please repeat it"))
            return False
        log.info("turn of %.1f s transcribed in %.2f s", len(speech.audio) / 16000, time.perf_counter() - t0)
        if not result.text:
            await self._try_send(StateEvent(state="listening"))
            return False  # noise, a cough: not a turn
        self.tape.flush()
        turn_id = await asyncio.to_thread(
            self.services.store.add_turn, self.interview_id, speaker="respondent", question_id=question_id,
            text=result.text, start_s=round(speech.start_s, 3), end_s=round(speech.end_s, 3),
            confidence=result.confidence, complete=speech.complete,
        )
        self.state.turns.append(
            Turn(speaker="respondent", text=result.text, question_id=question_id, start_s=speech.start_s,
                 end_s=speech.end_s)
        )
        await self._try_send(
            TranscriptEvent(turn_id=turn_id, question_id=question_id, text=result.text,
                            start_s=round(speech.start_s, 3), end_s=round(speech.end_s, 3),
                            confidence=result.confidence)
        )
        return True

    async def _keep_partial_turn(self) -> None:
        """On hang-up mid-answer, transcribe and store what was said so far."""
        speech = self.detector.flush()
        if speech is None:
            return
        last = self.state.last_moderator_turn()
        try:
            await self._store_answer(speech, last.question_id if last else None)
        except Exception:
            log.exception("could not keep the partial turn of interview %s", self.interview_id)

    # sending
    async def _sending(self, coro) -> None:
        try:
            await coro
        except Exception as exc:  # the peer is gone mid-send
            raise CallEnded(f"send failed: {type(exc).__name__}") from exc

    async def _send(self, event) -> None:
        await self._sending(self.transport.send_event(event))

    async def _try_send(self, event) -> None:
        try:
            await self.transport.send_event(event)
        except Exception:
            pass
