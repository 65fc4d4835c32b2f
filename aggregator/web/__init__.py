"""Serving the archive with Datasette."""
