"""Web pages: the respondent call page (/i/{token}) and the researcher dashboard (/admin).

Both are static files under voice_server/web (plain HTML, CSS and ES modules, no build step),
served with headers that keep the link token out of referrers. The dashboard calls the same
/api as scripts do. Browsers cannot put an Authorization header on an <audio> source, a
download link or an iframe, so signing in sets an HttpOnly cookie holding the admin token, and
`CookieAuth` turns that cookie into the `Authorization: Bearer` header api.researcher checks:
one check for every caller. It does so for GET/HEAD, and for other methods only when the
request carries `X-Voice-Admin: 1`, which a cross-site form cannot send (a CSRF guard on top
of the SameSite=Strict cookie).
"""

from __future__ import annotations

import asyncio
import hmac
from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from moderator.context import speakable
from moderator.guide import GuideError, parse_guide
from voice_server.services import Services
from voice_server.storage import Store

WEB = Path(__file__).parent / "web"
COOKIE = "voice_admin"
CSRF_HEADER = "x-voice-admin"
COOKIE_MAX_AGE = 30 * 24 * 3600

# Pages load only their own scripts; the socket is same-origin; recordings may be blob-played.
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Referrer-Policy": "no-referrer",  # the respondent link token is in the URL path
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self' ws: wss:; media-src 'self' blob:; img-src 'self' data:; "
        "frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'"
    ),
}

router = APIRouter(include_in_schema=False)


def _page(name: str) -> FileResponse:
    return FileResponse(WEB / name, media_type="text/html", headers=PAGE_HEADERS)


@router.get("/i/{token}")
async def call_page(token: str) -> FileResponse:
    # The page reads the token from its own URL; what the link allows comes from /info and the socket.
    return _page("call.html")


@router.get("/i/{token}/info")
async def link_info(token: str, request: Request) -> JSONResponse:
    """What the consent step shows: the study, its intro (filled from the link's context), the length,
    and whether a new interview can start on this link."""
    svc: Services = request.app.state.services
    link = await asyncio.to_thread(svc.store.get_link, token)
    study = await asyncio.to_thread(svc.store.get_study, link.study_id) if link else None
    if link is None or study is None:
        return JSONResponse({"state": "unknown"}, status_code=404, headers={"Cache-Control": "no-store"})
    try:
        guide = parse_guide(study.guide_yaml, source=f"study {study.id}")
    except GuideError:
        return JSONResponse({"state": "unavailable", "study": study.name}, headers={"Cache-Control": "no-store"})
    body = {
        "state": Store.link_state(link),
        "study": study.name,
        "intro": speakable(guide.intro, link.context) if guide.intro.strip() else "",
        "minutes": guide.target_minutes,
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/admin")
async def dashboard() -> FileResponse:
    return _page("admin.html")


class Login(BaseModel):
    token: str


def _same(given: str, token: str) -> bool:
    # Constant-time, and on bytes: compare_digest refuses non-ASCII str, which a typo may contain.
    return hmac.compare_digest(given.encode(), token.encode())


def _admin_token(request: Request) -> str | None:
    return request.app.state.services.settings.admin_token


@router.get("/admin/session")
async def admin_session(request: Request) -> dict:
    """Whether the dashboard needs a token, and whether this browser has signed in with the right one."""
    token = _admin_token(request)
    cookie = request.cookies.get(COOKIE, "")
    return {"token_required": bool(token), "signed_in": not token or _same(cookie, token)}


@router.post("/admin/login", status_code=204)
async def admin_login(body: Login, request: Request) -> Response:
    token = _admin_token(request)
    if token and not _same(body.token.strip(), token):
        raise HTTPException(status_code=401, detail="that is not the admin token")
    response = Response(status_code=204)
    if token:
        response.set_cookie(COOKIE, token, max_age=COOKIE_MAX_AGE, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/")
    return response


@router.post("/admin/logout", status_code=204)
async def admin_logout() -> Response:
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/")
    return response


class CookieAuth:
    """Pure ASGI (no response buffering, websockets untouched): adds the Authorization header from the
    dashboard cookie to /api requests that have none."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            headers: list[tuple[bytes, bytes]] = scope["headers"]
            names = {k for k, _ in headers}
            safe = scope["method"] in ("GET", "HEAD") or CSRF_HEADER.encode() in names
            if safe and b"authorization" not in names:
                raw = next((v for k, v in headers if k == b"cookie"), b"").decode("latin-1")
                token = cookie_parser(raw).get(COOKIE)
                if token:
                    scope = {**scope, "headers": [*headers, (b"authorization", f"Bearer {token}".encode("latin-1"))]}
        await self.app(scope, receive, send)


def install(app: FastAPI) -> None:
    """Add the pages, their static files and the cookie bridge to the app."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=WEB), name="static")
    app.add_middleware(CookieAuth)
