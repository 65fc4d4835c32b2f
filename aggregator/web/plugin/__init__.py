"""aggregator's Datasette plugin: what metadata.yaml cannot say.

Registered through the `datasette` entry point in pyproject.toml, so every Datasette in this environment
loads it; each hook only acts on archives (databases with `entries` / `feeds` tables) or on columns named
for it. It adds:

- the article view `/DATABASE/article/ID` (article.py) and links to it from titles;
- `month` and `tags` facets and the `?_tag=` filter (facets.py);
- a server-drawn chart for queries returning day/articles(/feed) (chart.py), inline and as `.svg`;
- the feed health view: the `feed_health` query's feeds, worst first, with sparklines of their entries and
  polls per day (health.py);
- `<mark>` highlighting of search snippets;
- SQL functions `redact_url(url)` and `redact_text(text)`, security headers, and redaction of
  credential-bearing feed URLs from every response (redact.py, security.py);
- `.atom` for queries returning `article_id` (atom.py; an empty feed when a subscribed search has no results
  yet, a search's feed titled with its query);
- lean HTML for the latest articles, the ranked search and the entries list (leanpages.py), and
  datasette-search-all's menu check remembered for a minute (menucache.py);
- a fast entries page over a big archive: search on the date index, counts capped, facets on request
  (tablepage.py).
"""

from __future__ import annotations

import functools
import sqlite3
from typing import TYPE_CHECKING, Any

import markupsafe
from datasette import hookimpl
from datasette.utils.asgi import Request, Response
from datasette.views.base import DatasetteError
from jinja2 import Environment

from aggregator.web import atom
from aggregator.web.article import ROUTE, article_path, article_view
from aggregator.web.chart import can_chart, chart_svg, render_svg
from aggregator.web.facets import MonthFacet, TagFacet, tag_filter
from aggregator.web.health import Sparklines, feed_sparklines, relative
from aggregator.web.leanpages import lean_pages
from aggregator.web.menucache import cache_search_all_menu
from aggregator.web.redact import redact_text, redact_url
from aggregator.web.searchquery import safe_search
from aggregator.web.security import wrap
from aggregator.web.tablepage import facet_links, no_count_search, published_at_plan, search_count

if TYPE_CHECKING:
    from datasette.app import Datasette

PLUGIN_NAME = "aggregator"  # the distribution's name: Datasette serves our static/ at /-/static-plugins/aggregator/
SNIPPET_COLUMNS = frozenset({"snippet"})
_LINKED_COLUMNS = SNIPPET_COLUMNS | {"title", "article_id"}
_MARK_OPEN, _MARK_CLOSE = str(markupsafe.escape("<mark>")), str(markupsafe.escape("</mark>"))


# SQLite's fts3_tokenizer() returns a pointer into libsqlite (one argument) and registers a tokenizer from a
# pointer (two): an address leak and a step towards code execution from ?sql=. The authorizer refuses to prepare
# any statement that calls it (a Python function replacing it would print a traceback at each call).
_DENIED_FUNCTIONS = frozenset({"fts3_tokenizer"})


def _authorizer(action: int, arg1: str | None, arg2: str | None, db_name: str | None, source: str | None) -> int:
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in _DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.create_function("redact_url", 1, redact_url, deterministic=True)
    conn.create_function("redact_text", 1, redact_text, deterministic=True)
    conn.set_authorizer(_authorizer)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(ROUTE, article_view)]


@hookimpl
def register_facet_classes() -> list[type]:
    return [MonthFacet, TagFacet]


@hookimpl
def filters_from_request(request: Request, database: str, table: str, datasette: Datasette) -> Any:
    async def inner() -> Any:
        return await tag_filter(request, table, database, datasette)

    return inner


@hookimpl(hookwrapper=True, specname="filters_from_request")
def search_plan(request: Request, database: str, table: str, datasette: Datasette) -> Any:
    # Wraps every filters_from_request hook, Datasette's own search filter included (see tablepage.py).
    outcome = yield
    changed = published_at_plan(request, database, table, datasette, outcome.get_result())
    if changed is not None:
        outcome.force_result(changed)


@hookimpl
def asgi_wrapper(datasette: Datasette) -> Any:
    return lambda app: wrap(safe_search(lean_pages(no_count_search(app), datasette), datasette), datasette)


@hookimpl
def extra_template_vars(template: str, database: str | None, table: str | None, request: Request | None,
                        datasette: Datasette) -> dict[str, Any]:
    if template == "query.html" and database is not None:
        # Called by templates/query.html on the feed_health query only: per-feed sparklines (health.py).
        async def archive_feed_sparklines() -> Sparklines:
            return await feed_sparklines(datasette, database)

        return {"archive_feed_sparklines": archive_feed_sparklines, "archive_relative_time": relative}
    if table != "entries" or request is None or database is None or not template.startswith("table"):
        return {}

    async def archive_search_count() -> dict[str, Any] | None:
        return await search_count(datasette, database, request)

    return {"archive_facet_links": facet_links(datasette, request), "archive_search_count": archive_search_count}


@hookimpl
def extra_css_urls(datasette: Datasette) -> list[str]:
    return [datasette.urls.static_plugins(_static_name(), "archive.css")]


@hookimpl
def extra_js_urls(template: str, datasette: Datasette) -> list[dict[str, Any]]:
    # Datasette's pages with form controls it leaves unnamed (static/labels.js); not the article page, whose
    # policy allows no script of ours and which has no such controls.
    if template in ("table.html", "database.html", "query.html"):
        return [{"url": datasette.urls.static_plugins(_static_name(), "labels.js"), "module": True}]
    return []


@functools.cache
def _static_name() -> str:
    # Datasette serves a plugin's static/ under its distribution's name when it came through the entry
    # point ("aggregator"), under its module's name when make_datasette registered it directly.
    from datasette.plugins import get_plugins

    names = {p["name"] for p in get_plugins()}
    return PLUGIN_NAME if PLUGIN_NAME in names else __name__


@hookimpl
def prepare_jinja2_environment(env: Environment) -> None:
    def archive_chart(columns: Any, rows: Any, title: str = "") -> markupsafe.Markup | None:
        svg = chart_svg(list(columns or []), rows or [], title or "Articles per day")
        return markupsafe.Markup(svg) if svg else None  # built from escaped values only

    env.globals["archive_chart"] = archive_chart


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Datasette) -> Any:
    # Called for every cell of every page (1,650 on an entries page): leave other columns at once.
    if column not in _LINKED_COLUMNS or not isinstance(value, str | int) or value == "":
        return None
    keys = row.keys() if hasattr(row, "keys") else ()
    if column in SNIPPET_COLUMNS and table is None and isinstance(value, str):
        # snippet(entries_fts, ..., '<mark>', '</mark>', ...): escape everything, then restore the marks.
        escaped = str(markupsafe.escape(value)).replace(_MARK_OPEN, "<mark>").replace(_MARK_CLOSE, "</mark>")
        return markupsafe.Markup(escaped)
    # Titles link to the article view: in the entries table, and in queries that return an article_id.
    if column == "title" and table == "entries" and "id" in keys:
        return _article_link(datasette, database, row["id"], value)
    if table is None and column == "title" and "article_id" in keys and row["article_id"] is not None:
        return _article_link(datasette, database, row["article_id"], value)
    if table is None and column == "article_id" and isinstance(value, int):
        return _article_link(datasette, database, value, str(value))
    return None


def _article_link(datasette: Datasette, database: str, entry_id: Any, text: Any) -> markupsafe.Markup:
    return markupsafe.Markup('<a href="{}">{}</a>').format(article_path(datasette, database, int(entry_id)), text)


@hookimpl
def register_output_renderer(datasette: Datasette) -> list[dict[str, Any]]:
    return [{"extension": "svg", "render": _render_chart, "can_render": can_chart},
            {"extension": "atom", "render": _render_atom, "can_render": atom.can_render}]


def _render_chart(datasette: Datasette, columns: list[str], rows: list[Any], query_name: str | None,
                  database: str) -> Response:
    title = "Articles per day"
    if query_name:
        title = (datasette.metadata("queries", database=database) or {}).get(query_name, {}).get("title") or title
    svg = render_svg(columns, rows, title)
    if svg is None:
        return Response.text("Nothing to draw: the query returned no day/articles rows", status=400)
    return Response(svg, content_type="image/svg+xml; charset=utf-8")


async def _render_atom(datasette: Datasette, request: Request, sql: str, columns: list[str], rows: list[Any],
                       database: str, query_name: str | None) -> Response:
    if query_name:
        title = _feed_title(datasette, database, query_name, request)
    else:
        title = request.args.get("_feed_title") or sql
    return await atom.render(datasette, request, columns, rows, database, title)


@hookimpl
def handle_exception(datasette: Datasette, request: Request, exception: Exception) -> Response | None:
    # Datasette 0.65 raises "Cannot sort table by X" for an unknown ?_sort= column with its default status, 500:
    # it is the request's fault. The default handler renders it after this hook has run.
    if isinstance(exception, DatasetteError) and str(exception.message).startswith("Cannot sort table by "):
        exception.status = 400
    return None


def _query_title(datasette: Datasette, database: str, name: str) -> str:
    queries = (datasette.metadata("queries", database=database) or {}) if database else {}
    return str(queries.get(name, {}).get("title") or name)


def _feed_title(datasette: Datasette, database: str, name: str, request: Request) -> str:
    """A canned query's title, with the search words when there are any: a reader subscribed to several
    searches tells them apart by their titles."""
    title = _query_title(datasette, database, name)
    q = (request.args.get("q") or "").strip()
    return f"{title}: {q}" if q else title


@hookimpl
def startup(datasette: Datasette) -> None:
    cache_search_all_menu()
    # datasette-atom, if still installed, registers `.atom` too: the archive's renderer (atom.py) is the one.
    datasette.renderers["atom"] = (_render_atom, atom.can_render)
