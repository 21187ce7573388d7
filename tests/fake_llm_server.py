"""A real, misbehaving OpenAI-compatible chat server for the LLM policy tests.

It listens on 127.0.0.1 (port 0, so tests never collide), serves
POST /v1/chat/completions both streamed (SSE) and not, and fails in the ways
self-hosted LLM servers actually fail: hangs, slowness, 500s, reasoning
blocks, fenced JSON with chatter, missing fields, odd final chunks.

    with FakeLLMServer("think") as server:
        policy = LLMPolicy(LLMConfig(base_url=server.base_url, model="fake"))
        ...
        server.requests  # every request body received, in order

It is deliberately dumb about the interview: in "ok" mode it asks the first
question the prompt lists as `status=not_asked`, or ends when there is none.
"""

from __future__ import annotations

import json
import re
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = (
    "ok",  # a valid decision
    "hang",  # never answers; returns only when the client hangs up or the server stops
    "slow",  # a valid decision after `delay_s`
    "http500",  # HTTP 500 with an OpenAI-style error body
    "fenced_prose",  # ```json {...} ``` followed by prose (with braces in it)
    "missing_fields",  # a JSON object without action/text, also on the repair request
    "no_choices_final_chunk",  # stream ends with a usage chunk whose choices is []
    "think",  # <think>reasoning with {braces}</think>{decision}
    "garbage_then_valid",  # prose first; the repair request gets a valid decision
    "reject_response_format",  # HTTP 400 when response_format is sent, like some servers do
    "script",  # the replies given to the constructor, one per request, last one repeated
)

_NOT_ASKED = re.compile(r'^- id=([A-Za-z0-9_.-]+) \|.*\| status=not_asked \|.*\| text=(".*")$', re.M)

CLOSING = "That's everything I wanted to ask. Thank you very much for your time."


def next_decision(prompt: str) -> dict[str, Any]:
    """What a well-behaved model would answer: the first unasked guide question, else end."""
    match = _NOT_ASKED.search(prompt)
    if match is None:
        return {"action": "end", "question_id": None, "text": CLOSING}
    return {"action": "ask", "question_id": match.group(1), "text": json.loads(match.group(2))}


class FakeLLMServer:
    def __init__(self, mode: str = "ok", *, delay_s: float = 3.0, replies: list[str] | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose from {MODES}")
        self.mode = mode
        self.delay_s = delay_s
        self.replies = list(replies or [])
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> FakeLLMServer:
        handler = type("BoundHandler", (_Handler,), {"fake": self})
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        # Hanging handler threads must never hold up shutdown or interpreter exit.
        httpd.daemon_threads = True
        httpd.block_on_close = False
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes "hang" and "slow" handlers
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- what tests inspect ------------------------------------------------

    def record(self, body: dict[str, Any]) -> int:
        with self._lock:
            self.requests.append(body)
            return len(self.requests) - 1

    def prompt_text(self, index: int = 0) -> str:
        """All message contents of one request, joined, for substring assertions."""
        return "\n".join(str(m.get("content", "")) for m in self.requests[index]["messages"])

    # -- behaviour ---------------------------------------------------------

    def reply_content(self, body: dict[str, Any], index: int) -> str:
        messages = body.get("messages", [])
        prompt = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")
        decision = json.dumps(next_decision(prompt))
        is_repair = any(m.get("role") == "assistant" for m in messages)
        if self.mode == "fenced_prose":
            return f"```json\n{decision}\n```\nI chose this because it follows the guide order {{and the time}}."
        if self.mode == "missing_fields":
            return '{"question_id": "trigger"}'
        if self.mode == "think":
            return f'<think>The respondent said {{something}}. Maybe {{"action": "end"}}? No.</think>\n{decision}'
        if self.mode == "garbage_then_valid":
            return decision if is_repair else "Sure! I would ask about the trigger event next."
        if self.mode == "script":
            if not self.replies:
                raise RuntimeError("script mode needs replies")
            return self.replies[min(index, len(self.replies) - 1)]
        return decision

    def wait(self, seconds: float, connection: socket.socket) -> bool:
        """Sleep up to `seconds`; False if the server is stopping or the client hung up."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self._stopping.wait(0.05) or _peer_closed(connection):
                return False
        return True


def _peer_closed(connection: socket.socket) -> bool:
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        return bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class _Handler(BaseHTTPRequestHandler):
    fake: FakeLLMServer
    protocol_version = "HTTP/1.1"  # every response still says Connection: close

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass

    def do_POST(self) -> None:
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        index = self.fake.record(body)
        fake = self.fake
        try:
            if fake.mode == "hang":
                fake.wait(3600, self.connection)
                return
            if fake.mode == "slow" and not fake.wait(fake.delay_s, self.connection):
                return
            if fake.mode == "http500":
                self._send_json(500, {"error": {"message": "model crashed", "type": "server_error"}})
                return
            if fake.mode == "reject_response_format" and "response_format" in body:
                error = {"message": "response_format is not supported", "type": "invalid_request_error"}
                self._send_json(400, {"error": error})
                return
            content = fake.reply_content(body, index)
            if body.get("stream"):
                self._send_stream(body, content, empty_final=fake.mode == "no_choices_final_chunk")
            else:
                self._send_json(200, _completion(body, content))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first, which is what several tests provoke

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def _send_stream(self, body: dict[str, Any], content: str, *, empty_final: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        # Role-only first chunk with content None, as many servers send.
        events = [_chunk(body, {"role": "assistant", "content": None})]
        events += [_chunk(body, {"content": content[i : i + 7]}) for i in range(0, len(content), 7)]
        events.append(_chunk(body, {}, finish_reason="stop"))
        if empty_final:
            usage = {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
            events.append({**_chunk(body, {}), "choices": [], "usage": usage})
        for event in events:
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


def _chunk(body: dict[str, Any], delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def _completion(body: dict[str, Any], content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"},
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    }
