"""The FastAPI application: respondent websocket, health, researcher API."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, WebSocket
from fastapi.responses import HTMLResponse, JSONResponse

from moderator.guide import GuideError, parse_guide
from voice_server import api
from voice_server.config import Settings
from voice_server.protocol import ErrorEvent
from voice_server.services import Services
from voice_server.session import InterviewSession
from voice_server.transports.base import ProtocolError
from voice_server.transports.browser import BrowserTransport

log = logging.getLogger(__name__)

# Close codes: 1008 (policy violation) for a bad start or an unknown link, as RFC 6455 suggests.
CLOSE_POLICY = 1008


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """Build the app; pass `services` to share loaded engines (tests), else they load at start-up."""
    owned = services is None

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if app.state.services is None:
            app.state.services = await asyncio.to_thread(Services.build, settings or Settings.from_env())
        yield
        if owned:
            app.state.services.close()

    app = FastAPI(title="Voice interview service", version="0.1.0", lifespan=lifespan)
    app.state.services = services
    app.include_router(api.router)

    @app.get("/health")
    async def health() -> JSONResponse:
        svc: Services = app.state.services
        checks = {"model": False, "tts": False, "database": False}
        if svc is not None:
            checks["model"] = svc.asr is not None
            checks["tts"] = bool(getattr(svc.tts, "ready", True))
            try:
                checks["database"] = await asyncio.to_thread(svc.store.ping)
            except Exception:
                checks["database"] = False
        ok = all(checks.values())
        body = {"status": "ok" if ok else "degraded", **checks, "active_sessions": svc.active_sessions if svc else 0}
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.get("/i/{token}", response_class=HTMLResponse)
    async def respondent_page(token: str) -> str:
        # The browser call page arrives with the call-page issue; until then the link says how to join.
        return (
            "<!doctype html><meta charset=utf-8><title>Interview</title>"
            "<p>This is an interview link. The browser call page is not built yet; "
            "join with <code>voice-interview call URL</code> or the websocket protocol in docs/protocol.md.</p>"
        )

    @app.websocket("/ws/interview/{token}")
    async def interview_socket(ws: WebSocket, token: str) -> None:
        svc: Services = app.state.services
        await ws.accept()
        transport = BrowserTransport(ws)
        link = await asyncio.to_thread(svc.store.get_link, token)
        study = await asyncio.to_thread(svc.store.get_study, link.study_id) if link else None
        if link is None or link.status != "active" or study is None:
            await _reject(transport, "unknown_link", "this interview link does not exist or is no longer active")
            return
        try:
            guide = parse_guide(study.guide_yaml, source=f"study {study.id}")
        except GuideError as exc:
            log.error("study %s has an invalid guide: %s", study.id, exc)
            await _reject(transport, "study_unavailable", "this study cannot run right now")
            return
        try:
            await transport.handshake()
        except ProtocolError as exc:
            await _reject(transport, exc.code, exc.message)
            return
        svc.active_sessions += 1
        try:
            await InterviewSession(svc, transport, link, guide, study.name).run()
        finally:
            svc.active_sessions -= 1

    return app


async def _reject(transport: BrowserTransport, code: str, message: str) -> None:
    try:
        await transport.send_event(ErrorEvent(code=code, message=message, fatal=True))
    except Exception:
        pass
    await transport.close(CLOSE_POLICY, code)
