"""A Datasette instance configured for the archive.

`make_datasette` is the one constructor, used by `aggregator serve` and `aggregator run`. The rest of the
archive's web side is the plugin in aggregator/web/plugin (registered through the package's `datasette`
entry point) and metadata.yaml beside this file.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from datasette.app import Datasette
from ruamel.yaml import YAML

from aggregator.web.tablecounts import ArchiveDatabase

PLUGIN_NAME = "aggregator"  # the entry point's name in pyproject.toml
SETTINGS: dict[str, Any] = {
    # A runaway query (or a search over a huge archive) must not hold a SQL thread for long.
    "sql_time_limit_ms": 3000,
    "max_returned_rows": 1000,
    "default_page_size": 50,
    "facet_time_limit_ms": 500,
    # Suggesting facets runs a query per column on every table page; the useful facets are configured.
    "suggest_facets": False,
    # Long texts (full_text, content_html) are cut in table views; the row and article views show them whole.
    "truncate_cells_html": 160,
    "allow_download": False,  # the archive may be large and is written to while served
}


def archive_metadata(db_path: str | os.PathLike[str]) -> dict[str, Any]:
    name = Path(db_path).stem
    text = resources.files("aggregator.web").joinpath("metadata.yaml").read_text(encoding="utf-8")
    return YAML(typ="safe").load(text.replace("DATABASE", name))


def _ensure_plugin() -> None:
    """The plugin normally arrives through the package's `datasette` entry point; a checkout whose
    environment predates that entry point (no reinstall yet) still gets it, since metadata.yaml relies on it
    (the month and tags facets would otherwise break the entries page)."""
    from datasette.plugins import pm

    if pm.get_plugin(PLUGIN_NAME) is None:
        import aggregator.web.plugin as plugin

        if not pm.is_registered(plugin):
            pm.register(plugin, name=PLUGIN_NAME)


def make_datasette(db_path: str | os.PathLike[str]) -> Datasette:
    _ensure_plugin()
    # Mutable, never immutable: the poller keeps writing while Datasette reads (WAL). Datasette opens a
    # mutable file read-only (mode=ro) for queries and no configured query writes, so the web side cannot
    # change the archive.
    datasette = Datasette([str(db_path)], metadata=archive_metadata(db_path), settings=SETTINGS)
    # The archive's database with cheap counts for the search index's tables (tablecounts.py).
    name, default = next((n, db) for n, db in datasette.databases.items() if db.path == str(db_path))
    route = default.route
    datasette.remove_database(name)
    datasette.add_database(ArchiveDatabase(datasette, path=str(db_path), is_mutable=True), name=name, route=route)
    return datasette
