"""Where each stored publication date came from (entries.published_source), and when the article page's own
time replaces the feed's: a feed date without a time of day, or only an update time, is made exact by the
page's published-time meta or JSON-LD; the feed's exact date always stays."""

from __future__ import annotations

from pathlib import Path

import pytest

from aggregator.config.model import feed_settings, parse_config
from aggregator.extract.article import extract_article
from aggregator.models import Article, ParsedEntry
from aggregator.parse.dates import page_date_wins
from aggregator.parse.feeds import parse_feed
from aggregator.store import Archive

RSS = b"""<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>T</title><link>https://news.example/</link>
<item><guid>a</guid><link>https://news.example/a</link><title>A</title><pubDate>Sun, 07 Feb 2010 14:04:00 CET</pubDate></item>
<item><guid>b</guid><link>https://news.example/b</link><title>B</title><pubDate>Sun, 07 Feb 2010</pubDate></item>
<item><guid>d</guid><link>https://news.example/d</link><title>D</title><dc:date>2010-02-07</dc:date></item>
<item><guid>c</guid><link>https://news.example/c</link><title>C</title></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:t</id>
<updated>2010-02-08T00:00:00Z</updated>
<entry><id>urn:u</id><title>U</title><link href="https://news.example/u"/><updated>2010-02-08T09:00:00Z</updated></entry>
</feed>"""


@pytest.mark.parametrize("fast", [True, False])
def test_feed_dates_say_where_they_come_from(fast: bool) -> None:
    entries = {e.guid: e for e in parse_feed(RSS, "https://news.example/feed", fast=fast).entries}
    assert (entries["a"].published_at, entries["a"].published_source) == ("2010-02-07T13:04:00Z", "feed")
    assert (entries["b"].published_at, entries["b"].published_source) == ("2010-02-07T00:00:00Z", "feed-day")
    assert (entries["c"].published_at, entries["c"].published_source) == (None, None)
    # feedparser reads dc:date as the update time; a day without a time either way
    assert (entries["d"].published_at, entries["d"].published_source) == ("2010-02-07T00:00:00Z", "feed-day")
    (updated,) = parse_feed(ATOM, "https://news.example/atom", fast=fast).entries
    assert (updated.published_at, updated.published_source) == ("2010-02-08T09:00:00Z", "feed-updated")


def test_json_feed_day_only() -> None:
    body = (b'{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": ['
            b'{"id": "1", "url": "https://news.example/1", "content_text": "x", "date_published": "2010-02-07"}]}')
    (item,) = parse_feed(body, "https://news.example/feed.json").entries
    assert (item.published_at, item.published_source) == ("2010-02-07T00:00:00Z", "feed-day")


@pytest.mark.parametrize(
    ("stored", "stored_source", "page", "page_source", "wins"),
    [
        (None, None, "2010-02-07T13:04:00Z", "page-day", True),  # nothing stored: anything the page says
        ("2010-02-07T13:04:00Z", "feed", "2010-02-07T15:00:00Z", "page-meta", False),  # the feed's exact date stays
        ("2010-02-07T00:00:00Z", "feed-day", "2010-02-07T13:04:00Z", "page-meta", True),
        ("2010-02-07T00:00:00Z", "feed-day", "2010-02-06T22:00:00Z", "page-json-ld", True),  # a zone east of UTC
        ("2010-02-07T00:00:00Z", "feed-day", "2010-02-08T05:00:00Z", "page-meta", True),  # a zone west of UTC
        ("2010-02-07T00:00:00Z", "feed-day", "2010-03-01T10:00:00Z", "page-meta", False),  # another day: unsure
        ("2010-02-07T00:00:00Z", "feed-day", "2010-02-07T00:00:00Z", "page-day", False),  # no better
        ("2010-02-08T09:00:00Z", "feed-updated", "2010-02-07T13:04:00Z", "page-meta", True),
        ("2010-02-08T09:00:00Z", "feed-updated", "2010-02-09T13:04:00Z", "page-meta", False),  # after the update
        ("2010-02-07T00:00:00Z", "page-day", "2010-02-07T13:04:00Z", "page-meta", True),  # a refetch says more
        ("2010-02-07T00:00:00Z", None, "2010-02-07T13:04:00Z", "page-meta", False),  # stored before v7: kept
    ],
)
def test_page_date_wins(stored: str | None, stored_source: str | None, page: str, page_source: str,
                        wins: bool) -> None:
    assert page_date_wins(stored, stored_source, page, page_source) is wins


def _page(meta: str) -> bytes:
    return (
        f"<html><head><title>Post</title>{meta}</head><body><article><h1>Post</h1>"
        + "<p>A paragraph of the article, long enough for trafilatura to keep it as the text.</p>" * 8
        + "</article></body></html>"
    ).encode()


def test_stored_dates_through_a_real_archive(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive.db")
    try:
        config = parse_config("feeds:\n  - https://news.example/feed\n", Path("feeds.yaml"))
        fid = archive.sync_feeds(feed_settings(config))["https://news.example/feed"]
        archive.store_entries(fid, [
            ParsedEntry("exact", "https://news.example/exact", "E", published_at="2010-02-07T13:04:00Z",
                        published_source="feed"),
            ParsedEntry("day", "https://news.example/day", "D", published_at="2010-02-07T00:00:00Z",
                        published_source="feed-day"),
            ParsedEntry("none", "https://news.example/none", "N"),
        ])
        ids = dict(archive.db.execute("SELECT guid, id FROM entries").fetchall())
        meta = '<meta property="article:published_time" content="2010-02-07T08:30:00-05:00">'
        for guid in ("exact", "day"):
            archive.store_article(ids[guid], extract_article(_page(meta), f"https://news.example/{guid}"), None)
        json_ld = ('<script type="application/ld+json">{"@type": "BlogPosting", '
                   '"datePublished": "2010-02-05T10:00:00Z"}</script>')
        archive.store_article(ids["none"], extract_article(_page(json_ld), "https://news.example/none"), None)
        rows = dict((guid, (at, source)) for guid, at, source in archive.db.execute(
            "SELECT guid, published_at, published_source FROM entries").fetchall())
        assert rows == {
            "exact": ("2010-02-07T13:04:00Z", "feed"),
            "day": ("2010-02-07T13:30:00Z", "page-meta"),
            "none": ("2010-02-05T10:00:00Z", "page-json-ld"),
        }
        # A page without a date leaves what is stored.
        archive.store_article(ids["day"], Article(full_text="x", word_count=1), None)
        assert archive.db.execute("SELECT published_at, published_source FROM entries WHERE guid = 'day'"
                                  ).fetchone() == ("2010-02-07T13:30:00Z", "page-meta")
    finally:
        archive.close()
