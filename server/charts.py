"""Bar charts drawn on the server as SVG: practices per year (a practice counts for each year of
its period), per topic, per country; each bar a link to the filtered list, "not recorded" drawn
apart as such. Each chart has a table twin (the same numbers, for screen readers and print)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    href: str | None = None
    missing: bool = False  # the "not recorded" bar
    lang: str | None = None


def rows(bars: list[Bar]) -> Markup:
    """The rows of a chart's table twin: each value (a link where its bar has one) and its
    count."""
    return Markup("".join(
        f'<tr><td><a href="{escape(b.href)}">{escape(b.label)}</a></td><td class="num">'
        f"{b.count}</td></tr>" if b.href else
        f'<tr><td>{escape(b.label)}</td><td class="num">{b.count}</td></tr>' for b in bars))


def _nice(n: int) -> int:
    """A round number at or above n for the axis."""
    if n <= 5:
        return max(1, n)
    step = 10 ** int(math.log10(n))
    for m in (1, 2, 2.5, 5, 10):
        if n <= m * step:
            return int(m * step)
    return n


def _bar(b: Bar, shape: str, unit: str) -> str:
    name = escape(f"{b.label}: {b.count} {unit}")
    css = "bar missing" if b.missing else "bar"
    fill = "#8a8a8a" if b.missing else "#1f5f8b"
    inner = f'<title>{name}</title><{shape} class="{css}" fill="{fill}"/>'
    if b.href:
        return f'<a href="{escape(b.href)}" aria-label="{name}">{inner}</a>'
    return f'<g role="img" aria-label="{name}">{inner}</g>'


def horizontal(bars: list[Bar], title: str, element_id: str, unit: str = "practices",
               label_width: int = 230, limit: int = 40) -> Markup:
    """One row per value, longest first as given; at most ``limit`` rows."""
    shown = bars[:limit]
    row, width = 24, label_width + 360
    height = row * len(shown) + 8
    top = max((b.count for b in shown), default=1) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} '
             f'{height}" width="{width}" height="{height}" aria-labelledby="{element_id}-title" '
             f'id="{element_id}" font-family="sans-serif" font-size="13">'
             f'<title id="{element_id}-title">{escape(title)}</title>']
    for i, b in enumerate(shown):
        y = 4 + i * row
        length = max(1.0, 320 * b.count / top) if b.count else 0
        label = b.label if len(b.label) <= 30 else b.label[:29] + "…"
        lang = f' lang="{b.lang}"' if b.lang else ""
        rect = f'rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 6}"'
        parts.append(_bar(b, rect, unit))
        parts.append(f'<text class="axis" x="{label_width - 6}" y="{y + row / 2 + 4}" '
                     f'text-anchor="end" fill="#1b1b1b" aria-hidden="true"{lang}>'
                     f"{escape(label)}</text>"
                     f'<text class="value" x="{label_width + length + 4:.1f}" '
                     f'y="{y + row / 2 + 4}" fill="#1b1b1b" aria-hidden="true">{b.count}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def years(bars: list[Bar], title: str, element_id: str, unit: str = "practices") -> Markup:
    """Columns for consecutive years (years without practices drawn empty), then the
    "not recorded" column apart."""
    by_year = {int(b.label): b for b in bars if not b.missing and b.label.isdigit()}
    missing = [b for b in bars if b.missing]
    first, last = (min(by_year), max(by_year)) if by_year else (0, -1)
    n = last - first + 1
    col = max(6.0, min(24.0, 680 / max(1, n)))
    left, bottom, plot = 40, 230, 200
    gap = 40 if missing else 0
    width = left + col * n + gap + (max(col * 2, 50) if missing else 0) + 10
    top = _nice(max([b.count for b in bars] or [1]) or 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width:.0f} '
             f'{bottom + 24}" width="{width:.0f}" height="{bottom + 24}" font-size="12" '
             f'font-family="sans-serif" aria-labelledby="{element_id}-title" id="{element_id}">'
             f'<title id="{element_id}-title">{escape(title)}</title>'
             f'<g class="grid" aria-hidden="true" stroke="#c8c8c8">']
    for tick in (0, top // 2, top):
        y = bottom - plot * tick / top
        parts.append(f'<line x1="{left}" x2="{width - 10:.0f}" y1="{y:.1f}" y2="{y:.1f}"/>')
    parts.append('</g><g class="axis" aria-hidden="true" fill="#1b1b1b">')
    for tick in (0, top // 2, top):
        y = bottom - plot * tick / top
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    step = next(s for s in (1, 2, 5, 10, 20, 50) if n / s <= 16 and s * col >= 34)
    for year in range(first, last + 1):
        if year % step == 0:
            x = left + (year - first + 0.5) * col
            parts.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{year}</text>')
    if missing:
        x = left + col * n + gap + col
        parts.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">'
                     f"{escape(missing[0].label)}</text>")
    parts.append("</g>")
    for year, b in sorted(by_year.items()):
        x, h = left + (year - first) * col, plot * b.count / top
        parts.append(_bar(b, f'rect x="{x + 1:.1f}" y="{bottom - h:.1f}" width="{col - 2:.1f}" '
                             f'height="{h:.1f}"', unit))
    for b in missing:
        x, h = left + col * n + gap, plot * b.count / top
        parts.append(_bar(b, f'rect x="{x:.1f}" y="{bottom - h:.1f}" width="{col * 2:.1f}" '
                             f'height="{h:.1f}"', unit))
    parts.append("</svg>")
    return Markup("".join(parts))
