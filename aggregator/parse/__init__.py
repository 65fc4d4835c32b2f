"""Parsing feeds: RSS/Atom (feedparser and the lxml fast path), JSON Feed, dates, sanitising, paging links."""
