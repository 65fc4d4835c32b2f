"""Re-run extraction over the kept raw pages (after a trafilatura upgrade, say), fetching nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from aggregator.config import Config
from aggregator.extract import ExtractionError, Extractor
from aggregator.store import Archive

_IN_FLIGHT = 16  # pages handed to the worker pool at once: enough to keep every core busy


@dataclass(slots=True)
class ReextractReport:
    pages: int = 0
    changed: int = 0
    failed: int = 0


async def reextract(
    config: Config, archive: Archive, feed_id: int | None = None, on_page: Callable[[], None] | None = None
) -> ReextractReport:
    report = ReextractReport()
    async with Extractor(config.settings.extract_workers) as extractor:
        semaphore = asyncio.Semaphore(_IN_FLIGHT)

        async def one(entry_id: int, url: str, body: bytes) -> None:
            try:
                article = await extractor.extract(body, url)
            except ExtractionError:
                report.failed += 1
            else:
                before = archive.db.execute("SELECT full_text FROM entries WHERE id = ?", [entry_id]).fetchone()
                archive.store_article(entry_id, article, url)
                report.changed += int(before is None or before[0] != article.full_text)
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
    return report
