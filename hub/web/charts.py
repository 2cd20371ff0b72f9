"""Charts as inline SVG drawn on the server: no script and no library in the browser.

Each chart is an image to assistive technologies (`role="img"`, named by its `<title>`, with a
`<desc>` giving the figures in words); the page puts the same figures in a data table beside it.
Colours keep at least 4.5:1 against the white background, so bars and their labels read for
people with low vision.
"""

from __future__ import annotations

import math

from markupsafe import Markup, escape

COLOURS = ("#1d4ed8", "#9a3412")  # blue-700, orange-800: both 4.5:1+ on white, and apart in hue
INK, GRID = "#1f2937", "#6b7280"
LABEL_CHARS = 28


def _ticks(highest: float) -> list[int]:
    """Round gridline values from 0 to at least `highest` (at most 6 lines)."""
    if highest <= 0:
        return [0, 1]
    step = 10 ** math.floor(math.log10(highest))
    for factor in (1, 2, 5, 10):
        if highest / (step * factor) <= 5:
            step *= factor
            break
    return list(range(0, int(math.ceil(highest / step) * step) + 1, int(max(step, 1))))


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _frame(chart_id: str, title: str, summary: str, width: int, height: int, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(summary)}</desc>' + "".join(body) + "</svg>"
    )


def bar_chart(
    chart_id: str, title: str, categories: list[str], series: list[tuple[str, list[int]]]
) -> Markup:
    """Vertical bars, one group per category and one bar per series, with a legend."""
    left, top, plot_height, bottom, gap = 44, 36, 180, 28, 14
    group = max(48.0, (520 - left - gap) / max(len(categories), 1))
    bar = min(36.0, (group - gap) / max(len(series), 1))
    width = round(left + gap + group * len(categories))
    height = top + plot_height + bottom
    ticks = _ticks(max((v for _, values in series for v in values), default=0))
    scale = plot_height / ticks[-1]
    body = []
    for value in ticks:
        y = top + plot_height - value * scale
        body.append(
            f'<line x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" stroke-width="0.5"/>'
        )
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}">{value}</text>')
    for s, (name, _) in enumerate(series):
        x = left + s * 150
        body.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{COLOURS[s % len(COLOURS)]}"/>')
        body.append(f'<text x="{x + 18}" y="19" fill="{INK}">{escape(name)}</text>')
    for c, category in enumerate(categories):
        x0 = left + gap + c * group
        for s, (name, values) in enumerate(series):
            value = values[c]
            h = value * scale
            x, y, colour = x0 + s * bar, top + plot_height - h, COLOURS[s % len(COLOURS)]
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(category)}, {escape(name)}: {value}</title></rect>"
            )
        label_x = x0 + (bar * len(series)) / 2
        body.append(
            f'<text x="{label_x:.1f}" y="{top + plot_height + 18}" text-anchor="middle" fill="{INK}">'
            f"{escape(category)}</text>"
        )
    summary = "; ".join(
        f"{category}: " + ", ".join(f"{name} {values[c]}" for name, values in series)
        for c, category in enumerate(categories)
    )
    return _frame(chart_id, title, summary, width, height, body)


def hbar_chart(chart_id: str, title: str, items: list[tuple[str, int]]) -> Markup:
    """Horizontal bars, one per item, labelled on the left, with the value at the end."""
    label_width, plot_width, row, top = 210, 300, 26, 8
    width, height = label_width + plot_width + 50, top * 2 + row * max(len(items), 1)
    highest = max((v for _, v in items), default=0) or 1
    body = []
    for i, (label, value) in enumerate(items):
        y = top + i * row
        length = value / highest * plot_width
        body.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" fill="{INK}">'
            f"<title>{escape(label)}</title>{escape(_short(label))}</text>"
        )
        body.append(
            f'<rect x="{label_width}" y="{y + 4}" width="{max(length, 1):.1f}" height="{row - 8}" '
            f'fill="{COLOURS[0]}"><title>{escape(label)}: {value}</title></rect>'
        )
        body.append(f'<text x="{label_width + length + 6:.1f}" y="{y + 17}" fill="{INK}">{value}</text>')
    summary = "; ".join(f"{label}: {value}" for label, value in items)
    return _frame(chart_id, title, summary, width, height, body)
