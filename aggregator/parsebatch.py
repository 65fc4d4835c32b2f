"""Feeds parsed in batches: one pool job parses the feeds that are waiting for a worker, up to MAX_BATCH.

Every job handed to the process pool costs the event loop's process several thread hand-offs (the executor's
manager and queue-feeder threads), each waiting for the GIL. At about 2.5 ms of parsing per feed, that left the
parse workers idle a fifth of an ingest. A feed that arrives while a worker is free still goes alone, at once.
Imported by the parse workers: nothing heavy here (no trafilatura).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from aggregator.models import ParsedFeed
from aggregator.parse import FeedParseError, parse_feed

MAX_BATCH = 8
ParseJob = tuple[bytes, str, str | None, str | None]  # parse_feed's arguments
RunInPool = Callable[..., Awaitable[Any]]  # (function, argument) -> its result, from a pool worker


def parse_feeds(jobs: list[ParseJob]) -> list[tuple[bool, ParsedFeed | Exception]]:
    """In a worker: parse_feed over each job, each result (True, feed) or (False, the exception it raised)."""
    results: list[tuple[bool, ParsedFeed | Exception]] = []
    for job in jobs:
        try:
            results.append((True, parse_feed(*job)))
        except Exception as exc:  # the feed's own failure, returned to its own caller
            results.append((False, exc))
    return results


class ParseBatcher:
    """Queues parse requests and runs them in batches, at most `runners` batches at a time."""

    def __init__(
        self,
        run_in_pool: RunInPool,
        runners: int,
        timeout: float,
        kill_pool: Callable[[], None],
        work: Callable[..., Any] = parse_feeds,
    ) -> None:
        """kill_pool: stops the pool's workers and starts new ones (a timed-out worker may be stuck for good,
        and the feeds retried one by one must not queue behind it). work: what a worker runs over a batch
        (parse_feeds; another only in tests)."""
        self._run_in_pool = run_in_pool
        self._kill_pool = kill_pool
        self._work = work
        self._max_runners = runners
        self._timeout = timeout
        self._waiting: deque[tuple[ParseJob, asyncio.Future[ParsedFeed]]] = deque()
        self._runners: set[asyncio.Task[None]] = set()

    async def parse(self, job: ParseJob) -> ParsedFeed:
        """parse_feed(*job) in a worker; raises what it raises, or FeedParseError for a timeout or a crash."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ParsedFeed] = loop.create_future()
        self._waiting.append((job, future))
        if len(self._runners) < self._max_runners:
            runner = loop.create_task(self._drain())
            self._runners.add(runner)
            runner.add_done_callback(self._runners.discard)
        return await future

    def close(self) -> None:
        for runner in self._runners:
            runner.cancel()
        while self._waiting:
            _job, future = self._waiting.popleft()
            future.cancel()

    async def _drain(self) -> None:
        while self._waiting:
            batch = []
            while self._waiting and len(batch) < MAX_BATCH:
                job, future = self._waiting.popleft()
                if not future.done():  # its caller was cancelled meanwhile
                    batch.append((job, future))
            if batch:
                await self._run(batch)

    async def _run(self, batch: list[tuple[ParseJob, asyncio.Future[ParsedFeed]]], retry: bool = True) -> None:
        results: list[tuple[bool, ParsedFeed | Exception]]
        try:
            results = await self._run_in_pool(self._work, [job for job, _future in batch])
        except asyncio.CancelledError:  # close(), or the event loop going away: nobody is left waiting forever
            for _job, future in batch:
                future.cancel()
            raise
        except Exception as exc:  # the job as a whole failed: a timeout, a crashed worker, a result not picklable
            if isinstance(exc, TimeoutError):
                self._kill_pool()
            if len(batch) > 1:
                for item in batch:  # one feed is to blame: alone, only it fails
                    await self._run([item])
                return
            if isinstance(exc, BrokenProcessPool) and retry:
                # Another job's worker may have brought the pool down (or been killed, above): once more.
                await self._run(batch, retry=False)
                return
            if isinstance(exc, TimeoutError):
                exc = FeedParseError(f"parsing took longer than {self._timeout:g} s")
            elif isinstance(exc, BrokenProcessPool):
                exc = FeedParseError("parser worker crashed on this feed")
            results = [(False, exc)]
        for (_job, future), (ok, value) in zip(batch, results, strict=True):
            if future.done():
                continue
            if ok:
                future.set_result(value)  # type: ignore[arg-type]
            else:
                future.set_exception(value)  # type: ignore[arg-type]
