"""Keeps the archive's write-ahead log short from a thread of its own.

SQLite's automatic checkpoint runs inside the commit that crosses its threshold, on the writer's thread: there it
stalled the event loop (a checkpoint writes and syncs megabytes) and, with it, every fetch and parse of the poll.
The writer's connection turns it off and this thread does the same work on a connection of its own: a PASSIVE
checkpoint never blocks the writer or the readers, and sqlite3 releases the GIL while it runs.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading

log = logging.getLogger("aggregator.store")

# How often the WAL is looked at; it is checkpointed when it was written to since. Once a second keeps the log of
# a large poll about as small as SQLite's own default threshold would.
POLL_SECONDS = 1.0


class WalCheckpointer:
    """Checkpoints `path`'s WAL about once a second while it is being written to."""

    def __init__(self, path: str, busy_timeout_ms: int, every_seconds: float = POLL_SECONDS) -> None:
        self._path = path
        self._wal = path + "-wal"
        self._busy_timeout_ms = busy_timeout_ms
        self._every = every_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
            seen: tuple[int, int] | None = None
            while not self._stop.wait(self._every):
                try:
                    stat = os.stat(self._wal)
                except FileNotFoundError:
                    continue
                # The file keeps its size once SQLite starts reusing it from the top: its mtime says it was written.
                written = (stat.st_mtime_ns, stat.st_size)
                if written != seen:
                    self._checkpoint(conn)
                    seen = written
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:  # busy or locked: the next round tries again
            log.debug("WAL checkpoint of %s skipped: %s", self._path, exc)
