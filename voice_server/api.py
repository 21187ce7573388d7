"""Researcher API: studies, links, interviews and transcript downloads."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import FileResponse, PlainTextResponse, Response

from moderator.transcript import TranscriptDoc, TranscriptTurn, to_json, to_txt
from voice_server.services import Services
from voice_server.storage import Store


def services(request: Request) -> Services:
    return request.app.state.services


def researcher(request: Request, authorization: str | None = Header(default=None)) -> None:
    """A single admin token from VOICE_ADMIN_TOKEN guards the researcher API when it is set."""
    token = request.app.state.services.settings.admin_token
    if token and authorization != f"Bearer {token}":
        raise HTTPException(status_code=401, detail="researcher API needs 'Authorization: Bearer <token>'")


router = APIRouter(prefix="/api", dependencies=[Depends(researcher)])


def transcript_doc(store: Store, interview_id: str) -> TranscriptDoc | None:
    interview = store.get_interview(interview_id)
    if interview is None:
        return None
    study = store.get_study(interview.study_id)
    return TranscriptDoc(
        interview_id=interview.id,
        study_id=interview.study_id,
        study=study.name if study else "",
        status=interview.status,
        channel=interview.channel,
        started_at=interview.started_at,
        ended_at=interview.ended_at,
        duration_s=interview.duration_s,
        context=interview.context or {},
        turns=[
            TranscriptTurn(
                id=t.id, seq=t.seq, speaker=t.speaker, kind=t.kind, question_id=t.question_id, text=t.text,
                start_s=t.start_s, end_s=t.end_s, confidence=t.confidence, complete=t.complete, mode=t.mode,
            )
            for t in store.turns(interview_id)
        ],
        answers=store.answers(interview_id),
    )


@router.get("/studies")
async def list_studies(svc: Services = Depends(services)) -> list[dict]:
    studies = await asyncio.to_thread(svc.store.list_studies)
    return [{"id": s.id, "name": s.name, "created_at": s.created_at.isoformat()} for s in studies]


@router.get("/interviews")
async def list_interviews(study_id: int | None = None, svc: Services = Depends(services)) -> list[dict]:
    rows = await asyncio.to_thread(svc.store.list_interviews, study_id)
    return [
        {"id": i.id, "study_id": i.study_id, "status": i.status, "channel": i.channel,
         "started_at": i.started_at.isoformat(), "duration_s": i.duration_s}
        for i in rows
    ]


@router.get("/interviews/{interview_id}/transcript")
async def transcript(
    interview_id: str,
    format: str = Query(default="json", pattern="^(json|txt)$"),
    svc: Services = Depends(services),
) -> Response:
    doc = await asyncio.to_thread(transcript_doc, svc.store, interview_id)
    if doc is None:
        raise HTTPException(status_code=404, detail=f"no interview {interview_id!r}")
    name = f"interview-{interview_id}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "txt":
        return PlainTextResponse(to_txt(doc), headers=headers)
    return Response(to_json(doc), media_type="application/json", headers=headers)


@router.get("/interviews/{interview_id}/audio")
async def audio(interview_id: str, svc: Services = Depends(services)) -> FileResponse:
    interview = await asyncio.to_thread(svc.store.get_interview, interview_id)
    if interview is None or not interview.audio_path or not Path(interview.audio_path).is_file():
        raise HTTPException(status_code=404, detail=f"no recording for interview {interview_id!r}")
    return FileResponse(interview.audio_path, media_type="audio/wav", filename=f"interview-{interview_id}.wav")
