"""Politeness seen from the server: robots.txt, per-host spacing of article requests, log lines."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from conftest import write_config

from aggregator.api import poll_once
from aggregator.demo.site import CustomResponse, NewsSite
from aggregator.store import Archive


def test_robots_txt_is_respected_for_article_pages(site: NewsSite, tmp_path: Path) -> None:
    feed = site.feed_urls["harbour-times-business.json11"]
    articles = site.articles_in_feed("harbour-times-business.json11")
    blocked = urlsplit(articles[0].url).path.split("/")[1]  # first path segment: the site
    site.set_route("/robots.txt", CustomResponse(body=f"User-agent: *\nDisallow: /{blocked}/20\n".encode()))
    try:
        site.clear_requests()
        archive = Archive(tmp_path / "a.db")
        asyncio.run(poll_once(write_config(tmp_path / "f.yaml", [feed]), archive))
        errors = archive.db.execute("SELECT DISTINCT extraction_error FROM entries").fetchall()
        archive.close()
        assert errors == [("article page: disallowed by the site's robots.txt",)]
        assert all(not site.requests_for(a.url) for a in articles)
        assert len(site.requests_for("/robots.txt")) == 1

        # The setting turns it off.
        archive = Archive(tmp_path / "b.db")
        asyncio.run(poll_once(write_config(tmp_path / "g.yaml", [feed], respect_robots=False), archive))
        sources = archive.db.execute("SELECT DISTINCT full_text_source FROM entries").fetchall()
        archive.close()
        assert sources == [("page",)]
    finally:
        site.clear_route("/robots.txt")


def test_article_requests_to_one_host_are_spaced(site: NewsSite, tmp_path: Path) -> None:
    feed = site.feed_urls["dev-notes-posts.rss10"]
    site.clear_requests()
    archive = Archive(tmp_path / "a.db")
    asyncio.run(poll_once(write_config(tmp_path / "f.yaml", [feed], article_delay="0.3s"), archive))
    archive.close()
    paths = {urlsplit(a.url).path for a in site.articles_in_feed("dev-notes-posts.rss10")}
    starts = sorted(r.monotonic for r in site.requests if r.path in paths)
    assert len(starts) == 10
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.28, gaps


def test_one_json_log_line_per_poll(site: NewsSite, tmp_path: Path) -> None:
    feeds = [site.feed_urls["field-notes-stories.rss10"], site.broken_urls["not_found"]]
    config = write_config(tmp_path / "f.yaml", feeds, full_text=False)
    result = subprocess.run(
        [sys.executable, "-m", "aggregator", "--log-level", "info", "--log-json", "poll", "-q",
         "--config", str(config.path), "--db", str(tmp_path / "a.db")],
        capture_output=True, text=True, timeout=120,
    )
    records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    polls = [r for r in records if r["logger"] == "aggregator.poll.pipeline"]
    assert len(polls) == 2
    ok = next(r for r in polls if r["feed"] == feeds[0])
    assert ok["level"] == "info" and ok["status"] == 200 and ok["new_entries"] == 10 and ok["duration_ms"] >= 0
    failed = next(r for r in polls if r["feed"] == feeds[1])
    assert failed["level"] == "warning" and failed["status"] == 404 and failed["error"] == "HTTP 404 Not Found"
