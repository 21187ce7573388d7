"""Inline SVG bar charts (no script, no external asset): horizontal bars with labels and counts."""

from __future__ import annotations

from html import escape

BAR = "#2b6cb0"
BAR_ALT = "#c05621"
TRACK = "#edf2f7"


def hbar_chart(rows: list[tuple[str, float, str]], *, maximum: float | None = None, color: str = BAR,
               title: str = "") -> str:
    """rows: (label, value, value text). Bars scale to `maximum` (default: the largest value)."""
    label_w, bar_w, row_h, gap = 190, 360, 22, 6
    top = max((v for _, v, _ in rows), default=0.0)
    scale_max = maximum if maximum else (top or 1.0)
    height = len(rows) * (row_h + gap) + gap
    width = label_w + bar_w + 90
    parts = [f'<svg class="chart" role="img" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>']
    for i, (label, value, text) in enumerate(rows):
        y = gap + i * (row_h + gap)
        length = 0.0 if scale_max <= 0 else max(0.0, min(1.0, value / scale_max)) * bar_w
        short = label if len(label) <= 28 else label[:27] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + row_h * 0.7:.1f}" text-anchor="end" font-size="13">'
                     f"{escape(short)}</text>")
        parts.append(f'<rect class="track" x="{label_w}" y="{y}" width="{bar_w}" height="{row_h}" fill="{TRACK}"/>')
        parts.append(f'<rect class="bar" x="{label_w}" y="{y}" width="{length:.1f}" height="{row_h}" '
                     f'fill="{color}"/>')
        parts.append(f'<text x="{label_w + bar_w + 8}" y="{y + row_h * 0.7:.1f}" font-size="13">{escape(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def column_chart(rows: list[tuple[str, int]], *, color: str = BAR, title: str = "") -> str:
    """A histogram: one column per (label, count)."""
    col_w, gap, plot_h = 34, 8, 140
    top = max((c for _, c in rows), default=0) or 1
    width = len(rows) * (col_w + gap) + gap
    height = plot_h + 40
    parts = [f'<svg class="chart" role="img" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>']
    for i, (label, count) in enumerate(rows):
        x = gap + i * (col_w + gap)
        h = count / top * plot_h
        parts.append(f'<rect class="track" x="{x}" y="10" width="{col_w}" height="{plot_h}" fill="{TRACK}"/>')
        parts.append(f'<rect class="bar" x="{x}" y="{10 + plot_h - h:.1f}" width="{col_w}" height="{h:.1f}" '
                     f'fill="{color}"/>')
        parts.append(f'<text x="{x + col_w / 2}" y="{plot_h + 26}" text-anchor="middle" font-size="12">'
                     f"{escape(label)}</text>")
        parts.append(f'<text x="{x + col_w / 2}" y="{plot_h + 38}" text-anchor="middle" font-size="10" '
                     f'fill="#4a5568">{count}</text>')
    parts.append("</svg>")
    return "".join(parts)
