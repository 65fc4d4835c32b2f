"""Feeds parsed in batches (see batching): the work a parse worker runs over a batch, and its errors.

Imported by the parse workers: nothing heavy here (no trafilatura).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool

from aggregator.models import ParsedFeed
from aggregator.parse.feeds import FeedParseError, parse_feed
from aggregator.workers.batching import BatchWork, PoolBatcher, RunInPool
from aggregator.workers.heap import trim_heap

MAX_BATCH = 8
ParseJob = tuple[bytes, str, str | None, str | None]  # parse_feed's arguments


def parse_feeds(jobs: list[ParseJob]) -> list[tuple[bool, ParsedFeed | Exception]]:
    """In a worker: parse_feed over each job, each result (True, feed) or (False, the exception it raised)."""
    results: list[tuple[bool, ParsedFeed | Exception]] = []
    for job in jobs:
        try:
            results.append((True, parse_feed(*job)))
        except Exception as exc:  # the feed's own failure, returned to its own caller
            results.append((False, exc))
    trim_heap()
    return results


class ParseBatcher(PoolBatcher[ParseJob, ParsedFeed]):
    """Queues parse requests and runs them in batches of up to MAX_BATCH, at most `runners` at a time."""

    def __init__(
        self,
        run_in_pool: RunInPool,
        runners: int,
        timeout: float,
        kill_pool: Callable[[], None],
        work: BatchWork = parse_feeds,
    ) -> None:
        """work: what a worker runs over a batch (parse_feeds; another only in tests)."""

        def failure(exc: Exception) -> Exception:
            if isinstance(exc, TimeoutError):
                return FeedParseError(f"parsing took longer than {timeout:g} s")
            if isinstance(exc, BrokenProcessPool):
                return FeedParseError("parser worker crashed on this feed")
            return exc

        super().__init__(run_in_pool, runners, kill_pool, work, failure, MAX_BATCH)

    async def parse(self, job: ParseJob) -> ParsedFeed:
        """parse_feed(*job) in a worker; raises what it raises, or FeedParseError for a timeout or a crash."""
        return await self.submit(job)
