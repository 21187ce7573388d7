"""The console script as a user runs it: serve, call, demo."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import FIXTURES, free_socket, keywords_in

CLI = str(Path(sys.executable).parent / "voice-interview")


def test_serve_prints_a_link_that_call_can_use(tmp_path, answers):
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [CLI, "serve", "--port", str(port), "--data-dir", str(tmp_path / "data")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    try:
        lines = []
        link = token = None
        deadline = time.monotonic() + 60
        while (link is None or token is None) and time.monotonic() < deadline:
            line = server.stdout.readline()
            assert line, "serve exited early:\n" + "".join(lines)
            lines.append(line)
            if m := re.match(r"Respondent link: (http://\S+/i/\S+)", line):
                link = m.group(1)
            if m := re.match(r"Dashboard: http://\S+/admin#token=(\S+)", line):
                token = m.group(1)
        assert link and link.startswith(f"http://127.0.0.1:{port}/i/")
        for _ in range(200):  # the link is printed before the engines load
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        health = httpx.get(f"http://127.0.0.1:{port}/health").json()
        assert health == {"status": "ok", "model": True, "tts": True, "database": True, "active_sessions": 0}

        out = tmp_path / "out"
        two = [str(FIXTURES / "consent.wav"), str(FIXTURES / "role.wav")]
        done = subprocess.run([CLI, "call", link, "--answers", *two, "--out", str(out), "--speed", "10"],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        interview_id = re.search(r"^interview: ([0-9a-f]{32})$", done.stdout, re.M).group(1)
        # Per turn, the time from the end of an answer to the next question's first audio byte.
        assert len(re.findall(r"answer end -> question audio \d+\.\d+ s", done.stdout)) == 2
        heard = json.loads((out / "heard.json").read_text())
        assert heard["interview_id"] == interview_id
        assert [q["id"] for q in heard["questions"]] == ["consent", "role", "trigger"]  # then answers ran out
        assert all(q["audio_s"] > 1 for q in heard["questions"])
        assert heard["questions"][1]["latency_s"] is not None

        url = f"http://127.0.0.1:{port}/api/interviews/{interview_id}/transcript"
        assert httpx.get(url).status_code == 401  # the researcher API needs the admin token serve printed
        doc = httpx.get(url, headers={"Authorization": f"Bearer {token}"}).json()
        said = [t["text"] for t in doc["turns"] if t["speaker"] == "respondent"]
        assert len(said) == 2 and not keywords_in(said[1], answers[1]["keywords"])
        assert doc["status"] == "interrupted"  # the caller hung up before the end
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(20) == 0


def test_demo_writes_both_transcripts(tmp_path, answers):
    out = tmp_path / "demo"
    done = subprocess.run([CLI, "demo", "--out", str(out), "--speed", "10"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    doc = json.loads((out / "transcript.json").read_text())
    assert doc["status"] == "completed"
    said = [t for t in doc["turns"] if t["speaker"] == "respondent"]
    assert len(said) == len(answers)
    for turn, entry in zip(said, answers, strict=True):
        assert not keywords_in(turn["text"], entry["keywords"])
    txt = (out / "transcript.txt").read_text()
    assert all(t["text"] in txt for t in doc["turns"])


def test_report_without_a_database_says_where_it_looked_and_creates_nothing(tmp_path):
    empty = tmp_path / "nowhere"
    done = subprocess.run([CLI, "report", "1", "--out", str(tmp_path / "out"), "--data-dir", str(empty)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "no database at" in done.stderr and "--data-dir" in done.stderr
    assert not empty.exists()
