"""Extraction keeps nothing of a page alive once its article is returned (workers extract thousands of pages)."""

from __future__ import annotations

import gc
import urllib.request

from lxml import etree

from aggregator.demo.site import NewsSite
from aggregator.extract.article import extract_article
from aggregator.urls import normalize_url


def _live_documents() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o).__name__ == "_Document")


def test_no_parsed_page_outlives_its_extraction(site: NewsSite) -> None:
    pages = site.articles[:40]
    bodies = []
    for article in pages:
        with urllib.request.urlopen(article.url, timeout=10) as response:
            bodies.append(response.read())
    # The pages carry the <link rel=canonical> whose XPath string result once kept each page's tree in a cache.
    assert all(b'rel="canonical"' in body for body in bodies)
    before = _live_documents()
    articles = [extract_article(body, a.url) for body, a in zip(bodies, pages, strict=True)]
    after = _live_documents()
    assert all(article.full_text for article in articles)
    assert sum(1 for article in articles if article.adjacent.previous_url or article.adjacent.next_url) >= len(pages) // 2
    assert after - before <= 1, f"{after - before} parsed pages still alive after extracting {len(pages)}"


def test_normalize_url_does_not_keep_an_xpath_result_alive() -> None:
    before = _live_documents()
    for n in range(20):
        root = etree.fromstring(f'<html><base href="http://127.0.0.1/{n}/"/><link rel="canonical" href="post/"/></html>')
        # lxml "smart strings", each referencing its element: as the URL and as the base
        (href,) = root.xpath("//link/@href")
        (base,) = root.xpath("//base/@href")
        assert normalize_url(href, base=base) == f"http://127.0.0.1/{n}/post/"
        del root, href, base
    assert _live_documents() - before <= 1
