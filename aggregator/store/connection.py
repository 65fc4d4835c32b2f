"""The archive's connection: tuning, migrations, and the shared transaction that several writes join."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections import OrderedDict
from collections.abc import Generator, Sequence

import sqlite_utils

from aggregator.clock import Clock, SystemClock
from aggregator.store.schema import migrate
from aggregator.store.walcheckpoint import WalCheckpointer

BUSY_TIMEOUT_MS = 15000
# entries.fts_pending = 1: a new entry not yet in the full-text index. With full text it waits for its article
# page (indexed with the page's text, at the latest at the end of its feed's poll); without, for the end of the
# transaction that inserts it (store_entries), so it is never committed waiting. sync_feeds() indexes those that
# a killed poll left waiting in feeds that no longer extract.
FTS_WAITING = 1
INDEX_PENDING = f"UPDATE entries SET fts_pending = 0 WHERE feed_id = ? AND fts_pending = {FTS_WAITING}"


class _Database(sqlite_utils.Database):
    """sqlite-utils' Database whose transactions take the write lock when they begin (BEGIN IMMEDIATE): a
    deferred transaction that read first cannot wait for another process's write (SQLite answers "database is
    locked" at once, whatever the busy timeout), while an immediate one waits its turn."""

    @contextlib.contextmanager
    def atomic(self) -> Generator[sqlite_utils.Database, None, None]:
        if self.conn.in_transaction:
            # One name for every level: SQLite's ROLLBACK TO and RELEASE take the innermost savepoint of that
            # name. sqlite-utils names each one from secrets.token_hex, a getrandom() call per savepoint.
            self.conn.execute("SAVEPOINT agg_atomic")
            try:
                yield self
            except BaseException:
                # an error such as RAISE(ROLLBACK) may have ended the whole transaction, savepoints included
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK TO agg_atomic")
                    self.conn.execute("RELEASE agg_atomic")
                raise
            else:
                self.conn.execute("RELEASE agg_atomic")
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")


class Connection:
    """The database and the state every part of the store shares; one instance per process."""

    def __init__(self, path: str | os.PathLike[str], clock: Clock | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self.path = str(path)
        self.db = _Database(self.path)
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.enable_wal()
        # WAL makes NORMAL durable against crashes of this process; only power loss can lose the tail.
        self.db.execute("PRAGMA synchronous = NORMAL")
        # A shared commit of full-text feeds dirties more pages than SQLite's default 2 MiB cache holds: they
        # spilled to the WAL mid-transaction and were read back. 8 MiB holds them.
        self.db.execute("PRAGMA cache_size = -8192")
        migrate(self.db)
        # Each article is stored in a savepoint, whose statement journal went to a temporary file once past
        # 64 kB, as most articles' do: dozens of write syscalls per article. In memory it is a copy. Set after the
        # migrations, whose table-wide UPDATEs could journal a whole large archive.
        self.db.execute("PRAGMA temp_store = MEMORY")
        # Checkpoints run in a thread of their own (see walcheckpoint), not inside this connection's commits.
        self.db.execute("PRAGMA wal_autocheckpoint = 0")
        self._checkpointer = WalCheckpointer(self.path, BUSY_TIMEOUT_MS)
        self._tag_ids: dict[str, int] = {}  # tag name -> id; tags are never deleted, so this stays true
        # story root id -> (hash of its text, its shingles): a story syndicated N times is shingled once
        self._shingles: OrderedDict[int, tuple[int, frozenset[int]]] = OrderedDict()
        self._shared_open = False
        # Feeds whose new entries (feeds without full text) or extracted articles wait for the shared commit to be
        # indexed, all at once.
        self._index_at_commit: set[int] = set()
        # Entries a killed writer left waiting for their page are searchable from the next start on, not only
        # after their feed's next poll (a poll in flight elsewhere re-indexes them with their page's text).
        with self.db.atomic():
            self.db.execute(f"UPDATE entries SET fts_pending = 0 WHERE fts_pending = {FTS_WAITING}")

    def close(self) -> None:
        self.commit_shared()
        self._checkpointer.close()
        # Leaves no -wal/-shm beside the archive when this was its last connection.
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.close()

    def begin_shared(self) -> None:
        """Open a transaction that the next writes share (each still in a savepoint of its own) until
        commit_shared(): one commit for several feeds instead of one each. A commit costs as much as storing
        several entries (mostly FTS5 writing its in-memory segment)."""
        if not self.db.conn.in_transaction:
            self.db.conn.execute("BEGIN IMMEDIATE")
        self._shared_open = True

    def commit_shared(self) -> None:
        """Index the entries that wait for it and commit the shared transaction, if one is open. Never called
        inside a write: they do not await."""
        conn = self.db.conn
        if self._index_at_commit:
            if conn.in_transaction:
                self._index_where("feed_id", sorted(self._index_at_commit))
            else:  # committed by someone else meanwhile: index them now, in a transaction of their own
                with self.db.atomic():
                    self._index_where("feed_id", sorted(self._index_at_commit))
            self._index_at_commit.clear()
        if conn.in_transaction:
            conn.execute("COMMIT")
        self._shared_open = False

    def _index_where(self, column: str, values: Sequence[int]) -> None:
        """Index the waiting entries whose `column` (feed_id or id) is one of `values`: one statement per 500."""
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            self.db.conn.execute(
                f"UPDATE entries SET fts_pending = 0 WHERE fts_pending = {FTS_WAITING} "
                f"AND {column} IN ({', '.join('?' * len(chunk))})",
                chunk,
            )

    def now(self) -> str:
        """The clock's time as stored: ISO 8601 UTC to the second."""
        return self.clock.stamp()

    def count(self, table: str) -> int:
        return self.db.table(table).count
