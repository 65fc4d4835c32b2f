"""A Datasette instance configured for the archive."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from datasette.app import Datasette
from ruamel.yaml import YAML

SETTINGS = {
    "sql_time_limit_ms": 3000,
    "max_returned_rows": 1000,
    "default_page_size": 50,
    "facet_time_limit_ms": 500,
    "allow_download": False,
}


def archive_metadata(db_path: str | os.PathLike[str]) -> dict[str, Any]:
    name = Path(db_path).stem
    text = resources.files("aggregator.web").joinpath("metadata.yaml").read_text(encoding="utf-8")
    return YAML(typ="safe").load(text.replace("DATABASE", name))


def make_datasette(db_path: str | os.PathLike[str]) -> Datasette:
    # Mutable, never immutable: the poller keeps writing while Datasette reads (WAL).
    return Datasette([str(db_path)], metadata=archive_metadata(db_path), settings=SETTINGS)
