"""Researcher API: studies, links, interviews and transcript downloads."""

from __future__ import annotations

import asyncio
import hmac
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, Response

from moderator.llm import LLMConfig
from moderator.report import report_to_html, report_to_json, report_to_markdown, study_to_qdpx
from moderator.transcript import to_json, to_txt, transcript_to_csv, transcript_to_srt, transcript_to_vtt
from voice_server.reporting import study_report, transcript_doc
from voice_server.services import Services


def services(request: Request) -> Services:
    return request.app.state.services


def researcher(request: Request, authorization: str | None = Header(default=None)) -> None:
    """A single admin token from VOICE_ADMIN_TOKEN guards the researcher API when it is set."""
    token = request.app.state.services.settings.admin_token
    if token and not hmac.compare_digest((authorization or "").encode(), f"Bearer {token}".encode()):
        raise HTTPException(status_code=401, detail="researcher API needs 'Authorization: Bearer <token>'")


MAX_ID = 2**63 - 1  # SQL integer ids; larger numbers are not ids (and would overflow the driver)
RowId = Annotated[int, PathParam(ge=1, le=MAX_ID)]  # a study or link id in a URL path

router = APIRouter(prefix="/api", dependencies=[Depends(researcher)])


@router.get("/studies")
async def list_studies(svc: Services = Depends(services)) -> list[dict]:
    studies = await asyncio.to_thread(svc.store.list_studies)
    return [{"id": s.id, "name": s.name, "created_at": s.created_at.isoformat()} for s in studies]


@router.get("/interviews")
async def list_interviews(
    study_id: int | None = Query(default=None, ge=1, le=MAX_ID), svc: Services = Depends(services)
) -> list[dict]:
    rows = await asyncio.to_thread(svc.store.list_interviews, study_id)
    return [
        {"id": i.id, "study_id": i.study_id, "status": i.status, "channel": i.channel,
         "started_at": i.started_at.isoformat(), "duration_s": i.duration_s, "quality": i.quality}
        for i in rows
    ]


TRANSCRIPT_FORMATS = {
    "json": (to_json, "application/json"),
    "txt": (to_txt, "text/plain; charset=utf-8"),
    "csv": (transcript_to_csv, "text/csv; charset=utf-8"),
    "vtt": (transcript_to_vtt, "text/vtt; charset=utf-8"),
    "srt": (transcript_to_srt, "application/x-subrip; charset=utf-8"),
}


@router.get("/interviews/{interview_id}/transcript")
async def transcript(
    interview_id: str,
    format: str = Query(default="json", pattern="^(json|txt|csv|vtt|srt)$"),
    svc: Services = Depends(services),
) -> Response:
    doc = await asyncio.to_thread(transcript_doc, svc.store, interview_id)
    if doc is None:
        raise HTTPException(status_code=404, detail=f"no interview {interview_id!r}")
    render, media_type = TRANSCRIPT_FORMATS[format]
    headers = {"Content-Disposition": f'attachment; filename="interview-{interview_id}.{format}"'}
    return Response(render(doc), media_type=media_type, headers=headers)


@router.get("/interviews/{interview_id}/analysis")
async def analysis(interview_id: str, svc: Services = Depends(services)) -> dict:
    interview = await asyncio.to_thread(svc.store.get_interview, interview_id)
    if interview is None or interview.analysis is None:
        raise HTTPException(status_code=404, detail=f"no analysis for interview {interview_id!r} (yet)")
    return interview.analysis


@router.get("/studies/{study_id}/report")
async def report(
    study_id: RowId,
    format: str = Query(default="html", pattern="^(html|md|json|qdpx)$"),
    segment_by: str | None = Query(default=None, max_length=100),
    threshold: float = Query(default=3.0, ge=1, le=5),
    svc: Services = Depends(services),
) -> Response:
    built = await asyncio.to_thread(
        study_report, svc.store, study_id, llm=LLMConfig.from_env(), segment_by=segment_by,
        quality_threshold=threshold,
    )
    if built is None:
        raise HTTPException(status_code=404, detail=f"no study {study_id}")
    rep, docs = built
    name = f"study-{study_id}-report.{format}"
    if format == "qdpx":
        data = await asyncio.to_thread(study_to_qdpx, rep, docs)
        return Response(data, media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="study-{study_id}.qdpx"'})
    if format == "html":
        # In the dashboard, each quote opens its interview at the quoted moment of the recording.
        html = report_to_html(rep, quote_link="/admin#/interview/{interview_id}?t={start_s}")
        return Response(html, media_type="text/html; charset=utf-8")
    render, media_type = {"md": (report_to_markdown, "text/markdown; charset=utf-8"),
                          "json": (report_to_json, "application/json")}[format]
    return Response(render(rep), media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/interviews/{interview_id}/audio")
async def audio(interview_id: str, svc: Services = Depends(services)) -> FileResponse:
    interview = await asyncio.to_thread(svc.store.get_interview, interview_id)
    if interview is None or not interview.audio_path or not Path(interview.audio_path).is_file():
        raise HTTPException(status_code=404, detail=f"no recording for interview {interview_id!r}")
    return FileResponse(interview.audio_path, media_type="audio/wav", filename=f"interview-{interview_id}.wav")
