"""Feed edge cases that lost feeds or content (issue 18, item 3): an HTML doctype before the feed, UTF-32 and
UTF-16 without BOM, MathML/SVG and embed fallbacks in content, JSON Feed ids, authors and attachments."""

from __future__ import annotations

import codecs
import json

import pytest

from aggregator.models import Enclosure
from aggregator.parse.feeds import FeedParseError, parse_feed

FEED_URL = "https://edge.example.org/feed"

ATOM = (
    '<feed xmlns="http://www.w3.org/2005/Atom"><title>Grüße</title><id>urn:f</id>'
    "<updated>2024-01-01T00:00:00Z</updated><link href='https://edge.example.org/'/>"
    "<entry><id>urn:1</id><title>Erste Grüße</title><updated>2024-01-01T10:00:00Z</updated>"
    "<link href='https://edge.example.org/1'/><content type='html'>&lt;p&gt;Straße&lt;/p&gt;</content></entry>"
    "<entry><id>urn:2</id><title>Zweite</title><updated>2024-01-02T10:00:00Z</updated></entry></feed>"
)


def both(body: bytes) -> list:
    """parse_feed with and without the lxml fast path: the two must agree."""
    fast = parse_feed(body, FEED_URL)
    slow = parse_feed(body, FEED_URL, fast=False)
    assert fast == slow
    return fast.entries


@pytest.mark.parametrize(
    "prefix",
    [
        "<!DOCTYPE html>\n",
        "<!doctype html>",
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n',
        "<!-- generated -->\n<!DOCTYPE html>\n<!-- feed -->\n",
    ],
)
def test_html_doctype_before_a_feed_root_is_a_feed(prefix: str) -> None:
    entries = both((prefix + ATOM).encode())
    assert [e.title for e in entries] == ["Erste Grüße", "Zweite"]


def test_html_doctype_before_rss_is_a_feed() -> None:
    body = (
        b"<!DOCTYPE html>\n<rss version='2.0'><channel><title>R</title><link>https://edge.example.org/</link>"
        b"<description>d</description><item><guid>1</guid><title>Eins</title></item></channel></rss>"
    )
    assert [e.title for e in both(body)] == ["Eins"]


@pytest.mark.parametrize(
    "page",
    [
        "<!DOCTYPE html><html><head><title>x</title></head><body><feed>not a root</feed></body></html>",
        "<!DOCTYPE html>\n<html><body><p>hello</p></body></html>",
    ],
)
def test_html_pages_are_still_refused(page: str) -> None:
    with pytest.raises(FeedParseError, match="HTML page"):
        parse_feed(page.encode(), FEED_URL)


@pytest.mark.parametrize("codec", ["utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("declaration", ["", '<?xml version="1.0"?>\n', '<?xml version="1.0" encoding="{enc}"?>\n'])
def test_utf32_and_utf16_with_and_without_bom(codec: str, bom: bool, declaration: str) -> None:
    family = codec[:6]
    text = declaration.format(enc=family.upper()) + ATOM
    body = text.encode(codec)
    if bom:
        body = {"utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE,
                "utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}[codec] + body  # fmt: skip
    feed = parse_feed(body, FEED_URL)
    assert feed.title == "Grüße"
    assert [e.title for e in feed.entries] == ["Erste Grüße", "Zweite"]
    assert feed.entries[0].content_html == "<p>Straße</p>"
    assert feed.warning is None
    assert both(body) == feed.entries


def test_garbage_with_nulls_is_still_an_error() -> None:
    with pytest.raises(FeedParseError):
        parse_feed(b"<\x00\x00\x00\xff\xff\xff\xff", FEED_URL)


def test_math_and_svg_in_feed_content_survive_on_both_paths() -> None:
    content = (
        "&lt;p&gt;Let &lt;math&gt;&lt;mi&gt;x&lt;/mi&gt;&lt;/math&gt; be given.&lt;/p&gt;"
        "&lt;svg viewBox='0 0 2 2' onload='alert(1)'&gt;&lt;circle r='1'/&gt;&lt;/svg&gt;"
        "&lt;iframe src='https://v.example/e'&gt;Watch &lt;a href='/v'&gt;the video&lt;/a&gt;&lt;/iframe&gt;"
    )
    body = (
        "<rss version='2.0'><channel><title>R</title><link>https://edge.example.org/</link><description>d"
        f"</description><item><guid>1</guid><description>{content}</description></item></channel></rss>"
    ).encode()
    (entry,) = both(body)
    assert entry.summary == (
        '<p>Let <math><mi>x</mi></math> be given.</p><svg viewBox="0 0 2 2"><circle r="1"></circle></svg>'
        'Watch <a href="https://edge.example.org/v" rel="noopener noreferrer nofollow">the video</a>'
    )
    assert entry.summary_text.startswith("Let x be given.")


# --- JSON Feed -----------------------------------------------------------------------------------------------


def json_feed(items: list, **top: object) -> bytes:
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "J", **top, "items": items}
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("raw_id", "guid"),
    [
        ('"abc"', "abc"),
        ('"  abc "', "abc"),
        ("3.1415", "3.1415"),  # a number is coerced to its string, as written
        ("3.10", "3.10"),
        ("1e3", "1e3"),
        ("42", "42"),
        ("-7", "-7"),
        ("12345678901234567890", "12345678901234567890"),
        ('"hash:x"', "id:hash:x"),  # ids that look like our fallbacks stay apart from them
        ('""', None),  # blank, missing or not coercible: the item is ignored, as the spec says
        ('"   "', None),
        ("null", None),
        ("true", None),
        ("[1]", None),
        ('{"a": 1}', None),
        (None, None),
    ],
)
def test_json_feed_ids(raw_id: str | None, guid: str | None) -> None:
    item = '"url": "https://edge.example.org/p", "content_text": "x"'
    if raw_id is not None:
        item = f'"id": {raw_id}, ' + item
    body = ('{"version": "https://jsonfeed.org/version/1.1", "items": [{' + item + "}]}").encode()
    entries = parse_feed(body, FEED_URL).entries
    assert [e.guid for e in entries] == ([guid] if guid else [])


def test_json_items_without_id_are_ignored_and_the_rest_kept() -> None:
    items = [{"id": "a", "content_text": "a"}, {"content_text": "no id", "url": "https://edge.example.org/n"},
             {"id": "", "content_text": "blank"}, {"id": 2, "content_text": "b"}]  # fmt: skip
    assert [e.guid for e in parse_feed(json_feed(items), FEED_URL).entries] == ["a", "2"]


@pytest.mark.parametrize(
    ("item_authors", "expected"),
    [
        ({}, ["Feed Author"]),  # none given: the feed's
        ({"authors": []}, ["Feed Author"]),
        ({"authors": [{}]}, ["Feed Author"]),  # an empty object names nobody
        ({"authors": [{"name": "Ann"}]}, ["Ann"]),
        ({"authors": [{"url": "https://ann.example/"}]}, []),  # someone, unnamed: not the feed's authors
        ({"authors": [{"avatar": "https://ann.example/a.png"}]}, []),
        ({"authors": [{"url": "https://ann.example/"}, {"name": "Bob"}]}, ["Bob"]),
        ({"author": {"name": "Old Style"}}, ["Old Style"]),  # 1.0
        ({"author": {"url": "https://old.example/"}}, []),
        ({"authors": "Ann"}, ["Feed Author"]),  # not the spec's shape: ignored
    ],
)
def test_json_feed_authors(item_authors: dict, expected: list[str]) -> None:
    items = [{"id": "1", "content_text": "x", **item_authors}]
    (entry,) = parse_feed(json_feed(items, authors=[{"name": "Feed Author"}]), FEED_URL).entries
    assert entry.authors == expected


def test_json_feed_10_top_level_author_is_inherited() -> None:
    body = json.dumps({"version": "https://jsonfeed.org/version/1", "author": {"name": "Top"},
                       "items": [{"id": "1", "content_text": "x"}]}).encode()  # fmt: skip
    assert parse_feed(body, FEED_URL).entries[0].authors == ["Top"]


@pytest.mark.parametrize(
    ("attachment", "expected"),
    [
        ({"url": "https://cdn.example/a.mp3", "mime_type": "audio/mpeg", "size_in_bytes": 1000},
         Enclosure("https://cdn.example/a.mp3", "audio/mpeg", 1000)),
        ({"url": "https://cdn.example/a.mp3", "mime_type": "audio/mpeg", "size_in_bytes": 1000.0},
         Enclosure("https://cdn.example/a.mp3", "audio/mpeg", 1000)),
        ({"url": "https://cdn.example/a.mp3", "mime_type": "audio/mpeg", "size_in_bytes": 1234.7},
         Enclosure("https://cdn.example/a.mp3", "audio/mpeg", 1234)),
        ({"url": "https://cdn.example/a.mp3", "mime_type": "audio/mpeg", "size_in_bytes": "2048"},
         Enclosure("https://cdn.example/a.mp3", "audio/mpeg", 2048)),
        ({"url": "https://cdn.example/a.mp3", "mime_type": "audio/mpeg", "size_in_bytes": -5},
         Enclosure("https://cdn.example/a.mp3", "audio/mpeg", None)),
        ({"url": "https://cdn.example/a.mp3", "mime_type": "audio/mpeg", "size_in_bytes": True},
         Enclosure("https://cdn.example/a.mp3", "audio/mpeg", None)),
        ({"url": "/rel/b.ogg", "mime_type": "audio/ogg", "title": "B", "duration_in_seconds": 60},
         Enclosure("https://edge.example.org/rel/b.ogg", "audio/ogg", None)),
        ({"mime_type": "audio/mpeg", "size_in_bytes": 5}, None),  # no url: nothing to archive
        ({"url": "javascript:alert(1)", "mime_type": "audio/mpeg"}, None),
    ],
)  # fmt: skip
def test_json_feed_attachments(attachment: dict, expected: Enclosure | None) -> None:
    (entry,) = parse_feed(json_feed([{"id": "1", "content_text": "x", "attachments": [attachment]}]), FEED_URL).entries
    assert entry.enclosures == ([expected] if expected else [])


def test_json_nan_size_is_dropped() -> None:
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", "content_text": "x", "attachments":'
        b' [{"url": "https://cdn.example/a", "mime_type": "audio/mpeg", "size_in_bytes": NaN}]}]}'
    )
    assert parse_feed(body, FEED_URL).entries[0].enclosures == [Enclosure("https://cdn.example/a", "audio/mpeg", None)]
