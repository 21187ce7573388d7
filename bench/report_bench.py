"""Report generation benchmark: a 200-interview synthetic study, no model, on this machine's CPUs.

    .venv/bin/python bench/report_bench.py [--interviews 200] [--runs 3] [--no-write]

Measures, in process, the median of `--runs` runs of
- the full study report (`build_study_report`, segmented, every analysis step), and
- the baseline: sentence-embedding the same answer units alone (`Embedder.encode`),
each with a cold embedding cache (the model stays loaded; its load time is shown
apart), and writes the figures into docs/benchmarks.md between the
report-bench markers, leaving the rest of that file alone.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from moderator.report import build_study_report  # noqa: E402
from moderator.report.embed import Embedder, _model  # noqa: E402
from moderator.report.units import units_of  # noqa: E402
from tests.report_data import make_study  # noqa: E402

BEGIN = "<!-- report-bench:begin -->"
END = "<!-- report-bench:end -->"


def _median(fn, runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interviews", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()

    n_low = 2
    per_segment = max(1, (args.interviews - n_low) // 3)
    study = make_study(n_per_segment=per_segment, n_low_quality=args.interviews - 3 * per_segment)
    docs = study.docs
    units = [u for d in docs for u in units_of(d, study.guide)]
    texts = [u.text for u in units]

    started = time.perf_counter()
    model = _model()
    load_s = time.perf_counter() - started

    import moderator.report.embed as embed

    def full_report() -> None:
        embed._DEFAULT = Embedder(model)  # a cold cache, the loaded model
        build_study_report(study.guide, docs, segment_by="company_size")

    def embedding_only() -> None:
        Embedder(model).encode(texts)

    base_s, base_runs = _median(embedding_only, args.runs)
    full_s, full_runs = _median(full_report, args.runs)
    report = build_study_report(study.guide, docs, segment_by="company_size")

    lines = [
        BEGIN,
        "## Study report generation",
        "",
        f"`bench/report_bench.py`: {len(docs)} synthetic interviews ({len(units)} answer sentences, "
        f"{report.n_included} included, {len(report.themes)} themes), no language model, median of {args.runs} runs, "
        f"cold embedding cache, on {os.cpu_count()} CPU cores ({platform.machine()}, Python "
        f"{platform.python_version()}).",
        "",
        "| Measurement | Median | Runs |",
        "|---|---:|---|",
        f"| Full study report (`build_study_report`) | {full_s:.2f} s | "
        + ", ".join(f"{t:.2f}" for t in full_runs) + " |",
        f"| Baseline: embedding the answer sentences only | {base_s:.2f} s | "
        + ", ".join(f"{t:.2f}" for t in base_runs) + " |",
        f"| Model load (once per process) | {load_s:.2f} s | 1 |",
        "",
        f"The report costs {full_s / base_s:.2f}x the embedding baseline; the rest is clause embeddings for the "
        "ICP fields, clustering, quality scoring and statistics. With a language model configured, add its calls "
        "(one summary per interview, one name per theme, one value per filled ICP field, more when chunked).",
        END,
    ]
    block = "\n".join(lines)
    print(block)
    if args.no_write:
        return
    path = ROOT / "docs" / "benchmarks.md"
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        updated = head + block + tail
    else:
        updated = current.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(updated, encoding="utf-8")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
