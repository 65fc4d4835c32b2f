"""Re-run extraction over the kept raw pages (after a trafilatura upgrade, say), fetching nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from aggregator.config.model import Config
from aggregator.extract.article import ExtractionError, Extractor
from aggregator.store import Archive, ExtractedArticle

_IN_FLIGHT = 16  # pages handed to the worker pool at once: enough to keep every core busy
_BATCH = 32  # articles stored per transaction (each commit flushes the full-text index)


@dataclass(slots=True)
class ReextractReport:
    pages: int = 0
    changed: int = 0
    failed: int = 0


async def reextract(
    config: Config, archive: Archive, feed_id: int | None = None, on_page: Callable[[], None] | None = None
) -> ReextractReport:
    report = ReextractReport()
    batch: list[ExtractedArticle] = []

    def flush() -> None:
        if not batch:
            return
        before = archive.full_texts([item.entry_id for item in batch])
        unstored = {entry_id for entry_id, _error in archive.store_extractions(batch)}
        report.failed += len(unstored)
        report.changed += sum(
            item.entry_id not in unstored and before.get(item.entry_id) != item.article.full_text for item in batch
        )
        batch.clear()

    async with Extractor(config.settings.extract_workers) as extractor:
        semaphore = asyncio.Semaphore(_IN_FLIGHT)

        async def one(entry_id: int, url: str, body: bytes) -> None:
            try:
                article = await extractor.extract(body, url)
            except ExtractionError:
                report.failed += 1
            else:
                batch.append(ExtractedArticle(entry_id, article, url))
                if len(batch) >= _BATCH:
                    flush()
            finally:
                report.pages += 1
                semaphore.release()
                if on_page is not None:
                    on_page()

        tasks = []
        for entry_id, page in archive.kept_pages(feed_id):
            await semaphore.acquire()
            tasks.append(asyncio.create_task(one(entry_id, page.url, page.body)))
        await asyncio.gather(*tasks)
        flush()
    return report
