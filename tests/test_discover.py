"""`aggregator add`: feed discovery against the local news site, and the config edit it makes."""

from __future__ import annotations

import os
import pty
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_config

from aggregator.cli import main
from aggregator.config.model import Settings, load_config
from aggregator.demo.site import CustomResponse, NewsSite
from aggregator.fetch.discover import common_candidates, discover

LOCAL = Settings(allow_private_networks=True, timeout=10, read_timeout=5)
HEADER = "# my feeds\nsettings:\n  allow_private_networks: true   # the site is on 127.0.0.1\n  timeout: 10s\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def html(body: str, head: str = "") -> CustomResponse:
    return CustomResponse(body=f"<!DOCTYPE html><html><head><title>A blog</title>{head}</head><body>{body}</body></html>",
                          content_type="text/html; charset=utf-8")


@pytest.fixture
def routes(site: NewsSite) -> Iterator[NewsSite]:
    yield site
    site.clear_route()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(HEADER + "feeds:\n  # news\n  - url: https://example.org/feed   # kept\n    title: Example\n",
                    encoding="utf-8")
    return path


async def test_a_page_advertising_feeds_yields_each_verified_with_title_and_format(site: NewsSite) -> None:
    found = await discover(site.broken_urls["html_instead"], LOCAL)
    assert not found.is_feed and "HTML page" in (found.page_error or "")
    # The page is The Harbour Times' home page: 2 sections x (RSS, Atom, JSON Feed) in its <head>.
    expected = [site.feed_url(chain, fmt) for chain in ("harbour-times-news", "harbour-times-business")
                for fmt in ("rss20", "atom10", "json11")]
    assert [f.url for f in found.feeds] == expected
    assert [f.format for f in found.feeds] == ["rss20", "atom10", "json11"] * 2
    assert [f.format_name for f in found.feeds[:3]] == ["RSS 2.0", "Atom 1.0", "JSON Feed 1.1"]
    assert {f.title for f in found.feeds} == {"News – The Harbour Times", "Business – The Harbour Times"}
    assert all(f.how == "advertised" and f.entries == site.feed_window for f in found.feeds)


async def test_common_paths_are_tried_when_a_page_advertises_nothing(routes: NewsSite) -> None:
    site = routes
    site.set_route("/blog/", html("<p>Welcome. No feed links here.</p>"))
    site.set_route("/blog/index.xml", CustomResponse(body=fetch(site.feed_url("dev-notes-posts", "rss20")),
                                                     content_type="application/rss+xml"))
    site.set_route("/feed.json", CustomResponse(body=fetch(site.feed_url("technikblog-posts", "json11")),
                                                content_type="application/feed+json"))
    found = await discover(site.url_for("/blog/"), LOCAL)
    assert [(f.url, f.how, f.format) for f in found.feeds] == [
        (site.url_for("/blog/index.xml"), "common path", "rss20"),
        (site.url_for("/feed.json"), "common path", "json11"),
    ]
    assert found.feeds[0].title == "Posts on Dev Notes"
    # every candidate was really asked for, in the page's folder and at the root; the misses are reported
    assert site.requests_for("/blog/feed/") and site.requests_for("/rss.xml") and site.requests_for("/blog/atom.xml")
    assert (site.url_for("/blog/feed/"), "HTTP 404 Not Found") in found.checked
    assert len(found.checked) == len(common_candidates(site.url_for("/blog/"))) - 2


async def test_feed_looking_links_are_checked_and_false_ones_dropped(routes: NewsSite) -> None:
    site = routes
    site.set_route("/links/", html('<a href="/links/feed/">Subscribe</a> <a href="rss.xml">RSS</a> '
                                   '<a href="/about/">About</a> <a href="/links/atom/">not a feed</a>'))
    site.set_route("/links/feed/", CustomResponse(body=fetch(site.feed_url("field-notes-stories", "atom10")),
                                                  content_type="application/atom+xml"))
    site.set_route("/links/atom/", html("<p>just a page</p>"))
    found = await discover(site.url_for("/links/"), LOCAL)
    assert [(f.url, f.how) for f in found.feeds] == [(site.url_for("/links/feed/"), "linked")]
    reasons = dict(found.checked)
    assert reasons[site.url_for("/links/rss.xml")] == "HTTP 404 Not Found"
    assert "HTML page" in reasons[site.url_for("/links/atom/")]
    assert not site.requests_for("/about/")  # not feed-like: never fetched
    assert not site.requests_for("/links/rss/")  # links found, so no guessing of common paths


def test_add_a_feed_url_directly_keeps_comments_and_refuses_duplicates(site: NewsSite, config: Path) -> None:
    before = config.read_text(encoding="utf-8")
    url = site.feed_url("dev-notes-posts", "atom10")
    code, out, _ = run("add", url, "--config", str(config), "--dry-run")
    assert code == 0 and f"Would add {url} to {config} (dry run)" in out
    assert config.read_text(encoding="utf-8") == before
    code, out, err = run("add", url, "--config", str(config), "--tag", "en", "--tag", "tech,dev")
    assert code == 0, err
    assert f"{url} is a feed  Posts on Dev Notes  [Atom 1.0, 10 entries]" in out and "Added" in out
    after = config.read_text(encoding="utf-8")
    assert after == before + f"  - url: {url}\n    title: Posts on Dev Notes\n    tags: [en, tech, dev]\n"
    feed = load_config(config).feeds[-1]
    assert (feed.url, feed.title, feed.tags) == (url, "Posts on Dev Notes", ("en", "tech", "dev"))

    # The same feed written differently is a duplicate: refused, exit 2, file unchanged.
    spelled = url.replace("http://127.0.0.1", "HTTP://127.0.0.1") + "?utm_campaign=x"
    code, out, err = run("add", spelled, "--config", str(config))
    assert code == 2
    assert err == f"Error: {spelled} is already in {config} (as {url}); nothing added\n"
    assert config.read_text(encoding="utf-8") == after


def test_add_from_a_page_needs_a_choice_then_adds_the_picked_one(site: NewsSite, config: Path) -> None:
    page = site.url_for("/harbour-times/")  # a site's home page
    before = config.read_text(encoding="utf-8")
    code, out, err = run("add", page, "--config", str(config))
    assert code == 2 and "6 feeds found: choose one with --pick N, or --yes for the first" in err
    assert f"  2. {site.feed_url('harbour-times-news', 'atom10')}  News – The Harbour Times  [Atom 1.0" in out
    assert config.read_text(encoding="utf-8") == before

    code, out, err = run("add", page, "--config", str(config), "--pick", "2", "--title", "Harbour: news")
    assert code == 0, err
    assert load_config(config).feeds[-1].url == site.feed_url("harbour-times-news", "atom10")
    assert load_config(config).feeds[-1].title == "Harbour: news"

    code, out, err = run("add", page, "--config", str(config), "--yes")
    assert code == 0, err
    assert "(already in the config)" in out  # the Atom feed is listed as present...
    assert [f.url for f in load_config(config).feeds[-2:]] == [  # ...and --yes took the first new one
        site.feed_url("harbour-times-news", "atom10"), site.feed_url("harbour-times-news", "rss20")]

    code, _, err = run("add", page, "--config", str(config), "--pick", "7")
    assert code == 2 and "only 6 feeds were found" in err
    code, _, err = run("add", page, "--config", str(config), "--pick", "2")
    assert code == 2 and "is already in" in err


def test_add_of_the_test_sites_html_instead_page_into_a_bare_url_config(site: NewsSite, tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    write_config(path, [site.feed_url("dev-notes-posts")])
    before = path.read_text(encoding="utf-8")
    code, out, err = run("add", site.broken_urls["html_instead"], "--config", str(path), "--yes")
    assert code == 0, err
    assert f"6 feeds found for {site.broken_urls['html_instead']}:" in out
    # the file lists bare URLs, and nothing but the URL was asked for: a bare URL it is
    assert path.read_text(encoding="utf-8") == before + f"  - {site.feed_url('harbour-times-news')}\n"


def test_add_fails_with_exit_1_when_nothing_is_found_or_private_addresses_are_refused(
    routes: NewsSite, config: Path, tmp_path: Path
) -> None:
    site = routes
    site.set_route("/empty/", html("<p>No feeds at all.</p>"))
    before = config.read_text(encoding="utf-8")
    code, _, err = run("add", site.url_for("/empty/"), "--config", str(config))
    assert code == 1
    assert f"Error: no feed found at {site.url_for('/empty/')}: not a feed but an HTML page" in err
    assert f"{site.url_for('/empty/feed/')}: HTTP 404 Not Found" in err
    code, _, err = run("add", site.url_for("/nowhere/"), "--config", str(config))
    assert code == 1 and err == f"Error: {site.url_for('/nowhere/')}: HTTP 404 Not Found\n"
    assert config.read_text(encoding="utf-8") == before

    strict = tmp_path / "strict.yaml"  # the config's settings apply: private addresses refused by default
    strict.write_text("feeds: []\n", encoding="utf-8")
    code, _, err = run("add", site.feed_url("dev-notes-posts"), "--config", str(strict))
    assert code == 1 and "non-public address 127.0.0.1" in err and "allow_private_networks: true" in err
    assert strict.read_text(encoding="utf-8") == "feeds: []\n"


def test_add_prompts_only_on_a_terminal(site: NewsSite, config: Path) -> None:
    master, slave = pty.openpty()
    os.write(master, b"5\n")  # the answer waits in the terminal's input buffer
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "aggregator", "add", site.url_for("/harbour-times/"), "--config", str(config)],
            stdin=slave, capture_output=True, timeout=60, check=False,
        )
    finally:
        os.close(slave)
        os.close(master)
    assert proc.returncode == 0, proc.stderr
    assert b"Add which one? [1]:" in proc.stdout
    assert load_config(config).feeds[-1].url == site.feed_url("harbour-times-business", "atom10")


def test_a_running_daemon_picks_up_an_added_feed(site: NewsSite, tmp_path: Path) -> None:
    first, second = site.feed_url("dev-notes-posts", "atom10"), site.feed_url("technikblog-posts", "json11")
    config = write_config(tmp_path / "feeds.yaml", [first], interval="2s", max_interval="1h", adaptive=False,
                          full_text=False)
    db = tmp_path / "archive.db"
    log = (tmp_path / "daemon.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "aggregator", "--log-level", "info", "run", "--no-serve",
                             "--config", str(config.path), "--db", str(db)], stdout=log, stderr=subprocess.STDOUT)

    def entries(url: str) -> int:
        try:
            with sqlite3.connect(db, timeout=10) as conn:
                row = conn.execute("SELECT COUNT(*) FROM entries JOIN feeds f ON f.id = feed_id "
                                   "WHERE f.config_url = ?", (url,)).fetchone()
        except sqlite3.Error:
            return 0
        return row[0]

    def wait_for(url: str) -> None:
        deadline = time.monotonic() + 45
        while entries(url) < site.feed_window:
            assert time.monotonic() < deadline, f"no entries of {url}: {(tmp_path / 'daemon.log').read_text()}"
            time.sleep(0.3)

    try:
        wait_for(first)
        code, _, err = run("add", second, "--config", str(config.path))
        assert code == 0, err
        wait_for(second)
        assert "config reloaded (file change): 2 feeds, 1 added" in (tmp_path / "daemon.log").read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()
