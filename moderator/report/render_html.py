"""The study report as one self-contained HTML page: inline CSS, inline SVG charts, no script, no external asset."""

from __future__ import annotations

from contextvars import ContextVar
from html import escape

from moderator.report.charts import BAR_ALT, column_chart, hbar_chart
from moderator.report.models import ICPField, QuestionStats, Quote, StudyReport
from moderator.report.render_md import cite, pct

_CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1a202c;max-width:1040px;margin:24px auto;
padding:0 16px;line-height:1.45}
h1{font-size:26px;margin-bottom:4px}h2{border-bottom:2px solid #e2e8f0;padding-bottom:4px;margin-top:36px}
h3{margin-bottom:6px}.meta{color:#4a5568}.card{border:1px solid #e2e8f0;border-radius:6px;padding:12px 16px;
margin:12px 0}blockquote{margin:6px 0 6px 0;padding:4px 12px;border-left:3px solid #2b6cb0;background:#f7fafc}
blockquote cite{display:block;font-size:12px;color:#4a5568;font-style:normal}table{border-collapse:collapse;
margin:8px 0}td,th{border:1px solid #e2e8f0;padding:4px 8px;text-align:left;font-size:14px}th{background:#f7fafc}
.muted{color:#718096}.pill{display:inline-block;background:#ebf4ff;border-radius:10px;padding:0 8px;font-size:12px;
margin-right:4px}.bad{color:#9b2c2c}.chart text{font-family:inherit;fill:#1a202c}
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


# A link pattern for each quote's moment in its recording, with {interview_id} and {start_s}; set per call
# of report_to_html (the dashboard links quotes to its player; a downloaded file links nowhere).
_QUOTE_LINK: ContextVar[str | None] = ContextVar("quote_link", default=None)


def _quote(q: Quote) -> str:
    source = _e(cite(q))
    link = _QUOTE_LINK.get()
    if link:
        href = link.format(interview_id=q.interview_id, start_s=f"{q.start_s:.2f}")
        source = f"<a href='{_e(href)}' target='_top'>{source}</a>"
    return f"<blockquote>“{_e(q.text)}”<cite>{source}</cite></blockquote>"


def _question(stats: QuestionStats) -> str:
    meta = f"{stats.type.replace('_', ' ')} · {stats.n_answers} answers"
    if stats.n_unconfirmed:
        meta += f" · {stats.n_unconfirmed} unconfirmed"
    if stats.n_missing:
        meta += f" · {stats.n_missing} without a usable answer"
    body = ""
    if stats.type == "scale":
        if stats.n_answers:
            body += (f"<p>Mean <b>{stats.mean:.2f}</b>, median <b>{stats.median:g}</b>, range {stats.minimum:g}–"
                     f"{stats.maximum:g} on a {stats.scale_min}–{stats.scale_max} scale.</p>")
        body += column_chart([(b.option, b.count) for b in stats.histogram], title=stats.question)
    elif stats.type == "ranking":
        top = max((r.borda for r in stats.ranking), default=0.0)
        body += hbar_chart([(r.option, r.borda, f"{r.borda:g} pts") for r in stats.ranking], maximum=top or 1.0,
                           title=f"{stats.question} (Borda points)")
        body += ("<table><tr><th>Option</th><th>Borda points</th><th>Mean rank</th><th>First place</th>"
                 "<th>Ranked by</th></tr>")
        body += "".join(f"<tr><td>{_e(r.option)}</td><td>{r.borda:g}</td><td>"
                        f"{'–' if r.mean_rank is None else f'{r.mean_rank:.2f}'}</td><td>{r.first_place}</td>"
                        f"<td>{r.ranked_by}</td></tr>" for r in stats.ranking)
        body += "</table>"
    else:
        body += hbar_chart([(o.option, o.share, f"{o.count} · {pct(o.share)}") for o in stats.options], maximum=1.0,
                           title=stats.question)
        if stats.other_texts:
            body += "<p class='muted'>Other answers: " + "; ".join(f"“{_e(t)}”" for t in stats.other_texts) + "</p>"
    return (f"<div class='card question' id='q-{_e(stats.question_id)}'><h3>{_e(stats.question)}</h3>"
            f"<div class='muted'>{_e(meta)}</div>{body}</div>")


def _icp(field: ICPField) -> str:
    if field.status != "filled":
        note = f" <span class='muted'>({_e(field.note)})</span>" if field.note else ""
        return f"<tr><th>{_e(field.label)}</th><td><i>not enough evidence</i>{note}</td></tr>"
    share = f" — {field.interview_count} interviews ({pct(field.share)})" if field.share is not None else ""
    cell = f"<b>{_e(field.value)}</b>{_e(share)} " + "".join(f"<span class='pill'>{_e(s)}</span>"
                                                               for s in field.sources)
    cell += "".join(_quote(q) for q in field.quotes)
    extra = []
    if field.structured_values:
        extra.append("Structured answers: "
                     + ", ".join(f"{_e(v.value)} {pct(v.share)}" for v in field.structured_values))
    if field.context_values:
        extra.append("Link context: " + ", ".join(f"{_e(v.value)} {pct(v.share)}" for v in field.context_values))
    if field.alternatives:
        extra.append("Also heard: " + "; ".join(f"{_e(a.value)} ({a.count})" for a in field.alternatives))
    if field.note:
        extra.append(_e(field.note))
    cell += "".join(f"<div class='muted'>{x}</div>" for x in extra)
    return f"<tr><th>{_e(field.label)}</th><td>{cell}</td></tr>"


def report_to_html(report: StudyReport, quote_link: str | None = None) -> str:
    """`quote_link`, e.g. "/admin#/interview/{interview_id}?t={start_s}", makes each quote's source a link."""
    token = _QUOTE_LINK.set(quote_link)
    try:
        return _report_to_html(report)
    finally:
        _QUOTE_LINK.reset(token)


def _report_to_html(report: StudyReport) -> str:
    h: list[str] = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(report.study)} — study report</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(report.study)} — study report</h1>",
        f"<div class='meta'>Guide: {_e(report.guide_title)} · generated {report.generated_at:%Y-%m-%d %H:%M} UTC · "
        + (f"wording by {_e(report.llm_model)}" if report.llm_model else "no language model (extractive)") + "</div>",
    ]
    if report.research_goal:
        h.append(f"<p><b>Research goal:</b> {_e(report.research_goal)}</p>")
    h.append(f"<p><b>{report.n_included} of {report.n_interviews} interviews included.</b> Interviews scoring below "
             f"{report.quality_threshold:g} of 5 are left out of the findings.</p>")
    if report.excluded:
        h.append("<h2>Left out</h2><ul>")
        h += [f"<li><b>{_e(e.interview_id)}</b>: {_e(e.reason)}</li>" for e in report.excluded]
        h.append("</ul>")
    h.append("<h2>Themes</h2>")
    if report.themes:
        h.append(hbar_chart([(f"{t.id}. {t.name}", t.share, f"{t.interview_count} · {pct(t.share)}")
                             for t in report.themes], maximum=1.0, title="Share of interviews per theme"))
    for t in report.themes:
        h.append(f"<div class='card theme' id='{_e(t.id)}'><h3>{_e(t.id)}. {_e(t.name)}</h3><p>{_e(t.description)}</p>"
                 f"<p><b>{t.interview_count} of {report.n_included} interviews ({pct(t.share)})</b></p>"
                 + "".join(_quote(q) for q in t.quotes) + "</div>")
    h.append("<h2>Structured questions</h2>")
    h += [_question(s) for s in report.questions]
    h.append("<h2>Ideal customer profile</h2><table class='icp'>")
    h += [_icp(f) for f in report.icp]
    h.append("</table>")
    if report.segment_by:
        h.append(f"<h2>Segments by {_e(report.segment_by)}</h2>")
        h.append(hbar_chart([(s.value, s.fit, pct(s.fit)) for s in report.segments], maximum=1.0,
                            title="ICP fit per segment"))
        if report.worst_fit_segment is not None:
            h.append(f"<h3 class='bad'>Disqualifying signals in the worst-fit segment: "
                     f"{_e(report.worst_fit_segment)}</h3>")
            if report.disqualifying_signals:
                h.append(hbar_chart([(s.label, s.share, f"{pct(s.share)} vs {pct(s.share_elsewhere)} elsewhere")
                                     for s in report.disqualifying_signals], maximum=1.0, color=BAR_ALT,
                                    title="Disqualifying signals"))
            for s in report.disqualifying_signals:
                h.append(f"<div class='card'><b>{_e(s.label)}</b> — {s.interview_count} interviews "
                         f"({pct(s.share)} of the segment, {pct(s.share_elsewhere)} elsewhere)"
                         + "".join(_quote(q) for q in s.quotes) + "</div>")
    h.append("<h2>Interviews</h2>")
    for a in report.interviews:
        state = "included" if a.included else "left out"
        rows = "".join(f"<tr><td>{_e(p.name.replace('_', ' '))}</td><td>{p.score:.1f}</td><td>{_e(p.detail)}</td></tr>"
                       for p in a.quality.parts)
        quotes = "".join(_quote(p.quote) for p in a.summary_points) if a.summary_method == "llm" else ""
        h.append(f"<div class='card interview'><h3>{_e(a.interview_id)} — quality {a.quality.score:.1f}/5 "
                 f"<span class='muted'>({state})</span></h3><p>{_e(a.summary)}</p>{quotes}"
                 f"<table><tr><th>Part</th><th>Score</th><th>Detail</th></tr>{rows}</table></div>")
    if report.notes:
        h.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in report.notes) + "</ul>")
    h.append("</body></html>")
    return "\n".join(h)
