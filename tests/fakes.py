"""Fakes for fast unit tests of the pipeline's decisions, injected through the API
(`open_archive(config, db, fetcher=FakeFetcher(...), extractor=FakeExtractor(...), clock=...)`). The end-to-end
tests keep the real local site, HTTP, worker pool and trafilatura."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from aggregator.fetch.client import FetchResult
from aggregator.models import AdjacentLinks, Article, PackedPage, ParsedFeed
from aggregator.parse.feeds import parse_feed


@dataclass
class FakeFetcher:
    """Answers each URL from `pages` (status, body, headers); anything else is a 404. Records what was asked."""

    pages: dict[str, tuple[int, bytes, dict[str, str]]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    offline: bool = False

    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
                    accept: str = "", max_bytes: int | None = None, decompress: bool = True) -> FetchResult:
        self.requests.append(url)
        status, body, headers = self.pages.get(url, (404, b"", {}))
        error = None if 200 <= status < 400 else f"HTTP {status}"
        return FetchResult(requested_url=url, url=url, status=status, headers=headers, body=body, error=error)


@dataclass
class FakeExtractor:
    """Parses feeds in this process with the real parser; the article of a page is looked up by its URL."""

    articles: dict[str, Article] = field(default_factory=dict)

    async def parse(self, body: bytes, url: str, content_type: str | None,
                    content_location: str | None) -> ParsedFeed:
        return parse_feed(body, url, content_type, content_location)

    async def extract_page(self, body: bytes, url: str, content_type: str | None, keep_page: bool,
                           encoding: str | None = None, max_bytes: int | None = None
                           ) -> tuple[Article, PackedPage | None]:
        return self.articles[url], None


@dataclass
class Post:
    url: str
    title: str
    published: datetime
    previous: str | None = None


def rss(posts: list[Post], ttl_minutes: int | None = None) -> bytes:
    """An RSS 2.0 document listing `posts` (newest first, as given)."""
    items = "".join(
        f"<item><title>{escape(p.title)}</title><link>{escape(p.url)}</link><guid>{escape(p.url)}</guid>"
        f"<pubDate>{format_datetime(p.published, usegmt=True)}</pubDate><description>{escape(p.title)}</description>"
        "</item>"
        for p in posts
    )
    ttl = f"<ttl>{ttl_minutes}</ttl>" if ttl_minutes else ""
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Fake</title><link>http://feeds.test/</link>'
            f"{ttl}{items}</channel></rss>").encode()


def article(post: Post) -> Article:
    text = f"{post.title}. " + "Words of the article body. " * 40
    return Article(full_text=text, title=post.title, published_at=post.published.strftime("%Y-%m-%dT%H:%M:%SZ"),
                   word_count=len(text.split()), adjacent=AdjacentLinks(previous_url=post.previous))
