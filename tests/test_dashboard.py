"""The researcher dashboard: its API (admin token, cookie sign-in, guides, links and their limits in the
websocket handshake, recordings with Range), and the pages in real headless Chromium."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.browser import DESKTOP, chromium, screenshot, wait_until
from tests.test_pages import TINY_GUIDE
from voice_server.admin_api import parse_respondents_csv
from voice_server.cli import admin_token
from voice_server.config import Settings

TOKEN = "dashboard-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
START = {"type": "start", "encoding": "pcm_s16le", "sample_rate": 16000, "channels": 1}
# The greeting names the respondent and their company, from the link's context.
GUIDE = TINY_GUIDE.replace("Hi {name|there}, thanks for joining.",
                           "Hi {name|there}, thanks for joining from {company|your company}.")
PEOPLE = [
    {"name": "Ada Lovelace", "email": "ada@example.com", "external_id": "crm-001", "company": "Analytical Engines"},
    {"name": "Grace Hopper", "email": "grace@example.com", "external_id": "crm-002", "company": "Cobol Works"},
    {"name": "Alan Turing", "email": "alan@example.com", "external_id": "crm-003", "company": "Bletchley Labs"},
]
CSV = "Name,Email,External ID,Company\n" + "".join(
    f"{p['name']},{p['email']},{p['external_id']},{p['company']}\n" for p in PEOPLE)


@pytest.fixture
def admin_server(live_server):
    """The live server with an admin token (read per request, so it can be set after start-up)."""
    svc = live_server.services
    svc.settings = svc.settings.model_copy(update={"admin_token": TOKEN})
    return live_server


class Call:
    """A plain protocol client over a sync websocket, for what the browser test does not type itself."""

    def __init__(self, url: str, **start) -> None:
        self.url, self.start = url, {**START, **start}

    def __enter__(self) -> Call:
        self.ws = connect(self.url, max_size=None).__enter__()
        try:
            self.ws.send(json.dumps(self.start))
        except ConnectionClosed:
            pass  # a refused link is closed before `start` is read; the error event is still there to read
        return self

    def __exit__(self, *exc) -> None:
        self.ws.__exit__(*exc)

    def next(self, kind: str, timeout: float = 30) -> dict:
        while True:
            msg = self.ws.recv(timeout)
            if isinstance(msg, str) and (event := json.loads(msg))["type"] == kind:
                return event

    def question(self) -> dict:
        q = self.next("question")
        self.ws.send(json.dumps({"type": "playback_done", "seq": self.next("audio_end")["seq"]}))
        return q

    def close_code(self) -> int:
        """Read until the server closes; its close code."""
        try:
            while True:
                self.ws.recv(10)
        except ConnectionClosed as exc:
            return exc.rcvd.code


def ws_url(server, url: str) -> str:
    return server.socket(url.rsplit("/", 1)[1])


# -- API -------------------------------------------------------------------------------------


def test_the_api_needs_the_token_and_the_dashboard_cookie_stands_in_for_it(admin_server):
    with httpx.Client(base_url=admin_server.base_url) as http:
        assert http.get("/api/overview").status_code == 401
        assert http.get("/api/overview", headers=AUTH).status_code == 200
        assert http.get("/admin/session").json() == {"token_required": True, "signed_in": False}
        assert http.post("/admin/login", json={"token": "wrong"}).status_code == 401
        assert http.post("/admin/login", json={"token": TOKEN}).status_code == 204
        assert http.get("/admin/session").json()["signed_in"] is True
        assert http.get("/api/overview").status_code == 200  # the cookie alone, for <audio> and downloads
        body = {"name": "Study", "guide_yaml": GUIDE}
        # A write needs the dashboard's header too: a cross-site form could send the cookie, not the header.
        assert http.post("/api/studies", json=body).status_code == 401
        made = http.post("/api/studies", json=body, headers={"X-Voice-Admin": "1"})
        assert made.status_code == 201 and made.json()["guide"]["questions"] == 2
        http.post("/admin/logout")
        assert http.get("/api/overview").status_code == 401


def test_guide_problems_name_the_field_and_the_line(admin_server):
    broken = GUIDE.replace("type: yes_no", "type: yes_noo")
    with httpx.Client(base_url=admin_server.base_url, headers=AUTH) as http:
        checked = http.post("/api/guides/check", json={"guide_yaml": broken}).json()
        refused = http.post("/api/studies", json={"name": "x", "guide_yaml": broken})
        templates = http.get("/api/templates").json()
        template = http.get(f"/api/templates/{templates[0]['name']}").json()
    assert checked["ok"] is False
    assert checked["problems"][0]["line"] == 11 and "sections.0.questions.0.type" in checked["problems"][0]["message"]
    assert refused.status_code == 422 and refused.json()["detail"]["problems"][0]["line"] == 11
    assert {"customer_discovery", "jobs_to_be_done", "open_exploration"} <= {t["name"] for t in templates}
    assert template["guide_yaml"].startswith("#") or "sections:" in template["guide_yaml"]


def test_respondent_csv_columns_become_context():
    rows = parse_respondents_csv(("\ufeffname;E-mail;external id;Segment\nDana;d@x.io;42;SMB\n;;;\n").encode())
    assert rows == [{"label": "Dana", "context": {
        "segment": "SMB", "name": "Dana", "email": "d@x.io", "external_id": "42", "private": ["external_id"]}}]
    for bad, words in [(b"", "empty"), (b"company\nAcme\n", "name, email, external_id"),
                       (b"name\n", "no respondents"), (b"name\na,b\n", "row 2")]:
        with pytest.raises(ValueError, match=words):
            parse_respondents_csv(bad)


def test_a_csv_upload_makes_links_and_they_download_for_a_mail_merge(admin_server):
    study_id = admin_server.store.create_study("Mail merge", GUIDE)
    with httpx.Client(base_url=admin_server.base_url, headers=AUTH) as http:
        made = http.post(f"/api/studies/{study_id}/links/csv", content=CSV, params={"max_uses": 1},
                         headers={"Content-Type": "text/csv"})
        bad = http.post(f"/api/studies/{study_id}/links/csv", content="company\nAcme\n")
        listed = http.get(f"/api/studies/{study_id}/links", params={"format": "csv"})
    assert made.status_code == 201 and [x["label"] for x in made.json()] == [p["name"] for p in PEOPLE]
    assert all(x["kind"] == "personal" and x["max_uses"] == 1 for x in made.json())
    assert bad.status_code == 400 and "name, email, external_id" in bad.json()["detail"]
    lines = listed.text.splitlines()
    assert lines[0] == "name,email,external_id,company,state,url"
    assert lines[1].startswith("Ada Lovelace,ada@example.com,crm-001,Analytical Engines,active,http://")


def test_link_limits_are_enforced_when_a_call_starts(admin_server):
    store, url = admin_server.store, admin_server.socket
    study_id = store.create_study("Limits", GUIDE)
    paused, revoked, expired, capped = (store.create_link(study_id) for _ in range(4))
    ids = {t: store.get_link(t).id for t in (paused, revoked, expired, capped)}
    with httpx.Client(base_url=admin_server.base_url, headers=AUTH) as http:
        assert http.patch(f"/api/links/{ids[paused]}", json={"status": "paused"}).json()["state"] == "paused"
        assert http.patch(f"/api/links/{ids[revoked]}", json={"status": "revoked"}).json()["state"] == "revoked"
        assert http.patch(f"/api/links/{ids[revoked]}", json={"status": "active"}).status_code == 409  # final
        past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        assert http.patch(f"/api/links/{ids[expired]}", json={"expires_at": past}).json()["state"] == "expired"
        assert http.patch(f"/api/links/{ids[capped]}", json={"max_uses": 1}).json()["max_uses"] == 1
        for token, code in [(paused, "link_paused"), (revoked, "link_revoked"), (expired, "link_expired")]:
            assert http.get(f"/i/{token}/info").json()["state"] == code.removeprefix("link_")
            with Call(url(token)) as call:
                assert (call.next("error")["code"], call.close_code()) == (code, 1008)

        with Call(url(capped)) as first:  # the one interview the cap allows
            interview_id = first.next("ready")["interview_id"]
            first.question()  # then dropped before answering
        wait_until(lambda: store.get_interview(interview_id).status == "interrupted", what="the drop")
        assert http.get(f"/i/{capped}/info").json()["state"] == "used_up"
        with Call(url(capped)) as again:
            assert (again.next("error")["code"], again.close_code()) == ("link_used_up", 1008)
        with Call(url(capped), resume=interview_id) as resumed:  # but the respondent can still finish theirs
            assert resumed.next("ready")["resumed"] is True
            assert resumed.question()["repeat"] is True
        # Paused again, a resume is refused too; resumed, it works.
        http.patch(f"/api/links/{ids[capped]}", json={"status": "paused"})
        with Call(url(capped), resume=interview_id) as refused:
            assert (refused.next("error")["code"], refused.close_code()) == ("link_paused", 1008)
        assert http.patch(f"/api/links/{ids[capped]}", json={"max_uses": None, "status": "active"}).json()["state"] \
            == "active"
    assert store.get_link(capped).uses == 1


def test_the_recording_serves_byte_ranges_so_the_player_can_seek(admin_server):
    with Call(admin_server.socket()) as call:
        interview_id = call.next("ready")["interview_id"]
        call.question()
    store = admin_server.store
    wait_until(lambda: store.get_interview(interview_id).status == "interrupted", what="the hang-up")
    with httpx.Client(base_url=admin_server.base_url, headers=AUTH) as http:
        whole = http.get(f"/api/interviews/{interview_id}/audio")
        part = http.get(f"/api/interviews/{interview_id}/audio", headers={"Range": "bytes=100-199"})
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    assert part.status_code == 206 and part.content == whole.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole.content)}"


def test_serve_makes_an_admin_token_once_and_keeps_it(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    token = admin_token(settings)
    assert len(token) >= 32 and admin_token(settings) == token  # kept across restarts
    path = tmp_path / "data" / "admin_token"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert admin_token(settings.model_copy(update={"admin_token": "from-env"})) == "from-env"


# -- in the browser ------------------------------------------------------------------------


def test_dashboard_study_from_a_guide_csv_links_and_a_live_interview(admin_server):
    base = admin_server.base_url
    with chromium(grant_mic=False) as browser:
        page = browser.new_page(viewport=DESKTOP)
        page.goto(f"{base}/admin")
        page.get_by_label("Admin token").fill("not-it")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("That token is not right").wait_for()
        page.get_by_label("Admin token").fill(TOKEN)
        page.get_by_label("Admin token").press("Enter")
        page.get_by_role("heading", name="Studies").wait_for()
        assert page.get_by_role("link", name="ICP test").is_visible()  # the fixture's study
        screenshot(page, "dashboard-studies")

        # A study from a template, edited: the parser's problems show by the line, then it saves.
        page.get_by_role("link", name="New study").first.click()
        page.get_by_label("Start from a methodology template").select_option("jobs_to_be_done")
        page.get_by_text("Valid guide").wait_for()
        editor = page.get_by_label("Interview guide (YAML)")
        assert "jobs_to_be_done" in editor.input_value()
        editor.fill(GUIDE.replace("type: yes_no", "type: yes_noo"))
        page.get_by_role("button", name="Line 11: sections.0.questions.0.type").wait_for()
        assert page.locator(".gutter .bad").all_inner_texts() == ["11"]
        page.get_by_label("Study name").fill("Support tooling interviews")
        screenshot(page, "dashboard-guide-error")
        editor.fill(GUIDE)
        page.get_by_text("Valid guide").wait_for()
        page.get_by_role("button", name="Create study").click()
        page.get_by_role("heading", name="Study link").wait_for()
        study_id = int(page.url.split("/study/")[1].split("/")[0])

        # Three respondents from a CSV: three personal links, each carrying its row as context.
        csv_file = {"name": "people.csv", "mimeType": "text/csv", "buffer": CSV.encode()}
        page.get_by_label("CSV file").set_input_files(files=[csv_file])
        page.get_by_role("button", name="Upload and create links").click()
        page.get_by_text("Created 3 personal links").wait_for()
        rows = page.locator("section[aria-labelledby=personal-title] tbody tr")
        assert rows.count() == 3
        urls = [r.locator("input.url").input_value() for r in rows.all()]
        assert [r.locator("td").first.inner_text() for r in rows.all()] == [p["name"] for p in PEOPLE]
        screenshot(page, "dashboard-links")
        for url, person in zip(urls, PEOPLE, strict=True):
            respondent = browser.new_page()
            respondent.goto(url)
            intro = f"Hi {person['name']}, thanks for joining from {person['company']}."
            respondent.get_by_text(intro).wait_for()  # the consent step greets them from their context
            respondent.close()

        # Each link works, and its context reaches the interview (the moderator says it, the row stores it).
        ids = []
        for url, person in zip(urls[1:], PEOPLE[1:], strict=True):
            with Call(ws_url(admin_server, url)) as call:
                ids.append(call.next("ready")["interview_id"])
                assert f"Hi {person['name']}, thanks for joining from {person['company']}" in call.question()["text"]
        with Call(ws_url(admin_server, urls[0])) as live:
            ids.insert(0, live.next("ready")["interview_id"])
            assert "Hi Ada Lovelace" in live.question()["text"]
            live.ws.send(json.dumps({"type": "text", "text": "Yes, go ahead."}))
            live.next("transcript")
            # The interview, live: the page polls the transcript and shows new turns as they are stored.
            page.goto(f"{base}/admin#/study/{study_id}/interviews")
            page.locator("tbody tr").nth(2).wait_for()
            page.locator("tr", has_text="Ada Lovelace").get_by_role("link").click()
            page.get_by_text("Live", exact=True).wait_for()
            live.question()
            live.ws.send(json.dumps({"type": "text", "text": "I run the support team."}))
            page.get_by_text("I run the support team.").wait_for(timeout=10_000)
            live.next("ended")
        page.locator(".meta .state-completed").wait_for(timeout=10_000)
        for interview_id, person in zip(ids, PEOPLE, strict=True):
            context = admin_server.store.get_interview(interview_id).context
            assert context == {**person, "private": ["external_id"]}

        # A click on a turn plays the recording from that turn (seeking needs the Range support above).
        turn = page.locator(".turns li.respondent button").last
        start_s = float(turn.get_attribute("data-start"))
        audio = page.locator("audio")
        wait_until(lambda: audio.evaluate("a => a.readyState") >= 1, what="the recording's metadata")
        turn.click()
        wait_until(lambda: abs(audio.evaluate("a => a.currentTime") - start_s) < 0.5 or
                   audio.evaluate("a => a.currentTime") > start_s, what="the seek")
        assert audio.evaluate("a => a.currentTime") >= start_s - 0.5
        audio.evaluate("a => a.pause()")
        assert page.get_by_role("link", name="Transcript CSV").get_attribute("href").endswith("format=csv")
        screenshot(page, "dashboard-interview")
        # Where a report quote links: the interview, its recording at the quote's moment.
        page.goto(f"{base}/admin#/interview/{ids[0]}?t={start_s}")
        wait_until(lambda: abs(page.locator("audio").evaluate("a => a.currentTime") - start_s) < 0.05, what="t=")

        # The list: statuses, answers, and quality when the report engine has scored one.
        page.get_by_role("link", name="Back to Support tooling interviews").click()
        page.locator("tr", has_text="Ada Lovelace").get_by_text("Completed").wait_for()
        assert page.locator("tbody tr").count() == 3
        screenshot(page, "dashboard-interviews")

        # The report tab links every format; the page is the report endpoint's own HTML.
        page.get_by_role("link", name="Report").click()
        formats = page.get_by_role("group", name="Download the report").get_by_role("link")
        formats.first.wait_for()
        hrefs = [a.get_attribute("href") for a in formats.all()]
        assert [h.split("format=")[1] for h in hrefs[:4]] == ["html", "md", "json", "qdpx"]
        report = page.frame_locator("iframe.report-frame")
        report.locator("body").get_by_text("Support tooling interviews").first.wait_for(timeout=30_000)
        screenshot(page, "dashboard-report")

        # Take the interview yourself: a test link opens the call page in a new tab.
        with page.expect_popup() as popup:
            page.get_by_role("button", name="Take the interview yourself").click()
        trial = popup.value
        trial.get_by_role("heading", name="Before we start").wait_for()
        assert "/i/" in trial.url


def test_ids_too_large_for_the_database_are_refused_cleanly(live_server):
    import httpx

    live_server.services.settings.admin_token = "t0ken"
    auth = {"Authorization": "Bearer t0ken", "X-Voice-Admin": "1"}
    huge = "99999999999999999999999"
    with httpx.Client(base_url=live_server.base_url, headers=auth) as http:
        for path in (f"/api/studies/{huge}", f"/api/studies/{huge}/links", f"/api/studies/{huge}/report",
                     f"/api/interviews?study_id={huge}", "/api/studies/9223372036854775808/interviews"):
            assert http.get(path).status_code == 422, path
        assert http.patch(f"/api/links/{huge}", json={"status": "paused"}).status_code == 422
        assert http.get("/health").status_code == 200
