"""Jobs for the worker pool in batches: one pool job runs the jobs that are waiting for a worker, up to a limit.

Every job handed to the process pool costs the event loop's process several thread hand-offs (the executor's
manager and queue-feeder threads), each waiting for the GIL: main-process CPU for every job, however small.
Feeds to parse and article pages to extract arrive faster than the workers take them during
a poll, so the ones waiting go together. One that arrives while a worker is free still goes alone, at once.
Imported by the parse workers: nothing heavy here.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Generic, TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")
RunInPool = Callable[..., Awaitable[Any]]  # (function, argument) -> its result, from a pool worker
# What a worker runs over a batch: each job's (True, result) or (False, the exception to raise for it).
BatchWork = Callable[[list[Any]], list[tuple[bool, Any]]]


class PoolBatcher(Generic[Job, Result]):
    """Queues jobs and runs them in batches of at most max_batch, at most `runners` batches at a time.

    A batch that fails as a whole (a timeout, a crashed worker, a result that cannot be pickled) is run again
    job by job, so that only the job to blame fails; failure(exc) gives the error its caller gets then."""

    def __init__(
        self,
        run_in_pool: RunInPool,
        runners: int,
        kill_pool: Callable[[], None],
        work: BatchWork,
        failure: Callable[[Exception], Exception],
        max_batch: int,
    ) -> None:
        """run_in_pool raises TimeoutError for a job past its time; kill_pool then stops the pool's workers and
        starts new ones (a timed-out worker may be stuck for good, and the jobs retried one by one must not
        queue behind it)."""
        self._run_in_pool = run_in_pool
        self._kill_pool = kill_pool
        self._work = work
        self._failure = failure
        self._max_batch = max_batch
        self._max_runners = runners
        self._waiting: deque[tuple[Job, asyncio.Future[Result]]] = deque()
        self._runners: set[asyncio.Task[None]] = set()
        self._suspects = asyncio.Lock()  # held by a job retried alone after its batch failed

    async def submit(self, job: Job) -> Result:
        """The job's result from a worker; raises what the worker gave for it, or failure(the batch's error)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
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
            batch: list[tuple[Job, asyncio.Future[Result]]] = []
            while self._waiting and len(batch) < self._max_batch:
                job, future = self._waiting.popleft()
                if not future.done():  # its caller was cancelled meanwhile
                    batch.append((job, future))
            if batch:
                await self._run(batch)

    async def _run(self, batch: list[tuple[Job, asyncio.Future[Result]]]) -> None:
        results: list[tuple[bool, Any]]
        try:
            results = await self._run_in_pool(self._work, [job for job, _future in batch])
        except asyncio.CancelledError:  # close(), or the event loop going away: nobody is left waiting forever
            for _job, future in batch:
                future.cancel()
            raise
        except Exception as exc:  # the job as a whole failed: a timeout, a crashed worker, a result not picklable
            if isinstance(exc, TimeoutError):
                self._kill_pool()
            if len(batch) == 1 and not isinstance(exc, BrokenProcessPool):
                results = [(False, self._failure(exc))]
            else:
                # One of them is to blame, or none (another job's worker brought the pool down, or it was
                # killed above): each alone, suspects one at a time, so that one that crashes its worker
                # again does not take another suspect down with it. A crash alone gets one more try.
                tries = 1 if len(batch) == 1 else 2
                for item in batch:
                    await self._run_alone(item, tries)
                return
        self._settle(batch, results)

    async def _run_alone(self, item: tuple[Job, asyncio.Future[Result]], tries: int) -> None:
        job, future = item
        async with self._suspects:
            for attempt in range(tries):
                if future.done():
                    return
                try:
                    results = await self._run_in_pool(self._work, [job])
                except asyncio.CancelledError:
                    future.cancel()
                    raise
                except Exception as exc:
                    if isinstance(exc, TimeoutError):
                        self._kill_pool()
                    if isinstance(exc, BrokenProcessPool) and attempt + 1 < tries:
                        continue
                    results = [(False, self._failure(exc))]
                self._settle([item], results)
                return

    @staticmethod
    def _settle(batch: list[tuple[Job, asyncio.Future[Result]]], results: list[tuple[bool, Any]]) -> None:
        for (_job, future), (ok, value) in zip(batch, results, strict=True):
            if future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
