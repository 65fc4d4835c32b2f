from __future__ import annotations

import codecs
import csv
import re
import time
from pathlib import Path

import pytest

from aggregator.models import Enclosure, ParsedFeed
from aggregator.parse.feeds import FeedParseError, parse_feed

FEED_URL = "https://news.example.com/feed/"
REL = 'rel="noopener noreferrer nofollow"'
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")

NS = (
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:media="http://search.yahoo.com/mrss/" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"'
)


def rss(items: str, channel: str = "", declaration: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return (
        f'{declaration}\n<rss version="2.0" {NS}><channel><title>T</title><link>https://news.example.com/</link>'
        f"<description>d</description>{channel}{items}</channel></rss>"
    ).encode()


# --- formats -------------------------------------------------------------------------------------------

RSS20 = rss(
    channel="""
    <language>en-US</language><ttl>30</ttl>
    <sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>
    <managingEditor>ed@example.com (Ed Itor)</managingEditor>""",
    items="""
    <item>
      <title>First &lt;em&gt;post&lt;/em&gt;   here &amp;amp; there</title>
      <link>/2024/first?utm_source=rss&amp;id=7#comments</link>
      <guid isPermaLink="false">post-1</guid>
      <pubDate>Tue, 10 Jun 2003 04:00:00 -0500</pubDate>
      <dc:creator>Jane Doe</dc:creator>
      <author>jane@example.com (Jane Doe)</author>
      <category>Tech</category><category> tech </category><category>Science  News</category>
      <description>&lt;p&gt;Summary with &lt;a href="/s"&gt;link&lt;/a&gt;&lt;/p&gt;</description>
      <content:encoded><![CDATA[<p onclick="x()">Full <b>content</b> <img src="/img/a.png"></p><script>alert(1)</script>]]>
      </content:encoded>
      <enclosure url="/audio/ep1.mp3" type="audio/mpeg" length="12345"/>
      <enclosure url="/audio/ep1.mp3" type="audio/mpeg" length="12345"/>
      <media:thumbnail url="https://cdn.example.com/thumb.jpg"/>
    </item>
    <item>
      <title>Second</title>
      <link>https://news.example.com/2024/second</link>
      <guid>https://news.example.com/?p=2</guid>
      <enclosure url="https://news.example.com/pic.jpg" type="image/jpeg" length="0"/>
    </item>""",
)


def test_rss20_every_field() -> None:
    feed = parse_feed(RSS20, FEED_URL, "application/rss+xml; charset=utf-8")
    assert isinstance(feed, ParsedFeed)
    assert feed.format == "rss20"
    assert feed.title == "T"
    assert feed.site_url == "https://news.example.com/"
    assert feed.language == "en-us"
    assert feed.ttl_seconds == 1800
    assert feed.update_period_seconds == 1800
    assert feed.warning is None
    first, second = feed.entries
    assert first.guid == "post-1"
    assert first.url == "https://news.example.com/2024/first?id=7"
    assert first.title == "First post here & there"
    assert first.authors == ["Jane Doe"]  # dc:creator and <author> name the same person
    assert first.published_at == "2003-06-10T09:00:00Z"
    assert first.updated_at is None
    assert first.summary == f'<p>Summary with <a href="https://news.example.com/s" {REL}>link</a></p>'
    assert first.content_html == '<p>Full <b>content</b> <img src="https://news.example.com/img/a.png"></p>'
    assert first.tags == ["Tech", "Science News"]
    assert first.enclosures == [Enclosure("https://news.example.com/audio/ep1.mp3", "audio/mpeg", 12345)]
    assert first.language == "en-us"  # inherited from the channel
    assert first.image_url == "https://cdn.example.com/thumb.jpg"

    assert second.guid == "https://news.example.com/?p=2"
    assert second.url == "https://news.example.com/2024/second"
    assert second.authors == []  # the managing editor is not the author of every item
    assert second.published_at is None and second.summary is None and second.content_html is None
    assert second.enclosures == [Enclosure("https://news.example.com/pic.jpg", "image/jpeg", None)]
    assert second.image_url == "https://news.example.com/pic.jpg"


RSS091 = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<rss version="0.91"><channel><title>Old School</title><link>http://old.example.com/</link>
<description>d</description><language>en-GB</language>
<item><title>First &amp; foremost</title><link>http://old.example.com/1.html</link>
<description>Caf\xe9 &lt;b&gt;bold&lt;/b&gt;</description></item>
<item><title>Second</title><link>http://old.example.com/2.html?utm_campaign=x</link></item>
</channel></rss>"""


def test_rss091() -> None:
    feed = parse_feed(RSS091, "http://old.example.com/rss.xml")
    assert (feed.format, feed.title, feed.site_url, feed.language) == (
        "rss091u",
        "Old School",
        "http://old.example.com/",
        "en-gb",
    )
    first, second = feed.entries
    assert first.guid == "link:http://old.example.com/1.html"  # RSS 0.91 has no guid
    assert first.title == "First & foremost"
    assert first.summary == "Café <b>bold</b>"
    assert second.url == "http://old.example.com/2.html"
    assert second.guid == "link:http://old.example.com/2.html"


RSS10 = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel rdf:about="https://rdf.example.org/"><title>RDF site</title><link>https://rdf.example.org/</link>
<description>x</description><dc:language>fr</dc:language><sy:updatePeriod>weekly</sy:updatePeriod>
<items><rdf:Seq><rdf:li rdf:resource="https://rdf.example.org/a"/></rdf:Seq></items></channel>
<item rdf:about="https://rdf.example.org/a"><title>\xc3\x89t\xc3\xa9</title><link>https://rdf.example.org/a</link>
<description>Desc</description><dc:date>2024-03-01T10:00:00+02:00</dc:date><dc:creator>Marie</dc:creator>
<dc:subject>Science</dc:subject><content:encoded><![CDATA[<p>Body</p>]]></content:encoded></item>
</rdf:RDF>"""


def test_rss10() -> None:
    feed = parse_feed(RSS10, "https://rdf.example.org/index.rdf")
    assert (feed.format, feed.title, feed.site_url, feed.language) == (
        "rss10",
        "RDF site",
        "https://rdf.example.org/",
        "fr",
    )
    assert feed.update_period_seconds == 7 * 86400  # sy:updateFrequency defaults to 1
    (entry,) = feed.entries
    assert entry.guid == "https://rdf.example.org/a"
    assert entry.title == "Été"
    assert entry.authors == ["Marie"]
    assert entry.published_at == "2024-03-01T08:00:00Z"  # dc:date, converted to UTC
    assert entry.summary == "Desc"
    assert entry.content_html == "<p>Body</p>"
    assert entry.tags == ["Science"]
    assert entry.language == "fr"


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-GB" xml:base="https://atom.example.org/blog/">
  <title type="html">Atom &lt;i&gt;Blog&lt;/i&gt;</title>
  <link rel="alternate" href="./"/><link rel="self" href="feed.atom"/>
  <id>tag:atom.example.org,2024:feed</id><updated>2024-05-01T00:00:00Z</updated>
  <author><name>Feed Author</name></author>
  <entry xml:lang="de">
    <title>Eintrag eins</title><id>tag:atom.example.org,2024:1</id>
    <link rel="alternate" href="2024/eins"/>
    <link rel="enclosure" href="media/pic.jpg" type="image/jpeg" length="2048"/>
    <published>2024-04-30T22:30:00+02:00</published><updated>2024-05-01T08:00:00-04:00</updated>
    <author><name>Anna</name></author><author><name>Ben</name></author>
    <summary>Short &amp; sweet</summary>
    <content type="html">&lt;p&gt;Hallo &lt;a href="../about"&gt;about&lt;/a&gt;&lt;/p&gt;</content>
    <category term="news" label="News"/><category term="misc"/>
  </entry>
  <entry>
    <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">X<b>HTML</b>   title</div></title>
    <id>tag:atom.example.org,2024:2</id><updated>2024-05-02T10:00:00Z</updated>
    <content type="text">line one &lt; two
line two

para two</content>
  </entry>
</feed>"""


def test_atom() -> None:
    feed = parse_feed(ATOM, "https://atom.example.org/blog/feed.atom", "application/atom+xml")
    assert feed.format == "atom10"
    assert feed.title == "Atom Blog"
    assert feed.site_url == "https://atom.example.org/blog/"
    assert feed.language == "en-gb"
    assert feed.ttl_seconds is None and feed.update_period_seconds is None
    first, second = feed.entries
    assert first.guid == "tag:atom.example.org,2024:1"
    assert first.url == "https://atom.example.org/blog/2024/eins"  # xml:base
    assert first.title == "Eintrag eins"
    assert first.authors == ["Anna", "Ben"]
    assert first.published_at == "2024-04-30T20:30:00Z"
    assert first.updated_at == "2024-05-01T12:00:00Z"
    assert first.summary == "<p>Short &amp; sweet</p>"  # type="text": escaped, not interpreted
    assert first.content_html == f'<p>Hallo <a href="https://atom.example.org/about" {REL}>about</a></p>'
    assert first.tags == ["news", "misc"]
    assert first.enclosures == [Enclosure("https://atom.example.org/blog/media/pic.jpg", "image/jpeg", 2048)]
    assert first.image_url == "https://atom.example.org/blog/media/pic.jpg"
    assert first.language == "de"

    assert second.title == "XHTML title"
    assert second.url is None  # only a tag: URI id, no http(s) link
    assert second.authors == ["Feed Author"]  # Atom: entries inherit the feed's author
    assert second.published_at == second.updated_at == "2024-05-02T10:00:00Z"
    assert second.content_html == "<p>line one &lt; two<br>line two</p><p>para two</p>"
    assert second.summary == second.content_html  # feedparser mirrors content into summary
    assert second.language == "en-gb"


JSON11 = b"""\xef\xbb\xbf{
  "version": "https://jsonfeed.org/version/1.1",
  "title": "JSON &amp; Friends",
  "home_page_url": "https://json.example.net/?utm_medium=feed",
  "feed_url": "https://json.example.net/feed.json",
  "language": "en-GB",
  "authors": [{"name": "Feed Person"}],
  "items": [
    {"id": "1", "url": "https://json.example.net/posts/1", "title": "Hello   world",
     "content_html": "<p>Hi <a href=\\"/about\\">me</a><script>alert(1)</script></p>",
     "summary": "A <short> summary",
     "date_published": "2024-02-29T23:30:00-01:00", "date_modified": "2024-03-01T12:00:00Z",
     "authors": [{"name": "Alice"}, {"name": "alice"}, {"url": "https://alice.example"}],
     "tags": ["json", "JSON", " feeds ", 7], "language": "fr", "image": "/img/1.png",
     "attachments": [{"url": "https://cdn.example.net/ep.mp3", "mime_type": "audio/mpeg", "size_in_bytes": 1000},
                     {"url": "javascript:alert(1)"}, "junk"]},
    {"id": 2, "url": "https://json.example.net/posts/2", "content_text": "Plain <text>\\n\\nSecond",
     "date_modified": "2024-03-02T10:00:00+00:00", "banner_image": "https://json.example.net/banner.png"},
    "not an item"
  ]
}"""


def test_json_feed_11() -> None:
    feed = parse_feed(JSON11, "https://json.example.net/feed.json", "text/html")  # the type lies
    assert feed.format == "json11"
    assert feed.title == "JSON & Friends"
    assert feed.site_url == "https://json.example.net/"
    assert feed.language == "en-gb"
    first, second = feed.entries
    assert first.guid == "1"
    assert first.url == "https://json.example.net/posts/1"
    assert first.title == "Hello world"
    assert first.content_html == f'<p>Hi <a href="https://json.example.net/about" {REL}>me</a></p>'
    assert first.summary == "<p>A &lt;short&gt; summary</p>"
    assert first.published_at == "2024-03-01T00:30:00Z"
    assert first.updated_at == "2024-03-01T12:00:00Z"
    assert first.authors == ["Alice"]
    assert first.tags == ["json", "feeds"]
    assert first.language == "fr"
    assert first.image_url == "https://json.example.net/img/1.png"
    assert first.enclosures == [Enclosure("https://cdn.example.net/ep.mp3", "audio/mpeg", 1000)]

    assert second.guid == "2"  # numeric id
    assert second.content_html == "<p>Plain &lt;text&gt;</p><p>Second</p>"
    assert second.summary is None
    assert second.published_at == second.updated_at == "2024-03-02T10:00:00Z"
    assert second.authors == ["Feed Person"]
    assert second.language == "en-gb"
    assert second.image_url == "https://json.example.net/banner.png"


JSON10 = b"""{
  "version": "https://jsonfeed.org/version/1", "title": "Solo", "home_page_url": "https://solo.example/",
  "author": {"name": "Feed Solo"},
  "items": [
    {"id": "a", "url": "/posts/a", "title": "A", "content_text": "text", "author": {"name": "Item Solo"},
     "date_published": "2024-01-05 10:00:00 +0100"},
    {"id": "b", "external_url": "https://elsewhere.example/b", "content_html": "<p>b</p>",
     "date_published": "Mon, 01 Jan 2024 10:00:00 GMT"},
    {"id": "c", "content_html": "<p>c</p>", "date_published": "2024-01-05T10:00:00"},
    {"id": "d", "content_html": "<p>d</p>", "date_published": "yesterday-ish", "date_modified": 12}
  ]
}"""


def test_json_feed_10() -> None:
    feed = parse_feed(JSON10, "https://solo.example/feed.json", "application/feed+json")
    assert (feed.format, feed.title, feed.site_url, feed.language) == (
        "json10",
        "Solo",
        "https://solo.example/",
        None,
    )
    a, b, c, d = feed.entries
    assert a.url == "https://solo.example/posts/a"  # relative URLs resolve against the feed URL
    assert a.authors == ["Item Solo"]
    assert a.published_at == "2024-01-05T09:00:00Z"  # space for T, offset without colon
    assert a.content_html == "<p>text</p>"
    assert b.url == "https://elsewhere.example/b"
    assert b.authors == ["Feed Solo"]
    assert b.published_at == "2024-01-01T10:00:00Z"
    assert c.published_at == "2024-01-05T10:00:00Z"  # no offset: taken as UTC
    assert d.published_at is None and d.updated_at is None


def test_json_errors() -> None:
    with pytest.raises(FeedParseError, match="invalid JSON: line 1"):
        parse_feed(b'{"version": "https://jsonfeed.org/version/1", "items": [', FEED_URL)
    with pytest.raises(FeedParseError, match="not a JSON Feed"):
        parse_feed(b'{"rss": {"channel": {}}}', FEED_URL, "application/json")
    with pytest.raises(FeedParseError, match="not a JSON Feed"):
        parse_feed(b"[1, 2]", FEED_URL)
    with pytest.raises(FeedParseError, match="nested too deeply"):
        parse_feed(b"[" * 100_000, FEED_URL)
    with pytest.raises(FeedParseError, match="items is not a list"):
        parse_feed(b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}', FEED_URL)


def test_json_feed_invalid_utf8_is_recovered() -> None:
    body = b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "x", "title": "a\xffb"}]}'
    feed = parse_feed(body, FEED_URL)
    assert feed.entries[0].title == "a\ufffdb"
    assert feed.warning == "invalid UTF-8 byte sequences replaced"


# --- guids ---------------------------------------------------------------------------------------------


def test_guid_falls_back_to_normalised_link() -> None:
    feed = parse_feed(rss("<item><title>a</title><link>/a?utm_source=x</link></item>"), FEED_URL)
    assert feed.entries[0].guid == "link:https://news.example.com/a"


def test_duplicate_guids_fall_back_to_links() -> None:
    items = "".join(f"<item><guid>same</guid><link>https://news.example.com/{n}</link></item>" for n in "ab")
    items += "<item><guid>unique</guid><link>https://news.example.com/c</link></item>"
    guids = [e.guid for e in parse_feed(rss(items), FEED_URL).entries]
    assert guids == ["link:https://news.example.com/a", "link:https://news.example.com/b", "unique"]


def test_no_guid_no_link_uses_content_hash() -> None:
    items = (
        "<item><title>One</title><description>x</description><pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate></item>"
        "<item><title>Two</title><description>x</description></item>"
    )
    first = parse_feed(rss(items), FEED_URL).entries
    again = parse_feed(rss(items), FEED_URL).entries
    assert [e.guid for e in first] == [e.guid for e in again]  # stable across fetches
    assert all(re.fullmatch(r"hash:[0-9a-f]{32}", e.guid) for e in first)
    assert first[0].guid != first[1].guid


def test_duplicate_guid_and_link_uses_content_hash() -> None:
    items = "".join(
        f"<item><title>{t}</title><guid>g</guid><link>https://news.example.com/x</link></item>" for t in ("A", "B")
    )
    entries = parse_feed(rss(items), FEED_URL).entries
    assert len(entries) == 2 and all(e.guid.startswith("hash:") for e in entries)
    assert entries[0].guid != entries[1].guid


def test_exact_repeats_are_collapsed() -> None:
    item = "<item><title>Same</title><guid>g</guid><description>d</description></item>"
    entries = parse_feed(rss(item * 3), FEED_URL).entries
    assert len(entries) == 1 and entries[0].guid.startswith("hash:")


def test_real_ids_cannot_collide_with_fallbacks() -> None:
    items = (
        "<item><guid isPermaLink='false'>link:https://news.example.com/a</guid></item>"
        "<item><link>https://news.example.com/a</link></item>"
    )
    assert [e.guid for e in parse_feed(rss(items), FEED_URL).entries] == [
        "id:link:https://news.example.com/a",
        "link:https://news.example.com/a",
    ]


def test_ids_do_not_depend_on_the_feed_url() -> None:
    # feedparser would resolve these against the feed URL; a moved feed must keep its guids.
    items = "<item><guid>1234</guid></item><item><guid>/p/5</guid><link>https://news.example.com/5</link></item>"
    old = [e.guid for e in parse_feed(rss(items), "http://news.example.com/rss").entries]
    new = [e.guid for e in parse_feed(rss(items), "https://news.example.com/feeds/all.xml").entries]
    assert old == new == ["1234", "/p/5"]


def test_permalink_guid_that_is_no_url_is_not_a_link() -> None:
    (entry,) = parse_feed(rss("<item><guid>1234</guid></item>"), FEED_URL).entries
    assert (entry.guid, entry.url) == ("1234", None)


def test_permalink_guid_becomes_url() -> None:
    (entry,) = parse_feed(rss("<item><guid>https://news.example.com/p/1</guid></item>"), FEED_URL).entries
    assert (entry.guid, entry.url) == ("https://news.example.com/p/1", "https://news.example.com/p/1")


def test_whitespace_guid_is_missing() -> None:
    (entry,) = parse_feed(rss("<item><guid>  </guid><link>https://x.example/1</link></item>"), FEED_URL).entries
    assert entry.guid == "link:https://x.example/1"


# --- URLs ----------------------------------------------------------------------------------------------


def test_relative_links_resolve_against_feed_url_and_content_location() -> None:
    body = rss("<item><guid>1</guid><link>post?utm_medium=rss&amp;b=2&amp;a=1</link></item>").replace(
        b"<link>https://news.example.com/</link>", b"<link>../home</link>"
    )
    feed = parse_feed(body, "https://a.example/feeds/main.xml")
    assert feed.site_url == "https://a.example/home"
    assert feed.entries[0].url == "https://a.example/feeds/post?b=2&a=1"
    moved = parse_feed(body, "https://a.example/feeds/main.xml", content_location="/other/dir/")
    assert moved.entries[0].url == "https://a.example/other/dir/post?b=2&a=1"


def test_non_http_links_are_dropped() -> None:
    items = "<item><guid>1</guid><link>javascript:alert(1)</link><enclosure url='ftp://x/y.mp3'/></item>"
    (entry,) = parse_feed(rss(items), FEED_URL).entries
    assert entry.url is None and entry.enclosures == []


# --- dates ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        ("<pubDate>Sat, 07 Sep 2002 00:00:01 GMT</pubDate>", "2002-09-07T00:00:01Z"),
        ("<pubDate>Sat, 07 Sep 2002 00:00:01 EST</pubDate>", "2002-09-07T05:00:01Z"),
        ("<pubDate>Sat, 07 Sep 2002 23:30:00 -0330</pubDate>", "2002-09-08T03:00:00Z"),
        ("<pubDate>07 Sep 2002 09:00 +0200</pubDate>", "2002-09-07T07:00:00Z"),
        ("<pubDate>2002-09-07T10:00:00+09:00</pubDate>", "2002-09-07T01:00:00Z"),
        ("<dc:date>2002-09-07T10:00:00Z</dc:date>", "2002-09-07T10:00:00Z"),
        ("<pubDate>not a date</pubDate>", None),
        ("<pubDate></pubDate>", None),
    ],
)
def test_rss_dates(element: str, expected: str | None) -> None:
    (entry,) = parse_feed(rss(f"<item><guid>1</guid>{element}</item>"), FEED_URL).entries
    assert entry.published_at == expected


def test_unparseable_published_falls_back_to_updated() -> None:
    items = "<item><guid>1</guid><pubDate>garbage</pubDate><dc:date>2020-01-02T03:04:05+01:00</dc:date></item>"
    (entry,) = parse_feed(rss(items), FEED_URL).entries
    assert entry.published_at == entry.updated_at == "2020-01-02T02:04:05Z"


# --- encodings -----------------------------------------------------------------------------------------


def latin_rss(title: bytes, declaration: bytes) -> bytes:
    return declaration + b'<rss version="2.0"><channel><title>' + title + b"</title></channel></rss>"


def test_windows_1252_declared() -> None:
    body = latin_rss(b"\x93Caf\xe9\x94 \x80", b'<?xml version="1.0" encoding="windows-1252"?>')
    feed = parse_feed(body, FEED_URL)
    assert feed.title == "\u201cCafé\u201d €"
    assert feed.warning is None


def test_windows_1252_undeclared() -> None:
    feed = parse_feed(latin_rss(b"\x93Caf\xe9\x94 \x80", b""), FEED_URL)
    assert feed.title == "\u201cCafé\u201d €"
    assert "windows-1252" in (feed.warning or "")


def test_iso_8859_1_declared() -> None:
    feed = parse_feed(latin_rss(b"Gr\xfc\xdfe", b'<?xml version="1.0" encoding="ISO-8859-1"?>'), FEED_URL)
    assert (feed.title, feed.warning) == ("Grüße", None)


def test_http_charset_applies_to_undeclared_document() -> None:
    feed = parse_feed(latin_rss(b"Gr\xfc\xdfe", b""), FEED_URL, "text/xml; charset=ISO-8859-1")
    assert (feed.title, feed.warning) == ("Grüße", None)


def test_text_xml_without_charset_is_not_read_as_ascii() -> None:
    # RFC 3023 says US-ASCII here; feedparser follows it and flags every such feed. We do not.
    body = latin_rss("Grüße".encode(), b'<?xml version="1.0"?>')
    for content_type in ("text/xml", "text/html", None, "application/octet-stream"):
        feed = parse_feed(body, FEED_URL, content_type)
        assert (feed.title, feed.warning) == ("Grüße", None), content_type


def test_utf8_declared_by_xml_wins_over_wrong_http_charset_when_bytes_are_utf8() -> None:
    body = latin_rss("Grüße".encode(), b'<?xml version="1.0" encoding="utf-8"?>')
    assert parse_feed(body, FEED_URL, "text/xml; charset=iso-8859-1").title == "Grüße"


def test_utf8_bom() -> None:
    body = codecs.BOM_UTF8 + latin_rss("Grüße €".encode(), b'<?xml version="1.0" encoding="utf-8"?>')
    assert (parse_feed(body, FEED_URL).title, parse_feed(body, FEED_URL).warning) == ("Grüße €", None)


def test_utf16_bom() -> None:
    body = latin_rss("Grüße".encode(), b'<?xml version="1.0" encoding="utf-16"?>').decode().encode("utf-16")
    assert parse_feed(body, FEED_URL).title == "Grüße"


def test_invalid_utf8_bytes_are_replaced_not_mojibake() -> None:
    body = latin_rss("Grüße – ok".encode() + b" \xff", b'<?xml version="1.0" encoding="utf-8"?>')
    feed = parse_feed(body, FEED_URL)
    assert feed.title == "Grüße – ok \ufffd"
    assert feed.warning == "invalid UTF-8 byte sequences replaced"


def test_false_utf16_declaration_is_ignored() -> None:
    body = latin_rss("Grüße".encode(), b'<?xml version="1.0" encoding="utf-16"?>')
    feed = parse_feed(body, FEED_URL)
    assert feed.title == "Grüße"
    assert "utf-16 ignored" in (feed.warning or "")


def test_whitespace_before_xml_declaration_is_repaired() -> None:
    feed = parse_feed(b"\n\n  " + RSS20, FEED_URL)
    assert len(feed.entries) == 2
    assert feed.warning == "whitespace before the XML declaration removed"


# --- errors --------------------------------------------------------------------------------------------


def test_html_page_error_names_its_feeds() -> None:
    page = b"""<!DOCTYPE html><html><head><title>Blog</title>
    <link rel="alternate" type="application/rss+xml" title="RSS" href="/feed.xml">
    <link rel="alternate" type="application/atom+xml" href="https://other.example/atom?utm_source=x">
    <link rel="alternate" type="application/feed+json" href="feed.json">
    <link rel="alternate" type="text/html" hreflang="de" href="/de/">
    <link rel="stylesheet" type="text/css" href="/s.css">
    </head><body><p>Hello</p></body></html>"""
    with pytest.raises(FeedParseError) as info:
        parse_feed(page, "https://blog.example.com/posts/", "application/rss+xml")
    links = [
        "https://blog.example.com/feed.xml",
        "https://other.example/atom",
        "https://blog.example.com/posts/feed.json",
    ]
    assert str(info.value) == "not a feed but an HTML page; it links to feeds: " + ", ".join(links)
    assert info.value.feed_links == links


def test_html_page_base_element_and_no_links() -> None:
    page = b'<html><head><base href="https://cdn.example/x/"><link rel=alternate type=application/rss+xml href=f.xml>'
    with pytest.raises(FeedParseError, match=r"links to feeds: https://cdn\.example/x/f\.xml$"):
        parse_feed(page, FEED_URL)
    with pytest.raises(FeedParseError, match="not a feed but an HTML page"):
        parse_feed(b"\n<!-- x -->\n<!doctype HTML>\n<html><body>nothing</body></html>", FEED_URL)
    xhtml = b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x.dtd">\n<html><head/></html>'
    with pytest.raises(FeedParseError, match="HTML page"):
        parse_feed(xhtml, FEED_URL)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty document"),
        (b"  \r\n\t", "empty document"),
        (codecs.BOM_UTF8, "empty document"),
        (b"<?xml version='1.0'?>\n<rss version='2.0'>\n<chan", "not well-formed XML: line 3, column"),
        (b"<?xml version='1.0'?>\n<root>\n  <a>\n    <b></a>", "not well-formed XML: line 4, column 9: mismatched tag"),
        (b"<root>\n  <a>\n    <b></a>", "not well-formed XML: line 3, column 9: mismatched tag"),
        (b"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><url/></urlset>", "not a feed: no RSS"),
        (b"just some text", "not well-formed XML: line 1, column 0"),
        (b"/etc/passwd", "not well-formed XML"),  # feedparser would open a file of that name
        (b"https://example.com/feed", "not well-formed XML"),  # ...or fetch a URL
    ],
)
def test_errors(body: bytes, message: str) -> None:
    with pytest.raises(FeedParseError, match=re.escape(message)):
        parse_feed(body, FEED_URL)


def test_bozo_feed_with_entries_is_recovered_with_warning() -> None:
    body = rss("<item><guid>1</guid><title>Record, replay & measure</title></item>")
    feed = parse_feed(body, FEED_URL)
    assert feed.entries[0].title == "Record, replay & measure"
    assert feed.warning and feed.warning.startswith("not well-formed XML: line 2")


def test_truncated_documents_never_raise_anything_else() -> None:
    for end in range(0, len(RSS20), 23):
        try:
            feed = parse_feed(RSS20[:end], FEED_URL)
        except FeedParseError:
            continue
        assert all(e.guid for e in feed.entries)


@pytest.mark.parametrize(
    "body",
    [
        rss("<item><guid>1</guid><title>&#x110000; & bare</title></item>"),  # feedparser: chr() ValueError
        b'<?xml version="1.0" encoding="utf-\xe7"?><rss version="2.0"><channel><title>t</title></channel></rss>',
        rss("<item><guid>1</guid><link>http://[::1</link><enclosure url='http://[x'/></item>"),  # urljoin
        b'<?xml version="1.0" encoding="utf-8\x00"?><rss version="2.0"><channel><title>t</title></channel></rss>',
    ],
)
def test_hostile_input_raises_nothing_but_feed_parse_error(body: bytes) -> None:
    try:
        feed = parse_feed(body, FEED_URL, "text/xml; charset=bogus")
    except FeedParseError:
        return
    assert all(e.url is None or e.url.startswith("http") for e in feed.entries)


# --- XML attacks ---------------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><guid>1</guid><title>&lol9;</title><description>&lol9;</description></item></channel></rss>"""


def _all_text(feed: ParsedFeed) -> str:
    return repr(feed)


def _parse_or_error(body: bytes) -> str:
    try:
        return _all_text(parse_feed(body, FEED_URL))
    except FeedParseError as exc:
        return str(exc)


def test_billion_laughs_does_not_expand() -> None:
    start = time.perf_counter()
    text = _parse_or_error(BILLION_LAUGHS)
    assert time.perf_counter() - start < 2
    assert "lollollol" not in text and len(text) < 10_000


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{url}">]>',
        '<!DOCTYPE rss [<!ENTITY % xxe SYSTEM "{url}"> %xxe;]>',
        '<!DOCTYPE rss SYSTEM "{url}">',
    ],
)
@pytest.mark.parametrize("target", ["secret", "/etc/passwd"])
def test_external_entities_are_not_resolved(doctype: str, target: str, tmp_path: Path) -> None:
    if target == "secret":
        secret = tmp_path / "secret.txt"
        secret.write_text("TOP-SECRET-MARKER")
        url, marker = secret.as_uri(), "TOP-SECRET-MARKER"
    else:
        url, marker = "file:///etc/passwd", "root:"
    body = (
        '<?xml version="1.0"?>\n' + doctype.format(url=url) + '\n<rss version="2.0"><channel><title>t &xxe;</title>'
        "<item><guid>1</guid><title>x &xxe;</title><description>d &xxe;</description></item></channel></rss>"
    ).encode()
    start = time.perf_counter()
    text = _parse_or_error(body)
    assert time.perf_counter() - start < 2
    assert marker not in text


# --- real-world corpus ---------------------------------------------------------------------------------

SHARED = Path(__file__).resolve().parents[2] / "shared"
FEEDS = SHARED / "data" / "feeds"
_FORMATS = {
    "rss2.0": ("rss20",),
    "atom1.0": ("atom10",),
    "rss1.0-rdf": ("rss10", "rss090"),
    "jsonfeed": ("json10", "json11"),
}


def _manifest() -> list[dict[str, str]]:
    if not (FEEDS / "MANIFEST.tsv").is_file():
        return []
    with open(FEEDS / "MANIFEST.tsv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


MANIFEST = _manifest()
_UNSAFE = re.compile(r"<(script|style|iframe|object|foreignobject|use|image)\b|<[^>]*\son\w+\s*=|=\"\s*(javascript|vbscript):", re.IGNORECASE)


def _expect_clean(row: dict[str, str]) -> bool:
    if row["format(sniffed)"] in ("json-invalid", "json-other"):
        return False
    return row["xml_wellformed(expat)"] != "NO"  # "yes", or "n/a" for JSON Feeds and the gb2312 feed


@pytest.mark.shared
@pytest.mark.skipif(not MANIFEST, reason="../shared/data/feeds not available")
@pytest.mark.parametrize("row", MANIFEST, ids=[r["file"] for r in MANIFEST])
def test_real_feed(row: dict[str, str]) -> None:
    body = (FEEDS / row["file"]).read_bytes()
    url = row["origin_feed_url"] or "https://feeds.example.org/" + row["file"]
    if _expect_clean(row):
        feed = parse_feed(body, url)
        if row["xml_wellformed(expat)"] == "yes" or row["format(sniffed)"] == "jsonfeed":
            assert feed.warning is None
        if row["n_items"] != "0":
            assert len(feed.entries) == int(row["n_items"])
        if row["format(sniffed)"] in _FORMATS:
            assert feed.format in _FORMATS[row["format(sniffed)"]]
    else:
        try:
            feed = parse_feed(body, url)
        except FeedParseError as exc:
            assert str(exc)
            return
        assert feed.warning, "a malformed document must be flagged"
    assert feed.entries or row["n_items"] == "0"
    guids = [e.guid for e in feed.entries]
    assert all(guids) and len(set(guids)) == len(guids)
    for e in feed.entries:
        assert e.url is None or e.url.startswith(("http://", "https://"))
        for date in (e.published_at, e.updated_at):
            assert date is None or ISO_Z.match(date)
        for markup in (e.summary, e.content_html):
            assert markup is None or not _UNSAFE.search(markup)
