"""The report with a model: a stub OpenAI-compatible server on loopback that invents quotes, fails, or
gets a 45-minute interview through a small context."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator

import pytest

from moderator.llm import LLMConfig
from moderator.report import (
    analyze_interview,
    build_study_report,
    report_to_html,
    report_to_json,
    report_to_markdown,
    study_to_qdpx,
)
from moderator.report.llm_client import CHARS_PER_TOKEN
from moderator.report.models import StudyReport
from tests.fake_llm_server import FakeLLMServer
from tests.report_data import PLANTED_FACT, Study, long_interview, plain_report, standard_study
from tests.report_llm_stub import FABRICATED, ReportLLMServer, _tamper
from tests.test_report_study import assert_all_quotes_verbatim

CONTEXT = 2048


@pytest.fixture(scope="module")
def stub() -> Iterator[ReportLLMServer]:
    with ReportLLMServer() as server:
        yield server


@pytest.fixture(scope="module")
def study() -> Study:
    return standard_study()


@pytest.fixture(scope="module")
def llm_report(stub: ReportLLMServer, study: Study) -> StudyReport:
    config = LLMConfig(base_url=stub.base_url, model="stub-model")
    return build_study_report(study.guide, study.docs, llm=config, segment_by="company_size", context_tokens=CONTEXT)


def _everything(report: StudyReport, study: Study) -> str:
    with zipfile.ZipFile(__import__("io").BytesIO(study_to_qdpx(report, study.docs))) as zf:
        qde = zf.read("project.qde").decode()
    return "\n".join([report_to_markdown(report), report_to_html(report), report_to_json(report), qde])


def test_fabricated_quotes_from_the_model_never_appear(llm_report: StudyReport, study: Study,
                                                       stub: ReportLLMServer) -> None:
    assert stub.task_requests("name_theme") and stub.task_requests("icp_field")
    assert stub.task_requests("summarize_chunk")
    text = _everything(llm_report, study)
    for fake in FABRICATED:
        assert fake not in text
    assert_all_quotes_verbatim(llm_report, study.docs)
    # The near-miss (one word changed) of every quote the stub was shown is absent too.
    for theme in llm_report.themes:
        for quote in theme.quotes:
            assert _tamper(quote.text) not in text
    assert any("not found verbatim" in note for note in llm_report.notes)


def test_model_wording_is_used_but_counts_are_not(llm_report: StudyReport, study: Study) -> None:
    plain = plain_report()
    assert llm_report.llm_model == "stub-model"
    assert all(t.named_by == "llm" and t.name.startswith("Stub theme") for t in llm_report.themes)
    # Same clusters, same counts and shares, whatever the model said.
    assert [(t.interview_count, t.interview_ids) for t in llm_report.themes] == [
        (t.interview_count, t.interview_ids) for t in plain.themes]
    assert [f.status for f in llm_report.icp] == [f.status for f in plain.icp]
    filled = [f for f in llm_report.icp if f.status == "filled" and "quotes" in f.sources]
    assert filled and all(f.filled_by == "llm" and f.value.startswith("Stub value") for f in filled)
    assert [q.model_dump() for q in llm_report.questions] == [q.model_dump() for q in plain.questions]
    included = [a for a in llm_report.interviews if a.included]
    assert all(a.summary_method == "llm" and a.summary_points for a in included)
    for a in included:  # the real point survives, the invented one does not
        assert all("purple dashboard" not in p.text for p in a.summary_points)


def test_prompts_fit_the_context_and_respondent_data_is_quoted(stub: ReportLLMServer, llm_report: StudyReport) -> None:
    budget = (CONTEXT - CONTEXT // 3) * CHARS_PER_TOKEN
    for body in stub.requests:
        size = sum(len(m["content"]) for m in body["messages"])
        assert size <= budget
        assert body["model"] == "stub-model" and body.get("max_tokens")


def test_a_failing_model_still_gives_the_whole_report(study: Study) -> None:
    docs = study.docs[:9]
    with FakeLLMServer("http500") as server:
        report = build_study_report(study.guide, docs, llm=LLMConfig(base_url=server.base_url, model="m",
                                                                      max_retries=0), segment_by="plan")
        assert server.requests  # it was asked
    plain = build_study_report(study.guide, docs, segment_by="plan")
    assert [t.name for t in report.themes] == [t.name for t in plain.themes]
    assert all(a.summary_method == "extractive" for a in report.interviews)
    assert any("The model failed" in note for note in report.notes)
    assert_all_quotes_verbatim(report, docs)


def test_a_model_that_answers_prose_falls_back(study: Study) -> None:
    docs = study.docs[:6]
    with FakeLLMServer("script", replies=["Sure! Here is a summary without any JSON."]) as server:
        report = build_study_report(study.guide, docs, llm=LLMConfig(base_url=server.base_url, model="m"))
    assert report.themes == [] or all(t.named_by == "key_phrases" for t in report.themes)
    assert all(a.summary_method == "extractive" for a in report.interviews)


def test_45_minute_interview_keeps_its_first_answer(stub: ReportLLMServer) -> None:
    guide, doc = long_interview(45)
    assert doc.duration_s >= 45 * 60
    before = len(stub.requests)
    report = build_study_report(guide, [doc], llm=LLMConfig(base_url=stub.base_url, model="stub-model"),
                                context_tokens=CONTEXT, quality_threshold=1.0)
    requests = stub.requests[before:]
    chunks = [r for r in requests if "TASK: summarize_chunk" in r["messages"][0]["content"]]
    assert len(chunks) >= 5  # far more than one context's worth, so it was read in chunks
    seen = "\n".join(r["messages"][-1]["content"] for r in chunks)
    for turn in doc.turns:  # nothing was cut: every respondent turn reached the model
        if turn.speaker == "respondent":
            assert f"turn_id={turn.id} " in seen
    budget = (CONTEXT - CONTEXT // 3) * CHARS_PER_TOKEN
    assert all(sum(len(m["content"]) for m in r["messages"]) <= budget for r in requests)
    analysis = report.interviews[0]
    assert analysis.summary_method == "llm" and PLANTED_FACT in analysis.summary
    assert PLANTED_FACT in report_to_markdown(report) and PLANTED_FACT in report_to_html(report)


def test_45_minute_interview_without_a_model() -> None:
    guide, doc = long_interview(45)
    analysis = analyze_interview(guide, doc)
    assert analysis.summary_method == "extractive" and PLANTED_FACT in analysis.summary


def test_private_link_values_never_reach_the_model(study: Study) -> None:
    secret_email, secret_id = "dana.private@example.com", "CRM-778899"
    docs = []
    for doc in study.docs[:8]:
        turns = [t.model_copy(update={"text": f"{t.text} You can reach me at {secret_email} or as {secret_id}."})
                 if t.speaker == "respondent" and t.question_id == "role" else t for t in doc.turns]
        context = {**doc.context, "email": secret_email, "crm_id": secret_id, "private": "crm_id"}
        docs.append(doc.model_copy(update={"turns": turns, "context": context}))
    with ReportLLMServer() as server:
        report = build_study_report(study.guide, docs, llm=LLMConfig(base_url=server.base_url, model="m"),
                                    quality_threshold=1.0)
        sent = "\n".join(m["content"] for r in server.requests for m in r["messages"])
    assert server.requests and "[private]" in sent
    assert secret_email not in sent and secret_id not in sent
    assert all("email" not in a.context and "crm_id" not in a.context for a in report.interviews)


def test_progress_is_reported(study: Study) -> None:
    seen: list[tuple[int, int]] = []
    build_study_report(study.guide, study.docs[:5], progress=lambda done, total: seen.append((done, total)))
    assert seen[-1][0] == seen[-1][1] == 5 + 4
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) == 9
