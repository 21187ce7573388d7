"""Finished interviews become analyses, downloads and study reports: over HTTP and from the CLI."""

import asyncio
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import srt
import webvtt

from tests.peer import joined
from tests.test_resume_and_text import TYPED

CLI = str(Path(sys.executable).parent / "voice-interview")
SECOND = [
    "Yes.",
    "I am a recruiter at a hospital group with two thousand staff.",
    "A new compliance rule for agency staff came in last year.",
    "Spreadsheets, and a lot of email back and forth with agencies.",
    "Chasing timesheets takes most of my Fridays.",
    "Fewer unfilled shifts each month.",
    "No.",
]


async def typed_interview(live_server, answers: list[str]) -> str:
    async with joined(live_server.socket()) as peer:
        ws = peer.ws
        interview_id = peer.ready["interview_id"]
        pending = list(answers)
        while True:  # answer whatever is asked (probes included) until the goodbye
            question = await peer.next_event("question")
            if question["kind"] == "end":
                break
            end = await peer.next_event("audio_end")
            await ws.send(json.dumps({"type": "playback_done", "seq": end["seq"]}))
            typed = pending.pop(0) if pending else "I have nothing more to add on that point, sorry."
            await ws.send(json.dumps({"type": "text", "text": typed}))
            await peer.next_event("transcript")
        await peer.next_event("ended")
    return interview_id


async def test_downloads_analysis_and_study_report(live_server, tmp_path):
    first = await typed_interview(live_server, TYPED)
    second = await typed_interview(live_server, SECOND)
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=120) as http:
        # The analysis runs by itself when an interview ends.
        for _ in range(300):
            got = await http.get(f"/api/interviews/{first}/analysis")
            if got.status_code == 200:
                break
            await asyncio.sleep(0.1)
        analysis = got.json()
        assert 1 <= analysis["quality"]["score"] <= 5 and analysis["quality"]["parts"]
        listed = {i["id"]: i for i in (await http.get("/api/interviews")).json()}
        assert listed[first]["quality"] == analysis["quality"]["score"]

        doc = (await http.get(f"/api/interviews/{first}/transcript")).json()
        vtt = (await http.get(f"/api/interviews/{first}/transcript", params={"format": "vtt"})).text
        assert any("staffing agency" in c.text for c in webvtt.from_buffer(io.StringIO(vtt)))
        srt_text = (await http.get(f"/api/interviews/{first}/transcript", params={"format": "srt"})).text
        assert len(list(srt.parse(srt_text))) == len(doc["turns"])
        csv_text = (await http.get(f"/api/interviews/{first}/transcript", params={"format": "csv"})).text
        assert csv_text.count("\n") >= len(doc["turns"]) + 1

        report = (await http.get("/api/studies/1/report", params={"format": "json"})).json()
        said = [t.lower() for t in TYPED + SECOND]
        quotes = [q for theme in report["themes"] for q in theme["quotes"]]
        assert all(any(q["text"].lower() in t for t in said) for q in quotes)
        html = await http.get("/api/studies/1/report", params={"format": "html"})
        assert html.status_code == 200 and "<svg" in html.text
        qdpx = await http.get("/api/studies/1/report", params={"format": "qdpx"})
        assert "project.qde" in zipfile.ZipFile(io.BytesIO(qdpx.content)).namelist()
        assert (await http.get("/api/studies/99/report")).status_code == 404
        assert second in {i["id"] for i in (await http.get("/api/interviews")).json()}

    data_dir = str(live_server.services.settings.data_dir)
    out = tmp_path / "report"
    done = subprocess.run([CLI, "report", "1", "--out", str(out), "--data-dir", data_dir], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert {p.name for p in out.iterdir()} == {"report.md", "report.html", "report.json", "study-1.qdpx"}
    assert "report:" in done.stderr  # the progress bar
    exported = tmp_path / "export"
    done = subprocess.run([CLI, "export", "--study", "1", "--format", "csv", "srt", "wav", "--out", str(exported),
                           "--data-dir", data_dir], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert {p.suffix for p in exported.iterdir()} == {".csv", ".srt", ".wav"}
    assert len(list(exported.glob("*.wav"))) == 2
