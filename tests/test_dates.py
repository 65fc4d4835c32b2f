"""Dates: every stored time is the instant the publisher meant, in UTC, or None; never a part filled from today.

The same table runs through the date parser, both XML paths (feedparser and the lxml fast path) and JSON Feed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from aggregator.parse import dates
from aggregator.parse.dates import iso_utc, parse_date
from aggregator.parse.feeds import parse_feed

FEED_URL = "https://news.example.com/feed/"

# (text as the feed writes it, the stored instant)
CASES = [
    # RFC 822 with zone names: US ones and the rest
    ("Sun, 07 Feb 2010 14:04:00 GMT", "2010-02-07T14:04:00Z"),
    ("Sun, 07 Feb 2010 14:04:00 UT", "2010-02-07T14:04:00Z"),
    ("Sun, 07 Feb 2010 14:04:00 Z", "2010-02-07T14:04:00Z"),
    ("Sun, 07 Feb 2010 14:04:00 CET", "2010-02-07T13:04:00Z"),
    ("Sun, 07 Jun 2010 14:04:00 CEST", "2010-06-07T12:04:00Z"),
    ("Sun, 07 Feb 2010 14:04:00 MEZ", "2010-02-07T13:04:00Z"),
    ("Sun, 07 Feb 2010 14:04:00 JST", "2010-02-07T05:04:00Z"),
    ("Sun, 07 Feb 2010 14:04:00 AEST", "2010-02-07T04:04:00Z"),
    ("Sun, 07 Feb 2010 14:04:00 MSK", "2010-02-07T11:04:00Z"),
    ("Sun, 07 Feb 2010 14:04:00 IST", "2010-02-07T08:34:00Z"),
    ("Sun, 07 Feb 2010 14:04:00 BST", "2010-02-07T13:04:00Z"),
    ("Sun, 07 Feb 2010 14:04:00 EST", "2010-02-07T19:04:00Z"),
    ("Sun, 07 Feb 2010 14:04:00 EDT", "2010-02-07T18:04:00Z"),
    ("Sun, 07 Feb 2010 14:04:00 PST", "2010-02-07T22:04:00Z"),
    ("Sun, 07 Feb 2010 14:04:00 cet", "2010-02-07T13:04:00Z"),
    # numeric offsets, with or without GMT/UTC in front: the sign is the offset's, never POSIX's inverted one
    ("Sun, 07 Feb 2010 14:04:00 +0100", "2010-02-07T13:04:00Z"),
    ("Sun, 07 Feb 2010 14:04:00 -0330", "2010-02-07T17:34:00Z"),
    ("Sun, 07 Feb 2010 14:04:00 UTC+0100", "2010-02-07T13:04:00Z"),
    ("Sun, 07 Feb 2010 14:04:00 UTC+01:00", "2010-02-07T13:04:00Z"),
    ("Sun, 07 Feb 2010 14:04:00 GMT+2", "2010-02-07T12:04:00Z"),
    ("Sun, 07 Feb 2010 14:04:00 GMT-5", "2010-02-07T19:04:00Z"),
    ("Sun, 07 Feb 2010 14:04:00 GMT+05:30", "2010-02-07T08:34:00Z"),
    ("Sun, 07 Feb 2010 14:04:00 +0100 (CET)", "2010-02-07T13:04:00Z"),
    # 12-hour clocks
    ("Sun, 07 Feb 2010 2:04:00 PM GMT", "2010-02-07T14:04:00Z"),
    ("Sun, 07 Feb 2010 2:04 pm", "2010-02-07T14:04:00Z"),
    ("Sun, 07 Feb 2010 12:30:00 AM GMT", "2010-02-07T00:30:00Z"),
    ("Sun, 07 Feb 2010 12:30:00 PM GMT", "2010-02-07T12:30:00Z"),
    ("February 7, 2010 2:04 p.m. EST", "2010-02-07T19:04:00Z"),
    ("Feb 7th, 2010 at 2:04 PM", "2010-02-07T14:04:00Z"),
    # zone-less: UTC (what W3C dates without offset mean to feedparser too)
    ("Sun, 07 Feb 2010 14:04:00", "2010-02-07T14:04:00Z"),
    ("Sunday, 07-Feb-10 14:04:00 GMT", "2010-02-07T14:04:00Z"),
    ("Sun Feb  7 14:04:00 2010", "2010-02-07T14:04:00Z"),
    ("Sun Feb 7 14:04:00 CET 2010", "2010-02-07T13:04:00Z"),
    ("2010-02-07T14:04:00", "2010-02-07T14:04:00Z"),
    ("2010-02-07 14:04", "2010-02-07T14:04:00Z"),
    ("2010/02/07 14:04:00", "2010-02-07T14:04:00Z"),
    ("2020/1/10 14:33:00", "2020-01-10T14:33:00Z"),
    ("07 Feb 2010", "2010-02-07T00:00:00Z"),
    ("2010-02-07", "2010-02-07T00:00:00Z"),
    # ISO 8601 / RFC 3339, extended and basic
    ("2010-02-07T14:04:00Z", "2010-02-07T14:04:00Z"),
    ("2010-02-07T14:04:00+01:00", "2010-02-07T13:04:00Z"),
    ("2010-02-07T14:04:00.123456-05:00", "2010-02-07T19:04:00Z"),
    ("2010-02-07 14:04:00 +0100", "2010-02-07T13:04:00Z"),
    ("2010-02-07T14:04:00 CET", "2010-02-07T13:04:00Z"),
    ("20100207T140400Z", "2010-02-07T14:04:00Z"),
    ("20100207T1404+0100", "2010-02-07T13:04:00Z"),
    ("20100207", "2010-02-07T00:00:00Z"),
    # Unix time
    ("1265551440", "2010-02-07T14:04:00Z"),
    ("1265551440.5", "2010-02-07T14:04:00Z"),
    # month and day names: de, fr, es, it, pt, nl
    ("So, 07 Feb 2010 14:04:00 +0100", "2010-02-07T13:04:00Z"),
    ("Di, 09 Mär 2010 14:04:00 +0100", "2010-03-09T13:04:00Z"),
    ("Dienstag, 9. Februar 2010 um 14:04 Uhr", "2010-02-09T14:04:00Z"),
    ("9. Dezember 2010, 14:04 MEZ", "2010-12-09T13:04:00Z"),
    ("07.02.2010 14:04", "2010-02-07T14:04:00Z"),
    ("dim., 07 févr. 2010 14:04:00 +0100", "2010-02-07T13:04:00Z"),
    ("mardi 9 août 2010 14h04", "2010-08-09T14:04:00Z"),
    ("domingo, 7 de febrero de 2010 14:04", "2010-02-07T14:04:00Z"),
    ("Lun, 05 Dic 2011 10:00:00 +0100", "2011-12-05T09:00:00Z"),
    ("domenica 7 febbraio 2010 14:04", "2010-02-07T14:04:00Z"),
    ("Gio, 03 Ott 2013 09:00:00 +0200", "2013-10-03T07:00:00Z"),
    ("Seg, 24 Set 2018 19:42:40 -0300", "2018-09-24T22:42:40Z"),
    ("domingo, 7 de fevereiro de 2010 às 14:04", "2010-02-07T14:04:00Z"),
    ("zo, 07 mrt 2010 14:04:00 +0100", "2010-03-07T13:04:00Z"),
    ("zondag 7 februari 2010 14:04", "2010-02-07T14:04:00Z"),
    # Korean (Korea's time) and Hungarian, the formats feedparser has handlers for
    ("2004-05-25 오후 11:23:17", "2004-05-25T14:23:17Z"),
    ("2004-05-25 오전 11:23:17", "2004-05-25T02:23:17Z"),
    ("2004년 05월 28일 01:31:15", "2004-05-27T16:31:15Z"),
    ("2004-július-13T9:15-05:00", "2004-07-13T14:15:00Z"),
    ("le 7 février 2010 à 14:04", "2010-02-07T14:04:00Z"),
    # long forms only dateparser knows (the strict grammar declines them)
    ("7th of February 2010, 14:04", "2010-02-07T14:04:00Z"),
    # no instant: None, never a part taken from today
    ("", None),
    ("   ", None),
    ("not a date", None),
    ("2020", None),
    ("2020-05", None),
    ("Feb 2010", None),
    ("Monday", None),
    ("10:30", None),
    ("yesterday", None),
    ("3 hours ago", None),
    ("7 Feb", None),
    ("02/07/2010", None),  # February in the US, July elsewhere
    ("2010-02-30T10:00:00Z", None),
    ("Sun, 07 Feb 2010 25:04:00 GMT", None),
    ("Sun, 07 Feb 2010 14:04:00 +2500", None),
    ("0001-01-01T00:00:00Z", None),  # Go's and .NET's zero time, a placeholder
    ("0001-01-01T00:00:00+01:00", None),
    ("12", None),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse_date(text: str, expected: str | None) -> None:
    assert iso_utc(text) == expected
    when = parse_date(text)
    assert (when is None) == (expected is None)
    if when is not None:
        assert when.tzinfo is not None and when.utcoffset().total_seconds() == 0


def rss_item(date: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>T</title>'
        "<link>https://news.example.com/</link><description>d</description>"
        f"<item><guid>1</guid><title>x</title><pubDate>{date}</pubDate></item></channel></rss>"
    ).encode()


def atom_entry(date: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        "<id>urn:a</id><updated>2024-01-01T00:00:00Z</updated>"
        f"<entry><id>urn:1</id><title>x</title><published>{date}</published><updated>{date}</updated></entry></feed>"
    ).encode()


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_xml_paths_store_the_same_instant(text: str, expected: str | None) -> None:
    for body in (rss_item(text), atom_entry(text)):
        fast = parse_feed(body, FEED_URL).entries[0]
        slow = parse_feed(body, FEED_URL, fast=False).entries[0]
        assert fast.published_at == slow.published_at == expected
    atom = parse_feed(atom_entry(text), FEED_URL).entries[0]
    assert atom.updated_at == expected


def test_rss_fast_path_takes_the_date_feeds() -> None:
    # the comparison above means something only if the fast path does answer for these feeds
    from aggregator.parse import feedxml
    from aggregator.parse.feeds import _prepare_xml

    body, charset, _, _ = _prepare_xml(rss_item("Sun, 07 Feb 2010 14:04:00 CET"), None)
    assert feedxml.parse(body, charset, FEED_URL) is not None


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_json_feed_dates(text: str, expected: str | None) -> None:
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "J",
           "items": [{"id": "1", "content_text": "x", "date_published": text, "date_modified": text}]}  # fmt: skip
    (entry,) = parse_feed(json.dumps(doc).encode(), FEED_URL).entries
    assert entry.published_at == entry.updated_at == expected


@pytest.mark.parametrize("value", [1265551440, 12.5, True, None, ["2010-02-07"], {"date": "2010-02-07"}])
def test_json_non_string_dates_are_none(value: object) -> None:
    doc = {"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", "content_text": "x",
                                                                    "date_published": value}]}  # fmt: skip
    (entry,) = parse_feed(json.dumps(doc).encode(), FEED_URL).entries
    assert entry.published_at is None


@pytest.mark.parametrize("text", ["2020", "Monday", "10:30", "7 Feb", "Feb 2010", "today", "le 7 février", "in 2 days"])
def test_dateparser_is_configured_never_to_fill_from_now(text: str) -> None:
    # Asked directly (the year pre-check in front of it left out): without REQUIRE_PARTS and without the
    # relative parser turned off, each of these would come back as a date built from the clock.
    assert dates._get_dateparser().get_date_data(text).date_obj is None


def test_long_forms_go_to_dateparser() -> None:
    text = "7th of February 2010, 14:04"
    assert isinstance(dates._strict(text.lower()), dates._Unsure)
    assert iso_utc(text) == "2010-02-07T14:04:00Z"


def test_four_digit_year_always() -> None:
    assert dates.format_utc(datetime(987, 6, 5, 4, 3, 2, tzinfo=UTC)) == "0987-06-05T04:03:02Z"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("2010-02-07T14:04:00+01:00", ("2010-02-07T13:04:00Z", "page-meta")),
        ("2010-02-07", (None, None)),  # a day only: trafilatura's reading of the page gives the day (page-day)
        ("Sun, 07 Feb 2010 14:04:00 CET", ("2010-02-07T13:04:00Z", "page-meta")),
        ("0001-01-01T00:00:00Z", (None, None)),
        ("2020", (None, None)),
    ],
)
def test_page_meta_dates(content: str, expected: tuple[str | None, str | None]) -> None:
    import lxml.html

    from aggregator.extract.adjacent import scan_page
    from aggregator.extract.article import _published_from_page

    page = f'<html><head><meta property="article:published_time" content="{content}"></head><body></body></html>'
    assert _published_from_page(scan_page(lxml.html.fromstring(page))) == expected


def test_page_json_ld_date_when_no_meta_gives_one() -> None:
    import lxml.html

    from aggregator.extract.adjacent import scan_page
    from aggregator.extract.article import _published_from_page

    page = (
        '<html><head><meta name="date" content="2010-02-07">'
        '<script type="application/ld+json">{"@type": "NewsArticle", "dateModified": "2011-01-01T00:00:00Z",'
        ' "datePublished" : "2010-02-07T14:04:00-05:00"}</script></head><body></body></html>'
    )
    assert _published_from_page(scan_page(lxml.html.fromstring(page))) == ("2010-02-07T19:04:00Z", "page-json-ld")


@pytest.mark.parametrize(
    ("text", "has_time"),
    [
        ("2010-02-07", False), ("7 March 2020", False), ("7 février 2010", False), ("20100207", False),
        ("2010-02-07T14:04:00Z", True), ("20100207T140400Z", True), ("Sun, 07 Feb 2010 14:04:00", True),
        ("2:04 PM GMT", True), ("1265551440", True), ("14h04", True), ("2010-02-07T14Z", True),
    ],
)
def test_names_time(text: str, has_time: bool) -> None:
    assert dates.names_time(text) is has_time
