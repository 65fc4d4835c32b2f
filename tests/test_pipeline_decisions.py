"""The pipeline's decisions with fakes injected through the API: no HTTP, no worker processes, a simulated clock.
The same decisions are tested end to end against the local site in test_archive_over_time and test_live_*."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fakes import FakeExtractor, FakeFetcher, Post, article, rss

from aggregator.api import open_archive
from aggregator.clock import SimulatedClock, parse_stamp
from aggregator.config.model import parse_config

FEED = "http://feeds.test/feed.xml"
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def chain(count: int) -> list[Post]:
    posts: list[Post] = []
    for n in range(count):
        posts.append(Post(f"http://feeds.test/post-{n}", f"Post {n}", START - timedelta(hours=count - n),
                          posts[-1].url if posts else None))
    return posts


def setup(tmp_path: Path, interval: str | None = None) -> tuple[FakeFetcher, FakeExtractor, SimulatedClock, object]:
    posts = chain(12)
    fetcher = FakeFetcher()
    extractor = FakeExtractor({p.url: article(p) for p in posts})
    for post in posts:
        fetcher.pages[post.url] = (200, b"<html></html>", {"content-type": "text/html"})
    feed_line = f"  - url: {FEED}\n    interval: {interval}\n" if interval else f"  - {FEED}\n"
    config = parse_config(f"settings:\n  article_delay: 0\n  min_interval: 5m\nfeeds:\n{feed_line}",
                          tmp_path / "feeds.yaml")
    return fetcher, extractor, SimulatedClock(START), (config, posts)


def test_a_window_that_scrolled_past_unseen_posts_is_a_gap_filled_from_previous_links(tmp_path: Path) -> None:
    fetcher, extractor, clock, (config, posts) = setup(tmp_path)

    async def run() -> None:
        async with open_archive(config, tmp_path / "archive.db", clock=clock, fetcher=fetcher,
                                extractor=extractor) as agg:
            fetcher.pages[FEED] = (200, rss(posts[2:5][::-1]), {"content-type": "application/rss+xml"})
            first = await agg.poll()
            assert first[0].new_entries == 3 and first[0].gaps == 0  # the first poll: history, not a gap
            clock.advance(3600)
            fetcher.pages[FEED] = (200, rss(posts[9:12][::-1]), {"content-type": "application/rss+xml"})
            second = await agg.poll()
            assert second[0].new_entries == 3 and second[0].gaps == 1

    asyncio.run(run())
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        gap = conn.execute("SELECT state, filled_by, recovered, newest_known_url, oldest_seen_url FROM gaps").fetchall()
        assert gap == [("filled", "previous-link", 4, posts[4].url, posts[9].url)]
        found = conn.execute("SELECT url FROM entries WHERE found_via = 'previous-link' ORDER BY url").fetchall()
        assert sorted(u for (u,) in found) == sorted(p.url for p in posts[5:9])
        # the next poll comes soon after a gap: min_interval, not the 30-minute interval
        last, following = conn.execute("SELECT last_polled_at, next_poll_at FROM feeds").fetchone()
        assert (parse_stamp(following) - parse_stamp(last)).total_seconds() <= 5 * 60 * 1.1 + 1


def test_a_feeds_own_interval_ignores_the_hint_and_the_global_one_takes_it_only_when_safe(tmp_path: Path) -> None:
    async def poll_once(config: object, db: Path, clock: SimulatedClock, fetcher: FakeFetcher,
                        extractor: FakeExtractor) -> None:
        async with open_archive(config, db, clock=clock, fetcher=fetcher, extractor=extractor) as agg:
            await agg.poll()

    for interval, expected in (("10m", 600), (None, 3 * 3600)):
        work = tmp_path / (interval or "global")
        work.mkdir()
        fetcher, extractor, clock, (config, posts) = setup(work, interval)
        # posts an hour apart, ten in the window: a three-hour ttl cannot overflow it (half of it goes in 5 h)
        fetcher.pages[FEED] = (200, rss(posts[2:12][::-1], ttl_minutes=180), {"content-type": "application/rss+xml"})
        asyncio.run(poll_once(config, work / "a.db", clock, fetcher, extractor))
        with sqlite3.connect(work / "a.db") as conn:
            last, following = conn.execute("SELECT last_polled_at, next_poll_at FROM feeds").fetchone()
        delay = (parse_stamp(following) - parse_stamp(last)).total_seconds()
        assert expected <= delay <= expected * 1.1 + 1, (interval, delay)


def test_a_new_post_naming_an_unknown_previous_post_is_a_gap(tmp_path: Path) -> None:
    """The window overlaps the last poll, yet a new post's page names a previous post nobody has seen (published
    late, or dropped from the feed): a gap, filled through that link."""
    fetcher, extractor, clock, (config, posts) = setup(tmp_path)

    async def run() -> list[int]:
        async with open_archive(config, tmp_path / "archive.db", clock=clock, fetcher=fetcher,
                                extractor=extractor) as agg:
            fetcher.pages[FEED] = (200, rss(posts[2:7][::-1]), {"content-type": "application/rss+xml"})
            first = await agg.poll()
            clock.advance(3600)
            # post 7 is missing from the feed; post 8 names it as its previous post
            fetcher.pages[FEED] = (200, rss([posts[8], *posts[3:7][::-1]]), {"content-type": "application/rss+xml"})
            second = await agg.poll()
            return [first[0].gaps, second[0].gaps]

    assert asyncio.run(run()) == [0, 1]
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        assert conn.execute("SELECT reason, state, recovered FROM gaps").fetchall() == [
            ("a new post names a previous post that is not archived", "filled", 1)]
        assert conn.execute("SELECT url FROM entries WHERE found_via IS NOT NULL").fetchall() == [(posts[7].url,)]


def test_a_category_feed_whose_neighbours_live_elsewhere_has_no_link_gaps(tmp_path: Path) -> None:
    """Previous/next links of a category feed's posts point at other categories' posts: not gaps."""
    fetcher, extractor, clock, (config, posts) = setup(tmp_path)
    for post in posts:  # every post's previous post is outside this feed
        extractor.articles[post.url].adjacent.previous_url = post.url.replace("post-", "other-")

    async def run() -> list[int]:
        async with open_archive(config, tmp_path / "archive.db", clock=clock, fetcher=fetcher,
                                extractor=extractor) as agg:
            fetcher.pages[FEED] = (200, rss(posts[2:7][::-1]), {"content-type": "application/rss+xml"})
            first = await agg.poll()
            clock.advance(3600)
            fetcher.pages[FEED] = (200, rss(posts[4:9][::-1]), {"content-type": "application/rss+xml"})
            second = await agg.poll()
            return [first[0].gaps, second[0].gaps]

    assert asyncio.run(run()) == [0, 0]
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM gaps").fetchone() == (0,)
        assert not [r for r in fetcher.requests if "other-" in r]  # nothing fetched outside the feed
