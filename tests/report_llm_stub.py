"""A stub LLM for the report tests: the real loopback OpenAI-compatible server of
tests/fake_llm_server.py, answering the report's tasks (named in the system
prompt's first line, "TASK: ...") the way a careless model would: useful
answers mixed with quotes it made up.

Every reply that carries quotes includes one real quote (copied from the
prompt), one invented outright (from FABRICATED) and one real sentence with a
word changed, so tests can check that only the real one survives.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.fake_llm_server import FakeLLMServer

FABRICATED = [
    "We would happily pay double for this tomorrow morning.",
    "Our board mandated that we buy an AI research platform.",
    "Honestly the best feature is the purple dashboard.",
]


def _tamper(text: str) -> str:
    """The same words with one changed: a near-miss that must fail the verbatim check."""
    words = text.split()
    if len(words) < 4:
        return "completely different invented words here"
    words[len(words) // 2] = "definitely"
    return " ".join(words)


def _json_lines(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


class ReportLLMServer(FakeLLMServer):
    def __init__(self) -> None:
        super().__init__("ok")

    def task_requests(self, task: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if f"TASK: {task}" in r["messages"][0]["content"]]

    def reply_content(self, body: dict[str, Any], index: int) -> str:
        system = body["messages"][0]["content"]
        user = body["messages"][-1]["content"]
        task = system.splitlines()[0].removeprefix("TASK: ").strip()
        return json.dumps(self.answer(task, user))

    def answer(self, task: str, user: str) -> dict[str, Any]:
        if task in ("name_theme", "icp_field"):
            lines = _json_lines(user)
            first = lines[0] if lines else {"interview_id": "x", "turn_id": 0, "text": "nothing here"}
            words = re.findall(r"[A-Za-z]+", first["text"])[:4]
            quotes = [
                {"interview_id": first["interview_id"], "turn_id": first["turn_id"], "text": first["text"]},
                {"interview_id": first["interview_id"], "turn_id": first["turn_id"], "text": FABRICATED[0]},
                {"interview_id": first["interview_id"], "turn_id": first["turn_id"], "text": _tamper(first["text"])},
            ]
            if task == "name_theme":
                return {"name": "Stub theme: " + " ".join(words), "description": "What the stub saw first.",
                        "quotes": quotes}
            return {"value": "Stub value: " + " ".join(words), "quotes": quotes}
        if task in ("merge_theme_names", "icp_merge"):
            parts = _json_lines(user)
            first = parts[0] if parts else {}
            return {"name": first.get("name", "merged"), "description": first.get("description", ""),
                    "value": first.get("value", "merged")}
        if task == "summarize_chunk":
            points = []
            for line in user.splitlines():
                match = re.match(r"RESPONDENT turn_id=(\d+) question=\S+: (.*)", line)
                if match and len(match.group(2).split()) >= 8:  # the first substantive answer line
                    sentences = re.split(r"(?<=[.!?])\s", match.group(2))
                    sentence = next((x for x in sentences if len(x.split()) >= 5), sentences[0])
                    points.append({"point": f"The respondent said: {sentence}", "turn_id": int(match.group(1)),
                                   "quote": sentence})
                    break
            points.append({"point": "The respondent loves the purple dashboard.", "turn_id": 1,
                           "quote": FABRICATED[2]})
            return {"points": points}
        if task == "select_points":
            ids = re.findall(r'"id": "(P\d+)"', user)
            return {"keep": ids[:6]}
        return {"error": f"unknown task {task}"}
