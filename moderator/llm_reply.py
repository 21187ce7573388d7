"""Reading the LLM moderator's reply: strip reasoning and fences, extract the JSON decision, and
check it against the guide and the ledger (`to_action`).

Every problem raises `DecisionError` with a message the model can act on in the one repair
request `LLMPolicy` makes; `early_end` marks an end the guide forbids, which is never repaired.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from moderator.ledger import Ledger, build_ledger
from moderator.policy import Action, ActionKind, InterviewState

# The longest `text` one decision may have the moderator say.
MAX_TEXT_CHARS = 300
# Bound on what the whole reply may add to the work done here.
MAX_REPLY_CHARS = 20000

# -- the reply ---------------------------------------------------------------


class LLMDecision(BaseModel):
    """The JSON object the model must reply with. Only `text` is ever spoken."""

    model_config = ConfigDict(extra="ignore")

    action: ActionKind
    question_id: str | None = None
    text: str

    @field_validator("action", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("question_id", mode="before")
    @classmethod
    def _null_id(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("", "null", "none"):
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("text")
    @classmethod
    def _speakable(cls, value: str) -> str:
        text = " ".join(value.split())
        if not text:
            raise ValueError("text must not be empty")
        if len(text) > MAX_TEXT_CHARS:
            raise ValueError(f"text is {len(text)} characters; keep it under {MAX_TEXT_CHARS}")
        if text.count("?") > 1:
            raise ValueError("text asks more than one question; ask exactly one")
        lowered = text.lower()
        if any(bad in lowered for bad in ("{", "}", "```", "<think", "</think")):
            raise ValueError("text must be plain speech, without JSON, markdown or reasoning")
        return text


class DecisionError(ValueError):
    """The reply cannot be used. `early_end` marks an end the code forbids (no repair: fall back)."""

    def __init__(self, message: str, *, early_end: bool = False) -> None:
        super().__init__(message)
        self.early_end = early_end


_THINK_BLOCK = re.compile(r"<(think|thinking|reasoning)>.*?</\1\s*>", re.S | re.I)
_THINK_OPEN = re.compile(r"<(think|thinking|reasoning)>", re.I)
_THINK_CLOSE = re.compile(r"</(think|thinking|reasoning)\s*>", re.I)
_FENCE = re.compile(r"```[A-Za-z0-9_-]*")


def strip_reasoning(text: str) -> str:
    """Remove reasoning blocks, including the two half-open shapes servers produce."""
    text = _THINK_BLOCK.sub("", text)
    # A close tag with no opener: the chat template opened the block inside the prompt.
    closes = list(_THINK_CLOSE.finditer(text))
    if closes:
        text = text[closes[-1].end() :]
    # An opener that never closes: the rest is unfinished reasoning (cut off by a token
    # limit); braces in it are musings, not the answer, so none of it is used.
    opener = _THINK_OPEN.search(text)
    if opener:
        text = text[: opener.start()]
    return text


def _clean(text: str) -> str:
    return _FENCE.sub("", strip_reasoning(text[:MAX_REPLY_CHARS]))


def _balanced_end(text: str, start: int) -> int | None:
    """Index just past the brace closing the one at `start`, skipping braces inside strings."""
    depth = 0
    in_string = escaped = False
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    return None  # truncated


def extract_json_object(text: str) -> dict[str, Any] | None:
    """The first balanced `{...}` that parses as a JSON object, after reasoning and fences are
    removed; trailing prose and any later objects are ignored."""
    cleaned = _clean(text)
    start = cleaned.find("{")
    while start != -1:
        end = _balanced_end(cleaned, start)
        if end is not None:
            try:
                # strict=False: models put raw newlines inside strings.
                value = json.loads(cleaned[start:end], strict=False)
            except ValueError:
                value = None
            if isinstance(value, dict):
                return value
        start = cleaned.find("{", start + 1)  # prose like "{this}" is not the answer
    return None


def _reply_is_complete(text: str) -> bool:
    """The reply opens with a finished JSON object, so what follows is chatter we need not wait for.
    Requiring the object first keeps a reasoning preamble (whose close tag has not arrived
    yet) from being mistaken for the answer."""
    cleaned = _clean(text).lstrip()
    if not cleaned.startswith("{"):
        return False
    end = _balanced_end(cleaned, 0)
    if end is None:
        return False
    try:
        return isinstance(json.loads(cleaned[:end], strict=False), dict)
    except ValueError:
        return False


def to_action(raw: str, state: InterviewState, ledger: Ledger | None = None) -> Action:
    """Parse and check one reply against the guide and the ledger; raise DecisionError with a
    message the model can act on in the repair request."""
    obj = extract_json_object(raw)
    if obj is None:
        raise DecisionError("no JSON object found in the reply")
    try:
        decision = LLMDecision.model_validate(obj)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'reply'}: {e['msg']}" for e in exc.errors())
        raise DecisionError(problems) from exc

    guide = state.guide
    ledger = ledger or build_ledger(state)
    budget = ledger.budget()
    asked = ledger.asked_ids
    if decision.action == ActionKind.end:
        missing = ledger.missing_required(budget)
        if missing:
            # Whatever the transcript says, the guide decides when the interview is over.
            raise DecisionError(f"end rejected: required questions not asked yet: {missing}", early_end=True)
        return Action(kind=ActionKind.end, text=decision.text)

    qid = decision.question_id
    ids = [q.id for q in guide.questions]
    if qid not in ids:
        raise DecisionError(f"question_id must be one of the guide ids {ids}, got {qid!r}")
    question = guide.question(qid)
    entry = ledger.entries[qid]
    if ledger.has_said(decision.text):
        raise DecisionError("that exact text was already said in this interview; say something new")
    if decision.action == ActionKind.ask:
        if qid in asked:
            raise DecisionError(f"question {qid!r} was already asked; use follow_up or ask the next question")
        pending = [q.id for q in ledger.pending(budget)]
        if qid not in pending:
            reason = ledger.skip_reason(question, budget)
            why = {
                "context": "the respondent context already answers it",
                "covered": "earlier answers already covered its goals",
                "time": "there is no time left for optional questions",
            }.get(reason or "", "it comes before a question already asked")
            nxt = f"; ask {pending[0]!r} next" if pending else "; end the interview"
            raise DecisionError(f"do not ask {qid!r}: {why}{nxt}")
        # Guide order for required questions keeps the rule fallback, which walks the
        # guide from the last question asked, from ever skipping one.
        earlier = [p for p in pending[: pending.index(qid)] if guide.question(p).required]
        if earlier:
            raise DecisionError(f"ask the guide questions in order: {earlier[0]!r} comes before {qid!r}")
    else:
        if qid not in asked:
            raise DecisionError(f"{decision.action.value} must refer to a question already asked, not {qid!r}")
        if decision.action == ActionKind.follow_up:
            if entry.follow_ups >= question.follow_up_depth:
                raise DecisionError(f"question {qid!r} has no follow-ups left; ask the next question")
            if not budget.allows_probe(entry.follow_ups + 1):
                raise DecisionError("no time left for follow-ups; ask the next question")
        if decision.action == ActionKind.confirm and entry.confirms >= 1:
            raise DecisionError(f"question {qid!r} was already confirmed; move on")
    return Action(kind=decision.action, text=decision.text, question_id=qid)
