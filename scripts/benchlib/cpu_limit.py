"""The CPU limit of full-text ingest: the pipeline's own extraction call over the same pages, read from disk,
in a process pool with one process per core, no HTTP and no database."""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def _extract(job: tuple[str, str]) -> bool:
    from aggregator.extract.article import ExtractionError, extract_article

    path, url = job
    try:
        extract_article(Path(path).read_bytes(), url)
    except ExtractionError:
        return False
    return True


def _warm(_: int) -> int:
    import aggregator.extract.article  # noqa: F401  (imports trafilatura, lxml, py3langid)

    time.sleep(0.2)  # so that every worker gets one

    return os.getpid()


def measure(jobs: list[tuple[str, str]], workers: int | None = None) -> dict[str, float]:
    """articles/s of extract_article over (file, url) jobs; pool started and warmed before the clock."""
    workers = workers or os.cpu_count() or 1
    chunksize = max(1, min(16, len(jobs) // (workers * 8)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_warm, range(workers * 2)))
        started = time.perf_counter()
        results = list(pool.map(_extract, jobs, chunksize=chunksize))
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "articles": len(jobs),
        "extracted": sum(results),
        "articles_per_s": len(jobs) / seconds,
        "workers": workers,
    }
