"""History before the first poll from the feed's older pages and from the site's sitemaps, and the paging
links those rely on."""

from __future__ import annotations

import asyncio
import gzip
import sqlite3
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from conftest import write_config
from hypothesis import example, given, settings
from hypothesis import strategies as st

from aggregator.api import open_archive
from aggregator.demo.site import NewsSite
from aggregator.parse.paging import feed_paging, wordpress_page
from aggregator.poll.gapfill import _sitemap_text, read_sitemap


@pytest.fixture(scope="module")
def small_window() -> NewsSite:
    with NewsSite(seed=2, feed_window=5) as site:
        yield site


def entries(db: Path, feed_url: str) -> list[tuple[str, str | None, str | None]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT e.url, e.found_via, e.published_at FROM entries e JOIN feeds f ON f.id = e.feed_id "
            "WHERE f.config_url = ? ORDER BY e.published_at", (feed_url,)).fetchall()


def test_backfill_via_the_feeds_older_pages(small_window: NewsSite, tmp_path: Path) -> None:
    """WordPress pages its feeds with ?paged=N; the other themes' Atom feeds link older pages (RFC 5005)."""
    feeds = [small_window.feed_url("harbour-times-news", "rss20"), small_window.feed_url("field-notes-stories", "atom10")]
    config = write_config(tmp_path / "feeds.yaml", feeds, full_text=False)
    db = tmp_path / "archive.db"
    poll = subprocess.run([sys.executable, "-m", "aggregator", "poll", "-q", "--config", str(config.path), "--db", str(db)],
                          capture_output=True, text=True, timeout=120)
    assert poll.returncode == 0, poll.stderr
    assert [len(entries(db, url)) for url in feeds] == [5, 5]
    result = subprocess.run(
        [sys.executable, "-m", "aggregator", "backfill", "--via", "feed", "--max-pages", "12", "--config",
         str(config.path), "--db", str(db)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    for url in feeds:
        chain = small_window.chain((url.split("/")[3] == "harbour-times" and "harbour-times-news") or "field-notes-stories")
        rows = entries(db, url)
        found = [row for row in rows if row[1] == "feed-page"]
        assert len(found) >= 10, (url, len(found))  # at least two older pages of five
        assert {row[0] for row in rows} <= {a.url for a in chain}
        newest = [a.url for a in chain][-len(rows):]
        assert sorted(row[0] for row in rows) == sorted(newest)  # the newest posts, without a hole
    assert "older posts archived" in result.stdout


def test_backfill_via_sitemaps(small_window: NewsSite, tmp_path: Path) -> None:
    feed = small_window.feed_url("field-notes-stories", "rss20")  # Ghost: no feed paging
    config = write_config(tmp_path / "feeds.yaml", [feed])

    async def run() -> int:
        async with open_archive(config, tmp_path / "archive.db") as agg:
            await agg.poll()
            reports = await agg.backfill(list(agg.feed_ids.values()), max_pages=6, via=("sitemap",))
            return reports[0].added

    added = asyncio.run(run())
    rows = entries(tmp_path / "archive.db", feed)
    chain = [a.url for a in small_window.chain("field-notes-stories")]
    assert added == 6 and len(rows) == 11
    assert [row[1] for row in rows[:6]] == ["sitemap"] * 6
    assert [row[0] for row in rows] == chain[-11:]  # the six posts right before the window, in order


def test_feed_paging_links() -> None:
    atom = (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><link rel="self" href="/f"/>'
            b'<link rel="next" href="/f?page=2"/><generator uri="https://ghost.org">Ghost</generator>'
            b'<entry><link rel="next" href="/not-this"/></entry></feed>')
    paging = feed_paging(atom, "https://example.org/f")
    assert paging.older == "https://example.org/f?page=2" and not paging.wordpress and paging.generator
    rss = (b'<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
           b'<atom:link rel="prev-archive" href="https://example.org/2024.xml"/>'
           b'<generator>https://wordpress.org/?v=6.7</generator></channel></rss>')
    paging = feed_paging(rss, "https://example.org/feed/")
    assert paging.older == paging.prev_archive == "https://example.org/2024.xml" and paging.wordpress
    for junk in (b"", b"<html><body>no feed</body></html>", b"\x00\xff<<", b"<rss><channel><link>x</link></channel>"):
        assert feed_paging(junk, "https://example.org/").older is None
    # An external entity is never read (no file, no network).
    xxe = (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a SYSTEM 'file:///etc/hostname'>]><rss><channel>"
           b"<link rel='next' href='/p&a;'/></channel></rss>")
    assert feed_paging(xxe, "https://example.org/").older in (None, "https://example.org/p")
    assert wordpress_page("https://example.org/feed/?lang=de&paged=2", 3) == "https://example.org/feed/?lang=de&paged=3"


_LINK_RELS = st.sampled_from(["next", "prev-archive", "self", "alternate", "NEXT", "", "next prev"])
_HREFS = st.one_of(st.text(max_size=40), st.sampled_from(["?paged=2", "/p/2", "javascript:x", "//h/x", "http://[::1"]))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_feed_paging_never_raises_on_bytes(body: bytes) -> None:
    paging = feed_paging(body, "https://example.org/feed")
    assert paging.older is None or isinstance(paging.older, str)


_XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)


@settings(max_examples=200, deadline=None)
@example(links=[("next", "A://[")], generator="", atom=False)  # urljoin raised ValueError (fixed)
@given(st.lists(st.tuples(_LINK_RELS, st.one_of(_XML_TEXT, _HREFS)), max_size=5), _XML_TEXT, st.booleans())
def test_feed_paging_reads_any_structured_feed(links: list[tuple[str, str]], generator: str, atom: bool) -> None:
    from xml.sax.saxutils import quoteattr

    tags = "".join(f"<link rel={quoteattr(rel)} href={quoteattr(href)}/>" for rel, href in links)
    gen = f"<generator>{escape(generator)}</generator>"
    body = (f'<feed xmlns="http://www.w3.org/2005/Atom">{tags}{gen}</feed>' if atom else
            f'<rss xmlns:atom="http://www.w3.org/2005/Atom"><channel>{tags.replace("<link", "<atom:link")}{gen}'
            "</channel></rss>")
    paging = feed_paging(body.encode(), "https://example.org/feed")
    older = [href for rel, href in links if {"next", "prev-archive"} & set(rel.lower().split()) and href.strip()]
    if not older:
        assert paging.older is None
    assert paging.wordpress == ("wordpress" in " ".join(generator.split()).lower())


@settings(max_examples=200, deadline=None)
@given(st.one_of(
    st.text(max_size=500),
    st.lists(st.tuples(st.text(max_size=30), st.one_of(st.none(), st.text(max_size=25))), max_size=6).map(
        lambda urls: '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + "".join(
            f"<url><loc>{escape(u)}</loc>" + (f"<lastmod>{escape(m)}</lastmod>" if m is not None else "") + "</url>"
            for u, m in urls) + "</urlset>"),
))
def test_any_sitemap_text_is_read_without_raising(text: str) -> None:
    children, pages = read_sitemap(text)
    assert all(isinstance(url, str) for url in children)
    assert all(isinstance(url, str) for url, _published, _when in pages)


def test_sitemaps_of_every_kind_are_read() -> None:
    index = ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             "<sitemap><loc>https://example.org/posts.xml</loc></sitemap></sitemapindex>")
    assert read_sitemap(index) == (["https://example.org/posts.xml"], [])
    news = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://example.org/a</loc>'
            "<lastmod>2026-01-02</lastmod><news:news><news:publication><news:name>X</news:name>"
            "<news:language>en</news:language></news:publication><news:publication_date>2026-01-01T10:00:00Z"
            "</news:publication_date><news:title>A</news:title></news:news></url></urlset>")
    (url, published, when), = read_sitemap(news)[1]
    assert url == "https://example.org/a" and published is not None and when == published
    assert _sitemap_text(gzip.compress(news.encode()), 10**6) == news
    assert _sitemap_text(gzip.compress(b"x" * 5000), 100) is None  # inflated beyond the limit: refused
