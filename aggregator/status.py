"""Feed health, as rows for `aggregator status` (table or JSON)."""

from __future__ import annotations

import os

import sqlite_utils

from aggregator.urls import redact_text

_HEALTH_SQL = """
SELECT f.id, COALESCE(f.config_title, f.title) AS title, f.url, f.active, f.last_polled_at, f.last_status,
       f.error_count, f.last_error, f.next_poll_at, f.stopped_at, f.stopped_reason, f.last_new_entry_at,
       (SELECT COUNT(*) FROM entries e WHERE e.feed_id = f.id) AS entries,
       (SELECT COUNT(*) FROM entries e WHERE e.feed_id = f.id AND e.extraction_error IS NOT NULL
            AND e.extracted_at IS NULL) AS extraction_errors
FROM feeds f ORDER BY f.error_count DESC, f.id
"""


def feed_health(db_path: str | os.PathLike[str]) -> list[dict[str, object]]:
    """One row per feed; URLs and errors with their credentials redacted (status output ends up in logs too)."""
    db = sqlite_utils.Database(db_path)
    try:
        rows = list(db.query(_HEALTH_SQL))
    finally:
        db.close()
    for row in rows:
        for key in ("title", "url", "last_error", "stopped_reason"):
            if isinstance(row[key], str):
                row[key] = redact_text(row[key])
    return rows


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
        elif row["last_error"]:
            count = int(row["error_count"] or 0)
            streak = f" ({count} errors in a row)" if count > 1 else ""
            lines.append(f"! {row['url']}: {row['last_error']}{streak}")
    return "\n".join(lines)
