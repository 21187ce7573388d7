"""Exports: transcript CSV / WebVTT / SRT, report Markdown / JSON / HTML (in headless Chromium), REFI-QDA .qdpx."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
import struct
import subprocess
import tempfile
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import srt
import webvtt
import xmlschema

from moderator.report import (
    StudyReport,
    report_to_html,
    report_to_json,
    report_to_markdown,
    study_to_qdpx,
    transcript_to_csv,
    transcript_to_srt,
    transcript_to_vtt,
)
from moderator.report.charts import BAR
from moderator.transcript import TranscriptDoc, TranscriptTurn, to_json, to_txt
from moderator.transcript import transcript_to_csv as csv_from_transcript_module
from tests.report_data import Study, plain_report, standard_study

SCHEMA = Path(__file__).parent / "data" / "Project-mrt2019.xsd"
NS = {"q": "urn:QDA-XML:project:1.0"}


@pytest.fixture(scope="module")
def study() -> Study:
    return standard_study()


@pytest.fixture(scope="module")
def report() -> StudyReport:
    return plain_report()


def tricky_doc() -> TranscriptDoc:
    texts = [
        ("moderator", "Hi! Shall we start?"),
        ("respondent", 'We use "Excel", Slack, and <b>bold</b> tags & ampersands -> arrows --> too.'),
        ("respondent", "A line\nbreak and a blank\n\nline inside one turn."),
        ("moderator", "Thanks; über-naïve café question?"),
        ("respondent", "It took 1:05:30 hours, roughly."),
    ]
    turns, t = [], 3661.25  # past an hour, so hours show in the timestamps
    for i, (who, text) in enumerate(texts, start=1):
        turns.append(TranscriptTurn(id=100 + i, seq=i, speaker=who, text=text, start_s=t, end_s=t + 2.5,
                                    confidence=0.91 if who == "respondent" else None, question_id="q1"))
        t += 3.0
    turns.append(TranscriptTurn(id=999, seq=9, speaker="respondent", text="   ", start_s=t, end_s=t))
    return TranscriptDoc(interview_id="i-tricky", study_id=1, study="Tricky, study", status="completed",
                         channel="phone", started_at=datetime(2026, 1, 1, tzinfo=UTC), turns=turns)


def test_csv_has_one_row_per_turn_and_round_trips_text() -> None:
    doc = tricky_doc()
    assert csv_from_transcript_module is transcript_to_csv
    rows = list(csv.DictReader(io.StringIO(transcript_to_csv(doc))))
    assert len(rows) == len(doc.turns)
    for row, turn in zip(rows, doc.turns, strict=True):
        assert row["text"] == turn.text and int(row["turn_id"]) == turn.id and row["speaker"] == turn.speaker
        assert float(row["start_s"]) == pytest.approx(turn.start_s) and float(row["end_s"]) == pytest.approx(turn.end_s)
        assert row["interview_id"] == "i-tricky" and row["mode"] == turn.mode
    assert rows[1]["confidence"] == "0.9100" and rows[0]["confidence"] == ""


def test_vtt_parses_with_webvtt_py_and_keeps_times() -> None:
    doc = tricky_doc()
    captions = webvtt.from_buffer(io.StringIO(transcript_to_vtt(doc)))
    spoken = [t for t in doc.turns if t.text.strip()]
    assert len(captions) == len(spoken)
    for caption, turn in zip(captions, spoken, strict=True):
        start = caption.start_in_seconds + caption.start_time.milliseconds / 1000
        end = caption.end_in_seconds + caption.end_time.milliseconds / 1000
        assert start == pytest.approx(turn.start_s, abs=1e-3) and end == pytest.approx(turn.end_s, abs=1e-3)
        assert caption.voice == ("Moderator" if turn.speaker == "moderator" else "Respondent")
    assert captions[0].start == "01:01:01.250"
    assert "<b>" not in transcript_to_vtt(doc) and "&lt;b&gt;bold&lt;/b&gt;" in transcript_to_vtt(doc)
    assert html.unescape(captions[1].text) == spoken[1].text


def test_srt_parses_with_srt_and_keeps_times() -> None:
    doc = tricky_doc()
    subs = list(srt.parse(transcript_to_srt(doc)))
    spoken = [t for t in doc.turns if t.text.strip()]
    assert [s.index for s in subs] == list(range(1, len(spoken) + 1))
    for sub, turn in zip(subs, spoken, strict=True):
        assert sub.start.total_seconds() == pytest.approx(turn.start_s, abs=1e-3)
        assert sub.end.total_seconds() == pytest.approx(turn.end_s, abs=1e-3)
        who = "Moderator" if turn.speaker == "moderator" else "Respondent"
        assert sub.content == f"{who}: {' '.join(turn.text.split())}"


def test_existing_txt_and_json_exports_are_unchanged() -> None:
    doc = tricky_doc()
    assert to_txt(doc).startswith("Interview i-tricky - Tricky, study\n")
    assert TranscriptDoc.model_validate_json(to_json(doc)) == doc


def test_markdown_and_json(report: StudyReport) -> None:
    md = report_to_markdown(report)
    for heading in ("## Themes", "## Structured questions", "## Ideal customer profile", "## Segments by company_size",
                    "## Interviews"):
        assert heading in md
    for theme in report.themes:
        assert f"{theme.interview_count} of {report.n_included} interviews" in md
        for quote in theme.quotes:
            assert f"interview {quote.interview_id}, turn {quote.turn_seq + 1}" in md  # as a reader counts
    assert StudyReport.model_validate_json(report_to_json(report)) == report
    data = json.loads(report_to_json(report))
    assert data["n_included"] == report.n_included and len(data["icp"]) == 12


def test_qdpx_validates_against_the_refi_qda_schema(report: StudyReport, study: Study) -> None:
    data = study_to_qdpx(report, study.docs)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        qde = zf.read("project.qde")
        sources = {n: zf.read(n).decode("utf-8") for n in names if n.startswith("sources/")}
    xmlschema.XMLSchema(str(SCHEMA)).validate(qde.decode("utf-8"))
    root = ET.fromstring(qde)
    theme_codes = [c for c in root.iterfind("q:CodeBook/q:Codes/q:Code", NS) if c.get("isCodable") == "true"]
    assert [c.get("name") for c in theme_codes] == [f"{t.id}. {t.name}" for t in report.themes]
    cases = root.findall("q:Cases/q:Case", NS)
    assert len(cases) == len(study.docs) and len(sources) == len(study.docs)
    variables = {v.get("name"): v.get("guid") for v in root.iterfind("q:Variables/q:Variable", NS)}
    assert {"company_size", "plan", "company"} <= set(variables)
    first = cases[0]
    values = {vv.find("q:VariableRef", NS).get("targetGUID"): vv.find("q:TextValue", NS).text
              for vv in first.iterfind("q:VariableValue", NS)}
    assert values[variables["company_size"]] == study.docs[0].context["company_size"]
    # Every theme quote is a coded selection whose positions point at exactly the quote.
    code_of_guid = {c.get("guid"): c.get("name") for c in root.iter("{urn:QDA-XML:project:1.0}Code")}
    selections = 0
    for src in root.iterfind("q:Sources/q:TextSource", NS):
        text = sources["sources/" + src.get("plainTextPath").removeprefix("internal://")]
        for sel in src.iterfind("q:PlainTextSelection", NS):
            quote_text = text[int(sel.get("startPosition")) : int(sel.get("endPosition"))]
            code = code_of_guid[sel.find("q:Coding/q:CodeRef", NS).get("targetGUID")]
            assert quote_text and code
            selections += 1
    expected = sum(len(t.quotes) for t in report.themes) + sum(len(f.quotes) for f in report.icp
                                                               if f.status == "filled")
    assert selections == expected
    for theme in report.themes:
        for quote in theme.quotes:
            assert quote.text in "\n".join(sources.values())


def test_qdpx_leaves_out_private_context(report: StudyReport, study: Study) -> None:
    doc = study.docs[0].model_copy(update={"context": {**study.docs[0].context, "email": "dana@example.com",
                                                       "crm_id": "0031x", "private": ["crm_id"]}})
    data = study_to_qdpx(report, [doc])
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        qde = zf.read("project.qde").decode()
    xmlschema.XMLSchema(str(SCHEMA)).validate(qde)
    assert "dana@example.com" not in qde and "0031x" not in qde and "company_size" in qde


def _png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes) into rows of pixel bytes."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and color in (2, 6) and interlace == 0
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, bpp, rows


def test_html_is_self_contained_and_charts_draw_in_chromium(report: StudyReport, tmp_path: Path) -> None:
    page = report_to_html(report)
    assert "<script" not in page and "<link" not in page and " src=" not in page and "href=" not in page
    assert "@import" not in page and "url(" not in page
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page)  # only the SVG namespace name
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Debian's chromium package is needed for this test (apt-get install chromium)"
    html_path = tmp_path / "report.html"
    html_path.write_text(page, encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run"]
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run([chromium, *flags, f"--user-data-dir={profile}", "--dump-dom", html_path.as_uri()],
                             capture_output=True, text=True, timeout=60).stdout
    bars = re.findall(r'<rect class="bar"[^>]*width="([\d.]+)"', dom)
    expected = len(report.themes) + sum(len(q.histogram) or len(q.options) or len(q.ranking)
                                        for q in report.questions)
    assert len(bars) >= expected and sum(float(w) > 0 for w in bars) >= len(report.themes)
    shot = tmp_path / "shot.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, *flags, f"--user-data-dir={profile}", f"--screenshot={shot}",
                        "--window-size=1200,2000", html_path.as_uri()], capture_output=True, timeout=60, check=True)
    _, bpp, rows = _png_pixels(shot)
    target = bytes(int(BAR[i : i + 2], 16) for i in (1, 3, 5))
    bar_pixels = sum(1 for row in rows for x in range(0, len(row), bpp) if row[x : x + 3] == target)
    # The theme chart alone is 24 bars of up to 360 x 22 px in the first 2000 px of the page.
    assert bar_pixels > 20_000


def test_html_quotes_can_link_to_their_moment_in_the_recording(report: StudyReport) -> None:
    plain = report_to_html(report)
    linked = report_to_html(report, quote_link="/admin#/interview/{interview_id}?t={start_s}")
    quotes = linked.count("<blockquote>")
    assert quotes > 10 and "/admin#/interview/" not in plain
    assert linked.count("href='/admin#/interview/") == quotes
    first = next(q for t in report.themes for q in t.quotes)
    assert f"href='/admin#/interview/{first.interview_id}?t={first.start_s:.2f}'" in linked
