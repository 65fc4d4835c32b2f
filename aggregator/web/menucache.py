"""datasette-search-all's menu link, remembered for a minute.

Its `menu_links` hook asks on every HTML page whether any table is searchable: about ten queries, each a
hop to Datasette's SQL thread, 1.5-2 ms of a page that otherwise takes a few. The answer changes only when a
table gains or loses its search index, so it is kept per Datasette and actor for MENU_TTL seconds.
"""

from __future__ import annotations

import json
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datasette.app import Datasette

MENU_TTL = 60.0
_answers: weakref.WeakKeyDictionary[Any, dict[str, tuple[float, bool]]] = weakref.WeakKeyDictionary()


def cache_search_all_menu() -> None:
    try:
        import datasette_search_all
    except ImportError:
        return
    original = datasette_search_all.has_searchable_tables  # the name its menu_links hook calls
    if getattr(original, "cached_by_aggregator", False):
        return
    datasette_search_all.has_searchable_tables = _cached(original)


def _cached(original: Callable[[Any, Any], Awaitable[bool]]) -> Callable[[Any, Any], Awaitable[bool]]:
    async def has_searchable_tables(datasette: Datasette, request: Any) -> bool:
        actor = json.dumps(getattr(request, "actor", None), sort_keys=True, default=str)
        answers = _answers.setdefault(datasette, {})
        now = time.monotonic()
        known = answers.get(actor)
        if known is not None and now - known[0] < MENU_TTL:
            return known[1]
        answer = bool(await original(datasette, request))
        answers[actor] = (now, answer)
        return answer

    has_searchable_tables.cached_by_aggregator = True  # type: ignore[attr-defined]
    return has_searchable_tables
