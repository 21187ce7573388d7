"""The moderator's contract with the session loop.

The session hands a policy the guide, the respondent's context and the
conversation so far; the policy answers with one `Action`. Any policy (rules,
an LLM, a test double) slots in behind `Policy` without the session changing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from moderator.guide import Guide


class ActionKind(StrEnum):
    ask = "ask"  # the next question of the guide
    follow_up = "follow_up"  # a probe on the answer just given
    confirm = "confirm"  # "So that's a 7 out of 10?"
    end = "end"  # wrap up and close the interview


class Action(BaseModel):
    kind: ActionKind
    text: str = Field(min_length=1)
    # The guide question this action belongs to (for follow-ups: the question probed).
    question_id: str | None = None
    # Why an `end` came early, e.g. "declined" when consent was refused.
    reason: str | None = None


class Turn(BaseModel):
    speaker: Literal["moderator", "respondent"]
    text: str
    question_id: str | None = None
    kind: ActionKind | None = None  # moderator turns only
    start_s: float = 0.0
    end_s: float = 0.0


class InterviewState(BaseModel):
    guide: Guide
    context: dict[str, Any] = Field(default_factory=dict)
    turns: list[Turn] = Field(default_factory=list)
    elapsed_s: float = 0.0

    def moderator_turns(self) -> list[Turn]:
        return [t for t in self.turns if t.speaker == "moderator"]

    def last_moderator_turn(self) -> Turn | None:
        for turn in reversed(self.turns):
            if turn.speaker == "moderator":
                return turn
        return None

    def answers_to(self, question_id: str) -> list[Turn]:
        return [t for t in self.turns if t.speaker == "respondent" and t.question_id == question_id]


class Policy(Protocol):
    async def next_action(self, state: InterviewState) -> Action: ...
