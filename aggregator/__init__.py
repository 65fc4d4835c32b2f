"""aggregator: an RSS/Atom/JSON Feed archive with full text, adjacent posts, SQLite and Datasette."""

__version__ = "0.1.0"
USER_AGENT = f"aggregator/{__version__} (+https://github.com/aggregator-archive/aggregator; feed archiver)"
