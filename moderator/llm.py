"""LLM moderator: asks any OpenAI-compatible chat endpoint what to say next.

The model sees the guide, the respondent context, the conversation and the
clock, and answers with one JSON decision (`LLMDecision`). Everything that
can go wrong with a live model is contained here: a slow or dead server, an
HTTP error, reasoning blocks, markdown fences, chatter around the JSON, a
wrong question id, or a respondent trying to talk the model into ending the
interview. In every such case `RulePolicy` answers instead, within
`LLMConfig.deadline_s`, so the respondent never waits in silence and never
hears reasoning text or raw JSON. `LLMPolicy.last_outcome` says which path was
taken ("llm", "rules", "fallback:<reason>").

The prompts are built in `llm_prompts.py`; the reply is read and checked in `llm_reply.py`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Mapping
from typing import Any, Literal

import openai
from pydantic import BaseModel, ConfigDict, Field

from moderator.context import redact, speakable
from moderator.ledger import build_ledger
from moderator.llm_prompts import (
    COMPLETION_HEADER,
    MAX_RESPONDENT_CHARS,
    REPAIR_PROMPT,
    SYSTEM_PROMPT,
    build_completion_prompt,
    build_messages,
    decision_grammar,
)
from moderator.llm_reply import (
    MAX_REPLY_CHARS,
    MAX_TEXT_CHARS,
    DecisionError,
    LLMDecision,
    _clean,
    _reply_is_complete,
    extract_json_object,
    strip_reasoning,
    to_action,
)
from moderator.policy import Action, ActionKind, InterviewState, Policy
from moderator.rules import RulePolicy

# Everything that moved to llm_prompts / llm_reply stays importable from here.
__all__ = [
    "COMPLETION_HEADER",
    "MAX_REPLY_CHARS",
    "MAX_RESPONDENT_CHARS",
    "MAX_TEXT_CHARS",
    "MIN_CALL_S",
    "REPAIR_PROMPT",
    "RETRY_PAUSE_S",
    "SYSTEM_PROMPT",
    "DecisionError",
    "LLMConfig",
    "LLMDecision",
    "LLMPolicy",
    "build_completion_prompt",
    "build_messages",
    "build_policy",
    "decision_grammar",
    "extract_json_object",
    "strip_reasoning",
    "to_action",
]

log = logging.getLogger(__name__)

# Starting a call with less time than this left cannot finish; fall back instead.
MIN_CALL_S = 0.25
RETRY_PAUSE_S = 0.1


class LLMConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    base_url: str | None = None  # None: the SDK default (api.openai.com)
    api_key: str = "not-needed"  # local servers ignore it, but the SDK insists on one
    model: str = Field(min_length=1)
    # Wall time for one whole decision: first call, retry and repair together.
    deadline_s: float = Field(default=4.0, gt=0, le=120)
    max_retries: int = Field(default=1, ge=0, le=3)  # per call, for connection errors, 5xx and 429
    temperature: float = Field(default=0.3, ge=0, le=2)
    # Ask for response_format=json_object. Servers that reject it with a 400 are
    # detected once and it is dropped for the rest of the policy's life.
    json_mode: bool = True
    # "chat": /v1/chat/completions with system + user messages (instruction-tuned models).
    # "completion": /v1/completions with a few-shot prompt and a GBNF grammar that only admits
    # decisions valid right now (base models without a chat template; llama.cpp servers).
    prompt_style: Literal["chat", "completion"] = "chat"
    max_tokens: int = Field(default=200, ge=16, le=2000)  # completion style only

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> LLMConfig | None:
        """None unless OPENAI_MODEL is set; a malformed value raises so a bad deploy fails at start-up."""
        model = environ.get("OPENAI_MODEL", "").strip()
        if not model:
            return None
        values: dict[str, Any] = {"model": model}
        base_url = environ.get("OPENAI_BASE_URL", "").strip()
        if base_url:
            values["base_url"] = base_url
        api_key = environ.get("OPENAI_API_KEY", "").strip()
        if api_key:
            values["api_key"] = api_key
        elif not base_url:
            log.warning("OPENAI_MODEL is set without OPENAI_BASE_URL or OPENAI_API_KEY; api.openai.com will refuse")
        deadline = environ.get("MODERATOR_LLM_DEADLINE_S", "").strip()
        if deadline:
            values["deadline_s"] = float(deadline)
        json_mode = environ.get("MODERATOR_LLM_JSON_MODE", "").strip().lower()
        if json_mode:
            values["json_mode"] = json_mode not in ("0", "false", "no", "off")
        style = environ.get("MODERATOR_LLM_PROMPT_STYLE", "").strip().lower()
        if style:
            values["prompt_style"] = style
        return cls(**values)


# -- the policy --------------------------------------------------------------


class _Fallback(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


class LLMPolicy:
    """Policy backed by a chat model, with `fallback` answering whenever the model cannot.

    `last_outcome` is "llm", "rules" (a turn the guide scripts: the opening, a refused
    consent, a confirmation the answer parser asks for, after the end) or
    "fallback:<reason>", reason being one of timeout, connection, http, invalid,
    early_end, error. One instance per interview keeps the
    `last_*` attributes meaningful; the client is safe to share.
    """

    def __init__(self, config: LLMConfig, fallback: Policy | None = None, *, client: Any = None) -> None:
        self.config = config
        self.fallback = fallback if fallback is not None else RulePolicy()
        # SDK retries are off (their back-off alone would overrun the deadline); the
        # client timeout is a second guard under the asyncio deadline.
        self._client = client or openai.AsyncOpenAI(
            base_url=config.base_url,
            api_key=config.api_key,
            max_retries=0,
            timeout=openai.Timeout(config.deadline_s, connect=min(2.0, config.deadline_s)),
        )
        self._json_mode = config.json_mode
        self.last_outcome = ""
        self.last_error = ""
        self.last_calls = 0  # HTTP requests made for the last decision (retry and repair included)
        self.last_latency_s = 0.0

    async def aclose(self) -> None:
        await self._client.close()

    async def next_action(self, state: InterviewState) -> Action:
        started = time.monotonic()
        self.last_error, self.last_calls = "", 0
        if self._scripted(state):
            action = await self._fall_back(state, "rules", "", started)
        else:
            action = await self._ask_model(state, started)
        # The model never sees private values, but the respondent may say one: never speak it.
        text = speakable(action.text, state.context)
        return action if text == action.text else action.model_copy(update={"text": text})

    async def _ask_model(self, state: InterviewState, started: float) -> Action:
        deadline_at = started + self.config.deadline_s
        try:
            action = await asyncio.wait_for(self._decide(state, deadline_at), timeout=self.config.deadline_s)
        except _Fallback as exc:
            return await self._fall_back(state, f"fallback:{exc.reason}", exc.detail, started)
        except TimeoutError:
            return await self._fall_back(state, "fallback:timeout", "deadline reached", started)
        except Exception as exc:  # an LLM problem must never silence the interview
            log.exception("LLM moderator failed unexpectedly")
            return await self._fall_back(state, "fallback:error", repr(exc), started)
        self.last_outcome, self.last_latency_s = "llm", time.monotonic() - started
        log.info(
            "moderator decision by llm in %.2fs (%d calls): %s", self.last_latency_s, self.last_calls, action.kind.value
        )
        return action

    def _scripted(self, state: InterviewState) -> bool:
        """Turns the guide and the ledger fully determine: the researcher's intro, after the end, a
        refused (or never clearly given) consent, and confirming an answer the parser is unsure of."""
        last = state.last_moderator_turn()
        if last is None or last.kind == ActionKind.end:
            return True
        try:
            decision = RulePolicy().decide(state)
        except Exception:  # decide() does not raise, but scripting must never be the reason we fail
            return False
        return decision.reason == "declined" or decision.kind == ActionKind.confirm

    async def _fall_back(self, state: InterviewState, outcome: str, detail: str, started: float) -> Action:
        action = await self.fallback.next_action(state)
        self.last_outcome, self.last_error = outcome, detail
        self.last_latency_s = time.monotonic() - started
        if outcome == "rules":
            log.debug("moderator decision by rules (scripted turn)")
        else:
            log.warning("moderator fell back to rules (%s) after %.2fs: %s", outcome, self.last_latency_s, detail)
        return action

    def _requests(self, state: InterviewState) -> tuple[dict[str, Any], Any]:
        """The first request, and a function (raw reply, error) -> the repair request."""
        if self.config.prompt_style == "completion":
            grammar = decision_grammar(state)
            first = {"prompt": build_completion_prompt(state), "grammar": grammar}

            def repair_completion(raw: str, error: DecisionError) -> dict[str, Any]:
                return {"prompt": build_completion_prompt(state, note=f"do not repeat this mistake: {error}"),
                        "grammar": grammar}

            return first, repair_completion
        messages = build_messages(state)

        def repair_chat(raw: str, error: DecisionError) -> dict[str, Any]:
            echo = redact(_clean(raw).strip()[:1000], state.context) or "(no JSON)"  # never send reasoning back
            return {
                "messages": [
                    *messages,
                    {"role": "assistant", "content": echo},
                    {"role": "user", "content": REPAIR_PROMPT.format(error=error)},
                ]
            }

        return {"messages": messages}, repair_chat

    async def _decide(self, state: InterviewState, deadline_at: float) -> Action:
        ledger = build_ledger(state)
        request, make_repair = self._requests(state)
        raw = await self._complete(request, deadline_at)
        try:
            return to_action(raw, state, ledger)
        except DecisionError as exc:
            if exc.early_end:
                raise _Fallback("early_end", str(exc)) from exc
            error = exc
        if deadline_at - time.monotonic() < MIN_CALL_S:
            raise _Fallback("invalid", f"{error} (no time left to repair)")
        log.info("LLM reply invalid (%s); asking once for a corrected one", error)
        raw = await self._complete(make_repair(raw, error), deadline_at)
        try:
            return to_action(raw, state, ledger)
        except DecisionError as exc:
            raise _Fallback("early_end" if exc.early_end else "invalid", f"after repair: {exc}") from exc

    async def _complete(self, request: dict[str, Any], deadline_at: float) -> str:
        """One completion's content, with at most `max_retries` retries, inside the deadline."""
        retries_left = self.config.max_retries
        while True:
            remaining = deadline_at - time.monotonic()
            if remaining < MIN_CALL_S:
                raise _Fallback("timeout", "no time left for another call")
            self.last_calls += 1
            try:
                return await asyncio.wait_for(self._stream(request, remaining), timeout=remaining)
            except (TimeoutError, openai.APITimeoutError) as exc:
                raise _Fallback("timeout", f"no reply within {remaining:.2f}s") from exc
            except openai.APIConnectionError as exc:
                reason, detail, retryable = "connection", str(exc), True
            except openai.APIStatusError as exc:
                if exc.status_code == 400 and self._json_mode and "response_format" in str(exc).lower():
                    # A capability probe, not a failure: drop json mode and go again without
                    # spending the retry.
                    log.warning("server rejects response_format; continuing without JSON mode")
                    self._json_mode = False
                    continue
                reason, detail = "http", f"HTTP {exc.status_code}: {exc.message}"
                retryable = exc.status_code >= 500 or exc.status_code in (408, 429)
            except openai.OpenAIError as exc:  # e.g. an error event in the middle of the stream
                reason, detail, retryable = "http", str(exc), False
            if not retryable or retries_left <= 0:
                raise _Fallback(reason, detail)
            retries_left -= 1
            log.info("LLM call failed (%s); retrying once", detail)
            await asyncio.sleep(RETRY_PAUSE_S)

    async def _stream(self, request: dict[str, Any], timeout: float) -> str:
        common: dict[str, Any] = {
            "model": self.config.model,
            "temperature": self.config.temperature,
            "stream": True,
            "timeout": timeout,
        }
        if "prompt" in request:
            # Completion style: llama.cpp servers read `grammar` (GBNF); the reply ends at the line's end.
            stream = await self._client.completions.create(
                prompt=request["prompt"],
                max_tokens=self.config.max_tokens,
                stop=["\n"],
                extra_body={"grammar": request["grammar"]} if request.get("grammar") else None,
                **common,
            )
        else:
            if self._json_mode:
                common["response_format"] = {"type": "json_object"}
            stream = await self._client.chat.completions.create(messages=request["messages"], **common)
        parts: list[str] = []
        async with stream:
            async for chunk in stream:
                # Usage-only chunks have no choices; role-only deltas have content None.
                # Reasoning fields some servers stream separately (reasoning_content) are ignored.
                for choice in chunk.choices or ():
                    if "prompt" in request:
                        content = getattr(choice, "text", None)
                    else:
                        content = getattr(choice.delta, "content", None) if choice.delta is not None else None
                    if not content:
                        continue
                    parts.append(content)
                    if "}" in content and _reply_is_complete("".join(parts)):
                        return "".join(parts)  # skip trailing chatter; closing the stream stops the server
        return "".join(parts)


def build_policy(environ: Mapping[str, str] = os.environ) -> Policy:
    """LLMPolicy when OPENAI_MODEL is set, else the rule-based moderator."""
    config = LLMConfig.from_env(environ)
    if config is None:
        log.info("no OPENAI_MODEL configured; using the rule-based moderator")
        return RulePolicy()
    log.info(
        "LLM moderator: model %s at %s, deadline %.1fs",
        config.model,
        config.base_url or "api.openai.com",
        config.deadline_s,
    )
    return LLMPolicy(config)
