import asyncio
import gzip
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import keywords_in
from voice_server.audio import resample

ASTERISK_WAVS = Path("/usr/share/asterisk/sounds/en_US_f_Allison")
ASTERISK_TEXTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
# Real recorded human speech (Allison Smith's Asterisk prompts, 8 kHz telephone audio).
PROMPTS = ["conf-onlyperson", "ss-noservice", "privacy-incorrect", "conf-getpin", "agent-newlocation", "vm-intro"]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_error_rate(ref: str, hyp: str) -> float:
    r, h = words(ref), words(hyp)
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(h) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(h)] / max(len(r), 1)


def test_fixture_answers_are_transcribed_with_their_key_words(asr, answers):
    for entry in answers:
        result = asr.transcribe_sync(entry["audio"])
        assert not keywords_in(result.text, entry["keywords"]), (entry["file"], result.text)
        assert 0.2 < result.confidence <= 1.0


def asterisk_texts() -> dict[str, str]:
    texts = {}
    for line in gzip.open(ASTERISK_TEXTS, "rt", encoding="utf-8", errors="replace"):
        if ":" in line and not line.startswith(";"):
            name, text = line.split(":", 1)
            texts[name.strip()] = re.sub(r"\(.*?\)|\[.*?\]", "", text).strip()
    return texts


def test_recorded_human_telephone_speech(asr):
    texts = asterisk_texts()
    rates = []
    for name in PROMPTS:
        audio, rate = sf.read(str(ASTERISK_WAVS / f"{name}.wav"), dtype="float32")
        assert rate == 8000
        result = asr.transcribe_sync(resample(audio, rate, 16000))
        rates.append(word_error_rate(texts[name], result.text))
    # tiny.en on 8 kHz phone prompts: most words right on every prompt.
    assert max(rates) < 0.35, rates
    assert float(np.mean(rates)) < 0.15, rates


@pytest.mark.parametrize("kind", ["silence", "low_noise", "hum"])
def test_non_speech_invents_no_text(asr, kind):
    rng = np.random.default_rng(3)
    n = 5 * 16000
    audio = {
        "silence": np.zeros(n, np.float32),
        "low_noise": (0.002 * rng.standard_normal(n)).astype(np.float32),
        "hum": (0.02 * np.sin(2 * np.pi * 60 * np.arange(n) / 16000)).astype(np.float32),
    }[kind]
    assert asr.transcribe_sync(audio).text == ""


async def test_event_loop_stays_responsive_while_transcribing(asr, answers):
    audio = np.concatenate([a["audio"] for a in answers])  # ~37 s of speech: a long decode
    ticks = 0

    async def heartbeat():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    beat = asyncio.create_task(heartbeat())
    result = await asr.transcribe(audio)
    beat.cancel()
    assert "audit" in result.text.lower()
    # Decoding took hundreds of milliseconds; the loop kept turning all along.
    assert ticks >= 10
