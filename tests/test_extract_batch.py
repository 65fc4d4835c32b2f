"""Article pages extracted in batches by the worker pool: each page still gets its own article or its own error,
and a page that crashes or hangs its worker fails alone."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from aggregator.extract.article import ExtractionError, ExtractJob, Extractor, extract_article, extract_batch
from aggregator.workers.batching import PoolBatcher


def page(n: int) -> bytes:
    return (
        f"<html><head><title>Post {n}</title></head><body><article><h1>Post {n}</h1>"
        + f"<p>Satz {n} mit Inhalt, lang genug fuer einen Absatz im Artikel.</p>" * 30
        + "</article></body></html>"
    ).encode()


EMPTY = b"<html><body><script>var x = 1;</script></body></html>"


def jobs(count: int) -> list[tuple[bytes, str]]:
    return [(page(n), f"https://news.example/{n}/") for n in range(count)]


def test_each_page_of_a_batch_gets_its_own_article_and_error() -> None:
    pages = jobs(15)
    pages.insert(6, (EMPTY, "https://news.example/empty/"))
    with pytest.raises(ExtractionError) as direct:
        extract_article(*pages[6])

    async def run() -> tuple[list[object], int]:
        async with Extractor(1) as extractor:
            await extractor._warm()
            jobs_before = extractor._jobs_on_pool
            results = await asyncio.gather(*(extractor.extract(body, url) for body, url in pages),
                                           return_exceptions=True)
            return results, extractor._jobs_on_pool - jobs_before

    results, pool_jobs = asyncio.run(run())
    assert isinstance(results[6], ExtractionError) and str(results[6]) == str(direct.value)
    for (body, url), result in zip(pages, results, strict=True):
        if body is not EMPTY:
            assert not isinstance(result, BaseException)
            assert result.full_text == extract_article(body, url).full_text  # type: ignore[attr-defined]
    # 16 pages waiting at once went to the worker in batches, not one job each.
    assert pool_jobs <= 16 // 4 + 3


def crash_on_marker(batch: list[ExtractJob]) -> list[tuple[bool, object]]:
    """In a worker: dies on the page named crash, hangs on the one named hang, extracts the rest."""
    for job in batch:
        if job.url.endswith("/crash/"):
            os._exit(3)
        if job.url.endswith("/hang/"):
            time.sleep(30)
    return extract_batch(batch)


@pytest.mark.parametrize("marker", ["crash", "hang"])
def test_a_page_that_crashes_or_hangs_its_worker_fails_alone(marker: str) -> None:
    pages = jobs(10)
    pages.insert(4, (page(99), f"https://news.example/{marker}/"))

    async def run() -> tuple[list[object], object]:
        async with Extractor(1, timeout=3) as extractor:
            batcher = PoolBatcher(extractor._run_in_pool, 2, extractor._kill_pool, crash_on_marker,
                                  extractor._failure, 4)
            try:
                results = await asyncio.gather(
                    *(batcher.submit(ExtractJob(body, url, "text/html", False, None, None)) for body, url in pages),
                    return_exceptions=True,
                )
                # The pool was replaced after the crash (or the kill after the timeout): extraction goes on.
                after = await extractor.extract(*jobs(1)[0])
            finally:
                batcher.close()
            return results, after

    results, after = asyncio.run(run())
    expected = "extraction worker crashed on this page" if marker == "crash" else "extraction took longer than 3 s"
    assert isinstance(results[4], ExtractionError) and str(results[4]) == expected
    assert all(not isinstance(r, BaseException) and "mit Inhalt" in r[0].full_text  # type: ignore[index]
               for i, r in enumerate(results) if i != 4)
    assert "Satz 0 mit Inhalt" in after.full_text  # type: ignore[attr-defined]


def test_an_exception_of_the_extraction_is_the_pages_own_error() -> None:
    # Not an ExtractionError (a bug or a library's failure on a hostile page): converted in the worker,
    # with the exception's type in the message, and the batch's other pages unaffected.
    results = extract_batch([ExtractJob(page(1), "https://news.example/1/", None, False, "bogus", None),
                             ExtractJob(page(2), "https://news.example/2/", None, False, None, None)])
    assert results[0][0] is False and isinstance(results[0][1], ExtractionError)
    assert results[1][0] is True and "Satz 2" in results[1][1][0].full_text  # type: ignore[index]
