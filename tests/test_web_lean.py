"""The lean pages (issue 19 item 2): latest, the ranked search and the entries list show title, feed, date and
snippet, carry no hidden `atom_*` columns, keep every column one click away, and every `.atom` address is
still a valid Atom feed with the same entries as the page.

A real Datasette over an archive the pipeline built from the local news site (tests/test_web.py's)."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections.abc import AsyncIterator
from xml.etree import ElementTree

import pytest
from datasette.app import Datasette
from test_web import Built, build_archive

from aggregator.demo.site import NewsSite
from aggregator.web.app import make_datasette

ATOM = "{http://www.w3.org/2005/Atom}"
WORD = "Verhandlungen"
LEAN_PAGES = ["/archive/latest", f"/archive/search?q={WORD}", "/archive/entries",
              "/archive/entries?_sort_desc=published_at", f"/archive/entries?_search={WORD}"]


@pytest.fixture(scope="module")
def built(site: NewsSite, tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_archive(site, tmp_path_factory.mktemp("web-lean"))


@pytest.fixture
async def ds(built: Built) -> AsyncIterator[Datasette]:
    datasette = make_datasette(built.path)
    await datasette.invoke_startup()
    yield datasette


def entries_columns(built: Built) -> list[str]:
    with sqlite3.connect(built.path) as conn:
        return [row[1] for row in conn.execute("pragma table_info(entries)")]


@pytest.mark.parametrize("path", LEAN_PAGES)
async def test_lean_page_shows_articles_not_cells(ds: Datasette, path: str) -> None:
    response = await ds.client.get(path)
    assert response.status_code == 200
    html = response.text
    assert '<ol class="archive-results">' in html and 'class="rows-and-columns"' not in html
    assert "atom_" not in html
    assert re.search(r'<h2 class="result-title"><a href="/archive/article/\d+">', html)
    assert re.search(r'<span class="result-feed">[^<]+</span> · <time datetime="\d{4}-', html)
    if "search" in path:
        assert f"<mark>{WORD}</mark>" in html or "search" not in path.split("?")[0]


async def test_search_snippets_are_escaped_but_marked(ds: Datasette) -> None:
    html = (await ds.client.get("/archive/search?q=flood")).text
    assert "<mark>flood</mark>" in html
    assert "&lt;script&gt;alert(" in html and "<script>alert(" not in html


@pytest.mark.parametrize(("path", "table_view"), [
    ("/archive/latest", "/archive/latest?_view=table"),
    (f"/archive/search?q={WORD}", f"/archive/search?q={WORD}&amp;_view=table"),
    ("/archive/entries", "/archive/entries?_view=table"),
    (f"/archive/entries?_search={WORD}", f"/archive/entries?_search={WORD}&amp;_view=table"),
])
async def test_every_column_is_one_click_away(ds: Datasette, built: Built, path: str, table_view: str) -> None:
    html = (await ds.client.get(path)).text
    assert f'href="{table_view}"' in html
    base, _, query = path.partition("?")
    assert f'href="{base}.json{"?" + query if query else ""}"' in html
    assert f'href="{base}.csv' in html
    table = (await ds.client.get(table_view.replace("&amp;", "&"))).text
    assert 'class="rows-and-columns"' in table and '<ol class="archive-results">' not in table
    if base.endswith("/entries"):
        # Datasette's table with every column of the entries table, and the same as JSON and CSV
        for column in entries_columns(built):
            if column != "id":
                assert f'data-column="{column}"' in table, column
        data = (await ds.client.get(f"{base}.json?{query}&_shape=objects")).json()
        assert set(entries_columns(built)) <= set(data["rows"][0])
        header = next(csv.reader(io.StringIO((await ds.client.get(f"{base}.csv?{query}")).text)))
        assert set(entries_columns(built)) <= set(header)
    else:
        rows = (await ds.client.get(f"{base}.json?{query}&_shape=array")).json()
        for column in rows[0]:
            assert f'data-column="{column}"' in table or f">{column}<" in table, column


async def test_other_requests_get_datasettes_page(ds: Datasette) -> None:
    # facets, another sort or an exact count are Datasette's own page (its list template)
    for path in ("/archive/entries?_facet=language", "/archive/entries?_sort=title", "/archive/entries?_count=1",
                 f"/archive/search?q={WORD}&_show_sql=1"):
        html = (await ds.client.get(path)).text
        assert "archive-list" not in html.split("<body", 1)[1][:200], path


async def test_lean_entries_page_pages_through_every_entry(ds: Datasette, built: Built) -> None:
    with sqlite3.connect(built.path) as conn:
        total = conn.execute("select count(*) from entries").fetchone()[0]
    seen: list[str] = []
    path = "/archive/entries?_sort_desc=published_at"
    ds_size = 50
    for _ in range(total // ds_size + 2):
        html = (await ds.client.get(path)).text
        seen += re.findall(r'<h2 class="result-title"><a href="/archive/article/(\d+)">', html)
        found = re.search(r'<p class="archive-next"><a href="([^"]+)">', html)
        if not found:
            break
        path = found.group(1).replace("&amp;", "&")
    assert len(seen) == len(set(seen)) == total


async def test_lean_page_says_when_a_search_was_not_fts_syntax(ds: Datasette) -> None:
    html = (await ds.client.get("/archive/entries?_search=Verhandlungen%22")).text
    assert "not valid search syntax" in html and '<ol class="archive-results">' in html


def atom_entries(text: str) -> list[dict[str, str | None]]:
    root = ElementTree.fromstring(text.encode("utf-8"))
    assert root.tag == f"{ATOM}feed"
    for field in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{field}") is not None, field
    entries = []
    for entry in root.findall(f"{ATOM}entry"):
        link = entry.find(f"{ATOM}link")
        updated = entry.findtext(f"{ATOM}updated") or ""
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", updated), updated
        entries.append({"id": entry.findtext(f"{ATOM}id"), "title": entry.findtext(f"{ATOM}title"),
                        "link": link.get("href") if link is not None else None,
                        "content": entry.findtext(f"{ATOM}content")})
    return entries


@pytest.mark.parametrize("path", ["/archive/latest", f"/archive/search?q={WORD}", "/archive/search?q=flood",
                                  "/archive/feed_articles?feed=1"])
async def test_atom_is_valid_with_the_pages_entries(ds: Datasette, built: Built, path: str) -> None:
    base, _, query = path.partition("?")
    atom = await ds.client.get(f"{base}.atom" + (f"?{query}" if query else ""))
    assert atom.status_code == 200 and atom.headers["content-type"].startswith("application/xml")
    entries = atom_entries(atom.text)
    rows = (await ds.client.get(f"{base}.json?{query}&_shape=array")).json()
    assert len(entries) == len(rows) > 0
    with sqlite3.connect(built.path) as conn:
        for entry, row in zip(entries, rows, strict=True):
            url, title = conn.execute("select coalesce(url, 'urn:aggregator:entry:' || id), coalesce(title, "
                                      "'(untitled)') from entries where id = ?", [row["article_id"]]).fetchone()
            assert (entry["id"], entry["title"]) == (url, title)
            assert entry["link"]
            if "snippet" in row:
                assert entry["content"] == row["snippet"].replace("<mark>", "").replace("</mark>", "")


async def test_atom_of_your_own_query(ds: Datasette) -> None:
    # datasette-atom's columns still make a feed, and so does any query returning article_id
    own = await ds.client.get("/archive.atom", params={
        "sql": "select 'urn:x:1' as atom_id, '2025-01-02T03:04:05Z' as atom_updated, 'One <b>' as atom_title, "
               "'<p>hi</p><script>x()</script>' as atom_content_html", "_feed_title": "Mine"})
    assert own.status_code == 200
    assert atom_entries(own.text) == [{"id": "urn:x:1", "title": "One <b>", "link": None,
                                      "content": "<p>hi</p>"}]
    assert "<title>Mine</title>" in own.text
    by_id = await ds.client.get("/archive.atom", params={"sql": "select id as article_id from entries limit 3"})
    assert by_id.status_code == 200 and len(atom_entries(by_id.text)) == 3
    empty = await ds.client.get("/archive/search.atom?q=xylophonorchester")
    assert empty.status_code == 200 and atom_entries(empty.text) == []
