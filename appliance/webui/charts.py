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


def _nice_top(high: float, whole: bool) -> float:
    """The top of the value axis: 4 grid steps of 1, 2, 2.5 or 5 x 10^k above `high`
    (whole steps when the values are counts)."""
    if high <= 0:
        return 4.0 if whole else 1.0
    raw = high / 4
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        step = m * power
        if step >= raw and not (whole and not float(step).is_integer()):
            break
    if whole:
        step = max(1.0, math.ceil(step))
    return step * 4


SERIES_COLOURS = ("#2e7d32", "#c0392b", "#1f5f8b", "#c98a00", "#7b3fa0", "#5d6d7e")


def bar_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *,
              title: str, unit: str = "", kind: str = "bars",
              links: Sequence[str | Sequence[str | None] | None] | None = None,
              width: int = 720, height: int = 200) -> Markup:
    """An SVG bar chart: one group of bars per label, one bar per series ("bars"), the series
    piled up ("stacked"), or touching bars of one series ("histogram", e.g. wait-time
    buckets).  `links`, when given, is per label one URL (the calls behind that label) or a
    list of one URL per series; each bar then is an <a>.  A value None is drawn as no bar.
    Empty data draws the axes."""
    left, right, top, bottom = 48, 10, 22, 38
    plot_w, plot_h = width - left - right, height - top - bottom
    # a histogram of several series (e.g. answered / unanswered) piles them up per bucket
    stacked = kind == "stacked" or (kind == "histogram" and len(series) > 1)
    n = len(labels)
    clean = [(name, [v if v is not None and math.isfinite(v) else None for v in values])
             for name, values in series]
    if stacked:
        totals = [sum(vals[i] or 0 for _n, vals in clean if i < len(vals)) for i in range(n)]
        high = max(totals + [0.0])
    else:
        high = max([v for _n, vals in clean for v in vals if v is not None] + [0.0])
    whole = all(float(v).is_integer() for _n, vals in clean for v in vals if v is not None)
    high = _nice_top(high, whole)

    def y(value: float) -> float:
        return top + plot_h - value / high * plot_h

    label = f"{title} ({unit})" if unit else title
    out = [f'<svg class="chart chart-{escape(kind)}" xmlns="http://www.w3.org/2000/svg" '
           f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
           f'aria-label="{escape(label)}">',
           f'<text x="{left}" y="14" font-size="12" font-weight="bold" fill="#222">'
           f'{escape(label)}</text>']
    for i in range(5):
        value = high * i / 4
        yy = y(value)
        out.append(f'<line x1="{left}" y1="{yy:.1f}" x2="{width - right}" y2="{yy:.1f}" '
                   f'stroke="{GRID}" stroke-width="1"/>')
        out.append(f'<text x="{left - 4}" y="{yy + 4:.1f}" font-size="10" text-anchor="end" '
                   f'fill="{TEXT}">{escape(_fmt(value))}</text>')
    if n == 0 or not clean:
        out.append(f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" '
                   f'font-size="12" text-anchor="middle" fill="{TEXT}">—</text></svg>')
        return Markup("".join(out))
    slot = plot_w / n
    gap = 0 if kind == "histogram" else max(1.0, slot * 0.15)
    bars_per_slot = 1 if stacked or kind == "histogram" else len(clean)
    bar_w = max((slot - gap) / bars_per_slot, 0.5)
    widest = max(len(str(name)) for name in labels) * 5.6 + 6    # 10 px text
    every = max(1, math.ceil(widest / slot))    # axis labels that do not overlap
    for i, name in enumerate(labels):
        x0 = left + i * slot + gap / 2
        marks = []
        base = 0.0
        for s, (series_name, vals) in enumerate(clean):
            value = vals[i] if i < len(vals) else None
            if value is None:
                continue
            colour = SERIES_COLOURS[s % len(SERIES_COLOURS)]
            if stacked:
                y_top, y_bottom, xx = y(base + value), y(base), x0
                base += value
            else:
                y_top, y_bottom = y(value), y(0)
                xx = x0 + (0 if kind == "histogram" else s * bar_w)
            tip = f"{name}: {series_name} {_fmt(value)} {unit}".strip() if len(clean) > 1 \
                else f"{name}: {_fmt(value)} {unit}".strip()
            rect = (f'<rect class="bar" x="{xx:.1f}" y="{y_top:.1f}" width="{bar_w:.1f}" '
                    f'height="{max(y_bottom - y_top, 0):.1f}" fill="{colour}">'
                    f'<title>{escape(tip)}</title></rect>')
            link = links[i] if links and i < len(links) else None
            if link is not None and not isinstance(link, str):
                link = link[s] if s < len(link) else None
            marks.append(f'<a href="{escape(link)}">{rect}</a>' if link and value else rect)
        out.extend(marks)
        if i % every == 0:
            out.append(f'<text x="{left + i * slot + slot / 2:.1f}" y="{top + plot_h + 14}" '
                       f'font-size="10" text-anchor="middle" fill="{TEXT}">'
                       f'{escape(name)}</text>')
    if len(clean) > 1:    # legend
        xx = left
        for s, (series_name, _vals) in enumerate(clean):
            colour = SERIES_COLOURS[s % len(SERIES_COLOURS)]
            out.append(f'<rect x="{xx}" y="{height - 12}" width="10" height="10" '
                       f'fill="{colour}"/><text x="{xx + 14}" y="{height - 3}" font-size="10" '
                       f'fill="{TEXT}">{escape(series_name)}</text>')
            xx += 24 + 7 * len(series_name)
    out.append("</svg>")
    return Markup("".join(out))
