"""Searches typed by people: FTS5 syntax errors turned into a plain search, and the search-all page's JSON.

The entries table (`?_search=`, `?_search_COLUMN=`) and the `search` query (`?q=`) take raw FTS5 syntax. A query
FTS5 cannot read (`AND`, an unbalanced quote, `nosuchcolumn:word`) used to reach the user as
`fts5: syntax error near "AND"` and dump the SQL into the server log. `safe_search` checks each such query
against an empty FTS5 table with the archive's columns and tokenizer before Datasette sees it; one that fails
is replaced by its words, each a quoted term (`"AND"`), and an HTML page says so in Datasette's message bar.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from datasette.utils.asgi import Request, Response

if TYPE_CHECKING:
    from datasette.app import Datasette

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

# The archive's entries_fts (schema.py): the same columns and tokenizer, so column filters are checked too.
_FTS_DDL = "create virtual table q using fts5(title, summary, full_text, tokenize = 'unicode61 remove_diacritics 2')"
_WORD = re.compile(r"(\w+)(:?)")  # a word, and whether it is a column filter ("title:")
# Which argument of which page is an FTS5 query: the entries table's search box, and the `search` query's q.
_TABLE_PAGE = re.compile(r"^/[^/]+/entries(?:\.\w+)?$")
_QUERY_PAGE = re.compile(r"^/[^/]+/search(?:\.\w+)?$")
SEARCH_ALL_JSON = "/-/search.json"
SEARCH_ALL_ROWS = 5


class _Checker:
    """An empty FTS5 table in memory: FTS5 parses a MATCH expression even when there is nothing to match."""

    def __init__(self) -> None:
        self._conn: sqlite3.Connection | None = None

    def error(self, query: str) -> str | None:
        if self._conn is None:
            self._conn = sqlite3.connect(":memory:", check_same_thread=False)
            self._conn.execute(_FTS_DDL)
        try:
            self._conn.execute("select rowid from q where q match ?", (query,)).fetchall()
        except sqlite3.Error as exc:
            return str(exc)
        return None


_checker = _Checker()


def fts_error(query: str) -> str | None:
    """FTS5's complaint about `query`, or None when it reads it."""
    return _checker.error(query)


def words_query(query: str) -> str:
    """The words of `query`, each a quoted FTS5 term (all must match): what a failed query is run as. A column
    filter's name (`nosuchcolumn:` in `nosuchcolumn:word`) is not a word of the search."""
    return " ".join(f'"{word}"' for word, colon in _WORD.findall(query) if not colon)


def _search_args(path: str) -> Callable[[str], bool] | None:
    if _TABLE_PAGE.match(path):
        return lambda name: name == "_search" or name.startswith("_search_")
    if _QUERY_PAGE.match(path):
        return lambda name: name == "q"
    return None


def safe_search(app: ASGIApp, datasette: Datasette) -> ASGIApp:
    """ASGI wrapper: FTS5 queries that cannot be read are run as their words, with a message on HTML pages;
    `/-/search.json` answers with JSON (Datasette would route it to the search-all page's HTML)."""

    async def wrapped(scope: Scope, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path == SEARCH_ALL_JSON:
            response = await search_all_json(datasette, Request(scope, receive))
            await response.asgi_send(send)
            return
        is_search = _search_args(path)
        if is_search is not None and scope.get("query_string"):
            args = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            notes: list[str] = []
            fixed: list[tuple[str, str]] = []
            for name, value in args:
                if is_search(name) and value.strip() and fts_error(_utf8(value)) is not None:
                    words = words_query(_utf8(value))
                    notes.append(_note(_utf8(value), words))
                    if not words and name != "q":  # Datasette reads an empty ?_search= as FTS syntax too
                        continue
                    value = words.encode("utf-8").decode("latin-1")
                fixed.append((name, value))
            if notes:
                scope = dict(scope, query_string=urlencode(fixed).encode("latin-1"))
                if "." not in path.rsplit("/", 1)[-1]:  # an HTML page shows messages; .json/.atom/.csv do not
                    scope["headers"] = _with_message(scope.get("headers", []), datasette, " ".join(notes))
        await app(scope, receive, send)

    return wrapped


def _utf8(value: str) -> str:
    # parse_qsl over latin-1 keeps the bytes; the query itself is UTF-8
    return value.encode("latin-1").decode("utf-8", "replace")


def _note(query: str, words: str) -> str:
    if not words:
        return f"The search “{query}” is not valid search syntax and has no words to search for."
    return f"The search “{query}” is not valid search syntax, so its words were searched for instead: {words}."


def _with_message(headers: list[tuple[bytes, bytes]], datasette: Datasette, message: str) -> list[tuple[bytes, bytes]]:
    """The request's headers with Datasette's message cookie set: the page shows the message, and Datasette's
    response clears the cookie again."""
    signed = datasette.sign([[message, datasette.INFO]], "messages")
    cookie = f"ds_messages={signed}".encode("latin-1")
    others = [(k, v) for k, v in headers if k.lower() != b"cookie"]
    existing = [v for k, v in headers if k.lower() == b"cookie"]
    return [*others, (b"cookie", b"; ".join([*existing, cookie]))]


async def search_all_json(datasette: Datasette, request: Request) -> Response:
    """`/-/search.json?q=`: for each searchable table, its URL, how many rows match and the first few, as the
    search-all page's script collects them (through each table's own JSON, so permissions and redaction apply)."""
    from datasette_search_all.utils import get_searchable_tables

    q = (request.args.get("q") or "").strip()
    results = []
    if q:
        for database, table in await get_searchable_tables(datasette, request):
            args = {"_search": q, "_shape": "objects", "_size": str(SEARCH_ALL_ROWS), "_extra": "count"}
            url = datasette.urls.table(database, table, format="json") + "?" + urlencode(args)
            response = await datasette.client.get(url, cookies=request.cookies)
            if response.status_code != 200:
                continue
            data = response.json()
            results.append({
                "database": database,
                "table": table,
                "url": datasette.urls.table(database, table) + "?" + urlencode({"_search": q}),
                "count": data.get("filtered_table_rows_count"),
                "rows": data.get("rows", []),
            })
    return Response.json({"q": q, "results": results})
