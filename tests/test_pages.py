"""The respondent call page in real headless Chromium against the live server: a whole interview by
voice through a fake microphone, one by typing, and one whose connection drops and resumes."""

from __future__ import annotations

import pytest

from tests.browser import DESKTOP, PHONE, DroppingProxy, chromium, microphone_file, screenshot, wait_until
from tests.conftest import fixture_audio, keywords_in

# Two questions keep the interviews short; no probes, so each answer moves on.
TINY_GUIDE = """\
id: browser_test
title: Browser test
methodology: open_exploration
target_minutes: 2
intro: Hi {name|there}, thanks for joining.
closing: Thank you, goodbye.
sections:
  - id: main
    questions:
      - id: consent
        type: yes_no
        text: Is it okay to record this?
        follow_up_depth: none
        end_on_no: true
      - id: role
        text: What is your role?
        follow_up_depth: none
"""


def new_study(live_server, context: dict | None = None) -> str:
    study_id = live_server.store.create_study("Browser study", TINY_GUIDE)
    return live_server.store.create_link(study_id, context=context or {})


def interview_of(live_server, token: str):
    link = live_server.store.get_link(token)
    rows = [i for i in live_server.store.list_interviews(link.study_id) if i.link_id == link.id]
    assert len(rows) == 1, rows
    return rows[0]


def said(live_server, interview_id: str) -> list:
    return [t for t in live_server.store.turns(interview_id) if t.speaker == "respondent"]


def consent_and_start(page, button: str) -> None:
    page.get_by_label("I agree to take part").check()
    page.get_by_role("button", name=button).click()


@pytest.fixture
def mic_answers(tmp_path):
    # Chromium starts the file when the page opens the microphone (the consent click) and loops it.
    # The lead-in outlasts the greeting and first question (~5 s here); each gap outlasts the 1.5 s
    # end-of-turn silence plus the next question, so every answer is heard whole, once, in its turn;
    # the tail outlasts the interview, so the loop never comes round.
    return microphone_file(tmp_path / "mic.wav", [
        8.0, fixture_audio("consent.wav"), 8.0, fixture_audio("role.wav"), 40.0,
    ])


def test_a_whole_interview_by_voice_with_a_fake_microphone(live_server, mic_answers):
    token = new_study(live_server, {"name": "Dana"})
    with chromium(mic_answers) as browser:
        page = browser.new_page(viewport=DESKTOP)
        page.goto(live_server.link(token))
        page.get_by_role("heading", name="Before we start").wait_for()
        assert "Hi Dana" in page.locator("#intro").inner_text()  # the intro, filled from the link's context
        screenshot(page, "call-consent-desktop")
        consent_and_start(page, "Start with microphone")
        page.locator('#status[data-state="listening"]').wait_for(timeout=20_000)
        assert page.locator("#text-form").is_hidden()  # the microphone opened: voice mode
        # While role.wav plays into the microphone: the level meter moves, the first answer is captioned.
        meter = page.locator("#meter-fill")
        wait_until(lambda: float(meter.evaluate("el => parseFloat(el.style.width) || 0")) > 15, 40, "the meter")
        screenshot(page, "call-voice-desktop")
        page.get_by_role("heading", name="Thank you").wait_for(timeout=45_000)
        log = page.locator("#log li").all_inner_texts()

    interview = interview_of(live_server, token)
    assert interview.status == "completed"
    answers = said(live_server, interview.id)
    assert [t.question_id for t in answers] == ["consent", "role"]
    assert all(t.mode == "voice" and t.confidence > 0 for t in answers)
    assert not keywords_in(answers[0].text, ["yes"]), answers[0].text  # from consent.wav
    assert not keywords_in(answers[1].text, ["operation", "staffing"]), answers[1].text  # from role.wav
    assert any("staffing" in line.lower() for line in log)  # the page showed what it was heard as
    assert interview.context == {"name": "Dana"}


def test_a_whole_interview_by_typing_when_the_microphone_is_denied(live_server):
    token = new_study(live_server)
    with chromium(grant_mic=False) as browser:
        page = browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
        page.goto(live_server.link(token))
        screenshot(page, "call-consent-phone")
        consent_and_start(page, "Start with microphone")
        page.get_by_text("microphone is blocked").wait_for()  # denied: the same interview goes on by typing
        answer = page.get_by_label("Your answer")
        assert answer.is_visible()
        page.locator("#caption", has_text="okay to record").wait_for()
        answer.fill("Yes, that's fine.")
        answer.press("Enter")  # keyboard only
        page.locator("#caption", has_text="your role").wait_for()
        answer.fill("I run support at a small software company.")
        screenshot(page, "call-text-phone")
        page.get_by_role("button", name="Send answer").click()
        page.get_by_role("heading", name="Thank you").wait_for(timeout=30_000)
        assert page.locator("#log .badge", has_text="typed").count() == 2  # typed turns are marked
        screenshot(page, "call-ended-phone")

    interview = interview_of(live_server, token)
    assert interview.status == "completed"
    answers = said(live_server, interview.id)
    assert [(t.text, t.mode) for t in answers] == [
        ("Yes, that's fine.", "text"), ("I run support at a small software company.", "text"),
    ]


def test_a_dropped_connection_and_a_reload_resume_the_same_interview(live_server):
    token = new_study(live_server)
    proxy = DroppingProxy(int(live_server.base_url.rsplit(":", 1)[1]))
    link = f"http://127.0.0.1:{proxy.port}/i/{token}"
    try:
        with chromium(grant_mic=False) as browser:
            page = browser.new_page(viewport=DESKTOP)
            page.goto(link)
            consent_and_start(page, "Start by typing")
            answer = page.get_by_label("Your answer")
            page.locator("#caption", has_text="okay to record").wait_for()
            answer.fill("Yes.")
            answer.press("Enter")
            page.locator("#caption", has_text="your role").wait_for()
            first = interview_of(live_server, token).id

            # The network drops, and stays down a moment: the page backs off, retries, and resumes.
            proxy.drop(refuse_for_s=1.5)
            page.locator('#status[data-state="reconnecting"]').wait_for()
            page.get_by_text("Reconnected").wait_for(timeout=20_000)
            assert proxy.refused >= 1  # it did retry while the network was down

            # A reload of the tab resumes too (the id is kept in sessionStorage), consent not asked again.
            wait_until(lambda: page.locator("#caption", has_text="your role").count(), what="repeated question")
            page.reload()
            page.get_by_role("button", name="Continue by typing").click()
            page.get_by_text("Reconnected").wait_for(timeout=20_000)
            page.locator("#caption", has_text="your role").wait_for()
            answer.fill("Head of research.")
            answer.press("Enter")
            page.get_by_role("heading", name="Thank you").wait_for(timeout=30_000)
            log = page.locator("#log li").all_inner_texts()
    finally:
        proxy.close()

    interview = interview_of(live_server, token)  # still one interview on the link
    assert interview.id == first and interview.status == "completed"
    turns = live_server.store.turns(interview.id)
    asked = [(t.kind, t.question_id) for t in turns if t.speaker == "moderator"]
    assert asked == [("ask", "consent"), ("ask", "role"), ("end", None)]  # nothing asked twice
    assert [t.text for t in turns if t.speaker == "respondent"] == ["Yes.", "Head of research."]
    assert sum("your role" in line for line in log) == 1  # nor on the page
    assert live_server.store.get_link(token).uses == 1  # resumes do not count as new interviews
