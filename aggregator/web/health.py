"""Feed health at a glance: per feed, small server-drawn SVG sparklines of the last DAYS days.

The `feed_health` canned query gives the feeds, worst first; this adds two sparklines per feed, drawn from
the `entries` and `polls` tables: new entries per day (as the archive received them, backfilled posts left
out) and each day's poll outcome (every poll fine, some failed, all failed, no poll). No JavaScript and
nothing fetched from elsewhere, like the chart (chart.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html import escape
from typing import TYPE_CHECKING, Any

import markupsafe

if TYPE_CHECKING:
    from datasette.app import Datasette

DAYS = 30
BAR, GAP, HEIGHT = 5, 1, 28
WIDTH = DAYS * (BAR + GAP) - GAP
ENTRY_COLOUR = "#0072B2"  # Okabe-Ito blue, as the chart's first feed
# Poll outcomes differ in height as well as colour, so they read without colour vision too.
OUTCOMES = {  # outcome: (colour, height, label)
    "ok": ("#1a7f37", 12, "every poll fine"),
    "some": ("#9a6700", 20, "some polls failed"),
    "failed": ("#cf222e", HEIGHT, "every poll failed"),
    "none": ("#8c959f", 2, "no poll"),
}

_ENTRIES_SQL = """
select feed_id, substr(first_seen_at, 1, 10) as day, count(*) as n
from entries
where first_seen_at >= :since and coalesce(backfilled, 0) = 0
group by feed_id, day
"""
_POLLS_SQL = """
select feed_id, substr(started_at, 1, 10) as day, count(*) as n, sum(error is not null) as failed
from polls
where started_at >= :since
group by feed_id, day
"""


@dataclass
class FeedDays:
    entries: dict[date, int] = field(default_factory=dict)
    polls: dict[date, tuple[int, int]] = field(default_factory=dict)  # day: (polls, failed)


def window(today: date) -> list[date]:
    return [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]


async def feed_days(datasette: Datasette, database: str, today: date | None = None) -> dict[int, FeedDays]:
    """Every feed's entries and polls per day over the DAYS days up to today (UTC)."""
    db = datasette.get_database(database)
    today = today or datetime.now(UTC).date()
    since = window(today)[0].isoformat()
    days: dict[int, FeedDays] = {}
    if await db.table_exists("entries"):
        for feed_id, day, n in (await db.execute(_ENTRIES_SQL, {"since": since})).rows:
            parsed = _day(day)
            if parsed is not None:
                days.setdefault(feed_id, FeedDays()).entries[parsed] = n
    if await db.table_exists("polls"):
        for feed_id, day, n, failed in (await db.execute(_POLLS_SQL, {"since": since})).rows:
            parsed = _day(day)
            if parsed is not None:
                days.setdefault(feed_id, FeedDays()).polls[parsed] = (n, failed or 0)
    return days


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _svg(kind: str, label: str, shapes: list[str]) -> markupsafe.Markup:
    return markupsafe.Markup(
        f'<svg class="sparkline {kind}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>{''.join(shapes)}</svg>"
    )


def entries_sparkline(counts: dict[date, int], today: date) -> markupsafe.Markup:
    """Bars of new entries per day, scaled to the feed's busiest day; a day without any is a flat tick."""
    days = window(today)
    top = max((counts.get(d, 0) for d in days), default=0)
    total = sum(counts.get(d, 0) for d in days)
    shapes = []
    for i, day in enumerate(days):
        n = counts.get(day, 0)
        height = max(2.0, n / top * HEIGHT) if n else 1.0
        colour = ENTRY_COLOUR if n else "#d0d7de"
        shapes.append(
            f'<rect x="{i * (BAR + GAP)}" y="{HEIGHT - height:.1f}" width="{BAR}" height="{height:.1f}" '
            f'fill="{colour}"><title>{day.isoformat()}: {n} new</title></rect>'
        )
    busiest = f", at most {top} a day" if top else ""
    label = f"New entries per day, last {DAYS} days: {total} in all{busiest}"
    return _svg("entries", label, shapes)


def outcome(polls: int, failed: int) -> str:
    if not polls:
        return "none"
    if not failed:
        return "ok"
    return "failed" if failed >= polls else "some"


def polls_sparkline(polls: dict[date, tuple[int, int]], today: date) -> markupsafe.Markup:
    """One mark per day: the day's poll outcome, by colour and height."""
    days = window(today)
    shapes = []
    tally = dict.fromkeys(OUTCOMES, 0)
    for i, day in enumerate(days):
        n, failed = polls.get(day, (0, 0))
        kind = outcome(n, failed)
        tally[kind] += 1
        colour, height, _ = OUTCOMES[kind]
        shapes.append(
            f'<rect class="{kind}" x="{i * (BAR + GAP)}" y="{HEIGHT - height}" width="{BAR}" height="{height}" '
            f'fill="{colour}"><title>{day.isoformat()}: {n} polls, {failed} failed</title></rect>'
        )
    summary = ", ".join(f"{tally[k]} {OUTCOMES[k][2]}" for k in OUTCOMES if tally[k])
    label = f"Polls per day, last {DAYS} days: {summary}"
    return _svg("polls", label, shapes)


class Sparklines:
    """Both sparklines of every feed, drawn on demand; a feed without entries or polls in the window gets
    empty ones."""

    def __init__(self, by_feed: dict[int, FeedDays], today: date) -> None:
        self._by_feed = by_feed
        self.today = today

    def for_feed(self, feed_id: int) -> dict[str, markupsafe.Markup]:
        days = self._by_feed.get(feed_id, FeedDays())
        today = self.today
        return {"entries": entries_sparkline(days.entries, today), "polls": polls_sparkline(days.polls, today)}


async def feed_sparklines(datasette: Datasette, database: str, today: date | None = None) -> Sparklines:
    today = today or datetime.now(UTC).date()
    return Sparklines(await feed_days(datasette, database, today), today)


def relative(value: Any, now: datetime | None = None) -> str:
    """`2026-12-07T12:40:00Z` -> "in 12 min" / "3 h ago" / "2 days ago": when a poll is due or was."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = (moment - (now or datetime.now(UTC))).total_seconds()
    size = abs(seconds)
    if size < 60:
        return "now"
    if size < 3600:
        amount = f"{size // 60:.0f} min"
    elif size < 2 * 86400:
        amount = f"{size // 3600:.0f} h"
    else:
        amount = f"{size // 86400:.0f} days"
    return f"in {amount}" if seconds > 0 else f"{amount} ago"
