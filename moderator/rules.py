"""Rule-based moderator: the guide in order, one probe when an answer is thin.

This is the policy that runs with no LLM configured, and the fallback the LLM
policy uses whenever a live call fails, so it must always return something
sensible and never raise on odd input.
"""

from __future__ import annotations

import re

from moderator.guide import Question, QuestionType
from moderator.policy import Action, ActionKind, InterviewState

GENERIC_PROBE = "Could you tell me a bit more about that? A specific recent example would really help."
DECLINED = "No problem at all. We will stop here and nothing more will be recorded. Thank you, goodbye."

# Hedges that make an open answer worth one probe even when it is not short.
_VAGUE = re.compile(
    r"\b(not sure|don't know|do not know|dunno|i guess|maybe|kind of|sort of|"
    r"it depends|hard to say|no idea|whatever|nothing really)\b",
    re.IGNORECASE,
)
_NO = re.compile(r"^\W*(no|nope|nah|not really|i don't|i do not|i'd rather not|rather not)\b", re.I)
_YES = re.compile(r"\b(yes|yeah|yep|sure|okay|ok|fine|of course|go ahead|absolutely)\b", re.I)

SHORT_ANSWER_WORDS = 6


def is_thin(text: str) -> bool:
    """Very short or hedged: worth one follow-up on an open question."""
    words = re.findall(r"[\w']+", text)
    return len(words) < SHORT_ANSWER_WORDS or bool(_VAGUE.search(text))


def is_refusal(text: str) -> bool:
    return bool(_NO.search(text)) and not _YES.search(text)


class RulePolicy:
    """Walks the guide; at most `max_follow_ups` probes per question (the spine's rule is one)."""

    def __init__(self, max_follow_ups: int = 1) -> None:
        self.max_follow_ups = max_follow_ups

    async def next_action(self, state: InterviewState) -> Action:
        return self.decide(state)

    def decide(self, state: InterviewState) -> Action:
        guide = state.guide
        questions = guide.questions
        last = state.last_moderator_turn()
        if last is None:
            return self._ask(questions[0], intro=guide.intro)
        if last.kind == ActionKind.end:
            return Action(kind=ActionKind.end, text=guide.closing)

        current = guide.question(last.question_id) if last.question_id else questions[0]
        answer = " ".join(t.text for t in state.turns[state.turns.index(last) + 1 :] if t.speaker == "respondent")

        if current.end_on_no and is_refusal(answer):
            return Action(kind=ActionKind.end, text=DECLINED, question_id=current.id, reason="declined")

        follow_ups = sum(
            1 for t in state.moderator_turns() if t.question_id == current.id and t.kind == ActionKind.follow_up
        )
        over_budget = state.elapsed_s > guide.target_minutes * 60
        if (
            not over_budget
            and current.type == QuestionType.open_ended
            and follow_ups < min(current.follow_up_depth, self.max_follow_ups)
            and is_thin(answer)
        ):
            text = current.probes[follow_ups] if follow_ups < len(current.probes) else GENERIC_PROBE
            return Action(kind=ActionKind.follow_up, text=text, question_id=current.id)

        index = [q.id for q in questions].index(current.id)
        if index + 1 < len(questions):
            return self._ask(questions[index + 1])
        return Action(kind=ActionKind.end, text=guide.closing)

    @staticmethod
    def _ask(question: Question, intro: str = "") -> Action:
        text = f"{intro.strip()} {question.text.strip()}".strip()
        return Action(kind=ActionKind.ask, text=text, question_id=question.id)
