"""`voice-interview report` and `voice-interview export`: the researcher's downloads, from the command line."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from voice_server.config import Settings

TRANSCRIPT_FORMATS = ("txt", "json", "csv", "vtt", "srt", "wav")


def _store(args: argparse.Namespace):
    from voice_server.storage import Store

    settings = Settings.from_env(data_dir=args.data_dir)
    url = settings.db_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        # Reading must not leave an empty database behind in whatever folder the command ran from.
        raise SystemExit(f"no database at {url.removeprefix('sqlite:///')}: run from the folder `serve` ran in, "
                         "or pass --data-dir (or set VOICE_DATA_DIR)")
    return Store(url)


def _find_study(store, ref: str):
    studies = store.list_studies()
    for study in studies:
        if ref == str(study.id) or ref.lower() == study.name.lower():
            return study
    names = ", ".join(f"{s.id} ({s.name})" for s in studies) or "none"
    raise SystemExit(f"no study {ref!r}; studies: {names}")


def cmd_report(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from moderator.llm import LLMConfig
    from moderator.report import report_to_html, report_to_json, report_to_markdown, study_to_qdpx
    from voice_server.reporting import study_report

    store = _store(args)
    study = _find_study(store, args.study)
    bar = tqdm(total=1, desc=f"report: {study.name}", unit="step", file=sys.stderr)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    report, docs = study_report(store, study.id, llm=LLMConfig.from_env(), segment_by=args.segment_by,
                                quality_threshold=args.threshold, progress=progress)
    bar.close()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text(report_to_markdown(report), encoding="utf-8")
    (out / "report.html").write_text(report_to_html(report), encoding="utf-8")
    (out / "report.json").write_text(report_to_json(report), encoding="utf-8")
    (out / f"study-{study.id}.qdpx").write_bytes(study_to_qdpx(report, docs))
    print(f"{len(docs)} interviews; wrote report.md, report.html, report.json and study-{study.id}.qdpx to {out}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from moderator.transcript import to_json, to_txt, transcript_to_csv, transcript_to_srt, transcript_to_vtt
    from voice_server.reporting import transcript_doc

    renderers = {"txt": to_txt, "json": to_json, "csv": transcript_to_csv, "vtt": transcript_to_vtt,
                 "srt": transcript_to_srt}
    store = _store(args)
    if args.study:
        ids = [i.id for i in store.list_interviews(_find_study(store, args.study).id)]
    else:
        ids = args.interviews
    if not ids:
        raise SystemExit("nothing to export: name interview ids, or --study")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for interview_id in ids:
        doc = transcript_doc(store, interview_id)
        if doc is None:
            raise SystemExit(f"no interview {interview_id!r}")
        for fmt in args.format:
            target = out / f"interview-{interview_id}.{fmt}"
            if fmt == "wav":
                audio = store.get_interview(interview_id).audio_path
                if audio and Path(audio).is_file():
                    shutil.copyfile(audio, target)
                continue
            target.write_text(renderers[fmt](doc), encoding="utf-8")
    print(f"exported {len(ids)} interview(s) as {', '.join(args.format)} to {out}")
    return 0


def add_commands(sub) -> None:
    report = sub.add_parser("report", help="regenerate a study's report from stored transcripts")
    report.add_argument("study", help="study id or name")
    report.add_argument("--out", required=True, help="folder for report.md, .html, .json and the .qdpx")
    report.add_argument("--segment-by", default=None, help="a link-context key (e.g. company_size) to compare")
    report.add_argument("--threshold", type=float, default=3.0, help="quality below which interviews are left out")
    report.add_argument("--data-dir", default=None, help="where the database lives (VOICE_DATA_DIR)")
    report.set_defaults(func=cmd_report)

    export = sub.add_parser("export", help="write transcripts (and recordings) to files")
    export.add_argument("interviews", nargs="*", help="interview ids")
    export.add_argument("--study", default=None, help="every interview of this study (id or name)")
    export.add_argument("--format", nargs="+", default=["txt", "json"], choices=TRANSCRIPT_FORMATS)
    export.add_argument("--out", required=True)
    export.add_argument("--data-dir", default=None, help="where the database lives (VOICE_DATA_DIR)")
    export.set_defaults(func=cmd_export)
