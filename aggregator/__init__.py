"""aggregator: an RSS/Atom/JSON Feed archive with full text, adjacent posts, SQLite and Datasette.

The Python API is `open_archive(config, db)`, which gives an `Aggregator` (see aggregator.api).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
USER_AGENT = f"aggregator/{__version__} (+https://github.com/aggregator-archive/aggregator; feed archiver)"
__all__ = ["USER_AGENT", "Aggregator", "__version__", "open_archive"]

if TYPE_CHECKING:
    from aggregator.api import Aggregator, open_archive


def __getattr__(name: str) -> Any:
    # Lazy: worker processes import this package too, and must not pay for the whole pipeline.
    if name in ("Aggregator", "open_archive"):
        from aggregator import api

        return getattr(api, name)
    raise AttributeError(f"module 'aggregator' has no attribute {name!r}")
