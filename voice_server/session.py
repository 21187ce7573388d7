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
import unicodedata

import numpy as np

from moderator.guide import Guide
from moderator.ledger import structured_answers
from moderator.policy import Action, ActionKind, InterviewState, Turn
from voice_server.protocol import Ended, ErrorEvent, QuestionEvent, Ready, StateEvent, TranscriptEvent
from voice_server.recording import WavTape
from voice_server.services import Services
from voice_server.storage import Interview, Link, TurnRecord
from voice_server.transports.base import AudioIn, BadInput, Hangup, Inbound, PlaybackFinished, TextIn, Transport
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
            TurnConfig(end_silence_ms=settings.vad_end_silence_ms, threshold=settings.vad_threshold,
                       max_turn_s=settings.vad_max_turn_s)
        )
        self.state = InterviewState(guide=guide, context=dict(link.context or {}))
        self.interview_id: str | None = None
        self.tape: WavTape | None = None
        self._inbox: asyncio.Queue[tuple[float, Inbound]] = asyncio.Queue()
        self._asked_at = 0.0  # loop time the current question was sent
        self._previous_question: str | None = None
        self._seq = 0
        self._bad_inputs = 0
        self.done = asyncio.Event()

    def supersede(self) -> None:
        """A reconnect took this interview over: end this connection's loop, keeping what it has."""
        self._inbox.put_nowait((0.0, Hangup("superseded")))

    async def run(self, resume: Interview | None = None) -> str:
        """Run the whole interview, or continue `resume` after a reconnect; returns its final status."""
        store = self.services.store
        if resume is None:
            interview = await asyncio.to_thread(
                store.start_interview, self.link, self.transport.channel, self.services.audio_dir
            )
        else:
            interview = await asyncio.to_thread(store.reopen_interview, resume.id)
            self._restore(await asyncio.to_thread(store.turns, resume.id))
        self.interview_id = interview.id
        self.services.sessions[interview.id] = self
        self.tape = WavTape(interview.audio_path, resume=resume is not None)
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
                    resumed=resume is not None,
                )
            )
            pending = self._unanswered()
            if pending is not None:  # asked before the drop, never answered: ask again, not as a new turn
                seq, duration = await self._speak(pending, repeat=True)
                await self._listen(seq, duration, pending.question_id)
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
            if str(exc) == "superseded":
                await self._try_send(ErrorEvent(code="superseded", fatal=True,
                                                message="this interview continues on another connection"))
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
            self.services.schedule_analysis(interview.id)
            if status in ("completed", "declined"):  # sent after the final commit: `ended` means all is stored
                await self._try_send(Ended(interview_id=interview.id, status=status))
            await self.transport.close(1000, status)
            if self.services.sessions.get(interview.id) is self:
                del self.services.sessions[interview.id]
            self.done.set()
        return status

    def _restore(self, records: list[TurnRecord]) -> None:
        for r in records:
            self.state.turns.append(
                Turn(speaker=r.speaker, text=r.text, question_id=r.question_id,
                     kind=ActionKind(r.kind) if r.kind else None, start_s=r.start_s, end_s=r.end_s)
            )
        self._seq = sum(1 for r in records if r.speaker == "moderator")

    def _unanswered(self) -> Action | None:
        if not self.state.turns or self.state.turns[-1].speaker != "moderator":
            return None
        last = self.state.turns[-1]
        if last.kind == ActionKind.end:
            return None
        return Action(kind=last.kind or ActionKind.ask, text=last.text, question_id=last.question_id)

    # inbound
    async def _read(self) -> None:
        """Drain the transport into the inbox so it is read even while we think or speak.

        Each item keeps the time it arrived: a typed answer that arrives before the next question
        was sent belongs to the previous question, however late the loop gets to it.
        """
        loop = asyncio.get_running_loop()
        while True:
            item = await self.transport.receive()
            await self._inbox.put((loop.time(), item))
            if isinstance(item, Hangup) or (isinstance(item, BadInput) and item.fatal):
                return

    async def _next(self, timeout: float | None) -> tuple[float, Inbound] | tuple[None, None]:
        try:
            return await asyncio.wait_for(self._inbox.get(), timeout)
        except TimeoutError:
            return None, None

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
    async def _speak(self, action: Action, repeat: bool = False) -> tuple[int, float]:
        """Say one action: stored first, then sent, so a question the client saw is always in the transcript."""
        self._seq += 1
        seq = self._seq
        await self._send(StateEvent(state="speaking"))
        tts_failed = False
        try:
            audio = await self.services.tts.synthesize(action.text)
        except TTSError as exc:
            # The question still reaches the client as text; an interview must not stop on a voice failure.
            log.warning("TTS failed for %r: %s", action.text, exc)
            audio, tts_failed = np.zeros(0, dtype=np.float32), True
        start = self.tape.append(audio)
        end = self.tape.position_s
        self.tape.flush()
        if not repeat:
            self.state.turns.append(
                Turn(speaker="moderator", text=action.text, question_id=action.question_id, kind=action.kind,
                     start_s=start, end_s=end)
            )
            await asyncio.to_thread(
                self.services.store.add_turn, self.interview_id, speaker="moderator", kind=action.kind.value,
                question_id=action.question_id, text=action.text, start_s=start, end_s=end,
            )
        asked = self.state.moderator_turns()  # this question is the last of them, repeated or not
        self._previous_question = asked[-2].question_id if len(asked) >= 2 else None
        self._asked_at = asyncio.get_running_loop().time()
        await self._send(QuestionEvent(seq=seq, id=action.question_id, kind=action.kind.value, text=action.text,
                                       repeat=repeat))
        if tts_failed:
            await self._send(ErrorEvent(code="tts_failed", message="could not speak this question; showing text"))
        # Sent even when empty: every question ends with audio_end, the client's cue to listen.
        await self._sending(self.transport.send_audio(seq, audio))
        return seq, len(audio) / 16000

    # listening
    async def _listen(self, seq: int, duration: float, question_id: str | None) -> None:
        """Return once one respondent turn with words in it is stored."""
        loop = asyncio.get_running_loop()
        playback_ends = loop.time() + (duration + self.services.settings.playback_grace_s if duration else 0)
        playing = duration > 0
        idle_s = self.services.settings.idle_timeout_s
        while True:
            timeout = max(playback_ends - loop.time(), 0) if playing else idle_s
            arrived, item = await self._next(timeout)
            if item is None and not playing:
                # A live microphone sends frames all the time, silence included: this client is gone.
                await self._try_send(ErrorEvent(code="idle", message=f"nothing received for {idle_s:.0f} s",
                                                fatal=True))
                raise CallEnded("idle")
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
                    # A turn cut at its maximum length is stored, and the answer goes on.
                    if await self._store_answer(speech, question_id) and speech.complete:
                        return
                continue
            if isinstance(item, TextIn):
                if arrived < self._asked_at and self._previous_question:
                    await self._store_text(item.text, self._previous_question)  # typed while we were thinking
                    continue
                speech = self.detector.flush()  # typed mid-sentence: keep the spoken part too
                if speech is not None:
                    await self._store_answer(speech, question_id)
                if await self._store_text(item.text, question_id):
                    return
                continue
            if isinstance(item, PlaybackFinished):
                continue  # an old prompt's acknowledgement
            await self._handle_control(item)

    async def _store_text(self, text: str, question_id: str | None) -> bool:
        """A typed answer: stored like a spoken one, marked as typed, with no audio behind it."""
        # Control and format characters (NUL, escape sequences, zero-width) are not words; they would reach
        # researchers' terminals through the TXT export.
        text = " ".join("".join(c if not unicodedata.category(c).startswith("C") else " " for c in text).split())
        if not text:
            await self._try_send(ErrorEvent(code="bad_message", message="empty text answer"))
            return False
        at = self.tape.position_s
        await self._commit_respondent_turn(text, question_id, at, at, confidence=1.0, complete=True, mode="text")
        return True

    async def _commit_respondent_turn(self, text: str, question_id: str | None, start_s: float, end_s: float,
                                      confidence: float, complete: bool, mode: str) -> None:
        self.tape.flush()
        start_s, end_s = round(start_s, 3), round(end_s, 3)
        turn_id = await asyncio.to_thread(
            self.services.store.add_turn, self.interview_id, speaker="respondent", question_id=question_id,
            text=text, start_s=start_s, end_s=end_s, confidence=confidence, complete=complete, mode=mode,
        )
        self.state.turns.append(
            Turn(speaker="respondent", text=text, question_id=question_id, start_s=start_s, end_s=end_s)
        )
        await self._save_answers()
        await self._try_send(
            TranscriptEvent(turn_id=turn_id, question_id=question_id, text=text, start_s=start_s, end_s=end_s,
                            confidence=confidence, mode=mode)
        )

    async def _save_answers(self) -> None:
        """Keep the structured answers the moderator's ledger resolves so far, next to the turns."""
        try:
            answers = {qid: a.model_dump(mode="json") for qid, a in structured_answers(self.state).items()}
            await asyncio.to_thread(self.services.store.save_answers, self.interview_id, answers)
        except Exception:  # the turn itself is stored; a parse problem must not end the call
            log.exception("could not update structured answers of interview %s", self.interview_id)

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
        await self._commit_respondent_turn(result.text, question_id, speech.start_s, speech.end_s,
                                           confidence=result.confidence, complete=speech.complete, mode="voice")
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
