"""The CPU limit of full-text ingest: extraction alone over the same pages, read from disk, in a process pool
with one process per core, no HTTP and no database. Two kinds: plain trafilatura (`bare_extraction` with its
metadata, the field's reference cost: the target is measured against it) and the pipeline's own extraction call
(`extract_article`: trafilatura plus our previous/next links, language, fingerprint and fixes), whose ratio to the
first is our own overhead."""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

KINDS = ("trafilatura", "pipeline")


def _extract_pipeline(job: tuple[str, str]) -> bool:
    from aggregator.extract.article import ExtractionError, extract_article

    path, url = job
    try:
        extract_article(Path(path).read_bytes(), url)
    except ExtractionError:
        return False
    return True


def _extract_trafilatura(job: tuple[str, str]) -> bool:
    import trafilatura

    path, url = job
    return trafilatura.bare_extraction(Path(path).read_bytes(), url=url, with_metadata=True) is not None


def _warm(_: int) -> int:
    import trafilatura  # noqa: F401

    import aggregator.extract.article  # noqa: F401  (imports trafilatura, lxml, py3langid)

    time.sleep(0.2)  # so that every worker gets one

    return os.getpid()


def measure(jobs: list[tuple[str, str]], workers: int | None = None, kind: str = "trafilatura") -> dict[str, float]:
    """articles/s of one kind of extraction over (file, url) jobs; pool started and warmed before the clock."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of CPU limit: {kind!r}")
    function = _extract_trafilatura if kind == "trafilatura" else _extract_pipeline
    workers = workers or os.cpu_count() or 1
    chunksize = max(1, min(16, len(jobs) // (workers * 8)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_warm, range(workers * 2)))
        started = time.perf_counter()
        results = list(pool.map(function, jobs, chunksize=chunksize))
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "articles": len(jobs),
        "extracted": sum(results),
        "articles_per_s": len(jobs) / seconds,
        "workers": workers,
        "kind": kind,
    }
