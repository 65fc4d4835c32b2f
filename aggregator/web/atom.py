"""`.atom` for the archive's queries: any query returning `article_id` (latest, search, a feed's articles).

Replaces datasette-atom, which needed six `atom_*` columns in every row of a query, and so in its HTML
page, where they were about half the bytes and a good share of the cells Datasette renders. Here the feed's
fields are read by article id. A query of your own that returns datasette-atom's columns (`atom_id`,
`atom_updated`, `atom_title`, ...) still works as it did. A feed without entries is a valid empty feed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

import nh3
from datasette.utils.asgi import Request, Response

from aggregator.web.article import article_path

if TYPE_CHECKING:
    from datasette.app import Datasette

ATOM_COLUMNS = frozenset({"atom_id", "atom_updated", "atom_title"})  # datasette-atom's own contract
ID_COLUMN = "article_id"
CONTENT_CHARS = 500
# The fields of each entry, as the former atom_* columns computed them.
_ENTRIES_SQL = """
select e.id,
  coalesce(e.url, 'urn:aggregator:entry:' || e.id) as atom_id,
  coalesce(e.updated_at, e.published_at, e.first_seen_at) as atom_updated,
  coalesce(e.title, '(untitled)') as atom_title,
  coalesce(e.canonical_url, e.url) as atom_link,
  e.author as atom_author_name,
  coalesce(e.summary, substr(e.full_text, 1, {chars})) as atom_content
from entries e where e.id in ({ids})
"""
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MARKS = re.compile(r"</?mark>")
_EPOCH = "1970-01-01T00:00:00Z"


def can_render(columns: list[str]) -> bool:
    return ID_COLUMN in columns or set(columns) >= ATOM_COLUMNS


async def render(datasette: Datasette, request: Request, columns: list[str], rows: list[Any], database: str,
                 title: str) -> Response:
    if set(columns) >= ATOM_COLUMNS:
        entries = [dict(zip(columns, row, strict=False)) for row in rows]
    else:
        entries = await _entries_by_id(datasette, database, columns, rows)
    articles = article_path(datasette, database, 0)[:-1]
    body = _feed(request.url, title, entries, articles)
    return Response(body, content_type="application/xml; charset=utf-8")


async def _entries_by_id(datasette: Datasette, database: str, columns: list[str],
                         rows: list[Any]) -> list[dict[str, Any]]:
    """The rows' entries in the rows' order; a search's snippet (marks taken out) is the entry's content."""
    position = columns.index(ID_COLUMN)
    snippet = columns.index("snippet") if "snippet" in columns else None
    ids = [int(row[position]) for row in rows if isinstance(row[position], int)]
    if not ids:
        return []
    sql = _ENTRIES_SQL.format(chars=CONTENT_CHARS, ids=", ".join(str(i) for i in ids))
    found = {row["id"]: dict(row) for row in (await datasette.get_database(database).execute(sql)).rows}
    entries = []
    for row in rows:
        entry = found.get(row[position]) if isinstance(row[position], int) else None
        if entry is None:
            continue
        if snippet is not None and isinstance(row[snippet], str):
            entry["atom_content"] = _MARKS.sub("", row[snippet])
        entries.append(entry)
    return entries


def _feed(url: str, title: str, entries: list[dict[str, Any]], articles: str) -> str:
    dates = [_date(e.get("atom_updated")) for e in entries]
    parts = [
        "<?xml version='1.0' encoding='UTF-8'?>\n",
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<id>{_text(url)}</id><title>{_text(title)}</title><updated>{max(dates, default=_EPOCH)}</updated>",
        f'<link href={_attr(url)} rel="self"/><generator>aggregator</generator>\n',
    ]
    for entry, updated in zip(entries, dates, strict=True):
        parts.append(f"<entry><id>{_text(entry['atom_id'])}</id><title>{_text(entry['atom_title'])}</title>"
                     f"<updated>{updated}</updated>")
        # An entry without a usable link (a feed's javascript: link is stored as NULL) links to its article view.
        link = entry.get("atom_link") or (f"{articles}{entry['id']}" if entry.get("id") is not None else None)
        if link:
            parts.append(f"<link href={_attr(link)}/>")
        if entry.get("atom_author_name"):
            parts.append(f"<author><name>{_text(entry['atom_author_name'])}</name></author>")
        if entry.get("atom_content_html"):
            parts.append(f'<content type="html">{_text(nh3.clean(str(entry["atom_content_html"])))}</content>')
        elif entry.get("atom_content"):
            parts.append(f'<content type="text">{_text(entry["atom_content"])}</content>')
        parts.append("</entry>\n")
    parts.append("</feed>\n")
    return "".join(parts)


def _text(value: Any) -> str:
    return escape(_XML_INVALID.sub("", str(value)))


def _attr(value: Any) -> str:
    return quoteattr(_XML_INVALID.sub("", str(value)))


def _date(value: Any) -> str:
    """RFC 3339 in UTC, as Atom requires; what cannot be read is the epoch rather than an invalid feed."""
    if not value:
        return _EPOCH
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return _EPOCH
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
