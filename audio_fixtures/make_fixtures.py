"""Make the respondent answer clips for tests and the demo, with espeak-ng.

Run from the repository root: `python audio_fixtures/make_fixtures.py`.
Writes mono 16 kHz 16-bit WAVs next to this file, plus answers.json with each
clip's text and the key words a transcript of it must contain. The clips are
committed; rerun only to change them (espeak-ng output differs slightly
between versions).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

HERE = Path(__file__).parent
RATE = 16000
LEAD_S = 0.3  # a breath of silence before speech, as a microphone would give

# One answer per moderator turn of the example guide (icp_validation), in order.
# "alternative_short" is deliberately thin, so the rule moderator probes once. The wording is
# chosen so tiny.en hears espeak-ng's voice right; key words are what a test may rely on.
ANSWERS = [
    ("consent", "Yes, that is fine. You can record it.", ["yes"]),
    ("role", "I run operations at a healthcare staffing company with about two hundred people.",
     ["operation", "staffing"]),
    ("trigger", "We started looking after a failed audit last spring.", ["audit", "spring"]),
    ("alternative_short", "Just spreadsheets, mostly.", ["sheets"]),
    ("alternative_probe", "We keep everything in shared spreadsheets and an old tracking system. "
     "Moving away would take months of work.", ["spreadsheets", "months"]),
    ("pain", "Our recruiters lose hours every week typing the same data into three different tools.",
     ["recruiters", "week"]),
    ("success", "We would measure success by cutting the time to fill a shift by a third.", ["success", "time"]),
    ("wrap_up", "No, nothing else. Thank you.", ["nothing else"]),
]

# One answer per moderator turn of the structured guide (product_feedback_structured), with the value
# the moderator's ledger must store for the question it answers (None: an open answer, not checked).
STRUCTURED = [
    ("pf_consent", "Yes, that is fine.", "consent", True),
    ("pf_plan", "We are on the business plan.", "plan", "Business"),
    ("pf_team_size", "About fifteen people use it.", "team_size", "6-20 people"),
    ("pf_satisfaction", "I would give it an eight out of ten.", "satisfaction", 8),
    ("pf_satisfaction_why", "It is fast, and the support team answers quickly.", "satisfaction", None),
    ("pf_features", "We use the shared inbox and the reports.", "features_used", ["Shared inbox", "Reports"]),
    ("pf_priorities", "Speed matters most, then price, then support, and integrations last.", "priorities",
     ["Speed", "Price", "Support", "Integrations"]),
    ("pf_recommend", "Yes, I would.", "recommend", True),
    ("pf_improve", "The mobile app is too slow when we open long conversations.", "improve", None),
    ("pf_wrap_up", "No, nothing else. Thank you.", "wrap_up", None),
]

# Clips for other paths through an interview, by name.
EXTRAS = [
    ("decline", "No, I do not want to be recorded.", ["not want", "recorded"]),
]


def speak(text: str, voice: str = "en-us", wpm: int = 150) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "out.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(path), text], check=True)
        audio, rate = sf.read(str(path), dtype="float32")
    audio = soxr.resample(audio, rate, RATE).astype(np.float32)
    return np.concatenate([np.zeros(int(LEAD_S * RATE), np.float32), audio])


def main() -> None:
    manifest = []
    for name, text, keywords in ANSWERS:
        audio = speak(text)
        sf.write(str(HERE / f"{name}.wav"), audio, RATE, subtype="PCM_16")
        manifest.append({"file": f"{name}.wav", "text": text, "keywords": keywords})
        print(f"{name}.wav  {len(audio) / RATE:.1f} s")
    (HERE / "answers.json").write_text(json.dumps(manifest, indent=2) + "\n")
    extras = {}
    for name, text, keywords in EXTRAS:
        sf.write(str(HERE / f"{name}.wav"), speak(text), RATE, subtype="PCM_16")
        extras[name] = {"file": f"{name}.wav", "text": text, "keywords": keywords}
    (HERE / "extras.json").write_text(json.dumps(extras, indent=2) + "\n")
    structured = []
    for name, text, question_id, value in STRUCTURED:
        sf.write(str(HERE / f"{name}.wav"), speak(text), RATE, subtype="PCM_16")
        structured.append({"file": f"{name}.wav", "text": text, "question_id": question_id, "value": value})
    (HERE / "structured.json").write_text(json.dumps(structured, indent=2) + "\n")


if __name__ == "__main__":
    main()
