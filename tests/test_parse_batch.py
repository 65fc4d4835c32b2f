"""Feeds parsed in batches by the worker pool: each feed still gets its own result, its own error, and a feed
that crashes or hangs its worker fails alone."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from aggregator.extract.article import Extractor
from aggregator.parse.feeds import FeedParseError, parse_feed
from aggregator.workers.feedjobs import MAX_BATCH, ParseBatcher, parse_feeds


def rss(n: int) -> bytes:
    items = "".join(f"<item><guid>{n}-{i}</guid><title>Feed {n} item {i}</title></item>" for i in range(3))
    return f'<rss version="2.0"><channel><title>Feed {n}</title>{items}</channel></rss>'.encode()


BROKEN = b"this is not a feed at all"


def jobs(count: int) -> list[tuple[bytes, str, str, None]]:
    return [(rss(n), f"https://news.example/{n}.xml", "application/rss+xml", None) for n in range(count)]


def test_each_feed_of_a_batch_gets_its_own_result_and_error() -> None:
    feeds = jobs(30)
    feeds.insert(7, (BROKEN, "https://news.example/broken", "text/plain", None))
    with pytest.raises(FeedParseError) as direct:
        parse_feed(*feeds[7])

    async def run() -> tuple[list[object], int]:
        async with Extractor(1, articles=False) as extractor:
            results = await asyncio.gather(*(extractor.parse(*job) for job in feeds), return_exceptions=True)
            return results, extractor._jobs_on_pool

    results, pool_jobs = asyncio.run(run())
    assert isinstance(results[7], FeedParseError) and str(results[7]) == str(direct.value)
    for job, result in zip(feeds, results, strict=True):
        if job[0] is not BROKEN:
            assert not isinstance(result, BaseException)
            assert result.title == parse_feed(*job).title and [e.title for e in result.entries] == [
                e.title for e in parse_feed(*job).entries
            ]
    # 31 feeds waiting at once went to the worker in batches, not one job each.
    assert pool_jobs <= 31 // MAX_BATCH + 3


def crash_on_marker(batch: list[tuple[bytes, str, str | None, str | None]]) -> list[tuple[bool, object]]:
    """In a worker: dies on the feed named crash, hangs on the one named hang, parses the rest."""
    for _body, url, _type, _location in batch:
        if url.endswith("/crash"):
            os._exit(3)
        if url.endswith("/hang"):
            time.sleep(30)
    return parse_feeds(batch)


@pytest.mark.parametrize("marker", ["crash", "hang"])
def test_a_feed_that_crashes_or_hangs_its_worker_fails_alone(marker: str) -> None:
    feeds = jobs(12)
    feeds.insert(5, (rss(99), f"https://news.example/{marker}", "application/rss+xml", None))

    async def run() -> tuple[list[object], object]:
        async with Extractor(1, timeout=3, articles=False) as extractor:
            batcher = ParseBatcher(extractor._run_in_pool, 2, 3, extractor._kill_pool, work=crash_on_marker)
            try:
                results = await asyncio.gather(*(batcher.parse(job) for job in feeds), return_exceptions=True)
                # The pool was replaced after the crash (or still works after the timeout): parsing goes on.
                after = await extractor.parse(*jobs(1)[0])
            finally:
                batcher.close()
            return results, after

    results, after = asyncio.run(run())
    expected = "parser worker crashed on this feed" if marker == "crash" else "parsing took longer than 3 s"
    assert isinstance(results[5], FeedParseError) and str(results[5]) == expected
    assert [type(r).__name__ for i, r in enumerate(results) if i != 5] == ["ParsedFeed"] * 12
    assert after.title == "Feed 0"  # type: ignore[attr-defined]


def test_an_article_on_a_pool_killed_for_another_job_is_extracted_all_the_same() -> None:
    # A hung parse kills the pool; extraction jobs of other feeds running on it are retried on the new pool
    # instead of being recorded as failed.
    page = b"<html><body><article>" + b"<p>Ein Satz mit Inhalt, lang genug fuer einen Text.</p>" * 4000
    page += b"</article></body></html>"

    async def run() -> object:
        async with Extractor(1) as extractor:
            await extractor._warm()
            job = asyncio.ensure_future(extractor.extract(page, "https://news.example/a/"))
            await asyncio.sleep(0.1)  # the page is being extracted (it takes longer than that)
            assert not job.done()
            extractor._kill_pool()
            return await job

    article = asyncio.run(run())
    assert "Ein Satz mit Inhalt" in article.full_text  # type: ignore[attr-defined]
