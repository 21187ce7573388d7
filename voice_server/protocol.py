"""Wire messages of the browser websocket protocol (docs/protocol.md).

Client to server: a JSON `start`, then binary audio frames, plus a few JSON
control messages. Server to client: JSON events, and the question audio as
binary frames between `audio_start` and `audio_end`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Msg(BaseModel):
    model_config = ConfigDict(extra="ignore")


# client -> server
class StartMessage(_Msg):
    type: Literal["start"]
    encoding: str
    sample_rate: int = Field(strict=True)  # "16000" or 16000.0 is a client bug worth hearing about
    channels: int = Field(default=1, strict=True)
    client: str = Field(default="", max_length=200)  # free-form client name, for logs
    # An interview id from an earlier `ready`: continue that interview.
    resume: str | None = Field(default=None, min_length=1, max_length=64)


class PlaybackDone(_Msg):
    """The client finished playing a question's audio; the respondent's turn opens."""

    type: Literal["playback_done"]
    seq: int | None = None


class TextAnswer(_Msg):
    """The respondent typed instead of speaking (text mode); the text is their turn."""

    type: Literal["text"]
    text: str = Field(max_length=5000)


class EndMessage(_Msg):
    """The respondent hung up on purpose."""

    type: Literal["end"]


ClientMessage = Annotated[StartMessage | PlaybackDone | TextAnswer | EndMessage, Field(discriminator="type")]
client_message = TypeAdapter(ClientMessage)


# server -> client
class Ready(_Msg):
    type: Literal["ready"] = "ready"
    interview_id: str
    study: str
    encoding: str
    sample_rate: int
    channels: int
    resumed: bool = False  # True when this connection continues an earlier one


class QuestionEvent(_Msg):
    type: Literal["question"] = "question"
    seq: int  # increases with every moderator utterance in this interview
    id: str | None  # the guide question id
    kind: str  # ask, follow_up, confirm, end
    text: str
    repeat: bool = False  # asked before a reconnect and still unanswered: not a new turn


class AudioStart(_Msg):
    type: Literal["audio_start"] = "audio_start"
    seq: int
    encoding: str
    sample_rate: int
    channels: int
    duration_s: float


class AudioEnd(_Msg):
    type: Literal["audio_end"] = "audio_end"
    seq: int
    duration_s: float
    frames: int


class StateEvent(_Msg):
    type: Literal["state"] = "state"
    state: Literal["speaking", "listening", "thinking"]


class TranscriptEvent(_Msg):
    type: Literal["transcript"] = "transcript"
    turn_id: int
    question_id: str | None
    text: str
    start_s: float
    end_s: float
    confidence: float
    mode: Literal["voice", "text"] = "voice"


class Ended(_Msg):
    type: Literal["ended"] = "ended"
    interview_id: str
    status: str


class ErrorEvent(_Msg):
    type: Literal["error"] = "error"
    code: str
    message: str
    fatal: bool = False
