"""The entries table page over a big archive: what Datasette 0.65 would otherwise do on every view.

- Search (`?_search=`, date-sorted, the table's default): Datasette filters with
  `id in (select rowid from entries_fts where entries_fts match :search)`, and SQLite, which guesses such a
  subquery returns 25 rows, then looks up every match by id and sorts them all by date: 230 ms for a word in
  an eighth of a million articles. For a search with many matches, `+id in (...)` makes it walk the
  published_at index newest first and stop after one page (18 ms); a search with few matches keeps the
  lookup, which is then the faster plan. `published_at_plan` makes that choice in a hook wrapper around
  Datasette's own search filter; the rows returned are the same either way.
- Counting every match costs as much as the lookup (100-160 ms at 1M rows, whichever plan), so a search on
  this page is not counted (`_nocount`, added by `NoCountSearch`); the page says how many articles match the
  search, counted in the FTS index only, up to COUNT_LIMIT (Datasette 1.0 stops its counts at 10,000 too),
  and `?_count=1` asks for Datasette's exact count.
- Facets are not computed on every view (600 ms at 1M rows): `facet_links` offers them one click away.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from datasette.filters import FilterArguments
from datasette.utils import escape_sqlite, path_with_added_args
from datasette.utils.asgi import Request

if TYPE_CHECKING:
    from datasette.app import Datasette

TABLE = "entries"
FTS_TABLE = "entries_fts"
DATE_COLUMN = "published_at"
# Matches above which walking the date index beats looking every match up (a lookup costs far more than a
# step along the index; the README's Performance section has the measurements).
INDEX_PLAN_MIN_MATCHES = 1000
COUNT_LIMIT = 10_000
COUNT_ARG = "_count"
# (label, query-string arguments) of the facets offered on the entries page.
FACETS: tuple[tuple[str, dict[str, str]], ...] = (
    ("feed", {"_facet": "feed_id"}),
    ("tag", {"_facet_tags": "id"}),
    ("language", {"_facet": "language"}),
    ("author", {"_facet": "author"}),
    ("month", {"_facet_month": DATE_COLUMN}),
)

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


def _is_entries_page(path: str) -> bool:
    parts = path.strip("/").split("/")
    return len(parts) == 2 and parts[1] in (TABLE, f"{TABLE}.json")


def no_count_search(app: ASGIApp) -> ASGIApp:
    """ASGI wrapper: `?_search=` on the entries table gets `_nocount=1` unless `_count=1` or `_extra=count` asks
    for the count."""

    async def wrapped(scope: Scope, receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and _is_entries_page(scope.get("path", "")):
            args = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            names = {name for name, _ in args}
            # `_extra=count` asks for the count too: the search-all page (/-/search) reads "no results" without it
            asks_count = ("_extra", "count") in args
            if "_search" in names and "_nocount" not in names and COUNT_ARG not in names and not asks_count:
                scope = dict(scope, query_string=urlencode([*args, ("_nocount", "1")]).encode("latin-1"))
        await app(scope, receive, send)

    return wrapped


def date_sorted_page(request: Request, datasette: Datasette, database: str) -> bool:
    """Whether the entries page is sorted by date (explicitly, or by the table's default sort)."""
    sort, sort_desc = request.args.get("_sort"), request.args.get("_sort_desc")
    if not sort and not sort_desc:
        meta = datasette.table_metadata(database, TABLE)
        sort, sort_desc = meta.get("sort"), meta.get("sort_desc")
    return DATE_COLUMN in (sort, sort_desc)


def published_at_plan(request: Request, database: str, table: str, datasette: Datasette,
                      results: list[Any]) -> list[Any] | None:
    """The filter results with Datasette's search clause turned into the date-index plan when the search is
    date-sorted and has many matches; None when nothing is to change."""
    if table != TABLE or not request.args.get("_search") or not date_sorted_page(request, datasette, database):
        return None

    async def rewrite(result: Any) -> Any:
        while callable(result) or hasattr(result, "__await__"):
            result = await (result() if callable(result) else result)
        if not isinstance(result, FilterArguments) or "search" not in result.params:
            return result
        # The clause exactly as datasette/filters.py writes it (raw search mode); anything else stays as is.
        pk = escape_sqlite(datasette.table_metadata(database, TABLE).get("fts_pk", "rowid"))
        fts = escape_sqlite(FTS_TABLE)
        clause = f"{pk} in (select rowid from {fts} where {fts} match :search)"
        if clause not in result.where_clauses:
            return result
        found = await _matches_up_to(datasette, database, result.params["search"], INDEX_PLAN_MIN_MATCHES)
        if found is None or found < INDEX_PLAN_MIN_MATCHES:  # None: malformed, Datasette's own query reports it
            return result
        clauses = ["+" + c if c == clause else c for c in result.where_clauses]
        return FilterArguments(clauses, result.params, result.human_descriptions, result.extra_context)

    return [rewrite(r) if r is not None else None for r in results]


async def _matches_up_to(datasette: Datasette, database: str, search: str, limit: int) -> int | None:
    """Entries matching an FTS query, counted in the index and stopping at `limit`; None when the query is
    malformed."""
    try:
        found = await datasette.get_database(database).execute(
            f"select count(*) from (select rowid from [{FTS_TABLE}] where [{FTS_TABLE}] match :search "
            f"limit {int(limit)})",
            {"search": search},
        )
    except Exception:
        return None
    return found.single_value()


async def search_count(datasette: Datasette, database: str, request: Request) -> dict[str, Any] | None:
    """How many entries match the page's search, counted in the FTS index up to COUNT_LIMIT; None when the
    page has no search, Datasette counted it itself, or other filters narrow it (the FTS count would not
    be theirs)."""
    search = request.args.get("_search")
    if not search or COUNT_ARG in request.args or request.args.get("_next"):
        return None
    if any(not key.startswith("_") or "__" in key for key in request.args) or request.args.get("_tag"):
        return None
    count = await _matches_up_to(datasette, database, search, COUNT_LIMIT + 1)
    if count is None:
        return None
    return {
        "count": min(count, COUNT_LIMIT),
        "more": count > COUNT_LIMIT,
        "exact_url": datasette.urls.path(path_with_added_args(request, {COUNT_ARG: "1", "_nocount": None})),
    }


def facet_links(datasette: Datasette, request: Request) -> list[dict[str, str]]:
    """Links that add each facet of FACETS (and all of them) to the current entries page, keeping its
    search, filters and sort; facets already shown are left out."""
    args = request.args
    links = []
    wanted: list[tuple[str, str]] = []
    for label, facet in FACETS:
        ((key, value),) = facet.items()
        if value in args.getlist(key):
            continue
        wanted.append((key, value))
        links.append({"label": label, "url": datasette.urls.path(_with_args(request, [(key, value)]))})
    if len(wanted) > 1:
        links.append({"label": "all of them", "url": datasette.urls.path(_with_args(request, wanted))})
    return links


def _with_args(request: Request, extra: list[tuple[str, str]]) -> str:
    # path_with_added_args replaces a key's values; facets repeat keys (_facet=feed_id&_facet=language).
    args = [(k, v) for k, v in parse_qsl(request.query_string, keep_blank_values=True) if k != "_next"]
    return request.path + "?" + urlencode(args + extra)
