"""Search and browsing latency of Datasette over a big archive.

Rows are synthetic articles made of the local news site's own titles and paragraphs (German and English),
written through the project's store layer (`Archive.store_entries`, one call per batch of one feed), so
the schema, indexes and FTS triggers are the project's. Growing to the large size by the store layer alone
takes longer than the benchmark's budget, so the large archive is grown from the small one inside SQLite
(`expand`): every row copied with a new guid, URL and date, then the entries indexes are rebuilt and the FTS
index rebuilt from the content table ('rebuild'); the triggers are put back as they were.

Queries go through Datasette configured as `aggregator serve` configures it (`make_datasette`), in process
via its ASGI test client, so the figures are Datasette + SQLite time without network.
"""

from __future__ import annotations

import asyncio
import html
import random
import re
import sqlite3
import statistics
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

from aggregator.config.model import feed_settings, parse_config
from aggregator.demo.site.content import World
from aggregator.models import ParsedEntry
from aggregator.store import Archive

FEED_ENTRIES = 1000  # archived entries per synthetic feed
BATCH = 250  # entries per store_entries call (one feed's new entries of one poll, as the pipeline does)


class TextPool:
    """Titles, paragraphs and metadata of many generated articles, to compose synthetic ones from."""

    def __init__(self, seed: int = 7, worlds: int = 12) -> None:
        self.rng = random.Random(seed)
        self.articles = []
        for i in range(worlds):
            self.articles += World(seed=seed * 100 + i, chain_length=(30, 60)).articles
        self.paragraphs: dict[str, list[str]] = {"de": [], "en": []}
        for article in self.articles:
            self.paragraphs[article.language] += article.paragraphs

    def entry(self, number: int, published: datetime) -> ParsedEntry:
        rng = self.rng
        article = self.articles[rng.randrange(len(self.articles))]
        pool = self.paragraphs[article.language]
        paragraphs = [article.paragraphs[0], *(pool[rng.randrange(len(pool))] for _ in range(rng.randint(3, 7)))]
        content = "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
        return ParsedEntry(
            guid=f"synthetic-{number}",
            url=f"https://news{number % 97}.example.org/{published:%Y/%m/%d}/article-{number}/",
            title=article.title,
            authors=[article.author],
            published_at=published.strftime("%Y-%m-%dT%H:%M:%SZ"),
            summary=html.escape(paragraphs[0], quote=False),
            content_html=content,
            tags=list(article.tags[:2]),
            language=article.language,
        )

    def query_words(self, count: int, seed: int = 3) -> list[str]:
        """Search terms of mixed frequency from the corpus vocabulary, plus a few two-word queries.

        Bands: common words (frequency ranks 50-300: the first 50 are function words such as "that" or "der",
        which people do not search for), middling and rare words, in turn."""
        counts: Counter[str] = Counter()
        for article in self.articles[:3000]:
            counts.update(w.lower() for w in re.findall(r"[^\W\d_]{4,}", article.text + " " + article.title))
        ranked = [w for w, _ in counts.most_common()]
        rng = random.Random(seed)
        third = max(1, len(ranked) // 3)
        bands = [ranked[50:300] or ranked, ranked[third:2 * third] or ranked, ranked[2 * third:] or ranked]
        words = [rng.choice(bands[i % 3]) for i in range(count)]
        for i in range(0, count, 5):  # every fifth query has two words
            words[i] = f"{words[i]} {rng.choice(bands[1])}"
        return words


def build(path: Path, rows: int, pool: TextPool) -> dict[str, float]:
    """An archive of `rows` synthetic entries written through Archive.store_entries."""
    feeds = max(1, rows // FEED_ENTRIES)
    config_text = "settings:\n  allow_private_networks: true\nfeeds:\n" + "".join(
        f"  - https://feeds{i % 50}.example.org/feed-{i}.xml\n" for i in range(feeds))
    config = parse_config(config_text, path.with_suffix(".yaml"))
    started = time.perf_counter()
    archive = Archive(path)
    feed_ids = list(archive.sync_feeds(feed_settings(config)).values())
    end = datetime(2026, 6, 1, tzinfo=UTC)
    span = 5 * 365 * 86400
    rng = random.Random(11)
    number = 0
    while number < rows:
        feed_id = feed_ids[(number // BATCH) % len(feed_ids)]
        batch = []
        for _ in range(min(BATCH, rows - number)):
            published = end - timedelta(seconds=rng.randrange(span))
            batch.append(pool.entry(number, published))
            number += 1
        archive.store_entries(feed_id, batch)
    archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    archive.close()
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds}


def expand(path: Path, factor: int) -> dict[str, float]:
    """Grow the archive `factor` times by copying its rows inside SQLite (new guid, URL and date per copy)."""
    started = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -262144")  # 256 MiB while building
    objects = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'entries' AND type IN ('index', 'trigger') "
        "AND sql IS NOT NULL"
    ).fetchall()
    columns = [row[1] for row in conn.execute("PRAGMA table_info(entries)") if row[1] != "id"]
    base = conn.execute("SELECT max(id) FROM entries").fetchone()[0]
    conn.execute("BEGIN")
    for kind, name, _sql in objects:
        conn.execute(f'DROP {kind.upper()} "{name}"')
    changed = {
        "guid": "guid || '#' || :k",
        "url": "url || '?copy=' || :k",
        "published_at": "strftime('%Y-%m-%dT%H:%M:%SZ', published_at, '-' || (:k * 173) || ' days')",
        "first_seen_at": "strftime('%Y-%m-%dT%H:%M:%SZ', first_seen_at, '-' || (:k * 173) || ' days')",
    }
    select = ", ".join(changed.get(c, f'"{c}"') for c in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    for k in range(1, factor):
        conn.execute(f"INSERT INTO entries ({names}) SELECT {select} FROM entries WHERE id <= :base",
                     {"k": k, "base": base})
    conn.execute("COMMIT")
    copied = time.perf_counter()
    conn.execute("BEGIN")
    for kind, _name, sql in objects:
        if kind == "index":
            conn.execute(sql)
    conn.execute("INSERT INTO entries_fts (entries_fts) VALUES ('rebuild')")
    for kind, _name, sql in objects:
        if kind == "trigger":
            conn.execute(sql)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    rows = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
    conn.close()
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": seconds, "copy_seconds": copied - started}


def write_reader_feeds(archive: Path, out_dir: Path) -> dict[str, int]:
    """The archive's entries as RSS files, one per feed, for reader to fetch (`file:` URLs under its
    feed_root) and parse with its own parser: the same titles, summaries and texts as aggregator's index."""
    out_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(archive)
    files = entries = 0
    try:
        for (feed_id,) in conn.execute("SELECT DISTINCT feed_id FROM entries ORDER BY feed_id").fetchall():
            items = []
            for guid, url, title, author, published, summary, content in conn.execute(
                    "SELECT guid, url, title, author, published_at, summary, content_html FROM entries "
                    "WHERE feed_id = ? ORDER BY id", (feed_id,)):
                when = datetime.fromisoformat(published.replace("Z", "+00:00")) if published else None
                items.append(
                    f"<item><guid isPermaLink=\"false\">{xml_escape(guid)}</guid>"
                    f"<title>{xml_escape(title or '')}</title><link>{xml_escape(url or '')}</link>"
                    + (f"<author>{xml_escape(author)}</author>" if author else "")
                    + (f"<pubDate>{format_datetime(when)}</pubDate>" if when else "")
                    + f"<description>{xml_escape(html.escape(summary or '', quote=False))}</description>"
                    f"<content:encoded>{xml_escape(content or '')}</content:encoded></item>\n")
            (out_dir / f"feed-{feed_id}.xml").write_text(
                '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
                'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
                f"<title>feed {feed_id}</title><link>https://feeds.example.org/{feed_id}/</link>\n"
                + "".join(items) + "</channel></rss>\n", encoding="utf-8")
            files += 1
            entries += len(items)
    finally:
        conn.close()
    return {"feeds": files, "entries": entries}


def reuse(archives: list[tuple[Path, int]]) -> dict[str, object] | None:
    """The archives a kept working directory holds, when all exist with the sizes asked for; None otherwise.
    They are opened through the store layer first, as `aggregator serve` does, so an archive built before a
    schema migration (a new index, say) is migrated and measured with the current schema."""
    versions: dict[str, object] = {}
    for path, rows in archives:
        if not path.exists():
            return None
        with sqlite3.connect(path) as conn:
            if conn.execute("SELECT count(*) FROM entries").fetchone()[0] != rows:
                return None
            before = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.close()
        Archive(path).close()
        with sqlite3.connect(path) as conn:
            after = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.close()
        versions[path.parent.name] = f"schema v{before}" + (f" -> v{after}" if after != before else "")
    return {"migrated": ", ".join(f"{k}: {v}" for k, v in versions.items()), "rows": [r for _, r in archives]}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _stats(times: list[float]) -> dict[str, float]:
    return summarize_ms([t * 1000 for t in times])


def summarize_ms(ms: list[float]) -> dict[str, float]:
    return {"p50_ms": _percentile(ms, 0.5), "p95_ms": _percentile(ms, 0.95), "max_ms": max(ms),
            "mean_ms": statistics.fmean(ms), "n": len(ms)}


# The pages timed: the archive's own search and latest-articles pages (canned queries of its Datasette
# metadata, linked from its front page), and the same two things on the entries table page; each also as
# JSON (the same address with .json), asked in turn with its HTML page so that both see the same machine.
PAGES = {
    "search": "/{db}/search?q={q}&since=&until=",
    "latest": "/{db}/latest",
    "table_search": "/{db}/entries?_search={q}",
    "table_latest": "/{db}/entries?_sort_desc=published_at",
}
JSON_PAGES = {f"{page}_json": template.replace("/{db}/search?", "/{db}/search.json?").replace(
    "/{db}/latest", "/{db}/latest.json").replace("/{db}/entries", "/{db}/entries.json")
    for page, template in PAGES.items()}
DIAGNOSTIC_PAGES = {
    # what is one click away: every match ranked, the exact count of a search, the five facets, every column
    "search_all": "/{db}/search?q={q}&since=&until=&all=1",
    "table_search_counted": "/{db}/entries?_search={q}&_count=1",
    "table_latest_facets": "/{db}/entries?_sort_desc=published_at&_facet=feed_id&_facet_tags=id&_facet=language"
                           "&_facet=author&_facet_month=published_at",
    "latest_table_view": "/{db}/latest?_view=table",
    "table_latest_table_view": "/{db}/entries?_sort_desc=published_at&_view=table",
    # the pages that list the archive's tables, with their row counts (aggregator/web/tablecounts.py)
    "index_page": "/",
    "database_page": "/{db}",
}


def measure(path: Path, words: list[str], requests: int, diagnostics: int = 0) -> dict[str, object]:
    """p50/p95 per page of PAGES and JSON_PAGES through Datasette as `aggregator serve` configures it, every
    page asked max(len(words), requests) times in turn; search pages take each of `words` in turn."""
    from aggregator.web.app import make_datasette

    name = path.stem
    datasette = make_datasette(path)

    async def get(template: str, word: str) -> float:
        url = template.format(db=name, q=quote(word))
        started = time.perf_counter()
        response = await datasette.client.get(url)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}")
        return elapsed

    async def run() -> dict[str, object]:
        await datasette.invoke_startup()
        timed = {**PAGES, **JSON_PAGES}
        for template in timed.values():  # warm-up: schema introspection, page cache
            await get(template, words[-1])
        times: dict[str, list[float]] = {page: [] for page in timed}
        for i in range(max(len(words), requests)):
            # Each page and its JSON in turn, so that a busy moment weighs on both alike; which of the two
            # comes first alternates, since the second finds SQLite's caches warm with the same query's pages.
            for page in PAGES:
                pair = (page, f"{page}_json") if i % 2 == 0 else (f"{page}_json", page)
                for name in pair:
                    times[name].append(await get(timed[name], words[i % len(words)]))
        out: dict[str, object] = {page: _stats(values) for page, values in times.items()}
        diagnostics_out: dict[str, object] = {}
        if diagnostics > 0:
            for page, template in DIAGNOSTIC_PAGES.items():
                diagnostics_out[page] = _stats([await get(template, words[i % len(words)])
                                                for i in range(diagnostics)])
        out["diagnostics"] = diagnostics_out
        out["queries"] = len(words)
        return out

    return asyncio.run(run())
