"""`aggregator run`: APScheduler drives polling; Datasette serves the archive from the same process.

Scheduling state lives in the archive (`feeds.next_poll_at`), not in APScheduler: one dispatcher job
looks for due feeds every few seconds. A restart therefore resumes where it stopped and never
re-polls feeds that are not due.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from aggregator.backfill import Backfiller
from aggregator.config import Config, ConfigError, FeedConfig, feed_settings, load_config
from aggregator.extract import Extractor
from aggregator.fetch import Fetcher
from aggregator.pipeline import Poller
from aggregator.schedule import at
from aggregator.store import Archive, utcnow

log = logging.getLogger("aggregator.daemon")

DISPATCH_EVERY_S = 1.0
CONFIG_CHECK_EVERY_S = 2.0
BACKFILL_EVERY_S = 30.0
STOP_GRACE_S = 5.0
# Never-polled feeds start spread at random over this much time per feed (at most START_SPREAD_MAX_S),
# so a big config does not fire all at once.
START_SPREAD_PER_FEED_S = 0.05
START_SPREAD_MAX_S = 30.0


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


class Daemon:
    def __init__(self, config: Config, db_path: Path, serve: ServeOptions | None = None) -> None:
        self.config = config
        self.db_path = db_path
        self.serve = serve
        self.archive = Archive(db_path)
        self._stop = asyncio.Event()
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._config_digest = _file_digest(config.path)
        self._poller: Poller | None = None
        self._backfiller: Backfiller | None = None
        self._backfill_task: asyncio.Task[None] | None = None
        self._semaphore = asyncio.Semaphore(config.settings.concurrency)

    def request_stop(self) -> None:
        if not self._stop.is_set():
            log.info("stopping: finishing polls in flight (at most %g s)", STOP_GRACE_S)
        self._stop.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.request_stop)
        loop.add_signal_handler(signal.SIGHUP, lambda: self.reload_config("SIGHUP"))
        server_task: asyncio.Task[None] | None = None
        server: _Server | None = None
        try:
            async with Fetcher(self.config.settings) as fetcher, Extractor(
                self.config.settings.extract_workers, articles=self.config.extracts_articles()
            ) as extractor:
                self._poller = Poller(self.config, self.archive, fetcher, extractor)
                self._backfiller = Backfiller(self.config, self.archive, fetcher, extractor)
                self._spread_new_feeds()
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
                scheduler.shutdown(wait=False)
                await self._drain()
        finally:
            if server is not None and server_task is not None:
                server.should_exit = True
                with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
                    await asyncio.wait_for(server_task, STOP_GRACE_S)
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            self.archive.close()
            log.info("stopped")

    def _start_datasette(self, options: ServeOptions) -> tuple[_Server, asyncio.Task[None]]:
        from aggregator.web.app import make_datasette

        datasette = make_datasette(self.db_path)
        server = _Server(
            uvicorn.Config(
                datasette.app(), host=options.host, port=options.port, log_level="warning", lifespan="on",
            )
        )
        return server, asyncio.create_task(server.serve(), name="datasette")

    def _spread_new_feeds(self) -> None:
        assert self._poller is not None
        fresh = [
            feed_id
            for feed_id in self.archive.due_feeds(self._poller.feed_ids.values(), utcnow())
            if self.archive.feed_state(feed_id).last_polled_at is None
        ]
        window = min(START_SPREAD_MAX_S, START_SPREAD_PER_FEED_S * len(fresh))
        for feed_id in fresh:
            self.archive.set_next_poll(feed_id, at(random.uniform(0, window)))

    async def dispatch(self) -> None:
        """Start a poll for every due feed that is not already being polled."""
        if self._stop.is_set() or self._poller is None:
            return
        poller = self._poller
        by_id = {poller.feed_ids[f.url]: f for f in self.config.feeds if f.enabled}
        for feed_id in self.archive.due_feeds(by_id, utcnow()):
            if feed_id in self._in_flight:
                continue
            task = asyncio.create_task(self._poll(by_id[feed_id]), name=f"poll-{feed_id}")
            self._in_flight[feed_id] = task
            task.add_done_callback(lambda _t, fid=feed_id: self._in_flight.pop(fid, None))

    async def _poll(self, feed: FeedConfig) -> None:
        assert self._poller is not None
        async with self._semaphore:
            if self._stop.is_set():
                return
            try:
                await self._poller.poll_feed(feed)
            except Exception as exc:  # recorded per feed; the daemon keeps going
                log.exception("poll %s failed", feed.url)
                self._poller.record_crash(feed, exc)

    async def start_backfill_round(self) -> None:
        # A task of its own, so that stopping can cancel it like a poll in flight.
        if self._backfill_task is None or self._backfill_task.done():
            self._backfill_task = asyncio.create_task(self.backfill_round(), name="backfill")

    async def backfill_round(self) -> None:
        """A few older posts for each feed that opted in (`backfill: true`), between regular polls."""
        if self._backfiller is None or self._poller is None:
            return
        wanted = set(self._poller.feed_ids.values())
        for feed_id in self.archive.backfill_feed_ids():
            if self._stop.is_set():
                return
            if feed_id not in wanted or feed_id in self._in_flight:
                continue
            report = await self._backfiller.backfill_feed(feed_id, self.config.settings.backfill_pages)
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
        digest = _file_digest(self.config.path)
        if digest is not None and digest != self._config_digest:
            self.reload_config("file change")

    def reload_config(self, reason: str) -> None:
        self._config_digest = _file_digest(self.config.path)
        try:
            config = load_config(self.config.path)
        except ConfigError as exc:
            log.error("config not reloaded (%s), keeping the running one: %s", reason, exc)
            return
        if self._poller is None:
            return
        before = {f.url for f in self.config.feeds}
        if config.settings != self.config.settings:
            log.warning("changed settings take effect at the next restart; feed changes apply now")
        self.config = config
        self._poller.config = config
        if self._backfiller is not None:
            self._backfiller.config = config
        self._poller.feed_ids = self.archive.sync_feeds(feed_settings(config))
        self._spread_new_feeds()
        after = {f.url for f in config.feeds}
        log.info(
            "config reloaded (%s): %d feeds, %d added, %d removed",
            reason, len(after), len(after - before), len(before - after),
        )
