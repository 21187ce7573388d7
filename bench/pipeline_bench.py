"""Speed of the real-time pipeline on this machine: VAD, ASR, TTS, and a whole turn.

Run with `make bench`. Prints a Markdown table (paste it into docs/benchmarks.md).
Figures are medians over repeated runs in one process; ratios are against a
baseline measured in the same run, because shared machines are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voice_server.asr import WhisperEngine  # noqa: E402
from voice_server.tts import EspeakTTS  # noqa: E402
from voice_server.vad import WINDOW, SileroStream  # noqa: E402

FIXTURES = ROOT / "audio_fixtures"


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def load_answers() -> list[np.ndarray]:
    manifest = json.loads((FIXTURES / "answers.json").read_text())
    return [sf.read(str(FIXTURES / e["file"]), dtype="float32")[0] for e in manifest]


def bench_vad(audio: np.ndarray, repeats: int) -> dict:
    audio = audio[: len(audio) // WINDOW * WINDOW]
    windows = len(audio) // WINDOW

    def run():
        SileroStream().process(audio)

    t = median_time(run, repeats)
    return {"windows": windows, "ms_per_window": 1000 * t / windows, "realtime_factor": t / (len(audio) / 16000)}


def bench_asr(answers: list[np.ndarray], beams: list[int], repeats: int) -> list[dict]:
    rows = []
    total_s = sum(len(a) for a in answers) / 16000
    for beam in beams:
        t0 = time.perf_counter()
        engine = WhisperEngine(beam_size=beam)
        load_s = time.perf_counter() - t0
        engine.transcribe_sync(answers[0])  # warm-up
        t = median_time(lambda e=engine: [e.transcribe_sync(a) for a in answers], repeats)
        rows.append({"beam": beam, "load_s": load_s, "audio_s": total_s, "rtf": t / total_s,
                     "per_turn_ms": 1000 * t / len(answers)})
        engine.close()
    return rows


def bench_tts(repeats: int) -> dict:
    tts = EspeakTTS()
    try:
        texts = [f"Question {i}: what is the most painful part of that process for you today?" for i in range(20)]
        t0 = time.perf_counter()
        for text in texts:
            tts.synthesize_sync(text)
        cold = (time.perf_counter() - t0) / len(texts)
        cached = median_time(lambda: [tts.synthesize_sync(t) for t in texts], repeats) / len(texts)
        return {"uncached_ms": 1000 * cold, "cached_ms": 1000 * cached}
    finally:
        tts.close()


def bench_turns(speed: float) -> dict:
    """A whole demo interview; per-turn time from the end of an answer to the next question's first byte."""
    from voice_server.cli import run_demo

    with tempfile.TemporaryDirectory() as tmp:
        code = asyncio.run(run_demo(Path(tmp), speed))
        heard = json.loads((Path(tmp) / "heard.json").read_text())
    latencies = [q["latency_s"] for q in heard["questions"] if q["latency_s"] is not None]
    return {"ok": code == 0, "turns": len(latencies), "median_s": statistics.median(latencies),
            "max_s": max(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--speed", type=float, default=1.0, help="demo streaming speed for the turn benchmark")
    args = parser.parse_args()
    answers = load_answers()
    speech = np.concatenate(answers)
    vad = bench_vad(speech, args.repeats)
    asr = bench_asr(answers, [1, 5], args.repeats)
    tts = bench_tts(args.repeats)
    turns = bench_turns(args.speed)
    print("| stage | figure |\n|---|---|")
    print(f"| VAD (Silero, streaming) | {vad['ms_per_window']:.3f} ms per 32 ms window "
          f"(real-time factor {vad['realtime_factor']:.4f}) |")
    for row in asr:
        print(f"| ASR tiny.en int8, beam {row['beam']} | load {row['load_s']:.2f} s; real-time factor "
              f"{row['rtf']:.3f}; {row['per_turn_ms']:.0f} ms per answer (mean over {len(answers)} answers, "
              f"{row['audio_s']:.0f} s audio) |")
    print(f"| TTS espeak-ng via worker | {tts['uncached_ms']:.1f} ms per sentence; cached {tts['cached_ms']:.3f} ms |")
    end_silence = 1.5
    print(f"| Turn: answer end -> next question audio (speed {args.speed:g}) | median {turns['median_s']:.2f} s, "
          f"max {turns['max_s']:.2f} s over {turns['turns']} turns (includes the {end_silence} s end-of-turn "
          f"silence window at speed {args.speed:g}) |")


if __name__ == "__main__":
    main()
