"""Per-entry values made by the parsing worker (content hash, word count) and their use by the store."""

from __future__ import annotations

from pathlib import Path

from aggregator.config.model import feed_settings, parse_config
from aggregator.models import ParsedEntry, entry_hash
from aggregator.parse.feeds import parse_feed
from aggregator.store import Archive

FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>News</title><link>https://news.example/</link>
<item><guid>a</guid><link>https://news.example/a</link><title>A</title><category>Science</category>
<description>&lt;p&gt;One two &lt;b&gt;three&lt;/b&gt; four.&lt;/p&gt;</description></item>
<item><guid>b</guid><link>https://news.example/b</link><title>B</title>
<description>Short</description>
<content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/">&lt;p&gt;Five six seven.&lt;/p&gt;</content:encoded>
</item></channel></rss>"""


def test_parser_fills_hash_and_word_count() -> None:
    entries = parse_feed(FEED, "https://news.example/feed", "application/rss+xml").entries
    assert [e.word_count for e in entries] == [4, 3]  # the content when there is one, else the summary
    for e in entries:
        assert e.content_hash == entry_hash(e)
    assert entries[0].content_hash != entries[1].content_hash


def test_store_uses_the_carried_values_and_computes_missing_ones(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive.db")
    try:
        url = "https://news.example/feed"
        feed_id = archive.sync_feeds(feed_settings(parse_config(f"feeds:\n  - {url}\n", Path("feeds.yaml"))))[url]
        parsed = parse_feed(FEED, url, "application/rss+xml").entries
        carried = ParsedEntry(guid="c", url="https://news.example/c", title="C", summary="<p>x y</p>",
                              summary_text="x y", content_hash="f" * 64, word_count=2)
        bare = ParsedEntry(guid="d", url="https://news.example/d", title="D", summary="<p>one two three</p>")
        assert archive.store_entries(feed_id, [*parsed, carried, bare]).new == 4
        rows = dict(
            (guid, (content_hash, words))
            for guid, content_hash, words in archive.db.execute("SELECT guid, content_hash, word_count FROM entries")
        )
        assert rows["a"] == (parsed[0].content_hash, 4)
        assert rows["c"] == ("f" * 64, 2)
        assert rows["d"] == (entry_hash(bare), 3)
        # The same entries again: unchanged, nothing rewritten.
        assert archive.store_entries(feed_id, [*parsed, carried, bare]).updated == 0
    finally:
        archive.close()
