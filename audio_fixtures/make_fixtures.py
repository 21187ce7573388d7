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


if __name__ == "__main__":
    main()
