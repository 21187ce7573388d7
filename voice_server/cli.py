"""`voice-interview`: serve the service, call it as a simulated respondent, or run a demo."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import socket
import sys
from pathlib import Path

import httpx
import uvicorn

from moderator.guide import BUNDLED_GUIDES
from voice_server.config import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "audio_fixtures"
DEMO_GUIDE = "icp_validation"


def seed_demo(settings: Settings) -> str:
    """Create the demo study and a link on first start; return a respondent link token."""
    from voice_server.storage import Store

    store = Store(settings.db_url)
    studies = store.list_studies()
    if not studies:
        guide_yaml = (BUNDLED_GUIDES / f"{DEMO_GUIDE}.yaml").read_text()
        study_id = store.create_study("ICP validation (demo)", guide_yaml)
        return store.create_link(study_id, label="demo")
    token = store.first_link_token(studies[0].id)
    return token or store.create_link(studies[0].id, label="demo")


def admin_token(settings: Settings) -> str:
    """VOICE_ADMIN_TOKEN, or the token kept in the data dir, or a new one saved there (owner-only).
    Kept rather than made per start, so a dashboard bookmark and scripts keep working across restarts."""
    if settings.admin_token:
        return settings.admin_token
    path = settings.data_dir / "admin_token"
    if path.is_file() and path.read_text().strip():
        return path.read_text().strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    return token


def fixture_answers() -> list[Path]:
    manifest = json.loads((FIXTURES / "answers.json").read_text())
    return [FIXTURES / entry["file"] for entry in manifest]


def bound_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def cmd_serve(args: argparse.Namespace) -> int:
    from voice_server.app import create_app

    settings = Settings.from_env(host=args.host, port=args.port, data_dir=args.data_dir)
    settings = settings.model_copy(update={"admin_token": admin_token(settings)})
    token = seed_demo(settings)
    print(f"Server: {settings.base_url}", flush=True)
    print(f"Respondent link: {settings.base_url}/i/{token}", flush=True)
    # The token rides in the fragment, which browsers never send: it stays out of access logs.
    print(f"Dashboard: {settings.base_url}/admin#token={settings.admin_token}", flush=True)
    answers = " ".join(str(p.relative_to(REPO_ROOT)) for p in fixture_answers()) if FIXTURES.is_dir() else "A.wav ..."
    print(f"Try it: {Path(sys.executable).parent / 'voice-interview'} call {settings.base_url}/i/{token} "
          f"--answers {answers} --speed 4", flush=True)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info", ws_max_size=1 << 22)
    return 0


def cmd_call(args: argparse.Namespace) -> int:
    from voice_server.client import call

    result = asyncio.run(
        call(args.url, [Path(p) for p in args.answers], Path(args.out) if args.out else None, speed=args.speed,
             sample_rate=args.sample_rate)
    )
    return 0 if result.interview_id else 1


async def run_demo(out: Path, speed: float) -> int:
    from voice_server.app import create_app
    from voice_server.client import call

    settings = Settings.from_env(host="127.0.0.1", port=0, data_dir=out / "data")
    sock = bound_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    settings = settings.model_copy(update={"port": port})
    token = seed_demo(settings)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", ws_max_size=1 << 22))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if serving.done():
                return serving.result() or 1
            await asyncio.sleep(0.05)
        link = f"{settings.base_url}/i/{token}"
        print(f"Server: {settings.base_url}\nRespondent link: {link}", flush=True)
        result = await call(link, fixture_answers(), out, speed=speed)
        if not result.interview_id:
            print("the interview did not start", file=sys.stderr)
            return 1
        auth = {"Authorization": f"Bearer {settings.admin_token}"} if settings.admin_token else {}
        async with httpx.AsyncClient(base_url=settings.base_url, headers=auth) as http:
            for fmt in ("json", "txt"):
                resp = await http.get(f"/api/interviews/{result.interview_id}/transcript", params={"format": fmt})
                resp.raise_for_status()
                (out / f"transcript.{fmt}").write_text(resp.text)
        print(f"Wrote {out / 'transcript.json'} and {out / 'transcript.txt'}")
        return 0 if result.status == "completed" else 1
    finally:
        server.should_exit = True
        await serving


def cmd_demo(args: argparse.Namespace) -> int:
    return asyncio.run(run_demo(Path(args.out), args.speed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="voice-interview", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the service (seeds a demo study on first start)")
    serve.add_argument("--host", default=None, help="bind address (VOICE_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (VOICE_PORT, default 8000)")
    serve.add_argument("--data-dir", default=None, help="where the database and recordings live (VOICE_DATA_DIR)")
    serve.set_defaults(func=cmd_serve)

    callp = sub.add_parser("call", help="take an interview as a simulated respondent, speaking WAV files")
    callp.add_argument("url", help="a respondent link as `serve` prints it")
    callp.add_argument("--answers", nargs="+", required=True, help="WAV files, one per answer, in order")
    callp.add_argument("--out", default=None, help="folder for heard.json")
    callp.add_argument("--speed", type=float, default=1.0, help="stream and 'play' audio N times faster than real time")
    callp.add_argument("--sample-rate", type=int, default=16000, help="the rate this client declares and sends")
    callp.set_defaults(func=cmd_call)

    demo = sub.add_parser("demo", help="run a whole interview against an embedded server with the fixture answers")
    demo.add_argument("--out", required=True, help="folder for transcript.json, transcript.txt and heard.json")
    demo.add_argument("--speed", type=float, default=4.0, help="how much faster than real time the answers stream")
    demo.set_defaults(func=cmd_demo)

    from voice_server.cli_reports import add_commands

    add_commands(sub)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
