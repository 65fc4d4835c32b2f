"""The search and entries pages as they work over a big archive: the ranked search's window of newest matches,
the entries search's date-index plan, capped search counts and facets on request. A real archive written through
the store layer (1,200 entries: enough for the date-index plan, which starts at 1,000 matches), a real Datasette
configured as `aggregator serve` configures it; results are checked against SQLite directly."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from datasette.app import Datasette
from test_web import get_json, sql

from aggregator.config.model import feed_settings, parse_config
from aggregator.models import ParsedEntry
from aggregator.store import Archive
from aggregator.web.app import SETTINGS, archive_metadata, make_datasette
from aggregator.web.tablecounts import HIDDEN_COUNT_LIMIT

ROWS = 1200
STRONG = 5  # the first (oldest) entries carry the common word in their titles: the best matches
RARE_IDS = (11, 601, 1101)  # entries with a rare word, in stored order (ids start at 1)
BASE = datetime(2025, 1, 1, tzinfo=UTC)


def published(i: int) -> str:
    # Dates out of step with ids (as with backfilled or imported entries): the date order is not the id order.
    return (BASE + timedelta(hours=(i * 7919) % ROWS)).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry(i: int) -> ParsedEntry:
    rare = " xylograph" if i + 1 in RARE_IDS else ""
    title = "Gemeinsam gemeinsam gemeinsam" if i < STRONG else f"Bericht {i}"
    return ParsedEntry(
        guid=f"scale-{i}", url=f"http://127.0.0.1:9/article-{i}", title=title, authors=[f"Autorin {i % 7}"],
        published_at=published(i), summary=f"Meldung {i}", language="de" if i % 2 else "en",
        content_html=f"<p>Wir arbeiten gemeinsam an Nummer {i}.{rare}</p>", tags=[f"tag{i % 3}"],
    )


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scale") / "archive.db"
    config = parse_config("settings:\n  allow_private_networks: true\nfeeds:\n  - http://127.0.0.1:9/a.xml\n"
                          "  - http://127.0.0.1:9/b.xml\n", path.with_suffix(".yaml"))
    archive = Archive(path)
    try:
        feeds = list(archive.sync_feeds(feed_settings(config)).values())
        for start in range(0, ROWS, 200):
            archive.store_entries(feeds[start // 200 % 2], [entry(i) for i in range(start, min(ROWS, start + 200))])
        # one entry without a date: counted by the day it was first seen
        archive.store_entries(feeds[0], [ParsedEntry(guid="undated", url="http://127.0.0.1:9/undated",
                                                     title="Ohne Datum", content_html="<p>Ohne Datum.</p>")])
    finally:
        archive.close()
    return path


@pytest.fixture
async def ds(archive_path: Path) -> AsyncIterator[Datasette]:
    datasette = make_datasette(archive_path)
    await datasette.invoke_startup()
    yield datasette


def newest_first(path: Path, word: str) -> list[int]:
    return [r[0] for r in sql(path, "select id from entries where id in (select rowid from entries_fts where "
                                    "entries_fts match ?) order by published_at desc, id desc", word)]


# -- the ranked search: the newest matches ------------------------------------------------------------------


async def small_window(path: Path, window: int) -> Datasette:
    """The archive's Datasette with the search query's window of newest matches made `window` (20,000 in the
    shipped query would need 20,000 matching rows in a test)."""
    metadata = archive_metadata(path)
    query = metadata["databases"][path.stem]["queries"]["search"]
    assert query["sql"].count("limit 20000") == 1 and "20,000" in query["description_html"]
    query["sql"] = query["sql"].replace("limit 20000", f"limit {window}")
    make_datasette(path)  # registers the plugin
    datasette = Datasette([str(path)], metadata=metadata, settings=SETTINGS)
    await datasette.invoke_startup()
    return datasette


async def test_search_ranks_the_newest_matches(archive_path: Path) -> None:
    datasette = await small_window(archive_path, 100)
    rows = await get_json(datasette, "/archive/search.json?q=gemeinsam&_shape=array")
    newest = [r[0] for r in sql(archive_path, "select rowid from entries_fts where entries_fts match 'gemeinsam' "
                                              "order by rowid desc limit 100")]
    assert len(rows) == 100 and {r["article_id"] for r in rows} == set(newest)
    assert [r["rank"] for r in rows] == list(range(1, 101))
    # all=1 ranks every match: the strongest (oldest) ones come first
    everything = await get_json(datasette, "/archive/search.json?q=gemeinsam&all=1&_shape=array")
    assert len(everything) == 100 and {r["article_id"] for r in everything[:STRONG]} == set(range(1, STRONG + 1))
    # a date range ranks every match in it
    first = published(0)[:10]
    dated = await get_json(datasette, f"/archive/search.json?q=gemeinsam&since={first}&until={first}&_shape=array")
    assert dated[0]["article_id"] == 1 and all(r["published_at"].startswith(first) for r in dated)
    # a rare word has fewer matches than the window: all of them, best first
    rare = await get_json(datasette, "/archive/search.json?q=xylograph&_shape=array")
    assert sorted(r["article_id"] for r in rare) == list(RARE_IDS)


async def test_shipped_search_ranks_everything_below_the_window(ds: Datasette) -> None:
    rows = await get_json(ds, "/archive/search.json?q=gemeinsam&_shape=array")
    assert {r["article_id"] for r in rows[:STRONG]} == set(range(1, STRONG + 1))  # 1,200 matches < 20,000
    html = (await ds.client.get("/archive/search?q=gemeinsam")).text
    assert "newest 20,000 matches" in html


async def test_search_page_links_to_every_match(ds: Datasette) -> None:
    html = (await ds.client.get("/archive/search?q=gemeinsam%20%C3%BCber&since=&until=")).text
    links = dict((label, url.replace("&amp;", "&")) for url, label in re.findall(
        r'<a href="([^"]+)">([^<]+)</a>', html.split('class="archive-search-more"')[1].split("</p>")[0]))
    assert links["newest first, in the entries table"] == "/archive/entries?_search=gemeinsam+%C3%BCber"
    ranked = await ds.client.get(links["rank them all"])
    assert ranked.status_code == 200 and "all=1" in links["rank them all"] and "q=gemeinsam+%C3%BCber" in links[
        "rank them all"]
    assert "rank them all" not in ranked.text  # already every match
    dated = (await ds.client.get("/archive/search?q=gemeinsam&since=2025-01-01&until=")).text
    assert "rank them all" not in dated and "newest first, in the entries table" in dated


# -- the entries table's search -----------------------------------------------------------------------------


async def test_table_search_walks_the_date_index_for_many_matches(ds: Datasette, archive_path: Path) -> None:
    data = await get_json(ds, "/archive/entries.json?_search=gemeinsam&_col=published_at&_size=50")
    assert "+id in (select rowid from entries_fts" in data["query"]["sql"]
    plan = " ".join(r[3] for r in sql(archive_path, "explain query plan " + data["query"]["sql"], "gemeinsam"))
    assert "idx_entries_published_at" in plan and "TEMP B-TREE" not in plan, plan
    expected = newest_first(archive_path, "gemeinsam")
    assert [r[0] for r in data["rows"]] == expected[:50]
    # the next page continues where the first stopped
    page2 = await get_json(ds, "/archive/entries.json?_search=gemeinsam&_col=published_at&_size=50"
                               f"&_next={data['next']}")
    assert [r[0] for r in page2["rows"]] == expected[50:100]
    # ascending dates use the index too; other sorts and few matches keep Datasette's own query
    ascending = await get_json(ds, "/archive/entries.json?_search=gemeinsam&_sort=published_at&_size=3")
    assert "+id in" in ascending["query"]["sql"]
    by_title = await get_json(ds, "/archive/entries.json?_search=gemeinsam&_sort=title&_size=3")
    assert "+id in" not in by_title["query"]["sql"] and "id in (select rowid" in by_title["query"]["sql"]
    rare = await get_json(ds, "/archive/entries.json?_search=xylograph&_shape=objects")
    assert "+id in" not in rare["query"]["sql"]
    assert [r["id"] for r in rare["rows"]] == newest_first(archive_path, "xylograph")


async def test_table_search_with_other_filters_and_bad_syntax(ds: Datasette, archive_path: Path) -> None:
    feed = sql(archive_path, "select feed_id from entries where id = 1")[0][0]
    rows = await get_json(ds, f"/archive/entries.json?_search=gemeinsam&feed_id={feed}&_shape=array&_size=20")
    expected = [r[0] for r in sql(archive_path, "select id from entries where feed_id = ? and id in (select rowid "
                                                "from entries_fts where entries_fts match 'gemeinsam') "
                                                "order by published_at desc, id desc limit 20", feed)]
    assert [r["id"] for r in rows] == expected
    # A search FTS5 cannot read runs as its words (web/searchquery.py), with a plain message, no SQL error.
    broken = await ds.client.get("/archive/entries?_search=%22unclosed")
    assert broken.status_code == 200 and "unterminated string" not in broken.text


async def test_table_search_counts_up_to_a_limit(ds: Datasette, archive_path: Path) -> None:
    html = (await ds.client.get("/archive/entries?_search=gemeinsam")).text
    counted = re.search(r'class="archive-search-count">([^<]+)<a href="([^"]+)"', html)
    assert counted and "1,200 articles match the search" in counted.group(1), html[:2000]
    assert "1,200 rows" not in html  # Datasette's own count of every match is not run
    exact = (await ds.client.get(counted.group(2).replace("&amp;", "&"))).text
    assert "1,200 rows where search matches" in exact and 'class="archive-search-count"' not in exact
    # the JSON API: counted only on request, as Datasette 1.0 does
    assert (await get_json(ds, "/archive/entries.json?_search=xylograph"))["filtered_table_rows_count"] is None
    asked = await get_json(ds, "/archive/entries.json?_search=xylograph&_count=1")
    assert asked["filtered_table_rows_count"] == len(RARE_IDS)
    one = (await ds.client.get("/archive/entries?_search=xylograph%20NOT%20gemeinsam")).text
    assert "0 articles match the search" in one
    # with other filters the FTS count would not be theirs: none shown
    filtered = (await ds.client.get("/archive/entries?_search=gemeinsam&language=de")).text
    assert 'class="archive-search-count"' not in filtered
    # without a search the list does not count (a walk of the whole table, the part of the page that grows with
    # the archive); Datasette's count is one click away
    plain = (await ds.client.get("/archive/entries")).text
    assert f"{ROWS + 1:,} rows" not in plain and 'href="/archive/entries?_count=1"' in plain
    assert f"{ROWS + 1:,} rows" in (await ds.client.get("/archive/entries?_count=1")).text


# -- facets on request ------------------------------------------------------------------------------------


async def test_entries_page_runs_no_facet_queries(ds: Datasette) -> None:
    page = await get_json(ds, "/archive/entries.json?_search=gemeinsam&_size=1")
    assert page["facet_results"] == {}
    asked = await get_json(ds, "/archive/entries.json?_search=gemeinsam&_size=1&_facet=language&_facet_month=published_at")
    assert {v["value"]: v["count"] for v in asked["facet_results"]["language"]["results"]} == {"de": 600, "en": 600}
    assert sum(v["count"] for v in asked["facet_results"]["published_at"]["results"]) == ROWS


# -- the database page's row counts ---------------------------------------------------------------------


async def test_database_page_counts_hidden_tables_only_up_to_a_bound(ds: Datasette, archive_path: Path) -> None:
    tables = {t["name"]: t for t in (await get_json(ds, "/archive.json?_show_hidden=1"))["tables"]}
    # visible tables: Datasette's exact count
    assert tables["entries"]["count"] == ROWS + 1 and not tables["entries"]["hidden"]
    assert tables["feeds"]["count"] == 2
    # the search index's internals: exact while small, "Many rows" past the bound (no full b-tree walk)
    docsize = sql(archive_path, "select count(*) from entries_fts_docsize")[0][0]
    assert docsize > HIDDEN_COUNT_LIMIT and tables["entries_fts_docsize"]["hidden"]
    assert tables["entries_fts_docsize"]["count"] is None
    assert tables["entries_fts_config"]["count"] == sql(archive_path, "select count(*) from entries_fts_config")[0][0]
    assert "Many rows" in (await ds.client.get("/archive?_show_hidden=1")).text


# -- articles per day, on the date indexes ----------------------------------------------------------------


async def test_articles_per_day_counts_dated_and_undated_entries(ds: Datasette, archive_path: Path) -> None:
    first_seen = sql(archive_path, "select first_seen_at from entries where guid = 'undated'")[0][0]
    # the 30 days up to the newest article: the undated one, first seen today
    newest = await get_json(ds, "/archive/articles_per_day.json?_shape=array")
    assert [(r["day"], r["articles"]) for r in newest] == [(first_seen[:10], 1)]
    dated = await get_json(ds, "/archive/articles_per_day.json?since=2025-01-01&until=2025-12-31&_shape=array")
    assert sum(r["articles"] for r in dated) == ROWS
    expected = dict(sql(archive_path, "select substr(published_at, 1, 10), count(*) from entries "
                                      "where published_at is not null group by 1"))
    by_day: dict[str, int] = {}
    for r in dated:
        by_day[r["day"]] = by_day.get(r["day"], 0) + r["articles"]
    assert by_day == expected
    plan = " ".join(r[3] for r in sql(archive_path, "explain query plan " + archive_metadata(archive_path)[
        "databases"]["archive"]["queries"]["articles_per_day"]["sql"], "", ""))
    assert "idx_entries_published_at" in plan and "SCAN e" not in plan, plan
