"""Stored XSS, end to end: hostile feed content and article pages go through the real pipeline, then a
real browser opens the archive's pages and must run none of the injected script."""

from __future__ import annotations

import asyncio
import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import chromium_driver, require_browser, serving
from conftest import write_config
from test_sanitize import XSS_VECTORS

from aggregator.api import poll_once
from aggregator.demo.site import CustomResponse, NewsSite
from aggregator.store import Archive

MARKER = "XSS-MARKER"


def armed(markup: str) -> str:
    """A vector whose script, if it ever runs, also leaves a marker in the console and the title."""
    return markup.replace("alert(", f"console.error('{MARKER}'),document.title='{MARKER}',alert(")


def build_hostile_archive(site: NewsSite, tmp: Path) -> Path:
    items, paths = [], []
    for n, (name, markup) in enumerate(XSS_VECTORS):
        vector = armed(markup)
        path = f"/xss/article-{n}/"
        paths.append(path)
        page = (
            f"<!DOCTYPE html><html lang='en'><head><title>{name} {vector}</title>"
            f"<meta property='og:title' content=\"{html.escape(vector)}\"></head><body><article>"
            f"<h1>XSS case {name} {vector}</h1>"
            + f"<p>This archived article carries the attack vector named {name} inside ordinary text. {vector}</p>" * 4
            + "</article></body></html>"
        )
        site.set_route(path, CustomResponse(body=page.encode(), content_type="text/html; charset=utf-8"))
        items.append(
            f"<item><title>xss {name} {html.escape(vector)}</title><link>{site.url_for(path)}</link>"
            f"<guid isPermaLink='false'>xss-{n}</guid><author>{html.escape(vector)}</author>"
            f"<category>{html.escape(vector)}</category>"
            f"<description>{html.escape(vector)}</description>"
            f"<content:encoded><![CDATA[<p>xss body {name}</p>{vector}]]></content:encoded></item>"
        )
    feed = (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0' "
        "xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel><title>XSS feed</title>"
        f"<link>{site.url_for('/xss/')}</link>{''.join(items)}</channel></rss>"
    )
    feed_url = site.set_route("/xss/feed/", CustomResponse(body=feed.encode(), content_type="application/rss+xml"))
    config = write_config(tmp / "feeds.yaml", [feed_url])
    archive = Archive(tmp / "archive.db")
    try:
        reports = asyncio.run(poll_once(config, archive))
        assert reports[0].error is None and reports[0].new_entries == len(XSS_VECTORS)
        assert archive.db.execute("SELECT COUNT(*) FROM entries WHERE full_text_source = 'page'").fetchone()[0] > 40
    finally:
        archive.close()
    return tmp / "archive.db"


@pytest.fixture(scope="module")
def hostile_server(site: NewsSite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    require_browser()
    db = build_hostile_archive(site, tmp_path_factory.mktemp("xss"))
    with serving(db, tmp_path_factory.mktemp("xss-serve")) as base:
        yield base, db


def test_no_injected_script_runs_in_the_archive_pages(hostile_server: tuple[str, Path], tmp_path: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    base, db = hostile_server
    import sqlite3

    with sqlite3.connect(db) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM entries ORDER BY id")]
    pages = [
        "/archive/entries", "/archive/entries?_view=table", "/archive/entries?_search=xss",
        "/archive/latest", "/archive/search?q=xss", "/archive/entry_tags", "/archive/tags",
        "/-/search?q=xss",
    ]
    pages += [f"/archive/article/{i}" for i in ids] + [f"/archive/entries/{i}" for i in ids[::5]]
    # In the page, after it loaded: anything that could still run script on interaction.
    live_dom_check = """
        const bad = [];
        for (const el of document.querySelectorAll('*')) {
            for (const attr of el.attributes) {
                const name = attr.name.toLowerCase(), value = attr.value.trim().toLowerCase();
                if (name.startsWith('on') && !el.closest('script')) bad.push(el.tagName + ' ' + name);
                if (['href', 'src', 'action', 'formaction', 'poster', 'srcdoc'].includes(name) &&
                    (value.startsWith('javascript:') || value.startsWith('vbscript:') || value.startsWith('data:text')))
                    bad.push(el.tagName + ' ' + name + '=' + value);
            }
        }
        for (const tag of ['iframe', 'object', 'embed', 'base', 'form', 'foreignObject', 'use', 'image', 'set'])
            if (document.querySelector('main ' + tag + ', .archive-article ' + tag)) bad.push(tag);
        // MathML and SVG are kept, but nothing inside them links anywhere
        for (const el of document.querySelectorAll('main svg [href], main math [href], .archive-article svg [href]'))
            bad.push('foreign href ' + el.getAttribute('href'));
        return bad;
    """
    with chromium_driver(tmp_path) as driver:
        for page in pages:
            driver.get(base + page)
            try:
                alert = driver.switch_to.alert
                text = alert.text
                alert.dismiss()
                pytest.fail(f"{page}: an injected script ran (alert {text!r})")
            except NoAlertPresentException:
                pass
            assert driver.title != MARKER, page  # a vector's script would have set exactly this
            assert driver.execute_script(live_dom_check) == [], page
            logs = driver.get_log("browser")
            assert not [entry for entry in logs if MARKER in entry["message"]], (page, logs)
        # The vectors are there, as text: the pages showed them, they just did not run.
        driver.get(f"{base}/archive/article/{ids[0]}")
        assert "XSS case" in driver.page_source


def test_the_detector_sees_a_script_that_runs(hostile_server: tuple[str, Path], site: NewsSite, tmp_path: Path) -> None:
    """The same checks against the raw hostile page (not through the archive) do see the script run."""
    from selenium.common.exceptions import NoAlertPresentException

    with chromium_driver(tmp_path) as driver:
        driver.get(site.url_for("/xss/article-3/"))  # img-onerror, served as-is by the test site
        try:
            driver.switch_to.alert.dismiss()
            alerted = True
        except NoAlertPresentException:
            alerted = False
        assert alerted
        assert any(MARKER in entry["message"] for entry in driver.get_log("browser"))
