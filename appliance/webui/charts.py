"""Small line charts drawn on the server as inline SVG (WD-4), for pages with no JavaScript.

The panel's Content-Security-Policy is default-src 'self': no external scripts, no inline
styles.  So a chart is plain SVG markup with presentation attributes (stroke, fill), a
<title> per point and per mark for the tooltip, and an aria-label for screen readers.
Every text that goes into the markup is escaped here.  This module only draws: it never
reads the database.
"""
from __future__ import annotations

import math
import time
from typing import Iterable, Sequence

from markupsafe import Markup, escape

SEVERITY_COLOURS = {"info": "#2f6fb3", "warning": "#c98a00", "critical": "#c0392b"}
LINE = "#1f5f8b"
GRID = "#d9dee3"
TEXT = "#555"


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _time_label(at: float, span: float) -> str:
    fmt = "%H:%M" if span <= 2 * 86400 else "%d.%m"
    return time.strftime(fmt, time.localtime(at))


def line_chart(points: Sequence[tuple[float, float]], since: float, until: float, *,
               title: str, unit: str = "", marks: Iterable[tuple[float, str, str]] = (),
               width: int = 720, height: int = 180) -> Markup:
    """An SVG line chart of (time, value) points over [since, until], with vertical marks
    (time, severity, text) for alert events.  Empty `points` draws the axes and says so."""
    left, right, top, bottom = 48, 10, 22, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    span = max(until - since, 1e-9)
    values = [v for _t, v in points if math.isfinite(v)]
    low = min(values + [0.0]) if values else 0.0
    high = max(values) if values else 1.0
    if high <= low:
        high = low + 1.0
    high += (high - low) * 0.05

    def x(at: float) -> float:
        return left + (min(max(at, since), until) - since) / span * plot_w

    def y(value: float) -> float:
        return top + plot_h - (value - low) / (high - low) * plot_h

    label = f"{title} ({unit})" if unit else title
    out = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}">',
           f'<text x="{left}" y="14" font-size="12" font-weight="bold" fill="#222">'
           f'{escape(label)}</text>']
    for i in range(5):   # horizontal grid with values
        value = low + (high - low) * i / 4
        yy = y(value)
        out.append(f'<line x1="{left}" y1="{yy:.1f}" x2="{width - right}" y2="{yy:.1f}" '
                   f'stroke="{GRID}" stroke-width="1"/>')
        out.append(f'<text x="{left - 4}" y="{yy + 4:.1f}" font-size="10" text-anchor="end" '
                   f'fill="{TEXT}">{escape(_fmt(value))}</text>')
    for i in range(5):   # time axis
        at = since + span * i / 4
        anchor = "start" if i == 0 else "end" if i == 4 else "middle"
        out.append(f'<text x="{x(at):.1f}" y="{height - 6}" font-size="10" '
                   f'text-anchor="{anchor}" fill="{TEXT}">{escape(_time_label(at, span))}</text>')
    for at, severity, text in marks:
        if not since <= at <= until:
            continue
        colour = SEVERITY_COLOURS.get(severity, SEVERITY_COLOURS["info"])
        xx = x(at)
        out.append(f'<g class="mark mark-{escape(severity)}"><title>'
                   f'{escape(time.strftime("%Y-%m-%d %H:%M", time.localtime(at)))} '
                   f'{escape(text)}</title>'
                   f'<line x1="{xx:.1f}" y1="{top}" x2="{xx:.1f}" y2="{top + plot_h}" '
                   f'stroke="{colour}" stroke-width="2" stroke-dasharray="4 3"/>'
                   f'<circle cx="{xx:.1f}" cy="{top + 4}" r="4" fill="{colour}"/></g>')
    if values:
        path = " ".join(f"{'M' if i == 0 else 'L'}{x(t):.1f},{y(v):.1f}"
                        for i, (t, v) in enumerate(p for p in points if math.isfinite(p[1])))
        out.append(f'<path class="series" d="{path}" fill="none" stroke="{LINE}" '
                   'stroke-width="1.5"/>')
        if len(values) <= 60:   # few points: show them, each with its value
            for t, v in points:
                out.append(f'<circle cx="{x(t):.1f}" cy="{y(v):.1f}" r="2" fill="{LINE}"><title>'
                           f'{escape(time.strftime("%Y-%m-%d %H:%M", time.localtime(t)))}: '
                           f'{escape(_fmt(v))} {escape(unit)}</title></circle>')
    else:
        out.append(f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" font-size="12" '
                   f'text-anchor="middle" fill="{TEXT}">—</text>')
    out.append("</svg>")
    return Markup("".join(out))
