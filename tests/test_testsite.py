from __future__ import annotations

import gzip
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import feedparser
import lxml.html
import pytest
from aiohttp import web

from aggregator.demo.site import FEED_FORMATS, CustomResponse, NewsSite, World

SEED_DIR = Path(__file__).resolve().parents[2] / "shared" / "seed"
SEED_HTML = SEED_DIR / "seed-page-reconstructed.html"
SEED_TEXT = SEED_DIR / "000_b4349e0a2b79b14c.txt"
FEEDPARSER_VERSIONS = {"rss20": "rss20", "atom10": "atom10", "rss10": "rss10"}
CONTENT_TYPES = {
    "rss20": "application/rss+xml",
    "atom10": "application/atom+xml",
    "rss10": "application/rdf+xml",
    "json11": "application/feed+json",
}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET",
          timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) without following redirects and without raising on 4xx/5xx."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def html_tree(body: bytes) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(body)


@pytest.fixture(scope="module")
def site() -> Iterator[NewsSite]:
    """A shared, read-only site; tests that change content start their own."""
    with NewsSite(seed=1, feed_window=10) as running:
        yield running


@pytest.fixture
def fresh_site() -> Iterator[NewsSite]:
    with NewsSite(seed=3, feed_window=5, chain_length=(12, 16), slow_seconds=30) as running:
        yield running


# --- content ---------------------------------------------------------------------------------------------


def test_content_is_deterministic_per_seed() -> None:
    one, again, other = World(1), World(1), World(2)
    assert [a.title for a in one.articles] == [a.title for a in again.articles]
    assert [a.text for a in one.articles] == [a.text for a in again.articles]
    assert [a.title for a in one.articles] != [a.title for a in other.articles]


def test_chains_are_linked_ordered_and_longer_than_the_feed(site: NewsSite) -> None:
    assert len(site.chain_names) >= 4
    for name in site.chain_names:
        chain = site.chain(name)
        assert len(chain) > site.feed_window
        for older, newer in itertools.pairwise(chain):
            assert older.next is newer and newer.previous is older
            assert older.published < newer.published
        assert chain[0].previous is None and chain[-1].next is None
        assert site.articles_in_feed(name) == chain[::-1][: site.feed_window]


def test_articles_have_realistic_structure_and_language(site: NewsSite) -> None:
    seed = site.seed_article
    generated = [a for a in site.articles if a not in (seed, seed.previous, seed.next)]
    assert len(generated) == len(site.articles) - 3
    for article in generated:
        assert 4 <= len(article.paragraphs) <= 10, article.title
        assert 2 <= len(article.headings) <= 4, article.title
        assert article.url.startswith(site.base_url) and article.published.tzinfo is not None
    assert any(a.list_items for a in generated) and not all(a.list_items for a in generated)
    german = " ".join(a.text for a in site.articles if a.language == "de")
    english = " ".join(a.text for a in site.articles if a.language == "en")
    assert {"ä", "ö", "ü", "ß"} <= set(german)
    for word in ("Bürgermeister", "Überschwemmung", "Straße", "Gemeinderäte"):
        assert word in german
    assert " the " in english and "ß" not in english


# --- feeds -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["rss20", "atom10", "rss10"])
def test_xml_feeds_parse_cleanly_with_entries_linking_to_local_articles(site: NewsSite, fmt: str) -> None:
    names = [name for name, info in site.feeds.items() if info.format == fmt]
    assert {site.feeds[n].language for n in names} == {"de", "en"}
    for name in names:
        status, headers, body = fetch(site.feed_urls[name])
        assert status == 200 and headers["Content-Type"].startswith(CONTENT_TYPES[fmt])
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0, (name, parsed.get("bozo_exception"))
        assert parsed.version == FEEDPARSER_VERSIONS[fmt]
        expected = site.articles_in_feed(name)
        assert [e.link for e in parsed.entries] == [a.url for a in expected]
        assert [e.title for e in parsed.entries] == [a.title for a in expected]
        assert all(urlsplit(e.link).netloc == urlsplit(site.base_url).netloc for e in parsed.entries)


def test_rss20_and_atom_carry_the_details_consumers_use(site: NewsSite) -> None:
    rss = feedparser.parse(fetch(site.feed_urls["newsportal-nachrichten.rss20"])[2])
    newest = site.articles_in_feed("newsportal-nachrichten")[0]
    entry = rss.entries[0]
    assert rss.feed.ttl == "60" and rss.feed.language == "de-DE"
    assert entry.id == newest.guid and entry.id != entry.link  # WordPress ?p= guid, not the permalink
    assert entry.author == newest.author and entry.published_parsed[:5] == newest.published.timetuple()[:5]
    assert {t.term for t in entry.tags} >= set(newest.categories)
    assert newest.paragraphs[0] in entry.content[0].value  # content:encoded
    assert any(e.get("enclosures") for e in rss.entries) and not all(e.get("enclosures") for e in rss.entries)

    hugo = feedparser.parse(fetch(site.feed_urls["dev-notes-posts.rss20"])[2])
    assert "content" not in hugo.entries[0] and hugo.entries[0].id == hugo.entries[0].link

    atom = feedparser.parse(fetch(site.feed_urls["harbour-times-news.atom10"])[2])
    first = site.articles_in_feed("harbour-times-news")[0]
    assert atom.entries[0].author == first.author and atom.entries[0].published_parsed and atom.entries[0].summary
    assert atom.entries[0].updated_parsed[:5] == first.updated.timetuple()[:5]

    rdf_body = fetch(site.feed_urls["stadtanzeiger-lokales.rss10"])[2]
    rdf = feedparser.parse(rdf_body)
    assert rdf.entries[0].updated_parsed and b"<sy:updatePeriod>hourly</sy:updatePeriod>" in rdf_body
    assert b"<sy:updateFrequency>1</sy:updateFrequency>" in rdf_body


def test_json_feeds_follow_json_feed_1_1(site: NewsSite) -> None:
    names = [name for name, info in site.feeds.items() if info.format == "json11"]
    assert len(names) == len(site.chain_names)
    for name in names:
        status, headers, body = fetch(site.feed_urls[name])
        assert status == 200 and headers["Content-Type"].startswith("application/feed+json")
        document = json.loads(body)
        assert document["version"] == "https://jsonfeed.org/version/1.1"
        assert document["feed_url"] == site.feed_urls[name]
        expected = site.articles_in_feed(name)
        assert [item["url"] for item in document["items"]] == [a.url for a in expected]
        for item, article in zip(document["items"], expected, strict=True):
            assert item["id"] == article.guid and item["title"] == article.title
            assert item["authors"] == [{"name": article.author}] and item["tags"]
            assert item["date_published"] == article.published.isoformat()
            assert article.paragraphs[-1].split(" ")[0] in item["content_html"]


def test_html_pages_are_utf8_html(site: NewsSite) -> None:
    status, headers, body = fetch(site.seed_article.url)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Präsident".encode() in body


# --- HTTP behaviour --------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["feed", "page"])
def test_conditional_get_answers_304(site: NewsSite, target: str) -> None:
    url = site.feed_urls["field-notes-stories.atom10"] if target == "feed" else site.chain("technikblog-posts")[3].url
    status, headers, body = fetch(url)
    assert status == 200 and body
    etag, modified = headers["ETag"], headers["Last-Modified"]
    older = format_datetime(parsedate_to_datetime(modified).replace(year=2020), usegmt=True)

    assert fetch(url, {"If-None-Match": etag})[:2][0] == 304
    assert fetch(url, {"If-Modified-Since": modified})[0] == 304
    not_modified = fetch(url, {"If-None-Match": etag, "If-Modified-Since": modified})
    assert not_modified[0] == 304 and not_modified[2] == b"" and not_modified[1]["ETag"] == etag
    assert fetch(url, {"If-None-Match": '"stale"', "If-Modified-Since": modified})[0] == 200  # ETag wins
    assert fetch(url, {"If-Modified-Since": older})[0] == 200


def test_gzip_when_asked_for(site: NewsSite) -> None:
    url = site.feed_urls["technikblog-posts.rss20"]
    plain = fetch(url)
    packed = fetch(url, {"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain[1]
    assert packed[1]["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed[1]["Vary"]
    assert gzip.decompress(packed[2]) == plain[2] and len(packed[2]) < len(plain[2])
    weak = packed[1]["ETag"]
    assert weak == "W/" + plain[1]["ETag"]
    assert fetch(url, {"Accept-Encoding": "gzip", "If-None-Match": weak})[0] == 304
    assert "Content-Encoding" not in fetch(url, {"Accept-Encoding": "gzip;q=0"})[1]


def test_head_and_other_methods(site: NewsSite) -> None:
    url = site.feed_urls["dev-notes-posts.atom10"]
    status, headers, body = fetch(url, method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 1000
    assert fetch(url, method="POST")[0] == 405


def test_request_log_records_what_arrived(site: NewsSite) -> None:
    url = site.feed_urls["harbour-times-business.json11"]
    before = len(site.requests_for(url))
    fetch(url + "?utm_source=test", {"User-Agent": "probe/1.0", "X-Probe": "yes"})
    records = site.requests_for(url)
    assert len(records) == before + 1
    record = records[-1]
    assert record.method == "GET" and record.status == 200 and record.query == "utm_source=test"
    assert record.header("X-Probe") == "yes" and record.headers["user-agent"] == "probe/1.0"
    assert record.monotonic <= time.monotonic() and abs(record.wall_time - time.time()) < 60
    assert record.duration is not None and record in site.requests


def test_shortlinks_and_missing_slash_redirect_to_the_article(site: NewsSite) -> None:
    article = site.chain("harbour-times-news")[4]
    status, headers, _ = fetch(article.guid)
    assert status == 301 and headers["Location"] == article.url
    status, headers, _ = fetch(article.url.rstrip("/"))
    assert status == 301 and headers["Location"] == article.url
    assert fetch(site.url_for("/no/such/page/"))[0] == 404


def test_images_opml_and_index(site: NewsSite) -> None:
    status, headers, body = fetch(site.url_for(site.seed_article.image.path))
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    assert body.startswith(b"\xff\xd8") and body.endswith(b"\xff\xd9")
    opml = ET.fromstring(fetch(site.opml_url)[2])
    urls = [o.get("xmlUrl") for o in opml.iter("outline") if o.get("xmlUrl")]
    assert len(urls) == len(site.chain_names) and all(fetch(u)[0] == 200 for u in urls)
    assert {site.feeds[n].format for n, u in site.feed_urls.items() if u in urls} == set(FEED_FORMATS)
    assert site.feed_urls["dev-notes-posts.rss20"].encode() in fetch(site.base_url + "/")[2]


async def test_usable_from_async_code(site: NewsSite) -> None:
    async with aiohttp.ClientSession() as session, session.get(site.feed_urls["dev-notes-posts.json11"]) as resp:
        assert resp.status == 200
        document = await resp.json(content_type=None)
    assert document["items"][0]["url"] == site.articles_in_feed("dev-notes-posts")[0].url


# --- pages -------------------------------------------------------------------------------------------------


def _boilerplate_checks(tree: lxml.html.HtmlElement, site: NewsSite, article_url: str, lang: str) -> None:
    text = tree.text_content()
    assert tree.get("lang") == lang
    assert tree.xpath("//meta[@charset]") and tree.xpath("//title/text()")
    assert tree.xpath("//meta[@property='og:title']/@content") and tree.xpath("//meta[@name='author']/@content")
    assert tree.xpath("//meta[@property='article:published_time']/@content")
    assert tree.xpath("//link[@rel='canonical']/@href") == [article_url]
    assert tree.xpath("//div[@class='dark-mode-toggle']/span/text()") == ["Dark Mode", "Light Mode"]
    assert tree.xpath("//div[contains(@class,'cookie-banner')]//button")
    assert ("We use cookies" if lang == "en-US" else "Wir verwenden Cookies") in text
    assert tree.xpath("//figure/figcaption/text()")
    assert "Facebook" in text and " X" in text and "E-Mail" in text
    related = tree.xpath("//section[contains(@class,'related-posts')]//a/@href")
    assert len(related) == 3 and all(site.article(href) is not None for href in related)
    assert "©" in text and ("Impressum" in text if lang == "de-DE" else "Legal notice" in text)


def test_wordpress_page_markup_and_german_post_navigation(site: NewsSite) -> None:
    article = site.chain("newsportal-nachrichten")[5]
    tree = html_tree(fetch(article.url)[2])
    _boilerplate_checks(tree, site, article.url, "de-DE")
    assert "single-post" in tree.xpath("//body/@class")[0]
    assert tree.xpath("//article[contains(@class,'post')]//h1[@class='entry-title']/text()") == [article.title]
    content = tree.xpath("//div[@class='entry-content']")[0]
    assert [h.text_content() for h in content.xpath(".//h2")] == article.headings
    assert [p.text_content() for p in content.xpath(".//p")] == article.paragraphs
    nav = tree.xpath("//nav[contains(@class,'post-navigation')]/div[@class='nav-links']")[0]
    prev_link = nav.xpath("./div[@class='nav-previous']/a[@rel='prev']")[0]
    next_link = nav.xpath("./div[@class='nav-next']/a[@rel='next']")[0]
    assert prev_link.get("href") == article.previous.url and next_link.get("href") == article.next.url
    assert prev_link.xpath("./span[@class='meta-nav']/text()") == ["Vorheriger Beitrag"]
    assert next_link.xpath("./span[@class='meta-nav']/text()") == ["Nächster Beitrag"]
    assert prev_link.xpath("./span[@class='post-title']/text()") == [article.previous.title]
    assert tree.xpath("//div[@id='respond']//h3/text()") == ["Schreibe einen Kommentar"]
    assert "Deine E-Mail-Adresse wird nicht veröffentlicht." in tree.text_content()
    assert tree.xpath("//footer[@class='entry-footer']//a/text()")[-1] == "Add a comment"


def test_ghost_page_has_cards_without_rel(site: NewsSite) -> None:
    article = site.chain("field-notes-stories")[7]
    tree = html_tree(fetch(article.url)[2])
    _boilerplate_checks(tree, site, article.url, "en-US")
    assert tree.xpath("//article[contains(@class,'gh-article')]/section[contains(@class,'gh-content')]")
    previous = tree.xpath("//a[@class='gh-navigation-previous']")[0]
    assert previous.get("href") == article.previous.url and previous.get("rel") is None
    assert "Previous post" in previous.text_content() and article.previous.title in previous.text_content()
    assert tree.xpath("//a[@class='gh-navigation-next']/@href") == [article.next.url]
    assert not tree.xpath("//a[@rel='prev' or @rel='next']")


def test_hugo_papermod_prev_points_to_the_newer_post(site: NewsSite) -> None:
    article = site.chain("dev-notes-posts")[10]
    tree = html_tree(fetch(article.url)[2])
    _boilerplate_checks(tree, site, article.url, "en-US")
    prev_link = tree.xpath("//nav[@class='paginav']/a[@class='prev']")[0]
    next_link = tree.xpath("//nav[@class='paginav']/a[@class='next']")[0]
    assert prev_link.get("href") == article.next.url  # the real-world quirk
    assert next_link.get("href") == article.previous.url
    assert prev_link.xpath("./span[@class='title']/text()") == ["« Prev"]
    newer = html_tree(fetch(prev_link.get("href"))[2])
    published = tree.xpath("//meta[@property='article:published_time']/@content")[0]
    assert newer.xpath("//meta[@property='article:published_time']/@content")[0] > published


def test_listing_pagination_is_not_post_navigation(site: NewsSite) -> None:
    home = site.url_for("/harbour-times/")
    tree = html_tree(fetch(home)[2])
    assert tree.xpath("//link[@rel='next']/@href") == [home + "page/2/"]
    assert tree.xpath("//a[contains(@class,'next') and contains(@class,'page-numbers')]/@href") == [home + "page/2/"]
    assert not tree.xpath("//nav[contains(@class,'post-navigation')]")
    assert tree.xpath("//link[@rel='alternate' and @type='application/rss+xml']/@href")
    page2 = html_tree(fetch(home + "page/2/")[2])
    assert page2.xpath("//link[@rel='prev']/@href") == [home]
    category = html_tree(fetch(site.url_for("/newsportal/category/politik/"))[2])
    assert category.xpath("//h2[@class='entry-title']/a/@href")


# --- the seed page ----------------------------------------------------------------------------------------


def test_seed_page_reproduces_the_reference_article(site: NewsSite) -> None:
    seed = site.seed_article
    assert seed.previous.title == "Insolvenzantrag der XWOOD Handels GmbH mangels Masse abgewiesen"
    assert seed.next.title == "Chevron streicht bis zu 20 % der weltweiten Arbeitsplätze – 8.000 Jobs in Gefahr"
    assert seed in site.articles_in_feed("newsportal-nachrichten.rss20")
    tree = html_tree(fetch(seed.url)[2])
    assert tree.xpath("//h1[@class='entry-title']/text()") == [seed.title]
    assert [h.text_content() for h in tree.xpath("//div[@class='entry-content']/h2")] == seed.headings
    assert len(seed.headings) == 5 and seed.headings[-1] == "Wie reagiert Kiew?"
    assert len(tree.xpath("//div[@class='entry-content']/li")) == 3 and not tree.xpath("//ul//li[contains(.,'Hegseth')]")
    assert tree.xpath("//figcaption/text()") == ["jorono (CC0), Pixabay"]
    assert tree.xpath("//div[@class='dark-mode-toggle']") and tree.xpath("//div[@id='respond']")
    for css, rel, label, neighbour in (("nav-previous", "prev", "Previous Post", seed.previous),
                                       ("nav-next", "next", "Next Post", seed.next)):
        link = tree.xpath(f"//div[@class='{css}']/a[@rel='{rel}']")[0]
        assert link.xpath("./span[@class='meta-nav']/text()") == [label]
        assert link.xpath("./span[@class='post-title']/text()") == [neighbour.title]
        assert link.get("href") == neighbour.url and link.get("href").startswith(site.base_url)
        status, _, body = fetch(link.get("href"))
        assert status == 200 and neighbour.title in body.decode()


@pytest.mark.shared
def test_seed_page_is_built_like_the_reconstruction(site: NewsSite) -> None:
    if not SEED_HTML.exists():
        pytest.skip("needs ../shared/seed")
    seed = site.seed_article
    page = fetch(seed.url)[2].decode()
    for local, original in (
        (seed.url, "https://news.example.de/2025/02/12/trump-putin/"),
        (seed.previous.url, "https://news.example.de/2025/02/12/xwood-insolvenz/"),
        (seed.next.url, "https://news.example.de/2025/02/13/chevron-stellenabbau/"),
        ('href="/newsportal/category/politik/"', 'href="/politik"'),
        ('href="/newsportal/category/wirtschaft/"', 'href="/wirtschaft"'),
        ('href="/newsportal/impressum/"', 'href="/impressum"'),
        ('href="/newsportal/"', 'href="/"'),
        ("/newsportal/img/flags.jpg", "/img/flags.jpg"),
    ):
        page = page.replace(local, original)
    assert page == SEED_HTML.read_text(encoding="utf-8")
    reader_lines = [line.strip().removeprefix("• ")  # the reader shows list items with bullets
                    for line in SEED_TEXT.read_text(encoding="utf-8").splitlines() if line.strip()]
    body_lines = [line for line in seed.text.split("\n") if line]
    start = reader_lines.index(seed.paragraphs[0])
    assert reader_lines[start:start + len(body_lines)] == body_lines


# --- changing the site ------------------------------------------------------------------------------------


def test_publish_changes_the_feed_and_its_validators(fresh_site: NewsSite) -> None:
    name = "harbour-times-news.rss20"
    url = fresh_site.feed_urls[name]
    _, headers, body = fetch(url)
    old_newest = fresh_site.articles_in_feed(name)[0]
    old_page_etag = fetch(old_newest.url)[1]["ETag"]

    added = fresh_site.publish(name, count=2)
    status, new_headers, new_body = fetch(url, {"If-None-Match": headers["ETag"]})
    assert status == 200 and new_headers["ETag"] != headers["ETag"]
    assert parsedate_to_datetime(new_headers["Last-Modified"]) > parsedate_to_datetime(headers["Last-Modified"])
    assert fetch(url, {"If-Modified-Since": headers["Last-Modified"]})[0] == 200
    entries = feedparser.parse(new_body).entries
    assert [e.link for e in entries[:2]] == [added[1].url, added[0].url] and len(entries) == 5
    assert old_newest.url in [e.link for e in feedparser.parse(body).entries]
    assert added[0].previous is old_newest and old_newest.next is added[0]
    assert fresh_site.chain(name)[-1] is added[1]
    # the old newest article gained a "next" link, so its page changed too
    status, page_headers, page = fetch(old_newest.url, {"If-None-Match": old_page_etag})
    assert status == 200 and added[0].url.encode() in page and page_headers["ETag"] != old_page_etag
    assert fetch(added[1].url)[0] == 200


def test_edit_article_changes_its_page(fresh_site: NewsSite) -> None:
    article = fresh_site.chain("technikblog-posts")[2]
    _, headers, _ = fetch(article.url)
    edited = fresh_site.edit_article(article.url, append_paragraph="Nachtrag: Der Hersteller hat reagiert.")
    assert edited is article and article.paragraphs[-1] == "Nachtrag: Der Hersteller hat reagiert."
    status, new_headers, body = fetch(article.url, {"If-Modified-Since": headers["Last-Modified"]})
    assert status == 200 and b"Nachtrag: Der Hersteller hat reagiert." in body
    assert new_headers["ETag"] != headers["ETag"]
    fresh_site.edit_article(article, title="Ein neuer Titel")
    assert b"Ein neuer Titel" in fetch(article.url)[2]
    with pytest.raises(KeyError):
        fresh_site.edit_article("/technikblog/posts/gibt-es-nicht/")


def test_set_route_injects_faults_and_expires(fresh_site: NewsSite) -> None:
    url = fresh_site.feed_urls["dev-notes-posts.rss20"]
    fresh_site.set_route(url, CustomResponse(status=503, body="busy", headers={"Retry-After": "5"}), times=1)
    status, headers, body = fetch(url)
    assert (status, headers["Retry-After"], body) == (503, "5", b"busy")
    assert fetch(url)[0] == 200  # used up

    async def teapot(request: web.Request) -> web.StreamResponse:
        return web.Response(status=418, text=f"teapot {request.method}")

    custom = fresh_site.set_route("/custom/teapot", teapot)
    assert fetch(custom, method="POST")[:3:2] == (418, b"teapot POST")
    fresh_site.clear_route("/custom/teapot")
    assert fetch(custom)[0] == 404

    fresh_site.set_route("/custom/slow", CustomResponse(body=b"late", delay=0.3))
    started = time.monotonic()
    assert fetch(fresh_site.url_for("/custom/slow"))[2] == b"late" and time.monotonic() - started >= 0.3


# --- broken endpoints ----------------------------------------------------------------------------------


def test_broken_endpoints_fail_as_advertised(site: NewsSite) -> None:
    broken = site.broken_urls
    status, headers, body = fetch(broken["invalid_xml"])
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    assert feedparser.parse(body).bozo == 1
    assert fetch(broken["not_found"])[0] == 404
    assert fetch(broken["server_error"])[0] == 500
    assert fetch(broken["gone"])[0] == 410
    status, headers, _ = fetch(broken["rate_limited"])
    assert status == 429 and headers["Retry-After"] == "120"
    for key, code in (("redirect_permanent", 301), ("redirect_temporary", 302)):
        status, headers, _ = fetch(broken[key])
        assert status == code and headers["Location"] in site.feed_urls.values()

    status, headers, body = fetch(broken["html_instead"])
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert feedparser.parse(body).bozo == 1
    alternates = html_tree(body).xpath("//link[@rel='alternate' and @type='application/rss+xml']/@href")
    assert alternates and all(href in site.feed_urls.values() for href in alternates)
    assert feedparser.parse(fetch(alternates[0])[2]).bozo == 0

    status, _, body = fetch(broken["dead_links"])
    dead = feedparser.parse(body)
    assert status == 200 and dead.bozo == 0 and len(dead.entries) == site.feed_window
    assert all(fetch(entry.link)[0] == 404 for entry in dead.entries)


def test_slow_feed_does_not_block_and_stops_with_the_server() -> None:
    site = NewsSite(seed=5, chain_length=(10, 12), slow_seconds=30)
    site.start()
    outcome: dict[str, object] = {}

    def slow_client() -> None:
        started = time.monotonic()
        try:
            outcome["status"] = fetch(site.broken_urls["slow"], timeout=20)[0]
        except OSError as error:  # the connection may be closed instead
            outcome["status"] = repr(error)
        outcome["seconds"] = time.monotonic() - started

    worker = threading.Thread(target=slow_client)
    worker.start()
    try:
        deadline = time.monotonic() + 5
        while not site.requests_for(site.broken_urls["slow"]) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert site.requests_for(site.broken_urls["slow"])[0].status is None  # still waiting
        started = time.monotonic()
        assert fetch(site.feed_urls["dev-notes-posts.rss20"])[0] == 200
        assert time.monotonic() - started < 2
    finally:
        site.stop()
        worker.join(timeout=10)
    assert not worker.is_alive() and outcome["seconds"] < 10  # type: ignore[operator]
    assert not site.running
