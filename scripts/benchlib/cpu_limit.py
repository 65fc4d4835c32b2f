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

    import aggregator.workers.preload  # noqa: F401  (what the daemon's workers start from: imports and warm caches)

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


def measure_interleaved(jobs: list[tuple[str, str]], workers: int | None = None, slices: int = 40) -> dict[str, object]:
    """Both kinds over the same pages, slice by slice in one warmed pool (trafilatura first in even slices, the
    pipeline first in odd ones), so that a change of the machine's speed (it is shared) weighs on both alike.
    Returns each kind's articles/s over all slices and the pipeline's cost per page relative to trafilatura's."""
    workers = workers or os.cpu_count() or 1
    size = max(1, -(-len(jobs) // slices))
    seconds = {kind: 0.0 for kind in KINDS}
    extracted = {kind: 0 for kind in KINDS}
    functions = {"trafilatura": _extract_trafilatura, "pipeline": _extract_pipeline}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_warm, range(workers * 2)))
        for number, start in enumerate(range(0, len(jobs), size)):
            part = jobs[start : start + size]
            chunksize = max(1, min(16, len(part) // (workers * 8)))
            for kind in KINDS if number % 2 == 0 else tuple(reversed(KINDS)):
                started = time.perf_counter()
                extracted[kind] += sum(pool.map(functions[kind], part, chunksize=chunksize))
                seconds[kind] += time.perf_counter() - started
    return {
        kind: {"seconds": seconds[kind], "articles": len(jobs), "extracted": extracted[kind],
               "articles_per_s": len(jobs) / seconds[kind], "workers": workers, "kind": kind}
        for kind in KINDS
    } | {"cost_ratio": seconds["pipeline"] / seconds["trafilatura"]}
