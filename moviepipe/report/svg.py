"""Horizontal bar charts as inline SVG: no library, no script, readable in any browser or mail client.

One chart = rows of labelled groups, each with one bar per series, scaled to the largest
value; every bar carries its number, so the chart reads without hovering.
"""

from __future__ import annotations

from html import escape

BAR, GAP, LABEL_WIDTH, VALUE_WIDTH, PLOT_WIDTH = 14, 10, 150, 80, 520


def bar_chart(groups: list[tuple[str, list[int | None]]], series: list[tuple[str, str]], title: str) -> str:
    """``groups``: (label, one value per series); ``series``: (name, colour). Returns an ``<svg>`` element."""
    largest = max([value for _, values in groups for value in values if value] or [1])
    per_group = BAR * len(series) + GAP
    legend = 24
    height = legend + per_group * len(groups) + GAP
    width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif" font-size="12">',
             f"<title>{escape(title)}</title>"]
    x = LABEL_WIDTH
    for name, colour in series:
        parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{x + 16}" y="14">{escape(name)}</text>')
        x += 16 + 8 * len(name) + 20
    for index, (label, values) in enumerate(groups):
        top = legend + index * per_group
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{top + BAR * len(series) / 2 + 4}" text-anchor="end">'
                     f"{escape(label)}</text>")
        for offset, ((name, colour), value) in enumerate(zip(series, values)):
            y = top + offset * BAR
            length = 0 if not value else max(1.0, PLOT_WIDTH * value / largest)
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR - 2}" fill="{colour}">'
                         f"<title>{escape(label)} {escape(name)}: {_text(value)}</title></rect>"
                         f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{y + BAR - 4}" fill="#333">'
                         f"{_text(value)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _text(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"
