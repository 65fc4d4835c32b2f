"""What an outside probe found on the web side (issue 17, items 3, 4, 8, 9): fts3_tokenizer() from ?sql=, Atom
outputs with entries without a link, the search-all page, FTS5 syntax errors, bad sort columns, article JSON.
A real Datasette over an archive the pipeline built from the local news site (tests/test_web.py's)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator

import pytest
from datasette.app import Datasette
from test_web import Built, build_archive

from aggregator.demo.site import NewsSite
from aggregator.web.app import make_datasette
from aggregator.web.searchquery import fts_error, words_query


@pytest.fixture(scope="module")
def built(site: NewsSite, tmp_path_factory: pytest.TempPathFactory) -> Built:
    built = build_archive(site, tmp_path_factory.mktemp("web-hostile"))
    with sqlite3.connect(built.path) as conn:
        # A feed item whose only link was `javascript:alert(1)`: stored without a URL.
        conn.execute(
            "insert into entries (feed_id, guid, url, title, published_at, first_seen_at, summary, full_text, "
            "full_text_source, language) values (?, 'no-link-1', null, 'Insolvenz ohne Link', "
            "'2030-01-01T00:00:00Z', '2030-01-01T00:00:00Z', 'Insolvenz', 'Insolvenz ohne Link', 'feed', 'de')",
            [built.german_feed_id],
        )
    return built


@pytest.fixture
async def ds(built: Built) -> AsyncIterator[Datasette]:
    datasette = make_datasette(built.path)
    await datasette.invoke_startup()
    yield datasette


def no_link_id(built: Built) -> int:
    with sqlite3.connect(built.path) as conn:
        return conn.execute("select id from entries where guid = 'no-link-1'").fetchone()[0]


# -- item 3 -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sql", ["select hex(fts3_tokenizer('simple')) as p",
                                 "select fts3_tokenizer('evil', x'0000000000000000') as p",
                                 "select fts3_tokenizer('porter') as p"])
async def test_fts3_tokenizer_is_disabled(ds: Datasette, sql: str) -> None:
    response = await ds.client.get("/archive.json", params={"sql": sql, "_shape": "array"})
    assert response.status_code == 400, response.text[:300]
    assert "p" not in str(response.json().get("rows", ""))
    # the archive's own FTS5 search still works on the same connections
    ok = await ds.client.get("/archive.json", params={"sql": "select count(*) as n from entries_fts "
                                                      "where entries_fts match 'Insolvenz'", "_shape": "array"})
    assert ok.status_code == 200 and ok.json()[0]["n"] > 0


# -- item 4 -------------------------------------------------------------------------------------------------


async def test_every_atom_output_answers_with_an_entry_without_url(ds: Datasette, built: Built) -> None:
    entry_id = no_link_id(built)
    for path in ("/archive/latest.atom", "/archive/search.atom?q=Insolvenz",
                 f"/archive/feed_articles.atom?feed={built.german_feed_id}"):
        response = await ds.client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        assert "Insolvenz ohne Link" in response.text, path
        assert f'href="/archive/article/{entry_id}"' in response.text, path


# -- item 8 -------------------------------------------------------------------------------------------------


async def test_search_all_page_finds_results(ds: Datasette) -> None:
    page = await ds.client.get("/-/search?q=Insolvenz")
    assert page.status_code == 200 and "/archive/entries" in page.text
    # what the page's script fetches for each searchable table, and reads `count` from
    data = (await ds.client.get(
        "/archive/entries.json?_shape=objects&_labels=on&_extra=count&_extra=database&_extra=table&_size=5"
        "&_search=Insolvenz")).json()
    assert data["filtered_table_rows_count"] >= 3 and len(data["rows"]) >= 3
    # the entries page itself still skips Datasette's exact count
    plain = (await ds.client.get("/archive/entries.json?_search=Insolvenz")).json()
    assert plain["filtered_table_rows_count"] is None


async def test_search_all_json(ds: Datasette) -> None:
    response = await ds.client.get("/-/search.json?q=Insolvenz")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    data = response.json()
    assert data["q"] == "Insolvenz"
    (entries,) = [r for r in data["results"] if r["table"] == "entries"]
    assert entries["database"] == "archive" and entries["count"] >= 3 and 0 < len(entries["rows"]) <= 5
    assert entries["url"] == "/archive/entries?_search=Insolvenz"
    assert (await ds.client.get("/-/search.json")).json() == {"q": "", "results": []}
    broken = (await ds.client.get('/-/search.json?q=%22Insolvenz')).json()
    assert next(r["count"] for r in broken["results"] if r["table"] == "entries") >= 3


# -- item 9 -------------------------------------------------------------------------------------------------


def test_fts_error_and_words_query() -> None:
    assert fts_error("Insolvenz NOT Görlitzer") is None
    assert fts_error('"ukraine krieg"') is None and fts_error("title:inflation") is None
    assert fts_error("verhandl*") is None
    for bad in ("AND", '"unterminated', "nosuchcolumn:x", "(", "a OR", "NEAR(", "*", "^"):
        assert fts_error(bad) is not None, bad
    assert words_query('AND "Insolvenz') == '"AND" "Insolvenz"'
    assert words_query("(") == ""
    assert words_query("nosuchcolumn:Insolvenz") == '"Insolvenz"'


@pytest.mark.parametrize("path", ["/archive/search?q={}", "/archive/search.json?q={}&_shape=array",
                                  "/archive/entries?_search={}", "/archive/entries.json?_search={}",
                                  "/archive/search.atom?q={}", "/archive/entries?_search_title={}"])
@pytest.mark.parametrize("query", ["AND", "%22Insolvenz", "Insolvenz%20AND", "nosuchcolumn:Insolvenz", "(", "%C3%BC%22"])
async def test_fts_syntax_errors_become_a_plain_search(ds: Datasette, path: str, query: str,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        response = await ds.client.get(path.format(query))
    assert response.status_code == 200, (path, query, response.text[:500])
    assert "fts5" not in response.text and "syntax error" not in response.text
    assert "unterminated" not in response.text and "no such column" not in response.text
    assert not any("fts5" in r.getMessage() or "select" in r.getMessage().lower() for r in caplog.records)
    if "." not in path.split("?")[0].rsplit("/", 1)[-1]:
        assert "is not valid search syntax" in response.text
    if query in ("%22Insolvenz", "nosuchcolumn:Insolvenz") and "title" not in path:
        assert "Insolvenz" in response.text and "ohne Link" in response.text  # its words were searched for


async def test_valid_searches_are_left_alone(ds: Datasette) -> None:
    response = await ds.client.get("/archive/entries?_search=Insolvenz%20NOT%20G%C3%B6rlitzer")
    assert response.status_code == 200 and "is not valid search syntax" not in response.text
    assert "ds_messages" not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize("path", ["/archive/entries?_sort=nonexistent", "/archive/entries?_sort_desc=nonexistent",
                                  "/archive/entries.json?_sort=nonexistent",
                                  "/archive/entries?_search=Insolvenz&_sort=nonexistent",
                                  "/archive/feeds?_sort=nonexistent"])
async def test_unknown_sort_column_is_a_client_error(ds: Datasette, path: str) -> None:
    response = await ds.client.get(path)
    assert response.status_code == 400, (path, response.status_code, response.text[:300])
    assert "Cannot sort table by nonexistent" in response.text


async def test_article_json(ds: Datasette, built: Built) -> None:
    response = await ds.client.get(f"/archive/article/{built.seed_id}.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    data = response.json()
    assert data["article"]["id"] == built.seed_id and data["article"]["title"]
    assert data["html_url"] == f"/archive/article/{built.seed_id}"
    assert data["previous"]["href"] == f"/archive/article/{built.previous_id}" and data["previous"]["archived"]
    assert data["next"]["href"] == f"/archive/article/{built.next_id}"
    assert (await ds.client.get("/archive/article/999999.json")).status_code == 404
    html = await ds.client.get(f"/archive/article/{built.seed_id}")
    assert html.status_code == 200 and "<html" in html.text

