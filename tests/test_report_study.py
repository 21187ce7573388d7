"""The study report on a synthetic study with planted themes, planted low-quality interviews and known answers."""

from __future__ import annotations

import re
import statistics
import unicodedata

import pytest

from moderator.report import analyze_interview, build_study_report, report_to_markdown
from moderator.report.fields import ICP_FIELDS
from moderator.report.models import StudyReport
from moderator.report.quotes import iter_quotes
from moderator.transcript import TranscriptDoc
from tests.report_data import SEGMENTS, Study, plain_report, standard_study


@pytest.fixture(scope="module")
def study() -> Study:
    return standard_study()


@pytest.fixture(scope="module")
def report() -> StudyReport:
    return plain_report()


def _norm(text: str) -> str:
    """The test's own normalisation: NFKC, lower case, letters and digits only, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "").replace("'", "")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def assert_all_quotes_verbatim(report: StudyReport, docs: list[TranscriptDoc]) -> int:
    turns = {(d.interview_id, t.id): t for d in docs for t in d.turns}
    count = 0
    for _, _, quote in iter_quotes(report):
        turn = turns[(quote.interview_id, quote.turn_id)]
        assert turn.speaker == "respondent"
        assert turn.text[quote.char_start : quote.char_end] == quote.text
        assert _norm(quote.text) in _norm(turn.text)
        assert (quote.start_s, quote.end_s) == (turn.start_s, turn.end_s)
        count += 1
    return count


def test_planted_themes_found_with_interview_counts(report: StudyReport, study: Study) -> None:
    for name, planted in study.planted.items():
        best = max(report.themes,
                   key=lambda t: len(planted & set(t.interview_ids)) / len(planted | set(t.interview_ids)))
        overlap = len(planted & set(best.interview_ids)) / len(planted | set(best.interview_ids))
        assert overlap >= 0.8, (name, best.name, best.interview_count, len(planted))
        assert abs(best.interview_count - len(planted)) <= 1, (name, best.interview_count, len(planted))
        assert best.share == pytest.approx(best.interview_count / report.n_included, abs=1e-4)
        # Its quotes are the planted sentences, each from a different interview.
        assert sum(q.text in study.sentences[name] for q in best.quotes) >= len(best.quotes) - 1
        assert len({q.interview_id for q in best.quotes}) == len(best.quotes)
        assert best.name and best.description and best.named_by == "key_phrases"


def test_low_quality_interviews_are_kept_but_left_out(report: StudyReport, study: Study) -> None:
    assert {e.interview_id for e in report.excluded} == study.low_quality
    assert report.n_interviews == len(study.docs) and report.n_included == len(study.docs) - len(study.low_quality)
    for exclusion in report.excluded:
        assert exclusion.score < 3.0 and "below the threshold 3" in exclusion.reason
    analyses = {a.interview_id: a for a in report.interviews}
    assert len(analyses) == len(study.docs)  # kept, with their analysis
    for iid, analysis in analyses.items():
        assert analysis.included == (iid not in study.low_quality)
        assert 1.0 <= analysis.quality.score <= 5.0
        names = {p.name for p in analysis.quality.parts}
        assert names == {"relevance", "depth", "coverage", "completion", "asr_confidence"}
        for part in analysis.quality.parts:
            assert 0 <= part.value <= 1 and part.score == pytest.approx(1 + 4 * part.value, abs=0.01) and part.detail
        if iid not in study.low_quality:
            assert analysis.quality.score >= 3.5
    for theme in report.themes:
        assert not set(theme.interview_ids) & study.low_quality
    md = report_to_markdown(report)
    assert f"{report.n_included} of {report.n_interviews} interviews included" in md
    assert "## Left out" in md and all(e.interview_id in md for e in report.excluded)


def test_threshold_is_configurable(study: Study) -> None:
    docs = study.docs[:6] + [d for d in study.docs if d.interview_id in study.low_quality]
    lenient = build_study_report(study.guide, docs, quality_threshold=1.0)
    assert lenient.excluded == [] and lenient.n_included == len(docs)
    strict = build_study_report(study.guide, docs, quality_threshold=5.0)
    assert strict.n_included == 0 and len(strict.excluded) == len(docs)
    assert all(f.status == "not enough evidence" for f in strict.icp) and strict.themes == []


def test_every_quote_is_verbatim(report: StudyReport, study: Study) -> None:
    assert assert_all_quotes_verbatim(report, study.docs) > 50


def test_structured_statistics_are_exact(report: StudyReport, study: Study) -> None:
    plans = [study.plan[d.interview_id] for d in study.included]
    by_id = {q.question_id: q for q in report.questions}
    assert set(by_id) == {"consent", "pain_scale", "crm", "channels", "priorities", "budget"}

    scale = [p["pain_scale"].value for p in plans if p["pain_scale"].value is not None]
    s = by_id["pain_scale"]
    assert s.n_answers == len(scale) and s.n_missing == len(plans) - len(scale)
    assert s.mean == pytest.approx(statistics.fmean(scale), abs=1e-4)
    assert s.median == statistics.median(scale)
    assert (s.minimum, s.maximum) == (min(scale), max(scale))
    assert sum(b.count for b in s.histogram) == len(scale) and len(s.histogram) == 10
    unconfirmed = [p for p in plans if p["pain_scale"].value is not None and not p["pain_scale"].confident]
    assert s.n_unconfirmed == len(unconfirmed) > 0

    crm = by_id["crm"]
    expected = {o: sum(1 for p in plans if p["crm"].value == o) for o in ["HubSpot", "Salesforce", "Pipedrive", "None"]}
    expected["other"] = sum(1 for p in plans if p["crm"].value == "other")
    assert {o.option: o.count for o in crm.options} == expected
    assert crm.n_answers == len(plans)
    assert {o.option: o.share for o in crm.options} == {k: round(v / len(plans), 4) for k, v in expected.items()}
    assert crm.other_texts == ["Zoho"] * expected["other"]

    channels = by_id["channels"]
    assert {o.option: o.count for o in channels.options} == {
        c: sum(1 for p in plans if c in p["channels"].value) for c in ["Email", "Slack", "Phone", "SMS"]
    }

    # Borda, computed independently: position i of a ranking over m = 4 options scores 3 - i.
    borda = {o: 0 for o in ["Price", "Ease of use", "Integrations", "Support"]}
    for p in plans:
        for i, option in enumerate(p["priorities"].value):
            borda[option] += 3 - i
    ranking = by_id["priorities"].ranking
    assert {r.option: r.borda for r in ranking} == borda
    assert [r.option for r in ranking] == sorted(borda, key=lambda o: -borda[o])
    assert by_id["priorities"].n_answers == len(plans)

    budget = [p["budget"].value for p in plans if p["budget"].value is not None]
    b = by_id["budget"]
    assert (b.yes, b.no, b.n_answers) == (budget.count(True), budget.count(False), len(budget))
    assert b.yes_share == round(budget.count(True) / len(budget), 4)


def test_borda_and_choice_counts_on_a_hand_worked_example(study: Study) -> None:
    docs = []
    template = study.docs[0]
    rankings = [["Price", "Support"], ["Support", "Price", "Ease of use", "Integrations"], ["Integrations"]]
    for i, ranking in enumerate(rankings):
        answers = {"priorities": template.answers["priorities"].model_copy(update={"value": ranking}),
                   "pain_scale": template.answers["pain_scale"].model_copy(update={"value": [2, 7, 7.5][i]})}
        docs.append(template.model_copy(update={"interview_id": f"h{i}", "answers": answers}))
    from moderator.report.stats import question_stats

    stats = {s.question_id: s for s in question_stats(study.guide, docs)}
    # Price: 3 + 2 = 5; Support: 2 + 3 = 5; Ease of use: 1; Integrations: 0 + 3 = 3. Ties keep guide order.
    assert [(r.option, r.borda, r.first_place) for r in stats["priorities"].ranking] == [
        ("Price", 5, 1), ("Support", 5, 1), ("Integrations", 3, 1), ("Ease of use", 1, 0)]
    assert stats["pain_scale"].mean == pytest.approx(5.5) and stats["pain_scale"].median == 7
    assert [b.count for b in stats["pain_scale"].histogram if b.count] == [1, 2]  # 2 | 7 and 7.5


def test_icp_one_pager_has_the_twelve_fields(report: StudyReport, study: Study) -> None:
    assert [f.key for f in report.icp] == [f.key for f in ICP_FIELDS]
    fields = {f.key: f for f in report.icp}
    n = report.n_included
    expectations = {"trigger_event": "audit", "current_alternative": "sheets", "primary_pain": "data_entry",
                    "success_criteria": "time_to_fill", "disqualifiers": "integration"}
    for key, theme in expectations.items():
        field = fields[key]
        planted = study.planted[theme]
        assert field.status == "filled" and "quotes" in field.sources, key
        assert abs(field.interview_count - len(planted)) <= 2, (key, field.interview_count, len(planted))
        assert field.share == pytest.approx(field.interview_count / n, abs=1e-4)
        assert field.quotes and all(q.interview_id in planted for q in field.quotes), key
    assert fields["industry"].status == "filled" and "staffing" in fields["industry"].value
    assert fields["company_size"].context_values  # the links carried company_size
    assert any(f.status == "not enough evidence" for f in report.icp)
    md = report_to_markdown(report)
    assert md.count("not enough evidence") >= 1
    for field in report.icp:
        assert field.label in md


def test_segments_and_worst_fit_disqualifying_signals(report: StudyReport, study: Study) -> None:
    assert report.segment_by == "company_size"
    assert {s.value for s in report.segments} == set(SEGMENTS)
    assert all(s.n_interviews == 12 for s in report.segments)
    assert report.worst_fit_segment == "1-10"
    fits = {s.value: s.fit for s in report.segments}
    assert fits["1-10"] < min(fits["11-200"], fits["201-1000"])
    # The small companies' price objection is the planted disqualifier.
    price = study.planted["price"]
    signal = next(s for s in report.disqualifying_signals if s.quotes and all(q.text in study.sentences["price"]
                                                                              for q in s.quotes))
    assert abs(signal.interview_count - len(price)) <= 1 and signal.share_elsewhere == 0
    small = {d.interview_id for d in study.included if d.context["company_size"] == "1-10"}
    for s in report.disqualifying_signals:
        assert all(q.interview_id in small for q in s.quotes)
    md = report_to_markdown(report)
    assert "Disqualifying signals in the worst-fit segment: 1-10" in md


def test_without_a_model_the_whole_report_is_produced(report: StudyReport) -> None:
    assert report.llm_model is None
    assert report.themes and report.questions and len(report.icp) == 12 and report.segments
    assert all(a.summary and a.summary_method == "extractive" for a in report.interviews)
    assert all(t.named_by == "key_phrases" for t in report.themes)
    assert all(f.filled_by in ("extractive", "none") for f in report.icp)


def test_analyze_interview_alone_matches_the_study(report: StudyReport, study: Study) -> None:
    doc = study.docs[4]
    alone = analyze_interview(study.guide, doc)
    in_study = next(a for a in report.interviews if a.interview_id == doc.interview_id)
    assert alone.quality == in_study.quality and alone.summary == in_study.summary
    views = {v.question_id: v for v in alone.answers}
    assert views["pain_scale"].value == doc.answers["pain_scale"].value and views["pain_scale"].source == "ledger"
    assert views["role"].type == "open_ended" and views["role"].text.startswith(("I", "Um", "Good", "Hmm", "Right"))


def test_answers_missing_from_the_ledger_are_parsed_from_the_transcript(study: Study) -> None:
    doc = study.docs[1].model_copy(update={"answers": {}})
    views = {v.question_id: v for v in analyze_interview(study.guide, doc).answers}
    assert views["crm"].source == "transcript" and views["crm"].value == study.plan[doc.interview_id]["crm"].value
    assert views["budget"].value is study.plan[doc.interview_id]["budget"].value
