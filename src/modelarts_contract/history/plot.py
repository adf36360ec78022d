"""A line plot as inline SVG: no script, no network, readable without colour.

Series are told apart by their dash pattern, their marker shape (while there are few enough runs to
mark each one) and a label at the end of each line, never by colour alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 520, 200
LEFT, RIGHT, TOP, BOTTOM = 64, 72, 14, 30
MARK_AT_MOST = 60  # runs; beyond that the markers would overlap into a smear
DASHES = ("", "6 4", "2 3")
MARKERS = ("circle", "square", "triangle")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # one per run, oldest first; None: not recorded in that run


def _ceiling(value: float) -> float:
    """A round number at or above `value`, for the top of the axis."""
    if value <= 0:
        return 1.0
    step = 10.0 ** math.floor(math.log10(value))
    return next(m * step for m in (1, 2, 2.5, 5, 10) if m * step >= value)


def _marker(kind: str, x: float, y: float) -> str:
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3"/>'
    if kind == "square":
        return f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6"/>'
    return f'<path d="M{x:.1f} {y - 4:.1f}l4 7h-8z"/>'


def _label(value: float, unit: str) -> str:
    return f"{value:g}{unit}"


def _series(index: int, series: Series, xs: list[float], y_of: float, top: float) -> str:
    points = [
        (x, TOP + y_of * (1 - v / top)) for x, v in zip(xs, series.values, strict=True) if v is not None
    ]
    if not points:
        return ""
    segments, path = [], "M"
    for x, y in points:
        segments.append(f"{path}{x:.1f} {y:.1f}")
        path = "L"
    dash = f' stroke-dasharray="{DASHES[index % 3]}"' if DASHES[index % 3] else ""
    out = f'<path class="line s{index}" d="{"".join(segments)}" fill="none"{dash}/>'
    if len(xs) <= MARK_AT_MOST:
        marks = "".join(_marker(MARKERS[index % 3], x, y) for x, y in points)
        out += f'<g class="mark s{index}">{marks}</g>'
    x, y = points[-1]
    return out + f'<text class="end" x="{x + 6:.1f}" y="{y + 4:.1f}">{escape(series.name)}</text>'


def line_plot(title: str, series: Sequence[Series], first: str, last: str, unit: str = "") -> str:
    """An SVG plot of the series over the runs; `first` and `last` label the ends of the time axis."""
    runs = max((len(s.values) for s in series), default=0)
    highest = max((v for s in series for v in s.values if v is not None), default=0.0)
    top = _ceiling(highest)
    span_x, span_y = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    xs = [LEFT + (span_x * i / (runs - 1) if runs > 1 else span_x / 2) for i in range(runs)]
    grid = "".join(
        f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + span_y * f:.1f}" y2="{TOP + span_y * f:.1f}"/>'
        f'<text class="tick" x="{LEFT - 6}" y="{TOP + span_y * f + 4:.1f}">{escape(_label(top * (1 - f), unit))}</text>'
        for f in (0.0, 0.5, 1.0)
    )
    axis = (
        f'<text class="when" x="{LEFT}" y="{HEIGHT - 8}">{escape(first)}</text>'
        f'<text class="when end-x" x="{WIDTH - RIGHT}" y="{HEIGHT - 8}">{escape(last)}</text>'
    )
    lines = "".join(_series(i, s, xs, span_y, top) for i, s in enumerate(series))
    names = ", ".join(s.name for s in series)
    return (
        f'<svg class="plot" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title><desc>{escape(f'{names} over {runs} runs, {first} to {last}')}</desc>"
        f"{grid}{axis}{lines}</svg>"
    )
