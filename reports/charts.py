"""Charts drawn on the server as SVG: no chart library, no script, nothing from a CDN.

Bars are laid out in percentages of the chart's width and text in pixels, so a chart
fills a laptop's card and a phone's alike without its labels shrinking (a scaled viewBox
would shrink them to 7 px at 390 px). Each chart is an image to assistive technology
(`role="img"` with a title and a one-line summary) and every bar carries a tooltip; the
figures themselves are always in the table beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

# Colour-blind-safe series colours (Okabe–Ito), in series order.
PALETTE = ("#2454d6", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#999999")
ROW, LABEL, BAR = 34, 15, 12  # px: one bar's row, its label's baseline, its bar's height


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float]


def _svg(title: str, summary: str, height: int, body: str, css: str = "chart") -> SafeString:
    return format_html(
        '<svg class="{}" width="100%" height="{}" role="img" aria-label="{}: {}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}</svg>',
        css,
        height,
        title,
        summary,
        title,
        mark_safe(body),  # built from escaped parts below
    )


def _pct(value: float, top: float) -> float:
    return round(100 * value / top, 2) if top > 0 else 0.0


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    fmt: Callable[[float], str] = lambda v: f"{v:,}",
    top: float | None = None,
    summary: str = "",
    targets: Sequence[float | None] | None = None,
    target_label: str = "target",
) -> SafeString:
    """Horizontal bars, one per label, longest at `top` (default: the largest value or
    target). A None value draws no bar and reads "—". `targets`: a mark on each bar where
    it should reach (e.g. a rep's share by weight)."""
    present = [v for v in values if v is not None] + [t for t in targets or () if t is not None]
    top = top if top is not None else max(present, default=0)
    parts = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = i * ROW
        shown = "—" if value is None else fmt(value)
        parts.append(
            f'<text x="0" y="{y + LABEL - 3}" class="chart-label">{escape(label)}</text>'
            f'<text x="100%" y="{y + LABEL - 3}" text-anchor="end" class="chart-value">'
            f"{escape(shown)}</text>"
            f'<rect x="0" y="{y + LABEL + 2}" width="100%" height="{BAR}" rx="3" '
            'class="chart-track"/>'
        )
        if value:
            parts.append(
                f'<rect x="0" y="{y + LABEL + 2}" width="{_pct(value, top)}%" height="{BAR}" '
                f'rx="3" fill="{PALETTE[0]}"><title>{escape(label)}: {escape(shown)}</title>'
                "</rect>"
            )
        target = targets[i] if targets else None
        if target is not None:
            parts.append(
                f'<rect x="{_pct(target, top)}%" y="{y + LABEL}" width="3" height="{BAR + 4}" '
                f'fill="{PALETTE[5]}" transform="translate(-1.5 0)"><title>{escape(label)}: '
                f"{escape(target_label)} {escape(fmt(target))}</title></rect>"
            )
    summary = summary or ", ".join(
        f"{label} {'—' if v is None else fmt(v)}"
        + (f" ({target_label} {fmt(targets[i])})" if targets and targets[i] is not None else "")
        for i, (label, v) in enumerate(zip(labels, values, strict=True))
    )
    return _svg(title, summary, max(len(labels), 1) * ROW, "".join(parts))


def stacked_bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[float], str] = lambda v: f"{v:,}",
    share: bool = False,
) -> SafeString:
    """Horizontal bars of stacked segments (one per series), with a legend. `share`: every
    bar spans the width (each segment its share of the bar's total)."""
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    top = max(totals, default=0)
    legend_h = 22
    parts = []
    x = 0
    for n, s in enumerate(series):  # legend: swatches laid out in percentages
        parts.append(
            f'<rect x="{x}%" y="2" width="10" height="10" rx="2" fill="{PALETTE[n % 7]}"/>'
            f'<text x="{x}%" dx="14" y="11" class="chart-legend">{escape(s.label)}</text>'
        )
        x += max(100 // max(len(series), 1), 18)
    for i, label in enumerate(labels):
        y = legend_h + i * ROW
        whole = totals[i] if share else top
        parts.append(
            f'<text x="0" y="{y + LABEL - 3}" class="chart-label">{escape(label)}</text>'
            f'<text x="100%" y="{y + LABEL - 3}" text-anchor="end" class="chart-value">'
            f"{escape(fmt(totals[i]))}</text>"
            f'<rect x="0" y="{y + LABEL + 2}" width="100%" height="{BAR}" rx="3" '
            'class="chart-track"/>'
        )
        left = 0.0
        for n, s in enumerate(series):
            value = s.values[i] or 0
            if not value:
                continue
            width = _pct(value, whole)
            parts.append(
                f'<rect x="{left}%" y="{y + LABEL + 2}" width="{width}%" height="{BAR}" '
                f'fill="{PALETTE[n % 7]}"><title>{escape(label)} · {escape(s.label)}: '
                f"{escape(fmt(value))}</title></rect>"
            )
            left = round(left + width, 2)
    summary = "; ".join(
        f"{label}: " + ", ".join(f"{s.label} {fmt(s.values[i] or 0)}" for s in series)
        for i, label in enumerate(labels)
    )
    return _svg(title, summary, legend_h + max(len(labels), 1) * ROW, "".join(parts))


def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[float], str] = lambda v: f"{v:,}",
    height: int = 160,
) -> SafeString:
    """Lines over `labels` (e.g. days). The plot is an inner SVG stretched to the width
    (its strokes keep their thickness); the axis text stays in pixels."""
    points = len(labels)
    top = max((v or 0 for s in series for v in s.values), default=0) or 1
    plot_h, legend_h, axis_h = height - 40, 20, 20
    lines = []
    for n, s in enumerate(series):
        coords = " ".join(
            f"{round(1000 * i / max(points - 1, 1), 2)},{round(100 - 100 * (v or 0) / top, 2)}"
            for i, v in enumerate(s.values)
        )
        lines.append(
            f'<polyline points="{coords}" fill="none" stroke="{PALETTE[n % 7]}" '
            'stroke-width="2" vector-effect="non-scaling-stroke" stroke-linejoin="round"/>'
        )
    parts = [
        f'<text x="0" y="13" class="chart-legend">max {escape(fmt(top))}</text>',
        *(
            f'<text x="{30 + 25 * n}%" y="13" class="chart-legend" fill="{PALETTE[n % 7]}">'
            f"■ {escape(s.label)}</text>"
            for n, s in enumerate(series)
        ),
        f'<line x1="0" x2="100%" y1="{legend_h + plot_h}" y2="{legend_h + plot_h}" '
        'class="chart-axis"/>',
        f'<svg x="0" y="{legend_h}" width="100%" height="{plot_h}" viewBox="0 0 1000 100" '
        f'preserveAspectRatio="none">{"".join(lines)}</svg>',
    ]
    if points:
        parts.append(
            f'<text x="0" y="{legend_h + plot_h + axis_h - 4}" class="chart-legend">'
            f"{escape(labels[0])}</text>"
            f'<text x="100%" y="{legend_h + plot_h + axis_h - 4}" text-anchor="end" '
            f'class="chart-legend">{escape(labels[-1])}</text>'
        )
    summary = "; ".join(
        f"{s.label}: "
        + ", ".join(f"{lab} {fmt(v or 0)}" for lab, v in zip(labels, s.values, strict=True))
        for s in series
    )
    return _svg(title, summary[:1000], legend_h + plot_h + axis_h, "".join(parts))
