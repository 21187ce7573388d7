"""The FastAPI application: respondent websocket, health, researcher API."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, WebSocket
from fastapi.responses import JSONResponse

from moderator.guide import GuideError, parse_guide
from voice_server import admin_api, api, pages
from voice_server.config import Settings
from voice_server.protocol import ErrorEvent
from voice_server.services import Services
from voice_server.session import InterviewSession
from voice_server.storage import Store
from voice_server.transports.base import ProtocolError
from voice_server.transports.browser import BrowserTransport

log = logging.getLogger(__name__)

# How long a reconnect waits for the connection it replaces to finish (it may be transcribing a last turn).
TAKEOVER_WAIT_S = 120

# Close codes: 1008 (policy violation) for a bad start or an unknown link, as RFC 6455 suggests.
CLOSE_POLICY = 1008
# What a respondent is told when a researcher's link limits stop a call (error code link_<state>).
LINK_REFUSALS = {
    "paused": "this interview link is paused for now; please try again later",
    "revoked": "this interview link has been withdrawn by the research team",
    "expired": "this interview link has expired",
    "used_up": "this interview link has already been used",
}


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
    app.include_router(admin_api.router)
    pages.install(app)  # the call page at /i/{token}, the dashboard at /admin, their static files

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

    @app.websocket("/ws/interview/{token}")
    async def interview_socket(ws: WebSocket, token: str) -> None:
        svc: Services = app.state.services
        await ws.accept()
        transport = BrowserTransport(ws)
        # Read `start` before judging the link: a client that sends it at once then always sees our error,
        # rather than a connection closed under its own first message.
        try:
            start = await transport.handshake()
        except ProtocolError as exc:
            await _reject(transport, exc.code, exc.message)
            return
        link = await asyncio.to_thread(svc.store.get_link, token)
        study = await asyncio.to_thread(svc.store.get_study, link.study_id) if link else None
        if link is None or study is None:
            await _reject(transport, "unknown_link", "this interview link does not exist")
            return
        state = Store.link_state(link)
        if state in ("paused", "revoked", "expired"):  # a used-up link may still resume; checked after start
            await _reject(transport, f"link_{state}", LINK_REFUSALS[state])
            return
        try:
            guide = parse_guide(study.guide_yaml, source=f"study {study.id}")
        except GuideError as exc:
            log.error("study %s has an invalid guide: %s", study.id, exc)
            await _reject(transport, "study_unavailable", "this study cannot run right now")
            return
        session = InterviewSession(svc, transport, link, guide, study.name)
        resume = None
        if start.resume:
            # One live connection per interview: concurrent resumes queue here, and each takes over from the
            # one before it only once that one has stored everything and let go.
            async with svc.takeover_lock(start.resume):
                resume = await asyncio.to_thread(svc.store.get_interview, start.resume)
                if resume is None or resume.link_id != link.id or resume.status in ("completed", "declined"):
                    await _reject(transport, "cannot_resume", "that interview is over or does not belong to this link")
                    return
                old = svc.sessions.get(resume.id)
                if old is not None:  # the old connection may not have noticed the drop yet
                    old.supersede()
                    try:
                        await asyncio.wait_for(old.done.wait(), TAKEOVER_WAIT_S)
                    except TimeoutError:
                        await _reject(transport, "busy", "the interview is still being saved; try again shortly")
                        return
                svc.sessions[resume.id] = session
        elif not await asyncio.to_thread(svc.store.claim_link_use, link.id):  # counts a new interview
            await _reject(transport, "link_used_up", LINK_REFUSALS["used_up"])
            return
        svc.active_sessions += 1
        try:
            await session.run(resume=resume)
        finally:
            svc.active_sessions -= 1

    return app


async def _reject(transport: BrowserTransport, code: str, message: str) -> None:
    try:
        await transport.send_event(ErrorEvent(code=code, message=message, fatal=True))
    except Exception:
        pass
    await transport.close(CLOSE_POLICY, code)
