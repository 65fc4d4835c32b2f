"""Row counts on the database page that stay cheap in a big archive.

Datasette 0.65 counts every table, hidden ones included, on each view of a mutable database's page, with a
time limit that SQLite checks between VM steps. `select count(*)` on a plain table is a single step that walks
the whole b-tree, so the limit never fires: the FTS index's `entries_fts_data` (its rows are the index's
blobs) took 220 ms of the page's 335 at 1M articles. Hidden tables (the search index's internals) are
counted up to HIDDEN_COUNT_LIMIT rows, a scan the limit can stop; a bigger one shows Datasette's "Many rows".
Visible tables keep Datasette's exact count.
"""

from __future__ import annotations

from datasette.database import Database, QueryInterrupted
from datasette.utils import escape_sqlite, sqlite3

HIDDEN_COUNT_LIMIT = 1000


class ArchiveDatabase(Database):
    async def table_counts(self, limit: int = 10) -> dict[str, int | None]:
        hidden = set(await self.hidden_table_names())
        counts: dict[str, int | None] = {}
        for table in await self.table_names():
            name = escape_sqlite(table)
            if table in hidden:
                sql = f"select count(*) from (select 1 from {name} limit {HIDDEN_COUNT_LIMIT + 1})"
            else:
                sql = f"select count(*) from {name}"
            try:
                count = (await self.execute(sql, custom_time_limit=limit)).rows[0][0]
            # As Datasette's own: an interrupted count can also surface as an SQLite error.
            except (QueryInterrupted, sqlite3.DatabaseError):
                count = None
            counts[table] = None if table in hidden and count is not None and count > HIDDEN_COUNT_LIMIT else count
        return counts
