"""Lean HTML for the pages read most: the latest articles, the ranked search and the entries list.

Datasette renders every cell of a page through the `render_cell` hook and its templates, about 18 µs a cell:
1,400-1,700 cells made those pages cost several times their JSON. These pages show what a reader needs
(title, feed, date, snippet) and are built from the page's own JSON, fetched in process, so the rows, search
plan, filters and paging are Datasette's (and the plugin's) as they are for `.json`. Anything else the
address asks for (`_view=table`, facets, filters, another sort, `_count=1`) goes to Datasette's own page,
which shows every column; so do `.json`, `.csv` and `.atom`.
"""

from __future__ import annotations

import asyncio
import functools
import html
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

import markupsafe
from datasette.utils.asgi import Request, Response

from aggregator.web.article import article_path
from aggregator.web.tablepage import DATE_COLUMN, TABLE, facet_links, search_count

if TYPE_CHECKING:
    from datasette.app import Datasette

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

_PAGE = re.compile(r"^/(?P<database>[^/]+)/(?P<page>latest|search|entries)$")
# The arguments each lean page understands; any other one means the reader asked for Datasette's page.
_ARGS = {
    "latest": frozenset(),
    "search": frozenset({"q", "since", "until", "all"}),
    "entries": frozenset({"_search", "_sort_desc", "_next"}),
}
# The entries list's columns (the primary key comes with them); every column is one click away.
LIST_COLUMNS = ("title", "feed_id", DATE_COLUMN, "summary", "description")
TABLE_VIEW = "_view"
TEMPLATE = "archive_list.html"
_MARK_OPEN, _MARK_CLOSE = str(markupsafe.escape("<mark>")), str(markupsafe.escape("</mark>"))


def lean_page(path: str, args: list[tuple[str, str]]) -> tuple[str, str] | None:
    """(database route, page) when this address is one of the lean pages, None otherwise."""
    found = _PAGE.match(path)
    if found is None:
        return None
    page = found["page"]
    if any(name not in _ARGS[page] for name, _ in args):
        return None
    if page == "entries" and any(name == "_sort_desc" and value != DATE_COLUMN for name, value in args):
        return None
    return found["database"], page


def lean_pages(app: ASGIApp, datasette: Datasette) -> ASGIApp:
    """ASGI wrapper: the lean pages, falling back to Datasette's own page whenever their JSON is not a 200."""

    async def wrapped(scope: Scope, receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and scope.get("method") in ("GET", "HEAD"):
            args = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            found = lean_page(scope.get("path", ""), args)
            if found is not None:
                # asgi_csrf, inside Datasette's app, sets this for its pages; these pages post nothing.
                request = Request(dict(scope, csrftoken=lambda: ""), receive)
                response = await _render(datasette, request, *found)
                if response is not None:
                    await response.asgi_send(send)
                    return
        await app(scope, receive, send)

    return wrapped


async def _table_rows(datasette: Datasette, request: Request, route: str,
                      args: list[tuple[str, str]]) -> dict[str, Any] | None:
    """The entries page's rows from its own JSON, fetched in process: Datasette's search plan, filters and
    paging, with the list's columns and the feed's label."""
    # _nocount: Datasette counts a plain page's rows, a walk of the whole table (7-15 ms at 1M rows), the one
    # part of the page that grows with the archive; the count is one click away (`_count=1`).
    extra = [("_shape", "objects"), *(("_col", c) for c in LIST_COLUMNS), ("_labels", "on"), ("_nocount", "1")]
    fetched = await datasette.client.get(f"/{route}/{TABLE}.json?" + urlencode(args + extra),
                                         cookies=dict(request.cookies))
    return fetched.json() if fetched.status_code == 200 else None


async def _query_rows(datasette: Datasette, request: Request, database: str, name: str) -> dict[str, Any] | None:
    """A canned query's rows, run as Datasette runs it for its `.json` (the same SQL, parameters, permission
    and time limit), without the round trip through JSON."""
    query = await datasette.get_canned_query(database, name, request.actor)
    if query is None or query.get("write"):
        return None
    if not await datasette.permission_allowed(request.actor, "view-query", (database, name), default=True):
        return None
    sql = query["sql"]
    params = {p: request.args.get(p) or "" for p in query.get("params") or _parameters(sql)}
    try:
        results = await datasette.get_database(database).execute(sql, params)
    except Exception:
        return None
    return {"rows": [dict(zip(results.columns, row, strict=True)) for row in results.rows]}


@functools.cache
def _parameters(sql: str) -> tuple[str, ...]:
    # :name outside comments; the canned queries put no colon-word in a string literal
    code = re.sub(r"--[^\n]*", "", sql)
    return tuple(dict.fromkeys(re.findall(r"(?<!:):([A-Za-z_]\w*)", code)))


async def _render(datasette: Datasette, request: Request, route: str, page: str) -> Response | None:
    try:
        database = datasette.get_database(route=route)
    except KeyError:
        return None
    if page == "entries" and not await database.table_exists(TABLE):
        return None
    args = [(k, v) for k, v in parse_qsl(request.query_string, keep_blank_values=True)]
    counted = None
    if page == "entries":
        # the search counted in the index up to a limit (tablepage.py), on another of Datasette's SQL threads
        # while the rows are read
        data, counted = await asyncio.gather(_table_rows(datasette, request, route, args),
                                             search_count(datasette, database.name, request))
    else:
        data = await _query_rows(datasette, request, database.name, page)
    if data is None:
        return None  # Datasette's page says what went wrong
    articles = article_path(datasette, database.name, 0)[:-1]  # "/DATABASE/article/", computed once a page
    here = f"/{route}/{page}"
    plain = [(k, v) for k, v in args if k != "_next"]
    context: dict[str, Any] = {
        "database": database.name,
        "page": page,
        "metadata": _metadata(datasette, database.name, page),
        "items": _items_html([_item(articles, page, row) for row in data.get("rows") or []]),
        "values": dict(args),
        "action": here,
        "table_url": here + "?" + urlencode([*plain, (TABLE_VIEW, "table")]),
        "json_url": f"{here}.json" + _query(plain),
        "csv_url": f"{here}.csv" + _query([*plain, ("_size", "max")] if page == "entries" else plain),
        "atom_url": f"{here}.atom" + _query(plain) if page != "entries" else None,
        "next_url": here + "?" + urlencode([*plain, ("_next", data["next"])]) if data.get("next") else None,
        "facet_links": facet_links(datasette, request) if page == "entries" else [],
        "search_count": None,
        "count_url": None,
    }
    if page == "entries":
        context["search_count"] = counted
        context["count_url"] = here + "?" + urlencode([*plain, ("_count", "1")])
    if page == "search" and request.args.get("q"):
        context["rank_all_url"] = None if any(request.args.get(k) for k in ("all", "since", "until")) else (
            here + "?" + urlencode([*plain, ("all", "1")]))
        context["newest_url"] = datasette.urls.table(database.name, TABLE) + "?" + urlencode(
            {"_search": request.args.get("q")})
    _messages(datasette, request)
    html = await datasette.render_template(TEMPLATE, context, request=request, view_name=page)
    response = Response.html(html)
    if request.cookies.get("ds_messages"):
        response.set_cookie("ds_messages", "", expires=0, max_age=0)
    return response


def _query(args: list[tuple[str, str]]) -> str:
    return "?" + urlencode(args) if args else ""


def _messages(datasette: Datasette, request: Request) -> None:
    # Datasette's router reads its message cookie (set by searchquery.safe_search) before a view runs; this
    # page is served before the router, so it reads it here.
    cookie = request.cookies.get("ds_messages")
    if cookie:
        try:
            request._messages = datasette.unsign(cookie, "messages")
        except Exception:
            request._messages = []


def _metadata(datasette: Datasette, database: str, page: str) -> dict[str, Any]:
    if page == "entries":
        meta = dict(datasette.table_metadata(database, TABLE))
        return {"title": meta.get("title") or "Entries", "description_html": meta.get("description_html"),
                "columns": meta.get("columns") or {}}
    query = (datasette.metadata("queries", database=database) or {}).get(page) or {}
    return {"title": query.get("title") or page, "description_html": query.get("description_html")}


def _items_html(items: list[dict[str, Any]]) -> markupsafe.Markup:
    """The list's items, formatted here with plain string escaping: Jinja's async rendering (Datasette's
    environment) and Markup.format each cost tens of µs an item."""
    out = []
    for item in items:
        title = _esc(item["title"])
        if item["href"]:
            title = f'<a href="{_esc(item["href"])}">{title}</a>'
        meta = [f'<span class="result-feed">{_esc(item["feed"])}</span>'] if item["feed"] else []
        if item["published_at"]:
            meta.append(f'<time datetime="{_esc(item["published_at"])}">{_esc(item["published_short"])}</time>')
        if item["author"]:
            meta.append(_esc(item["author"]))
        text = item["text"]
        excerpt = f'<p class="result-excerpt">{text if isinstance(text, markupsafe.Markup) else _esc(text)}</p>' \
            if text else ""
        out.append(f'<li class="archive-result"><h2 class="result-title">{title}</h2>'
                   f'<p class="result-meta">{" · ".join(meta)}</p>{excerpt}</li>\n')
    return markupsafe.Markup("".join(out))  # every value above was escaped


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _item(articles: str, page: str, row: dict[str, Any]) -> dict[str, Any]:
    """One row as the list shows it: title linked to the article view, feed, date, text."""
    entry_id = row.get("id") if page == "entries" else row.get("article_id")
    feed = row.get("feed")
    if page == "entries":
        label = row.get("feed_id")
        feed = label.get("label") if isinstance(label, dict) else label
    snippet = row.get("snippet")
    text: markupsafe.Markup | str | None
    if isinstance(snippet, str):
        # snippet(..., '<mark>', '</mark>', ...): escape everything, then restore the marks.
        text = markupsafe.Markup(str(markupsafe.escape(snippet)).replace(_MARK_OPEN, "<mark>")
                                 .replace(_MARK_CLOSE, "</mark>"))
    else:
        summary = row.get("summary") or row.get("description")
        text = summary[:320] + ("…" if len(summary) > 320 else "") if isinstance(summary, str) else None
    published = row.get(DATE_COLUMN) or ""
    return {
        "href": f"{articles}{int(entry_id)}" if entry_id is not None else None,
        "title": row.get("title") or "(untitled)",
        "feed": feed,
        "published_at": published,
        "published_short": published[:16].replace("T", " "),
        "author": row.get("author"),
        "text": text,
        "rank": row.get("rank"),
    }
