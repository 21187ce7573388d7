"""Dashboard API: studies from guides, respondent links, interview lists.

Everything here is under /api and guarded by the same admin token as api.py (api.researcher).
Study reports and the extra transcript formats are the report engine's endpoints; the dashboard
only links to them.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from moderator.guide import BUNDLED_GUIDES, GuideError, bundled_guide_names, parse_guide
from voice_server.api import RowId, researcher, services
from voice_server.services import Services
from voice_server.storage import Link, Store

router = APIRouter(prefix="/api", dependencies=[Depends(researcher)])

TEST_LABEL = "Researcher test"  # the link "take the interview yourself" uses; its interviews say so
SHARED_LABEL = "Study link"
MAX_CSV_BYTES = 2 << 20
MAX_CSV_ROWS = 5000
# CSV headers that mean the three known columns; every other column is kept as context.
KNOWN_COLUMNS = {"name": "name", "full_name": "name", "email": "email", "e_mail": "email",
                 "external_id": "external_id", "externalid": "external_id", "id": "external_id"}


# -- guides and studies ------------------------------------------------------------


class GuideText(BaseModel):
    guide_yaml: str = Field(max_length=200_000)


class StudyIn(GuideText):
    name: str = Field(min_length=1, max_length=200)


SOURCE = "guide"  # what parse_guide is told the text is; its messages start with it


def guide_problems(exc: GuideError) -> list[dict[str, Any]]:
    """GuideError's message as [{line, message}], one per problem, so the editor can mark each line.
    Problems come one per line, each after the source name (or, in older messages, joined by "; ")."""
    parts: list[str] = []
    for chunk in str(exc).splitlines():
        chunk = chunk.removeprefix(f"{SOURCE}: ")
        parts += re.split(r"; (?=[\w.]+(?: \(question '[^']*'\))? \(line \d+\):)", chunk)
    problems = []
    for part in filter(None, parts):
        line = re.search(r"\bline (\d+)\b", part)
        # "Line 12: <field>: <problem>" reads better in the editor than the path with "(line 12)" inside it.
        message = re.sub(r" \(line \d+\)", "", part, count=1) if line else part
        problems.append({"line": int(line.group(1)) if line else None, "message": message})
    return problems


def check_guide(guide_yaml: str) -> dict[str, Any]:
    try:
        guide = parse_guide(guide_yaml, source=SOURCE)
    except GuideError as exc:
        message = "\n".join(x.removeprefix(f"{SOURCE}: ") for x in str(exc).splitlines())
        return {"ok": False, "message": message, "problems": guide_problems(exc)}
    return {"ok": True, "title": guide.title, "questions": len(guide.questions), "minutes": guide.target_minutes}


@router.get("/templates")
async def templates() -> list[dict[str, Any]]:
    """The bundled methodology templates a study can start from."""
    out = []
    for name in bundled_guide_names():
        summary = check_guide((BUNDLED_GUIDES / f"{name}.yaml").read_text(encoding="utf-8"))
        out.append({"name": name, "title": summary.get("title", name), "questions": summary.get("questions")})
    return out


@router.get("/templates/{name}")
async def template(name: str) -> dict[str, str]:
    if name not in bundled_guide_names():
        raise HTTPException(status_code=404, detail=f"no template {name!r}")
    return {"name": name, "guide_yaml": (BUNDLED_GUIDES / f"{name}.yaml").read_text(encoding="utf-8")}


@router.post("/guides/check")
async def guide_check(body: GuideText) -> dict[str, Any]:
    """Validate guide YAML without saving (the editor calls it as the researcher types)."""
    return check_guide(body.guide_yaml)


def _valid_or_422(guide_yaml: str) -> None:
    result = check_guide(guide_yaml)
    if not result["ok"]:
        raise HTTPException(status_code=422, detail={"message": result["message"], "problems": result["problems"]})


@router.get("/overview")
async def overview(svc: Services = Depends(services)) -> list[dict[str, Any]]:
    """Studies with their interview and link counts, newest first (the dashboard's home)."""

    def load() -> list[dict[str, Any]]:
        interviews = svc.store.list_interviews()
        rows = []
        for s in reversed(svc.store.list_studies()):
            mine = [i for i in interviews if i.study_id == s.id]
            rows.append({
                "id": s.id, "name": s.name, "created_at": iso(s.created_at), "interviews": len(mine),
                "completed": sum(i.status == "completed" for i in mine),
                "in_progress": sum(i.status == "in_progress" for i in mine),
                "links": len(svc.store.list_links(s.id)),
            })
        return rows

    return await asyncio.to_thread(load)


@router.post("/studies", status_code=201)
async def create_study(body: StudyIn, request: Request, svc: Services = Depends(services)) -> dict[str, Any]:
    _valid_or_422(body.guide_yaml)
    study_id = await asyncio.to_thread(svc.store.create_study, body.name.strip(), body.guide_yaml)
    await asyncio.to_thread(svc.store.add_links, study_id, [{"label": SHARED_LABEL}])  # the reusable link
    return await get_study(study_id, request, svc)


@router.get("/studies/{study_id}")
async def get_study(study_id: RowId, request: Request, svc: Services = Depends(services)) -> dict[str, Any]:
    study = await asyncio.to_thread(svc.store.get_study, study_id)
    if study is None:
        raise HTTPException(status_code=404, detail=f"no study {study_id}")
    return {"id": study.id, "name": study.name, "guide_yaml": study.guide_yaml, "created_at": iso(study.created_at),
            "guide": check_guide(study.guide_yaml)}


@router.put("/studies/{study_id}")
async def update_study(study_id: RowId, body: StudyIn, request: Request,
                       svc: Services = Depends(services)) -> dict[str, Any]:
    _valid_or_422(body.guide_yaml)
    if not await asyncio.to_thread(svc.store.update_study, study_id, body.name.strip(), body.guide_yaml):
        raise HTTPException(status_code=404, detail=f"no study {study_id}")
    return await get_study(study_id, request, svc)


@router.post("/studies/{study_id}/try")
async def try_study(study_id: RowId, request: Request, svc: Services = Depends(services)) -> dict[str, Any]:
    """A link for the researcher to take the interview themselves; reused, so tests group together."""
    await get_study(study_id, request, svc)
    links = await asyncio.to_thread(svc.store.list_links, study_id)
    link = next((x for x in links if x.label == TEST_LABEL and Store.link_state(x) == "active"), None)
    if link is None:
        link = (await asyncio.to_thread(svc.store.add_links, study_id, [{"label": TEST_LABEL}]))[0]
    return link_json(link, request, svc)


# -- links ----------------------------------------------------------------------------


class LinkIn(BaseModel):
    name: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=200)
    external_id: str = Field(default="", max_length=200)
    context: dict[str, Any] = Field(default_factory=dict)  # any other respondent fields
    max_uses: int | None = Field(default=None, ge=1)
    expires_at: datetime | None = None


class LinkPatch(BaseModel):
    status: Literal["active", "paused", "revoked"] | None = None
    label: str | None = Field(default=None, max_length=200)
    max_uses: int | None = Field(default=None, ge=1)
    expires_at: datetime | None = None


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def as_utc(value: datetime | None) -> datetime | None:
    """Aware UTC: SQLite keeps only the digits, so they must be UTC's (naive input is taken as UTC)."""
    if value is None:
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def public_base(request: Request, svc: Services) -> str:
    # VOICE_PUBLIC_URL when set (behind a proxy); else the address the researcher reached us on.
    return (svc.settings.public_url or str(request.base_url)).rstrip("/")


def link_kind(link: Link) -> str:
    if link.label == TEST_LABEL:
        return "test"
    return "personal" if link.context else "shared"


def link_json(link: Link, request: Request, svc: Services) -> dict[str, Any]:
    return {
        "id": link.id, "study_id": link.study_id, "token": link.token,
        "url": f"{public_base(request, svc)}/i/{link.token}", "label": link.label, "kind": link_kind(link),
        "context": link.context or {}, "status": link.status,
        "state": Store.link_state(link), "uses": link.uses, "max_uses": link.max_uses,
        "expires_at": iso(link.expires_at), "created_at": iso(link.created_at),
    }


def respondent_row(name: str, email: str, external_id: str, extra: dict[str, Any]) -> dict[str, Any]:
    """A link row from a respondent's fields. The external id is marked private: the moderator may not say it
    (email always is); every other column is context the guide can use as {column}."""
    context: dict[str, Any] = {k: v for k, v in extra.items() if v not in (None, "")}
    for key, value in (("name", name), ("email", email), ("external_id", external_id)):
        if value.strip():
            context[key] = value.strip()
    if "external_id" in context:
        marked = context.get("private") or []
        marked = [k.strip() for k in marked.split(",")] if isinstance(marked, str) else list(marked)
        context["private"] = sorted({*marked, "external_id"} - {""})
    label = context.get("name") or context.get("email") or context.get("external_id") or ""
    return {"label": str(label), "context": context}


@router.get("/studies/{study_id}/links")
async def list_links(study_id: RowId, request: Request, format: str = Query(default="json", pattern="^(json|csv)$"),
                     svc: Services = Depends(services)) -> Any:
    links = [link_json(x, request, svc) for x in await asyncio.to_thread(svc.store.list_links, study_id)]
    if format == "json":
        return links
    # For a mail merge: one row per personal link, the respondent's columns, then the URL.
    personal = [x for x in links if x["kind"] == "personal"]
    extra = sorted({k for x in personal for k in x["context"] if k not in ("name", "email", "external_id", "private")})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "email", "external_id", *extra, "state", "url"])
    for x in personal:
        ctx = x["context"]
        writer.writerow([ctx.get("name", ""), ctx.get("email", ""), ctx.get("external_id", ""),
                         *[ctx.get(k, "") for k in extra], x["state"], x["url"]])
    headers = {"Content-Disposition": f'attachment; filename="study-{study_id}-links.csv"'}
    return Response(out.getvalue(), media_type="text/csv", headers=headers)


@router.post("/studies/{study_id}/links", status_code=201)
async def create_link(study_id: RowId, body: LinkIn, request: Request,
                      svc: Services = Depends(services)) -> dict[str, Any]:
    await get_study(study_id, request, svc)
    row = respondent_row(body.name, body.email, body.external_id, body.context)
    row.update(max_uses=body.max_uses, expires_at=as_utc(body.expires_at))
    link = (await asyncio.to_thread(svc.store.add_links, study_id, [row]))[0]
    return link_json(link, request, svc)


def parse_respondents_csv(data: bytes) -> list[dict[str, Any]]:
    """Rows of a respondent CSV (UTF-8, optional BOM; comma, semicolon or tab separated) as link rows."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError("the CSV is not UTF-8 text") from exc
    first = text.splitlines()[0] if text.strip() else ""
    if not first:
        raise ValueError("the CSV is empty")
    delimiter = max(",;\t", key=first.count)  # Excel writes semicolons in many locales
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [re.sub(r"[\s-]+", "_", h.strip().lower()) for h in next(reader)]
    if not any(KNOWN_COLUMNS.get(h) for h in header):
        raise ValueError("the first row must name the columns; include at least one of name, email, external_id")
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            raise ValueError(f"row {number} has {len(cells)} cells but the header has {len(header)}")
        known = {"name": "", "email": "", "external_id": ""}
        extra: dict[str, Any] = {}
        for column, cell in zip(header, cells, strict=False):
            if column in KNOWN_COLUMNS:
                known[KNOWN_COLUMNS[column]] = cell
            elif column:
                extra[column] = cell.strip()
        rows.append(respondent_row(known["name"], known["email"], known["external_id"], extra))
        if len(rows) > MAX_CSV_ROWS:
            raise ValueError(f"at most {MAX_CSV_ROWS} respondents per upload")
    if not rows:
        raise ValueError("the CSV has a header but no respondents")
    return rows


@router.post("/studies/{study_id}/links/csv", status_code=201)
async def upload_links(study_id: RowId, request: Request, max_uses: int | None = Query(default=None, ge=1),
                       expires_at: datetime | None = None, svc: Services = Depends(services)) -> list[dict[str, Any]]:
    """The request body is the CSV file itself (text/csv), so no multipart parser is needed."""
    await get_study(study_id, request, svc)
    data = await request.body()
    if len(data) > MAX_CSV_BYTES:
        raise HTTPException(status_code=413, detail=f"the CSV is larger than {MAX_CSV_BYTES >> 20} MiB")
    try:
        rows = parse_respondents_csv(data)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    for row in rows:
        row.update(max_uses=max_uses, expires_at=as_utc(expires_at))
    links = await asyncio.to_thread(svc.store.add_links, study_id, rows)
    return [link_json(x, request, svc) for x in links]


@router.patch("/links/{link_id}")
async def update_link(link_id: RowId, body: LinkPatch, request: Request,
                      svc: Services = Depends(services)) -> dict[str, Any]:
    """Pause, resume or revoke a link, or change its limits; a field sent as null clears a limit."""
    changes = {k: getattr(body, k) for k in body.model_fields_set}
    if "status" in changes and changes["status"] is None:
        raise HTTPException(status_code=422, detail="status cannot be null")
    if "expires_at" in changes:
        changes["expires_at"] = as_utc(changes["expires_at"])
    current = await asyncio.to_thread(svc.store.get_link_by_id, link_id)
    if current is None:
        raise HTTPException(status_code=404, detail=f"no link {link_id}")
    if current.status == "revoked" and changes.get("status", "revoked") != "revoked":
        # Revoked is final: respondents were told the link is withdrawn; a new link is the way back.
        raise HTTPException(status_code=409, detail="a revoked link cannot be reactivated; create a new one")
    link = await asyncio.to_thread(svc.store.update_link, link_id, **changes)
    return link_json(link, request, svc)


# -- interviews ------------------------------------------------------------------------


@router.get("/studies/{study_id}/interviews")
async def study_interviews(study_id: RowId, svc: Services = Depends(services)) -> list[dict[str, Any]]:
    """Newest first: who (from the link's context), how long, how many answers, and quality when scored."""

    def load() -> list[dict[str, Any]]:
        rows = list(reversed(svc.store.list_interviews(study_id)))
        labels = {x.id: x.label for x in svc.store.list_links(study_id)}
        answers = svc.store.respondent_turn_counts([i.id for i in rows])
        return [
            {"id": i.id, "status": i.status, "channel": i.channel, "started_at": iso(i.started_at),
             "ended_at": iso(i.ended_at), "duration_s": round(i.duration_s, 1),
             "respondent": next((str(ctx[k]) for k in ("name", "email", "external_id") if ctx.get(k)), ""),
             "link_label": labels.get(i.link_id, ""), "answers": answers.get(i.id, 0),
             # The analysis' 1-5 score, stored when an interview ends; None until then (or if it failed).
             "quality": None if i.quality is None else round(i.quality, 2)}
            for i in rows
            for ctx in [i.context or {}]
        ]

    return await asyncio.to_thread(load)
