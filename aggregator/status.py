"""Feed health, as rows for `aggregator status` (table or JSON)."""

from __future__ import annotations

import os

from aggregator.store import Archive
from aggregator.urls import redact_text


def feed_health(db_path: str | os.PathLike[str]) -> list[dict[str, object]]:
    """One row per feed; URLs and errors with their credentials redacted (status output ends up in logs too)."""
    archive = Archive(db_path)
    try:
        rows = archive.feed_health()
    finally:
        archive.close()
    for row in rows:
        for key in ("title", "url", "last_error", "stopped_reason"):
            value = row[key]
            if isinstance(value, str):
                row[key] = redact_text(value)
    return rows


def _count(value: object) -> int:
    return int(value) if isinstance(value, int | str) and value else 0


def all_failing(rows: list[dict[str, object]]) -> bool:
    """Every feed of the config failed at its last poll or was stopped (and there is at least one).

    Feeds removed from the config or disabled do not count; a feed not polled yet is not failing.
    """
    active = [row for row in rows if row["active"]]
    return bool(active) and all(row["stopped_at"] or _count(row["error_count"]) > 0 for row in active)


def format_table(rows: list[dict[str, object]]) -> str:
    columns = [
        ("id", "ID"),
        ("title", "FEED"),
        ("last_polled_at", "LAST POLL"),
        ("last_status", "HTTP"),
        ("error_count", "ERRORS"),
        ("next_poll_at", "NEXT POLL"),
        ("extraction_errors", "NO TEXT"),
        ("entries", "ENTRIES"),
        ("open_gaps", "GAPS"),
        ("last_new_entry_at", "LAST NEW"),
    ]
    cells = [[h for _, h in columns]]
    for row in rows:
        title = str(row["title"] or row["url"])
        cells.append(
            [title[:40] if key == "title" else ("" if row[key] is None else str(row[key])) for key, _ in columns]
        )
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in cells]
    for row in rows:
        if row["stopped_reason"]:
            lines.append(f"! {row['url']}: STOPPED {row['stopped_at']}: {row['stopped_reason']}")
        elif not row["active"]:
            continue
        elif row["open_gaps"]:
            lines.append(f"! {row['url']}: {row['open_gaps']} gap(s) not filled yet ({row['posts_recovered']} posts "
                         "recovered so far; see the gaps table)")
        elif row["last_error"]:
            count = _count(row["error_count"])
            streak = f" ({count} errors in a row)" if count > 1 else ""
            lines.append(f"! {row['url']}: {row['last_error']}{streak}")
    return "\n".join(lines)
