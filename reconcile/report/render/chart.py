"""The inline SVG chart: active users and memberships after each commit of the period.

Drawn as steps (a count holds until the next commit changes it), on a time axis, with no
script and no external font, so it prints and opens offline like the rest of the page.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import datetime

from reconcile.report.history import Point

WIDTH, HEIGHT = 760, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 32, 36
_SERIES = (("memberships", "Memberships", "#2f6db5"), ("active_users", "Active users", "#2e8540"))


def _scale(points: Sequence[Point], end: datetime) -> tuple[float, float, int]:
    start = points[0].date.timestamp()
    span = max(end.timestamp() - start, 1.0)
    top = max(max(p.memberships, p.active_users) for p in points)
    return start, span, max(top, 1)


def _steps(
    points: Sequence[Point],
    attr: str,
    x: Callable[[datetime], float],
    y: Callable[[int], float],
) -> str:
    coords: list[str] = []
    previous: float | None = None
    for point in points:
        px, py = x(point.date), y(getattr(point, attr))
        if previous is not None:
            coords.append(f"{px:.1f},{previous:.1f}")
        coords.append(f"{px:.1f},{py:.1f}")
        previous = py
    return " ".join(coords)


def render_chart(points: Sequence[Point], *, end: datetime) -> str:
    """The chart from the first point to `end` (the report's time): the last counts hold."""
    if not points:
        return (
            '<p class="note">No history to draw: the folder is not in git, or has no commits.</p>'
        )
    last = points[-1]
    points = [*points, Point(max(end, last.date), last.active_users, last.memberships, "now")]
    start, span, top = _scale(points, points[-1].date)
    inner_w, inner_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM

    def x(when: datetime) -> float:
        return _LEFT + (when.timestamp() - start) / span * inner_w

    def y(value: int) -> float:
        return _TOP + inner_h - value / top * inner_h

    lines = [
        f'<polyline class="line {attr}" fill="none" stroke="{color}" stroke-width="2" '
        f'points="{_steps(points, attr, x, y)}"/>'
        for attr, _, color in _SERIES
    ]
    legend = [
        f'<rect x="{_LEFT + i * 150}" y="4" width="12" height="12" fill="{color}"/>'
        f'<text x="{_LEFT + 18 + i * 150}" y="15">{html.escape(label)}</text>'
        for i, (_, label, color) in enumerate(_SERIES)
    ]
    axes = [
        f'<line x1="{_LEFT}" y1="{_TOP + inner_h}" x2="{WIDTH - _RIGHT}" y2="{_TOP + inner_h}" '
        'stroke="#888"/>',
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_TOP + inner_h}" stroke="#888"/>',
        f'<text x="{_LEFT - 6}" y="{_TOP + 10}" text-anchor="end">{top}</text>',
        f'<text x="{_LEFT - 6}" y="{_TOP + inner_h}" text-anchor="end">0</text>',
        f'<text x="{_LEFT}" y="{HEIGHT - 12}">{points[0].date:%Y-%m-%d}</text>',
        f'<text x="{WIDTH - _RIGHT}" y="{HEIGHT - 12}" text-anchor="end">'
        f"{points[-1].date:%Y-%m-%d}</text>",
    ]
    title = f"{last.active_users} active users and {last.memberships} memberships at the end"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{html.escape(title)}" class="chart">'
        + "".join(axes + lines + legend)
        + "</svg>"
    )
