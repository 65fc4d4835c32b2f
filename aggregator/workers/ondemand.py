"""The worker pool's life: started by the first job, renewed now and then, let go after a quiet period.

A daemon polling every 30 minutes is idle nearly all the time; holding the workers and the forkserver (with
trafilatura and the language model loaded) meanwhile costs hundreds of MiB for nothing. A job that arrives
while a pool is being let go waits for that to finish and gets a fresh pool: never a pool being shut down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from aggregator.workers.heap import trim_heap
from aggregator.workers.pool import kill_workers, new_pool, release_pools, retire_pool, start_workers

log = logging.getLogger("aggregator.extract.article")
T = TypeVar("T")


class OnDemandPool:
    """A ProcessPoolExecutor started by the first job and let go `idle` seconds after the last one ended
    (None: kept until close()); renewed every `jobs_per_worker` jobs per worker to bound the workers' memory."""

    def __init__(self, workers: int, articles: bool, idle: float | None, jobs_per_worker: int) -> None:
        self.workers = workers
        self.articles = articles  # the preload of the next forkserver (see pool.new_pool)
        self._idle = idle
        self._max_jobs = jobs_per_worker * workers
        self._pool: ProcessPoolExecutor | None = None
        self._starting: asyncio.Future[None] | None = None  # the current pool's workers starting, in a thread
        self._retiring: set[asyncio.Future[None]] = set()  # renewed or broken pools whose workers are exiting
        self._releasing: asyncio.Future[None] | None = None
        self._busy = 0  # jobs between their arrival and their result, waiting for a pool included
        self._idle_timer: asyncio.TimerHandle | None = None
        self._closed = False
        self.jobs_on_pool = 0
        self.pools_started = 0
        self.pools_released = 0

    @property
    def current(self) -> ProcessPoolExecutor | None:
        return self._pool

    async def run(self, function: Callable[..., T], *args: object, timeout: float) -> T:
        """function(*args) in a worker within the timeout (TimeoutError); a pool found broken is renewed
        before BrokenProcessPool is raised."""
        if self._closed:
            raise RuntimeError("worker pool used after close")
        loop = asyncio.get_running_loop()
        self._busy += 1
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        try:
            pool = self._take_job(await self.ready())
            try:
                return await asyncio.wait_for(loop.run_in_executor(pool, function, *args), timeout)
            except BrokenProcessPool:
                self._retire(pool, cancel=True)
                raise
        finally:
            self._busy -= 1
            if self._busy == 0 and self._idle is not None and not self._closed:
                self._idle_timer = loop.call_later(self._idle, self._release_idle)

    async def ready(self) -> ProcessPoolExecutor:
        """The current pool with its workers up, started (after a release in progress) when there is none.

        ProcessPoolExecutor starts workers inside submit(), and the first start waits for the forkserver's
        preload: done on the event loop, that stalled every fetch of a poll meanwhile, so it runs in a thread."""
        loop = asyncio.get_running_loop()
        while True:
            if self._releasing is not None:
                await asyncio.shield(self._releasing)  # its forkserver must be gone before a new pool starts
                self._releasing = None
                continue
            if self._pool is None:
                self._pool = new_pool(self.workers, self.articles)
                self.jobs_on_pool = 0
                self.pools_started += 1
                self._starting = loop.run_in_executor(None, start_workers, self._pool, self.workers)
            pool, starting = self._pool, self._starting
            if starting is not None and not starting.done():
                await asyncio.shield(starting)
            if self._pool is pool:  # else killed meanwhile: start another
                return pool

    def _take_job(self, pool: ProcessPoolExecutor) -> ProcessPoolExecutor:
        """The pool for the next job, renewed every _max_jobs jobs: not max_tasks_per_child (see new_pool).

        The old pool is shut down without waiting, which lets its submitted jobs finish (their futures resolve
        as usual) before its workers exit; new workers fork from the running forkserver at once."""
        if pool is not self._pool:
            return pool
        self.jobs_on_pool += 1
        if self.jobs_on_pool > self._max_jobs:
            self._retire(pool)
            self._pool = new_pool(self.workers, self.articles)
            self.pools_started += 1
            self._starting = None
            self.jobs_on_pool = 1
        return self._pool

    def kill(self) -> None:
        """Stop the current pool's workers at once (one may be stuck in native code); its jobs fail with
        BrokenProcessPool and the next job starts a new pool."""
        if self._pool is not None:
            kill_workers(self._pool)
            self._retire(self._pool, cancel=True)

    def _retire(self, pool: ProcessPoolExecutor, cancel: bool = False) -> None:
        pool.shutdown(wait=False, cancel_futures=cancel)
        if self._pool is pool:  # not already replaced (by a renewal or another job's failure)
            self._pool = None
            self._starting = None
        waiting = asyncio.get_running_loop().run_in_executor(None, retire_pool, pool)
        self._retiring.add(waiting)
        waiting.add_done_callback(self._retiring.discard)

    def _release_idle(self) -> None:
        self._idle_timer = None
        if self._busy or self._closed or self._releasing is not None or self._pool is None:
            return
        self._releasing = asyncio.ensure_future(self._release(self._detach()))
        log.info("extraction workers idle for %g s: let go until the next job", self._idle)

    def _detach(self) -> tuple[list[ProcessPoolExecutor], list[asyncio.Future[None]]]:
        """The current pool and everything still to wait for before its forkserver may stop."""
        pools = [self._pool] if self._pool is not None else []
        waits = list(self._retiring) + ([self._starting] if self._starting is not None else [])
        self._pool, self._starting = None, None
        return pools, waits

    async def _release(self, detached: tuple[list[ProcessPoolExecutor], list[asyncio.Future[None]]],
                       cancel: bool = False) -> None:
        pools, waits = detached
        await asyncio.gather(*waits, return_exceptions=True)
        try:
            await asyncio.get_running_loop().run_in_executor(None, release_pools, pools, cancel)
        except Exception:  # the next job starts a pool all the same
            log.warning("letting the extraction workers go failed", exc_info=True)
        if pools:
            self.pools_released += 1
            # This process's heap too: a busy period's feeds, pages and results are freed to malloc, which
            # kept them (with 10,000 feeds, about 100 MiB held through the idle time that follows).
            trim_heap()

    async def close(self) -> None:
        """Shut the pool down (jobs still queued are cancelled) and stop the forkserver if no other pool uses it."""
        self._closed = True
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        if self._releasing is not None:
            await asyncio.shield(self._releasing)
            self._releasing = None
        await self._release(self._detach(), cancel=True)
