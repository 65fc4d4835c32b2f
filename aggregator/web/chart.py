"""A stacked bar chart of articles per day (and feed) as SVG, drawn on the server.

Any query result with a `day` column (YYYY-MM-DD...) and an `articles` column (a count), and optionally a
`feed` column, can be drawn. No JavaScript and nothing fetched from elsewhere: the archive runs offline
and under a Content-Security-Policy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from html import escape
from typing import Any

MAX_DAYS = 366
WIDTH, PLOT_HEIGHT = 960, 260
LEFT, RIGHT, TOP, AXIS = 48, 12, 12, 36
LEGEND_ROW, LEGEND_COLUMNS = 20, 3
# Colour-blind-safe palette (Okabe-Ito, then Tol's muted); "other feeds" is grey.
PALETTE = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#332288", "#882255", "#44AA99",
)  # fmt: skip
OTHER = "#999999"
REQUIRED_COLUMNS = frozenset({"day", "articles"})


def can_chart(columns: Iterable[str]) -> bool:
    return REQUIRED_COLUMNS.issubset(columns)


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None


def _count(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def _nice_max(value: int) -> tuple[int, int]:
    """An axis maximum >= value and a tick step giving at most five ticks."""
    if value <= 5:
        return max(value, 1), 1
    raw = value / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return int(math.ceil(value / step) * step), int(step)


def chart_svg(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "Articles per day") -> str | None:
    """The chart as an <svg> element, or None when the rows cannot be drawn."""
    if not can_chart(columns):
        return None
    at = {name: i for i, name in enumerate(columns)}
    counts: dict[date, dict[str, int]] = {}
    totals: dict[str, int] = {}
    for row in rows:
        day = _day(row[at["day"]])
        if day is None:
            continue
        feed = str(row[at["feed"]]) if "feed" in at and row[at["feed"]] is not None else "articles"
        n = _count(row[at["articles"]])
        counts.setdefault(day, {})
        counts[day][feed] = counts[day].get(feed, 0) + n
        totals[feed] = totals.get(feed, 0) + n
    if not counts:
        return None
    last = max(counts)
    first = max(min(counts), last - timedelta(days=MAX_DAYS - 1))
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    feeds = sorted(totals, key=lambda f: (f == "other feeds", -totals[f], f))
    colours = {f: OTHER if f == "other feeds" else PALETTE[i % len(PALETTE)] for i, f in enumerate(feeds)}
    top, step = _nice_max(max(sum(counts.get(d, {}).values()) for d in days))

    plot_width = WIDTH - LEFT - RIGHT
    slot = plot_width / len(days)
    bar = max(1.0, slot * 0.8)
    legend_rows = math.ceil(len(feeds) / LEGEND_COLUMNS)
    height = TOP + PLOT_HEIGHT + AXIS + legend_rows * LEGEND_ROW + 8
    base = TOP + PLOT_HEIGHT
    out = [
        f'<svg class="archive-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-labelledby="chart-title" font-family="sans-serif" font-size="12">',
        f'<title id="chart-title">{escape(title)}: {sum(totals.values())} articles, '
        f"{days[0].isoformat()} to {days[-1].isoformat()}</title>",
    ]
    for tick in range(0, top + 1, step):
        y = base - tick / top * PLOT_HEIGHT
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#444">{tick}</text>')
    label_every = max(1, math.ceil(len(days) / 12))
    for i, day in enumerate(days):
        x = LEFT + i * slot + (slot - bar) / 2
        y = base
        for feed in feeds:
            n = counts.get(day, {}).get(feed, 0)
            if not n:
                continue
            h = n / top * PLOT_HEIGHT
            y -= h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colours[feed]}">'
                f"<title>{day.isoformat()} · {escape(feed)}: {n}</title></rect>"
            )
        if i % label_every == 0:
            out.append(
                f'<text x="{LEFT + (i + 0.5) * slot:.1f}" y="{base + 16}" text-anchor="middle" fill="#444">'
                f"{day.isoformat()[5:] if len(days) > 1 else day.isoformat()}</text>"
            )
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}" stroke="#444"/>')
    column_width = plot_width / LEGEND_COLUMNS
    for i, feed in enumerate(feeds):
        x = LEFT + (i % LEGEND_COLUMNS) * column_width
        y = base + AXIS + (i // LEGEND_COLUMNS) * LEGEND_ROW
        name = feed if len(feed) <= 40 else feed[:39] + "…"
        out.append(f'<rect x="{x:.1f}" y="{y - 10}" width="12" height="12" fill="{colours[feed]}"/>')
        out.append(f'<text x="{x + 18:.1f}" y="{y}" fill="#222">{escape(name)} ({totals[feed]})</text>')
    out.append("</svg>")
    return "".join(out)


def render_svg(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str) -> str | None:
    """A standalone SVG document (for the `.svg` output format)."""
    svg = chart_svg(columns, rows, title)
    return None if svg is None else '<?xml version="1.0" encoding="utf-8"?>\n' + svg
