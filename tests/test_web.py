"""The archive in Datasette, through Datasette's own test client, over an archive the pipeline built from the
local news site: canned queries, the search box, facets, the article view, redaction and safe defaults."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from conftest import write_config
from datasette.app import Datasette

from aggregator.api import poll_once
from aggregator.demo.site import NewsSite
from aggregator.store import Archive
from aggregator.web.app import SETTINGS, make_datasette
from aggregator.web.article import wrap_orphan_items
from aggregator.web.health import entries_sparkline, feed_days, polls_sparkline, relative

GERMAN = "newsportal-nachrichten.rss20"  # holds the seed article, with archived previous/next neighbours
ENGLISH = "harbour-times-news.atom10"
SECRETS = ("hunter2pass", "tok-SECRET-4711", "sig-SECRET-0815", "apikey-SECRET-42")
PRIVATE_URL = "https://reader:hunter2pass@private.example/feed.xml?token=tok-SECRET-4711&lang=de"
PRIVATE_FINAL_URL = "https://cdn.private.example/feed.xml?lang=de&sig=sig-SECRET-0815"
PRIVATE_CONFIG_URL = "https://private.example/feed.xml?api_key=apikey-SECRET-42"
HOSTILE_HTML = (
    '<p>Harmless text about a flood.</p><script>alert("stored")</script>'
    '<img src="x" onerror="alert(1)"><a href="javascript:alert(2)">click</a>'
    '<iframe src="https://evil.example/"></iframe><p style="position:fixed">styled</p>'
)


@dataclass
class Built:
    path: Path
    site: NewsSite
    seed_id: int
    previous_id: int
    next_id: int
    private_feed_id: int
    hostile_id: int
    german_feed_id: int
    english_feed_id: int


def build_archive(site: NewsSite, tmp: Path) -> Built:
    """Poll a German and an English feed of the local site into a fresh archive, then add a private feed
    with credentials in its URLs and an entry with unsanitised stored HTML. Also used by the browser test."""
    path = tmp / "archive.db"
    config = write_config(tmp / "feeds.yaml", [site.feed_urls[GERMAN], site.feed_urls[ENGLISH]])
    archive = Archive(path)
    try:
        reports = asyncio.run(poll_once(config, archive))
        assert all(r.error is None for r in reports), reports
        db = archive.db
        with db.conn:
            # A private feed whose URLs carry credentials, as the poller would have stored them.
            db["feeds"].insert(
                {
                    "url": PRIVATE_URL, "config_url": PRIVATE_CONFIG_URL, "title": "Private feed", "active": 1,
                    "error_count": 2, "last_status": 401,
                    "last_error": f"HTTP 401 from {PRIVATE_URL}", "last_polled_at": "2025-02-16T10:00:00Z",
                }
            )
            private_feed_id = db.execute("select id from feeds where url = ?", [PRIVATE_URL]).fetchone()[0]
            db["polls"].insert(
                {
                    "feed_id": private_feed_id, "started_at": "2025-02-16T10:00:00Z", "duration_ms": 12,
                    "http_status": 401, "final_url": PRIVATE_FINAL_URL, "error": f"HTTP 401 from {PRIVATE_FINAL_URL}",
                }
            )
            # An entry whose stored HTML was never sanitised (an older version, another tool, a hand edit):
            # the article view must sanitise it again.
            db["entries"].insert(
                {
                    "feed_id": private_feed_id, "guid": "hostile-1", "url": "https://private.example/flood",
                    "title": "Hostile markup test", "published_at": "2024-12-01T08:00:00Z",
                    "first_seen_at": "2024-12-01T08:00:00Z", "content_html": HOSTILE_HTML,
                    "full_text": 'Harmless text about a flood. Quoted: <script>alert("text")</script>',
                    "full_text_source": "feed", "language": "en",
                }
            )
            hostile_id = db.execute("select id from entries where guid = 'hostile-1'").fetchone()[0]
        seed = site.seed_article
        row = db.execute(
            "select id, previous_id, next_id from entries where url = ? or canonical_url = ?", [seed.url, seed.url]
        ).fetchone()
        with db.conn:
            # The seed story syndicated to the private feed, marked as a copy (as dedupe would).
            db.execute(
                "insert into entries (feed_id, guid, url, title, published_at, first_seen_at, full_text, "
                "full_text_source, language, duplicate_of) select ?, 'copy-1', 'https://private.example/copy', "
                "title, '2025-02-12T21:00:00Z', first_seen_at, full_text, 'page', 'de', id from entries where id = ?",
                [private_feed_id, row[0]],
            )
        feed_ids = {
            name: db.execute("select id from feeds where config_url = ?", [site.feed_urls[name]]).fetchone()[0]
            for name in (GERMAN, ENGLISH)
        }
    finally:
        archive.close()
    assert row[1] is not None and row[2] is not None, "the seed article's neighbours should be archived"
    return Built(path, site, row[0], row[1], row[2], private_feed_id, hostile_id, feed_ids[GERMAN], feed_ids[ENGLISH])


@pytest.fixture(scope="module")
def built(site: NewsSite, tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_archive(site, tmp_path_factory.mktemp("web"))


@pytest.fixture
async def ds(built: Built) -> AsyncIterator[Datasette]:
    datasette = make_datasette(built.path)
    await datasette.invoke_startup()
    yield datasette


def sql(path: Path, query: str, *params: object) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(query, params).fetchall()


async def get_json(ds: Datasette, path: str) -> object:
    response = await ds.client.get(path)
    assert response.status_code == 200, (path, response.text[:500])
    return response.json()


def assert_no_secret(response: httpx.Response) -> None:
    for secret in SECRETS:
        assert secret not in response.text, (str(response.url), secret)


# -- the instance ------------------------------------------------------------------------------------------


async def test_plugins_and_settings(ds: Datasette) -> None:
    plugins = {p["name"] for p in await get_json(ds, "/-/plugins.json")}
    assert {"aggregator", "datasette-search-all", "datasette-block-robots"} <= plugins
    settings = await get_json(ds, "/-/settings.json")
    assert settings["sql_time_limit_ms"] == SETTINGS["sql_time_limit_ms"] == 3000
    assert settings["allow_download"] is False
    metadata = await get_json(ds, "/-/metadata.json")
    assert metadata["title"] == "aggregator feed archive"
    assert "archive" in metadata["databases"]  # templated on the file's stem


async def test_index_shows_description_and_canned_queries(ds: Datasette) -> None:
    response = await ds.client.get("/archive")
    assert response.status_code == 200
    for name in ("latest", "search", "feed_articles", "chain", "feed_health", "articles_per_day"):
        assert f'href="/archive/{name}"' in response.text, name
    assert "Latest articles" in response.text and "Feed health" in response.text


async def test_sql_box_starts_with_a_query_over_the_articles(ds: Datasette) -> None:
    html = (await ds.client.get("/archive")).text
    sql = html.split('<textarea id="sql-editor" name="sql">', 1)[1].split("</textarea>", 1)[0]
    assert sql.startswith("select id, title, published_at") and "from entries" in sql
    assert "backfill_failures" not in sql
    rows = await get_json(ds, "/archive.json?" + urlencode({"sql": sql, "_shape": "array"}))
    assert len(rows) == 20 and rows[0]["published_at"] >= rows[-1]["published_at"]
    assert '<label for="sql-editor"' in html
    assert 'href="/archive/pages"' not in html  # hidden, like the search index's tables


async def test_internal_tables_hidden(ds: Datasette) -> None:
    tables = {t["name"]: t for t in (await get_json(ds, "/archive.json"))["tables"]}
    for name in ("entries_fts", "entries_fts_data", "entries_fts_idx", "entries_fts_docsize", "entries_fts_config",
                 "schema_migrations", "pages", "simhash_bands"):
        assert tables[name]["hidden"], name
    for name in ("entries", "feeds", "polls", "tags", "entry_tags", "enclosures"):
        assert not tables[name]["hidden"], name
    assert tables["entries"]["fts_table"] == "entries_fts"


async def test_label_columns_expand_foreign_keys(ds: Datasette, built: Built) -> None:
    data = await get_json(ds, f"/archive/entries.json?_labels=on&_shape=array&id={built.seed_id}")
    assert data[0]["feed_id"] == {"value": built.german_feed_id, "label": "Nachrichten – Newsportal"}
    data = await get_json(ds, "/archive/entry_tags.json?_labels=on&_shape=array&_size=1")
    assert set(data[0]["tag_id"]) == {"value", "label"} and isinstance(data[0]["entry_id"]["label"], str)


# -- the search box ----------------------------------------------------------------------------------------


async def test_search_box_finds_german_word_newest_first(ds: Datasette, built: Built) -> None:
    response = await ds.client.get("/archive/entries?_search=Insolvenz")
    assert response.status_code == 200
    assert 'name="_search"' in response.text and 'value="Insolvenz"' in response.text
    data = await get_json(ds, "/archive/entries.json?_search=Insolvenz&_shape=objects")
    rows = data["rows"]
    assert len(rows) >= 3 and all("Insolvenz" in (r["title"] + r["full_text"]) for r in rows)
    dates = [r["published_at"] for r in rows]
    assert dates == sorted(dates, reverse=True)  # newest first by default
    seed = await get_json(ds, "/archive/entries.json?_search=Verhandlungen&_shape=array")
    assert built.seed_id in {r["id"] for r in seed}


async def test_search_box_takes_raw_fts_syntax(ds: Datasette) -> None:
    both = await get_json(ds, "/archive/entries.json?_search=Insolvenz&_shape=array&_col=title")
    without = await get_json(ds, "/archive/entries.json?_search=Insolvenz%20NOT%20G%C3%B6rlitzer&_shape=array&_col=title")
    assert 0 < len(without) < len(both) and not any("Görlitzer" in r["title"] for r in without)
    titles = await get_json(ds, "/archive/entries.json?_search=title:Inflation&_shape=array&_col=title")
    assert titles and all("Inflation" in r["title"] for r in titles)
    prefix = await get_json(ds, "/archive/entries.json?_search=Verhandl*&_shape=array")
    assert prefix
    # diacritics folded: "beschaftigte" finds "Beschäftigte"
    folded = await get_json(ds, "/archive/entries.json?_search=beschaftigte&_shape=array&_col=title")
    assert any("Beschäftigte" in r["title"] for r in folded)


async def test_search_box_titles_link_to_article_view(ds: Datasette, built: Built) -> None:
    response = await ds.client.get("/archive/entries?_search=Verhandlungen")
    assert f'href="/archive/article/{built.seed_id}"' in response.text


# -- facets ------------------------------------------------------------------------------------------------


FACETS = "_facet=feed_id&_facet_tags=id&_facet=language&_facet=author&_facet_month=published_at"


async def test_facets_on_request(ds: Datasette, built: Built) -> None:
    # Not computed on every view of a big archive; the page offers them (see test_facets_render_in_html).
    assert (await get_json(ds, "/archive/entries.json?_size=0"))["facet_results"] == {}
    data = await get_json(ds, f"/archive/entries.json?_size=0&{FACETS}")
    facets = data["facet_results"]
    assert {"feed_id", "language", "author", "published_at", "tags"} <= set(facets)
    feeds = {v["label"]: v["count"] for v in facets["feed_id"]["results"]}
    assert feeds["Nachrichten – Newsportal"] == 10 and feeds["News – The Harbour Times"] == 10
    assert {v["value"]: v["count"] for v in facets["language"]["results"]} == {"de": 11, "en": 11}
    assert facets["author"]["results"] and all(v["count"] >= 1 for v in facets["author"]["results"])
    assert facets["published_at"]["type"] == "month"
    months = {v["value"]: v["count"] for v in facets["published_at"]["results"]}
    assert months == {"2025-02": 21, "2024-12": 1}
    assert facets["tags"]["type"] == "tags"
    tags = {v["value"]: v["count"] for v in facets["tags"]["results"]}
    expected = dict(sql(built.path, "select t.name, count(*) from entry_tags et join tags t on t.id = et.tag_id "
                                    "group by t.name order by count(*) desc limit 30"))
    assert tags == expected


async def test_month_facet_selects_a_month(ds: Datasette) -> None:
    data = await get_json(ds, "/archive/entries.json?_size=0&_facet_month=published_at")
    month = next(v for v in data["facet_results"]["published_at"]["results"] if v["value"] == "2024-12")
    # a date range, which the published_at index serves (startswith would be a LIKE scanning every row)
    assert "published_at__gte=2024-12&published_at__lt=2025-01" in month["toggle_url"]
    chosen = await get_json(ds, month["toggle_url"].removeprefix("http://localhost").replace("_size=0", "_shape=objects"))
    assert [r["title"] for r in chosen["rows"]] == ["Hostile markup test"]
    selected = [v for v in chosen["facet_results"]["published_at"]["results"] if v["selected"]]
    assert [v["value"] for v in selected] == ["2024-12"]
    assert "published_at__" not in selected[0]["toggle_url"]  # unselecting removes the range
    older = await get_json(ds, "/archive/entries.json?published_at__startswith=2024-12&_facet_month=published_at")
    assert [v["value"] for v in older["facet_results"]["published_at"]["results"] if v["selected"]] == ["2024-12"]
    # and on demand, for any date column
    polled = await get_json(ds, "/archive/polls.json?_facet_month=started_at&_size=0")
    assert polled["facet_results"]["started_at"]["results"]


async def test_tags_facet_filters_and_combines(ds: Datasette, built: Built) -> None:
    data = await get_json(ds, "/archive/entries.json?_size=0&_facet_tags=id")
    politik = next(v for v in data["facet_results"]["tags"]["results"] if v["value"] == "Politik")
    assert "_tag=Politik" in politik["toggle_url"]
    tagged = await get_json(ds, "/archive/entries.json?_tag=Politik&_shape=objects&_size=100&_facet_tags=id")
    expected = {r[0] for r in sql(built.path, "select et.entry_id from entry_tags et join tags t on t.id = et.tag_id "
                                              "where t.name = 'Politik'")}
    assert {r["id"] for r in tagged["rows"]} == expected and expected
    assert 'tagged "Politik"' in tagged["human_description_en"]
    assert [v["value"] for v in tagged["facet_results"]["tags"]["results"] if v["selected"]] == ["Politik"]
    # several tags: entries carrying all of them; with search too
    both = await get_json(ds, "/archive/entries.json?_tag=Politik&_tag=Nachrichten&_search=Trump&_shape=array")
    assert both and {r["id"] for r in both} <= expected


def facet_links(html: str) -> dict[str, str]:
    """label -> URL of the page's "Facet by" links."""
    if 'class="archive-facet-links"' not in html:
        return {}
    part = html.split('class="archive-facet-links"')[1].split("</p>")[0]
    return {label: url.replace("&amp;", "&") for url, label in re.findall(r'<a href="([^"]+)">([^<]+)</a>', part)}


async def test_facets_render_in_html(ds: Datasette) -> None:
    searched = facet_links((await ds.client.get("/archive/entries?_search=Verhandlungen&feed_id=1")).text)
    assert set(searched) == {"feed", "tag", "language", "author", "month", "all of them"}
    assert all("_search=Verhandlungen" in url and "feed_id=1" in url for url in searched.values())
    links = facet_links((await ds.client.get("/archive/entries")).text)
    response = await ds.client.get(links["all of them"])
    assert response.status_code == 200
    assert facet_links(response.text) == {}  # facets already shown are not offered again
    for heading in ("feed_id", "language", "author", "published_at", "tags"):
        assert f'data-column="{heading}"' in response.text, heading
    assert "Nachrichten – Newsportal" in response.text and "2025-02" in response.text


# -- canned queries ----------------------------------------------------------------------------------------


async def test_latest(ds: Datasette) -> None:
    rows = await get_json(ds, "/archive/latest.json?_shape=array")
    assert len(rows) == 21  # 22 entries, one a copy of another story
    assert "https://private.example/copy" not in {r["link"] for r in rows}
    dates = [r["published_at"] for r in rows]
    assert dates == sorted(dates, reverse=True)
    assert {"article_id", "title", "feed", "published_at", "link", "summary"} <= set(rows[0])
    assert not [c for c in rows[0] if c.startswith("atom_")]  # the Atom feed reads its fields by article id
    html = (await ds.client.get("/archive/latest")).text
    assert f'href="/archive/article/{rows[0]["article_id"]}"' in html
    atom = await ds.client.get("/archive/latest.atom")
    assert atom.status_code == 200 and atom.text.count("<entry>") == 21 and "<title>Latest articles</title>" in atom.text


async def test_search_query_ranks_highlights_and_limits_dates(ds: Datasette, built: Built) -> None:
    rows = await get_json(ds, "/archive/search.json?q=Verhandlungen&_shape=array")
    assert rows and rows[0]["rank"] == 1 and [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert built.seed_id in {r["article_id"] for r in rows}
    assert "Private feed" not in {r["feed"] for r in rows}  # the copy of the seed story is left out
    assert all("<mark>Verhandlungen</mark>" in r["snippet"] for r in rows)
    html = (await ds.client.get("/archive/search?q=Verhandlungen")).text
    assert "<mark>Verhandlungen</mark>" in html  # rendered as a highlight, the rest escaped
    assert f'href="/archive/article/{built.seed_id}"' in html
    assert "<title>Search articles – archive</title>" in html
    # date range: the seed was published 2025-02-12
    inside = await get_json(ds, "/archive/search.json?q=Verhandlungen&since=2025-02-12&until=2025-02-12&_shape=array")
    assert built.seed_id in {r["article_id"] for r in inside}
    assert all(r["published_at"].startswith("2025-02-12") for r in inside)
    outside = await get_json(ds, "/archive/search.json?q=Verhandlungen&since=2025-02-13&_shape=array")
    assert built.seed_id not in {r["article_id"] for r in outside}
    # empty query: a form, no error; raw FTS syntax and folded umlauts work here too
    assert await get_json(ds, "/archive/search.json?q=&_shape=array") == []
    folded = await get_json(ds, "/archive/search.json?q=uberschwemmung%20OR%20beschaftigte&_shape=array")
    assert folded


async def test_search_query_escapes_article_text(ds: Datasette) -> None:
    html = (await ds.client.get("/archive/search?q=flood")).text
    assert "<mark>flood</mark>" in html
    assert "&lt;script&gt;alert(" in html and "<script>alert(" not in html


async def test_search_as_atom_feed(ds: Datasette) -> None:
    atom = await ds.client.get("/archive/search.atom?q=Insolvenz")
    assert atom.status_code == 200 and "<entry>" in atom.text
    # Titled with the search, so that several subscribed searches can be told apart; the entries keep theirs.
    assert atom.text.count("<title>Search articles: Insolvenz</title>") == 1
    assert "&lt;mark" not in atom.text  # plain-text snippets in the feed
    quoted = await ds.client.get("/archive/search.atom?" + urlencode({"q": '"Görlitzer Gießerei" OR "R&D <x>"'}))
    assert "<title>Search articles: \"Görlitzer Gießerei\" OR \"R&amp;D &lt;x&gt;\"</title>" in quoted.text
    assert quoted.status_code == 200 and "<entry>" in quoted.text
    empty = await ds.client.get("/archive/search.atom?q=xylophonorchester")
    assert empty.status_code == 200 and "<feed" in empty.text and "<entry>" not in empty.text
    assert "<title>Search articles: xylophonorchester</title>" in empty.text


async def test_feed_articles(ds: Datasette, built: Built) -> None:
    rows = await get_json(ds, f"/archive/feed_articles.json?feed={built.english_feed_id}&_shape=array")
    assert len(rows) == 10 and {r["feed"] for r in rows} == {"News – The Harbour Times"}
    assert [r["published_at"] for r in rows] == sorted((r["published_at"] for r in rows), reverse=True)
    html = (await ds.client.get(f"/archive/feed_articles?feed={built.english_feed_id}")).text
    assert f'href="/archive/article/{rows[0]["article_id"]}"' in html


async def test_chain_follows_both_directions(ds: Datasette, built: Built) -> None:
    rows = await get_json(ds, f"/archive/chain.json?id={built.seed_id}&_shape=array")
    positions = [r["position"] for r in rows]
    assert positions == sorted(positions) and 0 in positions
    by_position = {r["position"]: r for r in rows}
    assert by_position[0]["article_id"] == built.seed_id
    assert by_position[-1]["article_id"] == built.previous_id
    assert by_position[1]["article_id"] == built.next_id
    archived = [r for r in rows if r["status"] == "archived"]
    assert len(archived) == 10  # the whole German window is one chain
    dates = [r["published_at"] for r in archived]
    assert dates == sorted(dates)  # older to newer
    # where the chain leaves the archive, the linked page is named
    ends = [r for r in rows if r["status"] != "archived"]
    assert ends and all(r["article_id"] is None and r["link"].startswith("http") for r in ends)
    # from either end, the same chain
    oldest = archived[0]["article_id"]
    again = await get_json(ds, f"/archive/chain.json?id={oldest}&_shape=array")
    assert [r["article_id"] for r in again if r["status"] == "archived"] == [r["article_id"] for r in archived]


async def test_feed_health(ds: Datasette, built: Built) -> None:
    response = await ds.client.get("/archive/feed_health.json?_shape=array")
    assert_no_secret(response)
    rows = response.json()
    assert rows[0]["feed_id"] == built.private_feed_id and rows[0]["health"] == "failing"
    assert rows[0]["url"] == "https://***@private.example/feed.xml?token=***&lang=de"
    assert rows[0]["last_error"] == "HTTP 401 from https://***@private.example/feed.xml?token=***&lang=de"
    healthy = {r["feed"]: r for r in rows[1:]}
    assert healthy["Nachrichten – Newsportal"]["health"] == "ok" and healthy["Nachrichten – Newsportal"]["entries"] == 10
    assert healthy["News – The Harbour Times"]["polls_24h"] == 1


async def test_feed_health_at_a_glance(ds: Datasette, built: Built) -> None:
    response = await ds.client.get("/archive/feed_health")
    assert response.status_code == 200
    assert_no_secret(response)
    html = response.text
    glance = html.split('<section class="feed-glance"', 1)[1].split("</section>", 1)[0]
    items = re.findall(r'<li class="feed-glance-item health-([a-z-]+)" id="feed-(\d+)">', glance)
    # Worst first, as the query orders them: the failing private feed, then the two healthy ones.
    assert items[0] == ("failing", str(built.private_feed_id))
    assert {int(i) for _, i in items[1:]} == {built.german_feed_id, built.english_feed_id}
    assert [h for h, _ in items[1:]] == ["ok", "ok"]
    assert glance.count('<svg class="sparkline entries"') == glance.count('<svg class="sparkline polls"') == 3
    german = glance.split(f'id="feed-{built.german_feed_id}">', 1)[1].split("</li>", 1)[0]
    # Polled today without an error, its 10 entries first seen today: the last day of both sparklines.
    assert re.search(r'<rect class="ok" [^>]*><title>\d{4}-\d\d-\d\d: 1 polls, 0 failed</title></rect></svg>', german)
    assert "10 new</title></rect></svg>" in german and "New entries per day, last 30 days: 10 in all" in german
    assert "Next poll <time" in german
    private = glance.split(f'id="feed-{built.private_feed_id}">', 1)[1].split("</li>", 1)[0]
    assert "2 failed polls in a row: HTTP 401 from https://***@private.example/feed.xml?token=***&amp;lang=de" in private
    assert "Next poll not scheduled yet" in private
    assert "<script" not in glance


async def test_feed_days_counts_entries_and_poll_outcomes(ds: Datasette, built: Built) -> None:
    # The private feed's one poll, on 2025-02-16, failed with HTTP 401.
    days = await feed_days(ds, "archive", today=date(2025, 2, 16))
    assert days[built.private_feed_id].polls == {date(2025, 2, 16): (1, 1)}
    spark = polls_sparkline(days[built.private_feed_id].polls, date(2025, 2, 16))
    assert spark.count('class="none"') == 29 and spark.count('class="failed"') == 1
    assert 'aria-label="Polls per day, last 30 days: 1 every poll failed, 29 no poll"' in spark
    today = datetime.now(UTC).date()
    now = await feed_days(ds, "archive")
    assert now[built.german_feed_id].entries == {today: 10} and now[built.german_feed_id].polls == {today: (1, 0)}


def test_sparklines_draw_each_outcome_and_scale_to_the_busiest_day() -> None:
    today = date(2026, 3, 31)
    polls = {today: (4, 0), today - timedelta(days=1): (4, 1), today - timedelta(days=2): (2, 2)}
    svg = polls_sparkline(polls, today)
    kinds = re.findall(r'<rect class="(\w+)"', svg)
    assert len(kinds) == 30 and kinds[-3:] == ["failed", "some", "ok"] and set(kinds[:-3]) == {"none"}
    # Heights differ as well as colours, so the outcome reads without colour vision.
    heights = {k: re.search(rf'class="{k}" [^>]*height="(\d+)"', svg).group(1) for k in ("none", "ok", "some", "failed")}
    assert len(set(heights.values())) == 4
    entries = entries_sparkline({today: 6, today - timedelta(days=29): 3, today - timedelta(days=30): 99}, today)
    bars = [float(h) for h in re.findall(r'height="([\d.]+)" fill="#0072B2"', entries)]
    assert bars == [14.0, 28.0]  # the 31st day back is outside the window
    assert "9 in all, at most 6 a day" in entries
    assert "<svg" in entries_sparkline({}, today) and "0 in all" in entries_sparkline({}, today)


def test_orphan_list_items_are_put_in_a_list() -> None:
    html = "<p>Three points:</p>\n<li>one</li><li>two &amp; more</li>\n<p>After.</p><ol><li>kept</li></ol><li>x</li>tail"
    assert wrap_orphan_items(html) == (
        "<p>Three points:</p>\n<ul><li>one</li><li>two &amp; more</li>\n</ul><p>After.</p><ol><li>kept</li></ol>"
        "<ul><li>x</li></ul>tail"
    )
    untouched = "<ul><li>a</li></ul><p>b</p>"
    assert wrap_orphan_items(untouched) is untouched


def test_relative_times() -> None:
    now = datetime(2026, 3, 31, 11, 48, tzinfo=UTC)
    assert relative("2026-03-31T12:00:00Z", now) == "in 12 min"
    assert relative("2026-03-31T08:30:00Z", now) == "3 h ago"
    assert relative("2026-03-27T11:48:00Z", now) == "4 days ago"
    assert relative("2026-03-31T11:48:30Z", now) == "now"
    assert relative("not a time", now) == ""


async def test_articles_per_day_chart(ds: Datasette, built: Built) -> None:
    rows = await get_json(ds, "/archive/articles_per_day.json?_shape=array")
    assert sum(r["articles"] for r in rows) == 21  # the 30 days up to the newest article; not the 2024 one
    assert {r["feed"] for r in rows} == {"Nachrichten – Newsportal", "News – The Harbour Times", "Private feed"}
    html = (await ds.client.get("/archive/articles_per_day")).text
    svg = html.split('<figure class="archive-chart" tabindex="0">', 1)[1].split("</figure>", 1)[0]
    assert svg.startswith("<svg") and svg.count("<rect") >= len(rows)
    assert "Nachrichten – Newsportal (10)" in svg and "News – The Harbour Times (10)" in svg
    assert "<script" not in svg and "http://" not in svg.replace("http://www.w3.org/2000/svg", "")
    image = await ds.client.get("/archive/articles_per_day.svg?since=2024-12-01")
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/svg+xml")
    assert "22 articles" in image.text
    # a query without day/articles columns gets no chart
    assert '<figure class="archive-chart">' not in (await ds.client.get("/archive/latest")).text


# -- the article view --------------------------------------------------------------------------------------


async def test_article_view(ds: Datasette, built: Built) -> None:
    seed = built.site.seed_article
    response = await ds.client.get(f"/archive/article/{built.seed_id}")
    assert response.status_code == 200
    html = response.text
    assert f'<h1 id="article-title">{seed.title}</h1>' in html
    for paragraph in seed.paragraphs[:3]:
        assert paragraph.split("„")[0][:40] in html
    assert f'href="{seed.url}"' in html and "Read the original" in html
    assert re.search(rf'rel="prev"\s+href="/archive/article/{built.previous_id}" id="previous"', html)
    assert re.search(rf'rel="next"\s+href="/archive/article/{built.next_id}" id="next"', html)
    previous_title = sql(built.path, "select title from entries where id = ?", built.previous_id)[0][0]
    assert previous_title in html
    assert "Redaktion" in html and "2025-02-12" in html and 'lang="de"' in html
    assert 'href="/archive/entries?_tag=' in html  # tags link to the filtered table
    assert f'href="/archive/chain?id={built.seed_id}"' in html
    copy_id = sql(built.path, "select id from entries where guid = 'copy-1'")[0][0]
    assert f'<a class="copy" href="/archive/article/{copy_id}">Private feed</a>' in html
    copy = (await ds.client.get(f"/archive/article/{copy_id}")).text  # and back from the copy
    assert f'<a class="copy" href="/archive/article/{built.seed_id}">Nachrichten – Newsportal</a>' in copy


async def test_article_view_links_unarchived_neighbour_to_original(ds: Datasette, built: Built) -> None:
    oldest_id, previous_url, previous_title = sql(
        built.path,
        "select id, previous_url, previous_title from entries where feed_id = ? and previous_id is null "
        "and previous_url is not null", built.german_feed_id,
    )[0]
    html = (await ds.client.get(f"/archive/article/{oldest_id}")).text
    link = re.search(r'<a class="neighbour previous external" rel="prev noopener noreferrer nofollow"\s+href="([^"]+)" '
                     r'id="previous">', html)
    assert link and link.group(1) == previous_url
    assert "not archived" in html and previous_title in html


async def test_article_view_sanitises_stored_html_again(ds: Datasette, built: Built) -> None:
    response = await ds.client.get(f"/archive/article/{built.hostile_id}")
    assert response.status_code == 200
    body = response.text.split('id="article-text">', 1)[1].split("</div>", 1)[0]
    assert "Harmless text about a flood." in body
    for bad in ("<script", "onerror", "javascript:", "<iframe", "style=", "alert("):
        assert bad not in body, bad


async def test_article_view_content_security_policy(ds: Datasette, built: Built) -> None:
    response = await ds.client.get(f"/archive/article/{built.seed_id}")
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert "'unsafe-inline'" not in directives["script-src"] and directives["script-src"].startswith("'sha256-")
    assert directives["style-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_article_view_not_found(ds: Datasette) -> None:
    assert (await ds.client.get("/archive/article/999999")).status_code == 404
    assert (await ds.client.get("/nosuchdb/article/1")).status_code == 404


async def test_row_page_links_to_article_view(ds: Datasette, built: Built) -> None:
    html = (await ds.client.get(f"/archive/entries/{built.seed_id}")).text
    assert f'href="/archive/article/{built.seed_id}"' in html


# -- safe defaults -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/archive/feeds", "/archive/feeds.json", "/archive/feeds.csv", "/archive/feeds?_facet=url",
        "/archive/polls", "/archive/polls.json?_shape=array", "/archive/polls.csv",
        "/archive/feed_health", "/archive/feed_health.csv",
        "/archive.json?sql=select+url,+config_url,+last_error+from+feeds",
        "/archive?sql=select+url,+config_url,+last_error+from+feeds",
        "/archive.csv?sql=select+final_url,+error+from+polls",
        "/archive/feeds/{feed}", "/archive/feeds/{feed}.json",
    ],
)
async def test_credentials_redacted_everywhere(ds: Datasette, built: Built, path: str) -> None:
    response = await ds.client.get(path.format(feed=built.private_feed_id))
    assert response.status_code == 200, response.text[:300]
    assert_no_secret(response)
    assert "private.example" in response.text and "***" in response.text


async def test_redaction_keeps_ordinary_urls(ds: Datasette, built: Built) -> None:
    rows = await get_json(ds, "/archive/feeds.json?_shape=array")
    german = next(r for r in rows if r["id"] == built.german_feed_id)
    assert german["url"] == built.site.feed_urls[GERMAN]


async def test_no_writes(ds: Datasette) -> None:
    for statement in ("delete from entries", "update feeds set title = 'x'", "drop table entries",
                      "insert into tags (name) values ('x')"):
        response = await ds.client.get("/archive.json", params={"sql": statement})
        assert response.status_code == 400, statement
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = await ds.client.request(method, "/archive/latest", data={"x": "1"} if method != "DELETE" else None)
        assert response.status_code == 405, method
    assert (await get_json(ds, "/archive.json?sql=select+count(*)+as+n+from+entries&_shape=array"))[0]["n"] == 22


async def test_robots_and_headers(ds: Datasette) -> None:
    robots = await ds.client.get("/robots.txt")
    assert robots.status_code == 200 and "Disallow: /" in robots.text
    page = await ds.client.get("/archive/entries")
    assert "object-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-robots-tag"] == "noindex, nofollow"


async def test_search_all_tables(ds: Datasette) -> None:
    response = await ds.client.get("/-/search?q=Insolvenz")
    assert response.status_code == 200 and "/archive/entries" in response.text


async def test_served_on_localhost_by_default() -> None:
    from click.testing import CliRunner

    from aggregator.cli import main
    from aggregator.daemon import ServeOptions

    assert ServeOptions().host == "127.0.0.1"
    help_text = CliRunner().invoke(main, ["serve", "--help"]).output
    assert "127.0.0.1" in help_text


# -- the entries list, and the pieces on their own ---------------------------------------------------------


async def test_entries_read_as_a_list_or_a_table(ds: Datasette, built: Built) -> None:
    html = (await ds.client.get("/archive/entries?_search=Verhandlungen")).text
    assert '<ol class="archive-results">' in html and "show as a table" in html
    assert f'<h2 class="result-title"><a href="/archive/article/{built.seed_id}">' in html
    table = (await ds.client.get("/archive/entries?_search=Verhandlungen&_view=table")).text
    assert '<ol class="archive-results">' not in table and 'class="rows-and-columns"' in table
    other = (await ds.client.get("/archive/feeds")).text
    assert '<ol class="archive-results">' not in other and 'class="rows-and-columns"' in other
    # column descriptions are one click away, not a page-long list above the rows
    assert '<details class="archive-column-help">' in html


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("https://u:p@h.example/f?token=t&x=1", "https://***@h.example/f?token=***&x=1"),
        ("https://h.example/f?API_KEY=k&access_token=a&client-secret=s&sig=z&page=2",
         "https://h.example/f?API_KEY=***&access_token=***&client-secret=***&sig=***&page=2"),
        ("https://h.example/feed.xml?lang=de&monkey=1", "https://h.example/feed.xml?lang=de&monkey=***"),
        ("https://h.example/feed.xml", "https://h.example/feed.xml"),
        ("not a url", "not a url"),
    ],
)
def test_redact_url(url: str, redacted: str) -> None:
    from aggregator.web.redact import redact_url

    assert redact_url(url) == redacted
    assert redact_url(redacted) == redacted  # stable


def test_stream_redactor_across_chunks() -> None:
    from aggregator.web.redact import StreamRedactor, replacements

    table = replacements([PRIVATE_URL, PRIVATE_FINAL_URL])
    body = f"<a href='{PRIVATE_URL}'>x</a> and {PRIVATE_FINAL_URL} end".encode()
    for size in (1, 7, 64, len(body)):
        redactor = StreamRedactor(table)
        chunks = [body[i : i + size] for i in range(0, len(body), size)]
        out = b"".join(redactor.feed(c) for c in chunks) + redactor.feed(b"", final=True)
        assert all(s.encode() not in out for s in SECRETS), size
        assert out.endswith(b" end") and b"https://***@private.example/feed.xml?token=***&lang=de" in out


def test_chart_needs_day_and_articles() -> None:
    from aggregator.web.chart import chart_svg

    assert chart_svg(["day", "feed"], [("2025-01-01", "a")]) is None
    assert chart_svg(["day", "articles"], []) is None
    svg = chart_svg(["day", "articles"], [("2025-01-01", 2), ("2025-01-03", 1), ("bogus", 5)])
    assert svg is not None and svg.count("<rect") == 2 + 1  # two bars and one legend entry
    assert "2025-01-01 to 2025-01-03" in svg  # the missing day keeps its place on the axis
    hostile = chart_svg(["day", "feed", "articles"], [("2025-01-01", "<script>x</script>", 1)])
    assert hostile is not None and "<script>" not in hostile


async def test_readme_example_queries_work(ds: Datasette) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Browsing the archive (Datasette)", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sql", 1)[1].split("```", 1)[0]
    queries = [q.strip() for q in block.split(";") if q.strip()]
    assert len(queries) == 3
    for query in queries:
        response = await ds.client.get("/archive.json", params={"sql": query, "_shape": "array"})
        assert response.status_code == 200, (query, response.text[:300])
        assert response.json(), query
