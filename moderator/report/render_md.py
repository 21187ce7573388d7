"""The study report as Markdown (and JSON)."""

from __future__ import annotations

from moderator.report.models import ICPField, QuestionStats, Quote, StudyReport
from moderator.transcript import clock


def cite(quote: Quote) -> str:
    turn = quote.turn_seq + 1 if quote.turn_seq is not None else quote.turn_id
    return f"interview {quote.interview_id}, turn {turn}, {clock(quote.start_s)}"


def _md(text: str) -> str:
    """Plain text safe inside Markdown (no accidental emphasis, links or tables)."""
    out = str(text).replace("\\", "\\\\")
    for ch in "*`[]<>|#":  # intraword underscores (company_size) never emphasise in CommonMark
        out = out.replace(ch, "\\" + ch)
    return " ".join(out.split())


def _quote_line(quote: Quote) -> str:
    return f"> “{_md(quote.text)}” — {cite(quote)}"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def option_table(stats: QuestionStats) -> list[str]:
    lines = ["| Option | Count | Share |", "|---|---:|---:|"]
    lines += [f"| {_md(o.option)} | {o.count} | {pct(o.share)} |" for o in stats.options]
    return lines


def question_block(stats: QuestionStats) -> list[str]:
    lines = [f"### {_md(stats.question)}", "",
             f"*{stats.type.replace('_', ' ')} · {stats.n_answers} answers"
             + (f" · {stats.n_unconfirmed} unconfirmed" if stats.n_unconfirmed else "")
             + (f" · {stats.n_missing} without a usable answer" if stats.n_missing else "") + "*", ""]
    if stats.type == "scale":
        if stats.n_answers:
            lines.append(f"Mean **{stats.mean:.2f}**, median **{stats.median:g}**, range {stats.minimum:g}–"
                         f"{stats.maximum:g} on a {stats.scale_min}–{stats.scale_max} scale.")
            lines += ["", "| Score | Count |", "|---:|---:|"]
            lines += [f"| {b.option} | {b.count} |" for b in stats.histogram]
    elif stats.type == "ranking":
        lines += ["| Option | Borda points | Mean rank | First place | Ranked by |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {_md(r.option)} | {r.borda:g} | {'–' if r.mean_rank is None else f'{r.mean_rank:.2f}'} | "
                  f"{r.first_place} | {r.ranked_by} |" for r in stats.ranking]
    elif stats.type == "yes_no":
        lines.append(f"Yes **{stats.yes}** ({pct(stats.yes_share)}), no **{stats.no}**.")
    else:
        lines += option_table(stats)
        if stats.other_texts:
            lines += ["", "Other answers: " + "; ".join(f"“{_md(t)}”" for t in stats.other_texts)]
    return lines + [""]


def icp_block(field: ICPField) -> list[str]:
    if field.status != "filled":
        return [f"- **{field.label}:** *not enough evidence*" + (f" ({_md(field.note)})" if field.note else "")]
    share = f" — {field.interview_count} interviews ({pct(field.share)})" if field.share is not None else ""
    source = ", ".join(field.sources)
    lines = [f"- **{field.label}:** {_md(field.value or '')}{share} *[{source}]*"]
    lines += [f"  {_quote_line(q)}" for q in field.quotes]
    if field.structured_values:
        lines.append("  - Structured answers: " + ", ".join(f"{_md(v.value)} {pct(v.share)}"
                                                           for v in field.structured_values))
    if field.context_values:
        lines.append("  - Link context: " + ", ".join(f"{_md(v.value)} {pct(v.share)}" for v in field.context_values))
    if field.alternatives:
        lines.append("  - Also heard: " + "; ".join(f"{_md(a.value)} ({a.count})" for a in field.alternatives))
    if field.note:
        lines.append(f"  - Note: {_md(field.note)}")
    return lines


def report_to_markdown(report: StudyReport) -> str:
    out = [f"# {_md(report.study)} — study report", ""]
    if report.research_goal:
        out += [f"**Research goal:** {_md(report.research_goal)}", ""]
    out += [
        f"Guide: {_md(report.guide_title)} · generated {report.generated_at:%Y-%m-%d %H:%M} UTC"
        + (f" · wording by {report.llm_model}" if report.llm_model else " · no language model (extractive)"),
        "",
        f"**{report.n_included} of {report.n_interviews} interviews included.** Interviews scoring below "
        f"{report.quality_threshold:g} of 5 are left out of the findings below.",
        "",
    ]
    if report.excluded:
        out += ["## Left out", ""]
        out += [f"- {e.interview_id}: {_md(e.reason)}" for e in report.excluded]
        out.append("")
    out += ["## Themes", ""]
    if not report.themes:
        out += ["No theme was voiced by enough interviews.", ""]
    for theme in report.themes:
        out += [f"### {theme.id}. {_md(theme.name)}", "",
                f"{_md(theme.description)}", "",
                f"**{theme.interview_count} of {report.n_included} interviews ({pct(theme.share)})**", ""]
        out += [_quote_line(q) + "\n" for q in theme.quotes]
    out += ["## Structured questions", ""]
    for stats in report.questions:
        out += question_block(stats)
    out += ["## Ideal customer profile", ""]
    for field in report.icp:
        out += icp_block(field)
    out.append("")
    if report.segment_by:
        out += [f"## Segments by {_md(report.segment_by)}", "",
                "| Segment | Interviews | ICP fit |", "|---|---:|---:|"]
        out += [f"| {_md(s.value)} | {s.n_interviews} | {pct(s.fit)} |" for s in report.segments]
        out.append("")
        if report.worst_fit_segment is not None:
            out += [f"### Disqualifying signals in the worst-fit segment: {_md(report.worst_fit_segment)}", ""]
            if not report.disqualifying_signals:
                out += ["No signal sets this segment apart.", ""]
            for sig in report.disqualifying_signals:
                out.append(f"- **{_md(sig.label)}** — {sig.interview_count} interviews ({pct(sig.share)} of the "
                           f"segment, {pct(sig.share_elsewhere)} elsewhere)")
                out += [f"  {_quote_line(q)}" for q in sig.quotes]
            out.append("")
    out += ["## Interviews", ""]
    for a in report.interviews:
        state = "included" if a.included else "left out"
        out += [f"### {a.interview_id} — quality {a.quality.score:.1f}/5 ({state})", "", _md(a.summary), ""]
        out += ["| Part | Score | Detail |", "|---|---:|---|"]
        out += [f"| {p.name.replace('_', ' ')} | {p.score:.1f} | {_md(p.detail)} |" for p in a.quality.parts]
        out.append("")
        if a.summary_method == "llm":
            out += [_quote_line(p.quote) + "\n" for p in a.summary_points]
        answered = [v for v in a.answers if v.type != "open_ended" and v.value is not None]
        if answered:
            out += ["Structured answers: " + "; ".join(f"{v.question_id} = {_md(_value(v.value))}"
                                                        for v in answered), ""]
    if report.notes:
        out += ["## Notes", ""] + [f"- {_md(n)}" for n in report.notes] + [""]
    return "\n".join(out).rstrip() + "\n"


def _value(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


def report_to_json(report: StudyReport) -> str:
    return report.model_dump_json(indent=2)
