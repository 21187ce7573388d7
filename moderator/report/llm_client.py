"""The report's use of an OpenAI-compatible chat model: JSON replies, context budget, chunking.

Report generation is a batch job, so calls are synchronous with a generous
timeout (not the live moderator's 4-second deadline). Every call asks for one
JSON object; a reply that is not one, an HTTP error or a timeout returns None
and the caller falls back to the extractive method, so a broken model never
stops a report.

The model's context is `context_tokens` (the `context_tokens` argument, else
REPORT_LLM_CONTEXT_TOKENS, else 8192). Prompts are budgeted in characters at a
conservative 3 characters per token, leaving `REPLY_TOKENS` for the answer;
`chunk_lines` packs evidence lines into prompts that fit, splitting any single
line that would not, so long studies are worked through in chunks and merged
rather than cut off.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

import openai

from moderator.llm import LLMConfig, extract_json_object

log = logging.getLogger(__name__)

DEFAULT_CONTEXT_TOKENS = 8192
REPLY_TOKENS = 1024
CHARS_PER_TOKEN = 3  # conservative: English runs ~4 characters per token
MIN_TIMEOUT_S = 60.0


def context_tokens_from_env() -> int:
    raw = os.environ.get("REPORT_LLM_CONTEXT_TOKENS", "").strip()
    try:
        return max(1024, int(raw)) if raw else DEFAULT_CONTEXT_TOKENS
    except ValueError:
        log.warning("REPORT_LLM_CONTEXT_TOKENS=%r is not a number; using %d", raw, DEFAULT_CONTEXT_TOKENS)
        return DEFAULT_CONTEXT_TOKENS


class ReportLLM:
    def __init__(self, config: LLMConfig, *, context_tokens: int | None = None, client: Any = None) -> None:
        self.config = config
        self.context_tokens = context_tokens or context_tokens_from_env()
        reply = min(REPLY_TOKENS, self.context_tokens // 3)
        self.reply_tokens = reply
        self.budget_chars = max(600, (self.context_tokens - reply) * CHARS_PER_TOKEN)
        self._client = client or openai.OpenAI(
            base_url=config.base_url,
            api_key=config.api_key,
            max_retries=config.max_retries,
            timeout=max(MIN_TIMEOUT_S, config.deadline_s),
        )
        self._json_mode = config.json_mode
        self._lock = threading.Lock()
        self.calls = 0
        self.failures = 0
        self.longest_prompt_chars = 0

    def close(self) -> None:
        self._client.close()

    def ask_json(self, system: str, user: str) -> dict[str, Any] | None:
        """One JSON object from the model, or None (logged) when anything goes wrong."""
        size = len(system) + len(user)
        with self._lock:
            self.calls += 1
            self.longest_prompt_chars = max(self.longest_prompt_chars, size)
        if size > self.budget_chars:
            # A bug in the caller's chunking; refusing beats a silently truncated prompt.
            log.error("report prompt of %d chars exceeds the %d-char budget; not sent", size, self.budget_chars)
            self._failed()
            return None
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        for _ in range(2):
            kwargs: dict[str, Any] = {}
            if self._json_mode:
                kwargs["response_format"] = {"type": "json_object"}
            try:
                reply = self._client.chat.completions.create(
                    model=self.config.model,
                    messages=messages,
                    temperature=min(self.config.temperature, 0.3),
                    max_tokens=self.reply_tokens,
                    **kwargs,
                )
            except openai.BadRequestError as exc:
                if self._json_mode and "response_format" in str(exc).lower():
                    log.warning("server rejects response_format; report calls continue without JSON mode")
                    self._json_mode = False
                    continue
                log.warning("report LLM call refused: %s", exc)
                self._failed()
                return None
            except openai.OpenAIError as exc:
                log.warning("report LLM call failed: %s", exc)
                self._failed()
                return None
            content = reply.choices[0].message.content if reply.choices else None
            value = extract_json_object(content or "")
            if value is None:
                log.warning("report LLM reply held no JSON object")
                self._failed()
            return value
        self._failed()
        return None

    def _failed(self) -> None:
        with self._lock:
            self.failures += 1

    def chunk_lines(self, lines: list[str], overhead_chars: int) -> list[list[str]]:
        """Lines packed into chunks that each fit the prompt budget beside `overhead_chars` of instructions."""
        room = max(200, self.budget_chars - overhead_chars - 50)
        chunks: list[list[str]] = []
        current: list[str] = []
        used = 0
        for line in lines:
            pieces = [line[i : i + room] for i in range(0, len(line), room)] if len(line) > room else [line]
            for piece in pieces:
                if current and used + len(piece) + 1 > room:
                    chunks.append(current)
                    current, used = [], 0
                current.append(piece)
                used += len(piece) + 1
        if current:
            chunks.append(current)
        return chunks
