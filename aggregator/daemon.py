"""`aggregator run`: APScheduler drives polling; Datasette serves the archive from the same process.

Scheduling state lives in the archive (`feeds.next_poll_at`), not in APScheduler: one dispatcher job
looks for due feeds every few seconds. A restart therefore resumes where it stopped and never
re-polls feeds that are not due.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import random
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from aggregator.api import Aggregator
from aggregator.clock import Clock
from aggregator.config.model import Config, ConfigError, FeedConfig, load_config
from aggregator.poll.schedule import at
from aggregator.store import Archive

log = logging.getLogger("aggregator.daemon")

DISPATCH_EVERY_S = 1.0
CONFIG_CHECK_EVERY_S = 2.0
BACKFILL_EVERY_S = 30.0
STOP_GRACE_S = 5.0
BACKLOG_PER_SLOT = 2
# Never-polled feeds start spread at random over this much time per feed, so a big config does not fire all at
# once; at most over the feed's interval (100,000 new feeds polled every 30 minutes start over those 30 minutes,
# as they will go on).
START_SPREAD_PER_FEED_S = 0.05


@dataclass(frozen=True, slots=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8001


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the daemon owns SIGINT/SIGTERM and stops both."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _file_stamp(path: Path) -> tuple[int, int, int, int] | None:
    """What changes when the file is written or replaced: reading and hashing a config of 100,000 feeds (5 MB)
    every CONFIG_CHECK_EVERY_S cost 8 ms; a stat costs microseconds, and the digest is taken only when it moved."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


class Daemon:
    def __init__(self, config: Config, db_path: Path, serve: ServeOptions | None = None,
                 clock: Clock | None = None) -> None:
        self.config = config
        self.db_path = db_path
        self.serve = serve
        self.archive = Archive(db_path, clock=clock)
        self.clock = self.archive.clock
        self._stop = asyncio.Event()
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._config_digest = _file_digest(config.path)
        self._config_stamp = _file_stamp(config.path)
        # feed id -> its config, for the dispatcher; rebuilt when the config is (re)loaded, not every second
        self._by_id: dict[int, FeedConfig] = {}
        self._reloads: set[asyncio.Task[None]] = set()  # SIGHUP reloads in progress (kept from the GC)
        self.aggregator: Aggregator | None = None
        self._datasette: Any = None
        self._offline = False  # said once when no host resolves, and once when one answers again
        self._backfill_task: asyncio.Task[None] | None = None
        self._semaphore = asyncio.Semaphore(config.settings.concurrency)
        # Polls started and waiting for a slot, at most: a task per due feed (10,000 at a first start) held
        # 15 MiB of the main process at its peak. Slots freed by finished polls are refilled at once.
        self._backlog = BACKLOG_PER_SLOT * config.settings.concurrency
        self._refill: asyncio.Handle | None = None
        self._refills: set[asyncio.Task[None]] = set()
        self._refilling = False  # only while run() drives the polls; step() starts every due feed itself
        self._polls_started = 0

    def request_stop(self) -> None:
        if not self._stop.is_set():
            log.info("stopping: finishing polls in flight (at most %g s)", STOP_GRACE_S)
        self._stop.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.request_stop)
        loop.add_signal_handler(signal.SIGHUP, lambda: self._start_reload("SIGHUP"))
        server_task: asyncio.Task[None] | None = None
        server: _Server | None = None
        try:
            async with Aggregator(self.config, self.archive) as aggregator:
                self.aggregator = aggregator
                self._spread_new_feeds()
                self._refilling = True
                scheduler = AsyncIOScheduler(timezone=UTC)
                scheduler.add_job(
                    self.dispatch, "interval", seconds=DISPATCH_EVERY_S, id="dispatch",
                    next_run_time=datetime.now(UTC), max_instances=1, coalesce=True, misfire_grace_time=30,
                )
                scheduler.add_job(
                    self.check_config_file, "interval", seconds=CONFIG_CHECK_EVERY_S, id="config-watch",
                    max_instances=1, coalesce=True, misfire_grace_time=30,
                )
                scheduler.add_job(
                    self.start_backfill_round, "interval", seconds=BACKFILL_EVERY_S, id="backfill",
                    max_instances=1, coalesce=True, misfire_grace_time=60,
                )
                scheduler.start()
                if self.serve is not None:
                    server, server_task = self._start_datasette(self.serve)
                log.info(
                    "running: %d feeds from %s into %s%s", len(self.config.feeds), self.config.path, self.db_path,
                    f"; Datasette on http://{self.serve.host}:{self.serve.port}/" if self.serve else "",
                )
                await self._stop.wait()
                self._refilling = False
                scheduler.shutdown(wait=False)
                await self._drain()
        finally:
            if server is not None and server_task is not None:
                server.should_exit = True
                with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
                    await asyncio.wait_for(server_task, STOP_GRACE_S)
            if self._datasette is not None:
                # Its read connections closed first, the archive's close is the last one: SQLite then removes the
                # -wal and -shm files.
                for database in self._datasette.databases.values():
                    with contextlib.suppress(Exception):
                        database.close()
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            self.archive.close()
            log.info("stopped")

    def _start_datasette(self, options: ServeOptions) -> tuple[_Server, asyncio.Task[None]]:
        from aggregator.web.app import make_datasette

        datasette = make_datasette(self.db_path)
        self._datasette = datasette
        server = _Server(
            uvicorn.Config(
                datasette.app(), host=options.host, port=options.port, log_level="warning", lifespan="on",
            )
        )
        return server, asyncio.create_task(server.serve(), name="datasette")

    def _index_feeds(self) -> None:
        assert self.aggregator is not None
        ids = self.aggregator.feed_ids
        self._by_id = {ids[f.url]: f for f in self.config.feeds if f.enabled and f.url in ids}

    def _spread_new_feeds(self) -> None:
        assert self.aggregator is not None
        self._index_feeds()
        fresh = [feed_id for feed_id in self.archive.unpolled_due_feeds(self.archive.now()) if feed_id in self._by_id]
        window = START_SPREAD_PER_FEED_S * len(fresh)
        now = self.clock.now()
        self.archive.set_next_polls({
            feed_id: at(random.uniform(0, min(window, self.config.feed_interval(self._by_id[feed_id]))), now)
            for feed_id in fresh
        })

    async def start(self) -> Aggregator:
        """Open the pipeline without the scheduler or the server, for a caller that drives time itself (step)."""
        aggregator = Aggregator(self.config, self.archive)
        self.aggregator = await aggregator.__aenter__()
        self._index_feeds()
        return aggregator

    async def step(self) -> int:
        """Start every due feed's poll and wait for them all (with their gap filling); returns how many ran."""
        before = self._polls_started
        await self.dispatch(capped=False)
        await asyncio.gather(*self._in_flight.values())
        return self._polls_started - before

    def next_due(self) -> str | None:
        """When the next feed is due (ISO UTC), or None."""
        assert self.aggregator is not None
        return self.archive.next_poll_time(self.aggregator.feed_ids.values())

    async def dispatch(self, capped: bool = True) -> None:
        """Start a poll for the due feeds not already being polled, the most overdue first: up to the backlog
        (`concurrency` polls running and as many waiting), or every one (capped=False)."""
        if self._stop.is_set() or self.aggregator is None:
            return
        room = self._backlog - len(self._in_flight) if capped else None
        if room is not None and room <= 0:
            return
        by_id = self._by_id
        # the polls in flight are still due until they end: ask for that many more
        limit = -1 if room is None else room + len(self._in_flight)
        for feed_id in self.archive.due_active_feeds(self.archive.now(), limit):
            if feed_id in self._in_flight or feed_id not in by_id:
                continue
            task = asyncio.create_task(self._poll(by_id[feed_id]), name=f"poll-{feed_id}")
            self._in_flight[feed_id] = task
            self._polls_started += 1
            task.add_done_callback(functools.partial(self._poll_done, feed_id))
            if room is not None:
                room -= 1
                if room == 0:
                    break

    def _poll_done(self, feed_id: int, _task: asyncio.Task[None]) -> None:
        self._in_flight.pop(feed_id, None)
        # Half the backlog gone: start more now rather than at the next second's dispatch, or fast polls
        # (304s in milliseconds) would leave the slots empty until then.
        if self._refilling and self._refill is None and len(self._in_flight) <= self._backlog // 2:
            self._refill = asyncio.get_running_loop().call_soon(self._refill_now)

    def _refill_now(self) -> None:
        self._refill = None
        task = asyncio.ensure_future(self.dispatch())
        self._refills.add(task)  # kept from the GC until done
        task.add_done_callback(self._refills.discard)

    async def _poll(self, feed: FeedConfig) -> None:
        assert self.aggregator is not None
        async with self._semaphore:
            if self._stop.is_set():
                return
            # Crashes are recorded per feed; gaps the poll found are filled before the feed is polled again.
            report = await self.aggregator.poll_feed(feed)
            if report.offline and not self._offline:
                self._offline = True
                log.warning("no network: feed hosts cannot be resolved; polls go on as usual and are not counted "
                            "as failing until it is back")
            elif self._offline and report.http_status is not None:
                self._offline = False
                log.info("network back: %s answered", report.url)

    async def start_backfill_round(self) -> None:
        # A task of its own, so that stopping can cancel it like a poll in flight.
        if self._backfill_task is None or self._backfill_task.done():
            self._backfill_task = asyncio.create_task(self.backfill_round(), name="backfill")

    async def backfill_round(self) -> None:
        """A few older posts for each feed that opted in (`backfill: true`), between regular polls."""
        if self.aggregator is None or self.aggregator.backfiller is None:
            return
        backfiller = self.aggregator.backfiller
        wanted = set(self.aggregator.feed_ids.values())
        for feed_id in self.archive.backfill_feed_ids():
            if self._stop.is_set():
                return
            if feed_id not in wanted or feed_id in self._in_flight:
                continue
            report = await backfiller.backfill_feed(feed_id, self.config.settings.backfill_pages)
            if report.added or report.failed:
                log.info("backfill feed %d: %d older posts archived, %d failed%s", feed_id, report.added,
                         report.failed, ", reached the first post" if report.reached_start else "")

    async def _drain(self) -> None:
        if self._backfill_task is not None and not self._backfill_task.done():
            self._backfill_task.cancel()
            await asyncio.gather(self._backfill_task, return_exceptions=True)
        tasks = list(self._in_flight.values())
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_S)
        for task in pending:
            task.cancel()
        # Cancelled polls roll back their open transaction; what they stored before stays consistent.
        await asyncio.gather(*pending, return_exceptions=True)

    async def check_config_file(self) -> None:
        stamp = _file_stamp(self.config.path)
        if stamp is None or stamp == self._config_stamp:
            return
        self._config_stamp = stamp
        digest = _file_digest(self.config.path)
        if digest is not None and digest != self._config_digest:
            await self.reload_config_async("file change")

    def _start_reload(self, reason: str) -> None:
        task = asyncio.create_task(self.reload_config_async(reason), name="reload")
        self._reloads.add(task)
        task.add_done_callback(self._reloads.discard)

    async def reload_config_async(self, reason: str) -> None:
        """reload_config with the file parsed in a thread: 100,000 feeds take 10 s to parse and validate, which
        on the event loop would hold every poll and the dispatcher that long."""
        self._config_stamp = _file_stamp(self.config.path)
        self._config_digest = _file_digest(self.config.path)
        try:
            config = await asyncio.to_thread(load_config, self.config.path)
        except ConfigError as exc:
            log.error("config not reloaded (%s), keeping the running one: %s", reason, exc)
            return
        self._apply_config(config, reason)

    def reload_config(self, reason: str) -> None:
        self._config_stamp = _file_stamp(self.config.path)
        self._config_digest = _file_digest(self.config.path)
        try:
            config = load_config(self.config.path)
        except ConfigError as exc:
            log.error("config not reloaded (%s), keeping the running one: %s", reason, exc)
            return
        self._apply_config(config, reason)

    def _apply_config(self, config: Config, reason: str) -> None:
        if self.aggregator is None or self._stop.is_set():  # a parse that ended while stopping: too late
            return
        before = {f.url for f in self.config.feeds}
        if config.settings != self.config.settings:
            log.warning("changed settings take effect at the next restart; feed changes apply now")
        self.config = config
        self.aggregator.reload(config)
        self._spread_new_feeds()
        after = {f.url for f in config.feeds}
        log.info(
            "config reloaded (%s): %d feeds, %d added, %d removed",
            reason, len(after), len(after - before), len(before - after),
        )
