"""Text mode, and reconnects that resume the same interview with nothing lost and nothing asked twice."""

import asyncio
import json

import httpx
import websockets

from tests.conftest import fixture_audio, keywords_in
from tests.peer import START, Peer, connect, heard_interview, joined, rejected, wait_for_status

TYPED = [
    "Yes, go ahead.",
    "I lead operations at a staffing agency with about 300 people.",
    "We failed an audit last spring and the board asked for a proper system.",
    "We use spreadsheets and an old applicant tracking system; moving would take a quarter.",
    "Recruiters retype the same data into three tools every day.",
    "Time to fill a shift, which we want down by a third within six months.",
    "No, that covers it.",
]


async def test_a_whole_interview_by_text(live_server):
    async with joined(live_server.socket()) as peer:
        ws = peer.ws
        for typed in TYPED:
            await peer.question_played()
            await ws.send(json.dumps({"type": "text", "text": typed}))
            heard = await peer.next_event("transcript")
            assert (heard["text"], heard["mode"]) == (typed, "text")
        assert (await peer.next_event("question"))["kind"] == "end"
        assert (await peer.next_event("ended"))["status"] == "completed"
    interview_id = heard_interview(peer)
    async with httpx.AsyncClient(base_url=live_server.base_url) as http:
        doc = (await http.get(f"/api/interviews/{interview_id}/transcript")).json()
    said = [t for t in doc["turns"] if t["speaker"] == "respondent"]
    assert [t["text"] for t in said] == TYPED
    assert all(t["mode"] == "text" for t in said)
    assert doc["answers"]["consent"]["value"] is True  # the yes/no question's parsed value


async def test_switching_between_voice_and_text(live_server):
    async with joined(live_server.socket()) as peer:
        ws = peer.ws
        await peer.question_played()
        await ws.send(json.dumps({"type": "text", "text": "Yes, that is fine."}))
        assert (await peer.next_event("transcript"))["mode"] == "text"
        await peer.question_played()
        await peer.speak(fixture_audio("role.wav"))
        spoken = await peer.next_event("transcript")
        assert spoken["mode"] == "voice" and "staffing" in spoken["text"].lower()
        await ws.send(json.dumps({"type": "text", "text": "   "}))
        assert (await peer.next_event("error"))["code"] == "bad_message"


async def test_a_dropped_connection_resumes_where_it_was(live_server):
    store = live_server.store
    peer = await connect(live_server.socket())
    ws = peer.ws
    await peer.question_played()
    await peer.speak(fixture_audio("consent.wav"))
    await peer.next_event("transcript")
    role_q = await peer.question_played()
    assert role_q["id"] == "role"
    ws.transport.abort()  # the network drops
    interview_id = heard_interview(peer)
    await wait_for_status(store, interview_id)
    before = store.get_interview(interview_id).duration_s

    async with joined(live_server.socket(), resume=interview_id) as again:
        ready = again.ready
        assert ready["interview_id"] == interview_id and ready["resumed"] is True
        repeated = await again.question_played()
        assert (repeated["id"], repeated["repeat"]) == ("role", True)
        await again.speak(fixture_audio("role.wav"))
        heard = await again.next_event("transcript")
        assert not keywords_in(heard["text"], ["staffing"])
        assert heard["start_s"] > before  # the recording continued; the times did not restart
        assert (await again.next_event("question"))["id"] == "trigger"

    await wait_for_status(store, interview_id)
    turns = store.turns(interview_id)
    asked = [t.question_id for t in turns if t.speaker == "moderator"]
    assert asked == ["consent", "role", "trigger"]  # nothing asked twice in the transcript
    assert [t.question_id for t in turns if t.speaker == "respondent"] == ["consent", "role"]
    assert [t.seq for t in turns] == list(range(len(turns)))


async def test_a_reconnect_takes_over_a_connection_that_has_not_noticed_the_drop(live_server):
    first = await connect(live_server.socket())
    old = first.ws
    await first.question_played()
    interview_id = heard_interview(first)
    async with joined(live_server.socket(), resume=interview_id) as again:
        assert again.ready["resumed"] is True
        assert (await again.question_played())["id"] == "consent"
        # The stale connection was closed by the server.
        closed = False
        try:
            while True:
                await asyncio.wait_for(first.next_event(), 10)
        except websockets.ConnectionClosed:
            closed = True
        assert closed
    await old.close()


async def test_resume_is_refused_for_finished_or_foreign_interviews(live_server):
    store = live_server.store
    other_study = store.create_study("other", store.get_study(1).guide_yaml)
    other_token = store.create_link(other_study)
    async with joined(live_server.socket(other_token)) as peer:
        foreign_id = peer.ready["interview_id"]
    event, code = await rejected(live_server.socket(), json.dumps({**START, "resume": foreign_id}))
    assert (event["code"], code) == ("cannot_resume", 1008)
    event, code = await rejected(live_server.socket(), json.dumps({**START, "resume": "f" * 32}))
    assert event["code"] == "cannot_resume"


async def test_concurrent_resumes_leave_one_live_connection_and_no_duplicates(live_server):
    store = live_server.store
    peer = await connect(live_server.socket())
    ws = peer.ws
    interview_id = peer.ready["interview_id"]
    await peer.question_played()
    ws.transport.abort()
    await wait_for_status(store, interview_id)

    sockets = await asyncio.gather(*(websockets.connect(live_server.socket()) for _ in range(3)))
    await asyncio.gather(*(s.send(json.dumps({**START, "resume": interview_id})) for s in sockets))
    peers = [Peer(s) for s in sockets]

    async def drain(p: Peer) -> None:  # read until the server closes this one, or it stays quiet and live
        try:
            while True:
                await p.next_event(timeout=8)
        except (websockets.ConnectionClosed, TimeoutError):
            pass

    await asyncio.gather(*(drain(p) for p in peers))
    # The resumes queued up; each took over from the one before. Exactly one connection is left.
    live = [p for p in peers if not any(e.get("code") == "superseded" for e in p.events)]
    assert len(live) == 1
    live = live[0]
    await live.ws.send(json.dumps({"type": "playback_done", "seq": None}))
    await live.ws.send(json.dumps({"type": "text", "text": "Yes, that is fine."}))
    assert (await live.next_event("transcript"))["question_id"] == "consent"
    assert (await live.next_event("question"))["id"] == "role"
    superseded = [p for p in peers if p is not live]
    assert all(any(e.get("code") == "superseded" for e in p.events) for p in superseded)
    for s in sockets:
        await s.close()
    await wait_for_status(store, interview_id)
    turns = store.turns(interview_id)
    assert [t.seq for t in turns] == list(range(len(turns)))
    assert [(t.speaker, t.question_id) for t in turns] == [
        ("moderator", "consent"), ("respondent", "consent"), ("moderator", "role"),
    ]


async def test_control_characters_are_not_an_answer(live_server):
    async with joined(live_server.socket()) as peer:
        await peer.question_played()
        await peer.ws.send(json.dumps({"type": "text", "text": "\u0000\u0001\u0007\u001b\u007f\u200b\u2028"}))
        error = await peer.next_event("error")
        assert (error["code"], error["fatal"]) == ("bad_message", False)
        await peer.ws.send(json.dumps({"type": "text", "text": "Yes\u0000, fine\u001b[0m"}))
        assert (await peer.next_event("transcript"))["text"] == "Yes , fine [0m"
        await peer.ws.send(json.dumps({"type": "text", "text": "x" * 5001}))
        assert (await peer.next_event("error"))["code"] == "bad_message"


async def test_a_client_that_goes_silent_is_closed(live_server):
    live_server.services.settings.idle_timeout_s = 1.0
    async with joined(live_server.socket()) as peer:
        await peer.question_played()
        event = await peer.next_event("error", timeout=10)
        assert (event["code"], event["fatal"]) == ("idle", True)
    interview = await wait_for_status(live_server.store, peer.ready["interview_id"])
    assert interview.status == "interrupted"


async def test_a_long_monologue_is_kept_whole_in_pieces(live_server):
    live_server.services.settings.vad_max_turn_s = 3.0  # role.wav speaks for about 5 s
    async with joined(live_server.socket()) as peer:
        await peer.question_played()
        await peer.speak(fixture_audio("role.wav"))
        first = await peer.next_event("transcript")
        second = await peer.next_event("transcript")
        assert first["question_id"] == second["question_id"] == "consent"
        assert second["start_s"] >= first["end_s"]
        joined_text = f"{first['text']} {second['text']}".lower()
        assert "operation" in joined_text and "staffing" in joined_text
        await peer.next_event("question")  # the moderator moves on only after the whole answer
    turns = live_server.store.turns(peer.ready["interview_id"])
    said = [t for t in turns if t.speaker == "respondent"]
    assert [t.complete for t in said] == [False, True]
