"""Entries: feed entries and their extracted articles, tags, enclosures and revisions."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import timedelta
from functools import lru_cache

from aggregator.clock import STAMP
from aggregator.models import Article, PackedPage, ParsedEntry, RawPage, entry_hash, pack_page
from aggregator.parse.dates import page_date_wins
from aggregator.parse.sanitize import html_to_text
from aggregator.store.connection import FTS_WAITING, INDEX_PENDING
from aggregator.store.duplicates import DuplicateStore
from aggregator.store.links import LinkStore
from aggregator.store.pages import PageStore
from aggregator.store.records import ExtractedArticle, PendingArticle, StoreCounts

log = logging.getLogger("aggregator.store")


class EntryStore(LinkStore, PageStore, DuplicateStore):
    """The entries table and what hangs off each entry. Storing an article also orients its previous/next
    links, keeps its page and groups its near-duplicates: the parts it inherits from."""

    def store_entries(self, feed_id: int, entries: Iterable[ParsedEntry], defer_index: bool = False) -> StoreCounts:
        """Insert new entries and update changed ones, in one transaction. Idempotent.

        defer_index: new entries with a page to extract wait for it before entering the full-text index
        (store_extractions indexes them, with the page's text or, failing that, the feed's). Without it, new
        entries are indexed all at once: at the shared commit when one is open (begin_shared), else at the end.
        FTS5 costs about as much per statement as per row (it writes out its pending terms at every statement
        savepoint), so one statement per commit instead of one per entry saves most of the index's CPU (the
        README's Performance section has the figures).

        Plain prepared statements on the hot path: per-row sqlite-utils calls cost more than the rest
        of ingest together (they inspect the schema on every insert).
        """
        entries = list(entries)
        counts = StoreCounts()
        now = self.now()
        horizon = (self.clock.now() + timedelta(days=1)).strftime(STAMP)
        conn = self.db.conn
        added = without_page = False
        tag_rows: list[tuple[int, int, str]] = []
        enclosure_rows: list[tuple[int, str, str | None, int | None]] = []
        with self.db.atomic():  # a savepoint inside a shared transaction (begin_shared)
            known = self._known_entries(feed_id, [entry.guid for entry in entries])
            self._adopt_found(feed_id, [entry for entry in entries if entry.guid not in known and entry.url], known)
            for entry in entries:
                content_hash = _entry_hash(entry)
                row = known.get(entry.guid)
                if row is not None and row[1] == content_hash:
                    continue
                values = _entry_values(entry)
                for column in ("published_at", "updated_at"):
                    # A date beyond tomorrow is a publisher's mistake; it would sit atop "latest" for years.
                    if values[column] and str(values[column]) > horizon:
                        values[column] = now
                if row is None:
                    values.update(feed_id=feed_id, guid=entry.guid, first_seen_at=now, content_hash=content_hash,
                                  fts_pending=FTS_WAITING)
                    values.update(_feed_text(entry))
                    inserted = conn.execute(_INSERT_ENTRY, values).lastrowid
                    assert inserted is not None  # set by every successful INSERT
                    entry_id = inserted
                    added = True
                    without_page = without_page or entry.url is None
                    known[entry.guid] = (entry_id, content_hash, entry.url)
                    counts.new += 1
                else:
                    entry_id = row[0]
                    self._keep_revision(entry_id, "feed", now)
                    # Changed in the feed: fetch the page again too, its text has likely changed as well.
                    values.update(id=entry_id, content_hash=content_hash, changed_at=now)
                    conn.execute(_UPDATE_ENTRY, values)
                    if row[2] != entry.url:
                        conn.execute("UPDATE entries SET canonical_url = NULL WHERE id = ?", [entry_id])
                    conn.execute(
                        "UPDATE entries SET full_text = :text, word_count = :words "
                        "WHERE id = :id AND full_text_source IS NOT 'page'",
                        {"id": entry_id, **_feed_text(entry, prefixed=False)},
                    )
                    known[entry.guid] = (entry_id, content_hash, entry.url)
                    counts.updated += 1
                if entry.tags:
                    tag_rows += self._tag_rows(entry_id, entry.tags, "feed")
                enclosure_rows += [(entry_id, e.url, e.type, e.length) for e in entry.enclosures]
            # One statement each for the whole feed, not one per entry.
            if tag_rows:
                conn.executemany(_INSERT_TAG, tag_rows)
            if enclosure_rows:
                conn.executemany(_INSERT_ENCLOSURE, enclosure_rows)
            if added and not defer_index:
                if self._shared_open and conn.in_transaction:
                    self._index_at_commit.add(feed_id)
                else:
                    conn.execute(INDEX_PENDING, [feed_id])
            elif without_page:  # nothing to wait for
                conn.execute(INDEX_PENDING + " AND url IS NULL", [feed_id])
        return counts

    def _adopt_found(self, feed_id: int, entries: list[ParsedEntry], known: dict[str, tuple[int, str, str | None]]
                     ) -> None:
        """A post archived before its feed listed it (gap filling, backfill) takes the feed's guid instead of
        coming in twice."""
        conn = self.db.conn
        # Found posts have guids "link:URL": a range of the (feed_id, guid) index, so most polls stop here.
        if not entries or conn.execute(
            f"SELECT 1 FROM entries WHERE feed_id = ? AND {_FOUND_GUIDS} LIMIT 1", [feed_id]
        ).fetchone() is None:
            return
        for entry in entries:
            row = conn.execute(
                f"SELECT id, content_hash, url FROM entries WHERE feed_id = ? AND {_FOUND_GUIDS} "
                "AND (url = ? OR canonical_url = ?) LIMIT 1",
                [feed_id, entry.url, entry.url],
            ).fetchone()
            if row is not None:
                conn.execute("UPDATE entries SET guid = ? WHERE id = ?", [entry.guid, row[0]])
                known[entry.guid] = (row[0], row[1] or "", row[2])

    def _known_entries(self, feed_id: int, guids: list[str]) -> dict[str, tuple[int, str, str | None]]:
        known: dict[str, tuple[int, str, str | None]] = {}
        for start in range(0, len(guids), 500):
            chunk = guids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for guid, entry_id, content_hash, url in self.db.conn.execute(
                f"SELECT guid, id, content_hash, url FROM entries WHERE feed_id = ? AND guid IN ({marks})",
                [feed_id, *chunk],
            ):
                known[guid] = (entry_id, content_hash, url)
        return known

    def pending_articles(self, feed_id: int, max_attempts: int) -> list[PendingArticle]:
        """Entries whose article page still needs extracting (new, or failed fewer than max_attempts)."""
        rows = self.db.execute(
            "SELECT id, url FROM entries WHERE feed_id = ? AND extracted_at IS NULL AND url IS NOT NULL "
            "AND extraction_attempts < ? ORDER BY published_at, id",
            [feed_id, max_attempts],
        ).fetchall()
        return [PendingArticle(row[0], row[1]) for row in rows]

    def store_article(
        self, entry_id: int, article: Article, final_url: str | None, page: RawPage | PackedPage | None = None
    ) -> None:
        """Save an extracted article (and its raw page), keep the former text as a revision when it
        changed, link the entry to its archived neighbours (both directions) and to near-duplicates."""
        with self.db.atomic():
            self._apply_article(entry_id, article, article_values(article, final_url, self.now()), page)
            self._index_where("id", [entry_id])

    def store_extractions(
        self, done: Sequence[ExtractedArticle], failed: Sequence[tuple[int, str]] = (), feed_id: int | None = None
    ) -> list[tuple[int, str]]:
        """Store a feed's extracted articles and its extraction errors in one transaction.

        One commit per batch, not per article: each commit flushes the FTS index. Each article is
        written inside a savepoint of its own, so one that cannot be stored is rolled back alone and
        recorded as an extraction error while the others are kept. Returns those (entry id, error).
        With feed_id, the feed's entries still waiting for the index (store_entries' defer_index) are
        indexed as they are: whatever was or was not extracted, the poll leaves every entry searchable.
        """
        unstored: list[tuple[int, str]] = []
        conn = self.db.conn
        shared = self._shared_open and conn.in_transaction
        with self.db.atomic():
            for item in done:
                conn.execute("SAVEPOINT article")
                try:
                    self._apply_article(
                        item.entry_id, item.article, article_values(item.article, item.final_url, self.now()), item.page
                    )
                except Exception as exc:  # one bad article must not cost the batch; recorded below
                    if not conn.in_transaction:
                        raise  # the error ended the whole transaction: nothing of the batch is left to keep
                    conn.execute("ROLLBACK TO article")
                    log.exception("storing the article of entry %d failed", item.entry_id)
                    unstored.append((item.entry_id, f"storing the article failed: {type(exc).__name__}: {exc}"))
                finally:
                    if conn.in_transaction:
                        conn.execute("RELEASE article")
            if failed or unstored:
                conn.executemany(_RECORD_ERROR, [(error, entry_id) for entry_id, error in [*failed, *unstored]])
            # Indexed here, all at once, not by each article's UPDATE: FTS5 writes out its pending terms at
            # every savepoint, so indexing inside each article's savepoint cost one such write per article.
            if feed_id is not None and shared:
                self._index_at_commit.add(feed_id)
            elif feed_id is not None:
                conn.execute(INDEX_PENDING, [feed_id])
            else:
                self._index_where("id", [item.entry_id for item in done])
        return unstored

    def _apply_article(
        self, entry_id: int, article: Article, values: dict[str, object], page: RawPage | PackedPage | None
    ) -> None:
        """store_article's writes, inside the caller's transaction: one read of the entry, one UPDATE."""
        conn = self.db.conn
        row = conn.execute(
            "SELECT feed_id, url, full_text_source, full_text, author, published_at, language, image_url, title, "
            "published_source FROM entries WHERE id = ?",
            [entry_id],
        ).fetchone()
        if row is None:
            raise LookupError(f"entry {entry_id} is no longer in the archive")
        feed_id, url, source, previous_text = row[:4]
        if source == "page" and previous_text != article.full_text:
            self._keep_revision(entry_id, "page", str(values["extracted_at"]))
        # The feed's own values win; the page fills the gaps.
        for column, value, page_value in zip(
            ("author", "published_at", "language", "image_url", "title"),
            row[4:9],
            (article.author, article.published_at, article.language, article.image_url, article.title),
            strict=True,
        ):
            values[column] = page_value if not value and page_value else value
        values["published_source"] = row[9]
        if article.published_at and page_date_wins(row[5], row[9], article.published_at, article.published_source):
            values["published_at"], values["published_source"] = article.published_at, article.published_source
        if article.language:
            # Detected from the article's own text: more reliable than a feed-wide declaration.
            values["language"] = primary_language(article.language)
        self._own_neighbours(entry_id, feed_id, values)
        values["id"] = entry_id
        conn.execute(_UPDATE_ARTICLE, values)
        self._set_tags(entry_id, [*article.categories, *article.tags], "page")
        self._link_named_neighbour(entry_id, [u for u in {url, values["canonical_url"]} if u])
        self._reciprocate(entry_id)
        if page is not None:
            self._save_page(entry_id, page if isinstance(page, PackedPage) else pack_page(page))
        self._link_near_duplicates(entry_id, feed_id, article)

    def _keep_revision(self, entry_id: int, source: str, when: str) -> None:
        self.db.execute(
            "INSERT INTO entry_revisions (entry_id, revised_at, source, title, summary, content_html, full_text) "
            "SELECT id, ?, ?, title, summary, content_html, full_text FROM entries WHERE id = ?",
            [when, source, entry_id],
        )

    def _set_tags(self, entry_id: int, names: Iterable[str], source: str) -> None:
        rows = self._tag_rows(entry_id, names, source)
        if rows:
            self.db.conn.executemany(_INSERT_TAG, rows)

    def _tag_rows(self, entry_id: int, names: Iterable[str], source: str) -> list[tuple[int, int, str]]:
        seen: set[str] = set()
        rows = []
        for raw in names:
            name = " ".join(raw.split())[:200]
            folded = name.casefold()
            if not name or folded in seen:
                continue
            seen.add(folded)
            rows.append((entry_id, self._tag_id(name), source))
        return rows

    def _tag_id(self, name: str) -> int:
        tag_id = self._tag_ids.get(name)
        if tag_id is None:
            conn = self.db.conn
            conn.execute("INSERT INTO tags (name) VALUES (?) ON CONFLICT (name) DO NOTHING", [name])
            tag_id = conn.execute("SELECT id FROM tags WHERE name = ?", [name]).fetchone()[0]
            self._tag_ids[name] = tag_id
        return tag_id



@lru_cache(maxsize=1024)  # called for every entry stored; a feed's entries share their language
def primary_language(tag: str | None) -> str | None:
    """'de-DE' -> 'de': one value per language, so facets and filters group what belongs together."""
    if not tag:
        return None
    return tag.replace("_", "-").split("-")[0].strip().lower() or None


def word_count(text: str | None) -> int:
    return len(text.split()) if text else 0


_INSERT_TAG = "INSERT INTO entry_tags (entry_id, tag_id, source) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
_INSERT_ENCLOSURE = (
    "INSERT INTO enclosures (entry_id, url, type, length) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (entry_id, url) DO UPDATE SET type = excluded.type, length = excluded.length"
)
_FOUND_GUIDS = "guid >= 'link:' AND guid < 'link;'"  # the guids of posts found outside the feed (gaps.py)
_ENTRY_FIELDS = ("url", "title", "author", "published_at", "updated_at", "summary", "content_html", "language",
                 "image_url", "published_source")
_INSERT_COLUMNS = (*_ENTRY_FIELDS, "feed_id", "guid", "first_seen_at", "content_hash", "full_text",
                   "full_text_source", "word_count", "fts_pending")
_INSERT_ENTRY = (
    f"INSERT INTO entries ({', '.join(_INSERT_COLUMNS)}) VALUES ({', '.join(':' + c for c in _INSERT_COLUMNS)})"
)
# A changed entry is extracted again (extracted_at cleared): its page has likely changed too.
_UPDATE_ENTRY = (
    "UPDATE entries SET "
    + ", ".join(f"{c} = :{c}" for c in (*_ENTRY_FIELDS, "content_hash", "changed_at"))
    + ", extracted_at = NULL, extraction_attempts = 0 WHERE id = :id"
)


_ARTICLE_COLUMNS = (
    "full_text", "full_text_source", "word_count", "extracted_at", "extraction_error", "canonical_url", "site_name",
    "description", "previous_url", "next_url", "previous_title", "next_title", "previous_id", "next_id", "simhash",
    "author", "published_at", "language", "image_url", "title", "published_source",
)
# Leaves fts_pending as it is: the caller indexes the article (store_extractions, store_article).
_UPDATE_ARTICLE = (
    "UPDATE entries SET "
    + ", ".join(f"{c} = :{c}" for c in _ARTICLE_COLUMNS)
    + ", extraction_attempts = extraction_attempts + 1 WHERE id = :id"
)
# A failed extraction leaves the feed's text, which is then indexed (if it was waiting for the page).
_RECORD_ERROR = (
    "UPDATE entries SET extraction_error = ?, extraction_attempts = extraction_attempts + 1, fts_pending = 0 "
    "WHERE id = ?"
)


def article_values(article: Article, final_url: str | None, now: str) -> dict[str, object]:
    adjacent = article.adjacent
    return {
        "full_text": article.full_text,
        "full_text_source": "page",
        "word_count": article.word_count,
        "extracted_at": now,
        "extraction_error": None,
        "canonical_url": final_url,
        "site_name": article.site_name,
        "description": article.description,
        "previous_url": adjacent.previous_url,
        "next_url": adjacent.next_url,
        "previous_title": adjacent.previous_title,
        "next_title": adjacent.next_title,
        "simhash": article.simhash,
    }


def _entry_values(entry: ParsedEntry) -> dict[str, object]:
    return {
        "url": entry.url,
        "title": entry.title,
        "author": ", ".join(entry.authors) or None,
        "published_at": entry.published_at,
        "updated_at": entry.updated_at,
        "summary": entry.summary_text or html_to_text(entry.summary) or None,
        "content_html": entry.content_html,
        "language": primary_language(entry.language),
        "image_url": entry.image_url,
        "published_source": entry.published_source if entry.published_at else None,
    }


def _feed_text(entry: ParsedEntry, prefixed: bool = True) -> dict[str, object]:
    """Until the article page is extracted, the best text is the feed's own content."""
    if entry.content_html:
        text = entry.content_text or html_to_text(entry.content_html) or None
        # the parser's count is of the same text when it made the text itself
        words = entry.word_count if entry.content_text and entry.word_count is not None else word_count(text)
    else:
        text = entry.summary_text or html_to_text(entry.summary) or None
        words = entry.word_count if entry.summary_text and entry.word_count is not None else word_count(text)
    if not prefixed:
        return {"text": text, "words": words}
    return {"full_text": text, "full_text_source": "feed" if text else None, "word_count": words}


def _entry_hash(entry: ParsedEntry) -> str:
    return entry.content_hash or entry_hash(entry)
