"""The process pool behind feed parsing and article extraction: how its workers start, and how they end.

Kept apart from the extraction code so that a worker that only parses feeds never imports trafilatura.
Pools are started on demand and let go when idle (see Extractor); the forkserver goes with the last pool, so
that an idle process holds neither workers nor a server with trafilatura and the language model loaded.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import select
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import forkserver

log = logging.getLogger("aggregator.extract.article")


def exit_with(main_pid: int) -> None:
    """Worker initializer: exit when the process that owns the pool dies.

    A SIGKILLed (or crashed) main process cannot shut its pool down, and its workers would wait on the job
    queue forever (they hold its write end themselves), keeping the forkserver alive as well, and their memory.
    """

    def watch() -> None:
        try:
            handle = os.pidfd_open(main_pid)  # Linux 5.3+: readable once the process has exited
        except (AttributeError, OSError):
            handle = None
        if handle is not None:
            select.select([handle], [], [])
        else:
            while True:
                try:
                    os.kill(main_pid, 0)
                except ProcessLookupError:
                    break
                except PermissionError:  # alive, under another user's id
                    pass
                time.sleep(2)
        os._exit(0)

    if main_pid != os.getpid():
        threading.Thread(target=watch, name="exit-with-main", daemon=True).start()


def _ready() -> None:
    """A no-op job: its return means the worker that ran it is up."""


def start_workers(pool: ProcessPoolExecutor, workers: int) -> None:
    """Start every worker of a fresh pool (run in a thread: the first start waits for the forkserver to
    import its preload, which must not block the event loop)."""
    try:
        for future in [pool.submit(_ready) for _ in range(workers)]:
            future.result()
    except Exception:  # a broken pool: the jobs meet it themselves and replace it as usual
        log.warning("starting the extraction workers failed", exc_info=True)


# Pools of this process whose workers may still run. The forkserver relays each worker's exit status: stopped
# under a running worker, it would make the executor take that worker for crashed and fail its jobs.
_live: set[ProcessPoolExecutor] = set()
_live_lock = threading.Lock()


def new_pool(workers: int, articles: bool) -> ProcessPoolExecutor:
    """A pool whose workers exit with this process.

    forkserver: workers start from a small clean process (no event loop or sockets inherited), with the
    heavy imports done once in the server. The server is started once per process, with the preload of
    the first pool: `articles` (trafilatura and the language model, slow to import and large) or feed parsing
    only.
    Workers of a parse-only server that are later given articles import the rest themselves.
    """
    context = multiprocessing.get_context("forkserver")
    with _live_lock:
        # Taken by the server at its next start only: the first pool after release_pools() stopped it.
        context.set_forkserver_preload(["aggregator.workers.preload" if articles else "aggregator.parse.feeds"])
        pool = ProcessPoolExecutor(
            # No max_tasks_per_child: on Python 3.11 a worker retired that way is sometimes not replaced
            # (CPython gh-115634) and the pool hangs. Memory is bounded by rotating pools instead.
            max_workers=workers, mp_context=context, initializer=exit_with, initargs=(os.getpid(),)
        )
        _live.add(pool)
    return pool


def retire_pool(pool: ProcessPoolExecutor) -> None:
    """Wait for a pool that was shut down to end its jobs and its workers (blocking: run it in a thread)."""
    pool.shutdown(wait=True)
    with _live_lock:
        _live.discard(pool)


def release_pools(pools: list[ProcessPoolExecutor], cancel: bool = False) -> bool:
    """Shut the pools down, waiting for their workers to exit, then stop the forkserver when no other pool of
    this process is left; whether it was stopped. Blocking: run it in a thread.

    cancel: drop the jobs still queued (closing); without it they finish first."""
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=cancel)
    with _live_lock:
        _live.difference_update(pools)
        if _live:
            return False
        stop_forkserver()
        return True


def stop_forkserver() -> None:
    """Stop this process's forkserver, if running; the next pool starts a new one with its own preload.

    CPython has no public call for it (the private _stop is what its own tests use); without it, the server
    of a process that no longer extracts holds trafilatura and the language model for good."""
    stop = getattr(forkserver._forkserver, "_stop", None)
    if stop is not None:
        try:
            stop()
        except OSError:  # already gone (killed from outside)
            log.warning("stopping the forkserver failed", exc_info=True)


def kill_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's worker processes: one stuck in native code never reads its next job or its shutdown.

    Uses the executor's private process table (public only from Python 3.14, as terminate_workers()); the pool
    then breaks, and the jobs still on it fail with BrokenProcessPool."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(Exception):
            process.kill()
